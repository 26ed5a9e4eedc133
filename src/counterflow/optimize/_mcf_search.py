"""Min-cost-flow interdiction by flow-hitting branch and bound (``method="search"``).

The evader's value ``V(S)`` (least cost of shipping the demand after plan ``S``) only
rises when interdictions are added, and a plan that leaves every arc of an optimal
flow ``y_S`` of ``S`` untouched leaves ``y_S`` feasible at the same cost. So a plan
better than ``S`` that contains ``S`` must contain an arc carrying ``y_S``'s flow,
and searching ``S -> S + {b}`` over the support ``b`` of ``y_S`` (an interdicted node
is its split arc) reaches an optimal plan (Wood's and Israeli & Wood's observation
for shortest paths, applied to flows).

Bounds: for any flow ``y`` and any plan ``B``, ``V(B) <= c_B(y) = c(y) + sum_{a in B}
delta_a y_a`` (``y`` stays feasible, each interdiction adds at most ``delta_a`` per
unit it carries). A node ``S`` with ``r`` budget left, and its flow ``y_S``, bound
everything below it by ``V(S) + max { sum delta_b y_b : b not in S, budget r }``
(the fractional knapsack, valid for any costs); a child ``S + {b}`` is bounded by the
parent's flow before its own flow is computed. The search is depth-first, children
in decreasing bound; with integer data a bound below ``incumbent + 1`` prunes. When
the time runs out, the largest bound of the open nodes is a proven bound on the
optimum. Each node costs one LP re-solve of the evader's min-cost flow from the
previous basis (HiGHS, objective changes only).

When the time limit stops the search (it gets 85 % of the limit), the open nodes are re-bounded:
by the pool's max-min bound, then by the subtree LP (:class:`_SubtreeLP`: the evader's best flow
against a fractional interdictor of the node's subtree), largest bound first, and every open
node's bound is capped by the root's subtree LP, which bounds every plan.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from ._detour import Residual
from ._milp import new_highs
from .graph import Arcs

__all__ = ["mcf_search", "SearchOutcome"]


@dataclass
class SearchOutcome:
    chosen: np.ndarray
    value: float
    bound: float
    status: str
    stats: dict = field(default_factory=dict)


class _Evader:
    """The evader's min-cost flow LP, kept warm between objective changes."""

    def __init__(self, arcs: Arcs, demand: float, penalty: float):
        m, n = arcs.m, arcs.n
        self.m = m
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = m + 1
        lp.num_row_ = n
        self.base = np.append(arcs.cost.astype(float), penalty)
        lp.col_cost_ = self.base.copy()
        lp.col_lower_ = np.zeros(m + 1)
        ub = np.append(np.where(np.isfinite(arcs.cap), arcs.cap, inf), demand).astype(float)
        lp.col_upper_ = ub
        b = np.zeros(n)
        b[arcs.s], b[arcs.t] = demand, -demand
        lp.row_lower_ = b
        lp.row_upper_ = b
        tail = np.append(arcs.tail, arcs.s)
        head = np.append(arcs.head, arcs.t)
        # column j: +1 at its tail (out), -1 at its head (in)
        rows = np.stack([tail, head], axis=1)
        vals = np.tile([1.0, -1.0], (m + 1, 1))
        order = np.argsort(rows, axis=1)
        rows = np.take_along_axis(rows, order, axis=1)
        vals = np.take_along_axis(vals, order, axis=1)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = (2 * np.arange(m + 2)).astype(np.int32)
        lp.a_matrix_.index_ = rows.ravel().astype(np.int32)
        lp.a_matrix_.value_ = vals.ravel()
        lp.a_matrix_.num_col_ = m + 1
        lp.a_matrix_.num_row_ = n
        lp.sense_ = highspy.ObjSense.kMinimize
        self.h = new_highs()
        self.h.setOptionValue("presolve", "off")
        # only costs change between solves: the last basis stays primal feasible, so primal simplex
        # re-optimises from it (about 30 % faster than the default dual simplex, 15x15 grid)
        self.h.setOptionValue("simplex_strategy", 4)
        self.h.passModel(lp)
        self.cost = self.base.copy()
        self.cap = np.asarray(ub, dtype=float)
        self.solves = 0

    def solve(self, added: np.ndarray) -> tuple[float, np.ndarray]:
        """Least cost and an optimal flow with arc costs ``cost + added`` (``added`` over arcs)."""
        want = self.base.copy()
        want[: self.m] += added
        diff = np.flatnonzero(want != self.cost)
        if diff.size:
            self.h.changeColsCost(int(diff.size), diff.astype(np.int32), want[diff])
            self.cost = want
        self.h.run()
        self.solves += 1
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"evader LP ended {self.h.getModelStatus()}")
        y = np.asarray(self.h.getSolution().col_value, dtype=float)[: self.m]
        return float(self.h.getInfo().objective_function_value), y

    def residual(self, arcs: Arcs) -> Residual:
        """The residual network of the last optimal flow, with the row duals as node potentials."""
        sol = self.h.getSolution()
        return Residual(arcs, np.asarray(sol.col_value, dtype=float), self.cost, self.cap,
                        np.asarray(sol.row_dual, dtype=float))


