"""Exact shortest-path interdiction by path covering with lazily generated paths.

For an integer target ``T`` the question "is there a budget-feasible plan ``x``
whose interdicted shortest s-t path is at least ``T``?" is a covering problem:
every s-t path ``P`` shorter than ``T`` needs

    sum_{a in P} min(delta_a, T - c(P)) x_a >= T - c(P)

(the coefficient is capped at the need, which is valid for binary ``x``) and so
also ``sum_{a in P} x_a >= k_P``, the fewest arcs of ``P`` whose deltas reach the
need. These are Israeli & Wood's (2002) covering master problem and their
supervalid inequalities relative to an incumbent of value ``T - 1``: they may
cut off every plan no better than the incumbent, never a better one.

Only a pool of paths is kept. A master MILP (HiGHS) over the pool proposes a
plan; Dijkstra checks it: either its shortest path reaches ``T`` (a better
plan: the incumbent rises to its true value and ``T`` to that plus one) or that
path joins the pool. Before each master solve a local search from the last plan
(adding or swapping one arc for an arc of the violating path, as long as the
pool stays covered) feeds further paths and often finds better plans without
the MILP. When the master is infeasible, no plan reaches ``T``: the incumbent is
optimal. Every proof and every value comes from exact integer arithmetic on the
data (lengths, deltas) being integers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from . import _warm
from ._cover_search import cover_search
from ._evader import AStar
from ._milp import solve_milp
from .graph import Arcs

__all__ = ["CoverOutcome", "path_cover_interdiction"]


@dataclass
class CoverOutcome:
    """``chosen``: arc indices of the best plan; ``value``: its shortest path (``>= big``: cut off);
    ``bound``: proven upper bound on the optimum (``value`` when ``status == "optimal"``)."""

    status: str
    chosen: np.ndarray
    value: float
    bound: float
    stats: dict = field(default_factory=dict)


class _Graph:
    """The evader: shortest s-t path under given arc lengths, as ``(length, arcs of the path)``.

    A* with the interdiction-free distance to the sink as potential (:mod:`counterflow.optimize._evader`)
    once its kernel is ready (:mod:`counterflow.optimize._warm`); until then scipy's Dijkstra. Both
    return a shortest path and its length as the exact sum of its arcs' (integer) lengths."""

    def __init__(self, arcs: Arcs):
        self.arcs = arcs
        self._g: sp.csr_matrix | None = None  # the scipy fallback's graph and arc lookup, built on its first call
        self._order = np.zeros(0, dtype=np.int64)
        self._arc_of: dict = {}
        self.astar: AStar | None = None
        self.calls = 0
        self.dijkstra_calls = 0
        self.seconds = 0.0

    def shortest(self, length: np.ndarray) -> tuple[float, np.ndarray | None]:
        t = time.perf_counter()
        try:
            return self._shortest(length)
        finally:
            self.seconds += time.perf_counter() - t

    def _shortest(self, length: np.ndarray) -> tuple[float, np.ndarray | None]:
        self.calls += 1
        if self.astar is None and _warm.ready():
            self.astar = AStar(self.arcs)
        if self.astar is not None:
            return self.astar.shortest(length)
        self.dijkstra_calls += 1
        a = self.arcs
        if self._g is None:
            self._g = sp.csr_matrix((np.arange(a.m) + 1.0, (a.tail, a.head)), shape=(a.n, a.n))
            self._g.sort_indices()
            self._order = np.asarray(self._g.data, dtype=np.int64) - 1  # g.data[i] belongs to arc order[i]
            self._arc_of = {(int(a.tail[i]), int(a.head[i])): i for i in range(a.m)}
        g = self._g.copy()
        g.data = length[self._order] + 1e-300  # explicit zeros would vanish from the sparse graph
        d, pred = dijkstra(g, directed=True, indices=a.s, return_predecessors=True)
        if not np.isfinite(d[a.t]):
            return math.inf, None
        path, v = [], a.t
        while v != a.s:
            u = int(pred[v])
            path.append(self._arc_of[(u, int(v))])
            v = u
        path.reverse()
        # the sum of integers, not Dijkstra's float (1e-300 offsets)
        return float(np.sum(length[path])), np.asarray(path, dtype=np.int64)


