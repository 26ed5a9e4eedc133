"""The plain network form the interdiction optimisers work on.

An :class:`InterdictionNetwork` is a directed graph with one source and one
sink, per-arc capacity, cost (also the arc's length for shortest paths),
interdiction cost (``nan``: the arc cannot be interdicted), interdiction
delta (added length or cost when interdicted; ``nan``: interdiction removes
the arc) and success probability, and per-node capacity and interdiction
cost (interdicting a node removes every arc incident to it).

Every arc the user gives an interdiction cost can be interdicted, arcs at the
source and the sink included (as in Wood 1993). Only the source and sink
nodes themselves cannot be (a node cost on either is refused), and the arcs
this module adds itself when building from a scenario (super-source and
super-sink arcs) carry no interdiction cost; :meth:`InterdictionNetwork.considered`
says what an optimiser may interdict.

Build one from an edge-list CSV (:meth:`InterdictionNetwork.from_csv`), from
rows (:meth:`InterdictionNetwork.from_edges`) or from a scenario, whose
sources and markets are joined to a super-source and a super-sink
(:meth:`InterdictionNetwork.from_scenario`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["InterdictionNetwork", "Arcs", "SUPER_SOURCE", "SUPER_SINK", "MAX_VALUE", "check_number"]

SUPER_SOURCE = "_source"
SUPER_SINK = "_sink"
EDGE_COLUMNS = ("from", "to", "capacity", "cost", "risk", "interdiction_cost", "interdiction_delta", "success_prob")


@dataclass(frozen=True)
class Arcs:
    """The network with capacitated or interdictable nodes split into an in-arc pair.

    Arc ``a`` runs ``tail[a] -> head[a]``; ``item[a]`` is ``e`` for original edge
    ``e``, ``-(v + 1)`` for the split arc of node ``v``. ``icost`` is ``nan``
    where the arc cannot be interdicted.
    """

    n: int
    s: int
    t: int
    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    cost: np.ndarray
    icost: np.ndarray
    delta: np.ndarray
    prob: np.ndarray
    item: np.ndarray

    @property
    def m(self) -> int:
        return len(self.tail)


#: Largest finite number accepted for capacities, costs, deltas, demands and penalties: beyond it the
#: solvers' tolerances (about 1e-9 relative) no longer separate distinct plans.
MAX_VALUE = 1e12


def _num(raw: str | float | None, what: str, *, file: str | None, line: int | None, default: float,
         lo: float = 0.0, hi: float = MAX_VALUE, allow_inf: bool = False) -> float:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return default
    if isinstance(raw, float) and math.isnan(raw) and math.isnan(default):
        return default
    try:
        x = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {raw!r}", file=file, path=what, line=line) from None
    if math.isnan(x) or (math.isinf(x) and not (allow_inf and x > 0)) or x < lo or (math.isfinite(x) and x > hi):
        rng = f"[{lo:g}, {hi:g}]" + (" or inf" if allow_inf else "")
        raise InputError(f"{what} must be a number {rng}, got {raw!r}", file=file, path=what, line=line)
    return x


def check_number(x, what: str, *, lo: float = 0.0, hi: float = MAX_VALUE) -> float:
    """A finite number in ``[lo, hi]`` given as an argument (``InputError`` naming ``what`` otherwise)."""
    if x is None or isinstance(x, bool):
        raise InputError(f"{what} must be a finite number in [{lo:g}, {hi:g}], got {x!r}", path=what)
    return _num(x, what, file=None, line=None, default=0.0, lo=lo, hi=hi)


@dataclass(frozen=True, eq=False)
class InterdictionNetwork:
    """A directed s-t network with interdiction data; see the module docstring.

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges(
    ...     [{"from": "s", "to": "a", "capacity": 5}, {"from": "a", "to": "t", "capacity": 3,
    ...       "interdiction_cost": 1}], source="s", sink="t")
    >>> net.n_nodes, net.n_edges, net.node_ids[net.sink]
    (3, 2, 't')
    """

    node_ids: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    interdiction_cost: np.ndarray
    interdiction_delta: np.ndarray
    success_prob: np.ndarray
    node_capacity: np.ndarray
    node_interdiction_cost: np.ndarray
    node_success_prob: np.ndarray
    source: int
    sink: int

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    @property
    def node_index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.node_ids)}

    def edge_label(self, e: int) -> tuple[str, str]:
        return (self.node_ids[self.src[e]], self.node_ids[self.dst[e]])

    # ------------------------------------------------------------------ building
    @classmethod
    def from_edges(cls, rows: Iterable[Mapping], *, source: str, sink: str,
                   nodes: Iterable[Mapping] = (), file: str | None = None,
                   nodes_file: str | None = None, first_line: int = 2) -> InterdictionNetwork:
        """Build from edge rows (keys as in the CSV) and optional node rows ``{id, interdiction_cost, ...}``."""
        index: dict[str, int] = {}
        cols: dict[str, list[float]] = {k: [] for k in ("cap", "cost", "ic", "delta", "p")}
        src, dst, seen = [], [], set()
        for i, row in enumerate(rows):
            line = first_line + i if file else None
            a, b = (str(row.get("from") or "").strip(), str(row.get("to") or "").strip())
            if not a or not b:
                raise InputError("every edge needs 'from' and 'to'", file=file, path=f"edges[{i}]", line=line)
            if a == b:
                raise InputError(f"self-loop {a} -> {a}", file=file, path=f"edges[{i}]", line=line)
            if (a, b) in seen:
                raise InputError(f"duplicate edge {a} -> {b}", file=file, path=f"edges[{i}]", line=line)
            seen.add((a, b))
            if "capacity" not in row or row.get("capacity") in (None, ""):
                raise InputError(f"edge {a} -> {b} needs a capacity", file=file, path="capacity", line=line)
            src.append(index.setdefault(a, len(index)))
            dst.append(index.setdefault(b, len(index)))
            cols["cap"].append(_num(row["capacity"], "capacity", file=file, line=line, default=0, allow_inf=True))
            cols["cost"].append(_num(row.get("cost"), "cost", file=file, line=line, default=0.0))
            cols["ic"].append(_num(row.get("interdiction_cost"), "interdiction_cost", file=file, line=line,
                                   default=math.nan))
            cols["delta"].append(_num(row.get("interdiction_delta"), "interdiction_delta", file=file, line=line,
                                      default=math.nan))
            cols["p"].append(_num(row.get("success_prob"), "success_prob", file=file, line=line, default=1.0,
                                  hi=1.0))
        for name, v in (("source", source), ("sink", sink)):
            if v not in index:
                raise InputError(f"{name} '{v}' is not a node of any edge", file=file, path=name)
        if source == sink:
            raise InputError("source and sink must differ", file=file, path="sink")
        n = len(index)
        ncost = np.full(n, math.nan)
        nprob = np.ones(n)
        ncap = np.full(n, math.inf)
        for i, row in enumerate(nodes):
            line = first_line + i if nodes_file else None
            v = str(row.get("id") or "").strip()
            if v not in index:
                raise InputError(f"unknown node '{v}'", file=nodes_file, path=f"nodes[{i}].id", line=line)
            ncost[index[v]] = _num(row.get("interdiction_cost"), "interdiction_cost", file=nodes_file, line=line,
                                   default=math.nan)
            if v in (source, sink) and math.isfinite(ncost[index[v]]):
                raise InputError(f"node '{v}' is the {'source' if v == source else 'sink'} and cannot be "
                                 "interdicted (give its arcs an interdiction cost instead)",
                                 file=nodes_file, path=f"nodes[{i}].interdiction_cost", line=line)
            nprob[index[v]] = _num(row.get("success_prob"), "success_prob", file=nodes_file, line=line,
                                   default=1.0, hi=1.0)
            ncap[index[v]] = _num(row.get("capacity"), "capacity", file=nodes_file, line=line,
                                  default=math.inf, allow_inf=True)
        return cls(tuple(index), np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                   np.array(cols["cap"]), np.array(cols["cost"]), np.array(cols["ic"]),
                   np.array(cols["delta"]), np.array(cols["p"]), ncap, ncost, nprob,
                   index[source], index[sink])

    @classmethod
    def from_csv(cls, path: str | Path, *, source: str | None, sink: str | None,
                 nodes: str | Path | None = None) -> InterdictionNetwork:
        """Read an edge-list CSV (``from,to,capacity[,cost,interdiction_cost,interdiction_delta,success_prob]``)."""
        file = str(path)
        rows = _read_csv(path, required=("from", "to", "capacity"), allowed=EDGE_COLUMNS)
        if source is None or sink is None:
            raise InputError("an edge-list network needs --source and --sink", file=file)
        node_rows = _read_csv(nodes, required=("id",),
                              allowed=("id", "interdiction_cost", "success_prob", "capacity")) if nodes else []
        return cls.from_edges(rows, source=source, sink=sink, nodes=node_rows, file=file,
                              nodes_file=str(nodes) if nodes else None)

    @classmethod
    def from_scenario(cls, scenario, *, include_dormant: bool = False, edge_cost: float | None = 1.0,
                      node_cost: float | None = 1.0, node_kinds: tuple[str, ...] = ("hub", "transit"),
                      source: str | None = None, sink: str | None = None) -> InterdictionNetwork:
        """A scenario's network, sources joined to a super-source (capacity: production) and markets
        to a super-sink (unlimited), unless ``source``/``sink`` name nodes. Edges and nodes of
        ``node_kinds`` get interdiction costs ``edge_cost`` and ``node_cost`` (``None``: not interdictable);
        node capacities are kept. Edge ``cost`` is the scenario's USD/kg.

        Examples
        --------
        >>> from counterflow import load_scenario
        >>> net = InterdictionNetwork.from_scenario(load_scenario("caribbean"))
        >>> net.node_ids[net.source], net.node_ids[net.sink]
        ('_source', '_sink')
        """
        ids = {nd.id for nd in scenario.nodes}
        for name, v in (("source", source), ("sink", sink)):
            if v is not None and v not in ids:
                raise InputError(f"{name} '{v}' is not a node of scenario '{scenario.name}'", path=name)
        nodes = [nd for nd in scenario.nodes if include_dormant or not nd.dormant]
        keep = {nd.id for nd in nodes}
        production: dict[str, float] = {}
        for org in scenario.organisations:
            for v, kg in org.production.items():
                production[v] = production.get(v, 0.0) + kg
        merged: dict[tuple[str, str], dict] = {}
        for e in scenario.edges:
            if e.src not in keep or e.dst not in keep or (e.dormant and not include_dormant):
                continue
            row = merged.get((e.src, e.dst))
            if row is None:
                merged[(e.src, e.dst)] = {"from": e.src, "to": e.dst, "capacity": e.capacity, "cost": e.cost,
                                          "interdiction_cost": edge_cost}
            else:
                row["capacity"] += e.capacity
                row["cost"] = min(row["cost"], e.cost)
        rows = list(merged.values())
        s, t = source or SUPER_SOURCE, sink or SUPER_SINK
        if source is None:
            rows += [{"from": s, "to": nd.id, "capacity": production.get(nd.id, math.inf)}
                     for nd in nodes if nd.kind == "source"]
        if sink is None:
            rows += [{"from": m.node, "to": t, "capacity": math.inf} for m in scenario.markets if m.node in keep]
        node_rows = [{"id": nd.id, "capacity": nd.capacity,
                      "interdiction_cost": node_cost if nd.kind in node_kinds and nd.id not in (s, t) else None}
                     for nd in nodes if any(nd.id in (r["from"], r["to"]) for r in rows)]
        if not any(r["from"] == s for r in rows) or not any(r["to"] == t for r in rows):
            raise InputError(f"scenario '{scenario.name}' has no source or no market to connect")
        return cls.from_edges(rows, source=s, sink=t, nodes=node_rows)

    def with_node_costs(self, path: str | Path) -> InterdictionNetwork:
        """This network with the interdiction costs of a CSV ``id,interdiction_cost`` (the nodes it
        lists; the others keep theirs). A bad row is an :class:`InputError` naming the file and line:
        an unknown node, a cost that is not a number in range, or a cost on the source or sink."""
        import dataclasses

        file = str(path)
        idx = self.node_index
        cost = self.node_interdiction_cost.copy()
        for i, row in enumerate(_read_csv(path, required=("id", "interdiction_cost"),
                                          allowed=("id", "interdiction_cost"))):
            v = (row["id"] or "").strip()
            if v not in idx:
                raise InputError(f"unknown node '{v}'", file=file, line=i + 2)
            cost[idx[v]] = _num(row["interdiction_cost"], "interdiction_cost", file=file, line=i + 2,
                                default=math.nan)
            if idx[v] in (self.source, self.sink) and math.isfinite(cost[idx[v]]):
                raise InputError(f"node '{v}' is the source or sink and cannot be interdicted", file=file,
                                 line=i + 2)
        return dataclasses.replace(self, node_interdiction_cost=cost)

    # ------------------------------------------------------------------ expanded form
    def arcs(self) -> Arcs:
        """The split-node arc form every optimiser and evaluator uses."""
        n = self.n_nodes
        st = np.zeros(n, dtype=bool)
        st[[self.source, self.sink]] = True
        split = (~st) & (np.isfinite(self.node_capacity) | np.isfinite(self.node_interdiction_cost))
        out = np.arange(n)
        split_nodes = np.flatnonzero(split)
        out[split_nodes] = n + np.arange(split_nodes.size)
        icost = self.interdiction_cost
        return Arcs(
            n=n + split_nodes.size, s=self.source, t=self.sink,
            tail=np.concatenate([out[self.src], split_nodes]),
            head=np.concatenate([self.dst, out[split_nodes]]),
            cap=np.concatenate([self.capacity, self.node_capacity[split_nodes]]),
            cost=np.concatenate([self.cost, np.zeros(split_nodes.size)]),
            icost=np.concatenate([icost, self.node_interdiction_cost[split_nodes]]),
            delta=np.concatenate([self.interdiction_delta, np.full(split_nodes.size, math.nan)]),
            prob=np.concatenate([self.success_prob, self.node_success_prob[split_nodes]]),
            item=np.concatenate([np.arange(self.n_edges), -(split_nodes + 1)]),
        )

    def considered(self, budget: float = math.inf) -> dict:
        """What an optimiser may interdict: counts of costed edges and nodes (those costing at most
        ``budget``), how many of the edges touch the source or sink, and the edges this module added
        itself (super-source and super-sink arcs), which are never interdicted."""
        ok_e = np.isfinite(self.interdiction_cost) & (self.interdiction_cost <= budget + 1e-9)
        ok_n = np.isfinite(self.node_interdiction_cost) & (self.node_interdiction_cost <= budget + 1e-9)
        st = np.isin(self.src, [self.source, self.sink]) | np.isin(self.dst, [self.source, self.sink])
        special = [i for i, name in enumerate(self.node_ids) if name in (SUPER_SOURCE, SUPER_SINK)]
        added = [list(self.edge_label(int(e)))
                 for e in np.flatnonzero(np.isin(self.src, special) | np.isin(self.dst, special))]
        return {"edges": int(ok_e.sum()), "nodes": int(ok_n.sum()),
                "edges_at_source_or_sink": int((ok_e & st).sum()),
                "exempt_edges_added_by_tool": added}

    def plan_arcs(self, arcs: Arcs, edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> np.ndarray:
        """Boolean mask over ``arcs`` of the arcs a plan interdicts."""
        want = [int(e) for e in edges] + [-(int(v) + 1) for v in nodes]
        return np.isin(arcs.item, np.asarray(want, dtype=np.int64))

    def plan_cost(self, edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> float:
        """What a plan costs; ``inf`` if it names an item that cannot be interdicted."""
        arcs = self.arcs()
        return float(np.sum(arcs.icost[self.plan_arcs(arcs, edges, nodes)]))

    def resolve_plan(self, edges: Iterable[tuple[str, str]] = (), nodes: Iterable[str] = ()) -> tuple[list[int], list[int]]:
        """Edge and node indices of a plan given by ids."""
        idx = self.node_index
        lookup = {(int(a), int(b)): e for e, (a, b) in enumerate(zip(self.src, self.dst, strict=True))}
        try:
            es = [lookup[(idx[a], idx[b])] for a, b in edges]
            vs = [idx[v] for v in nodes]
        except KeyError as exc:
            raise InputError(f"plan names an unknown node or edge: {exc.args[0]}") from None
        return es, vs


def _read_csv(path: str | Path, *, required: tuple[str, ...], allowed: tuple[str, ...]) -> list[dict]:
    file = str(path)
    try:
        return _read_csv_rows(path, file, required, allowed)
    except UnicodeDecodeError:
        with open(path, "rb") as fb:
            data = fb.read()
        try:
            data.decode("utf-8")
            bad, line = 0, 1
        except UnicodeDecodeError as exc:
            bad, line = data[exc.start], data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{bad:02x}); save the file as UTF-8", file=file,
                         line=line) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=file) from None


def _read_csv_rows(path, file: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise InputError("empty file (expected a header line)", file=file, line=1)
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)} (header: {','.join(header)})", file=file, line=1)
        unknown = [c for c in header if c not in allowed]
        if unknown:
            raise InputError(f"unknown column(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}",
                             file=file, line=1)
        reader.fieldnames = header
        rows = []
        for row in reader:
            if None in row:
                raise InputError("more fields than header columns", file=file, line=reader.line_num)
            rows.append(row)
    return rows
