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
