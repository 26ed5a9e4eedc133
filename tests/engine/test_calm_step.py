"""A step in one compiled call (``_kernels.calm_step``) gives the same numbers as the phased calls.

Where no lever fires, no site is pending, protection is not paid and the compiled planner plans, ``Engine.step``
makes one compiled call that runs the phase kernels in the step's order on bundles rebuilt from packed arrays
(``_kernels.step_bundles``); where an organisation leaves adaptation's common path or a node is damaged, it stops
after adaptation's common path and Python finishes the step; everywhere else the step is the phased calls. Here:

* the bundles the call rebuilds are the phased calls' bundles, field by field (same values, dtypes and shapes; the
  run state's arrays themselves, so that the call changes the run state in place);
* whole runs with the one call allowed and with the phased calls only (``Engine.calm = False``) are bit-identical —
  every series, the balance, the flows and the final run state — on runs where levers fire (strikes that damage
  nodes, sanctions), organisations expand and consolidate, and the call both closes steps and hands over;
* the warm-up (no dice) is the same either way.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario, resolve_strategies
from counterflow.engine import _kernels, core
from counterflow.engine.bundles import (
    Adaptation,
    AdaptRule,
    Books,
    Closing,
    Conditions,
    Economy,
    Exposure,
    Learning,
    MoveRule,
    Organisations,
    ProductionRule,
    Records,
    Sales,
    Scratch,
    Topology,
    Trade,
)
from counterflow.engine.core import (
    _adapt_arrays,
    _book_arrays,
    _condition_arrays,
    _org_arrays,
    _trade_arrays,
)
from counterflow.engine.record import Recorder
from counterflow.engine.society import jurisdiction_arrays
from counterflow.generate import generate_scenario
from counterflow.strategy import parse_strategy

CAMPAIGN = {"name": "hub-strikes", "levers": [
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 2, "every": 2, "until": 20}, "unit_cost": 1.0e6}]}


@pytest.fixture(scope="module")
def adapting():
    """A generated network whose organisations expand under the strike campaign and consolidate after it."""
    sc = generate_scenario(60, seed=2, organisations=2)
    orgs = [dataclasses.replace(o, loss_tolerance=0.08) for o in sc.organisations]
    prm = dataclasses.replace(sc.parameters, consolidate_after=3, open_delay=1, open_cost=1.0)
    return compile_network(dataclasses.replace(sc, organisations=orgs, parameters=prm))


def _same(a, b, what: str) -> None:
    """``a`` and ``b`` hold the same values with the same dtype and shape (or are the same scalar)."""
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray), what
        assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        assert type(a) is type(b) and a == b, (what, a, b)


def test_the_call_rebuilds_the_phased_bundles():
    """Every bundle ``calm_step`` hands to the phase kernels equals the one the phased calls pass, field by field,
    and the run state's arrays are the run state's own (the call changes them in place)."""
    sc = load_scenario("caribbean")
    eng = Engine(compile_network(sc), None, 3, record_flows=False)
    eng.step()  # buffers with a step's values in them
    s = eng.state
    got = _kernels.step_bundles(eng._fixed, core._step_state(s), core._step_log(s.log), eng._buf,
                                eng._scratch.split, eng._deterministic)
    (top, econ, trade, prule, orgs, cond, expo, learn, mrule, sales, scratch, uniforms, adaptation, arule, books,
     juris, pressure, soc_base, rates, closing) = got
    expected = [
        (Topology, top, eng._top_t), (Economy, econ, eng._econ_t), (Trade, trade, _trade_arrays(s)),
        (ProductionRule, prule, eng._rule_t), (Organisations, orgs, _org_arrays(s)),
        (Conditions, cond, _condition_arrays(s)), (Exposure, expo, eng._expo_t), (Learning, learn, eng._learn_t),
        (MoveRule, mrule, eng._move_rule_t), (Sales, sales, eng._sales_t), (Scratch, scratch, eng._scratch_t),
        (Adaptation, adaptation, _adapt_arrays(s)), (AdaptRule, arule, eng._adapt_rule_t),
        (Books, books, _book_arrays(s)), (Closing, closing, eng._closing_t),
    ]
    for cls, mine, theirs in expected:
        assert len(mine) == len(theirs) == len(cls._fields), cls.__name__
        for name, a, b in zip(cls._fields, mine, theirs, strict=True):
            _same(a, b, f"{cls.__name__}.{name}")
    _same(uniforms, eng._uniforms, "uniforms")
    log = (s.revenue_cut, s.aid, s.log.harm_by_juris, s.log.foreign_strikes)
    society_base, society_rates = eng._society_t
    for what, mine, theirs in (("jurisdictions", juris, jurisdiction_arrays(s)), ("pressures", pressure, log),
                               ("society base", soc_base, society_base), ("society rates", rates, society_rates)):
        assert len(mine) == len(theirs), what
        for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            _same(a, b, f"{what}[{k}]")
    for name, a in zip(Organisations._fields, orgs, strict=True):  # the state's own arrays, not copies
        assert np.shares_memory(a, getattr(s, name)), name
    assert np.shares_memory(uniforms, eng._uniforms) and np.shares_memory(scratch.loss_share, eng._scratch.loss_share)


def test_the_call_rebuilds_the_record():
    """The recorder's arrays as the call cuts them from its packed block are the arrays the phased close writes."""
    net = compile_network(load_scenario("caribbean"))
    rec = Recorder(net, 7, True)
    records, paid = _kernels.record_bundle(rec.packed, net.n_markets, net.n_orgs)
    for name, a, b in zip(Records._fields, records, rec.arrays, strict=True):
        _same(a, b, name)
        assert np.shares_memory(a, b), name
    _same(paid, rec.protection_paid, "protection_paid")
    assert np.shares_memory(paid, rec.protection_paid)