class _Pool:
    """The pooled s-t paths in flat arrays: per path its interdiction-free length; per entry (an
    interdictable arc of a path) the path, the master's column and the arc's delta."""

    def __init__(self, col: np.ndarray, delta: np.ndarray, cost: np.ndarray, k: int):
        self.col, self.delta, self.cost, self.k = col, delta, cost, k
        self.length = np.zeros(0)
        self.e_path = np.zeros(0, dtype=np.int64)
        self.e_col = np.zeros(0, dtype=np.int64)
        self.e_delta = np.zeros(0)
        self.paths: list[np.ndarray] = []
        self.seen: set[bytes] = set()
        self._pending: list[tuple[int, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self.paths)

    def add(self, path: np.ndarray | None) -> bool:
        if path is None:
            return False
        key = path.tobytes()
        if key in self.seen:
            return False
        self.seen.add(key)
        self._pending.append((len(self.paths), path))
        self.paths.append(path)
        return True

    def _flush(self) -> None:
        if not self._pending:
            return
        lengths, ep, ec, ed = [], [], [], []
        for i, path in self._pending:
            lengths.append(float(np.sum(self.cost[path])))
            cols = self.col[path]
            on = cols >= 0
            ep.append(np.full(int(on.sum()), i, dtype=np.int64))
            ec.append(cols[on])
            ed.append(self.delta[path[on]])
        self._pending = []
        self.length = np.concatenate([self.length, lengths])
        self.e_path = np.concatenate([self.e_path, *ep])
        self.e_col = np.concatenate([self.e_col, *ec])
        self.e_delta = np.concatenate([self.e_delta, *ed])

    def lengths(self) -> np.ndarray:
        self._flush()
        return self.length

    def rows(self, target: float) -> tuple[sp.csr_matrix, np.ndarray]:
        """Knapsack rows ``M x >= need`` of the pooled paths shorter than ``target`` (coefficients capped at
        the need)."""
        self._flush()
        short = self.length < target
        if not short.any():
            return sp.csr_matrix((0, self.k)), np.zeros(0)
        row_of = np.cumsum(short) - 1
        on = short[self.e_path]
        p = self.e_path[on]
        need = target - self.length[short]
        vals = np.minimum(self.e_delta[on], target - self.length[p])
        m = sp.csr_matrix((vals, (row_of[p], self.e_col[on])), shape=(need.size, self.k))
        return m, need


def path_cover_interdiction(arcs: Arcs, cand: np.ndarray, delta: np.ndarray, budget: float, big: float,
                            upper: float, *, time_limit: float | None = None, seed: int = 0,
                            swaps: int = 30, depth: int = 3, extra: int = 4,
                            search_nodes: int = 5_000_000, bound_share: float = 0.1,
                            max_masters: int | None = None) -> CoverOutcome:
    """Maximise the shortest s-t path over plans ``x`` on the arcs ``cand`` with ``sum icost x <= budget``.

    ``delta``: the added length of every arc (``big`` for removal); ``upper``: an upper bound on the
    optimum (e.g. the distance with every candidate interdicted). Lengths and deltas must be integers.
    A value ``>= big`` means the sink is cut off. ``time_limit``: the best plan found and the bound so
    far are returned with status ``"time_limit"``. ``bound_share``: with a time limit, the share of it
    kept for the pool-cover bound (:func:`_pool_cover_bound`) when the covering loop has not proven
    its incumbent by then (0: the covering loop runs to the limit, the LP bound alone).
    ``max_masters``: stop the covering loop after that many masters, as a time limit would (for tests
    of the bounds of an unfinished run).
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    graph = _Graph(arcs)
    k = cand.size
    icost = arcs.icost[cand].astype(float)
    col = np.full(arcs.m, -1, dtype=np.int64)
    col[cand] = np.arange(k)
    cost = arcs.cost.astype(float)
    upper = min(float(upper), big)
    stats: dict[str, Any] = {"master_solves": 0, "master_milps": 0, "search_nodes": 0, "master_seconds": 0.0,
                             "local_moves": 0, "local_seconds": 0.0, "bound_seconds": 0.0, "proved_by": None}
    pool = _Pool(col, delta, cost, k)

    def length_of(x: np.ndarray) -> np.ndarray:
        extra = np.zeros(arcs.m)
        extra[cand[x]] = delta[cand[x]]
        return cost + extra

    best_x = np.zeros(k, dtype=bool)
    best_val, _ = graph.shortest(cost)
    best_val = min(best_val, big)

    buf = cost.copy()  # the lengths under the plan being evaluated, rewritten in place (no allocation)
    on: np.ndarray = np.zeros(0, dtype=np.int64)

    def evaluate(x: np.ndarray) -> tuple[float, np.ndarray | None]:
        nonlocal best_val, best_x, on
        buf[on] = cost[on]
        on = cand[x]
        buf[on] += delta[on]
        value, path = graph.shortest(buf)
        value = min(value, big)
        if value > best_val:
            best_val, best_x = value, x.copy()
        return value, path

    add = pool.add
    rows = pool.rows

    def neighbours(x: np.ndarray, path: np.ndarray, m: sp.csr_matrix, need: np.ndarray) -> list:
        """Plans one add or one swap away from ``x`` that take up an arc of ``path`` and still cover the pool."""
        fcols = col[path]
        fcols = np.unique(fcols[fcols >= 0])
        fcols = fcols[~x[fcols]]
        if fcols.size == 0:
            return []
        cov = m @ x.astype(float)
        spent = float(icost[x].sum())
        chosen = np.flatnonzero(x)
        mf = m[:, fcols].toarray()
        me = m[:, chosen].toarray()
        out = []
        for j, f in enumerate(fcols):
            if spent + icost[f] <= budget + 1e-9:
                if np.all(cov + mf[:, j] >= need - 1e-9):
                    out.append((-1, int(f)))
            elif chosen.size:
                ok = np.all(cov[:, None] - me + mf[:, j][:, None] >= need[:, None] - 1e-9, axis=0)
                ok &= spent - icost[chosen] + icost[f] <= budget + 1e-9
                out += [(int(e), int(f)) for e in chosen[ok]]
        return out

    def local_search(x: np.ndarray, target: float) -> None:
        """Walk from ``x`` through pool-feasible neighbours, adding each one's violating path."""
        frontier = [x]
        for _ in range(depth):
            nxt = []
            for y in frontier:
                value, path = evaluate(y)
                if value >= target or path is None:
                    return
                add(path)
                m, need = rows(target)
                moves = neighbours(y, path, m, need)
                if len(moves) > swaps:
                    moves = [moves[i] for i in rng.choice(len(moves), swaps, replace=False)]
                for e, f in moves:
                    rem = remaining()
                    if rem is not None and rem <= 0:
                        return
                    z = y.copy()
                    z[f] = True
                    if e >= 0:
                        z[e] = False
                    stats["local_moves"] += 1
                    value, path = evaluate(z)
                    if value >= target:
                        return
                    if add(path):
                        nxt.append(z)
            if not nxt:
                return
            frontier = nxt[:5]

    def more_paths(x: np.ndarray, path: np.ndarray, target: float) -> None:
        """Up to ``extra`` further paths shorter than ``target`` under ``x``: the evader's next path once the
        arcs of the paths found so far are lengthened as if interdicted (what the next master would try)."""
        base = length_of(x)
        probe = base.copy()
        for _ in range(extra):
            on = col[path] >= 0
            probe[path[on]] = cost[path[on]] + np.minimum(delta[path[on]], big)
            _, nxt = graph.shortest(probe)
            if nxt is None or float(np.sum(base[nxt])) >= target:
                return
            add(nxt)
            path = nxt

    def remaining() -> float | None:
        return None if loop_limit is None else loop_limit - (time.perf_counter() - t0)

    share = min(max(bound_share, 0.0), 0.9) if search_nodes > 0 else 0.0
    loop_limit = None if time_limit is None else time_limit * (1.0 - share)

    status = "time_limit"
    x = np.zeros(k, dtype=bool)
    rate = 20000.0  # search nodes per second, measured as the search runs
    while True:
        target = best_val + 1.0
        if best_val >= upper or target > upper:
            status, upper = "optimal", best_val
            break
        rem = remaining()
        if rem is not None and rem <= 0:
            break
        tl = time.perf_counter()
        if max_masters is not None and stats["master_solves"] >= max_masters:
            break
        local_search(x, target)
        stats["local_seconds"] += time.perf_counter() - tl
        if best_val >= target:
            x = best_x.copy()
            continue
        m, need = rows(target)
        used = np.flatnonzero(np.asarray((m != 0).sum(axis=0)).ravel())
        mu = m[:, used].tocsr()
        rem = remaining()
        if rem is not None and rem <= 0:
            break
        ts = time.perf_counter()
        stats["master_solves"] += 1
        found, xs = (-1, None)
        if search_nodes > 0 and _warm.ready():
            # the bounded-depth hitting-set search decides most masters in milliseconds; the MILP
            # takes over when it needs more than ``search_nodes`` nodes
            # the node budget follows the time left at the node rate of the last sizeable search (it
            # falls as the pool grows), so the time limit holds
            # only once the kernel is compiled or read from disk (``_warm``): the first use after an install
            # leaves the masters to HiGHS while it compiles in the background, and no search times numba
            rem = remaining()
            lim = search_nodes if rem is None else int(min(search_nodes, max(rem, 0.5) * rate))
            tsearch = time.perf_counter()
            found, xs, nodes = cover_search(mu, need, icost[used], budget, limit=lim)
            took = time.perf_counter() - tsearch
            if took > 0.05:
                rate = max(nodes / took, 100.0)
            stats["search_nodes"] += nodes
        if found == 0:
            stats["master_seconds"] += time.perf_counter() - ts
            stats["proved_by"] = "search"
            status, upper = "optimal", best_val
            break
        sol_x: np.ndarray | None
        if found == 1:
            assert xs is not None
            sol_x = xs.astype(float)
        else:
            stats["master_milps"] += 1
            a, row_lo, row_hi = _milp_rows(mu, need)
            sol = solve_milp(icost[used], a, row_lo, row_hi, np.zeros(used.size), np.ones(used.size),
                             np.ones(used.size, dtype=bool), time_limit=rem,
                             options={"objective_bound": budget + 1e-6 * max(1.0, budget)})
            sol_x = sol.x
        stats["master_seconds"] += time.perf_counter() - ts
        within = sol_x is not None and float(icost[used] @ (sol_x > 0.5)) <= budget + 1e-9
        if found != 1 and (sol.status == "infeasible" or (sol.status == "optimal" and not within)):
            stats["proved_by"] = "milp"
            status, upper = "optimal", best_val
            break
        if not within or sol_x is None:
            break  # time limit inside the master
        x = np.zeros(k, dtype=bool)
        x[used[sol_x > 0.5]] = True
        value, path = evaluate(x)
        if value < target:
            if not add(path):
                raise RuntimeError("path-cover master returned a plan violating a pooled path")  # pragma: no cover
            assert path is not None
            more_paths(x, path, target)
    if status != "optimal" and len(pool):
        tb = time.perf_counter()
        upper = min(upper, _benders_lp_bound(pool, icost, budget, upper))
        upper = max(upper, best_val)
        stats["bound_by"], stats["lp_bound"] = "lp", upper
        if share > 0 and best_val < upper:
            def probe(x: np.ndarray, target: float) -> float:
                value, path = evaluate(x)
                if value < target and add(path):
                    assert path is not None
                    more_paths(x, path, target)
                return value

            # until the kernels are ready (the first use after an install) HiGHS decides every target
            cover_bound, probes = _pool_cover_bound(pool, icost, budget, best_val, upper,
                                                    None if time_limit is None else t0 + time_limit,
                                                    rate, search_nodes if _warm.ready() else 0, probe)
            stats["bound_probes"] = probes
            if cover_bound < upper:
                upper, stats["bound_by"] = max(cover_bound, best_val), "pool cover"
        if best_val >= upper:  # proven by the bound that reached the incumbent: the LP's or the pool cover's
            status, upper = "optimal", best_val
            stats["proved_by"] = stats["bound_by"]
        stats["bound_seconds"] = time.perf_counter() - tb
    stats.update(pool=len(pool), evader_calls=graph.calls, evader_seconds=graph.seconds, dijkstra=graph.dijkstra_calls,
                 astar_settled=0 if graph.astar is None else graph.astar.settled, seconds=time.perf_counter() - t0)
    return CoverOutcome(status, cand[best_x], best_val, upper, stats)


def _pool_cover_bound(pool: _Pool, icost: np.ndarray, budget: float, best: float, upper: float,
                      deadline: float | None, rate: float, nodes: int, probe: Any,
                      milp: bool = True) -> tuple[float, list]:
    """A proven upper bound ``T - 1`` from the smallest target ``T`` in ``(best, upper]`` found by bisection
    at which no budget-feasible plan covers the pooled paths (the exact hitting-set search says so).

    For a binary plan ``x`` a pooled path's capped row holds at ``T`` iff its interdicted length is at
    least ``T``, so "no cover at ``T``" means every plan leaves some pooled path (hence the evader) below
    ``T``: the optimum is at most ``T - 1``; and a cover at ``T`` is one at every smaller target, so the
    answers are monotone in ``T``. ``upper`` is a proven bound (the bisection assumes the pool has no
    cover above it, as the Benders LP's bound ensures; were that not so the result is still ``upper``
    or a proven ``T - 1``). A cover the search finds goes to ``probe(x, T)`` (the evader: a better incumbent, or its
    path joins the pool and the same target is tried again, at most a few times). Undecided searches (the
    node limit, ``nodes`` or from ``rate`` and the time to ``deadline``) go to HiGHS (``milp``) for a share
    of the time left; still undecided, they count as covers (``nodes=0``: no search, HiGHS decides every
    target, as before the search's kernel is ready). Returns the bound (``upper``
    when nothing was proven) and the probes made, as ``(target, outcome)``."""
    lo, hi = float(best), float(upper) + 1.0  # a cover may exist at lo; none exists at hi
    probes: list = []
    retries = 0
    while hi - lo > 1.0:
        left = math.inf if deadline is None else deadline - time.perf_counter()
        if left <= 0:
            break
        mid = math.floor((lo + hi) / 2.0)
        m, need = pool.rows(mid)
        used = np.flatnonzero(np.asarray((m != 0).sum(axis=0)).ravel())
        # each probe gets an equal share of the time left over the probes still to come, at the node
        # rate measured on this pool's probes
        found, xs = -1, None
        if nodes > 0:  # 0: the search's kernel is not ready, HiGHS decides
            lim = min(nodes, max(int(max(min(left, 1e9), 0.05) * rate / max(1.0, math.log2(hi - lo))), 1000))
            ts = time.perf_counter()
            found, xs, done = cover_search(m[:, used].tocsr(), need, icost[used], budget, limit=lim)
            took = time.perf_counter() - ts
            if took > 0.01:
                rate = max(done / took, 100.0)
        if found == -1 and milp:
            # undecided by the search: HiGHS (the covering master with its cardinality rows, LP bounds
            # and cuts) for an equal share of the time left, as in the covering loop
            left = math.inf if deadline is None else deadline - time.perf_counter()
            if left > 0.05:
                mu = m[:, used].tocsr()
                a, row_lo, row_hi = _milp_rows(mu, need)
                sol = solve_milp(icost[used], a, row_lo, row_hi, np.zeros(used.size), np.ones(used.size),
                                 np.ones(used.size, dtype=bool),
                                 time_limit=None if deadline is None else left / max(1.0, math.log2(hi - lo)),
                                 options={"objective_bound": budget + 1e-6 * max(1.0, budget)})
                within = sol.x is not None and float(icost[used] @ (sol.x > 0.5)) <= budget + 1e-9
                if sol.status == "infeasible" or (sol.status == "optimal" and not within):
                    found = 0
                elif within and sol.x is not None:
                    found, xs = 1, sol.x > 0.5
        probes.append((int(mid), int(found)))
        if found == 0:
            hi = mid
            continue
        if found == 1 and xs is not None and retries < 20:
            x = np.zeros(pool.k, dtype=bool)
            x[used[xs]] = True
            value = probe(x, mid)
            if value < mid:  # the plan fell short of ``mid``: try ``mid`` again with its path pooled
                retries += 1
                continue
            lo = max(lo, min(value, hi - 1.0))
        retries = 0
        lo = max(lo, mid)
    return hi - 1.0, probes


def _milp_rows(mu: sp.csr_matrix, need: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """The HiGHS master's rows: the knapsack rows, plus for each path the fewest of its arcs whose capped
    deltas reach its need (where that is more than one)."""
    fewest: list[int] = []
    for r in range(mu.shape[0]):
        coef = np.sort(mu.data[mu.indptr[r]:mu.indptr[r + 1]])[::-1]
        fewest.append(int(np.searchsorted(np.cumsum(coef), need[r] - 1e-9)) + 1)
    card = np.asarray(fewest, dtype=float)
    ones = mu.copy()
    ones.data[:] = 1.0
    strong = card > 1
    # The master: the cheapest plan covering the pool. A plan within budget exists iff its optimum is;
    # nodes whose bound exceeds the budget are pruned (objective_bound). Minimising cost proves
    # infeasibility through the objective bound, which HiGHS does much faster than through a
    # budget row (on the 50x50 budget-10 grid: 20 s instead of 55 s over the last four masters).
    a = sp.vstack([mu, ones[strong]]).tocsc()
    row_lo = np.concatenate([need, card[strong]])
    return a, row_lo, np.full(row_lo.size, math.inf)


def _benders_lp_bound(pool: _Pool, icost: np.ndarray, budget: float, upper: float) -> float:
    """Upper bound from the LP relaxation of Israeli & Wood's Benders master over the pooled paths,
    ``max z  s.t.  z <= c(P) + sum_{a in P} min(delta_a, upper - c(P)) x_a``, budget, ``0 <= x <= 1``
    (fewer paths and a relaxation: never below the optimum), rounded down on integer data."""
    length = pool.lengths()
    rows, k = length.size, pool.k
    # per path its interdictable arcs (the pool's entries, in path order), then z (column k)
    r_idx = np.concatenate([pool.e_path, np.arange(rows)])
    c_idx = np.concatenate([pool.e_col, np.full(rows, k)])
    vals = np.concatenate([-np.minimum(pool.e_delta, np.maximum(upper - length[pool.e_path], 0.0)), np.ones(rows)])
    # only the arcs of pooled paths (and z): the others appear in no row but the budget, where 0 is best
    used, inv = np.unique(c_idx, return_inverse=True)  # the last one is z (column k)
    q = used.size
    a = sp.csr_matrix((vals, (r_idx, inv)), shape=(rows, q))
    a = sp.vstack([a, sp.csr_matrix(np.append(icost[used[:-1]], 0.0)[None, :])]).tocsc()
    c = np.zeros(q)
    c[q - 1] = 1.0
    sol = solve_milp(c, a, np.full(rows + 1, -math.inf), np.append(length, budget),
                     np.zeros(q), np.append(np.ones(q - 1), upper), np.zeros(q, dtype=bool), maximize=True)
    if sol.status != "optimal" or not math.isfinite(sol.objective):
        return upper
    return float(math.floor(sol.objective + 1e-6))
