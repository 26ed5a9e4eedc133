"""A combinatorial solver for the covering master of shortest-path interdiction.

The master asks: is there a set of columns ``x`` with ``sum cost x <= budget`` such
that every row ``r`` is covered, ``sum_j coef_rj x_j >= need_r``? (Rows are the
pooled s-t paths, columns their interdictable arcs, ``coef`` the capped deltas.)
When the budget buys only a few interdictions this is a bounded-depth hitting-set
search (the fixed-parameter branching for hitting set):

* a row not yet covered must receive one more chosen column, so the search branches
  over the free columns of the uncovered row with the fewest of them; the ``i``-th
  child chooses column ``j_i`` and excludes ``j_1 .. j_{i-1}`` (the children
  partition the completions, nothing is searched twice);
* a node is pruned when some uncovered row cannot be covered within the budget left
  (a fractional knapsack over its free columns gives the least cost), or when rows
  that share no free column need together more than the budget left (each needs
  its own columns; found greedily).

Both prunings are relaxations, so "no cover" is a proof. The search is exact and
returns a feasible cover or a proof that none exists; ``limit`` bounds the number
of nodes (status ``-1``: undecided, the caller falls back to the MILP).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile

__all__ = ["cover_search"]

_EPS = 1e-9


@njit(cache=True)
def _least_cost(res, coefs, costs, n):
    """Fractional knapsack: the least cost reaching coverage ``res`` from the first ``n`` (coef, cost)."""
    ratio = np.empty(n)
    for i in range(n):
        ratio[i] = -coefs[i] / max(costs[i], 1e-12)
    order = np.argsort(ratio)
    got = 0.0
    spent = 0.0
    for o in range(n):
        i = order[o]
        if got + coefs[i] >= res - _EPS:
            return spent + costs[i] * (res - got) / coefs[i]
        got += coefs[i]
        spent += costs[i]
    return np.inf


@njit(cache=True)
def _least_count(res, coefs, n, q, top):
    """Equal costs: the fewest of the first ``n`` coefs reaching ``res`` when at most ``q`` may be taken
    (``inf`` if ``q`` do not reach it); ``top`` is scratch space of size >= ``q``."""
    if q <= 0:
        return np.inf
    for i in range(q):
        top[i] = 0.0
    for i in range(n):
        c = coefs[i]
        if c <= top[q - 1]:
            continue
        t = q - 1
        while t > 0 and top[t - 1] < c:
            top[t] = top[t - 1]
            t -= 1
        top[t] = c
    got = 0.0
    for i in range(q):
        got += top[i]
        if got >= res - _EPS:
            return float(i + 1)
    return np.inf


@njit(cache=True)
def _dfs(r_ptr, r_col, r_coef, c_ptr, c_row, c_coef, need, cost, cov, state, left, nodes, limit,
         mark, buf_c, buf_k, cmin, uniform, top):
    """1: a cover is in ``state == 1``; 0: none below this node; -1: node limit reached."""
    nodes[0] += 1
    if nodes[0] > limit:
        return -1
    n_rows = need.size
    # rows still short, their least cost, the branching row (fewest free columns)
    short = np.empty(n_rows, dtype=np.int64)
    lb = np.empty(n_rows)
    n_short = 0
    branch, branch_free = -1, 1 << 60
    for r in range(n_rows):
        res = need[r] - cov[r]
        if res <= _EPS:
            continue
        k = 0
        for p in range(r_ptr[r], r_ptr[r + 1]):
            j = r_col[p]
            if state[j] == 0 and cost[j] <= left + _EPS:
                buf_c[k] = r_coef[p]
                buf_k[k] = cost[j]
                k += 1
        if uniform:
            need_cost = _least_count(res, buf_c, k, int(left / cmin + _EPS), top) * cmin
        else:
            need_cost = _least_cost(res, buf_c, buf_k, k)
        if need_cost > left + _EPS:
            return 0
        short[n_short] = r
        lb[n_short] = need_cost
        n_short += 1
        if k < branch_free:
            branch, branch_free = r, k
    if n_short == 0:
        return 1
    if left + _EPS < 2.0 * cmin:
        # room for one more column only: it must cover every short row by itself
        r0 = short[0]
        for p in range(r_ptr[r0], r_ptr[r0 + 1]):
            j = r_col[p]
            if state[j] != 0 or cost[j] > left + _EPS or r_coef[p] < need[r0] - cov[r0] - _EPS:
                continue
            hit = 0
            for q in range(c_ptr[j], c_ptr[j + 1]):
                rr = c_row[q]
                res = need[rr] - cov[rr]
                if res > _EPS and c_coef[q] >= res - _EPS:
                    hit += 1
            if hit == n_short:
                state[j] = 1
                return 1
        return 0
    # rows sharing no free column: their least costs add up
    order = np.argsort(-lb[:n_short])
    total = 0.0
    for o in range(n_short):
        r = short[order[o]]
        clash = False
        for p in range(r_ptr[r], r_ptr[r + 1]):
            j = r_col[p]
            if state[j] == 0 and mark[j] == nodes[0]:
                clash = True
                break
        if clash:
            continue
        for p in range(r_ptr[r], r_ptr[r + 1]):
            j = r_col[p]
            if state[j] == 0:
                mark[j] = nodes[0]
        total += lb[order[o]]
        if total > left + _EPS:
            return 0
    # children: the free columns of the branching row, most useful first (share of every short
    # row's remaining need they cover)
    cols = np.empty(branch_free, dtype=np.int64)
    score = np.empty(branch_free)
    k = 0
    for p in range(r_ptr[branch], r_ptr[branch + 1]):
        j = r_col[p]
        if state[j] == 0 and cost[j] <= left + _EPS:
            s = 0.0
            for q in range(c_ptr[j], c_ptr[j + 1]):
                rr = c_row[q]
                res = need[rr] - cov[rr]
                if res > _EPS:
                    s += min(c_coef[q], res) / res
            cols[k] = j
            score[k] = -s / max(cost[j], 1e-12)
            k += 1
    order = np.argsort(score[:k])
    out = 0
    done = 0
    for o in range(k):
        j = cols[order[o]]
        state[j] = 1
        for q in range(c_ptr[j], c_ptr[j + 1]):
            cov[c_row[q]] += c_coef[q]
        got = _dfs(r_ptr, r_col, r_coef, c_ptr, c_row, c_coef, need, cost, cov, state, left - cost[j], nodes,
                   limit, mark, buf_c, buf_k, cmin, uniform, top)
        if got == 1:
            out = 1
            break
        for q in range(c_ptr[j], c_ptr[j + 1]):
            cov[c_row[q]] -= c_coef[q]
        state[j] = 2
        done = o + 1
        if got == -1:
            out = -1
            break
    if out != 1:
        for o in range(done):
            state[cols[order[o]]] = 0
    return out


def cover_search(m: sp.spmatrix, need: np.ndarray, cost: np.ndarray, budget: float,
                 limit: int = 2_000_000) -> tuple[int, np.ndarray | None, int]:
    """``(status, x, nodes)``: status 1 with ``x`` (boolean) a cover within ``budget``, 0 when no cover
    exists (proven), -1 when ``limit`` nodes did not decide."""
    m = sp.csr_matrix(m, dtype=float)
    m.sum_duplicates()
    m.eliminate_zeros()
    mc = m.tocsc()
    k = m.shape[1]
    state = np.zeros(k, dtype=np.int64)
    cov = np.zeros(m.shape[0])
    nodes = np.zeros(1, dtype=np.int64)
    width = int(np.max(np.diff(m.indptr))) if m.shape[0] else 0
    cost = np.asarray(cost, dtype=float)
    cmin = float(np.min(cost)) if k else 1.0
    if cmin <= 0:  # a free interdiction: the depth is unbounded, leave it to the MILP
        return -1, None, 0
    got = _dfs(m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(float),
               mc.indptr.astype(np.int64), mc.indices.astype(np.int64), mc.data.astype(float),
               np.asarray(need, dtype=float), np.asarray(cost, dtype=float), cov, state, float(budget), nodes,
               int(limit), np.zeros(k, dtype=np.int64), np.empty(max(width, 1)), np.empty(max(width, 1)),
               cmin, bool(np.all(cost == cmin)), np.zeros(int(budget / cmin + 1e-9) + 1))
    return int(got), (state == 1) if got == 1 else None, int(nodes[0])

