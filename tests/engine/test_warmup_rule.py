"""The warm-up's convergence rule (``parameters.warmup_max``, ``warmup_tolerance``; docs/model.md, "Warm-up and
randomness"): off by default and bit-identical then; when on, it runs past ``warmup`` only while the baseline still
moves, it stops at ``warmup`` when the baseline settled within it, and on a network with a slow state variable it
runs longer and the drift left in the runs falls."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from counterflow import compile_network, load_scenario, simulate
from counterflow.engine.core import WARMUP_WINDOW, WARMUP_WINDOWS, warm_state, warmup_settled
from counterflow.generate import generate_scenario
from tests.engine.test_stability import warmup_prices


def _with(sc, **over):
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **over))


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series)


def test_settled_reads_the_last_windows_of_both_series():
    n = WARMUP_WINDOW * WARMUP_WINDOWS
    flat, zero = [2.0] * n, [0.0] * n
    assert warmup_settled(flat, [100.0] * n, 0.01)
    assert warmup_settled(flat, zero, 0.01)  # a network that delivers nothing has settled
    assert not warmup_settled(flat[1:], flat[1:], 0.5)  # too few steps to tell
    trend = list(np.linspace(1.0, 1.1, n))  # 10 % over the windows: the first and last means differ by ~6.7 %
    assert not warmup_settled(trend, flat, 0.05) and warmup_settled(trend, flat, 0.08)
    assert not warmup_settled(flat, trend, 0.05)  # deliveries count as much as the price
    assert warmup_settled([9.0] * 5 + flat, flat + flat[:5], 0.01)  # only the last windows count


def test_off_by_default_and_a_cap_at_warmup_change_nothing():
    """warmup_max 0 (the default) and warmup_max = warmup run exactly ``warmup`` steps: the same trajectories."""
    sc = load_scenario("caribbean")
    base = simulate(compile_network(sc), seed=3, steps=20)
    assert warm_state(compile_network(sc)).warmup_steps == sc.parameters.warmup
    capped = compile_network(_with(sc, warmup_max=sc.parameters.warmup))
    assert warm_state(capped).warmup_steps == sc.parameters.warmup
    assert _same(base, simulate(capped, seed=3, steps=20))


def test_a_longer_warm_up_equals_a_fixed_one_of_the_same_length():
    """The steps a longer warm-up leaves are moved to step -burn_in (loads in transit keep their arrival steps), so
    its runs are those of a fixed warm-up of as many steps; and they differ from the default's (the rule binds)."""
    sc = load_scenario("caribbean")
    net = compile_network(_with(sc, warmup_max=400, warmup_tolerance=0.05))
    state = warm_state(net)
    n = state.warmup_steps
    assert sc.parameters.warmup < n < 400 and state.t == -sc.parameters.burn_in
    fixed = compile_network(_with(sc, warmup=n))
    assert warm_state(fixed).warmup_steps == n
    a, b = simulate(net, seed=5, steps=20), simulate(fixed, seed=5, steps=20)
    assert _same(a, b)
    assert not _same(a, simulate(compile_network(sc), seed=5, steps=20))


def test_stops_at_warmup_when_the_baseline_settled_within_it():
    """corridor's baseline is flat well before step 100: with warmup 100 the rule adds no step (inert)."""
    sc = _with(load_scenario("corridor"), warmup=100)
    on = compile_network(_with(sc, warmup_max=400))
    assert warm_state(on).warmup_steps == 100
    assert _same(simulate(on, seed=2, steps=15), simulate(compile_network(sc), seed=2, steps=15))


def test_the_cap_warns_when_the_baseline_does_not_settle():
    sc = _with(load_scenario("caribbean"), warmup_max=60, warmup_tolerance=1e-9)
    with pytest.warns(RuntimeWarning, match=r"did not settle within warmup_max = 60"):
        state = warm_state(compile_network(sc))
    assert state.warmup_steps == 60
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default (no rule) never warns
        warm_state(compile_network(load_scenario("caribbean")))


