"""CSV node and edge tables, with a column mapping.

A node table has one row per node and an edge table one row per directed
edge. Columns are named as the scenario's fields (``id, kind, jurisdiction,
name, lat, lon, capacity, storage, enforcement, occupancy, dormant`` and
``from, to, mode, capacity, cost, time, risk, dormant``) unless a mapping
says otherwise, e.g. ``{"id": "ID", "lat": "Latitude"}`` for nodes. Empty
cells and absent columns take the documented defaults
(:data:`counterflow.io.common.DEFAULTS`); other columns are ignored (and
reported). The node table is optional: without it, nodes are the edges' ends.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "edges.csv").write_text("from,to,capacity\\na,b,100\\nb,c,80\\n")
>>> s, report = read_csv_tables(None, d / "edges.csv")
>>> [n.kind for n in s.nodes]
['source', 'transit', 'market']
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ..errors import InputError
from ..scenario import Scenario
from ..yamlio import read_text
from .common import EDGE_KEYS, NODE_KEYS, ImportReport, Origin, assemble, parse_bool, parse_number

__all__ = ["read_csv_tables", "write_csv_tables"]

_NUMERIC_NODE = ("lat", "lon", "capacity", "storage", "enforcement", "occupancy")
_NUMERIC_EDGE = ("capacity", "cost", "risk")


def _read_rows(path: Path, mapping: dict[str, str], keys: tuple[str, ...], required: tuple[str, ...],
               report: ImportReport) -> tuple[list[dict], list[Origin]]:
    text = read_text(path, encoding="utf-8-sig")
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("the file is empty (a header row is required)", file=str(path)) from None
    for key in mapping:
        if key not in keys:
            raise InputError(f"unknown field '{key}' in the column mapping; fields: {', '.join(keys)}",
                             file=str(path), path=key)
    columns = {k: mapping.get(k, k) for k in keys}
    for k in required:
        if columns[k] not in header:
            hint = f" (mapped from '{k}')" if columns[k] != k else ""
            raise InputError(f"required column '{columns[k]}'{hint} is missing; header: {', '.join(header)}",
                             file=str(path), path=columns[k], line=1)
    position = {k: header.index(c) for k, c in columns.items() if c in header}
    ignored = [h for h in header if h not in set(columns.values())]
    if ignored:
        report.notes.append(f"ignored columns of {path.name}: {', '.join(ignored)}")
    rows, origins = [], []
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise InputError(f"row has {len(row)} cells but the header has {len(header)}",
                             file=str(path), line=lineno)
        origin = Origin(file=str(path), line=lineno, columns=columns)
        rec = {k: (row[i].strip() if i < len(row) else "") for k, i in position.items()}
        rows.append(rec)
        origins.append(origin)
    return rows, origins


def _convert(rec: dict, origin: Origin, numeric: tuple[str, ...], required: tuple[str, ...]) -> dict:
    out: dict = {}
    for k, v in rec.items():
        col = origin.columns.get(k, k)
        if k in numeric:
            x = parse_number(v, origin, col)
            if x is not None:
                out[k] = x
        elif k == "time":
            x = parse_number(v, origin, col, integer=True)
            if x is not None:
                out[k] = int(x)
        elif k == "dormant":
            b = parse_bool(v, origin, col)
            if b is not None:
                out[k] = b
        elif v != "":
            out[k] = v
    for k in required:
        if k not in out:
            raise InputError(f"'{origin.columns.get(k, k)}' is empty", file=origin.file,
                             path=origin.columns.get(k, k), line=origin.line)
    return out


def read_csv_tables(
    nodes: str | Path | None,
    edges: str | Path,
    *,
    node_columns: dict[str, str] | None = None,
    edge_columns: dict[str, str] | None = None,
    name: str | None = None,
) -> tuple[Scenario, ImportReport]:
    """Import CSV node and edge tables into a scenario.

    Parameters
    ----------
    nodes
        Node table, or ``None`` to take the nodes from the edges' ends.
    edges
        Edge table (``from`` and ``to`` columns required).
    node_columns, edge_columns
        Column mapping: scenario field -> column name in the file.
    name
        Scenario name (default: the edge file's stem).

    Returns
    -------
    (Scenario, ImportReport)
        The validated scenario and what was defaulted.

    Raises
    ------
    InputError
        Missing required columns, unknown node ids, non-numeric values or
        invalid values, naming the file, the column and the line.
    """
    epath = Path(edges)
    report = ImportReport(source=str(epath) if nodes is None else f"{nodes} and {epath}")
    node_recs: list[dict] = []
    node_origins: list[Origin] = []
    if nodes is not None:
        npath = Path(nodes)
        raw, node_origins = _read_rows(npath, node_columns or {}, NODE_KEYS, ("id",), report)
        node_recs = [_convert(r, o, _NUMERIC_NODE, ("id",)) for r, o in zip(raw, node_origins, strict=True)]
        seen: dict[str, int] = {}
        for r, o in zip(node_recs, node_origins, strict=True):
            if r["id"] in seen:
                raise InputError(f"duplicate node id '{r['id']}' (first on line {seen[r['id']]})",
                                 file=o.file, path=o.columns["id"], line=o.line)
            seen[r["id"]] = o.line or 0
    raw, edge_origins = _read_rows(epath, edge_columns or {}, EDGE_KEYS, ("from", "to"), report)
    edge_recs = [_convert(r, o, _NUMERIC_EDGE, ("from", "to")) for r, o in zip(raw, edge_origins, strict=True)]
    if not edge_recs:
        raise InputError("the edge table has no rows", file=str(epath))
    return assemble(node_recs, edge_recs, report, name=name or epath.stem,
                    description=f"Imported from CSV tables ({report.source}).",
                    node_origins=node_origins, edge_origins=edge_origins, file=str(epath)), report


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_csv_tables(scenario: Scenario, nodes: str | Path, edges: str | Path) -> None:
    """Write a scenario's network as CSV node and edge tables (empty cell = unlimited).

    Organisations, markets and parameters are not part of the tables; export
    the scenario YAML (or GraphML/GeoJSON) to keep them.
    """
    with Path(nodes).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(NODE_KEYS)
        for n in scenario.nodes:
            w.writerow([_cell(getattr(n, k)) for k in NODE_KEYS])
    with Path(edges).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(EDGE_KEYS)
        attr = {"from": "src", "to": "dst"}
        for e in scenario.edges:
            w.writerow([_cell(getattr(e, attr.get(k, k))) for k in EDGE_KEYS])
