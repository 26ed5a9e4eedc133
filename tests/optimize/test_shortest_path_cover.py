"""The path-covering method for shortest-path interdiction: edge cases, node interdiction, removal,
grids against the dualised MILP, and an honest status under a time limit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from counterflow.errors import InputError
from counterflow.optimize import InterdictionNetwork, shortest_path_interdiction
from counterflow.optimize.instances import grid_network
from tests.optimize.oracle import plans, shortest_path


def _rows(net: InterdictionNetwork, *, cost=None, delta="keep"):
    out = []
    for e in range(net.n_edges):
        a, b = net.edge_label(e)
        d = net.interdiction_delta[e] if delta == "keep" else delta
        ic = net.interdiction_cost[e]
        out.append({"from": a, "to": b, "capacity": float(net.capacity[e]),
                    "cost": float(net.cost[e]) if cost is None else cost,
                    "interdiction_cost": None if math.isnan(ic) else float(ic),
                    "interdiction_delta": None if d is None or (isinstance(d, float) and math.isnan(d)) else float(d)})
    return out


@pytest.mark.parametrize("method", ["cover", "milp"])
def test_budget_zero_budget_above_all_costs_and_no_path(method):
    """Budget 0 keeps the shortest path; a budget paying for every (removing) interdiction cuts the sink
    off (``inf``, proven); with no s-t path nothing is interdicted and the value stays ``inf``."""
    net = grid_network(4, 4, seed=3)
    r0 = shortest_path_interdiction(net, 0, method=method)
    assert (r0.edges, r0.nodes, r0.status) == ([], [], "optimal")
    assert r0.value_after == r0.value_before == shortest_path(net)
    removable = InterdictionNetwork.from_edges(_rows(net, delta=None), source="s", sink="t")
    big = float(np.nansum(removable.interdiction_cost)) + 1
    r = shortest_path_interdiction(removable, big, method=method)
    assert r.value_after == math.inf and r.status == "optimal" and r.bound == math.inf
    nopath = InterdictionNetwork.from_edges(
        [{"from": "s", "to": "a", "capacity": 1, "cost": 1},
         {"from": "a", "to": "b", "capacity": 1, "cost": 1, "interdiction_cost": 1},
         {"from": "t", "to": "c", "capacity": 1, "cost": 1}], source="s", sink="t")
    s = shortest_path_interdiction(nopath, 1, method=method)
    assert (s.value_before, s.value_after, s.edges, s.status) == (math.inf, math.inf, [], "optimal")


def test_node_interdiction_and_removal():
    """Interdicting a node removes its arcs: the cheapest way to force the long detour here is the node,
    not the edges; an arc with an empty delta is removed when interdicted."""
    rows = [{"from": "s", "to": "a", "capacity": 1, "cost": 1},
            {"from": "a", "to": "b", "capacity": 1, "cost": 1, "interdiction_cost": 1, "interdiction_delta": 2},
            {"from": "a", "to": "c", "capacity": 1, "cost": 1, "interdiction_cost": 1, "interdiction_delta": 2},
            {"from": "b", "to": "t", "capacity": 1, "cost": 1},
            {"from": "c", "to": "t", "capacity": 1, "cost": 1},
            {"from": "s", "to": "d", "capacity": 1, "cost": 10},
            {"from": "d", "to": "t", "capacity": 1, "cost": 10}]
    net = InterdictionNetwork.from_edges(rows, source="s", sink="t", nodes=[{"id": "a", "interdiction_cost": 1}])
    r = shortest_path_interdiction(net, 1, method="cover")
    assert (r.nodes, r.edges, r.value_after, r.status) == (["a"], [], 20.0, "optimal")
    removed = InterdictionNetwork.from_edges(
        [{"from": "s", "to": "a", "capacity": 1, "cost": 1},
         {"from": "a", "to": "b", "capacity": 1, "cost": 1, "interdiction_cost": 1},
         {"from": "b", "to": "t", "capacity": 1, "cost": 1},
         {"from": "s", "to": "t", "capacity": 1, "cost": 7}], source="s", sink="t")
    r = shortest_path_interdiction(removed, 1, method="cover")
    assert (r.edges, r.value_after, r.status) == ([("a", "b")], 7.0, "optimal")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("budget", [1, 3, 5])
def test_grid_cover_equals_dual_milp(seed, budget):
    """On 6x6 Israeli-Wood grids both exact methods agree."""
    g = grid_network(6, 6, seed=seed)
    a = shortest_path_interdiction(g, budget, method="cover")
    b = shortest_path_interdiction(g, budget, method="milp")
    assert a.status == b.status == "optimal"
    assert a.value_after == b.value_after
    assert a.spent <= budget


def test_small_grid_matches_brute_force():
    """A 3x3 grid against enumeration of every budget-feasible plan."""
    g = grid_network(3, 3, seed=5)
    for budget in (1, 2, 3):
        r = shortest_path_interdiction(g, budget, method="cover")
        assert r.value_after == max(shortest_path(g, e, v) for e, v in plans(g, budget))


def test_time_limit_reports_incumbent_and_bound():
    """Out of time, the best plan found comes back with status time_limit, a bound above its value and
    a positive gap; its value is what the plan achieves."""
    g = grid_network(20, 20, seed=20)  # needs tens of seconds to prove (the benchmark's 20x20, budget 10)
    r = shortest_path_interdiction(g, 10, method="cover", time_limit=0.5)
    assert r.status == "time_limit"
    assert r.value_after == shortest_path(g, r.edge_indices, r.node_indices)
    assert r.spent <= 10
    assert r.bound > r.value_after and r.gap > 0


def test_cover_needs_integer_data_and_auto_falls_back():
    """Fractional lengths: method='cover' is refused, 'auto' uses the MILP."""
    net = grid_network(3, 3, seed=1)
    frac = InterdictionNetwork.from_edges(_rows(net, cost=1.5), source="s", sink="t")
    with pytest.raises(InputError):
        shortest_path_interdiction(frac, 1, method="cover")
    with pytest.raises(InputError):
        shortest_path_interdiction(net, 1, method="benders")
    r = shortest_path_interdiction(frac, 1)
    assert r.method == "milp" and r.status == "optimal"
