"""The NarcoLogic network tables (``NodeTable.csv``, ``EdgeTable.csv``).

NarcoLogic (Magliocca et al., PNAS 2019) models cocaine trafficking through
Central America on 163 nodes and 1,017 directed edges. Its tables, as
published with the model's public Python port, ship with Counterflow
(``counterflow/io/narcologic_data/``, unchanged, with their README) so the
import works everywhere; :func:`read_narcologic` reads them or any tables in
the same format.

How the columns become a scenario (every assumption below is reported by
the import and documented in docs/data.md):

* ids become ``n<ID>``; the producer (``Stock`` > 0 or no in-edge) is the
  ``source``; nodes without out-edges are ``market``s (``DeptCode`` 2 is the
  main end node, the others are the extra end nodes); the long-haul maritime
  points (``DeptCode`` 3 with out-edges) are ``transit``; every other node is
  a ``hub`` (a place where loads are held and forwarded);
* ``DeptCode`` (GADM level-1 department) gives a country-level jurisdiction;
  corruption and police capacity are the same illustrative values for all,
  as the tables carry none;
* ``DTO`` splits the network between two fictional organisations (1: the
  Pacific side, 2: the Caribbean side); nodes with DTO 0 (the producer and
  the main end node) are shared;
* ``pintcpt`` (a relative interception weight, 1 / in-degree) times
  ``enforcement_scale`` is the node's enforcement;
* ``Capacity`` (kg per month) becomes kg per week (× 12 / 52);
* edge cost is ``cost_per_km`` USD/kg per km of great-circle distance; the
  price at each end node is NarcoLogic's producer price (4,500 USD/kg) plus
  its value added (4.46 USD/kg/km) over the distance from the producer;
* edges to or from the maritime points are ``sea``, the rest ``land``.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..scenario import Scenario
from .common import ImportReport, Origin, assemble, haversine_km, parse_number

__all__ = ["read_narcologic", "narcologic_dir", "COUNTRY_BY_DEPT"]

PRODUCER_PRICE = 4500.0       # USD/kg, from NarcoLogic's code comments
VALUE_ADDED_PER_KM = 4.46     # USD/kg/km, idem
MONTH_TO_WEEK = 12.0 / 52.0

# GADM level-1 department codes of the tables -> country (ISO 3166 alpha-2), by the ranges the tables use
COUNTRY_BY_DEPT: tuple[tuple[int, int, str, str], ...] = (
    (1, 1, "CO", "Colombia"),
    (2, 2, "MX", "Mexico"),
    (981, 986, "CR", "Costa Rica"),
    (1195, 1195, "SV", "El Salvador"),
    (1422, 1438, "HN", "Honduras"),
    (2182, 2201, "NI", "Nicaragua"),
    (2282, 2288, "PA", "Panama"),
    (64822, 64837, "GT", "Guatemala"),
    (93668, 93673, "PA", "Panama"),
)
_NODE_COLS = ("ID", "Lat", "Lon", "DeptCode", "Stock", "DTO", "pintcpt")
_EDGE_COLS = ("EndNodes_1", "EndNodes_2", "Capacity")


def narcologic_dir() -> Path:
    """Folder of the NarcoLogic tables shipped with Counterflow."""
    shipped = Path(str(resources.files("counterflow.io").joinpath("narcologic_data")))
    if (shipped / "NodeTable.csv").is_file():
        return shipped
    raise InputError("the NarcoLogic tables are not installed with this package; pass the folder that "
                     "holds NodeTable.csv and EdgeTable.csv, or the two tables")


def _country(code: int) -> tuple[str, str] | None:
    for lo, hi, iso, name in COUNTRY_BY_DEPT:
        if lo <= code <= hi:
            return iso, name
    return None


def _table(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise InputError("not a readable CSV text file", file=str(path)) from None
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    for col in required:
        if col not in header:
            raise InputError(f"required column '{col}' is missing; header: {', '.join(header) or '(none)'}",
                             file=str(path), path=col, line=1)
    rows = []
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        rows.append((lineno, dict(zip(header, (c.strip() for c in row), strict=False))))
    if not rows:
        raise InputError("the table has no rows", file=str(path))
    return rows


def _num(rec: dict, col: str, path: Path, line: int, *, integer: bool = False) -> float:
    o = Origin(file=str(path), line=line)
    x = parse_number(rec.get(col, ""), o, col, integer=integer)
    if x is None:
        raise InputError(f"'{col}' is empty", file=str(path), path=col, line=line)
    return x


def read_narcologic(
    folder: str | Path | None = None,
    *,
    production: float = 2000.0,
    enforcement_scale: float = 0.05,
    cost_per_km: float = 1.5,
    sea_risk: float = 0.03,
    land_risk: float = 0.01,
    hub_occupancy: float = 2.0,
    name: str = "narcologic",
    nodes: str | Path | None = None,
    edges: str | Path | None = None,
) -> tuple[Scenario, ImportReport]:
    """Import the NarcoLogic tables into a scenario.

    Parameters
    ----------
    folder
        Folder with ``NodeTable.csv`` and ``EdgeTable.csv`` (default: the copy
        shipped with Counterflow, see :func:`narcologic_dir`).
    nodes, edges
        The two tables as files of any name (instead of ``folder``).
    production
        kg per week produced at the producer node, split equally between the
        two organisations (the tables give only an initial stock).
    enforcement_scale
        Node enforcement = ``pintcpt * enforcement_scale``.
    cost_per_km
        Edge cost in USD/kg per km.
    sea_risk, land_risk
        Base seizure probability per load on sea and land edges.
    hub_occupancy
        People present at a hub (for the harm of strikes).

    Examples
    --------
    >>> s, report = read_narcologic()
    >>> len(s.nodes), len(s.edges), len(s.organisations)
    (163, 1017, 2)
    """
    base = Path(folder) if folder is not None else narcologic_dir()
    npath, epath = base / "NodeTable.csv", base / "EdgeTable.csv"
    if nodes is not None or edges is not None:
        npath, epath = Path(nodes or npath), Path(edges or epath)
        base = npath.parent if npath.parent == epath.parent else Path(f"{npath} and {epath}")
    nrows = _table(npath, _NODE_COLS)
    erows = _table(epath, _EDGE_COLS)
    report = ImportReport(source=f"NarcoLogic tables in {base}")

    ids, lat, lon, dept, stock, dto, pint, nline = [], [], [], [], [], [], [], []
    seen: dict[int, int] = {}
    for line, r in nrows:
        i = int(_num(r, "ID", npath, line, integer=True))
        if i in seen:
            raise InputError(f"duplicate node ID {i} (first on line {seen[i]})", file=str(npath), path="ID",
                             line=line)
        seen[i] = line
        ids.append(i)
        lat.append(_num(r, "Lat", npath, line))
        lon.append(_num(r, "Lon", npath, line))
        dept.append(int(_num(r, "DeptCode", npath, line, integer=True)))
        stock.append(_num(r, "Stock", npath, line))
        d = int(_num(r, "DTO", npath, line, integer=True))
        if d not in (0, 1, 2):
            raise InputError(f"DTO must be 0, 1 or 2, got {d}", file=str(npath), path="DTO", line=line)
        dto.append(d)
        pint.append(_num(r, "pintcpt", npath, line))
        nline.append(line)
    index = {v: k for k, v in enumerate(ids)}
    src, dst, cap, eline = [], [], [], []
    for line, r in erows:
        a = int(_num(r, "EndNodes_1", epath, line, integer=True))
        b = int(_num(r, "EndNodes_2", epath, line, integer=True))
        for col, v in (("EndNodes_1", a), ("EndNodes_2", b)):
            if v not in index:
                raise InputError(f"unknown node {v} (not an ID in {npath.name})", file=str(epath), path=col,
                                 line=line)
        src.append(index[a])
        dst.append(index[b])
        cap.append(_num(r, "Capacity", epath, line))
        eline.append(line)
    n = len(ids)
    lat_a, lon_a = np.array(lat), np.array(lon)
    src_a, dst_a = np.array(src), np.array(dst)
    indeg = np.bincount(dst_a, minlength=n)
    outdeg = np.bincount(src_a, minlength=n)
    producer = [k for k in range(n) if stock[k] > 0 or indeg[k] == 0]
    if not producer:
        raise InputError("no producer node (Stock > 0 or no in-edge)", file=str(npath), path="Stock")
    p0 = producer[0]
    kind = []
    for k in range(n):
        if k in producer:
            kind.append("source")
        elif outdeg[k] == 0:
            kind.append("market")
        elif dept[k] == 3:
            kind.append("transit")
        else:
            kind.append("hub")
    maritime = np.array([kd == "transit" for kd in kind])
    juris: dict[str, dict] = {}
    node_j = []
    unknown = set()
    for k in range(n):
        if kind[k] == "transit":
            code, jname = "SEA", "Long-haul maritime transit points"
        elif kind[k] == "market" and dept[k] == 3:
            code, jname = "MX", "Mexico"
        else:
            c = _country(dept[k])
            if c is None:
                unknown.add(dept[k])
                code, jname = "ZZ", "Unassigned department codes"
            else:
                code, jname = c
        node_j.append(code)
        juris.setdefault(code, {"id": code, "name": jname, "corruption": 0.3, "state_revenue": 1.0,
                                "police_capacity": 0.4})
    if unknown:
        report.notes.append(f"department codes with no country (jurisdiction ZZ): {sorted(unknown)}")
    nid = [f"n{i}" for i in ids]
    names = {"source": "Producer", "market": "End node", "transit": "Maritime transit point", "hub": "Trafficking node"}
    node_recs: list[dict] = []
    n_orig: list[Origin] = []
    for k in range(n):
        rec = {"id": nid[k], "kind": kind[k], "jurisdiction": node_j[k], "name": f"{names[kind[k]]} {ids[k]}",
               "lat": lat[k], "lon": lon[k], "enforcement": round(min(1.0, pint[k] * enforcement_scale), 6)}
        if kind[k] == "hub":
            rec["occupancy"] = hub_occupancy
        node_recs.append(rec)
        n_orig.append(Origin(file=str(npath), line=nline[k],
                             columns={"lat": "Lat", "lon": "Lon", "enforcement": "pintcpt", "id": "ID"}))
    km = haversine_km(lat_a[src_a], lon_a[src_a], lat_a[dst_a], lon_a[dst_a])
    sea = maritime[src_a] | maritime[dst_a]
    edge_recs: list[dict] = []
    e_orig: list[Origin] = []
    for j in range(len(src)):
        edge_recs.append({"from": nid[src[j]], "to": nid[dst[j]], "mode": "sea" if sea[j] else "land",
                      "capacity": round(cap[j] * MONTH_TO_WEEK, 3), "cost": round(float(cost_per_km * km[j]), 2),
                      "time": int(1 + (km[j] > 1500.0)), "risk": sea_risk if sea[j] else land_risk})
        e_orig.append(Origin(file=str(epath), line=eline[j],
                             columns={"from": "EndNodes_1", "to": "EndNodes_2", "capacity": "Capacity"}))

    markets = [k for k in range(n) if kind[k] == "market"]
    main = [k for k in markets if dept[k] == 2] or markets[:1]
    share = {k: (0.7 if k in main else 0.3 / max(len(markets) - len(main), 1)) for k in markets}
    if len(markets) == len(main):
        share = {k: 1.0 / len(markets) for k in markets}
    dist0 = haversine_km(lat_a[p0], lon_a[p0], lat_a, lon_a)
    mkt = [{"node": nid[k], "reference_price": float(round(PRODUCER_PRICE + VALUE_ADDED_PER_KM * dist0[k], -1)),
            "reference_demand": round(0.95 * production * share[k], 3), "elasticity": 0.5} for k in markets]
    orgs = []
    sides = {1: "Pacific-side", 2: "Caribbean-side"}
    groups = sorted({d for d in dto if d != 0}) or [0]
    for d in groups:
        members = [nid[k] for k in range(n) if dto[k] in (0, d)]
        prod = {nid[k]: production / len(groups) / len(producer) for k in producer}
        for k in producer:
            if nid[k] not in members:
                members.append(nid[k])
        orgs.append({"id": f"dto_{d}", "name": f"{sides.get(d, 'Single')} organisation (fictional; NarcoLogic DTO {d})",
                     "production": prod, "cash": 2.0e7, "risk_aversion": 1.0, "loss_tolerance": 0.1,
                     "nodes": members})
    meta = {
        "jurisdictions": list(juris.values()),
        "organisations": orgs,
        "markets": mkt,
        "steps": 52,
        "parameters": {"production_cost": PRODUCER_PRICE},
        "strategies": {"hub-strikes": {
            "description": "A strike on the hub carrying the most observed flow every 4 weeks from week 4.",
            "levers": [{"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
                        "schedule": {"start": 4, "every": 4}, "intel_accuracy": 0.8, "unit_cost": 2.0e6}]}},
    }
    report.notes.extend([
        f"kinds: {kind.count('source')} source, {kind.count('hub')} hubs, {kind.count('transit')} maritime transit, "
        f"{kind.count('market')} markets (end nodes)",
        f"assumed: production {production:g} kg/week at the producer, split between {len(groups)} organisations (DTO)",
        f"assumed: enforcement = pintcpt x {enforcement_scale:g}; edge risk {land_risk:g} (land), {sea_risk:g} (sea)",
        f"assumed: edge cost {cost_per_km:g} USD/kg/km; capacity kg/month x 12/52; time 1 step (2 beyond 1,500 km)",
        f"assumed: end-node price = {PRODUCER_PRICE:g} + {VALUE_ADDED_PER_KM:g} USD/kg/km x distance from the producer",
        f"assumed: hub occupancy {hub_occupancy:g}; uniform corruption 0.3 and police capacity 0.4",
        "ignored: Row, Col, suitability columns, CoastDist, Weight, Flows; initial Stock",
    ])
    desc = ("The NarcoLogic network (Magliocca et al., PNAS 2019; tables from the model's public Python port): "
            "163 nodes in Central America, two organisations (DTO). Scenario numbers beyond the tables are "
            "illustrative assumptions (see docs/data.md).")
    s = assemble(node_recs, edge_recs, report, name=name, description=desc, meta=meta, node_origins=n_orig,
                 edge_origins=e_orig, file=str(epath))
    return s, report
