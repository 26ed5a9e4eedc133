"""Stable baselines: production answers an adaptively expected price and the organisation's whole stock.

The defaults (supply elasticity 0.2 below the markets' demand elasticity 0.5, adaptive price expectations
with weight 0.25, production cut as stock piles up anywhere in the organisation's network) must give a
baseline whose price varies little more than with no supply response at all (seizure noise alone), on every
shipped network; a one-strike strategy must not deliver more than the baseline; the cobweb must stay
demonstrable with naive expectations and a high supply elasticity; and without dice, large generated networks'
prices must settle instead of cycling (plans value shipments on the demand curve alone). See docs/model.md, step 2.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario, resolve_strategies, simulate
from counterflow.engine.state import RunState
from counterflow.generate import generate_scenario

RUNS = 8
STEPS = 104
BURN = 13


@cache
def _scenario(name: str):
    if name.startswith("generated-"):
        return generate_scenario(60, seed=int(name.split("-")[1]), organisations=2)
    return load_scenario(name)


def _with(sc, **over):
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **over)) if over else sc


def price_cv(sc, runs: int = RUNS) -> float:
    """Mean over runs of the coefficient of variation of the mean market price after burn-in."""
    net = compile_network(sc)
    out = []
    for i in range(runs):
        p = simulate(net, seed=i, steps=STEPS, record_flows=False).series["price"].mean(axis=1)[BURN:]
        out.append(p.std() / p.mean())
    return float(np.mean(out))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["caribbean", "transatlantic", "corridor", "generated-1", "generated-2",
                                  "generated-3", "generated-4", "generated-5"])
def test_baseline_price_variation_is_seizure_noise(name):
    """Price variation after burn-in is at most 1.2x that of the same network with supply elasticity 0.

    corridor's price is the noisiest (CV about 9 % with and without a supply response: few routes, so each seized
    load moves its two markets), and 8 runs do not pin its ratio down: seeds 0-7 gave 1.21, seeds 0-15 0.98
    (2026-11-28, first version of the route rule; 1.00 over seeds 0-15 on the final one). It is compared over 16
    runs; the criterion is the same."""
    sc = _scenario(name)
    runs = 2 * RUNS if name == "corridor" else RUNS
    assert price_cv(sc, runs) <= 1.2 * price_cv(_with(sc, supply_elasticity=0.0), runs)


@pytest.mark.slow
def test_cobweb_with_naive_expectations_and_high_elasticity():
    """Naive expectations and supply elasticity 1.5 (above demand's 0.5) make the baseline price cycle."""
    sc = _scenario("caribbean")
    assert price_cv(_with(sc, supply_elasticity=1.5, price_expectation_rate=1.0)) > 2.0 * price_cv(sc)


ONE_STRIKE = {"caribbean": "port-strike", "transatlantic": "hub-strike", "corridor": "crossing-strike"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ONE_STRIKE))
def test_one_strike_does_not_raise_delivery(name):
    """Over 50 paired seeds, one strike on the main hub delivers no more than the baseline (mean difference <= 0)."""
    sc = _scenario(name)
    net = compile_network(sc)
    strike = resolve_strategies(sc, [ONE_STRIKE[name]])[-1]
    diff = [simulate(net, strike, seed=i, record_flows=False).delivered_total.sum()
            - simulate(net, seed=i, record_flows=False).delivered_total.sum() for i in range(50)]
    assert np.mean(diff) <= 0.0, np.mean(diff)


def test_fixed_expectations_equal_no_supply_response():
    """price_expectation_rate 0 (expectations never move from the reference) is bit-identical to elasticity 0."""
    sc = _scenario("transatlantic")
    a = simulate(compile_network(_with(sc, price_expectation_rate=0.0)), seed=3, steps=40)
    b = simulate(compile_network(_with(sc, supply_elasticity=0.0)), seed=3, steps=40)
    c = simulate(compile_network(sc), seed=3, steps=40)
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series)
    assert not np.array_equal(a.series["produced"], c.series["produced"])


def warmup_prices(sc, steps: int = 200) -> np.ndarray:
    """The mean price index at each of the first ``steps`` steps of the warm-up's own engine (no dice, no levers),
    started empty: the deterministic part of the baseline's price variation."""
    net = compile_network(_with(sc, warmup=0))
    eng = Engine.__new__(Engine)
    eng._init_from_state(net, RunState.initial(net))
    p = []
    for _ in range(steps):
        eng.step()
        p.append((eng.state.price / net.market_price).mean())
    return np.array(p)


def warmup_price_cv(sc, steps: int = 200, start: int = 60) -> float:
    """Coefficient of variation of the deterministic mean price index over steps ``start..steps``."""
    p = warmup_prices(sc, steps)[start:]
    return float(p.std() / p.mean())


# (nodes, organisations, first step, last step): the window after which the deterministic price has settled
SETTLED = [(1000, 2, 60, 200), (2000, 5, 60, 200)]


@pytest.mark.parametrize(("nodes", "orgs", "start", "steps"), SETTLED)
def test_no_market_cycle_without_dice(nodes, orgs, start, steps):
    """Without dice the baseline's price settles (docs/model.md, step 2, "No market cycle without dice"): each plan
    values its kilograms on the market's inverse demand curve, not at today's price times that curve, which counted
    a price's deviation twice and made the price cycle by +-2.9 % (1,000 nodes, period 17-18 steps; CV 1.7 %) and
    (2,000 nodes, 5 organisations) by +-4.3 % (CV 1.9 % over steps 200-300). And loads follow the plan they were
    sent on (step 5): while stock a new plan no longer routed waited at hubs, the 2,000-node price still fell by
    4.5 % between steps 60 and 200 (CV 1.74 %). Measured now: CV 0.007 % and 0.046 % (largest swing 0.05 % and
    0.25 %)."""
    p = warmup_prices(generate_scenario(nodes, seed=1, organisations=orgs), steps)[start:]
    assert p.std() / p.mean() <= 0.003
    assert np.abs(p / p.mean() - 1.0).max() <= 0.01


@pytest.mark.slow
def test_the_10000_node_baseline_wanders_less_than_before_loads_followed_their_plan():
    """generate_scenario(10_000, seed=1, organisations=5) has no fixed point without dice (docs/model.md, "No steady
    state at 10,000 nodes"), but since loads follow their plan its price wanders by CV 1.03 % over steps 300-500
    (largest swing 2.6 %), against 2.68 % (6.8 %) while stock waited at hubs for a later plan."""
    p = warmup_prices(generate_scenario(10_000, seed=1, organisations=5), 500)[300:]
    assert p.std() / p.mean() <= 0.015
    assert np.abs(p / p.mean() - 1.0).max() <= 0.035


if __name__ == "__main__":  # the figures of docs/model.md's "No market cycle without dice" (about 2 min)
    for n, o, a, b in SETTLED + [(10_000, 5, 300, 500)]:
        q = warmup_prices(generate_scenario(n, seed=1, organisations=o), b)[a:]
        print(f"{n} nodes, {o} organisations, steps {a}-{b}: deterministic CV {q.std() / q.mean():.5f}, "
              f"max swing {np.abs(q / q.mean() - 1).max():.4f}")
    net_sc = generate_scenario(1000, seed=1, organisations=2)
    for runs in (4, 8):
        print(f"with dice ({runs} runs): default", round(price_cv(net_sc, runs), 4), "supply elasticity 0",
              round(price_cv(_with(net_sc, supply_elasticity=0.0), runs), 4))
