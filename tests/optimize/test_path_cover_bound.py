"""The pool-cover bound of shortest-path interdiction (``_path_cover._pool_cover_bound``): bisection on
the target with the exact hitting-set search, a proven upper bound for an unfinished covering run.

Checked against brute force: on a fixed pool of paths the bisection returns exactly the pool's own
optimum (the best plan's shortest pooled path); a covering run stopped after a few masters, with the
bound on and off, reports a bound never below the brute-force optimum and a plan whose independent
re-evaluation is its value; the monolithic MILP agrees on the optimum."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize import shortest_path_interdiction
from counterflow.optimize._path_cover import _Pool, _pool_cover_bound
from counterflow.optimize.instances import random_network, road_network
from tests.optimize.oracle import plans, shortest_path

seeds = st.integers(0, 2**32 - 1)


def _net(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    return random_network(rng, n, int(rng.integers(n, 2 * n + 3)))


@settings(max_examples=40, deadline=None)
@given(seed=seeds, budget=st.integers(1, 2), n_paths=st.integers(1, 12),
       nodes=st.sampled_from([1_000_000, 1, 0]))
def test_bisection_returns_the_pools_own_optimum(seed, budget, n_paths, nodes):
    """On a fixed pool (the probe adds no path) the bound is the brute-force optimum of the pool's
    relaxation, ``max_x min_P len_x(P)``, whatever incumbent and upper bound it starts from; with a node
    limit of 1 the hitting-set search decides nothing and every probe goes to HiGHS; with 0 (the kernel not
    ready) the search is not called and HiGHS decides every probe."""
    rng = np.random.default_rng(seed)
    net = road_network(3, 3, seed=int(rng.integers(1 << 30)))
    arcs = net.arcs()
    g = nx.DiGraph()
    g.add_edges_from((int(arcs.tail[a]), int(arcs.head[a]), {"a": a}) for a in range(arcs.m))
    paths = []
    for walk in itertools.islice(nx.all_simple_paths(g, int(arcs.s), int(arcs.t), cutoff=7), 400):
        hops = zip(walk[:-1], walk[1:], strict=True)
        paths.append(np.asarray([g.edges[u, v]["a"] for u, v in hops], dtype=np.int64))
    pick = rng.choice(len(paths), size=min(n_paths, len(paths)), replace=False)
    cand = np.flatnonzero(np.isfinite(arcs.icost))
    col = np.full(arcs.m, -1, dtype=np.int64)
    col[cand] = np.arange(cand.size)
    delta = arcs.delta.astype(float)
    cost = arcs.cost.astype(float)
    pool = _Pool(col, delta, cost, cand.size)
    for i in pick:
        pool.add(paths[i])

    def pool_value(x: np.ndarray) -> float:
        extra = np.zeros(arcs.m)
        extra[cand[x]] = delta[cand[x]]
        return min(float(np.sum(cost[p] + extra[p])) for p in pool.paths)

    best = -math.inf
    best_len = math.inf
    for combo in itertools.combinations(range(cand.size), budget):
        x = np.zeros(cand.size, dtype=bool)
        x[list(combo)] = True
        best = max(best, pool_value(x))
    best_len = min(pool_value(np.zeros(cand.size, dtype=bool)), best_len)
    seen: list = []
    upper = best + float(rng.integers(0, 300))  # a bound on the pool's optimum
    start = float(rng.integers(int(best_len), int(best) + 1))
    bound, probes = _pool_cover_bound(pool, np.ones(cand.size), float(budget), start, upper, None, 1e6,
                                      nodes, lambda x, target: seen.append(target) or pool_value(x))
    assert bound == best
    assert all(found in (0, 1) for _, found in probes)
    assert len(seen) == sum(found for _, found in probes)  # every cover found went to the evader


def _check(net, budget, r, opt):
    assert r.spent <= budget + 1e-9
    assert shortest_path(net, r.edge_indices, r.node_indices) == r.value_after
    assert r.value_after <= opt <= r.bound
    if r.status == "optimal":
        assert r.value_after == opt == r.bound


@settings(max_examples=25, deadline=None)
@given(seed=seeds, budget=st.integers(1, 4), masters=st.integers(1, 3))
def test_stopped_run_bounds_hold_with_bound_on_and_off(seed, budget, masters):
    """A covering run stopped after ``masters`` masters, with the pool-cover bound on (share 0.25) and
    off (0, the Benders LP only): the plan re-evaluates to its value, the bound is proven (never below
    brute force), and a run called optimal is optimal; the full run and the dual MILP agree."""
    net = _net(seed)
    opt = max(shortest_path(net, e, v) for e, v in plans(net, budget))
    runs = {}
    for share in (0.0, 0.25):
        r = runs[share] = shortest_path_interdiction(net, budget, method="cover",
                                                     cover_options={"max_masters": masters, "bound_share": share})
        _check(net, budget, r, opt)
    _check_sources(runs[0.0], runs[0.25])
    full = shortest_path_interdiction(net, budget, method="cover")
    milp = shortest_path_interdiction(net, budget, method="milp")
    assert full.status == milp.status == "optimal"
    assert full.value_after == milp.value_after == opt


def _check_sources(off, on):
    """The reported source of the bound and of the proof: with the pool cover off (``off``) only the LP; the
    pool cover is named only where it is below the LP's bound of the same pool (the runs up to the bound
    are the same), and a proof is the LP's whenever the LP's bound reached the incumbent."""
    assert off.detail.get("proved_by") != "pool cover" and off.detail.get("bound_by") in (None, "lp")
    if "lp_bound" in off.detail:  # the covering loop stopped: both runs bounded the same pool
        assert on.detail["lp_bound"] == off.detail["lp_bound"] == off.bound
        assert (on.detail["bound_by"] == "pool cover") == (on.bound < off.bound)
        if off.status == "optimal":
            assert off.detail["proved_by"] == on.detail["proved_by"] == "lp"
        elif on.status == "optimal":
            assert on.detail["proved_by"] == "pool cover"


def test_a_proof_by_the_lp_bound_is_reported_as_the_lps():
    """A run stopped after one master whose Benders LP bound alone reaches the incumbent (found by a scan of
    seeds): the proof is the LP's, with the pool cover on or off (it was reported as the pool cover's)."""
    net = _net(119)
    opt = max(shortest_path(net, e, v) for e, v in plans(net, 3))
    runs = {share: shortest_path_interdiction(net, 3, method="cover",
                                              cover_options={"max_masters": 1, "bound_share": share})
            for share in (0.0, 0.25)}
    for r in runs.values():
        _check(net, 3, r, opt)
        assert r.status == "optimal" and r.detail["proved_by"] == r.detail["bound_by"] == "lp"
    _check_sources(runs[0.0], runs[0.25])


def test_pool_cover_bound_binds_on_a_road_grid_stopped_early():
    """On a 10x10 road-like grid, budget 3, stopped after one master: the pool-cover bound (on by
    default) is below the Benders LP's alone (it binds), and both hold against the full run's optimum."""
    net = road_network(10, 10, seed=10)
    full = shortest_path_interdiction(net, 3, method="cover")
    assert full.status == "optimal"
    off = shortest_path_interdiction(net, 3, method="cover", cover_options={"max_masters": 1, "bound_share": 0})
    on = shortest_path_interdiction(net, 3, method="cover", cover_options={"max_masters": 1})
    for r in (off, on):
        _check(net, 3, r, full.value_after)
    assert off.detail["bound_by"] == "lp" and on.detail["bound_by"] == "pool cover"
    assert on.bound < off.bound
    _check_sources(off, on)
