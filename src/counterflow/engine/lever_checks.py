"""The generic checks of the lever contract, for anyone writing a lever.

Every lever (a subclass of :class:`counterflow.levers.Lever`, see
:mod:`counterflow.levers.base`) must pass these, whatever it does:

* :func:`check_contract` — it documents itself and its parameters, gives a
  lower bound to every numeric parameter, names an intensity field ranging
  over [0, 1], and declares an ``example``;
* :func:`check_out_of_range_refused` — a numeric parameter outside its range
  is refused by validation with one message naming the field;
* :func:`check_deterministic` — the same seed gives the same run and reports;
* :func:`check_spends_what_it_reports` — reported costs add up to the cost
  series, and to ``unit_cost`` times the number of firings;
* :func:`check_mass_balance` — it never creates mass: produced = delivered +
  seized + destroyed + stock + in transit at every step, no account negative;
* :func:`check_inert_at_zero` — at intensity 0 (and no cost) the run is the
  run without the lever, and at positive intensity it is not.

:func:`check_lever` runs them all. They run the lever's declared
``example`` (with its ``example_companions``) on a scenario — by default the
built-in ``caribbean``, which the examples of the built-in levers act on —
and raise :class:`AssertionError` with a message naming the lever and what
failed. They live beside the engine because they run it: levers sit below
the engine and never import it.

Example, on a built-in lever (your own class works the same once it is
registered with :func:`counterflow.levers.register`):

>>> from counterflow.levers import LEVERS
>>> from counterflow.engine.lever_checks import check_contract, check_lever
>>> check_contract(LEVERS["arrests"])
>>> check_lever(LEVERS["arrests"], steps=12)
"""

from __future__ import annotations

import copy
import functools
import math

import numpy as np

from ..errors import InputError
from ..levers import Lever
from ..network import Network, compile_network
from ..scenario import Scenario, load_scenario
from ..strategy import parse_strategy
from .core import Engine
from .record import Trajectory

__all__ = ["check_lever", "check_contract", "check_out_of_range_refused", "check_deterministic",
           "check_spends_what_it_reports", "check_mass_balance", "check_inert_at_zero"]

STEPS = 24
STATE_KEYS = ("stock", "cap_factor", "cash", "frozen", "labour", "price", "corruption", "revenue", "hardship",
              "backlash", "risk_belief", "node_fear")


@functools.cache
def _builtin(name: str) -> tuple[Scenario, Network]:
    scenario = load_scenario(name)
    return scenario, compile_network(scenario)


def _resolve(scenario: Scenario | str | None, net: Network | None) -> tuple[Scenario, Network]:
    if scenario is None or isinstance(scenario, str):
        sc, default_net = _builtin(scenario or "caribbean")
        return sc, net if net is not None else default_net
    return scenario, net if net is not None else compile_network(scenario)


def _example(cls: type[Lever]) -> tuple[dict, list[dict]]:
    assert cls.example, f"{cls.type}: declare an 'example' (a strategy-file dict of the lever) on the class"
    return copy.deepcopy(cls.example), [copy.deepcopy(c) for c in cls.example_companions]


def _run(scenario: Scenario, net: Network, levers: list[dict], seed: int, steps: int):
    strategy = parse_strategy({"name": "check", "actor": "US", "levers": levers}, scenario=scenario)
    eng = Engine(net, strategy, seed)
    traj = eng.run(steps)
    return traj, eng.state


def _same(a: Trajectory, b: Trajectory) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def _fingerprint(state) -> dict:
    return {k: np.asarray(getattr(state, k)).copy() for k in STATE_KEYS}


def _reports(traj: Trajectory) -> list[tuple]:
    return [(r.type, r.step, r.cost, r.harm, r.targets) for r in traj.reports]


def check_contract(cls: type[Lever]) -> None:
    """The lever documents itself, bounds its numeric parameters and names an intensity in [0, 1]."""
    t = cls.type
    assert t, f"{cls.__name__}: set 'type' (the name used in strategy files)"
    assert cls.doc, f"{t}: set 'doc' (one or two sentences on what the lever does)"
    names = {f.name for f in cls.params}
    for f in cls.params:
        assert f.doc, f"{t}.{f.name}: the parameter lacks a doc"
        if f.kind in ("float", "int"):
            assert f.lo is not None, f"{t}.{f.name}: a numeric parameter needs a lower bound (lo)"
    if cls.intensity is not None:
        assert cls.intensity in names, f"{t}: intensity field '{cls.intensity}' is not one of its params {sorted(names)}"
        f = next(f for f in cls.params if f.name == cls.intensity)
        assert (f.lo, f.hi) == (0.0, 1.0), f"{t}.{f.name}: the intensity must range over [0, 1], not [{f.lo}, {f.hi}]"
    assert cls.example, f"{t}: declare an 'example' (a strategy-file dict of the lever) on the class"
    assert cls.example.get("type") == t, f"{t}: the example's 'type' is {cls.example.get('type')!r}"


def check_out_of_range_refused(cls: type[Lever], scenario: Scenario | str | None = None) -> None:
    """Every bounded numeric parameter outside its range gives one InputError naming the field."""
    sc = scenario if isinstance(scenario, Scenario) else _builtin(scenario or "caribbean")[0]
    lever, _ = _example(cls)
    for f in cls.params:
        if f.kind not in ("float", "int"):
            continue
        bad = copy.deepcopy(lever)
        bad[f.name] = (f.hi + 1) if f.hi is not None else (f.low - 1)
        try:
            parse_strategy({"name": "bad", "actor": "US", "levers": [bad]}, scenario=sc)
        except InputError as exc:
            assert exc.path == f"levers[0].{f.name}", \
                f"{cls.type}.{f.name}={bad[f.name]}: refused, but the message points at {exc.path!r}"
        else:
            raise AssertionError(f"{cls.type}.{f.name}={bad[f.name]} is outside its range yet was accepted")


