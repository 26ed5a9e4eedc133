"""Generic checks run over every lever in the registry (the lever contract, checked for everyone)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from counterflow.engine import Engine
from counterflow.levers import LEVERS
from counterflow.strategy import parse_strategy
from tests.levers.examples import EXAMPLES, strategy_dict

STEPS = 24


def _run(net, scenario, levers, seed, steps=STEPS):
    strategy = parse_strategy(strategy_dict("s", levers), scenario=scenario)
    eng = Engine(net, strategy, seed)
    traj = eng.run(steps)
    return traj, eng.state


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def _fingerprint(state) -> dict:
    keys = ("stock", "cap_factor", "cash", "frozen", "labour", "price", "corruption", "revenue", "hardship",
            "backlash", "risk_belief", "node_fear")
    return {k: np.asarray(getattr(state, k)).copy() for k in keys}


def test_every_lever_has_an_example():
    """Every registered lever has an example here, so none escapes the generic checks."""
    assert set(EXAMPLES) == set(LEVERS)


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_lever_declares_its_contract(lever_type):
    """Each lever documents itself, declares ranges for its numeric parameters and names its intensity field."""
    cls = LEVERS[lever_type]
    assert cls.doc
    names = {f.name for f in cls.params}
    assert cls.intensity is None or cls.intensity in names
    for f in cls.params:
        assert f.doc, f"{lever_type}.{f.name} lacks a doc"
        if f.kind in ("float", "int"):
            assert f.lo is not None, f"{lever_type}.{f.name} lacks a lower bound"
    if cls.intensity is not None:
        f = next(f for f in cls.params if f.name == cls.intensity)
        assert (f.lo, f.hi) == (0.0, 1.0)


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_deterministic_under_a_seed(lever_type, caribbean_net, caribbean):
    """The same seed gives identical trajectories and lever reports."""
    lever, comp = EXAMPLES[lever_type]
    a, _ = _run(caribbean_net, caribbean, comp + [lever], seed=7)
    b, _ = _run(caribbean_net, caribbean, comp + [lever], seed=7)
    assert _same(a, b)
    assert [(r.type, r.step, r.cost, r.harm, r.targets) for r in a.reports] == \
           [(r.type, r.step, r.cost, r.harm, r.targets) for r in b.reports]


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_reports_exactly_what_it_spends(lever_type, caribbean_net, caribbean):
    """Summed report costs equal the cost series, and unit_cost times the number of firings."""
    lever, comp = EXAMPLES[lever_type]
    traj, _ = _run(caribbean_net, caribbean, comp + [lever], seed=3)
    assert sum(r.cost for r in traj.reports) == pytest.approx(traj.series["cost"].sum(), rel=1e-12)
    strategy = parse_strategy(strategy_dict("s", [lever]), scenario=caribbean)
    spec = strategy.levers[0]
    fired = sum(spec.schedule.fires(t) for t in range(STEPS))
    mine = [r for r in traj.reports if r.type == lever_type]
    assert len(mine) == fired
    assert sum(r.cost for r in mine) == pytest.approx(fired * spec.unit_cost)
    assert sum(r.harm for r in traj.reports) == pytest.approx(traj.series["harm"].sum(), rel=1e-12)


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_never_creates_mass(lever_type, caribbean_net, caribbean):
    """Produced = delivered + seized + destroyed + stock + in transit at every step, and no account is negative."""
    lever, comp = EXAMPLES[lever_type]
    for seed in (1, 2):
        traj, _ = _run(caribbean_net, caribbean, comp + [lever], seed=seed)
        b = traj.balance
        np.testing.assert_allclose(b[:, 1:].sum(axis=1), b[:, 0], rtol=1e-9, atol=1e-6)
        assert (b >= -1e-6).all()


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_intensity_zero_is_no_lever(lever_type, caribbean_net, caribbean):
    """At intensity 0 (and no cost) the run is identical to the run without the lever; above 0 it is not."""
    cls = LEVERS[lever_type]
    lever, comp = EXAMPLES[lever_type]
    zero = copy.deepcopy(lever)
    zero[cls.intensity] = 0.0
    zero["unit_cost"] = 0.0
    free = copy.deepcopy(lever)
    free["unit_cost"] = 0.0
    without, s0 = _run(caribbean_net, caribbean, comp, seed=5)
    at_zero, s1 = _run(caribbean_net, caribbean, comp + [zero], seed=5)
    active, s2 = _run(caribbean_net, caribbean, comp + [free], seed=5)
    assert _same(without, at_zero)
    f0, f1, f2 = _fingerprint(s0), _fingerprint(s1), _fingerprint(s2)
    assert all(np.array_equal(f0[k], f1[k]) for k in f0)
    assert not (_same(without, active) and all(np.array_equal(f0[k], f2[k]) for k in f0)), \
        "the lever should change something at positive intensity"


@pytest.mark.parametrize("lever_type", sorted(LEVERS))
def test_out_of_range_parameters_are_clear_errors(lever_type, caribbean):
    """Every bounded parameter outside its range gives one InputError naming the field."""
    from counterflow.errors import InputError

    cls = LEVERS[lever_type]
    lever, _ = EXAMPLES[lever_type]
    for f in cls.params:
        if f.kind not in ("float", "int"):
            continue
        bad = copy.deepcopy(lever)
        bad[f.name] = (f.hi + 1) if f.hi is not None else (f.lo - 1)
        with pytest.raises(InputError) as exc:
            parse_strategy(strategy_dict("bad", [bad]), scenario=caribbean)
        assert exc.value.path == f"levers[0].{f.name}"
