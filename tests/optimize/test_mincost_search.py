"""Min-cost-flow interdiction by flow-hitting branch and bound (``method="search"``) against brute force
and the monolithic dualised MILP, on random networks and on the hard grid family with node interdiction."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from counterflow.optimize import min_cost_flow_interdiction
from counterflow.optimize.graph import InterdictionNetwork
from counterflow.optimize.instances import mcf_grid_instance, random_network
from counterflow.optimize.mincost import AUTO_SEARCH_MAX, most_interdictions
from tests.optimize.oracle import min_cost, plans


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(0, 4), demand=st.integers(1, 25),
       penalty=st.integers(0, 60))
def test_search_equals_brute_force_and_milp(seed, budget, demand, penalty):
    """Removed and lengthened arcs, interdictable nodes, costs 1-2, arcs at s and t costed: the search,
    the MILP, ``auto`` and brute force over every budget-feasible plan agree, every method proven; ``auto``
    ran the search exactly when the largest budget-feasible plan (by brute force) has at most 2 items."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 3)))
    every = list(plans(net, budget))
    best = max(min_cost(net, demand, penalty, e, v) for e, v in every)
    most = max(len(e) + len(v) for e, v in every)
    for method in ("search", "milp", "auto"):
        r = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, method=method)
        ran = method if method != "auto" else ("search" if most <= 2 else "milp")
        assert (r.method, r.status) == (ran, "optimal")
        assert r.spent <= budget + 1e-9
        assert math.isclose(r.value_after, best, abs_tol=1e-6)
        assert math.isclose(min_cost(net, demand, penalty, r.edge_indices, r.node_indices), best, abs_tol=1e-6)


def test_non_integer_data():
    """Fractional costs and demand (no integrality pruning): still the brute-force optimum."""
    rng = np.random.default_rng(7)
    net = random_network(rng, 7, 14)
    net = type(net)(**{**net.__dict__, "cost": net.cost + 0.37})
    for budget in (1, 2):
        best = max(min_cost(net, 7.5, 40.25, e, v) for e, v in plans(net, budget))
        r = min_cost_flow_interdiction(net, budget, demand=7.5, penalty=40.25, method="search")
        assert r.status == "optimal" and math.isclose(r.value_after, best, rel_tol=1e-9)


def test_grid_family_search_equals_milp():
    """A 5x5 grid of the hard family (every grid arc and node costs 1): search and MILP agree, and
    budget 1 equals enumeration of every single interdiction."""
    net, demand, penalty = mcf_grid_instance(5, 5, seed=2)
    singles = max(min_cost(net, demand, penalty, e, v) for e, v in plans(net, 1))
    for budget in (1, 2):
        s = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, method="search")
        m = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, method="milp")
        assert s.status == m.status == "optimal" and s.value_after == m.value_after
        if budget == 1:
            assert s.value_after == singles


