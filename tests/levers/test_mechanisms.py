"""Mechanisms added for issue 12: each moves the outcome when it binds and is inert when it cannot."""

from __future__ import annotations

import dataclasses

import numpy as np

from counterflow import compile_network, simulate
from counterflow.engine import Engine
from counterflow.engine._kernels import node_capacity_left
from counterflow.strategy import parse_strategy
from tests.levers.examples import strategy_dict


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def _strategy(scenario, levers):
    if scenario.name != "caribbean":  # the example actor is the caribbean's US
        return parse_strategy({"name": "s", "levers": levers}, scenario=scenario)
    return parse_strategy(strategy_dict("s", levers), scenario=scenario)


# ------------------------------------------------------------------ unlimited-capacity nodes
def test_damaged_unlimited_node_is_closed_until_rebuilt():
    """Finite nodes keep their intact share; an unlimited node with any damage passes nothing."""
    cap = np.array([1000.0, np.inf, np.inf, np.inf])
    left = node_capacity_left(cap, np.array([0.5, 1.0, 0.5, 0.0]))
    np.testing.assert_array_equal(left, [500.0, np.inf, 0.0, 0.0])


def _strike_mx(caribbean, damage):
    return _strategy(caribbean, [{"type": "strike", "targets": {"nodes": ["mx_south"]}, "schedule": {"at": 2},
                                  "intel_accuracy": 1.0, "damage": damage}])


def test_unlimited_node_closure_lasts_in_proportion_to_damage(caribbean_net, caribbean):
    """A strike on an unlimited transit node closes it for about damage x rebuild_steps steps."""
    closed = {}
    for damage in (0.5, 1.0):
        tr = simulate(caribbean_net, _strike_mx(caribbean, damage), seed=1, steps=30)
        v = tr.node_ids.index("mx_south")
        flow = tr.node_flow[:, v]
        closed[damage] = int((flow[2:] <= 1e-9).sum())
    assert 4 <= closed[0.5] <= 6 and 9 <= closed[1.0] <= 11, closed


def test_deeper_strike_on_unlimited_node_averts_more(caribbean_net, caribbean):
    """Damage 1.0 on the unlimited trunk node delivers less than damage 0.5 in every one of 6 paired runs."""
    for seed in range(6):
        half = simulate(caribbean_net, _strike_mx(caribbean, 0.5), seed=seed, steps=30, record_flows=False)
        full = simulate(caribbean_net, _strike_mx(caribbean, 1.0), seed=seed, steps=30, record_flows=False)
        assert full.delivered_total.sum() < half.delivered_total.sum()


# ------------------------------------------------------------------------------ police capacity
def _police(scenario):
    return _strategy(scenario, [{"type": "police_support", "jurisdiction": "VE", "intensity": 0.3,
                                 "ramp_steps": 2, "schedule": {"start": 0}}])


def _with_police(caribbean, capacity):
    juris = tuple(dataclasses.replace(j, police_capacity=capacity) if j.id == "VE" else j
                  for j in caribbean.jurisdictions)
    return dataclasses.replace(caribbean, jurisdictions=juris)


def test_police_support_is_inert_without_police_capacity(caribbean):
    """A state with police_capacity 0 cannot use police support: the run is bit-identical to the baseline."""
    sc = _with_police(caribbean, 0.0)
    net = compile_network(sc)
    assert _same(simulate(net, _police(sc), seed=2, steps=30), simulate(net, seed=2, steps=30))


def test_police_support_scales_with_police_capacity(caribbean):
    """The added enforcement is proportional to the state's police capacity."""
    added = {}
    for capacity in (0.2, 0.8):
        sc = _with_police(caribbean, capacity)
        eng = Engine(compile_network(sc), _police(sc), seed=0)
        for _ in range(3):
            eng.step()
        ve = eng.net.juris_ids.index("VE")
        added[capacity] = eng.state.node_enf_add[eng.net.node_juris == ve].max()
    assert added[0.8] == np.float64(added[0.2] * 4) or abs(added[0.8] - 4 * added[0.2]) < 1e-9


def _paired(net, a, b, seeds, steps):
    """Per-seed (delivered under a) - (delivered under b)."""
    return np.array([simulate(net, a, seed=i, steps=steps, record_flows=False).delivered_total.sum()
                     - simulate(net, b, seed=i, steps=steps, record_flows=False).delivered_total.sum()
                     for i in range(seeds)])


def _interval(x):
    half = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean() - half, x.mean() + half


# --------------------------------------------------------------------------- working capital
def _sanctions(sc, intensity, laundering):
    return _strategy(sc, [{"type": "sanctions", "organisations": ["org_atl"], "intensity": intensity,
                           "laundering_cost": laundering, "schedule": {"start": 4, "every": 4}}])


