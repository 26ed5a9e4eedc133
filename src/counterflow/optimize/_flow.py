"""Fast repeated maximum flows on one network with different arcs removed (scipy's Dinic).

The stochastic optimisers evaluate thousands of (plan, success pattern) pairs on one
network; building a networkx graph for each is the bottleneck. :class:`FlowOracle`
keeps the network as one CSR matrix and zeroes the capacities of removed arcs.
Unlimited capacities become ``big`` (one more than the sum of the finite ones), so a
flow of ``big`` or more means an unlimited s-t path survives (reported as ``inf``).
Non-integer capacities fall back to networkx.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from .graph import Arcs

__all__ = ["FlowOracle"]

_INT_MAX = 2**31 - 1


class FlowOracle:
    """Maximum s-t flow of ``arcs`` with a boolean mask of removed arcs; results are cached."""

    def __init__(self, arcs: Arcs):
        self.arcs = arcs
        fin = np.isfinite(arcs.cap)
        total = float(np.sum(arcs.cap[fin]))
        self.big = total + 1.0
        self.integral = bool(np.all(arcs.cap[fin] == np.round(arcs.cap[fin]))) and self.big * 2 < _INT_MAX
        cap = np.where(fin, arcs.cap, self.big)
        self.cap = cap
        order = np.lexsort((arcs.head, arcs.tail))
        self._order = order
        indptr = np.zeros(arcs.n + 1, dtype=np.int32)
        np.add.at(indptr, arcs.tail + 1, 1)
        self._indptr = np.cumsum(indptr).astype(np.int32)
        self._indices = arcs.head[order].astype(np.int32)
        self._base = cap[order].astype(np.int64) if self.integral else cap[order]
        self.cache: dict[bytes, float] = {}
        self.calls = 0

    def _matrix(self, removed: np.ndarray) -> sp.csr_matrix:
        data = self._base.copy()
        data[removed[self._order]] = 0
        return sp.csr_matrix((data.astype(np.int32), self._indices, self._indptr), shape=(self.arcs.n, self.arcs.n))

    def flow(self, removed: np.ndarray) -> float:
        """Maximum flow with ``removed`` (boolean over arcs) taken out; ``inf`` if unlimited."""
        key = np.packbits(removed).tobytes()
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        self.calls += 1
        if self.integral:
            value = float(maximum_flow(self._matrix(removed), self.arcs.s, self.arcs.t).flow_value)
        else:
            value = self._nx_flow(removed)[0]
        value = math.inf if value >= self.big - 0.5 else value
        self.cache[key] = value
        return value

    def flow_and_arcs(self, removed: np.ndarray) -> tuple[float, np.ndarray]:
        """Maximum flow (``big`` standing for unlimited) and a flow on every arc achieving it."""
        if self.integral:
            res = maximum_flow(self._matrix(removed), self.arcs.s, self.arcs.t)
            f = np.asarray(res.flow[self.arcs.tail, self.arcs.head], dtype=float).ravel()
            x = np.maximum(f, 0.0)
            x[removed] = 0.0
            return float(res.flow_value), x
        return self._nx_flow(removed)

    def _nx_flow(self, removed: np.ndarray) -> tuple[float, np.ndarray]:
        import networkx as nx

        a = self.arcs
        g = nx.DiGraph()
        g.add_nodes_from(range(a.n))
        for i in np.flatnonzero(~removed):
            g.add_edge(int(a.tail[i]), int(a.head[i]), capacity=float(self.cap[i]))
        value, fd = nx.maximum_flow(g, a.s, a.t)
        x = np.array([0.0 if removed[i] else max(fd[int(a.tail[i])].get(int(a.head[i]), 0.0)
                                                  - fd[int(a.head[i])].get(int(a.tail[i]), 0.0), 0.0)
                      for i in range(a.m)])
        return float(value), x
