"""Shared machinery of the importers: records, documented defaults, the import report, error locations.

Every importer turns its input into node and edge *records* (dicts keyed by
the scenario's field names, with an :class:`Origin` saying where each came
from) and calls :func:`assemble`, which fills missing attributes with the
documented :data:`DEFAULTS`, counts what it filled in an
:class:`ImportReport`, and validates the result with
:meth:`Scenario.from_dict`. A validation error is moved back to the input:
the file, the column (or attribute) and the line of the offending record.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..scenario import EDGE_FIELDS, NODE_FIELDS, Scenario
from ..schema import Checker, Field

__all__ = [
    "DEFAULTS", "Origin", "ImportReport", "assemble", "parse_number", "parse_bool",
    "haversine_km", "NODE_KEYS", "EDGE_KEYS", "META_KEYS", "line_finder", "Lines", "MAX_ROWS",
]

NODE_KEYS = ("id", "kind", "jurisdiction", "name", "lat", "lon", "capacity", "storage", "enforcement",
             "occupancy", "dormant")
EDGE_KEYS = ("from", "to", "mode", "capacity", "cost", "time", "risk", "dormant")
# scenario sections carried next to the network by the exporters (GraphML graph data, GeoJSON member)
META_KEYS = ("name", "description", "steps", "jurisdictions", "organisations", "markets", "parameters",
             "strategies")

#: Documented defaults for attributes an input does not give (see docs/data.md).
DEFAULTS: dict[str, str] = {
    "nodes.kind": "inferred from the edges: no in-edge -> source, no out-edge -> market, else transit",
    "nodes.jurisdiction": "'ZZ' (one jurisdiction named 'Unassigned', corruption 0.3, police capacity 0.5)",
    "nodes.lat/lon": "0.0 (no position; edge costs then use the flat default)",
    "nodes.capacity/storage": "unlimited",
    "nodes.enforcement/occupancy": "0",
    "edges.mode": "land",
    "edges.capacity": "unlimited",
    "edges.cost": "50 + 0.5 USD/kg per km of great-circle distance when both ends have positions, else 100",
    "edges.time": "1 step",
    "edges.risk": "0.01",
    "jurisdictions": "one per distinct node jurisdiction, corruption 0.3, state revenue 1, police capacity 0.5",
    "organisations": "one organisation 'org_1' using every node, producing 1,000 kg/step at each source",
    "markets": "every market node: reference price 30,000 USD/kg, demand 95% of production shared equally, "
               "elasticity 0.5",
}
#: Default limit on the rows of one imported table (configurable: ``--max-rows``).
MAX_ROWS = 5_000_000
DEFAULT_JURISDICTION = "ZZ"
DEFAULT_PRODUCTION = 1000.0
DEFAULT_PRICE = 30000.0
DEFAULT_RISK = 0.01
COST_BASE, COST_PER_KM, COST_FLAT = 50.0, 0.5, 100.0


@dataclass(frozen=True)
class Origin:
    """Where a record came from: file, 1-based line, and the input's name for each field."""

    file: str | None = None
    line: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    label: str | None = None   # e.g. "features[3].properties" when there is no column


class Lines(Sequence[Origin]):
    """Origins of the records of one table, stored as line numbers (one small integer per record)."""

    def __init__(self, file: str | None, columns: dict[str, str]) -> None:
        self.file, self.columns, self.lines = file, columns, array("q")

    def add(self, line: int) -> None:
        self.lines.append(line)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return Origin(file=self.file, line=self.lines[i], columns=self.columns)


@dataclass
class ImportReport:
    """What an import read and what it filled in with defaults."""

    source: str
    nodes: int = 0
    edges: int = 0
    defaulted: Counter = field(default_factory=Counter)   # "edges.risk" -> number of records
    totals: dict[str, int] = field(default_factory=dict)  # "edges" -> records
    notes: list[str] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        if n:
            self.defaulted[key] += n

    def lines(self) -> list[str]:
        """Human-readable summary, one line per defaulted attribute or note."""
        out = [f"imported {self.nodes} nodes and {self.edges} edges from {self.source}"]
        for key in sorted(self.defaulted):
            section = key.split(".")[0]
            total = self.totals.get(section)
            of = f" of {total}" if total else ""
            rule = DEFAULTS.get(key) or DEFAULTS.get(_group(key), "")
            if "." in key:
                out.append(f"defaulted {key} for {self.defaulted[key]}{of} {section}: {rule}".rstrip(": "))
            else:
                out.append(f"defaulted {key} ({self.defaulted[key]}): {rule}".rstrip(": "))
        out.extend(self.notes)
        return out

    def to_dict(self) -> dict:
        return {"source": self.source, "nodes": self.nodes, "edges": self.edges,
                "defaulted": dict(self.defaulted), "notes": list(self.notes)}


def _group(key: str) -> str:
    for k in DEFAULTS:
        if "/" in k:
            sec, names = k.split(".")
            if key.startswith(sec + ".") and key.split(".")[1] in names.split("/"):
                return k
    return key