def test_on_a_network_with_a_slow_state_variable_it_runs_longer_and_the_drift_falls(monkeypatch):
    """caribbean with slow price expectations (``price_expectation_rate`` 0.02: production follows the price with
    a lag of about 50 steps): after the default 52 steps its price still moves. With the rule the warm-up runs on
    (to step 197, measured) and the drift of the deterministic price over a 104-step run after the burn-in falls
    from 7.3 % to 0.6 % (docs/model.md). (Until loads followed their plan, generate_scenario(2000, seed=1,
    organisations=5) drifted 4.2 % at the defaults and served here; it now settles within the default warm-up.)"""
    monkeypatch.setenv("COUNTERFLOW_CACHE", "off")
    sc = _with(load_scenario("caribbean"), price_expectation_rate=0.02)
    net = compile_network(_with(sc, warmup_max=520))
    n = warm_state(net).warmup_steps
    assert n > sc.parameters.warmup + 26
    p = warmup_prices(net.scenario, n + sc.parameters.burn_in + 104)

    def drift(start: int) -> float:
        run = p[start + sc.parameters.burn_in:][:104]
        return abs(run[-26:].mean() / run[:26].mean() - 1.0)

    assert drift(sc.parameters.warmup) > 0.03
    assert drift(n) < drift(sc.parameters.warmup) / 3


def test_the_rule_is_part_of_the_stored_warm_up_key():
    """A stored warm-up is never read under another rule: its key holds the scenario's parameters."""
    from counterflow.engine import warm_cache

    sc = generate_scenario(60, seed=1, organisations=2)
    keys = {warm_cache.state_key(s) for s in (sc, _with(sc, warmup_max=520), _with(sc, warmup_max=520,
                                                                                    warmup_tolerance=0.02))}
    assert len(keys) == 3


def _table_row(name: str, sc) -> str:
    """One row of docs/model.md's warm-up table: the steps the rule runs (``warmup_max`` 520), and the deterministic
    price's CV and drift over a 104-step run after the burn-in, from the default warm-up and from the rule's."""
    net = compile_network(_with(sc, warmup_max=520))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = warm_state(net).warmup_steps
    p = warmup_prices(net.scenario, n + sc.parameters.burn_in + 104)

    def stats(start: int) -> str:
        run = p[start + sc.parameters.burn_in:][:104]
        return f"CV {run.std() / run.mean():.3%}, drift {run[-26:].mean() / run[:26].mean() - 1:+.2%}"

    return f"{name}: the rule runs {n} steps; after {sc.parameters.warmup}: {stats(sc.parameters.warmup)}; after {n}: {stats(n)}"


if __name__ == "__main__":  # docs/model.md's warm-up table (about 3 min on a loaded host, most of it the last row)
    import os

    os.environ["COUNTERFLOW_CACHE"] = "off"
    for scenario_name in ("caribbean", "transatlantic", "corridor"):
        print(_table_row(scenario_name, load_scenario(scenario_name)))
    print(_table_row("caribbean, price_expectation_rate 0.02",
                     _with(load_scenario("caribbean"), price_expectation_rate=0.02)))
    for nodes, orgs in ((60, 2), (200, 3), (2000, 5), (10_000, 5)):
        print(_table_row(f"generate_scenario({nodes}, seed=1, organisations={orgs})",
                         generate_scenario(nodes, seed=1, organisations=orgs)))


def test_warmup_max_runs_a_warm_up_where_warmup_is_0():
    """warmup 0 with warmup_max 200 still runs the rule (it was ignored: no warm-up at all); it stops once settled."""
    sc = _with(load_scenario("corridor"), warmup=0, warmup_max=200)
    ran = warm_state(compile_network(sc)).warmup_steps
    assert WARMUP_WINDOW * WARMUP_WINDOWS <= ran < 200
    assert warm_state(compile_network(_with(sc, warmup_max=0))).warmup_steps == 0