def test_sanctions_do_nothing_while_revenue_pays_for_shipments():
    """Half the cash frozen and 15 % of revenue lost: free cash still pays for everything; only cash changes."""
    from counterflow import load_scenario

    sc = load_scenario("transatlantic")
    net = compile_network(sc)
    a = simulate(net, _sanctions(sc, 0.5, 0.3), seed=1, steps=40)
    b = simulate(net, seed=1, steps=40)
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series if k != "cash")
    assert not np.array_equal(a.series["cash"], b.series["cash"])


def test_sanctions_bite_when_cash_binds():
    """All cash frozen and all new revenue lost to laundering: production and shipments fall (8 paired seeds)."""
    from counterflow import load_scenario

    sc = load_scenario("transatlantic")
    net = compile_network(sc)
    lo, hi = _interval(_paired(net, _sanctions(sc, 1.0, 1.0), None, 8, 40))
    assert hi < 0


def test_payouts_leave_flows_unchanged_when_cash_does_not_bind(caribbean):
    """Paying out profits above the working-capital reserve changes cash only."""
    sc = dataclasses.replace(caribbean, parameters=dataclasses.replace(caribbean.parameters, payout_rate=0.0))
    a = simulate(compile_network(sc), seed=4, steps=30)
    b = simulate(compile_network(caribbean), seed=4, steps=30)
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series if k != "cash")
    assert a.series["cash"][-1].sum() > b.series["cash"][-1].sum()


# ------------------------------------------------------------------------------------ labour
def test_aid_alone_lowers_labour_and_production():
    """Aid without any blockade lowers recruitment, so production and delivery fall (8 paired seeds)."""
    from counterflow import load_scenario

    sc = load_scenario("transatlantic")
    net = compile_network(sc)
    aid = _strategy(sc, [{"type": "humanitarian_aid", "jurisdiction": "SA", "intensity": 0.3,
                          "schedule": {"start": 4}}])
    lo, hi = _interval(_paired(net, aid, None, 8, 52))
    assert hi < 0


def test_labour_elasticity_zero_makes_aid_inert_on_flows():
    """With labour_elasticity 0 labour no longer moves production; aid then leaves every flow unchanged."""
    from counterflow import load_scenario

    sc = load_scenario("transatlantic")
    sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, labour_elasticity=0.0))
    net = compile_network(sc)
    aid = _strategy(sc, [{"type": "humanitarian_aid", "jurisdiction": "SA", "intensity": 0.3,
                          "schedule": {"start": 4}}])
    a, b = simulate(net, aid, seed=2, steps=40), simulate(net, seed=2, steps=40)
    assert np.array_equal(a.series["delivered"], b.series["delivered"])


# -------------------------------------------------------------------------------- deterrence
def _boats(sc, lethal):
    return _strategy(sc, [{"type": "maritime_interdiction", "zone": {"mode": "sea", "jurisdictions": ["VE", "CB"]},
                           "intensity": 0.15, "lethal": lethal, "schedule": {"start": 4}}])


def test_lethal_interdiction_deters_use_of_its_zone(caribbean):
    """Crews' hazard pay makes organisations send less over the zone's edges than under boarding (recruitment off)."""
    sc = dataclasses.replace(caribbean, parameters=dataclasses.replace(caribbean.parameters, recruit_per_backlash=0.0))
    net = compile_network(sc)
    zone = (net.edge_mode == 1) & np.isin(net.node_juris[net.edge_src], [net.juris_ids.index("VE"),
                                                                         net.juris_ids.index("CB")])
    diff = []
    for seed in range(6):
        lethal = simulate(net, _boats(sc, True), seed=seed, steps=30).edge_flow[:, zone].sum()
        board = simulate(net, _boats(sc, False), seed=seed, steps=30).edge_flow[:, zone].sum()
        diff.append(lethal - board)
    assert max(diff) < 0, diff


def test_hazard_pay_zero_makes_lethality_harm_only(caribbean):
    """With crew_hazard_pay 0 and no recruitment response, lethal and boarding move exactly the same flows."""
    sc = dataclasses.replace(caribbean, parameters=dataclasses.replace(
        caribbean.parameters, crew_hazard_pay=0.0, recruit_per_backlash=0.0, recruit_per_hardship=0.0))
    net = compile_network(sc)
    a, b = simulate(net, _boats(sc, True), seed=3, steps=30), simulate(net, _boats(sc, False), seed=3, steps=30)
    assert np.array_equal(a.series["delivered"], b.series["delivered"])
    assert a.series["harm"].sum() > 0 == b.series["harm"].sum()
