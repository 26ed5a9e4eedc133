"""Test and benchmark instances: Israeli-Wood grids and small random networks."""

from __future__ import annotations

import numpy as np

from .graph import InterdictionNetwork

__all__ = ["grid_network", "random_network"]


def grid_network(rows: int, cols: int, seed: int = 0, *, lo: int = 1, hi: int = 20,
                 success_prob: float = 1.0) -> InterdictionNetwork:
    """An Israeli-Wood style grid: a super-source joined to every node of the first column, the last
    column joined to a super-sink, arcs left to right between neighbouring columns and both ways
    between neighbours in a column. Capacities, lengths (``cost``) and interdiction deltas are uniform
    integers on ``lo..hi``; every arc between grid nodes costs 1 to interdict (the arcs from ``s`` and
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
    return InterdictionNetwork.from_edges(rows_, source="s", sink="t")


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