def test_time_limit_gives_a_proven_bound():
    """Stopped early, the search returns its best plan, status time_limit and a bound at least the
    optimum (here known from an unlimited run)."""
    net, demand, penalty = mcf_grid_instance(6, 6, seed=4)
    full = min_cost_flow_interdiction(net, 2, demand=demand, penalty=penalty)
    cut = min_cost_flow_interdiction(net, 2, demand=demand, penalty=penalty, time_limit=0.0)
    assert full.status == "optimal"
    assert cut.status == "time_limit" and cut.bound >= full.value_after >= cut.value_after


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), demand=st.integers(1, 25), penalty=st.integers(0, 60))
def test_detour_bound_is_the_reoptimised_cost(seed, demand, penalty):
    """The detour bound from an optimal flow of a random plan ``S`` (successive shortest detours around
    ``b``) is never below the evader's cost under ``S + {b}`` (so pruning with it is safe), equals it on
    these integer networks, and the flow it returns is feasible (capacities, conservation) at that cost;
    also when the detours stop early at a target."""
    from counterflow.optimize._mcf_search import _Evader

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 3)))
    arcs = net.arcs()
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    ev = _Evader(arcs, demand, penalty)
    plan = rng.choice(arcs.m, size=int(rng.integers(0, min(3, arcs.m) + 1)), replace=False)
    added = np.zeros(arcs.m)
    added[plan] = delta[plan]
    value, y = ev.solve(added)
    res = ev.residual(arcs)
    for b in np.flatnonzero(y > 1e-9):
        if b in plan:
            continue
        ub, flow = res.bound(value, int(b), float(ev.base[b]), float(delta[b]))
        more = added.copy()
        more[b] = delta[b]
        exact, _ = ev.solve(more)
        assert ub >= exact - 1e-6
        assert math.isclose(ub, exact, abs_tol=1e-6)
        cost = np.append(ev.base[: arcs.m] + more, penalty)
        assert math.isclose(float(cost @ flow), ub, abs_tol=1e-6)
        assert np.all(flow >= -1e-9) and np.all(flow[: arcs.m] <= np.where(np.isfinite(arcs.cap), arcs.cap, np.inf) + 1e-9)
        balance = np.zeros(arcs.n)  # it ships the demand (the last column is the unmet-demand arc s -> t)
        np.add.at(balance, np.append(arcs.tail, arcs.s), flow)
        np.add.at(balance, np.append(arcs.head, arcs.t), -flow)
        expect = np.zeros(arcs.n)
        expect[arcs.s], expect[arcs.t] = demand, -demand
        assert np.allclose(balance, expect, atol=1e-6)
        target = exact - float(rng.integers(0, 20))
        early, flow2 = res.bound(value, int(b), float(ev.base[b]), float(delta[b]), target)
        assert early >= exact - 1e-6 and math.isclose(float(cost @ flow2), early, abs_tol=1e-6)
        ev.solve(added)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), demand=st.integers(1, 20), penalty=st.integers(1, 60))
@example(seed=185, demand=1, penalty=1)  # no interdiction left (r = 0): the threshold still applies
def test_maxmin_pool_bound_never_below_the_subtree_and_exact_with_the_children_pooled(seed, demand, penalty):
    """The max-min bound of the pool (``_Pool.maxmin``) on every plan ``P + C`` within the budget left:
    never below the best such plan by brute force (networkx), never above the plain pool bound, and,
    with one more interdiction left and the optimal flows of ``P`` and of every ``P + {c}`` pooled,
    equal to the re-solved LPs' best (the subtree's exact maximum)."""
    from itertools import combinations

    from counterflow.optimize._mcf_search import _Evader, _Pool
    from counterflow.optimize.result import plan_items

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 8))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 2)))
    arcs = net.arcs()
    cand = np.flatnonzero(np.isfinite(arcs.icost))
    if cand.size == 0:
        return
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    dmask = np.zeros(arcs.m)
    dmask[cand] = delta[cand]
    ev = _Evader(arcs, demand, penalty)

    def true(idx) -> float:
        return min_cost(net, demand, penalty, *plan_items(net, arcs, np.asarray(idx, dtype=np.int64)))

    def pooled(pool, idx) -> None:
        added = np.zeros(arcs.m)
        added[list(idx)] = delta[list(idx)]
        value, y = ev.solve(added)
        pool.add(value - float(added @ y), dmask * y)

    icost = arcs.icost
    plan = [int(c) for c in rng.choice(cand, size=min(int(rng.integers(0, 2)), cand.size), replace=False)]
    left = float(rng.integers(1, 4))
    min_cost_ = float(icost[cand].min())
    r, r_after = int(left // min_cost_), int(max(left - min_cost_, 0) // min_cost_)
    cols = np.array([c for c in cand if icost[c] <= left and c not in plan], dtype=np.int64)
    subtree = [list(extra) for q in range(r + 1) for extra in combinations(cols.tolist(), q)
               if float(icost[list(extra)].sum()) <= left + 1e-9]
    best = max(true(plan + extra) for extra in subtree)
    pool = _Pool(arcs.m, r + 2, 64)
    for _ in range(int(rng.integers(1, 48))):  # optimal flows of random plans (beyond 32: the rough pass too)
        pooled(pool, rng.choice(cand, size=int(rng.integers(0, min(3, cand.size) + 1)), replace=False).tolist())
    pidx = np.asarray(plan, dtype=np.int64)
    mm = pool.maxmin(pidx, r, r_after, cols, chunk=3)
    assert mm >= best - 1e-6
    assert mm <= pool.bound(pidx, r) + 1e-9
    for stop in (mm - 1.0, mm, mm + 1.0):  # with a threshold: inf exactly when the bound reaches it
        v = pool.maxmin(pidx, r, r_after, cols, stop=stop, chunk=3)
        assert math.isinf(v) == (mm >= stop)
        assert math.isinf(v) or mm - 1e-9 <= v < stop
    # one more interdiction left, the flows of P and of every P + {c} pooled: exact
    ones = cols[icost[cols] <= min_cost_ + 1e-9] if r >= 1 else cols[:0]
    full = _Pool(arcs.m, 3, 64)
    for idx in [plan] + [plan + [int(c)] for c in ones]:
        pooled(full, idx)
    exact = max([true(plan)] + [true(plan + [int(c)]) for c in ones])
    got = full.maxmin(pidx, 1 if ones.size else 0, 0, ones)
    assert math.isclose(got, exact, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), demand=st.integers(1, 20), penalty=st.integers(0, 60),
       fractional=st.booleans())