def parse_number(text: Any, where: Origin, column: str, *, integer: bool = False, unlimited: bool = False,
                 field: Field | None = None) -> float | None:
    """A number from an input cell; empty gives ``None``; text raises :class:`InputError`.

    ``inf`` is accepted only where ``unlimited`` (capacities and storage: it means "no limit");
    ``field`` (a scenario field declaration) also checks the declared range, so that the message
    names the cell's file, line and column.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise InputError(f"expected a number, got {text}", file=where.file, path=column, line=where.line)
    if isinstance(text, int | float):
        value = float(text)
    else:
        s = str(text).strip()
        if not s:
            return None
        try:
            value = float(s)
        except ValueError:
            shown = s if len(s) <= 40 else s[:40] + "..."
            raise InputError(f"expected a number, got '{shown}'", file=where.file, path=column,
                             line=where.line) from None
    if math.isnan(value):
        raise InputError("is NaN; a number is required", file=where.file, path=column, line=where.line)
    if math.isinf(value):
        if unlimited and value > 0:
            return value  # "inf" means unlimited
        raise InputError("is infinite; a finite number is required" + (
            " (leave the cell empty for unlimited)" if unlimited else ""), file=where.file, path=column,
            line=where.line)
    if integer and value != int(value):
        raise InputError(f"expected a whole number, got {value:g}", file=where.file, path=column,
                         line=where.line)
    if field is not None:
        try:
            Checker(where.file).value(value, field, column)
        except InputError as exc:
            raise InputError(exc.message, file=where.file, path=column, line=where.line) from None
    return value


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def parse_bool(text: Any, where: Origin, column: str) -> bool | None:
    """A boolean from an input cell (true/false/1/0/yes/no); empty gives ``None``."""
    if text is None:
        return None
    if isinstance(text, bool):
        return text
    if isinstance(text, int | float) and text in (0, 1):
        return bool(text)
    s = str(text).strip().lower()
    if s == "":
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise InputError(f"expected true or false, got '{text}'", file=where.file, path=column, line=where.line)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (NumPy-vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def line_finder(text: str, pattern: str):
    """Map ``key -> 1-based line`` for regex ``pattern`` (one group: the key) over ``text``."""
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    out: dict[str, int] = {}
    for m in re.finditer(pattern, text):
        key = m.group(1)
        if key not in out:
            out[key] = int(np.searchsorted(starts, m.start(), side="right"))
    return out


def _drop_none(d: dict) -> dict:
    """Drop absent (``None``) and unlimited values, in place (large imports keep one copy of each record)."""
    for k in [k for k, v in d.items() if v is None or (isinstance(v, float) and math.isinf(v))]:
        del d[k]
    return d


def assemble(
    nodes: list[dict],
    edges: list[dict],
    report: ImportReport,
    *,
    name: str,
    description: str = "",
    meta: dict | None = None,
    node_origins: Sequence[Origin] | None = None,
    edge_origins: Sequence[Origin] | None = None,
    file: str | None = None,
    validated: tuple[str, ...] = (),
) -> Scenario:
    """Fill documented defaults into node/edge records and validate them as a scenario.

    Parameters
    ----------
    nodes, edges
        Records keyed by scenario field names (``None`` or absent = not given).
        Edge records may name nodes that no node record lists; those nodes are
        created (and reported).
    report
        Receives what was defaulted.
    meta
        Scenario sections given by the input (see :data:`META_KEYS`); missing
        ones get defaults.
    node_origins, edge_origins
        Where each record came from, to locate validation errors.
    validated
        ``"nodes"``/``"edges"`` when the importer checked every given value against the field
        declarations already (cell by cell): the records are completed with the declared defaults
        and used as they are (one copy in memory), only their cross-references are checked again.
    """
    meta = dict(meta or {})
    nodes = [_drop_none(n) for n in nodes]
    edges = [_drop_none(e) for e in edges]
    known = {n["id"] for n in nodes}
    n_given = len(nodes)
    node_origins = node_origins if node_origins is not None else [Origin(file)] * len(nodes)
    edge_origins = edge_origins if edge_origins is not None else [Origin(file)] * len(edges)
    for i, e in enumerate(edges):
        for end in ("from", "to"):
            if end not in e:
                o = edge_origins[i]
                raise InputError(f"edge has no '{end}' node", file=o.file,
                                 path=o.columns.get(end, o.label or end), line=o.line)
    if n_given:
        for i, e in enumerate(edges):
            for end in ("from", "to"):
                if e[end] not in known:
                    o = edge_origins[i]
                    raise InputError(f"unknown node '{e[end]}'", file=o.file, path=o.columns.get(end, end),
                                     line=o.line)
    else:
        created: list[Origin] = []
        for e in edges:
            for end in ("from", "to"):
                if e[end] not in known:
                    known.add(e[end])
                    nodes.append({"id": e[end]})
                    created.append(Origin(file))
        node_origins = created
        report.notes.append(f"no node table: {len(nodes)} nodes created from the edges' ends")
    report.totals.update(nodes=len(nodes), edges=len(edges))

    # kinds inferred from the edges
    has_in = {e["to"] for e in edges}
    has_out = {e["from"] for e in edges}
    for n in nodes:
        if "kind" not in n:
            report.count("nodes.kind")
            n["kind"] = ("source" if n["id"] not in has_in else "market" if n["id"] not in has_out
                         else "transit")
        if "jurisdiction" not in n:
            report.count("nodes.jurisdiction")
            n["jurisdiction"] = DEFAULT_JURISDICTION
    for key in ("lat", "lon", "capacity", "storage", "enforcement", "occupancy"):
        report.count(f"nodes.{key}", sum(key not in n for n in nodes))

    # edges: mode, time, risk, cost (from distance when positions are known)
    pos = {n["id"]: (n["lat"], n["lon"]) for n in nodes if "lat" in n and "lon" in n}
    for e in edges:
        for key, value in (("mode", "land"), ("time", 1), ("risk", DEFAULT_RISK)):
            if key not in e:
                report.count(f"edges.{key}")
                e[key] = value
        if "capacity" not in e:
            report.count("edges.capacity")
        if "cost" not in e:
            report.count("edges.cost")
            a, b = pos.get(e["from"]), pos.get(e["to"])
            if a is not None and b is not None and isinstance(a[0], float | int) and isinstance(b[0], float | int):
                e["cost"] = round(COST_BASE + COST_PER_KM * float(haversine_km(a[0], a[1], b[0], b[1])), 2)
            else:
                e["cost"] = COST_FLAT

    data: dict[str, Any] = {"name": meta.get("name") or name,
                            "description": meta.get("description", description)}
    if meta.get("steps") is not None:
        data["steps"] = meta["steps"]
    if meta.get("jurisdictions"):
        data["jurisdictions"] = meta["jurisdictions"]
    else:
        codes = list(dict.fromkeys(str(n["jurisdiction"]) for n in nodes))
        report.count("jurisdictions", len(codes))
        data["jurisdictions"] = [
            {"id": c, "name": "Unassigned" if c == DEFAULT_JURISDICTION else c, "corruption": 0.3,
             "state_revenue": 1.0, "police_capacity": 0.5} for c in codes]
    data["nodes"] = nodes
    data["edges"] = edges
    sources = [n["id"] for n in nodes if n.get("kind") == "source"]
    mkt_nodes = [n["id"] for n in nodes if n.get("kind") == "market"]
    if meta.get("organisations"):
        data["organisations"] = meta["organisations"]
    else:
        report.count("organisations", 1)
        data["organisations"] = [{
            "id": "org_1", "name": "Imported organisation (fictional)",
            "production": {s: DEFAULT_PRODUCTION for s in sources}, "cash": 2.0e7,
        }]
    if meta.get("markets"):
        data["markets"] = meta["markets"]
    else:
        total = sum(sum(float(v) for v in o.get("production", {}).values())
                    for o in data["organisations"] if isinstance(o, dict))
        demand = round(0.95 * total / max(len(mkt_nodes), 1), 3)
        report.count("markets", len(mkt_nodes))
        data["markets"] = [{"node": m, "reference_price": DEFAULT_PRICE, "reference_demand": demand,
                            "elasticity": 0.5} for m in mkt_nodes]
    if meta.get("parameters"):
        data["parameters"] = meta["parameters"]
    if meta.get("strategies"):
        data["strategies"] = meta["strategies"]
    report.nodes, report.edges = len(nodes), len(edges)
    for key, records, decl in (("nodes", nodes, NODE_FIELDS), ("edges", edges, EDGE_FIELDS)):
        if key in validated:
            for r in records:
                for f in decl:
                    if f.name not in r:
                        r[f.name] = f.default
    try:
        return Scenario.from_dict(data, file=file, validated=validated)
    except InputError as exc:
        raise _relocate(exc, node_origins, edge_origins, file) from None


_PATH = re.compile(r"^(nodes|edges)\[(\d+)\](?:\.(\w+))?")


def _relocate(exc: InputError, node_origins: Sequence[Origin], edge_origins: Sequence[Origin],
              file: str | None) -> InputError:
    """Point a validation error at the input's file, column and line."""
    m = _PATH.match(exc.path or "")
    if not m:
        return InputError(exc.message, file=exc.file or file, path=exc.path, line=exc.line)
    section, i, key = m.group(1), int(m.group(2)), m.group(3)
    origins = node_origins if section == "nodes" else edge_origins
    if i >= len(origins):
        return InputError(exc.message, file=file, path=exc.path)
    o = origins[i]
    column = o.columns.get(key, key) if key else None
    if o.label:
        column = f"{o.label}.{column}" if column else o.label
    return InputError(exc.message, file=o.file or file, path=column, line=o.line)
