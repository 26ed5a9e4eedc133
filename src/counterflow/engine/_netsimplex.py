"""A compiled primal network simplex that can start from the previous step's basis.

From one step to the next an organisation's planning problem changes about a
quarter of its arc costs, hardly any capacities and about 1 % of its supplies,
so the optimal spanning-tree basis of the previous step is a good start for the
next one. The solver keeps, per arc, whether it was in the tree, at its lower
or at its upper bound (the caller keys these states by arc identity, so arcs may
appear and disappear between calls), and rebuilds a basis from them:

1. *Crash.* The old tree arcs that still exist form a forest (an arc that would
   close a cycle is dropped). Arcs at their upper bound carry their capacity.
   Walking each forest component bottom-up, the flow on a tree arc is the net
   supply of the subtree below it; an arc whose flow would leave its bounds,
   or that would break strong feasibility (a zero-flow arc pointing away from
   the root, a saturated one pointing towards it), is taken out of the tree at
   its nearest bound and the subtree below it hangs from the root on its own.
   Each component hangs from an artificial root node by an artificial arc of
   cost ``M`` carrying the component's remaining imbalance (the big-M method,
   with the artificial arcs of the cold start of Ahuja, Magnanti and Orlin,
   *Network Flows*, ch. 11). With no previous basis every node is its own
   component: the ordinary cold start.
2. *Pivots.* Potentials are recomputed from the tree (this is where changed
   costs enter) and the primal network simplex runs to optimality: block
   search pricing over the real arcs (artificial arcs never re-enter, which
   keeps the big-M argument: a finish without artificial flow is optimal), and the leaving arc chosen as the last blocking arc of the
   cycle (Cunningham's rule), which keeps the tree strongly feasible and rules
   out cycling.

*Lazy arcs.* An arc may be marked lazy (the planning layer marks an edge's
volume tranches above the first): it starts outside the priced set unless the
crash put it in the tree or at its upper bound. When the pivots find no
entering arc among the priced ones, every waiting arc (all at zero flow) is
priced once with the current potentials; those with a negative reduced cost
join the priced set and the pivots go on, and when none has, every arc's
reduced cost has the sign of an optimum, so the basis is optimal for the whole
problem (the optimality test of column generation). Tranches an optimum never
reaches then cost one reduced-cost test per round instead of pricing in every
block search.

The result is exact: a feasible problem ends with no flow on artificial arcs
and no arc with a negative reduced cost. When the optimum is unique (the
planning layer perturbs costs so that it almost surely is), the flow is the same whatever the
starting basis, and the same as any other exact solver's.

Problem form: integer capacities ``>= 0``, integer costs, integer supplies
summing to zero. ``M`` is ``(n + 1) * (max |cost| + 1)``; the caller keeps
``n * M`` within int64 (``fits``), and the planning layer refuses costs beyond
that with a clear error. Strongly feasible trees cannot cycle, so the pivot
count is finite; a generous pivot limit still turns broken arithmetic into a
failed solve (``ok`` False) rather than a hang.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile

__all__ = ["network_simplex", "network_simplex_lazy", "fits", "LOWER", "UPPER", "TREE"]

LOWER, UPPER, TREE = 1, -1, 0
_INF = np.int64(2 ** 62)


def fits(n: int, max_cost: int) -> bool:
    """Whether costs up to ``max_cost`` on ``n`` nodes stay within int64 in the solver (potentials, big M)."""
    return 8 * (n + 2) * (max_cost + 1) < 2 ** 62


@njit(cache=True)
def _find(uf, x):  # pragma: no cover - compiled
    r = x
    while uf[r] != r:
        r = uf[r]
    while uf[x] != r:
        nx_ = uf[x]
        uf[x] = r
        x = nx_
    return r


@njit(cache=True)
def network_simplex(n, tails, heads, caps, costs, supply, warm_state, warm_roots):  # pragma: no cover - compiled
    """Min-cost flow on ``n`` nodes; returns ``(flow, arc state, component roots, ok, pivots)``.

    ``warm_state[i]`` is arc ``i``'s state in the previous basis (``LOWER``,
    ``UPPER`` or ``TREE``; all ``LOWER`` for a cold start), ``warm_roots`` the
    nodes that hung from the root (tried first as component roots). The
    returned state and roots are this solve's basis, for the next call.
    ``ok`` is False when the supplies cannot be routed.
    """
    return network_simplex_lazy(n, tails, heads, caps, costs, supply, warm_state, warm_roots,
                                np.zeros(tails.shape[0], np.bool_))


@njit(cache=True)
def network_simplex_lazy(n, tails, heads, caps, costs, supply, warm_state, warm_roots, lazy):  # pragma: no cover
    """:func:`network_simplex` with arcs priced only once they can enter (see *Lazy arcs* in the module note).

    ``lazy[i]`` True: arc ``i`` starts outside the priced set unless the
    crash puts it in the tree or at its upper bound; it joins the priced set
    the first time the pivots on the priced arcs end with its reduced cost
    negative. The result is the same optimum as with no lazy arc.
    """
    m = tails.shape[0]
    root = n
    nn = n + 1
    ma = m + n
    cmax = 0
    for i in range(m):
        c = costs[i]
        if c < 0:
            c = -c
        if c > cmax:
            cmax = c
    big_m = (n + 1) * (cmax + 1)
    tail = np.empty(ma, np.int64)
    head = np.empty(ma, np.int64)
    cap = np.empty(ma, np.int64)
    cost = np.empty(ma, np.int64)
    flow = np.zeros(ma, np.int64)
    state = np.empty(ma, np.int8)
    for i in range(m):
        tail[i] = tails[i]
        head[i] = heads[i]
        cap[i] = caps[i]
        cost[i] = costs[i]
    for v in range(n):
        tail[m + v] = v
        head[m + v] = root
        cap[m + v] = _INF
        cost[m + v] = big_m
        state[m + v] = LOWER

    # ---- crash: forest of the old tree arcs, flows bottom-up
    excess = np.zeros(nn, np.int64)
    for v in range(n):
        excess[v] = supply[v]
    uf = np.arange(n)
    deg = np.zeros(n + 1, np.int64)
    for i in range(m):
        state[i] = LOWER
        s = warm_state[i]
        if s == TREE:
            a = _find(uf, tail[i])
            b = _find(uf, head[i])
            if a != b:
                uf[a] = b
                state[i] = TREE
                deg[tail[i] + 1] += 1
                deg[head[i] + 1] += 1
        elif s == UPPER:  # (a zero-capacity arc stays at its upper bound too: no degenerate flip back)
            state[i] = UPPER
            flow[i] = cap[i]
            excess[tail[i]] -= cap[i]
            excess[head[i]] += cap[i]
    for v in range(n):
        deg[v + 1] += deg[v]
    adj = np.empty(deg[n], np.int64)
    fill = deg[:-1].copy()
    for i in range(m):
        if state[i] == TREE:
            adj[fill[tail[i]]] = i
            fill[tail[i]] += 1
            adj[fill[head[i]]] = i
            fill[head[i]] += 1
    parent = np.full(nn, -1, np.int64)
    pred = np.full(nn, -1, np.int64)
    up = np.zeros(nn, np.bool_)
    seen = np.zeros(nn, np.bool_)
    order = np.empty(n, np.int64)
    is_croot = np.zeros(n, np.bool_)
    cnt = 0
    for k in range(warm_roots.shape[0] + n):
        r = warm_roots[k] if k < warm_roots.shape[0] else k - warm_roots.shape[0]
        if r < 0 or r >= n or seen[r]:
            continue
        seen[r] = True
        is_croot[r] = True
        start = cnt
        order[cnt] = r
        cnt += 1
        while start < cnt:   # breadth-first over the component
            u = order[start]
            start += 1
            for j in range(deg[u], deg[u + 1]):
                e = adj[j]
                w = head[e] if tail[e] == u else tail[e]
                if not seen[w]:
                    seen[w] = True
                    parent[w] = u
                    pred[w] = e
                    up[w] = tail[e] == w
                    order[cnt] = w
                    cnt += 1
    for j in range(n - 1, -1, -1):
        v = order[j]
        if is_croot[v]:
            continue
        e = pred[v]
        p = parent[v]
        ex = excess[v]
        f = ex if up[v] else -ex
        good = (0 <= f < cap[e]) if up[v] else (0 < f <= cap[e])
        if good:
            flow[e] = f
            excess[p] += ex
        else:
            b = min(max(f, 0), cap[e])
            flow[e] = b
            state[e] = LOWER if b == 0 else UPPER
            if up[v]:
                excess[v] = ex - b
                excess[p] += b
            else:
                excess[v] = ex + b
                excess[p] -= b
            is_croot[v] = True
    for v in range(n):
        if is_croot[v]:
            a = m + v
            parent[v] = root
            pred[v] = a
            state[a] = TREE
            if excess[v] >= 0:
                up[v] = True
                flow[a] = excess[v]
            else:
                tail[a] = root
                head[a] = v
                up[v] = False
                flow[a] = -excess[v]

    # ---- child lists, depths and potentials
    first_child = np.full(nn, -1, np.int64)
    next_sib = np.full(nn, -1, np.int64)
    prev_sib = np.full(nn, -1, np.int64)
    for v in range(n):
        p = parent[v]
        fc = first_child[p]
        next_sib[v] = fc
        if fc != -1:
            prev_sib[fc] = v
        first_child[p] = v
    depth = np.zeros(nn, np.int64)
    pi = np.zeros(nn, np.int64)
    stack = np.empty(nn, np.int64)
    _retree(root, 0, first_child, next_sib, parent, pred, up, cost, depth, pi, stack, True)

    # ---- pivots
    # only real arcs are priced: a non-tree artificial arc stays at zero flow, so a
    # finish with no artificial flow is optimal for the real arcs alone
    # the priced arcs (every arc not lazy, and lazy ones the crash put in the tree or at
    # their upper bound) and the waiting ones (lazy, at zero flow), each in arc order
    act = np.empty(m, np.int64)
    wait = np.empty(m, np.int64)
    m_act = 0
    m_wait = 0
    for i in range(m):
        if lazy[i] and state[i] == LOWER:
            wait[m_wait] = i
            m_wait += 1
        else:
            act[m_act] = i
            m_act += 1
    block = max(int(np.sqrt(m_act)), 10)
    max_pivots = 100 * ma + 1_000_000
    nxt = 0
    pivots = 0
    ok = True
    while True:
        best = 0
        in_arc = -1
        left = block
        for _ in range(m_act):
            e = act[nxt]
            nxt += 1
            if nxt == m_act:
                nxt = 0
            c = state[e] * (cost[e] + pi[tail[e]] - pi[head[e]])
            if c < best:
                best = c
                in_arc = e
            left -= 1
            if left == 0:
                if in_arc >= 0:
                    break
                left = block
        if in_arc < 0:
            # optimal over the priced arcs: a waiting arc (at zero flow) with a negative
            # reduced cost joins them; none left means optimal over every arc
            kept = 0
            joined = 0
            for j in range(m_wait):
                e = wait[j]
                if cost[e] + pi[tail[e]] - pi[head[e]] < 0:
                    act[m_act] = e
                    m_act += 1
                    joined += 1
                else:
                    wait[kept] = e
                    kept += 1
            m_wait = kept
            if joined == 0:
                break
            block = max(int(np.sqrt(m_act)), 10)
            continue
        pivots += 1
        if pivots > max_pivots:   # cannot happen in exact arithmetic (see the module note): fail, never hang
            ok = False
            break
        if state[in_arc] == LOWER:
            first = tail[in_arc]
            second = head[in_arc]
        else:
            first = head[in_arc]
            second = tail[in_arc]
        delta = cap[in_arc]
        u = first
        v = second
        while u != v:
            if depth[u] > depth[v]:
                u = parent[u]
            elif depth[v] > depth[u]:
                v = parent[v]
            else:
                u = parent[u]
                v = parent[v]
        join = u
        side = 0
        u_out = -1
        u = first
        while u != join:
            e = pred[u]
            d = flow[e] if up[u] else cap[e] - flow[e]
            if d < delta:
                delta = d
                u_out = u
                side = 1
            u = parent[u]
        u = second
        while u != join:
            e = pred[u]
            d = cap[e] - flow[e] if up[u] else flow[e]
            if d <= delta:
                delta = d
                u_out = u
                side = 2
            u = parent[u]
        if delta >= _INF:
            ok = False
            break
        if delta > 0:
            flow[in_arc] += delta if state[in_arc] == LOWER else -delta
            u = first
            while u != join:
                flow[pred[u]] += -delta if up[u] else delta
                u = parent[u]
            u = second
            while u != join:
                flow[pred[u]] += delta if up[u] else -delta
                u = parent[u]
        if side == 0:
            state[in_arc] = -state[in_arc]
            continue
        if side == 1:
            u_in = first
            v_in = second
        else:
            u_in = second
            v_in = first
        rc = cost[in_arc] + pi[tail[in_arc]] - pi[head[in_arc]]
        sigma = -rc if u_in == tail[in_arc] else rc
        e_out = pred[u_out]
        w = u_in
        new_par = v_in
        new_pred = in_arc
        new_up = tail[in_arc] == u_in
        while True:
            old_par = parent[w]
            old_pred = pred[w]
            old_up = up[w]
            # detach w from its old parent's children, attach to the new parent
            ps = prev_sib[w]
            ns = next_sib[w]
            if ps != -1:
                next_sib[ps] = ns
            else:
                first_child[old_par] = ns
            if ns != -1:
                prev_sib[ns] = ps
            fc = first_child[new_par]
            next_sib[w] = fc
            prev_sib[w] = -1
            if fc != -1:
                prev_sib[fc] = w
            first_child[new_par] = w
            parent[w] = new_par
            pred[w] = new_pred
            up[w] = new_up
            if w == u_out:
                break
            new_par = w
            new_pred = old_pred
            new_up = not old_up
            w = old_par
        state[in_arc] = TREE
        state[e_out] = LOWER if flow[e_out] == 0 else UPPER
        _retree(u_in, sigma, first_child, next_sib, parent, pred, up, cost, depth, pi, stack, False)

    for v in range(n):
        if flow[m + v] != 0:
            ok = False
    nroots = 0
    for v in range(n):
        if parent[v] == root:
            nroots += 1
    roots = np.empty(nroots, np.int64)
    k = 0
    for v in range(n):
        if parent[v] == root:
            roots[k] = v
            k += 1
    return flow[:m].copy(), state[:m].copy(), roots, ok, pivots


@njit(cache=True)
def _retree(top, sigma, first_child, next_sib, parent, pred, up, cost, depth, pi, stack, full):  # pragma: no cover
    """Depths and potentials below ``top``: recomputed from the tree (``full``) or shifted by ``sigma``."""
    sp = 0
    stack[0] = top
    sp = 1
    if not full:
        depth[top] = depth[parent[top]] + 1
        pi[top] += sigma
        sp = 0
        c = first_child[top]
        while c != -1:
            stack[sp] = c
            sp += 1
            c = next_sib[c]
    while sp > 0:
        sp -= 1
        x = stack[sp]
        if full and x == top:
            pass
        elif full:
            p = parent[x]
            depth[x] = depth[p] + 1
            pi[x] = pi[p] - cost[pred[x]] if up[x] else pi[p] + cost[pred[x]]
        else:
            depth[x] = depth[parent[x]] + 1
            pi[x] += sigma
        c = first_child[x]
        while c != -1:
            stack[sp] = c
            sp += 1
            c = next_sib[c]
