"""Every exact optimiser equals brute force over all budget-feasible plans on small random networks."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from counterflow.optimize import (
    expected_max_flow_interdiction,
    max_flow_interdiction,
    min_cost_flow_interdiction,
    shortest_path_interdiction,
)
from counterflow.optimize.instances import random_network
from tests.optimize.oracle import expected_max_flow, max_flow, min_cost, plans, shortest_path

seeds = st.integers(0, 2**32 - 1)
budgets = st.integers(0, 4)


def _net(seed: int, probs=(1.0,)):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    return random_network(rng, n, int(rng.integers(n, 2 * n + 3)), success_probs=probs)


def _plan_ok(net, r, budget):
    assert r.spent <= budget + 1e-9
    assert math.isclose(net.plan_cost(r.edge_indices, r.node_indices), r.spent)
    assert r.status == "optimal"


@given(seed=seeds, budget=budgets)
def test_max_flow_matches_brute_force(seed, budget):
    """Wood's MILP finds the least maximum flow of any budget-feasible plan; its plan, re-evaluated with
    OR-Tools, achieves the reported value; the certificate cut has capacity equal to that flow."""
    net = _net(seed)
    r = max_flow_interdiction(net, budget)
    best = min(max_flow(net, e, v) for e, v in plans(net, budget))
    _plan_ok(net, r, budget)
    assert r.value_before == max_flow(net)
    assert math.isclose(r.value_after, best, abs_tol=1e-6)
    assert math.isclose(max_flow(net, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-6)
    cert = r.certificate
    assert cert["verified"] and math.isclose(cert["cut_capacity"], r.value_after, abs_tol=1e-6)
    idx = net.node_index
    cut_edges = [net.resolve_plan([tuple(e)])[0][0] for e in cert["cut_edges"]]
    cut_nodes = [idx[v] for v in cert["cut_nodes"]]
    assert math.isclose(sum(net.capacity[cut_edges]) + sum(net.node_capacity[cut_nodes]), r.value_after)
    assert max_flow(net, r.edge_indices + cut_edges, r.node_indices + cut_nodes) == 0.0


@given(seed=seeds, budget=budgets)
def test_shortest_path_matches_brute_force(seed, budget):
    """The default method (path covering with lazily generated paths) finds the longest shortest path
    any budget-feasible plan can force (removed arcs and nodes included), checked with Bellman-Ford."""
    net = _net(seed)
    r = shortest_path_interdiction(net, budget)
    assert r.method == "cover"
    best = max(shortest_path(net, e, v) for e, v in plans(net, budget))
    _plan_ok(net, r, budget)
    assert r.value_before == shortest_path(net)
    assert r.value_after == best
    assert shortest_path(net, r.edge_indices, r.node_indices) == r.value_after


@given(seed=seeds, budget=budgets)
def test_shortest_path_feasibility_probes_match_brute_force(seed, budget):
    """Started from no interdiction and the LP bound (first_limit=0), the bisection of feasibility
    probes on the objective still ends at the brute-force optimum, proven."""
    net = _net(seed)
    r = shortest_path_interdiction(net, budget, first_limit=0, method="milp")
    best = max(shortest_path(net, e, v) for e, v in plans(net, budget))
    _plan_ok(net, r, budget)
    assert r.value_after == best
    assert shortest_path(net, r.edge_indices, r.node_indices) == r.value_after


@given(seed=seeds, budget=budgets)
def test_shortest_path_cover_equals_dual_milp(seed, budget):
    """Path covering and the dualised MILP reach the same optimum, both proven, on networks with
    removed arcs and interdictable nodes (``random_network``); both plans re-evaluate to it."""
    net = _net(seed)
    cover = shortest_path_interdiction(net, budget, method="cover")
    milp = shortest_path_interdiction(net, budget, method="milp")
    assert (cover.method, milp.method) == ("cover", "milp")
    _plan_ok(net, cover, budget)
    _plan_ok(net, milp, budget)
    assert cover.value_after == milp.value_after
    assert cover.value_before == milp.value_before
    assert cover.gap == 0.0 and cover.bound == cover.value_after
    best = max(shortest_path(net, e, v) for e, v in plans(net, budget))
    assert cover.value_after == best


@given(seed=seeds, budget=budgets, demand=st.integers(1, 25), penalty=st.integers(0, 60))
def test_min_cost_flow_matches_brute_force(seed, budget, demand, penalty):
    """The dualised min-cost-flow MILP finds the plan maximising the evader's least cost of shipping
    the demand (unmet units at the penalty), checked with networkx's network simplex."""
    net = _net(seed)
    r = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty)
    best = max(min_cost(net, demand, penalty, e, v) for e, v in plans(net, budget))
    _plan_ok(net, r, budget)
    assert math.isclose(r.value_before, min_cost(net, demand, penalty), abs_tol=1e-6)
    assert math.isclose(r.value_after, best, abs_tol=1e-6)
    assert math.isclose(min_cost(net, demand, penalty, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-6)


@given(seed=seeds, budget=st.integers(0, 3))
def test_expected_max_flow_matches_brute_force(seed, budget):
    """With every success pattern enumerated, the stochastic MILP finds the least expected maximum flow
    of any budget-feasible plan (expectations computed by enumeration with OR-Tools max flow)."""
    net = _net(seed, probs=(0.4, 0.75, 1.0))
    r = expected_max_flow_interdiction(net, budget, max_scenarios=4096)
    # up to 12 uncertain candidate arcs every success pattern goes into one MILP; beyond that `auto`
    # enumerates every maximal plan exactly: both are exact, and both must match brute force
    assert r.method in ("patterns", "enumerate")
    best = min(expected_max_flow(net, e, v) for e, v in plans(net, budget))
    _plan_ok(net, r, budget)
    assert math.isclose(r.value_after, best, abs_tol=1e-6)
    assert math.isclose(expected_max_flow(net, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-6)