def check_deterministic(cls: type[Lever], scenario: Scenario | str | None = None, *, net: Network | None = None,
                        seed: int = 7, steps: int = STEPS) -> None:
    """The same seed gives identical trajectories and lever reports."""
    sc, nw = _resolve(scenario, net)
    lever, comp = _example(cls)
    a, _ = _run(sc, nw, comp + [lever], seed, steps)
    b, _ = _run(sc, nw, comp + [lever], seed, steps)
    assert _same(a, b), f"{cls.type}: two runs with seed {seed} give different trajectories"
    assert _reports(a) == _reports(b), f"{cls.type}: two runs with seed {seed} give different lever reports"


def check_spends_what_it_reports(cls: type[Lever], scenario: Scenario | str | None = None, *,
                                 net: Network | None = None, seed: int = 3, steps: int = STEPS) -> None:
    """Summed report costs equal the cost series, and unit_cost times the number of firings; same for harm."""
    sc, nw = _resolve(scenario, net)
    lever, comp = _example(cls)
    traj, _ = _run(sc, nw, comp + [lever], seed, steps)
    reported, series = sum(r.cost for r in traj.reports), float(traj.series["cost"].sum())
    assert math.isclose(reported, series, rel_tol=1e-12, abs_tol=1e-9), \
        f"{cls.type}: reports say {reported} was spent, the cost series says {series}"
    spec = parse_strategy({"name": "s", "actor": "US", "levers": [lever]}, scenario=sc).levers[0]
    fired = spec.schedule.firings(steps)
    mine = [r for r in traj.reports if r.type == cls.type]
    assert len(mine) == fired, f"{cls.type}: the schedule fires {fired} times, the lever reported {len(mine)} firings"
    spent = sum(r.cost for r in mine)
    assert math.isclose(spent, fired * spec.unit_cost, rel_tol=1e-9, abs_tol=1e-9), \
        f"{cls.type}: reported {spent} over {fired} firings, not unit_cost x firings = {fired * spec.unit_cost}"
    harm, harm_series = sum(r.harm for r in traj.reports), float(traj.series["harm"].sum())
    assert math.isclose(harm, harm_series, rel_tol=1e-12, abs_tol=1e-9), \
        f"{cls.type}: reports say harm {harm}, the harm series says {harm_series}"


def check_mass_balance(cls: type[Lever], scenario: Scenario | str | None = None, *, net: Network | None = None,
                       seeds: tuple[int, ...] = (1, 2), steps: int = STEPS) -> None:
    """Produced = delivered + seized + destroyed + stock + in transit at every step; no account negative."""
    sc, nw = _resolve(scenario, net)
    lever, comp = _example(cls)
    for seed in seeds:
        traj, _ = _run(sc, nw, comp + [lever], seed, steps)
        b = traj.balance
        gap = np.abs(b[:, 1:].sum(axis=1) - b[:, 0])
        tol = 1e-6 + 1e-9 * np.abs(b[:, 0])
        bad = np.flatnonzero(gap > tol)
        assert bad.size == 0, (f"{cls.type} (seed {seed}): mass is not conserved at step {int(bad[0])} "
                               f"(produced {b[bad[0], 0]:.6g}, accounted {b[bad[0], 1:].sum():.6g})")
        assert (b >= -1e-6).all(), f"{cls.type} (seed {seed}): a mass account went negative"


def check_inert_at_zero(cls: type[Lever], scenario: Scenario | str | None = None, *, net: Network | None = None,
                        seed: int = 5, steps: int = STEPS) -> None:
    """At intensity 0 (and no cost) the run equals the run without the lever; above 0 it does not.

    A lever without an intensity field (``intensity = None``) has nothing to check here.
    """
    if cls.intensity is None:
        return
    sc, nw = _resolve(scenario, net)
    lever, comp = _example(cls)
    zero = dict(copy.deepcopy(lever), **{cls.intensity: 0.0, "unit_cost": 0.0})
    free = dict(copy.deepcopy(lever), unit_cost=0.0)
    without, s0 = _run(sc, nw, comp, seed, steps)
    at_zero, s1 = _run(sc, nw, comp + [zero], seed, steps)
    active, s2 = _run(sc, nw, comp + [free], seed, steps)
    f0, f1, f2 = _fingerprint(s0), _fingerprint(s1), _fingerprint(s2)
    assert _same(without, at_zero), f"{cls.type}: at {cls.intensity}=0 the trajectory differs from the run without it"
    moved = [k for k in f0 if not np.array_equal(f0[k], f1[k])]
    assert not moved, f"{cls.type}: at {cls.intensity}=0 the lever still changes {moved}"
    assert not (_same(without, active) and all(np.array_equal(f0[k], f2[k]) for k in f0)), \
        f"{cls.type}: its example changes nothing at positive {cls.intensity}; choose an example where it binds"


def check_lever(cls: type[Lever], scenario: Scenario | str | None = None, *, net: Network | None = None,
                steps: int = STEPS) -> None:
    """Run every generic check on ``cls`` (its example acting on ``scenario``, default ``caribbean``)."""
    sc, nw = _resolve(scenario, net)
    check_contract(cls)
    check_out_of_range_refused(cls, sc)
    check_deterministic(cls, sc, net=nw, steps=steps)
    check_spends_what_it_reports(cls, sc, net=nw, steps=steps)
    check_mass_balance(cls, sc, net=nw, steps=steps)
    check_inert_at_zero(cls, sc, net=nw, steps=steps)
