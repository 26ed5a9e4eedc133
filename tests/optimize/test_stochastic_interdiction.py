"""Stochastic interdiction: the expected-value optimum is not the deterministic one."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize import (
    InterdictionNetwork,
    expected_max_flow_interdiction,
    expected_max_flow_value,
    max_flow_interdiction,
)
from tests.optimize.oracle import expected_max_flow, max_flow


def _trap() -> InterdictionNetwork:
    # a wide two-arc path whose interdictions each succeed half the time, and a thin sure one
    rows = [{"from": "s", "to": "a", "capacity": 10},
            {"from": "a", "to": "b", "capacity": 10, "interdiction_cost": 1, "success_prob": 0.5},
            {"from": "b", "to": "c", "capacity": 10, "interdiction_cost": 1, "success_prob": 0.5},
            {"from": "c", "to": "t", "capacity": 10},
            {"from": "s", "to": "d", "capacity": 1},
            {"from": "d", "to": "e", "capacity": 1, "interdiction_cost": 1, "success_prob": 1.0},
            {"from": "e", "to": "t", "capacity": 1}]
    return InterdictionNetwork.from_edges(rows, source="s", sink="t")


def test_stochastic_optimum_is_not_the_deterministic_or_expected_capacity_optimum():
    """Attempting both arcs of the wide path (expected flow 1 + 10/4 = 3.5) beats the deterministic
    plan and the plan optimal on expected capacities (one wide arc + the thin path: expected flow 5)."""
    net = _trap()
    stoch = expected_max_flow_interdiction(net, 2)
    assert stoch.method == "patterns" and stoch.value_after == 3.5
    assert stoch.edges == [("a", "b"), ("b", "c")]

    sure = InterdictionNetwork.from_edges(
        [{"from": net.node_ids[a], "to": net.node_ids[b], "capacity": float(c),
          "interdiction_cost": None if math.isnan(ic) else ic}
         for a, b, c, ic in zip(net.src, net.dst, net.capacity, net.interdiction_cost, strict=True)],
        source="s", sink="t")
    det = max_flow_interdiction(sure, 2)
    assert det.value_after == 0.0 and ("d", "e") in det.edges
    assert expected_max_flow(net, det.edge_indices, det.node_indices) == 5.0

    # the expected-capacity model: a hit arc keeps (1 - p) of its capacity
    def expected_capacity_flow(edges):
        rows = [{"from": net.node_ids[a], "to": net.node_ids[b],
                 "capacity": float(c) * ((1 - p) if e in edges else 1.0)}
                for e, (a, b, c, p) in enumerate(zip(net.src, net.dst, net.capacity, net.success_prob, strict=True))]
        return max_flow(InterdictionNetwork.from_edges(rows, source="s", sink="t"))

    inner = [e for e in range(net.n_edges) if not math.isnan(net.interdiction_cost[e])]
    ec_best = min(itertools.combinations(inner, 2), key=expected_capacity_flow)
    assert expected_max_flow(net, list(ec_best)) == 5.0 > stoch.value_after


def test_sample_average_approximation_says_so():
    """Asked for SAA, the result says 'saa' (never 'optimal'), with at least 10 replications, a
    statistical lower bound below the plan's value, and the plan evaluated exactly (two uncertain
    items); Monte Carlo agrees with that value."""
    net = _trap()
    r = expected_max_flow_interdiction(net, 2, method="saa", samples=50, seed=1)
    assert r.method == "saa" and r.status == "saa" and r.detail["saa"]["evaluation"] == "exact"
    assert r.detail["saa"]["replications"] >= 10 and r.bound <= r.value_after
    assert math.isclose(r.value_after, expected_max_flow(net, r.edge_indices, r.node_indices))
    value, how = expected_max_flow_value(net, r.edge_indices, max_exact=0, samples=400, seed=2)
    assert how == "monte-carlo" and abs(value - r.value_after) < 1.5


def test_l_shaped_equals_stacked_model_per_sample():
    """On the same sampled scenarios, the multi-cut L-shaped method and the stacked deterministic
    equivalent reach the same proven sample optimum in every replication."""
    from counterflow.optimize.instances import grid_network

    g = grid_network(3, 4, seed=1, success_prob=0.6)
    for budget in (1, 3):
        runs = [expected_max_flow_interdiction(g, budget, method="saa", saa_solver=solver, samples=8,
                                               replications=3, eval_samples=200, seed=5)
                for solver in ("benders", "milp")]
        b, m = (r.detail["saa"] for r in runs)
        assert b["replication_status"] == m["replication_status"] == ["optimal"] * 3
        assert all(math.isclose(x, y, abs_tol=1e-6)
                   for x, y in zip(b["replication_objectives"], m["replication_objectives"], strict=True))
        assert all(lo <= ob + 1e-6 for lo, ob in zip(b["replication_lower_bounds"], b["replication_objectives"],
                                                      strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_l_shaped_variants_prove_the_stacked_optimum(seed):
    """Every variant of the L-shaped method (local-search incumbent on or off, flow cuts or path-capped
    cuts) proves the stacked model's optimum of one sample, and its plan is worth that on the sample."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize._milp import solve_milp
    from counterflow.optimize.instances import grid_network
    from counterflow.optimize.stochastic import _benders, _stacked, _stacked_model

    rng = np.random.default_rng(seed)
    g = grid_network(3 + seed % 2, 4, seed=seed, success_prob=0.6)
    arcs = g.arcs()
    budget = int(rng.integers(1, 4))
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget))
    draws = rng.random((6, cand.size)) < arcs.prob[cand]
    c, a, rlo, rhi, clo, chi, integer, _, _ = _stacked_model(arcs, cand, budget, list(draws.astype(float)),
                                                              [1 / 6] * 6)
    want = solve_milp(c, a, rlo, rhi, clo, chi, integer).objective
    plan, obj, low, status, _ = _stacked(arcs, FlowOracle(arcs), cand, budget, draws, None, 1e-6)
    assert status == "optimal" and math.isclose(obj, want, abs_tol=1e-6) and math.isclose(low, obj, abs_tol=1e-9)
    for local in (True, False):
        for path_cuts in (True, False):
            oracle = FlowOracle(arcs)
            plan, obj, low, status, _ = _benders(arcs, oracle, cand, budget, draws, None, 1e-6, local=local,
                                                 path_cuts=path_cuts)
            assert status == "optimal" and math.isclose(obj, want, abs_tol=1e-6) and low <= obj + 1e-9
            removed = np.zeros(arcs.m, dtype=bool)
            vals = []
            for s in range(6):
                removed[:] = False
                removed[plan[draws[s][np.searchsorted(cand, plan)]]] = True
                vals.append(oracle.flow(removed))
            assert math.isclose(float(np.mean(vals)), obj, abs_tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(1, 3))
