"""Test and benchmark instances: Israeli-Wood grids and small random networks."""

from __future__ import annotations

import math

import numpy as np

from .graph import InterdictionNetwork

__all__ = ["grid_network", "random_network", "mcf_grid_instance", "road_network"]


def grid_network(rows: int, cols: int, seed: int = 0, *, lo: int = 1, hi: int = 20,
                 success_prob: float = 1.0, node_cost: float | None = None) -> InterdictionNetwork:
    """An Israeli-Wood style grid: a super-source joined to every node of the first column, the last
    column joined to a super-sink, arcs left to right between neighbouring columns and both ways
    between neighbours in a column. Capacities, lengths (``cost``) and interdiction deltas are uniform
    integers on ``lo..hi``; ``node_cost``: every grid node costs that much to interdict (removing it); every arc between grid nodes costs 1 to interdict (the arcs from ``s`` and
    into ``t`` stand for the super-source and super-sink and cannot be interdicted).

    Examples
    --------
    >>> g = grid_network(3, 4)
    >>> g.n_nodes, g.n_edges
    (14, 31)
    """
    rng = np.random.default_rng(seed)
    rows_ = []

    def node(r: int, c: int) -> str:
        return f"{r}_{c}"

    def arc(a: str, b: str, inner: bool) -> None:
        cap, cost, delta = (int(x) for x in rng.integers(lo, hi + 1, size=3))
        rows_.append({"from": a, "to": b, "capacity": cap, "cost": cost, "interdiction_delta": delta,
                      "interdiction_cost": 1 if inner else None, "success_prob": success_prob})

    for r in range(rows):
        arc("s", node(r, 0), False)
    for c in range(cols):
        for r in range(rows):
            if c + 1 < cols:
                arc(node(r, c), node(r, c + 1), True)
            if r + 1 < rows:
                arc(node(r, c), node(r + 1, c), True)
                arc(node(r + 1, c), node(r, c), True)
    for r in range(rows):
        arc(node(r, cols - 1), "t", False)
    nodes = [] if node_cost is None else [{"id": node(r, c), "interdiction_cost": node_cost}
                                          for r in range(rows) for c in range(cols)]
    return InterdictionNetwork.from_edges(rows_, source="s", sink="t", nodes=nodes)


def mcf_grid_instance(rows: int, cols: int, seed: int = 0) -> tuple[InterdictionNetwork, float, float]:
    """The hard min-cost-flow interdiction family: ``(network, demand, penalty)``.

    An Israeli-Wood grid (:func:`grid_network` with ``seed``: capacities, costs and arc deltas uniform
    on 1..20) in which every grid arc (lengthened by its delta) and every grid node (removed) costs 1
    to interdict. The evader ships ``demand = ceil(F / 2)``, half the grid's maximum flow ``F``, and
    pays ``penalty = 20 * (rows + cols)`` per unit left unshipped (more than any path that only
    moves right costs, so unmet demand is a last resort).

    Examples
    --------
    >>> net, demand, penalty = mcf_grid_instance(3, 3, seed=1)
    >>> net.n_edges, int(np.isfinite(net.node_interdiction_cost).sum()), penalty
    (24, 9, 120.0)
    """
    from .evaluate import max_flow_value

    net = grid_network(rows, cols, seed, node_cost=1.0)
    demand = float(math.ceil(max_flow_value(net) / 2))
    return net, demand, 20.0 * (rows + cols)


def road_network(rows: int, cols: int, seed: int = 0) -> InterdictionNetwork:
    """A road-like network for shortest-path interdiction: a ``rows x cols`` grid with arcs both ways
    between horizontal, vertical and diagonal neighbours, lengths and deltas uniform on 1..100, unit
    interdiction costs on every arc, source and sink at opposite corners. Built directly in arrays.

    Examples
    --------
    >>> g = road_network(3, 3)
    >>> g.n_nodes, g.n_edges
    (9, 40)
    """
    rng = np.random.default_rng(seed)
    idx = np.arange(rows * cols).reshape(rows, cols)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :]), (idx[:-1, :-1], idx[1:, 1:]),
             (idx[:-1, 1:], idx[1:, :-1])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    m = src.size
    n = rows * cols
    return InterdictionNetwork(
        tuple(f"{i // cols}_{i % cols}" for i in range(n)), src.astype(np.int64), dst.astype(np.int64),
        np.ones(m), rng.integers(1, 101, size=m).astype(float), np.ones(m),
        rng.integers(1, 101, size=m).astype(float), np.ones(m), np.full(n, math.inf), np.full(n, math.nan),
        np.ones(n), 0, n - 1)


def random_network(rng: np.random.Generator, n_nodes: int, n_edges: int, *, max_cap: int = 10,
                   max_cost: int = 10, p_interdictable: float = 0.7, p_remove: float = 0.3,
                   p_node: float = 0.3, success_probs: tuple[float, ...] = (1.0,)) -> InterdictionNetwork:
    """A small random s-t network (``s`` is node 0, ``t`` the last) with integer data, for brute-force tests.

    Arcs into ``s`` or out of ``t`` are left out; arcs out of ``s`` and into ``t`` (a direct ``s -> t``
    arc included) carry interdiction costs like any other. A share ``p_remove`` of interdictable arcs
    is removed when interdicted (empty delta), the others lengthened.
    """
    names = ["s"] + [f"v{i}" for i in range(1, n_nodes - 1)] + ["t"]
    pairs = [(a, b) for a in range(n_nodes - 1) for b in range(1, n_nodes) if a != b]
    pick = rng.choice(len(pairs), size=min(n_edges, len(pairs)), replace=False)
    rows = []
    for i in sorted(pick):
        a, b = pairs[i]
        inter = rng.random() < p_interdictable
        rows.append({"from": names[a], "to": names[b], "capacity": int(rng.integers(1, max_cap + 1)),
                     "cost": int(rng.integers(0, max_cost + 1)),
                     "interdiction_cost": int(rng.integers(1, 3)) if inter else None,
                     "interdiction_delta": None if rng.random() < p_remove else int(rng.integers(1, max_cost + 1)),
                     "success_prob": float(rng.choice(success_probs))})
    used = {r["from"] for r in rows} | {r["to"] for r in rows}
    for must in ("s", "t"):
        if must not in used:
            rows.append({"from": "s", "to": "t", "capacity": 1, "cost": max_cost})
            used |= {"s", "t"}
    nodes = [{"id": v, "interdiction_cost": int(rng.integers(1, 3)),
              "success_prob": float(rng.choice(success_probs))}
             for v in names[1:-1] if v in used and rng.random() < p_node]
    return InterdictionNetwork.from_edges(rows, source="s", sink="t", nodes=nodes)
