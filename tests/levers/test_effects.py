"""What each lever does, checked against the model's definitions (the lever table in docs/levers.md)."""

from __future__ import annotations

import numpy as np
import pytest

from counterflow.engine import Engine
from counterflow.engine.adaptation import rebuild
from counterflow.engine.society import SOCIETY_DEFAULTS
from counterflow.strategy import parse_strategy
from tests.levers.examples import BLOCKADE, STRIKE, strategy_dict


def _engine(net, scenario, levers, seed=0):
    return Engine(net, parse_strategy(strategy_dict("s", levers), scenario=scenario), seed)


def _steps(eng, n):
    for _ in range(n):
        eng.step()
    return eng.state


def test_maritime_interdiction_raises_risk_on_zone_edges_only(caribbean_net, caribbean):
    """Sea edges leaving the zone's jurisdictions get exactly +intensity; every other edge gets nothing."""
    net = caribbean_net
    lever = {"type": "maritime_interdiction", "zone": {"mode": "sea", "jurisdictions": ["VE"]},
             "intensity": 0.2, "schedule": {"start": 0}}
    s = _steps(_engine(net, caribbean, [lever]), 1)
    zone = (net.edge_mode == 1) & (net.node_juris[net.edge_src] == net.juris_ids.index("VE"))
    assert zone.sum() > 3
    np.testing.assert_allclose(s.edge_risk_add[zone], 0.2)
    assert (s.edge_risk_add[~zone] == 0).all()