def test_subtree_lp_bound_never_below_the_subtree(seed, demand, penalty, fractional):
    """The subtree LP (``_SubtreeLP.bound``) for a random plan ``P`` and budget left: never below the best
    plan ``P + C`` by brute force (networkx), with removed arcs and nodes, costs 1-2 (so the fractional
    knapsack binds) and fractional arc costs; with nothing left to spend it is ``V(P)`` itself."""
    from itertools import combinations

    from counterflow.optimize._mcf_search import _SubtreeLP
    from counterflow.optimize.result import plan_items

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 8))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 2)))
    if fractional:
        net = type(net)(**{**net.__dict__, "cost": net.cost + 0.37})
    arcs = net.arcs()
    cand = np.flatnonzero(np.isfinite(arcs.icost))
    if cand.size == 0:
        return
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    icost = np.full(arcs.m, np.inf)
    icost[cand] = arcs.icost[cand]
    sub = _SubtreeLP(arcs, cand, delta, icost, demand, penalty)

    def true(idx) -> float:
        return min_cost(net, demand, penalty, *plan_items(net, arcs, np.asarray(idx, dtype=np.int64)))

    for _ in range(3):  # one model, re-used (as in the search): costs and rows change between calls
        plan = [int(c) for c in rng.choice(cand, size=min(int(rng.integers(0, 3)), cand.size), replace=False)]
        left = float(rng.integers(0, 4))
        cols = [c for c in cand.tolist() if icost[c] <= left and c not in plan]
        best = max(true(plan + list(extra)) for q in range(len(cols) + 1) for extra in combinations(cols, q)
                   if float(icost[list(extra)].sum()) <= left + 1e-9)
        got = sub.bound(np.asarray(plan, dtype=np.int64), left)
        assert got >= best - 1e-9
        if not cols:
            assert math.isclose(got, true(plan), rel_tol=1e-6, abs_tol=1e-2)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(1, 3), limit=st.sampled_from([0.0, 0.05, 0.2]))
