"""Volume tranches only where they can be used: the plan is the full tranche problem's plan.

With ``diversification`` > 0 each risky edge is planned as parallel volume tranches
(``_kernels.edge_tranches``). ``planning.build_plan`` leaves out the tranches above the first that
have no capacity, and the network simplex prices the others only once they can enter (lazy arcs).
Both are exact: here the full formulation, built from ``edge_tranches_all`` as the problem is
defined, is solved next to the planning layer's on random networks with random risks, capacities
and supplies, over warm-started sequences of steps; the costs are equal (and networkx's optimum),
and so are the plans, which the arc-identity cost perturbation makes unique.
"""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.engine import planning
from counterflow.engine._kernels import edge_tranches_all
from counterflow.engine._netsimplex import LOWER, network_simplex, network_simplex_lazy
from tests.engine.test_warm_planning import check_solves, mcf_sequences

N_K = len(planning.RISK_SHARES) - 1


@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 60), st.sampled_from([0, 1, 7, 100, 999, 10 ** 6]))
@settings(max_examples=150, deadline=None)
def test_tranche_arcs_are_edge_tranches_without_the_empty_ones(seed, n, total):
    """``build_plan``'s arcs are ``edge_tranches_all``'s, in order, less the tranches above the first with no capacity."""
    rng = np.random.default_rng(seed)
    cost = np.where(rng.random(n) < 0.3, rng.integers(0, 50, n) + 0.5, rng.uniform(0, 5000, n))  # halves: rounding
    slope = np.where(rng.random(n) < 0.3, 0.0, rng.choice([0.5, 3.0, 1000.0, 1e5], n) * rng.random(n))
    cap = np.where(rng.random(n) < 0.4, rng.integers(0, max(total, 1) + 1, n), total).astype(np.int64)
    flat_cost = np.rint(cost).astype(np.int64)
    rows, ks, caps, costs, bound = planning._tranche_arcs(cost, slope, cap, flat_cost, np.int64(total))
    ref_cap, ref_cost = edge_tranches_all(cost, slope, cap, total)
    flat = slope <= 0.0
    ref_cap[flat, 0], ref_cost[flat, 0] = cap[flat], flat_cost[flat]
    keep = (np.arange(N_K)[None, :] == 0) | ((ref_cap > 0) & ~flat[:, None])
    keep[flat, 1:] = False
    expect_rows, expect_k = np.nonzero(keep)
    assert np.array_equal(rows, expect_rows) and np.array_equal(ks, expect_k)
    assert np.array_equal(caps, ref_cap[keep]) and np.array_equal(costs, ref_cost[keep])
    dropped = ~keep & ~flat[:, None]
    assert bound == int(np.abs(ref_cost[dropped]).max(initial=0))


@given(mcf_sequences(), st.integers(0, 2 ** 32 - 1))
@settings(max_examples=200, deadline=None)
def test_lazy_network_simplex_is_exact(inst, seed):
    """Any arcs marked lazy: every solve of a perturbed sequence, warm and cold, costs OR-Tools' optimum."""
    lazy = np.random.default_rng(seed).random(len(inst[1])) < 0.5
    check_solves(inst, lambda *args: network_simplex_lazy(*args, lazy))