def _run(net, strategy, seed: int, steps: int, calm: bool, monkeypatch):
    """A run with or without the one compiled call; what the call returned, step by step."""
    seen: Counter = Counter()
    kernel = _kernels.calm_step
    begin = core.Engine._begin

    def counted(*args):
        out = kernel(*args)
        first, damaged = out[0], out[1]
        order = args[1]
        seen["closed" if first == order.shape[0] and not damaged else
             "adaptation" if first < order.shape[0] else "damaged"] += 1
        return out

    def phased(self):
        seen["phased"] += 1
        return begin(self)

    with monkeypatch.context() as m:
        m.setattr(core.Engine, "calm", calm)
        m.setattr(core, "calm_step", counted)
        m.setattr(core.Engine, "_begin", phased)
        eng = Engine(net, strategy, seed, record_flows=True)
        traj = eng.run(steps)
    return traj, eng, seen


def _assert_same_runs(a, b) -> None:
    (ta, ea), (tb, eb) = a, b
    for name in ta.series:
        np.testing.assert_array_equal(ta.series[name], tb.series[name], err_msg=name)
    for name in ("balance", "edge_flow", "node_flow", "node_flow_total", "protection_paid"):
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)
    assert len(ta.reports) == len(tb.reports)
    sa, sb = ea.state, eb.state
    for name, value in vars(sa).items():
        other = getattr(sb, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        elif isinstance(value, (int, float, list)):
            assert value == other, name
    for name in ("cost", "harm", "destroyed", "seized"):
        assert getattr(sa.log, name) == getattr(sb.log, name), name
    for g, h in zip((ea.rng_move, ea.rng_plan, ea.rng_lever), (eb.rng_move, eb.rng_plan, eb.rng_lever), strict=True):
        assert g.bit_generator.state == h.bit_generator.state  # the same draws from every stream


def test_one_call_and_phased_calls_agree_with_expansion_damage_and_levers(adapting, monkeypatch):
    """Strikes damage hubs (rebuilding), organisations expand and consolidate: the same run either way, and the
    call closed steps, handed over to Python's adaptation and to rebuilding, while the steps where a lever fires or
    a site is pending were phased."""
    strategy = parse_strategy(CAMPAIGN, scenario=adapting.scenario)
    calm = _run(adapting, strategy, 7, 60, True, monkeypatch)
    phased = _run(adapting, strategy, 7, 60, False, monkeypatch)
    _assert_same_runs(calm[:2], phased[:2])
    seen = calm[2]
    assert seen["closed"] > 0 and seen["adaptation"] > 0 and seen["damaged"] > 0 and seen["phased"] > 0, seen
    assert set(phased[2]) == {"phased"}  # calm = False: never the one call


#: levers that fire now and then: maritime interdiction writes per-step modifiers (which a step where no lever fires
#: must find reset), strikes damage hubs
INTERMITTENT = {"name": "intermittent", "levers": [
    {"type": "maritime_interdiction", "zone": {"mode": "sea", "jurisdictions": ["VE", "CB"]}, "intensity": 0.3,
     "schedule": {"start": 2, "every": 3}, "unit_cost": 1.0e6},
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 3, "every": 5}, "unit_cost": 1.0e6}]}


@pytest.mark.parametrize(("scenario", "strategy"), [("caribbean", None), ("caribbean", INTERMITTENT),
                                                    ("transatlantic", "sanctions")])
def test_one_call_and_phased_calls_agree_on_the_shipped_scenarios(scenario, strategy, monkeypatch):
    """The shipped scenarios' baseline and strategies whose levers fire now and then (patrols and strikes,
    sanctions): the same run either way."""
    net = compile_network(load_scenario(scenario))
    if isinstance(strategy, dict):
        strat = parse_strategy(strategy, scenario=net.scenario)
    else:
        strat = None if strategy is None else next(s for s in resolve_strategies(net.scenario, [strategy])
                                                   if s.name == strategy)
    calm = _run(net, strat, 11, 40, True, monkeypatch)
    phased = _run(net, strat, 11, 40, False, monkeypatch)
    _assert_same_runs(calm[:2], phased[:2])
    assert calm[2]["closed"] > 0
    if strategy is not None:
        assert calm[2]["phased"] > 0  # the steps where a lever fires


def test_the_warm_up_is_the_same_either_way(monkeypatch):
    """The warm-up (no dice, cash does not bind) runs through the one call too, to the same state."""
    states, calls = [], Counter()
    kernel = _kernels.calm_step

    def counted(*args):
        calls["calm"] += 1
        return kernel(*args)

    for calm in (True, False):
        with monkeypatch.context() as m:
            m.setattr(core.Engine, "calm", calm)
            m.setattr(core, "calm_step", counted)
            states.append(core.warm_state(compile_network(load_scenario("caribbean"))))  # a fresh network: no cache
        if calm:
            assert calls["calm"] > 0  # the warm-up did take the one call
            n = calls["calm"]
    assert calls["calm"] == n  # and the phased warm-up did not
    a, b = states
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)
    assert (a.produced, a.delivered, a.seized, a.destroyed) == (b.produced, b.delivered, b.seized, b.destroyed)
