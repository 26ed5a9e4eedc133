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
NOT_SETTLED = ("Delivery is not shown to settle back inside the ±2 % band within the horizon: the last quarter's "
               "paired flow reduction has an interval reaching outside the band ({})")
POSITION = "Targeting by position does not beat targeting by volume, or volume does not beat random ({})"
FEW_ROUTES = ("Interdiction 0.4 on the busiest quarter of the routes already gives more than half the effect of "
              "covering every route ({}): flow is concentrated on a few routes, so a few routes are not 'a little' "
              "pressure")
SYMBOLIC = "One strike on the main hub moves the flow over the horizon by more than ±1 % ({})"
LETHAL = ("Lethal interdiction cuts less flow than the same interdiction boarding boats ({}): the casualties raise "
          "backlash and recruitment (the rally effect) by more than the crews' hazard pay deters")
SPREAD = ("Interdiction on every route lowers active nodes or route entropy ({}): with convex route risk at its "
          "default strength 1 organisations spread loads only where alternatives cost nearly the same; elsewhere "
          "min-cost planning still concentrates flow on the cheapest remaining routes (see docs/model.md, "
          "'Route diversification')")

# measured by this tier's own check_facts call on the model of 2026-11-28 with the final route rule (loads follow the
# route they were sent on; what is carried into a site stays within the throughput it has left), 50 seeds, 30 steps,
# seed 0. The first version of that rule, the same day, carried goods into a struck site beyond what it could pass;
# a review fixed it, and against that version fact 3 on transatlantic now holds (its mark is gone) and corridor's
# last quarter now overshoots significantly. See docs/model.md, "What the facts check finds"
EXPECTED_FAIL: dict[tuple[str, str], str] = {
    ("caribbean", "1 displacement"): OVERSHOOT.format("last-quarter flow reduction -2.9 % [-3.8, -2.1]"),
    ("caribbean", "2 spread"): SPREAD.format("route entropy -0.025 nats [-0.032, -0.018] at 0.1, "
                                             "-0.089 [-0.098, -0.080] at 0.4; active nodes -0.52 [-0.66, -0.38] "
                                             "at 0.4"),
    ("caribbean", "3 targeting"): POSITION.format("criticality minus top_throughput -4.0 t [-5.1, -2.9]: the "
                                                  "pooled maximum flow finds bypasses an organisation cannot use"),
    ("caribbean", "4 concave returns"): FEW_ROUTES.format("half the full effect minus a quarter's: -7.5 % "
                                                          "[-8.0, -7.0]"),
    ("caribbean", "seed: lethal force"): LETHAL.format("-6.1 % [-6.5, -5.7]"),
    ("narcologic-dormant", "2 spread"): SPREAD.format("holds at 0.1 and 0.2; at 0.4 active nodes -0.32 "
                                                      "[-0.52, -0.13] (route entropy +0.059 nats [+0.029, +0.089])"),
    ("narcologic-dormant", "3 targeting"): POSITION.format("criticality and top_throughput strike the same sites: "
                                                           "difference 0 t"),
    ("narcologic-dormant", "seed: lethal force"): LETHAL.format("-4.0 % [-4.4, -3.6]"),
    ("transatlantic", "1 displacement"): NOT_SETTLED.format("last-quarter flow reduction -2.1 % [-4.3, +0.2]"),
    ("transatlantic", "seed: symbolic strike"): SYMBOLIC.format("0.50 % [-0.20, 1.20]: the interval reaches "
                                                                "above 1 %"),
    ("transatlantic", "seed: lethal force"): LETHAL.format("-3.1 % [-4.1, -2.2]"),
    ("corridor", "1 displacement"): OVERSHOOT.format("last-quarter flow reduction -5.6 % [-8.1, -3.1]: an overshoot, "
                                                     "as on caribbean"),
    ("corridor", "2 spread"): SPREAD.format("at 0.4: active nodes -1.02 [-1.18, -0.86], entropy "
                                            "-0.125 nats [-0.142, -0.108]"),
    ("corridor", "3 targeting"): POSITION.format("criticality beats top_throughput by 3.5 t [2.4, 4.7], but "
                                                 "top_throughput minus random is +0.0 t [-1.4, +1.4]: random strikes "
                                                 "often hit the one crossing too"),
    ("corridor", "4 concave returns"): FEW_ROUTES.format("-3.4 % [-4.1, -2.8]"),
    ("corridor", "seed: symbolic strike"): SYMBOLIC.format("12.0 % [11.1, 12.9]: the crossing is a bottleneck, "
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