class _SubtreeLP:
    """The evader's best flow against the fractional interdictor of a whole subtree, an LP bound.

    For a plan ``S`` with ``L`` of the budget left, every plan ``S + B`` below it (``B`` among the
    affordable candidates outside ``S``) has ``V(S + B) <= c_S(y) + sum_{a in B} delta_a y_a`` for every
    feasible flow ``y``, so ``V(S + B) <= min_y [c_S(y) + K_L(delta * y)]`` with ``K_L`` the fractional
    knapsack over the candidates, which LP duality writes as ``min L mu + sum nu_a`` s.t. ``nu_a >=
    delta_a y_a - r_a mu``, ``mu, nu >= 0``. Minimising over ``y, mu, nu`` together is one LP (the
    LP relaxation of the dualised model restricted to the subtree, in its dual form). Unlike the pool's
    bounds it may spread the flow over any routes, not only the pooled flows. The value is recomputed
    from the returned flow (its cost plus the exact fractional knapsack), so solver tolerances cannot
    make it too small beyond the flow's own feasibility tolerance."""

    def __init__(self, arcs: Arcs, cand: np.ndarray, delta: np.ndarray, icost: np.ndarray, demand: float,
                 penalty: float):
        m, n = arcs.m, arcs.n
        self.m, self.cand, self.delta, self.icost = m, cand, delta, icost
        k = cand.size
        inf = highspy.kHighsInf
        self.base = np.append(arcs.cost.astype(float), penalty)
        tail = np.append(arcs.tail, arcs.s)
        head = np.append(arcs.head, arcs.t)
        j = np.arange(m + 1)
        rows = np.concatenate([tail, head, n + np.arange(k), n + np.arange(k), n + np.arange(k)])
        cols = np.concatenate([j, j, cand, np.full(k, m + 1), m + 2 + np.arange(k)])
        vals = np.concatenate([np.ones(m + 1), -np.ones(m + 1), delta[cand], -icost[cand], -np.ones(k)])
        a = sp.csc_matrix((vals, (rows, cols)), shape=(n + k, m + 2 + k))
        a.sort_indices()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m + 2 + k, n + k
        lp.col_cost_ = np.concatenate([self.base, [0.0], np.ones(k)])
        ub = np.append(np.where(np.isfinite(arcs.cap), arcs.cap, inf), demand).astype(float)
        self.cap = ub
        lp.col_lower_ = np.zeros(m + 2 + k)
        lp.col_upper_ = np.concatenate([ub, np.full(k + 1, inf)])
        b = np.zeros(n)
        b[arcs.s], b[arcs.t] = demand, -demand
        lp.row_lower_ = np.concatenate([b, np.full(k, -inf)])
        lp.row_upper_ = np.concatenate([b, np.zeros(k)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.sense_ = highspy.ObjSense.kMinimize
        self.n, self.k, self.tail, self.head, self.supply, self.demand = n, k, tail, head, b, demand
        self.h = new_highs()
        self.h.passModel(lp)
        self.solves = 0
        self.stopped = 0  # LPs not solved (or not finished) by their deadline: no bound claimed

    def bound(self, plan: np.ndarray, left: float, deadline: float | None = None) -> float:
        """An upper bound on ``V(plan + B)`` for every ``B`` outside ``plan`` costing at most ``left``; ``inf``
        (no bound) when the LP is not solved by ``deadline`` (a ``time.perf_counter()`` value): HiGHS gets
        the time left as its limit."""
        limit = math.inf
        if deadline is not None:
            rest = deadline - time.perf_counter()
            if rest <= 0:
                self.stopped += 1
                return math.inf
            # HiGHS's run clock adds up over the runs of one instance: the limit is that clock plus the rest
            limit = float(self.h.getRunTime()) + rest
        self.h.setOptionValue("time_limit", limit)
        m, n, k = self.m, self.n, self.k
        active = (self.icost[self.cand] <= left + 1e-9) & ~np.isin(self.cand, plan)
        # an inactive candidate's row is switched off by freeing its nu (lower bound -inf, cost 0)
        cost = np.concatenate([self.base, [max(left, 0.0)], active.astype(float)])
        cost[plan] += self.delta[plan]
        cols = np.arange(m + 2 + k, dtype=np.int32)
        self.h.changeColsCost(m + 2 + k, cols, cost)
        self.h.changeColsBounds(k, cols[m + 2:], np.where(active, 0.0, -highspy.kHighsInf),
                                np.full(k, highspy.kHighsInf))
        self.h.run()
        self.solves += 1
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            self.stopped += int(self.h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit)
            return math.inf
        y = np.clip(np.asarray(self.h.getSolution().col_value, dtype=float)[: m + 1], 0.0, self.cap)
        # the flow must ship the demand (up to rounding): otherwise no bound is claimed
        net_out = np.bincount(self.tail, weights=y, minlength=n) - np.bincount(self.head, weights=y, minlength=n)
        if np.max(np.abs(net_out - self.supply)) > 1e-6 * max(1.0, self.demand):
            return math.inf
        w = np.zeros(m)
        w[self.cand[active]] = self.delta[self.cand[active]] * y[self.cand[active]]
        value = float(np.dot(cost[: m + 1], y)) + _knapsack_bound(w, self.icost, left)
        return value * (1 + 1e-7) + 1e-3  # a margin for the flow's rounding


def _knapsack_bound(weight: np.ndarray, cost: np.ndarray, left: float) -> float:
    """Fractional knapsack: the most ``weight`` within budget ``left`` (costs may be 0)."""
    pos = weight > 1e-12
    if not np.any(pos) or left < -1e-9:
        return 0.0
    w, c = weight[pos], cost[pos]
    free = c <= 1e-12
    total = float(w[free].sum())
    w, c = w[~free], c[~free]
    order = np.argsort(-w / c, kind="stable")
    cum = np.cumsum(c[order])
    k = int(np.searchsorted(cum, left + 1e-9, side="right"))
    total += float(w[order[:k]].sum())
    if k < order.size:
        spare = left - (cum[k - 1] if k else 0.0)
        total += float(w[order[k]]) * max(spare, 0.0) / float(c[order[k]])
    return total


class _Pool:
    """Evader flows seen so far, as bounds: for every plan ``B``, ``V(B) <= C_i + sum_{a in B} W[a, i]``
    with ``C_i`` the uninterdicted cost of flow ``i`` and ``W[a, i] = delta_a y_ia`` (stored arc-major, so
    that the rows of a plan's arcs are contiguous); each flow also keeps its ``k`` largest weights (to
    bound what ``r`` more interdictions can add) and the sum of all of them."""

    def __init__(self, m: int, k: int, cap: int):
        self.w = np.zeros((m, cap))
        self.c = np.zeros(cap)
        self.total = np.zeros(cap)
        self.topv = np.zeros((cap, k))
        self.topi = np.full((cap, k), -1, dtype=np.int64)
        self.size, self.cap, self.k = 0, cap, k
        self.used = np.zeros(m, dtype=bool)  # arcs with a positive weight in some flow pooled so far

    def add(self, base_cost: float, w: np.ndarray) -> None:
        i = self.size if self.size < self.cap else self.cap - 1 - (self.size % (self.cap // 2))
        self.w[:, i], self.c[i], self.total[i] = w, base_cost, float(w.sum())
        self.used |= w > 0
        k = min(self.k, w.size)
        top = np.argpartition(-w, k - 1)[:k]
        top = top[np.argsort(-w[top], kind="stable")]
        self.topv[i, :k], self.topi[i, :k] = w[top], top
        self.size += 1

    def rows(self) -> int:
        return min(self.size, self.cap)

    def extra(self, plan: np.ndarray, r: int) -> np.ndarray:
        """Per flow, the most ``r`` interdictions outside ``plan`` can add (an upper bound)."""
        p = self.rows()
        if r <= 0:
            return np.zeros(p)
        if r >= self.k:  # beyond the stored top: every remaining positive weight (valid, looser)
            return self.total[:p] - self.w[plan, :p].sum(axis=0)
        v = np.where(np.isin(self.topi[:p], plan), 0.0, self.topv[:p])
        return -np.sort(-v, axis=1)[:, :r].sum(axis=1)

    def at(self, plan: np.ndarray) -> np.ndarray:
        p = self.rows()
        return self.c[:p] + self.w[plan, :p].sum(axis=0)

    def bound(self, plan: np.ndarray, r: int) -> float:
        """The pool's bound on every plan containing ``plan`` with at most ``r`` more interdictions."""
        if not self.rows():
            return math.inf
        return float(np.min(self.at(plan) + self.extra(plan, r)))

    def maxmin(self, plan: np.ndarray, r: int, r_after: int, cols: np.ndarray, stop: float = math.inf,
               chunk: int = 256) -> float:
        """A tighter bound on every plan ``plan + C`` (``C`` within ``cols``, the affordable candidates
        outside ``plan``; at most ``r`` arcs, at most ``r_after`` besides any one of them), with the
        maximum over the first arc ``c`` of ``C`` taken outside the minimum over the flows:

            max( min_i A_i,  max_c min_i (A_i + min(W[c, i] + T_i(r_after), T_i(r))) )

        ``A_i``: flow ``i``'s cost under ``plan``; ``T_i(q)``: the most ``q`` more arcs outside ``plan`` add
        to it (``extra``). For each ``c`` and flow ``i``, ``W[c, i]`` plus the most ``r_after`` other arcs
        add is at most both terms (``c`` counted once), and flow ``i`` stays feasible, so each ``min_i``
        bounds every plan whose arcs beyond ``plan`` include ``c``; the empty ``C`` is the first term. It
        never exceeds :meth:`bound` (each term is at most ``T_i(r)``); with ``r = 1`` and the optimal
        flows of ``plan`` and of every ``plan + {c}`` pooled it is the subtree's exact maximum. Stops
        with ``inf`` ("not below") once some ``c`` reaches ``stop``."""
        p = self.rows()
        if not p:
            return math.inf
        a = self.at(plan)
        best = float(np.min(a))
        if best >= stop:
            return math.inf
        if r <= 0 or cols.size == 0:
            return best
        t_r = self.extra(plan, r)
        t_after = self.extra(plan, r_after) if r_after > 0 else np.zeros(p)
        if not np.all(self.used[cols]):  # every arc no pooled flow uses: one value (its weights are all 0)
            best = max(best, float(np.min(a + t_after)))
            cols = cols[self.used[cols]]
        if best >= stop:
            return math.inf
        if cols.size == 0:
            return best
        # first over the few flows cheapest under ``plan`` (a minimum over fewer flows: an upper bound
        # per column), then exactly, largest first, only for the columns that could still matter
        few = np.argpartition(a, 31)[:32] if p > 32 else np.arange(p)
        rough = np.min(a[few][None, :] + np.minimum(self.w[np.ix_(cols, few)] + t_after[few][None, :],
                                                    t_r[few][None, :]), axis=1)
        order = np.argsort(-rough, kind="stable")
        for lo in range(0, cols.size, chunk):
            top = float(rough[order[lo]])
            if top <= best or (math.isfinite(stop) and top < stop):  # the rest is at most ``top``
                return max(best, top)
            w = self.w[cols[order[lo:lo + chunk]], :p]
            val = float(np.max(np.min(a[None, :] + np.minimum(w + t_after[None, :], t_r[None, :]), axis=1)))
            if val >= stop:
                return math.inf
            best = max(best, val)
        return best


def mcf_search(arcs: Arcs, cand: np.ndarray, delta: np.ndarray, budget: float, demand: float, penalty: float,
               *, integral: bool, time_limit: float | None = None, pool_size: int = 3000,
               lp_share: float = 0.15) -> SearchOutcome:
    """Flow-hitting branch and bound (module docstring). ``cand``: interdictable arcs within budget;
    ``delta``: the added unit cost of each arc when interdicted (removal = ``penalty``). With a time
    limit the search stops after ``1 - lp_share`` of it; when it has not proven its plan, the open
    nodes are re-bounded by the pool's max-min bound and then, in the time left, by the subtree LP
    (:class:`_SubtreeLP`), largest bound first (``lp_share=0``: no LP re-bounding)."""
    t0 = time.perf_counter()
    total_limit = time_limit
    if time_limit is not None and lp_share > 0:
        time_limit = time_limit * (1.0 - lp_share)
    ev = _Evader(arcs, demand, penalty)  # (OR-Tools' min-cost flow rebuilt per node measured slower)
    m = arcs.m
    is_cand = np.zeros(m, dtype=bool)
    is_cand[cand] = True
    icost = np.where(is_cand, arcs.icost, np.inf)
    dmask = np.where(is_cand, delta, 0.0)
    pos_costs = icost[is_cand & (icost > 1e-12)]
    any_free = bool(np.any(is_cand & (icost <= 1e-12)))
    min_cost = float(pos_costs.min()) if pos_costs.size else 1.0

    def count(left: float) -> int:  # most further interdictions within ``left``
        if left < -1e-9:
            return 0
        return int(cand.size) if any_free else int(math.floor(left / min_cost + 1e-9))

    pool = _Pool(m, min(count(budget) + 2, max(int(cand.size), 1)), pool_size)
    eps = 1.0 - 1e-6 if integral else 1e-9

    def tight(plan: np.ndarray, left: float, stop: float = math.inf) -> float:
        """``_Pool.maxmin`` for the plans below ``plan`` with ``left`` to spend (``inf``: not below ``stop``)."""
        r = count(left)
        r_after = r if any_free else count(left - min_cost)
        cols = cand[icost[cand] <= left + 1e-9]
        cols = cols[~np.isin(cols, plan)]
        return pool.maxmin(plan, r, r_after, cols, stop)

    def prunes(ub: float, best: float) -> bool:
        return ub < best + eps if integral else ub <= best * (1 + 1e-9) + 1e-9

    def prunes_all(ub: np.ndarray, best: float) -> np.ndarray:
        return ub < best + eps if integral else ub <= best * (1 + 1e-9) + 1e-9

    best_value, best_plan = -math.inf, np.zeros(0, dtype=np.int64)
    seen: set[bytes] = set()
    nodes = pruned = 0
    lp_seconds = bound_seconds = 0.0
    detoured = 0
    maxmin_calls = 0
    by_depth: dict[int, int] = {}
    found_at = 0

    def evaluate(idx: np.ndarray) -> tuple[float, np.ndarray]:
        """Solve the evader under plan ``idx``, pool its flow, update the incumbent."""
        nonlocal nodes, lp_seconds, best_value, best_plan, found_at
        added = np.zeros(m)
        added[idx] = delta[idx]
        t = time.perf_counter()
        value, y = ev.solve(added)
        lp_seconds += time.perf_counter() - t
        nodes += 1
        by_depth[idx.size] = by_depth.get(idx.size, 0) + 1
        pool.add(value - float(np.dot(added, y)), dmask * y)
        if value > best_value + 1e-9:
            best_value, best_plan, found_at = value, idx, nodes
        return value, y

    def expandable(idx: np.ndarray, value: float, y: np.ndarray, left: float) -> tuple[float, np.ndarray] | None:
        """``(bound, weights of the affordable support)`` when something below ``idx`` may beat the incumbent."""
        if count(left) <= 0:
            return None
        wk = np.where(is_cand & (icost <= left + 1e-9), dmask * y, 0.0)
        wk[idx] = 0.0
        ub = value + _knapsack_bound(wk, icost, left)
        if prunes(ub, best_value) or not np.any(wk > 1e-9):
            return None
        return ub, wk

    # Solved nodes that may still be expanded: (bound, plan, spent, weights of the plan's affordable support).
    # Every child of a node is solved before any grandchild (its flow then bounds its siblings' subtrees:
    # for a plan {a, b}, the flows of {a} and of {b} are both in the pool when it is bounded).
    root = np.zeros(0, dtype=np.int64)
    value0, y0 = evaluate(root)
    seen.add(root.astype(np.int32).tobytes())
    stack: list[tuple[float, tuple[int, ...], float, float, np.ndarray | None]] = []
    first = expandable(root, value0, y0, budget)
    if first is not None:
        stack.append((first[0], (), 0.0, value0, first[1]))
    status = "optimal"
    while stack:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            status = "time_limit"
            break
        ub, plan, spent, value, wk = stack.pop()
        idx = np.array(plan, dtype=np.int64)
        left = budget - spent
        tb = time.perf_counter()
        ub = min(ub, pool.bound(idx, count(left)))
        if prunes(ub, best_value) or wk is None:
            pruned += 1
            bound_seconds += time.perf_counter() - tb
            continue
        kids = np.flatnonzero(wk > 1e-9)
        r_after = count(left - min_cost) if not any_free else count(left)
        # first the node's own flow (one row of the pool: its value plus the kid's weight plus the
        # r_after largest weights), which prunes most kids, then every pooled flow for the rest;
        # the incumbent only rises, so what is pruned now stays pruned
        own = value + wk[kids] + (float(np.sort(wk)[::-1][:r_after].sum()) if r_after > 0 else 0.0)
        kids = kids[~prunes_all(own, best_value)]
        pruned += int(own.size - kids.size)
        base = pool.at(idx) + pool.extra(idx, r_after)
        bounds = np.minimum(np.min(base[None, :] + pool.w[kids, : pool.rows()], axis=1), ub) if kids.size else \
            np.zeros(0)
        bound_seconds += time.perf_counter() - tb
        grown: list[tuple[float, tuple[int, ...], float, float, np.ndarray | None]] = []
        detour: Residual | None = None
        for j in np.argsort(-bounds, kind="stable"):  # largest bound first
            kid = int(kids[j])
            child = tuple(sorted(plan + (kid,)))
            c_spent = spent + float(icost[kid])
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                status = "time_limit"
                grown.append((float(bounds[j]), child, c_spent, math.nan, None))  # unsolved: bounded at the end
                continue
            if prunes(float(bounds[j]), best_value):
                pruned += 1
                continue
            cidx = np.array(child, dtype=np.int64)
            key = cidx.astype(np.int32).tobytes()
            if key in seen:
                continue
            c_left = budget - c_spent
            if prunes(pool.bound(cidx, count(c_left)), best_value):  # siblings' flows may prune it now
                pruned += 1
                continue
            if count(c_left) == 0:  # a leaf: only its own value matters; bound it by a detour first
                if detour is None:
                    t = time.perf_counter()
                    added = np.zeros(m)
                    added[idx] = delta[idx]
                    ev.solve(added)  # the parent again, for its flow and reduced costs
                    lp_seconds += time.perf_counter() - t
                    detour = ev.residual(arcs)
                target = best_value + eps if integral else best_value * (1 + 1e-9) + 1e-9
                ub_k, flow = detour.bound(value, kid, float(ev.base[kid]), float(delta[kid]), target)
                pool.add(float(np.dot(ev.base, flow)), dmask * flow[:m])  # a feasible flow: it bounds every plan
                if prunes(ub_k, best_value):
                    pruned += 1
                    detoured += 1
                    continue
            seen.add(key)
            c_value, c_y = evaluate(cidx)
            more = expandable(cidx, c_value, c_y, c_left)
            if more is not None:
                grown.append((min(float(bounds[j]), more[0]), child, c_spent, c_value, more[1]))
        grown.sort(key=lambda g: g[0])
        stack.extend(grown)  # the largest bound is popped first
        if status == "time_limit":
            break
    open_bound = -math.inf
    # re-bound the open nodes with the final pool (it only tightens), largest bound first; the max-min
    # bound for as long as it takes at most a tenth of the run (30 s at most), the plain one after
    rebound_until = time.perf_counter() + min(30.0, 0.1 * (time.perf_counter() - t0))
    lp_until = -math.inf if total_limit is None or lp_share <= 0 else t0 + total_limit
    sub: _SubtreeLP | None = None
    lp_calls = 0
    lp_rebound_seconds = 0.0
    root_lp = math.inf  # the root's subtree LP bounds every plan (every open node is below the root)
    if stack and status == "time_limit" and lp_until > -math.inf:
        tl = time.perf_counter()
        sub = _SubtreeLP(arcs, cand, delta, icost, demand, penalty)
        root_lp = float(sub.bound(root, budget, lp_until))
        lp_calls += 1
        lp_rebound_seconds += time.perf_counter() - tl
    for b, plan, spent, _, _ in sorted(stack, key=lambda g: -g[0]):
        b = min(b, root_lp)
        if prunes(b, best_value) or b <= open_bound:
            continue
        pidx = np.array(plan, dtype=np.int64)
        b = min(b, pool.bound(pidx, count(budget - spent)))
        if not prunes(b, best_value) and b > open_bound and time.perf_counter() < rebound_until:
            b = min(b, tight(pidx, budget - spent))
            maxmin_calls += 1
        if not prunes(b, best_value) and b > open_bound and time.perf_counter() < lp_until:
            tl = time.perf_counter()
            if sub is None:
                sub = _SubtreeLP(arcs, cand, delta, icost, demand, penalty)
            b = min(b, float(sub.bound(pidx, budget - spent, lp_until)))
            lp_calls += 1
            lp_rebound_seconds += time.perf_counter() - tl
        if not prunes(b, best_value):
            open_bound = max(open_bound, b)
    bound = best_value if status == "optimal" else max(best_value, open_bound)
    if integral and math.isfinite(bound):
        bound = max(best_value, float(math.floor(bound + 1e-9)))  # the optimum is an integer
    if status == "time_limit" and bound <= best_value + (eps if integral else 1e-9):
        status = "optimal"
    return SearchOutcome(np.sort(best_plan), best_value, bound, status,
                         {"search_nodes": nodes, "pruned": pruned, "lp_solves": ev.solves,
                          "lp_seconds": round(lp_seconds, 3), "bound_seconds": round(bound_seconds, 3),
                          "pruned_by_detour": detoured, "open_nodes_rebounded_by_maxmin": maxmin_calls,
                          "nodes_by_depth": {str(k): v for k, v in sorted(by_depth.items())},
                          "incumbent_found_at_node": found_at, "open_nodes_rebounded_by_lp": lp_calls,
                          "lp_rebound_seconds": round(lp_rebound_seconds, 3),
                          "lp_rebounds_stopped_by_time": 0 if sub is None else sub.stopped,
                          "root_lp_bound": root_lp if math.isfinite(root_lp) else None})
