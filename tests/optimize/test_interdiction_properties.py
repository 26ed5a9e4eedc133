"""Monotonicity in the budget, agreement with networkx before interdiction, edge cases and bad input."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from counterflow import load_scenario
from counterflow.errors import InputError
from counterflow.optimize import (
    InterdictionNetwork,
    expected_max_flow_interdiction,
    max_flow_interdiction,
    min_cost_flow_interdiction,
    shortest_path_interdiction,
)
from counterflow.optimize.instances import grid_network, random_network


def _nx(net: InterdictionNetwork) -> nx.DiGraph:
    g = nx.DiGraph()
    for e in range(net.n_edges):
        g.add_edge(net.node_ids[net.src[e]], net.node_ids[net.dst[e]], capacity=float(net.capacity[e]),
                   weight=float(net.cost[e]))
    return g


@given(seed=st.integers(0, 2**32 - 1))
def test_values_monotone_in_budget(seed):
    """More budget never raises the maximum flow and never shortens the shortest path or cheapens
    the evader's minimum-cost flow."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, 8, 18)
    mf = [max_flow_interdiction(net, b).value_after for b in range(5)]
    sp = [shortest_path_interdiction(net, b).value_after for b in range(5)]
    mc = [min_cost_flow_interdiction(net, b, demand=12, penalty=40).value_after for b in range(5)]
    assert all(a >= b - 1e-9 for a, b in zip(mf, mf[1:], strict=False))
    assert all(a <= b + 1e-9 for a, b in zip(sp, sp[1:], strict=False))
    assert all(a <= b + 1e-9 for a, b in zip(mc, mc[1:], strict=False))


def test_value_before_equals_networkx_on_a_grid():
    """Before interdiction the optimisers report networkx's maximum flow, shortest path and min-cost flow."""
    net = grid_network(6, 6, seed=3)
    g = _nx(net)
    assert max_flow_interdiction(net, 0).value_before == nx.maximum_flow_value(g, "s", "t")
    assert shortest_path_interdiction(net, 0).value_before == nx.dijkstra_path_length(g, "s", "t")
    d = 10
    g.add_edge("s", "t", capacity=d, weight=100)
    g.nodes["s"]["demand"], g.nodes["t"]["demand"] = -d, d
    r = min_cost_flow_interdiction(net, 0, demand=d, penalty=100)
    assert math.isclose(r.value_before, nx.min_cost_flow_cost(g))


def test_budget_zero_and_budget_above_all_costs():
    """Budget 0 interdicts nothing; a budget above every cost removes what it pays to remove
    (here every inner grid arc, so no flow and no path are left)."""
    net = grid_network(4, 4, seed=1)
    r0 = max_flow_interdiction(net, 0)
    assert r0.edges == [] and r0.nodes == [] and r0.value_after == r0.value_before
    s0 = shortest_path_interdiction(net, 0)
    assert s0.edges == [] and s0.value_after == s0.value_before
    rows = [{"from": net.node_ids[a], "to": net.node_ids[b], "capacity": float(c), "cost": 1.0,
             "interdiction_cost": ic} for a, b, c, ic in zip(net.src, net.dst, net.capacity, net.interdiction_cost, strict=True)]
    removable = InterdictionNetwork.from_edges(rows, source="s", sink="t")
    big = float(np.nansum(removable.interdiction_cost)) + 1
    assert max_flow_interdiction(removable, big).value_after == 0.0
    assert shortest_path_interdiction(removable, big).value_after == math.inf
    mc = min_cost_flow_interdiction(removable, big, demand=5, penalty=50)
    assert mc.value_after == 250.0


