"""Issue 16 item 0: every costed arc can be interdicted (at the source and sink too), only the arcs
the tool adds are exempt, and ``optimal`` is said only when it is proven for the stated problem."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize import (
    InterdictionNetwork,
    expected_max_flow_interdiction,
    max_flow_interdiction,
    min_cost_flow_interdiction,
    shortest_path_interdiction,
)
from counterflow.optimize.instances import grid_network, random_network
from tests.optimize.oracle import expected_max_flow, max_flow, min_cost, plans, shortest_path


def _triangle(prob: float = 1.0) -> InterdictionNetwork:
    rows = [{"from": "s", "to": "a", "capacity": 100, "interdiction_cost": 1, "success_prob": prob},
            {"from": "a", "to": "t", "capacity": 100, "interdiction_cost": 1, "success_prob": prob},
            {"from": "s", "to": "t", "capacity": 10, "interdiction_cost": 1, "success_prob": prob}]
    return InterdictionNetwork.from_edges(rows, source="s", sink="t")


def test_arcs_at_source_and_sink_are_interdicted():
    """s->a (100), a->t (100), s->t (10), all costing 1, budget 2: cutting s->t and one of the others
    leaves no flow (the old rule exempting arcs at s and t answered 110, 'optimal')."""
    r = max_flow_interdiction(_triangle(), 2)
    assert (r.value_before, r.value_after, r.status) == (110.0, 0.0, "optimal")
    assert ("s", "t") in r.edges and len(r.edges) == 2
    assert r.certificate["verified"] and r.certificate["cut_capacity"] == 0.0
    assert r.detail["considered"]["edges"] == 3 and r.detail["considered"]["edges_at_source_or_sink"] == 3
    assert r.detail["considered"]["exempt_edges_added_by_tool"] == []


def test_expected_max_flow_with_source_and_sink_arcs():
    """The same network with success probability 0.5 on every arc: attempting s->a and a->t leaves
    10 + 100 * P(both fail) = 10 + 25 = 35, the optimum; every exact method agrees, SAA says saa."""
    net = _triangle(0.5)
    best = min(expected_max_flow(net, e, v) for e, v in plans(net, 2))
    assert best == 35.0
    for method in ("auto", "patterns", "enumerate"):
        r = expected_max_flow_interdiction(net, 2, method=method)
        assert r.value_after == 35.0 and r.status == "optimal", method
        assert r.method == ("patterns" if method == "auto" else method)
    s = expected_max_flow_interdiction(net, 2, method="saa", samples=20, replications=10)
    assert s.status == "saa" and s.method == "saa"
    assert s.value_after == 35.0 and s.detail["saa"]["evaluation"] == "exact"
    assert s.detail["saa"]["replications"] == 10 and s.bound <= 35.0


def test_min_cost_and_shortest_path_use_source_and_sink_arcs():
    """Lengthening or removing the arcs at s and t is allowed for every objective."""
    rows = [{"from": "s", "to": "a", "capacity": 1, "cost": 1, "interdiction_cost": 1},
            {"from": "a", "to": "t", "capacity": 1, "cost": 1, "interdiction_cost": 1, "interdiction_delta": 2},
            {"from": "s", "to": "t", "capacity": 1, "cost": 5, "interdiction_cost": 1}]
    paths = InterdictionNetwork.from_edges(rows, source="s", sink="t")
    assert [shortest_path_interdiction(paths, b).value_after for b in (0, 1, 2)] == [2.0, 5.0, math.inf]
    for b in (1, 2):
        assert shortest_path_interdiction(paths, b, method="milp").value_after == \
            max(shortest_path(paths, e, v) for e, v in plans(paths, b))
    net = _triangle()
    mc = min_cost_flow_interdiction(net, 2, demand=50, penalty=7)
    assert mc.value_after == max(min_cost(net, 50, 7, e, v) for e, v in plans(net, 2)) == 350.0


def test_scenario_super_arcs_are_the_only_exempt_ones(caribbean):
    """From a scenario, the super-source and super-sink arcs the tool adds are exempt and listed."""
    net = InterdictionNetwork.from_scenario(caribbean)
    r = max_flow_interdiction(net, 1)
    added = r.detail["considered"]["exempt_edges_added_by_tool"]
    assert added and all("_source" in e or "_sink" in e for e in added)
    assert all("_source" not in e and "_sink" not in e for e in r.edges)
    assert r.detail["considered"]["edges"] == net.n_edges - len(added)


def test_grid_expected_max_flow_equals_enumeration():
    """A 4x5 grid (46 interdictable arcs, success 0.7, budget 2): too many success patterns for the
    stacked model, so every plan is enumerated and evaluated exactly; brute force agrees."""
    g = grid_network(4, 5, seed=3, success_prob=0.7)
    r = expected_max_flow_interdiction(g, 2)
    assert (r.method, r.status) == ("enumerate", "optimal")
    best = min(expected_max_flow(g, e, v) for e, v in plans(g, 2))
    assert math.isclose(r.value_after, best, abs_tol=1e-9)
    assert math.isclose(expected_max_flow(g, r.edge_indices, r.node_indices), r.value_after, abs_tol=1e-9)


def test_large_stochastic_instance_is_saa_with_bounds():
    """When neither exact method fits, the answer is 'saa' with a statistical lower bound below the
    (exactly evaluated) value of the plan, from at least 10 replications."""
    g = grid_network(4, 5, seed=3, success_prob=0.7)
    r = expected_max_flow_interdiction(g, 2, max_evaluations=10, samples=10, replications=10)
    assert (r.method, r.status) == ("saa", "saa")
    info = r.detail["saa"]
    assert info["replications"] == 10 and info["screen_samples"] >= 1000
    assert r.bound == info["lower_bound_95"] <= r.value_after
    best = min(expected_max_flow(g, e, v) for e, v in plans(g, 2))
    assert r.value_after >= best - 1e-9


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(0, 3))
def test_brute_force_with_costed_source_and_sink_arcs(seed, budget):
    """Random networks whose arcs at s and t carry costs (and a direct s->t arc may exist): max flow and
    expected max flow (both exact methods) equal brute force over every budget-feasible plan."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 7))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 2)), p_interdictable=0.8,
                         success_probs=(0.5, 0.8, 1.0))
    rng2 = np.random.default_rng(seed)
    sure = random_network(rng2, n, int(rng2.integers(n, 2 * n + 2)), p_interdictable=0.8)
    r = max_flow_interdiction(sure, budget)
    assert r.status == "optimal"
    assert r.value_after == min(max_flow(sure, e, v) for e, v in plans(sure, budget))
    best = min(expected_max_flow(net, e, v) for e, v in plans(net, budget))
    for method, limit in (("patterns", None), ("enumerate", None), ("enumerate", 3600.0)):
        s = expected_max_flow_interdiction(net, budget, method=method, time_limit=limit)
        assert s.status == "optimal" and s.spent <= budget
        assert math.isclose(s.value_after, best, abs_tol=1e-6), method


def test_nothing_costed_at_source_is_reported_not_silently_dropped():
    """A source or sink node cost is refused rather than ignored."""
    from counterflow.errors import InputError

    with pytest.raises(InputError, match="source"):
        InterdictionNetwork.from_edges([{"from": "s", "to": "t", "capacity": 1}], source="s", sink="t",
                                       nodes=[{"id": "s", "interdiction_cost": 1}])
