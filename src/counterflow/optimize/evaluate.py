"""The evader's best response to a fixed plan, computed without any MILP.

These re-evaluate every plan an optimiser returns (max flow and minimum cut
with networkx, shortest paths with Dijkstra, minimum-cost flow as an LP), so a
reported ``value_after`` is always what the plan achieves, whatever the MILP
status.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from .graph import Arcs, InterdictionNetwork

__all__ = ["max_flow_value", "min_cut", "shortest_path_value", "min_cost_flow_value"]


def _graph(arcs: Arcs, keep: np.ndarray, weight: np.ndarray, attr: str) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(arcs.n))
    idx = np.flatnonzero(keep)
    tails, heads, ws = arcs.tail[idx].tolist(), arcs.head[idx].tolist(), weight[idx].tolist()
    g.add_edges_from((u, v, {"arc": a} if attr == "capacity" and math.isinf(w) else {attr: w, "arc": a})
                     for u, v, w, a in zip(tails, heads, ws, idx.tolist(), strict=True))
    return g


def min_cut(net: InterdictionNetwork, edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> tuple[float, list[int]]:
    """Maximum s-t flow after removing a plan, and a minimum cut as a list of arc indices of ``net.arcs()``.

    Returns ``(inf, [])`` when an s-t path of unlimited arcs survives.
    """
    arcs = net.arcs()
    hit = net.plan_arcs(arcs, edges, nodes)
    g = _graph(arcs, ~hit, arcs.cap, "capacity")
    try:
        value, (reach, _) = nx.minimum_cut(g, arcs.s, arcs.t)
    except nx.NetworkXUnbounded:
        return math.inf, []
    reach = set(reach)
    cut = [int(d["arc"]) for u, v, d in g.edges(data=True) if u in reach and v not in reach]
    return float(value), sorted(cut)


def max_flow_value(net: InterdictionNetwork, edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> float:
    """Maximum s-t flow once the plan's arcs and nodes are removed.

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges([{"from": "s", "to": "a", "capacity": 4},
    ...     {"from": "a", "to": "t", "capacity": 3}], source="s", sink="t")
    >>> max_flow_value(net)
    3.0
    """
    return min_cut(net, edges, nodes)[0]


def shortest_path_value(net: InterdictionNetwork, edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> float:
    """Length of the shortest s-t path (lengths: ``cost``) after the plan; ``inf`` if none is left."""
    arcs = net.arcs()
    hit = net.plan_arcs(arcs, edges, nodes)
    remove = hit & np.isnan(arcs.delta)
    length = arcs.cost + np.where(hit & ~remove, np.nan_to_num(arcs.delta), 0.0)
    g = _graph(arcs, ~remove, length, "weight")
    try:
        return float(nx.dijkstra_path_length(g, arcs.s, arcs.t, weight="weight"))
    except nx.NetworkXNoPath:
        return math.inf


def min_cost_flow_value(net: InterdictionNetwork, demand: float, penalty: float,
                        edges: Iterable[int] = (), nodes: Iterable[int] = ()) -> float:
    """Least cost of sending ``demand`` from source to sink after the plan, unmet units costing ``penalty`` each."""
    arcs = net.arcs()
    hit = net.plan_arcs(arcs, edges, nodes)
    remove = hit & np.isnan(arcs.delta)
    cost = arcs.cost + np.where(hit & ~remove, np.nan_to_num(arcs.delta), 0.0)
    m = arcs.m
    cols = np.arange(m + 1)
    tail = np.append(arcs.tail, arcs.s)
    head = np.append(arcs.head, arcs.t)
    a = sp.csr_matrix((np.r_[-np.ones(m + 1), np.ones(m + 1)], (np.r_[tail, head], np.r_[cols, cols])),
                      shape=(arcs.n, m + 1))
    b = np.zeros(arcs.n)
    b[arcs.s], b[arcs.t] = -demand, demand
    ub = np.append(np.where(remove, 0.0, arcs.cap), demand)
    bounds = [(0.0, None if math.isinf(u) else float(u)) for u in ub]
    res = linprog(np.append(cost, penalty), A_eq=a, b_eq=b, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"minimum-cost flow LP failed: {res.message}")
    return float(res.fun)