def test_stacked_with_cut_off_equals_brute_force(seed, budget):
    """The stacked model with the local-search incumbent as a cut-off row proves the sample optimum that
    enumerating every budget-feasible set of candidate arcs finds (sample means from maximum flows),
    with arcs at the source and sink costed; its lower bound is proven (never above the optimum)."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize.stochastic import _stacked

    rng = np.random.default_rng(seed)
    arcs, cand, draws, mean, best = _sampled_instance(rng, budget, max_nodes=7, extra_arcs=2, patterns=5)
    plan, obj, low, status, _ = _stacked(arcs, FlowOracle(arcs), cand, budget, draws, None, 1e-6)
    assert status == "optimal" and math.isclose(obj, best, abs_tol=1e-9) and low <= best + 1e-9
    assert arcs.icost[plan].sum() <= budget + 1e-9
    assert math.isclose(mean(tuple(int(np.searchsorted(cand, a)) for a in plan)), obj, abs_tol=1e-9)


def test_auto_sample_solver_by_size():
    """``saa_solver="auto"`` takes the stacked model for a small sample and says so; the L-shaped
    method past the measured size."""
    from counterflow.optimize.instances import grid_network
    from counterflow.optimize.stochastic import STACKED_MAX_SIZE, stacked_size

    g = grid_network(3, 4, seed=1, success_prob=0.6)
    assert stacked_size(g.arcs(), 8) <= STACKED_MAX_SIZE < stacked_size(grid_network(20, 20).arcs(), 50)
    r = expected_max_flow_interdiction(g, 2, method="saa", samples=8, replications=3, eval_samples=100, seed=5)
    assert r.status == "saa" and r.detail["saa"]["solver"] == "milp"
    assert r.detail["saa"]["replication_status"] == ["optimal"] * 3


def _sampled_instance(rng, budget, max_nodes=8, extra_arcs=4, patterns=None):
    """A random network of 5..``max_nodes`` nodes, its candidate arcs within ``budget``, sampled success
    patterns (``patterns`` of them, or 2..6 drawn), the sample mean of a plan (indices into the
    candidates) and the brute-force best over all plans within the budget."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize.instances import random_network

    n = int(rng.integers(5, max_nodes + 1))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + extra_arcs)), success_probs=(0.5, 0.8, 1.0))
    arcs = net.arcs()
    oracle = FlowOracle(arcs)
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget) & (arcs.prob > 0))
    k = patterns if patterns is not None else int(rng.integers(2, 7))
    draws = rng.random((k, cand.size)) < arcs.prob[cand]

    def mean(plan) -> float:
        removed = np.zeros(arcs.m, dtype=bool)
        vals = []
        for d in draws:
            removed[:] = False
            removed[[cand[j] for j in plan if d[j]]] = True
            vals.append(oracle.flow(removed))
        return float(np.mean(vals))

    best = min(mean(p) for r in range(cand.size + 1) for p in itertools.combinations(range(cand.size), r)
               if arcs.icost[cand[list(p)]].sum() <= budget + 1e-9)
    return arcs, cand, draws, mean, best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(1, 3), polish=st.sampled_from([0.0, math.inf]),
       mc=st.booleans())
