"""The tightened dualised MILP for min-cost-flow interdiction (``mincost.dual_model``): the potential bounds
and the smaller coefficients keep every plan's value (checked plan by plan against brute force), and the
LP relaxation, never below the optimum, is tighter than the plain model's on the hard grid family."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize import min_cost_flow_interdiction
from counterflow.optimize._milp import solve_milp
from counterflow.optimize.evaluate import min_cost_flow_value
from counterflow.optimize.instances import mcf_grid_instance, random_network
from counterflow.optimize.mincost import dual_model, potential_bounds
from tests.optimize.oracle import min_cost, plans


def _model(net, budget, demand, penalty, tighten):
    arcs = net.arcs()
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9))
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    return arcs, cand, dual_model(arcs, cand, delta, budget, demand, penalty, tighten=tighten)


def _columns(arcs, cand, edges, nodes) -> np.ndarray:
    """The 0/1 x of a plan given as (edges, nodes), over ``cand``."""
    items = set(edges) | {-(v + 1) for v in nodes}
    return np.array([1.0 if int(arcs.item[a]) in items else 0.0 for a in cand])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), budget=st.integers(1, 3), demand=st.integers(1, 25),
       penalty=st.integers(0, 60), fractional=st.booleans())
def test_every_plan_keeps_its_value_and_the_relaxation_bounds_the_optimum(seed, budget, demand, penalty,
                                                                           fractional):
    """Random networks (removed and lengthened arcs, costed nodes, arcs at s and t costed, zero costs,
    fractional costs): with ``x`` fixed to any budget-feasible plan, the tightened model's optimum is that
    plan's least cost by the primal LP (and networkx on integer data) (so the bounds and coefficients cut off no plan's value); its LP
    relaxation is at least the brute-force optimum and at most the plain model's relaxation; the MILP
    agrees with brute force."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 9))
    net = random_network(rng, n, int(rng.integers(n, 2 * n + 3)))
    if fractional:
        net = type(net)(**{**net.__dict__, "cost": net.cost + rng.uniform(0, 1, net.n_edges).round(2)})
    arcs, cand, (c, a, rlo, rhi, clo, chi, integer) = _model(net, budget, demand, penalty, True)
    lo, hi = potential_bounds(arcs, float(penalty))
    assert np.all(lo <= hi) and lo[arcs.s] == hi[arcs.s] == 0.0
    none = np.zeros(integer.size, dtype=bool)
    every = list(plans(net, budget))
    values = []
    for edges, nodes in every:
        x = _columns(arcs, cand, edges, nodes)
        lo_x, hi_x = clo.copy(), chi.copy()
        lo_x[integer], hi_x[integer] = x, x
        sol = solve_milp(c, a, rlo, rhi, lo_x, hi_x, none, maximize=True)
        # the primal LP (scipy's HiGHS); on integer data also networkx's network simplex, which does not
        # handle fractional costs
        true = min_cost_flow_value(net, demand, penalty, edges, nodes)
        if not fractional:
            assert math.isclose(true, min_cost(net, demand, penalty, edges, nodes), abs_tol=1e-6)
        assert sol.status == "optimal" and math.isclose(sol.objective, true, rel_tol=1e-7, abs_tol=1e-5)
        values.append(true)
    best = max(values)
    relaxed = solve_milp(c, a, rlo, rhi, clo, chi, none, maximize=True).objective
    plain = solve_milp(*_model(net, budget, demand, penalty, False)[2][:6], none, maximize=True).objective
    assert best - 1e-5 <= relaxed <= plain + 1e-5
    r = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, method="milp")
    assert r.status == "optimal" and r.detail["tightened"] and math.isclose(r.value_after, best, abs_tol=1e-5)


def test_tightening_binds_on_the_grid_family_and_is_inert_without_slack():
    """On the hard family the removed nodes' coefficients fall below the penalty and the LP relaxation
    drops, while both models prove the same optimum; where no potential difference can be bounded below
    the penalty (a single arc s -> t, penalty below its cost) the coefficients and the relaxation are the
    plain model's."""
    net, demand, penalty = mcf_grid_instance(6, 6, seed=3)
    arcs, cand, tight = _model(net, 3, demand, penalty, True)
    _, _, plain = _model(net, 3, demand, penalty, False)
    none = np.zeros(tight[6].size, dtype=bool)
    assert -tight[1][:, arcs.n + arcs.m:].min() < penalty  # some coefficient below the penalty
    lp_tight = solve_milp(*tight[:6], none, maximize=True).objective
    lp_plain = solve_milp(*plain[:6], none, maximize=True).objective
    assert lp_tight < lp_plain - 1.0
    a = min_cost_flow_interdiction(net, 3, demand=demand, penalty=penalty, method="milp")
    b = min_cost_flow_interdiction(net, 3, demand=demand, penalty=penalty, method="milp", tighten=False)
    assert a.status == b.status == "optimal" and a.value_after == b.value_after
    from counterflow.optimize.graph import InterdictionNetwork

    one = InterdictionNetwork.from_edges([{"from": "s", "to": "t", "capacity": 5, "cost": 3,
                                           "interdiction_cost": 1}], source="s", sink="t")
    _, _, t1 = _model(one, 1, 4, 2, True)
    _, _, p1 = _model(one, 1, 4, 2, False)
    assert (t1[1] != p1[1]).nnz == 0  # the same coefficients (only the potentials' bounds differ)
    none1 = np.zeros(t1[6].size, dtype=bool)
    assert math.isclose(solve_milp(*t1[:6], none1, maximize=True).objective,
                        solve_milp(*p1[:6], none1, maximize=True).objective, abs_tol=1e-6)