def test_no_path_and_disconnected_sink():
    """With no s-t path the max flow is 0 and the shortest path infinite, before and after; a sink
    with no arcs in behaves the same; the min-cost flow pays the penalty for all demand."""
    rows = [{"from": "s", "to": "a", "capacity": 3, "cost": 1},
            {"from": "a", "to": "b", "capacity": 3, "cost": 1, "interdiction_cost": 1},
            {"from": "t", "to": "c", "capacity": 3, "cost": 1}]
    net = InterdictionNetwork.from_edges(rows, source="s", sink="t")
    r = max_flow_interdiction(net, 1)
    assert (r.value_before, r.value_after, r.certificate["verified"]) == (0.0, 0.0, True)
    s = shortest_path_interdiction(net, 1)
    assert (s.value_before, s.value_after, s.edges) == (math.inf, math.inf, [])
    assert min_cost_flow_interdiction(net, 1, demand=4, penalty=7).value_after == 28.0
    assert expected_max_flow_interdiction(net, 1).value_after == 0.0


def test_source_and_sink_nodes_cannot_be_costed():
    """The source and sink nodes themselves cannot be interdicted: a node cost on either is refused."""
    rows = [{"from": "s", "to": "a", "capacity": 3, "interdiction_cost": 1},
            {"from": "a", "to": "t", "capacity": 3, "interdiction_cost": 1}]
    for v in ("s", "t"):
        with pytest.raises(InputError, match="cannot be interdicted"):
            InterdictionNetwork.from_edges(rows, source="s", sink="t", nodes=[{"id": v, "interdiction_cost": 1}])


def test_node_interdiction_removes_incident_arcs():
    """Interdicting a node removes every arc through it, including uninterdictable ones."""
    rows = [{"from": "s", "to": "a", "capacity": 5}, {"from": "a", "to": "b", "capacity": 5},
            {"from": "b", "to": "t", "capacity": 5}, {"from": "s", "to": "t", "capacity": 1}]
    net = InterdictionNetwork.from_edges(rows, source="s", sink="t", nodes=[{"id": "b", "interdiction_cost": 2}])
    r = max_flow_interdiction(net, 2)
    assert (r.nodes, r.value_after, r.spent) == (["b"], 1.0, 2.0)
    assert shortest_path_interdiction(net, 2).value_after == 0.0


def test_scenario_network_has_super_source_and_sink(caribbean):
    """A scenario's sources feed a super-source (capacity: production) and markets a super-sink; the
    maximum flow before interdiction is the total production the network can carry."""
    net = InterdictionNetwork.from_scenario(caribbean)
    r = max_flow_interdiction(net, 2)
    assert r.value_before == 6500.0
    assert r.value_after < r.value_before and r.certificate["verified"]
    assert all(v not in ("_source", "_sink", "andes_east", "us_east") for v in r.nodes)


def test_bad_input_gives_clear_errors(tmp_path):
    """Malformed networks and arguments raise InputError naming the problem (and the file and line)."""
    p = tmp_path / "net.csv"
    p.write_text("from,to\na,b\n")
    with pytest.raises(InputError, match="missing column"):
        InterdictionNetwork.from_csv(p, source="a", sink="b")
    p.write_text("from,to,capacity\na,b,lots\n")
    with pytest.raises(InputError, match="line 2") as ei:
        InterdictionNetwork.from_csv(p, source="a", sink="b")
    assert "capacity" in str(ei.value)
    p.write_text("from,to,capacity,success_prob\na,b,1,1.5\n")
    with pytest.raises(InputError, match="success_prob"):
        InterdictionNetwork.from_csv(p, source="a", sink="b")
    p.write_text("from,to,capacity\na,b,1\na,b,2\n")
    with pytest.raises(InputError, match="duplicate edge"):
        InterdictionNetwork.from_csv(p, source="a", sink="b")
    p.write_text("from,to,capacity\na,b,1\n")
    with pytest.raises(InputError, match="sink 'z'"):
        InterdictionNetwork.from_csv(p, source="a", sink="z")
    net = InterdictionNetwork.from_csv(p, source="a", sink="b")
    with pytest.raises(InputError, match="budget"):
        max_flow_interdiction(net, -1)
    with pytest.raises(InputError, match="demand"):
        min_cost_flow_interdiction(net, 1, demand=-2, penalty=1)
    with pytest.raises(InputError, match="source 'nowhere'"):
        InterdictionNetwork.from_scenario(load_scenario("caribbean"), source="nowhere")