@st.composite
def risky_plans(draw):
    """A planning problem with volume tranches (random risks), and a sequence of perturbed steps of it."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(4, 30))
    e = draw(st.integers(n, 4 * n))
    src = rng.integers(0, n, e)
    dst = rng.integers(0, n, e)
    dst = np.where(dst == src, (src + 1) % n, dst)
    markets = rng.choice(n, draw(st.integers(1, max(1, n // 4))), replace=False)
    coarse = draw(st.booleans())  # few distinct costs and slopes: many ties for the perturbation to break
    cost = rng.integers(0, 4 if coarse else 500, e).astype(float)
    slope = np.where(rng.random(e) < 0.2, 0.0, rng.integers(1, 5, e) if coarse else rng.uniform(0, 3000, e))
    rev = rng.integers(10, 20 if coarse else 3000, (len(markets), len(planning.TRANCHE_MID))).astype(float)
    cap = np.where(rng.random(e) < 0.5, rng.integers(0, 30, e), np.inf)  # small capacities cut tranches off
    # large costs narrow the perturbation's tie-breaking range, which must then be the full problem's
    big = draw(st.sampled_from([1.0, 1.0, 1e7]))
    cost, slope, rev = cost * big, slope * big, rev * big
    split = np.flatnonzero(rng.random(n) < 0.2)
    ncap = rng.integers(0, 40, split.size).astype(float)
    supply = np.where(rng.random(n) < 0.3, rng.integers(0, 80, n), 0).astype(float)
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        steps.append((cost.copy(), slope.copy(), rev.copy(), cap.copy(), ncap.copy(), supply.copy()))
        k = rng.random(e) < 0.25
        cost[k] = rng.integers(0, 4 if coarse else 500, k.sum()) * big
        slope[rng.random(e) < 0.2] *= rng.uniform(0.5, 2.0)
        supply[rng.integers(0, n)] += rng.integers(0, 40)
        rev *= rng.uniform(0.9, 1.1)
    return n, src, dst, markets, split, steps


def _build(n, src, dst, markets, split, step) -> planning.PlanInput:
    cost, slope, rev, cap, ncap, supply = step
    split_out = np.arange(n)
    split_out[split] = n + np.arange(split.size)
    return planning.build_plan(
        n_nodes=n, split_out=split_out, edge_idx=np.arange(len(src)), edge_src=src, edge_dst=dst, edge_cap=cap,
        edge_cost=cost, split_nodes=split, split_cap=ncap, market_nodes=markets,
        market_idx=np.arange(len(markets)), tranche_cap=np.full(rev.shape, 9.0), tranche_rev=rev, supply=supply,
        edge_slope=slope)


def _full(p: planning.PlanInput, src, dst, split, step) -> planning.PlanInput:
    """The same problem with every edge's every tranche, as ``edge_tranches_all`` defines them."""
    cost, slope, _, cap, _, _ = step
    n = len(p.supply)
    split_out = np.arange(n)
    split_out[split] = n + np.arange(split.size)
    total = int(p.supply.sum())
    ecap = np.minimum(np.nan_to_num(cap, posinf=max(total, 1)), max(total, 1)).astype(np.int64)
    tcap, tcost = edge_tranches_all(cost, slope, ecap, total)
    flat = slope <= 0.0
    tcap[flat, 0], tcost[flat, 0] = ecap[flat], np.rint(cost[flat]).astype(np.int64)
    keep = np.ones(tcap.shape, bool)
    keep[flat, 1:] = False
    edge = np.nonzero(keep)[0]
    return dataclasses.replace(
        p, edge_idx=edge, edge_tail=split_out[src][edge], edge_head=dst[edge].astype(np.int64),
        edge_cap=tcap[keep], edge_cost=tcost[keep], edge_k=np.nonzero(keep)[1], cost_bound=0)


def _networkx_cost(p: planning.PlanInput) -> int:
    """The unperturbed optimum of a planning problem, parallel arcs through their own middle node."""
    g = nx.DiGraph()
    for v in range(p.n_solver_nodes):
        g.add_node(v, demand=0)
    for v in range(len(p.supply)):
        g.nodes[v]["demand"] = -int(p.supply[v])
    g.nodes[p.sink]["demand"] += int(p.supply.sum())
    arcs = [(p.edge_tail, p.edge_head, p.edge_cap, p.edge_cost),
            (p.split_tail, p.split_head, p.split_cap, np.zeros(len(p.split_tail), np.int64)),
            (p.tranche_tail, np.full(len(p.tranche_tail), p.sink), p.tranche_cap, p.tranche_cost),
            (p.hold_nodes, np.full(len(p.hold_nodes), p.sink), p.supply[p.hold_nodes],
             np.full(len(p.hold_nodes), p.offset))]
    i = 0
    for tails, heads, caps, costs in arcs:
        for a, b, c, w in zip(tails, heads, caps, costs, strict=True):
            g.add_edge(int(a), ("arc", i), capacity=int(c), weight=int(w))
            g.add_edge(("arc", i), int(b))
            i += 1
    return nx.min_cost_flow_cost(g)