def test_lethal_interdiction_harms_crews_in_proportion_to_boats(caribbean_net, caribbean):
    """Lethal interdiction reports crew x expected boats stopped (from observed flow); boarding harms no one."""
    net = caribbean_net
    base = {"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.1, "schedule": {"start": 0}}
    eng = _engine(net, caribbean, [dict(base, lethal=True)])
    flow = eng.state.edge_flow.copy()
    _steps(eng, 1)
    sea = np.flatnonzero(net.edge_mode == 1)
    boats = np.ceil(flow[sea] / net.edge_load_kg[sea] - 1e-9)
    expected = float((boats * 0.1 * caribbean.parameters.crew_per_boat).sum())
    assert expected > 0
    assert eng.reports[0].harm == pytest.approx(expected)
    eng2 = _engine(net, caribbean, [dict(base, lethal=False)])
    _steps(eng2, 3)
    assert all(r.harm == 0 for r in eng2.reports)


def test_intel_sharing_raises_interdiction_and_strike_accuracy(caribbean_net, caribbean):
    """Intelligence sharing raises the added sea risk by intel_gain x intel and strike accuracy towards 1."""
    net = caribbean_net
    mi = {"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.1, "intel_gain": 0.5,
          "schedule": {"start": 0}}
    intel = {"type": "intel_sharing", "intensity": 0.8, "schedule": {"start": 0}}
    strike = dict(STRIKE, schedule={"at": 0})
    eng = _engine(net, caribbean, [mi, intel, strike])
    s = _steps(eng, 1)
    assert s.intel == pytest.approx(0.8)  # no backlash yet: full cooperation
    sea = net.edge_mode == 1
    np.testing.assert_allclose(s.edge_risk_add[sea], 0.1 * (1 + 0.5 * 0.8))
    acc = next(r for r in eng.reports if r.type == "strike").detail["accuracy"]
    assert acc == pytest.approx(0.6 + 0.8 * 0.4)


def test_backlash_lowers_intel_and_police_support(caribbean_net, caribbean):
    """With backlash B in every state, intel is intensity x (1 - B) and police support is scaled by (1 - B)."""
    net = caribbean_net
    police = {"type": "police_support", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.2,
              "ramp_steps": 1, "schedule": {"start": 0}}
    intel = {"type": "intel_sharing", "intensity": 0.8, "schedule": {"start": 0}}
    eng = _engine(net, caribbean, [police, intel])
    eng.state.backlash[:] = 0.5
    s = _steps(eng, 1)
    assert s.intel == pytest.approx(0.8 * 0.5)
    ve = net.juris_ids.index("VE")
    # the lever fired before this step's society update, with backlash 0.5 and the base corruption
    expected = 0.2 * 0.5 * (1 - net.juris_corruption[ve]) * net.juris_police[ve]
    np.testing.assert_allclose(s.node_enf_add[net.node_juris == ve], expected)
    assert (s.node_enf_add[net.node_juris != ve] == 0).all()


def test_police_support_ramps_up(caribbean_net, caribbean):
    """Added enforcement grows linearly over ramp_steps firings, then stays at intensity (x cooperation, corruption,
    police capacity)."""
    net = caribbean_net
    police = {"type": "police_support", "jurisdiction": {"jurisdictions": ["US"]}, "intensity": 0.3,
              "ramp_steps": 4, "schedule": {"start": 0}}
    eng = _engine(net, caribbean, [police])
    us = net.juris_ids.index("US")
    node = int(np.flatnonzero(net.node_juris == us)[0])
    seen = []
    for _ in range(6):
        corr = eng.state.corruption[us]
        eng.step()
        seen.append(eng.state.node_enf_add[node] / (1 - corr) / net.juris_police[us])
    np.testing.assert_allclose(seen, [0.075, 0.15, 0.225, 0.3, 0.3, 0.3], rtol=1e-9)


def test_arrests_cut_corruption_relatively_per_firing(caribbean_net, caribbean):
    """Each firing multiplies corruption by 1 - intensity; between firings it drifts back towards its base."""
    net = caribbean_net
    arrests = {"type": "arrests", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.25,
               "schedule": {"at": [0, 1]}}
    eng = _engine(net, caribbean, [arrests])
    ve = net.juris_ids.index("VE")
    c0 = net.juris_corruption[ve]
    r = SOCIETY_DEFAULTS["corruption_recovery"]
    expect = c0
    for _ in range(2):
        expect = expect * 0.75
        expect += r * (c0 - expect)
        eng.step()
        assert eng.state.corruption[ve] == pytest.approx(expect)
    eng.step()
    assert eng.state.corruption[ve] == pytest.approx(expect + r * (c0 - expect))


def test_blockade_raises_hardship_and_lowers_corruption_slowly(caribbean_net, caribbean):
    """Under a blockade hardship climbs towards cut / (1 - persistence) and corruption falls, slowly."""
    net = caribbean_net
    eng = _engine(net, caribbean, [dict(BLOCKADE, schedule={"start": 0})])
    ve = net.juris_ids.index("VE")
    c0 = net.juris_corruption[ve]
    s = _steps(eng, 40)
    assert s.hardship[ve] == pytest.approx(0.5 / (1 - SOCIETY_DEFAULTS["hardship_persistence"]), rel=1e-3)
    assert s.revenue[ve] == pytest.approx(0.5)
    assert 0.3 * c0 < s.corruption[ve] < 0.95 * c0
    assert s.backlash[ve] > 0
    others = [j for j in range(len(net.juris_ids)) if j != ve]
    assert (s.hardship[others] == 0).all()


def test_aid_lowers_hardship_backlash_and_recruitment(caribbean_net, caribbean):
    """Aid next to a blockade: less hardship, less backlash and less labour than the blockade alone."""
    net = caribbean_net
    aid = {"type": "humanitarian_aid", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.3,
           "schedule": {"start": 0}}
    a = _steps(_engine(net, caribbean, [dict(BLOCKADE, schedule={"start": 0})], seed=4), 30)
    b = _steps(_engine(net, caribbean, [dict(BLOCKADE, schedule={"start": 0}), aid], seed=4), 30)
    ve = net.juris_ids.index("VE")
    assert b.hardship[ve] < a.hardship[ve]
    assert b.backlash[ve] < a.backlash[ve]
    assert (b.labour < a.labour).all()
    assert (a.labour > net.org_labour).all()  # backlash and hardship drive recruitment up


def test_sanctions_freeze_cash_and_slow_rebuilding(caribbean_net, caribbean):
    """Sanctions freeze intensity x cash; with all cash frozen a struck hub is rebuilt more slowly."""
    net = caribbean_net
    strike = {"type": "strike", "targets": {"nodes": ["port_main"]}, "intel_accuracy": 1.0, "schedule": {"at": 0}}
    half = {"type": "sanctions", "organisations": {"organisations": ["org_a"]}, "intensity": 0.5,
            "schedule": {"at": 0}}
    eng = _engine(net, caribbean, [half])
    eng.step()
    a = net.org_ids.index("org_a")
    report = eng.reports[0]
    assert report.targets == ["org_a"]
    assert eng.state.frozen[a] == pytest.approx(report.detail["newly_frozen_usd"]) and eng.state.frozen[a] > 0
    assert eng.state.frozen[1 - a] == 0
    assert eng.state.free_cash()[a] == pytest.approx(max(eng.state.cash[a] - eng.state.frozen[a], 0.0))
    full = dict(half, intensity=1.0, organisations={"organisations": ["org_a", "org_b"]}, schedule={"start": 0})
    free = _steps(_engine(net, caribbean, [strike], seed=2), 6)
    sanc = _steps(_engine(net, caribbean, [strike, full], seed=2), 6)
    v = net.node_index["port_main"]
    assert free.cap_factor[v] > sanc.cap_factor[v]


def test_recruitment_above_base_speeds_rebuilding(caribbean_net, caribbean):
    """The rally effect reaches the network: with labour above its base a struck hub is rebuilt faster."""
    net = caribbean_net
    strike = {"type": "strike", "targets": {"nodes": ["port_main"]}, "intel_accuracy": 1.0, "schedule": {"at": 0}}
    v = net.node_index["port_main"]
    rebuilt = []
    for factor in (1.0, 1.5):
        eng = _engine(net, caribbean, [strike], seed=2)
        eng.step()
        assert eng.state.cap_factor[v] == pytest.approx(0.1)  # destroyed, then one step of rebuilding at base labour
        eng.state.labour[:] = factor * net.org_labour
        eng.state.cap_factor[v] = 0.0
        rebuild(net, eng.state)
        rebuilt.append(eng.state.cap_factor[v])
    assert rebuilt[1] == pytest.approx(1.5 * rebuilt[0])


@pytest.mark.parametrize("lever", [
    {"type": "police_support", "jurisdiction": "VE", "intensity": 0.3, "ramp_steps": 2, "schedule": {"start": 0}},
    {"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.2, "schedule": {"start": 0}},
    {"type": "arrests", "jurisdiction": ["VE", "CO", "CB", "CA", "MX"], "intensity": 0.9, "schedule": {"at": 0}},
])
def test_enforcement_levers_raise_seizures(caribbean_net, caribbean, lever):
    """Police support, interdiction and arrests (less corruption) raise seizures: never fewer on any of 4 seeds
    over 16 weeks, and more in total."""
    from counterflow import simulate

    strategy = parse_strategy(strategy_dict("s", [lever]), scenario=caribbean)
    base, more = [], []
    for seed in range(4):
        base.append(simulate(caribbean_net, None, seed=seed, steps=16).series["seized"].sum())
        more.append(simulate(caribbean_net, strategy, seed=seed, steps=16).series["seized"].sum())
    assert all(m >= b for m, b in zip(more, base, strict=True)), (more, base)
    assert sum(more) > sum(base)
