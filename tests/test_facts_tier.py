"""The stylised-facts tier: ``counterflow facts`` with 50 paired seeds on four networks of different shape.

Networks: ``caribbean`` (two organisations, many parallel ports), the NarcoLogic import with
dormant alternatives (``--dormant 0.1 --seed 1``: 173 nodes, 10 of them dormant twins;
unlimited node capacities),
``transatlantic`` (one West African transit hub with dormant alternatives, one organisation)
and ``corridor`` (a land chain into one border crossing, two organisations). Horizon 30 steps
(first action at step 4), experiment seed 0, 2 worker processes (results do not depend on them).

One test per network and fact. A fact that does not hold on a network is a strict xfail whose
reason is the finding, with the numbers measured by this tier (also in docs/model.md): when a
mechanism change makes it hold, the test fails (XPASS) until the mark and the docs are updated.
The numbers of every claim are printed by ``counterflow facts NETWORK --runs 50 --steps 30``.
"""

from __future__ import annotations

from functools import cache

import pytest

from counterflow import load_scenario
from counterflow.facts import FACTS, check_facts
from tests.facts_networks import narcologic_dormant

pytestmark = pytest.mark.slow

SEEDS, STEPS = 50, 30
NETWORKS = ("caribbean", "narcologic-dormant", "transatlantic", "corridor")

OVERSHOOT = ("Delivery does not settle back inside the ±2 % band within the horizon: the last quarter of the "
             "horizon delivers more than the baseline after the strike ({})")
POSITION = "Targeting by position does not beat targeting by volume, or volume does not beat random ({})"
FEW_ROUTES = ("Interdiction 0.4 on the busiest quarter of the routes already gives more than half the effect of "
              "covering every route ({}): flow is concentrated on a few routes, so a few routes are not 'a little' "
              "pressure")
SYMBOLIC = "One strike on the main hub moves the flow over the horizon by more than ±1 % ({})"
LETHAL = ("Lethal interdiction cuts less flow than the same interdiction boarding boats ({}): the casualties raise "
          "backlash and recruitment (the rally effect) by more than the crews' hazard pay deters")
UNLIMITED = ("One strike on the main hub cuts delivery in the 8 steps after it, but the flow does not measurably "
             "move to the alternatives and the last quarter delivers more than the baseline ({})")
SPREAD = ("Interdiction on every route lowers active nodes or route entropy ({}): with convex route risk at its "
          "default strength 1 organisations spread loads only where alternatives cost nearly the same; elsewhere "
          "min-cost planning still concentrates flow on the cheapest remaining routes (see docs/model.md, "
          "'Route diversification')")

# measured by this tier on the model of 2026-11-28 (plans value shipments on the demand curve alone; route
# diversification 1; 50 seeds, 30 steps, seed 0). Against 2026-11-27 two verdicts changed on corridor: volume no
# longer separates from random (fact 3) and lethal interdiction now cuts more than boarding (+2.8 % [2.0, 3.7])
EXPECTED_FAIL: dict[tuple[str, str], str] = {
    ("caribbean", "1 displacement"): OVERSHOOT.format("last-quarter flow reduction -4.3 % [-5.3, -3.3]"),
    ("caribbean", "2 spread"): SPREAD.format("route entropy -0.019 nats [-0.026, -0.012] at 0.1, "
                                             "-0.095 [-0.103, -0.086] at 0.4; active nodes -0.35 [-0.47, -0.23] "
                                             "at 0.4"),
    ("caribbean", "3 targeting"): POSITION.format("criticality minus top_throughput -7.3 t [-8.3, -6.3]: the "
                                                  "pooled maximum flow finds bypasses an organisation cannot use"),
    ("caribbean", "4 concave returns"): FEW_ROUTES.format("half the full effect minus a quarter's: -7.9 % "
                                                          "[-8.4, -7.4]"),
    ("caribbean", "seed: symbolic strike"): SYMBOLIC.format("1.29 % [0.95, 1.62]"),
    ("caribbean", "seed: lethal force"): LETHAL.format("-6.0 % [-6.5, -5.5]"),
    ("narcologic-dormant", "1 displacement"): UNLIMITED.format("cut 0.78 % [0.25, 1.31]; flow through the "
                                                               "alternatives +238 kg [-23, +498]; last quarter "
                                                               "-1.1 % [-2.3, +0.03]"),
    ("narcologic-dormant", "2 spread"): SPREAD.format("holds at 0.1 and 0.2; at 0.4 active nodes -0.72 "
                                                      "[-0.87, -0.58], entropy -0.044 nats [-0.068, -0.020]"),
    ("narcologic-dormant", "3 targeting"): POSITION.format("criticality and top_throughput strike the same sites: "
                                                           "difference 0 t"),
    ("narcologic-dormant", "seed: lethal force"): LETHAL.format("-4.4 % [-4.9, -3.9]"),
    ("transatlantic", "1 displacement"): OVERSHOOT.format("last-quarter flow reduction -3.3 % [-6.0, -0.6]"),
    ("transatlantic", "3 targeting"): POSITION.format("top_throughput minus random 0.7 t [-0.9, 2.4]: one hub "
                                                      "carries the flow, so random strikes often find it too"),
    ("transatlantic", "seed: symbolic strike"): SYMBOLIC.format("1.66 % [1.05, 2.28]"),
    ("transatlantic", "seed: lethal force"): LETHAL.format("-3.5 % [-4.5, -2.6]"),
    ("corridor", "1 displacement"): OVERSHOOT.format("last-quarter flow reduction -7.9 % [-10.5, -5.3]"),
    ("corridor", "2 spread"): SPREAD.format("at 0.4: active nodes -0.79 [-0.95, -0.64], entropy "
                                            "-0.100 nats [-0.117, -0.083]"),
    ("corridor", "3 targeting"): POSITION.format("criticality beats top_throughput by 3.2 t [2.0, 4.3], but "
                                                 "top_throughput minus random is 1.4 t [-0.2, 2.9]: random strikes "
                                                 "often hit the one crossing too"),
    ("corridor", "4 concave returns"): FEW_ROUTES.format("-5.0 % [-5.9, -4.0]"),
    ("corridor", "seed: symbolic strike"): SYMBOLIC.format("8.7 % [7.8, 9.5]: the crossing is a bottleneck, "
                                                           "one strike cuts the flow for weeks"),
}


@cache
def result(network: str):
    from counterflow.experiments import open_executor

    sc = narcologic_dormant() if network == "narcologic-dormant" else load_scenario(network)
    with open_executor("local", 2) as ex:
        return check_facts(sc, SEEDS, seed=0, steps=STEPS, executor=ex)


def _cases():
    for n in NETWORKS:
        for f in FACTS:
            reason = EXPECTED_FAIL.get((n, f))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(n, f, marks=marks, id=f"{n}-{f.replace(' ', '_').replace(':', '')}")


@pytest.mark.parametrize(("network", "fact"), list(_cases()))
def test_fact_holds(network, fact):
    res = result(network)
    failed = [f"{c.claim}: {c.mean:.4g} [{c.lo:.4g}, {c.hi:.4g}] {c.unit} ({c.rule})"
              for c in res.claims if c.fact == fact and not c.passed]
    assert not failed, "\n".join(failed)
