"""A compiled successive-shortest-path min-cost-flow solver for small planning problems.

OR-Tools' cost-scaling solver spends ~80 µs per call even on a 30-node
graph, which dominates a step of a small scenario. For small graphs this
solver (Dijkstra with node potentials on the residual graph, O(n^2) per
augmentation at worst, its selection scanning only the nodes reached and not
yet done, compiled with Numba) is exact and several times faster; the
engine uses it below a size threshold and the warm-started network simplex
(``_netsimplex``) or OR-Tools above it. All are checked against networkx in
the tests.

Problem form: integer arc capacities and non-negative integer unit costs,
non-negative supplies at nodes, and one sink that absorbs the total supply.
A feasible flow must exist (the engine's hold arcs guarantee it).

Guards: unit costs outside ``[0, COST_LIMIT]`` (e.g. a float cost of 1e308
cast to an integer) are refused before the search, and a phase that sends
nothing ends the solve; in both cases ``ok`` is False and the caller raises
a clear error instead of spinning (in exact arithmetic every phase sends
flow, so no progress means the arithmetic broke down).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile

__all__ = ["ssp_min_cost_flow", "COST_LIMIT"]

_INF = np.iinfo(np.int64).max // 4
#: Largest unit cost the solver accepts: path lengths of up to 2**12 arcs then stay below _INF.
COST_LIMIT = 2 ** 48


@njit(cache=True)
def ssp_min_cost_flow(n, tails, heads, caps, costs, supply, sink):  # pragma: no cover - compiled
    """Min-cost flow sending every node's supply to ``sink``.

    Returns ``(flow per arc, total cost, ok)``; ``ok`` is False when the
    supply cannot all reach the sink.
    """
    m = tails.shape[0]
    for i in range(m):
        if costs[i] < 0 or costs[i] > COST_LIMIT or caps[i] < 0:
            return np.zeros(m, np.int64), 0, False
    src = n                       # super source
    nn = n + 1
    # residual arcs: 2*m for the problem arcs, 2*k for source arcs
    k = 0
    for v in range(n):
        if supply[v] > 0:
            k += 1
    ma = 2 * (m + k)
    # the solver's integer arrays as views of one block (one allocation instead of fourteen)
    block = np.empty(4 * ma + 2 * m + 8 * nn + 3, np.int64)
    at = 0
    to = block[at:at + ma]
    at += ma
    cap = block[at:at + ma]
    at += ma
    cost = block[at:at + ma]
    at += ma
    rev = block[at:at + ma]
    at += ma
    arc_of = block[at:at + m]  # position of each problem arc's forward residual arc
    at += m
    flow = block[at:at + m]
    at += m
    start = block[at:at + nn + 1]
    at += nn + 1
    fill = block[at:at + nn]
    at += nn
    pot = block[at:at + nn]
    at += nn
    dist = block[at:at + nn]
    at += nn
    frontier = block[at:at + nn]  # reached, not yet done: the only candidates of Dijkstra's selection
    at += nn
    cur = block[at:at + nn]
    at += nn
    stack = block[at:at + nn + 1]
    at += nn + 1
    path_arc = block[at:at + nn + 1]
    start[:] = 0
    pot[:] = 0
    for i in range(m):
        start[tails[i] + 1] += 1
        start[heads[i] + 1] += 1
    for v in range(n):
        if supply[v] > 0:
            start[src + 1] += 1
            start[v + 1] += 1
    for v in range(nn):
        start[v + 1] += start[v]
    fill[:] = start[:-1]
    for i in range(m):
        a = fill[tails[i]]
        fill[tails[i]] += 1
        b = fill[heads[i]]
        fill[heads[i]] += 1
        to[a] = heads[i]
        cap[a] = caps[i]
        cost[a] = costs[i]
        to[b] = tails[i]
        cap[b] = 0
        cost[b] = -costs[i]
        rev[a] = b
        rev[b] = a
        arc_of[i] = a
    total = 0
    for v in range(n):
        if supply[v] > 0:
            a = fill[src]
            fill[src] += 1
            b = fill[v]
            fill[v] += 1
            to[a] = v
            cap[a] = supply[v]
            cost[a] = 0
            to[b] = src
            cap[b] = 0
            cost[b] = 0
            rev[a] = b
            rev[b] = a
            total += supply[v]
    done = np.empty(nn, np.bool_)
    onpath = np.zeros(nn, np.bool_)
    sent = 0
    total_cost = 0
    while sent < total:
        sent_before = sent
        for v in range(nn):
            dist[v] = _INF
            done[v] = False
        dist[src] = 0
        frontier[0] = src
        n_front = 1
        while True:
            # the nearest node not done, the lowest index among equals (a scan of the frontier only)
            u = -1
            best = _INF
            pick = -1
            for i in range(n_front):
                v = frontier[i]
                if dist[v] < best or (dist[v] == best and v < u):
                    best = dist[v]
                    u = v
                    pick = i
            if u == -1:
                break
            n_front -= 1
            frontier[pick] = frontier[n_front]
            done[u] = True
            if u == sink:
                break
            du = dist[u] + pot[u]
            for a in range(start[u], start[u + 1]):
                if cap[a] > 0:
                    w = to[a]
                    nd = du + cost[a] - pot[w]
                    if nd < dist[w]:
                        if dist[w] >= _INF:  # reached for the first time
                            frontier[n_front] = w
                            n_front += 1
                        dist[w] = nd
        if dist[sink] >= _INF:
            break
        dsink = dist[sink]
        for v in range(nn):
            if done[v]:
                pot[v] += dist[v]
            else:
                pot[v] += dsink
        # augment along every shortest path at once: blocking flow on the
        # admissible arcs (zero reduced cost), depth-first with current-arc pointers
        for v in range(nn):
            cur[v] = start[v]
        while sent < total:
            # iterative DFS from src to sink
            depth = 0
            stack[0] = src
            onpath[src] = True
            found = False
            while depth >= 0:
                u = stack[depth]
                if u == sink:
                    found = True
                    break
                advanced = False
                while cur[u] < start[u + 1]:
                    a = cur[u]
                    w = to[a]
                    if cap[a] > 0 and cost[a] + pot[u] - pot[w] == 0 and not onpath[w]:
                        path_arc[depth] = a
                        depth += 1
                        stack[depth] = w
                        onpath[w] = True
                        advanced = True
                        break
                    cur[u] += 1
                if not advanced:
                    onpath[u] = False
                    depth -= 1
                    if depth >= 0:
                        cur[stack[depth]] += 1
            if not found:
                onpath[src] = False
                break
            push = total - sent
            for i in range(depth):
                a = path_arc[i]
                if cap[a] < push:
                    push = cap[a]
            for i in range(depth):
                a = path_arc[i]
                cap[a] -= push
                cap[rev[a]] += push
                total_cost += push * cost[a]
            for i in range(depth + 1):
                onpath[stack[i]] = False
            sent += push
        if sent == sent_before:   # no progress: only broken arithmetic gets here (see the module note)
            break
    for i in range(m):
        flow[i] = cap[rev[arc_of[i]]]
    return flow, total_cost, sent == total
