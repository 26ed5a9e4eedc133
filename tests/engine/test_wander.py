"""Why caribbean's baseline wanders without seizure dice: the planning order (docs/model.md, step 2, "caribbean's
wander is the planning order").

The warm-up's engine draws no seizure dice (every edge loses exactly its expected share), but it still plans the
organisations one at a time in an order drawn each step from its own seeded generator, as every run does (step 4).
On caribbean the two organisations share capacity that binds (the eastern port, 2,500 kg a step, and its sea lane to
Europe, 2,000), so whichever plans first takes it, and the coin flip moves a few hundred kilograms a step between
routes and markets. The prices smooth that noise into a wander (CV about 2 %, each market by up to 15-20 %). With
either fixed order the same engine settles to a fixed point; the prices do not feed back into the plans at supply
elasticity 0, so the wander is no price cycle; and the wander is what the price smoothing makes of the per-step sales
noise, no more (the same sales shuffled in time give as large a price variation).
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np

from counterflow import Engine, compile_network, load_scenario
from counterflow.engine.state import RunState

START, STEPS = 150, 300  # the window the figures are read over (steps of the warm-up's engine, started empty)


class _FixedOrder:
    """Stands in for the engine's planning-order generator: the same order every step."""

    def __init__(self, order: tuple[int, ...]) -> None:
        self.order = np.array(order)

    def permutation(self, n: int) -> np.ndarray:
        assert n == self.order.size
        return self.order.copy()


@cache
def _scenario(name: str, **over: float):
    sc = load_scenario(name)
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, warmup=0, **over))


def _warm_run(sc, steps: int = STEPS, order: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Price index [T, M] and kg sold [T, M] at each step of the warm-up's engine (no seizure dice, no levers),
    started empty; ``order``: plan in this fixed order instead of the engine's drawn one."""
    net = compile_network(sc)
    eng = Engine.__new__(Engine)
    eng._init_from_state(net, RunState.initial(net))
    if order is not None:
        eng.rng_plan = _FixedOrder(order)
    price, sold = [], []
    for _ in range(steps):
        eng.step()
        price.append(eng.state.price / net.market_price)
        sold.append(eng._sales.delivered.copy())
    return np.array(price), np.array(sold)


def _cv(mean_price: np.ndarray) -> float:
    return float(mean_price.std() / mean_price.mean())


def test_caribbean_wanders_with_the_drawn_planning_order_and_settles_with_a_fixed_one():
    """Binds: with the drawn order the mean price index varies (CV above 0.5 %, each market by more than 5 %);
    with either fixed order the same engine is at a fixed point (CV below 0.01 %)."""
    sc = _scenario("caribbean")
    price, _ = _warm_run(sc)
    p = price[START:]
    assert _cv(p.mean(axis=1)) > 0.005
    assert (np.abs(p / p.mean(axis=0) - 1.0).max(axis=0) > 0.05).all()
    for order in ((0, 1), (1, 0)):
        q = _warm_run(sc, order=order)[0][START:]
        assert _cv(q.mean(axis=1)) < 1e-4, order
        assert np.abs(q / q.mean(axis=0) - 1.0).max() < 5e-4, order


def test_the_order_is_inert_where_no_shared_capacity_binds():
    """Inert: corridor's two organisations share no capacity that binds, so a fixed order gives bit-identical prices."""
    sc = _scenario("corridor")
    drawn, _ = _warm_run(sc)
    assert np.array_equal(drawn, _warm_run(sc, order=(0, 1))[0])
    assert np.array_equal(drawn, _warm_run(sc, order=(1, 0))[0])


def test_plans_do_not_read_the_price_at_supply_elasticity_0():
    """No price cycle: at supply elasticity 0, holding every price at the reference (price_smoothing 0) leaves what
    each market sells bit-identical, so the price is an output of the wander, not a cause."""
    free = _warm_run(_scenario("caribbean", supply_elasticity=0.0))
    held = _warm_run(_scenario("caribbean", supply_elasticity=0.0, price_smoothing=0.0))
    assert np.ptp(held[0]) == 0.0 and np.ptp(free[0][START:]) > 0.05
    assert np.array_equal(free[1], held[1])


def test_the_wander_is_smoothed_sales_noise_not_a_resonance():
    """The price varies no more than the same per-step sales would make it vary in random order: over steps 200-800
    each market's price CV is at most 1.25 times the mean over 20 shuffles of its sales in time (measured over steps
    200-1200: 5.62, 6.68, 5.45 % against 5.59, 6.54, 6.81 %). A cycle or resonance in the sales would exceed it."""
    sc = _scenario("caribbean", supply_elasticity=0.0)
    price, sold = _warm_run(sc, steps=800)
    net = compile_network(sc)
    prm = sc.parameters
    w = slice(200, 800)

    def prices(sales: np.ndarray) -> np.ndarray:  # the close's price rule (docs/model.md, step 8) fed these sales
        smooth, p, out = sales.mean(axis=0), price[w].mean(axis=0), []
        for x in sales:
            smooth = (1.0 - prm.delivery_smoothing) * smooth + prm.delivery_smoothing * x
            target = np.clip((smooth / net.market_demand) ** (-1.0 / net.market_elasticity), prm.price_floor,
                             prm.price_cap)
            p = (1.0 - prm.price_smoothing) * p + prm.price_smoothing * target
            out.append(p)
        return np.array(out)

    rng = np.random.default_rng(0)
    shuffled = np.mean([prices(sold[w][rng.permutation(600)]).std(axis=0) / price[w].mean(axis=0)
                        for _ in range(20)], axis=0)
    model = price[w].std(axis=0) / price[w].mean(axis=0)
    assert (model <= 1.25 * shuffled).all(), (model, shuffled)
