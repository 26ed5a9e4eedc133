"""networkx graphs and GraphML files.

:func:`to_networkx` gives a ``DiGraph`` (a ``MultiDiGraph`` when two edges
join the same nodes by different modes) whose node and edge attributes are
the scenario's fields, with the rest of the scenario (jurisdictions,
organisations, markets, parameters, strategies) as JSON in the graph
attribute ``counterflow`` and each edge's position in the scenario as ``index``
(so that a round trip keeps the edge order, and with it the runs' numbers);
per-edge and per-node flows of a run can be added.
:func:`from_networkx` reads such a graph back, or any directed graph whose
attributes use the scenario's field names (missing ones take the documented
defaults). GraphML goes through networkx (``write_graphml``/``read_graphml``).

Examples
--------
>>> from counterflow import load_scenario
>>> g = to_networkx(load_scenario("caribbean"))
>>> s, report = from_networkx(g)
>>> len(s.edges) == g.number_of_edges()
True
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import InputError
from ..scenario import Scenario
from ..yamlio import MAX_DEPTH, check_depth, read_text
from .common import (
    EDGE_KEYS,
    META_KEYS,
    NODE_KEYS,
    ImportReport,
    Origin,
    assemble,
    line_finder,
    parse_bool,
    parse_number,
)

__all__ = ["to_networkx", "from_networkx", "read_graphml", "write_graphml", "scenario_meta"]

_NODE_NUMERIC = ("lat", "lon", "capacity", "storage", "enforcement", "occupancy")
_EDGE_NUMERIC = ("capacity", "cost", "risk")
_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "label": "name", "type": "kind",
            "source": "from", "target": "to"}


def scenario_meta(scenario: Scenario) -> dict:
    """The scenario's sections other than nodes and edges, in file form."""
    d = scenario.to_dict()
    return {k: d[k] for k in META_KEYS if k in d}


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if not (isinstance(v, float) and math.isinf(v))}


def to_networkx(scenario: Scenario, node_flows: dict[str, dict] | None = None,
                edge_flows: list[dict] | None = None) -> nx.DiGraph:
    """The scenario as a networkx graph.

    Parameters
    ----------
    node_flows
        Extra attributes per node id (e.g. flow totals of a run).
    edge_flows
        Extra attributes per edge, aligned with ``scenario.edges``.
    """
    pairs = [(e.src, e.dst) for e in scenario.edges]
    multi = len(set(pairs)) < len(pairs)
    g: nx.DiGraph = nx.MultiDiGraph() if multi else nx.DiGraph()
    g.graph["counterflow"] = json.dumps(scenario_meta(scenario), sort_keys=True)
    g.graph["name"] = scenario.name
    for n in scenario.nodes:
        attrs = _clean({k: getattr(n, k) for k in NODE_KEYS if k != "id"})
        attrs.update((node_flows or {}).get(n.id, {}))
        g.add_node(n.id, **attrs)
    for i, e in enumerate(scenario.edges):
        attrs = _clean({"mode": e.mode, "capacity": e.capacity, "cost": e.cost, "time": e.time,
                        "risk": e.risk, "dormant": e.dormant, "index": i})
        if edge_flows is not None:
            attrs.update(edge_flows[i])
        if multi:
            g.add_edge(e.src, e.dst, key=f"{e.mode}", **attrs)
        else:
            g.add_edge(e.src, e.dst, **attrs)
    return g


def _norm(attrs: dict) -> dict:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        key = _ALIASES.get(str(k).lower(), str(k))
        out.setdefault(key, v)
    return out