@given(risky_plans())
@settings(max_examples=120, deadline=None)
def test_plan_is_the_full_tranche_problems_plan(problem):
    """Every step of a warm-started sequence: the planning layer's plan (tranches left out where empty, the rest
    priced lazily by the simplex) is the full formulation's plan, at networkx's optimum of the full problem."""
    n, src, dst, markets, split, steps = problem
    warm, warm_full = planning.WarmStart(), planning.WarmStart()
    for step in steps:
        p = _build(n, src, dst, markets, split, step)
        full = _full(p, src, dst, split, step)
        assert len(p.edge_tail) <= len(full.edge_tail)
        if p.supply.sum():  # every arc kept has the perturbed cost it has in the full problem
            keys, pcosts = planning.perturbed_arc_costs(p)
            full_keys, full_pcosts = planning.perturbed_arc_costs(full)
            pos = np.searchsorted(full_keys, keys, sorter=np.argsort(full_keys))
            at = np.argsort(full_keys)[pos]
            assert np.array_equal(full_keys[at], keys) and np.array_equal(full_pcosts[at], pcosts)
        ref = planning.solve_plan(full, len(src), "ortools")
        for solver, w in (("simplex", warm), ("ortools", None), ("simplex", warm_full)):
            r = planning.solve_plan(full if w is warm_full else p, len(src), solver, w)
            assert r.objective == ref.objective
            assert np.array_equal(r.edge_flow, ref.edge_flow)
            assert np.array_equal(r.tranche_flow, ref.tranche_flow)
        if p.supply.sum():
            assert ref.objective == _networkx_cost(full)


def test_empty_tranches_are_left_out_and_the_rest_kept():
    """An edge of capacity 5 with 100 kg in play keeps only its first tranche (10 kg); one without a capacity keeps
    all six; a riskless edge stays one arc."""
    src, dst = np.array([0, 0, 0]), np.array([1, 1, 1])
    p = planning.build_plan(
        n_nodes=2, split_out=np.arange(2), edge_idx=np.arange(3), edge_src=src, edge_dst=dst,
        edge_cap=np.array([5.0, np.inf, np.inf]), edge_cost=np.full(3, 10.0), split_nodes=np.zeros(0, np.int64),
        split_cap=np.zeros(0), market_nodes=np.array([1]), market_idx=np.array([0]),
        tranche_cap=np.full((1, 6), 100.0), tranche_rev=np.full((1, 6), 500.0), supply=np.array([100.0, 0.0]),
        edge_slope=np.array([50.0, 50.0, 0.0]))
    assert p.edge_idx.tolist() == [0] + [1] * N_K + [2]
    assert p.edge_k.tolist() == [0] + list(range(N_K)) + [0]
    assert p.edge_cap.tolist() == [5, 10, 10, 15, 15, 25, 25, 100]
    assert p.cost_bound == int(np.rint(10.0 + 50.0 * 0.875))  # the dearest tranche left out (the last)


def test_lazy_start_prices_fewer_arcs():
    """A problem whose upper tranches are never reached: the lazy solve needs no more pivots than pricing every
    arc, and returns a flow of the same cost."""
    rng = np.random.default_rng(3)
    n, e = 300, 1500
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    dst = np.where(dst == src, (src + 1) % n, dst)
    base = rng.integers(0, 1000, e)
    k = np.arange(N_K)
    t = np.concatenate([np.repeat(src, N_K), np.arange(n)])
    h = np.concatenate([np.repeat(dst, N_K), np.full(n, n)])
    caps = np.concatenate([np.full(e * N_K, 4), np.full(n, 10 ** 6)])
    costs = np.concatenate([(base[:, None] + 200 * k[None, :]).ravel(), rng.integers(5000, 6000, n)])
    sup = np.where(rng.random(n) < 0.2, rng.integers(0, 3, n), 0)
    s = np.append(sup, -sup.sum()).astype(np.int64)
    lazy = np.concatenate([np.tile(k > 0, e), np.zeros(n, bool)])
    cold = np.full(len(t), LOWER, np.int8)
    f_all, _, _, ok_a, piv_all = network_simplex(n + 1, t, h, caps, costs, s, cold, np.zeros(0, np.int64))
    f_lazy, _, _, ok_l, piv_lazy = network_simplex_lazy(n + 1, t, h, caps, costs, s, cold,
                                                             np.zeros(0, np.int64), lazy)
    assert ok_a and ok_l
    assert int((f_all * costs).sum()) == int((f_lazy * costs).sum())
    assert not f_lazy[lazy].any()  # the upper tranches are never reached
    assert piv_lazy <= piv_all
