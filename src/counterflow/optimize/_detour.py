"""Upper bounds on the evader's cost after one more interdiction, from the last optimal flow.

Let ``y`` be an optimal flow of plan ``S`` (cost ``V(S)``) and ``b`` an arc carrying ``y_b > 0``.
Under ``S + {b}`` the flow ``y`` still ships the demand, at ``V(S) + delta_b y_b``. Taking ``f``
units off ``b`` and sending them from ``b``'s tail to its head along a path ``P`` of ``y``'s
residual network that avoids ``b`` gives another feasible flow, cheaper by ``f (c_b + delta_b -
c(P))``. :func:`detour_saving` repeats this along shortest residual paths (successive shortest
paths, reverse arcs included, node potentials from the LP's row duals so every reduced cost is
non-negative) while a path is cheaper than keeping the flow on ``b``. The flow it builds is
feasible whatever the rounding (capacities are respected and each path's *true* cost is used), so
``V(S) + delta_b y_b - saving`` is a valid upper bound on ``V(S + {b})``; in exact arithmetic it is
``V(S + {b})`` itself (re-optimising after one cost rises only cancels cycles through ``b``'s
reverse arc). The branch and bound uses it to skip the LP of a leaf that cannot beat the incumbent.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile
from ._heap import heap_pop, heap_push
from .graph import Arcs

__all__ = ["Residual", "detour_saving"]

_BIG = 1e18


class Residual:
    """The residual network of flow ``y`` (columns: arcs, then the unmet-demand arc ``s -> t``)."""

    def __init__(self, arcs: Arcs, y: np.ndarray, cost: np.ndarray, cap: np.ndarray, potential: np.ndarray):
        m1 = y.size
        tail = np.append(arcs.tail, arcs.s).astype(np.int64)
        head = np.append(arcs.head, arcs.t).astype(np.int64)
        cap = np.where(np.isfinite(cap), cap, _BIG)
        # residual arc 2a: a forward (capacity cap - y, cost c); 2a + 1: a backward (capacity y, cost -c)
        frm = np.empty(2 * m1, dtype=np.int64)
        frm[0::2], frm[1::2] = tail, head
        to = np.empty(2 * m1, dtype=np.int64)
        to[0::2], to[1::2] = head, tail
        c = np.empty(2 * m1)
        c[0::2], c[1::2] = cost, -cost
        rc = np.empty(2 * m1)
        rc[0::2], rc[1::2] = np.maximum(cap - y, 0.0), np.maximum(y, 0.0)
        order = np.argsort(frm, kind="stable")
        pos = np.empty(2 * m1, dtype=np.int64)
        pos[order] = np.arange(2 * m1)
        self.start = np.zeros(arcs.n + 1, dtype=np.int64)
        np.add.at(self.start, frm + 1, 1)
        self.start = np.cumsum(self.start)
        self.to = to[order]
        self.rev = pos[order ^ 1]  # the partner of residual arc k is k ^ 1
        self.cost = c[order]
        self.cap = rc[order]
        self.fwd = pos[0::2]  # position of each column's forward arc
        self.bwd = pos[1::2]
        self.out = np.empty_like(self.cap)
        self.potential = np.asarray(potential, dtype=float)
        self.y = y
        self.tail, self.head = tail, head

    def bound(self, value: float, b: int, base_cost: float, delta: float, target: float = np.nan,
              rounds: int = 100) -> tuple[float, np.ndarray]:
        """An upper bound on the cost after ``b`` (cost ``base_cost``) is lengthened by ``delta``, from
        ``value``, this flow's cost without it, and the feasible flow (every column) that has that cost.
        Detours stop early once the bound is below ``target`` or cannot get there (``nan``: never)."""
        yb = float(self.y[b])
        ub = value + delta * yb
        if yb <= 1e-12:
            return ub, self.y.copy()
        f = int(self.fwd[b])
        ub, left = detour_saving(self.start, self.to, self.rev, self.cost, self.cap, self.potential,
                                 f, int(self.rev[f]), int(self.tail[b]), int(self.head[b]),
                                 yb, base_cost + delta, ub, float(target), rounds, self.out)
        flow = self.out[self.bwd]  # a column's backward residual capacity is its flow
        flow[b] = left
        return float(ub), flow


@njit(cache=True)
def detour_saving(start, to, rev, cost, cap0, p0, b_fwd, b_bwd, u, v, amount, unit, ub, target,
                  rounds, cap):  # pragma: no cover
    """Successive shortest detours from ``u`` to ``v`` for up to ``amount`` units, each only while its
    true cost is below ``unit``; arcs ``b_fwd``/``b_bwd`` are closed. Returns ``ub`` less the saving,
    stopping once that is below ``target`` or cannot reach it (later detours cost at least as much),
    and the units left on ``b``; ``cap`` receives the final residual capacities."""
    n = start.size - 1
    cap[:] = cap0
    cap[b_fwd] = 0.0
    cap[b_bwd] = 0.0
    p = p0.copy()
    dist = np.empty(n)
    pred = np.empty(n, np.int64)
    done = np.empty(n, np.bool_)
    size = cap.size + n + 2
    hd = np.empty(size)
    hv = np.empty(size, np.int64)
    left = amount
    for _ in range(rounds):
        for x in range(n):
            dist[x] = np.inf
            pred[x] = -1
            done[x] = False
        dist[u] = 0.0
        hn = heap_push(hd, hv, 0, 0.0, u)
        limit = unit - p[u] + p[v] + 1e-9 * (1.0 + abs(unit))
        while hn > 0:
            d, x, hn = heap_pop(hd, hv, hn)
            if done[x]:
                continue
            if d > limit:
                break
            done[x] = True
            if x == v:
                break
            for a in range(start[x], start[x + 1]):
                if cap[a] <= 1e-12:
                    continue
                z = to[a]
                if done[z]:
                    continue
                w = cost[a] - p[x] + p[z]
                if w < 0.0:
                    w = 0.0
                nd = d + w
                if nd < dist[z]:
                    dist[z] = nd
                    pred[z] = a
                    hn = heap_push(hd, hv, hn, nd, z)
        if not done[v]:
            break
        length = 0.0
        f = left
        z = v
        while z != u:
            a = pred[z]
            length += cost[a]
            if cap[a] < f:
                f = cap[a]
            z = to[rev[a]]
        gain = unit - length
        if gain <= 0.0 or f <= 1e-12:
            break
        ub -= f * gain
        left -= f
        z = v
        while z != u:
            a = pred[z]
            cap[a] -= f
            cap[rev[a]] += f
            z = to[rev[a]]
        if ub < target or ub - left * gain >= target:
            break
        dv = dist[v]
        for x in range(n):  # Johnson: reduced costs stay non-negative (clipped at 0 for rounding)
            p[x] -= dist[x] if done[x] else dv
        if left <= 1e-12:
            break
    cap[b_fwd] = cap0[b_fwd]
    cap[b_bwd] = cap0[b_bwd]
    return ub, left