def test_l_shaped_equals_brute_force(seed, budget, polish, mc):
    """The L-shaped method (with or without polishing master plans by local search, flow cuts or
    Magnanti-Wong cuts) proves the sample optimum that enumerating every budget-feasible plan finds;
    every lower bound it reports, the bound of a run stopped after one master included, is proven."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize.stochastic import _benders

    rng = np.random.default_rng(seed)
    arcs, cand, draws, mean, best = _sampled_instance(rng, budget)
    stats: dict = {}
    plan, obj, low, status, _ = _benders(arcs, FlowOracle(arcs), cand, budget, draws, None, 1e-6, polish=polish,
                                         pareto=mc, stats=stats)
    assert polish > 0 or stats["polish_runs"] == 0
    assert status == "optimal" and math.isclose(obj, best, abs_tol=1e-9) and low <= best + 1e-9
    assert arcs.icost[plan].sum() <= budget + 1e-9
    assert math.isclose(mean(tuple(int(np.searchsorted(cand, a)) for a in plan)), obj, abs_tol=1e-9)
    assert stats["cut_rounds"] >= 1 and stats["seconds"] >= stats["master_milp_s"]
    # no local search, one MILP master at most: whatever it stops with is a proven bound and a real plan
    plan, obj, low, status, _ = _benders(arcs, FlowOracle(arcs), cand, budget, draws, None, 1e-6, local=False,
                                         pareto=mc, max_masters=1)
    assert low <= best + 1e-9 and obj >= best - 1e-9


@pytest.mark.parametrize("seed", [12, 41])
def test_polishing_master_plans_keeps_the_optimum(seed):
    """Two random networks on which the L-shaped method with plain flow cuts needs MILP masters and
    polishes their plans by local search: it still proves the brute-force optimum of the sample."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize.stochastic import _benders

    rng = np.random.default_rng(seed)
    budget = int(rng.integers(1, 4))
    arcs, cand, draws, mean, best = _sampled_instance(rng, budget)
    stats: dict = {}
    _, obj, low, status, _ = _benders(arcs, FlowOracle(arcs), cand, budget, draws, None, 1e-6, polish=math.inf,
                                      pareto=False, stats=stats)
    assert stats["polish_runs"] > 0
    assert status == "optimal" and math.isclose(obj, best, abs_tol=1e-9) and low <= best + 1e-9