def test_stopped_search_bound_holds_with_lp_rebounding(seed, budget, limit):
    """Stopped early (the open nodes re-bounded by the pool, then by the subtree LPs and the root's), the
    search's bound is never below the brute-force optimum, and its plan's value is what it claims."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 9))
    net = random_network(rng, n, int(rng.integers(2 * n, 3 * n)))
    demand, penalty = int(rng.integers(5, 25)), int(rng.integers(10, 60))
    best = max(min_cost(net, demand, penalty, e, v) for e, v in plans(net, budget))
    r = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, method="search", time_limit=limit)
    assert r.bound >= best - 1e-6 >= r.value_after - 1e-6
    assert math.isclose(min_cost(net, demand, penalty, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-6)
    if r.status == "optimal":
        assert math.isclose(r.value_after, best, abs_tol=1e-6)


def test_subtree_lp_stops_at_its_deadline_and_claims_no_bound():
    """Each subtree LP gets the time left as HiGHS's limit and claims no bound when it is not solved by then:
    on a 20x20 grid of the hard family (a cold LP of about 2,000 columns, tens of milliseconds), a deadline
    already past is not even tried and one 0.1 ms ahead stops HiGHS (``inf``, both counted); the same model
    afterwards, with no deadline and with a generous one, gives the same finite bound, never below the
    plan's own value."""
    import time

    from counterflow.optimize._mcf_search import _SubtreeLP
    from counterflow.optimize.evaluate import min_cost_flow_value

    net, demand, penalty = mcf_grid_instance(20, 20, seed=0)
    arcs = net.arcs()
    cand = np.flatnonzero(np.isfinite(arcs.icost))
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    icost = np.full(arcs.m, np.inf)
    icost[cand] = arcs.icost[cand]
    sub = _SubtreeLP(arcs, cand, delta, icost, demand, penalty)
    root = np.zeros(0, dtype=np.int64)
    assert sub.bound(root, 3.0, time.perf_counter() - 1.0) == math.inf and (sub.solves, sub.stopped) == (0, 1)
    assert sub.bound(root, 3.0, time.perf_counter() + 1e-4) == math.inf and (sub.solves, sub.stopped) == (1, 2)
    free = sub.bound(root, 3.0)
    assert math.isfinite(free) and free >= min_cost_flow_value(net, demand, penalty)
    assert sub.bound(root, 3.0, time.perf_counter() + 600.0) == free and sub.stopped == 2


def test_auto_picks_by_the_number_of_interdictions_a_plan_can_hold():
    """``auto``: the search up to 2 interdictions per plan, the MILP from 3 (the documented rule), counted
    with the cheapest candidates first, whatever the costs; the result names the method and the count."""
    assert AUTO_SEARCH_MAX == 2
    assert most_interdictions(np.array([1.0, 1.0, 1.0, 1.0]), 3) == 3
    assert most_interdictions(np.array([2.0, 2.0, 2.0, 2.0]), 5.5) == 2
    assert most_interdictions(np.array([0.0, 5.0, 1.0, 1.0, 1.0]), 3) == 4  # a free candidate counts
    assert most_interdictions(np.array([]), 10) == 0
    net, demand, penalty = mcf_grid_instance(4, 4, seed=1)
    for budget, ran in ((0, "search"), (1, "search"), (2, "search"), (3, "milp"), (10, "milp")):
        r = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty)
        assert r.method == ran and r.detail["auto"] == {"most_interdictions": budget, "search_up_to": 2,
                                                        "chose": ran}
        assert r.status == "optimal"
    # interdiction costs 2: budget 5 buys two, 6 buys three
    costly = InterdictionNetwork(**{**net.__dict__, "interdiction_cost": np.where(
        np.isfinite(net.interdiction_cost), 2.0, net.interdiction_cost),
        "node_interdiction_cost": np.full_like(net.node_interdiction_cost, 2.0)})
    assert min_cost_flow_interdiction(costly, 5, demand=demand, penalty=penalty).method == "search"
    assert min_cost_flow_interdiction(costly, 6, demand=demand, penalty=penalty).method == "milp"
