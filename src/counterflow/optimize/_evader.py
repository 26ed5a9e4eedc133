"""The evader of shortest-path interdiction on large networks: A* with the interdiction-free distance to
the sink as its potential.

Interdiction only lengthens arcs, so ``h(v)``, the distance from ``v`` to the sink with no arc
interdicted (one reverse Dijkstra, computed once), never overestimates the remaining distance under
any plan and is consistent: ``h(u) <= c_uv + h(v) <= length_uv + h(v)``. A* with a consistent
potential settles every node at its true distance, so the path it returns is a shortest path, the
same length as Dijkstra's (ties may pick another path). It only settles nodes whose distance plus
potential is below the sink's distance: on a road-like grid with a few interdicted arcs, a band
around the old shortest path instead of the whole network. Nodes that cannot reach the sink
(``h = inf``) are never entered.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.csgraph import dijkstra

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile
from ._heap import heap_pop, heap_push
from .graph import Arcs

__all__ = ["AStar"]


@njit(cache=True)
def _astar(ptr, nbr, arc, tail, length, h, s, t, dist, pred, done):
    """Distance from ``s`` to ``t`` (``inf``: unreachable) and the number of arcs of the path; the path's
    arcs are read back through ``pred`` (the arc entering each settled node). ``dist``, ``pred`` and
    ``done`` are scratch arrays of the node count, reset here; returns (distance, arcs, settled)."""
    n = h.size
    for v in range(n):
        dist[v] = np.inf
        pred[v] = -1
        done[v] = False
    cap = nbr.size + 1
    key = np.empty(cap)
    node = np.empty(cap, dtype=np.int64)
    dist[s] = 0.0
    size = heap_push(key, node, 0, h[s], s)
    settled = 0
    while size > 0:
        _, u, size = heap_pop(key, node, size)
        if done[u]:
            continue
        done[u] = True
        settled += 1
        if u == t:
            break
        du = dist[u]
        for p in range(ptr[u], ptr[u + 1]):
            v = nbr[p]
            if done[v] or h[v] == np.inf:
                continue
            nd = du + length[arc[p]]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = arc[p]
                size = heap_push(key, node, size, nd + h[v], v)
    if not done[t]:
        return np.inf, 0, settled
    count = 0
    v = t
    while v != s:
        count += 1
        v = tail[pred[v]]
    return dist[t], count, settled


@njit(cache=True)
def _path(pred, tail, s, t, count):
    out = np.empty(count, dtype=np.int64)
    v = t
    i = count
    while v != s:
        i -= 1
        out[i] = pred[v]
        v = tail[pred[v]]
    return out


class AStar:
    """Shortest s-t paths of ``arcs`` under lengths at least ``arcs.cost`` (interdiction only adds length).

    ``shortest(length)`` returns ``(value, path)``: the path's length as the exact sum of its arcs'
    lengths and its arc indices in order (``(inf, None)`` when the sink is cut off)."""

    def __init__(self, arcs: Arcs):
        self.arcs = arcs
        n = arcs.n
        order = np.argsort(arcs.tail, kind="stable")
        self.ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(arcs.tail, minlength=n), out=self.ptr[1:])
        self.nbr = arcs.head[order].astype(np.int64)
        self.arc = order.astype(np.int64)
        self.tail = arcs.tail.astype(np.int64)
        # the interdiction-free distance to the sink: Dijkstra from t on the reversed network
        rev = sp.csr_matrix((arcs.cost.astype(float) + 1e-300, (arcs.head, arcs.tail)), shape=(n, n))
        self.h = np.asarray(dijkstra(rev, directed=True, indices=arcs.t), dtype=float)
        self.dist = np.empty(n)
        self.pred = np.empty(n, dtype=np.int64)
        self.done = np.empty(n, dtype=np.bool_)
        self.calls = 0
        self.settled = 0

    def shortest(self, length: np.ndarray) -> tuple[float, np.ndarray | None]:
        self.calls += 1
        a = self.arcs
        length = np.ascontiguousarray(length, dtype=float)
        d, count, settled = _astar(self.ptr, self.nbr, self.arc, self.tail, length, self.h, int(a.s), int(a.t),
                                   self.dist, self.pred, self.done)
        self.settled += int(settled)
        if not math.isfinite(d):
            return math.inf, None
        path = _path(self.pred, self.tail, int(a.s), int(a.t), int(count))
        return float(np.sum(length[path])), path