def from_networkx(
    graph: nx.Graph,
    *,
    name: str | None = None,
    file: str | None = None,
    node_lines: dict[str, int] | None = None,
    edge_lines: dict[str, int] | None = None,
) -> tuple[Scenario, ImportReport]:
    """Build a scenario from a networkx graph.

    Node attributes named as the scenario's node fields (``kind``,
    ``jurisdiction``, ``lat``, ``lon``, ``capacity`` ...; also ``latitude``,
    ``longitude``, ``label``) and edge attributes named as its edge fields are
    used; missing ones take the documented defaults. An undirected graph
    gives two directed edges per edge. A graph attribute ``counterflow``
    (JSON, as written by :func:`to_networkx`) restores the other sections.
    """
    report = ImportReport(source=file or f"networkx {type(graph).__name__}")
    meta: dict[str, Any] = {}
    raw_meta = graph.graph.get("counterflow")
    if raw_meta:
        try:
            meta = json.loads(raw_meta) if isinstance(raw_meta, str) else dict(raw_meta)
        except (json.JSONDecodeError, TypeError, ValueError):
            raise InputError("graph attribute 'counterflow' is not valid JSON", file=file,
                             path="counterflow") from None
        except RecursionError:
            raise InputError(f"graph attribute 'counterflow' is nested deeper than {MAX_DEPTH} levels",
                             file=file, path="counterflow") from None
        check_depth(meta, file)
        if not isinstance(meta, dict):
            raise InputError("graph attribute 'counterflow' must be a JSON object", file=file, path="counterflow")
    node_lines = node_lines or {}
    edge_lines = edge_lines or {}
    nodes, n_orig = [], []
    for v, attrs in graph.nodes(data=True):
        a = _norm(attrs)
        o = Origin(file=file, line=node_lines.get(str(v)), label=f"node '{v}'")
        rec: dict = {"id": str(v)}
        for k in NODE_KEYS[1:]:
            if k not in a or a[k] is None or a[k] == "":
                continue
            if k in _NODE_NUMERIC:
                rec[k] = parse_number(a[k], o, f"node '{v}'.{k}", unlimited=k in ("capacity", "storage"))
            elif k == "dormant":
                rec[k] = parse_bool(a[k], o, f"node '{v}'.{k}")
            else:
                rec[k] = str(a[k])
        nodes.append(rec)
        n_orig.append(o)
    edges, e_orig = [], []
    directed = graph.is_directed()
    if not directed:
        report.notes.append("undirected graph: each edge imported in both directions")
    for u, v, attrs in graph.edges(data=True):
        a = _norm(attrs)
        where = f"edge '{u}'->'{v}'"
        o = Origin(file=file, line=edge_lines.get(f"{u}\x00{v}"), label=where)
        rec = {"from": str(u), "to": str(v)}
        for k in EDGE_KEYS[2:]:
            if k not in a or a[k] is None or a[k] == "":
                continue
            if k in _EDGE_NUMERIC:
                rec[k] = parse_number(a[k], o, f"{where}.{k}", unlimited=k == "capacity")
            elif k == "time":
                t = parse_number(a[k], o, f"{where}.{k}", integer=True)
                if t is not None:  # a blank cell leaves the default
                    rec[k] = int(t)
            elif k == "dormant":
                rec[k] = parse_bool(a[k], o, f"{where}.{k}")
            else:
                rec[k] = str(a[k])
        edges.append(rec)
        e_orig.append(o)
        if not directed:
            edges.append({**rec, "from": rec["to"], "to": rec["from"]})
            e_orig.append(o)
    if not edges:
        raise InputError("the graph has no edges", file=file)
    order = [d.get("index") for _, _, d in graph.edges(data=True)]
    if directed and all(isinstance(x, int) and not isinstance(x, bool) for x in order) \
            and sorted(order) == list(range(len(order))):
        perm = sorted(range(len(edges)), key=order.__getitem__)
        edges, e_orig = [edges[i] for i in perm], [e_orig[i] for i in perm]
    gname = name or meta.get("name") or graph.graph.get("name") or (Path(file).stem if file else "imported")
    s = assemble(nodes, edges, report, name=str(gname), description=f"Imported from {report.source}.",
                 meta=meta, node_origins=n_orig, edge_origins=e_orig, file=file)
    return s, report


def write_graphml(scenario: Scenario, path: str | Path, node_flows: dict[str, dict] | None = None,
                  edge_flows: list[dict] | None = None) -> None:
    """Write the scenario (and optional flows) as GraphML."""
    nx.write_graphml(to_networkx(scenario, node_flows, edge_flows), str(path))


def read_graphml(path: str | Path, *, name: str | None = None) -> tuple[Scenario, ImportReport]:
    """Import a GraphML file (see :func:`from_networkx` for the attributes used)."""
    p = Path(path)
    text = read_text(p)
    try:
        g = nx.parse_graphml(text, force_multigraph=False)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not valid XML: {exc}", file=str(p), line=line) from None
    except nx.NetworkXError as exc:
        if "multigraph" in str(exc).lower():
            g = nx.parse_graphml(text, force_multigraph=True)
        else:
            raise InputError(f"not valid GraphML: {exc}", file=str(p)) from None
    except (ValueError, KeyError) as exc:
        m = re.search(r"'([^']*)'\s*$", str(exc))
        line = None
        if m:
            at = text.find(f">{m.group(1)}<")
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise InputError(f"not valid GraphML (an attribute value does not match its declared type): {exc}",
                         file=str(p), line=line) from None
    node_lines = line_finder(text, r"<node\b[^>]*\bid=\"([^\"]*)\"")
    edge_lines: dict[str, int] = {}
    for m_src, line in line_finder(text, r"(<edge\b[^>]*>)").items():
        try:
            el = ET.fromstring(m_src.rstrip(">").rstrip("/") + "/>")
            edge_lines.setdefault(f"{el.get('source')}\x00{el.get('target')}", line)
        except ET.ParseError:
            continue
    return from_networkx(g, name=name, file=str(p), node_lines=node_lines, edge_lines=edge_lines)
