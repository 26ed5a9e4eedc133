"""Targeting by position with flow and capacity left: the ``criticality`` rule (docs/levers.md)."""

from __future__ import annotations

import numpy as np
import pytest

from counterflow import compile_network, load_scenario, simulate
from counterflow.engine import Engine
from counterflow.strategy import parse_strategy
from counterflow.targeting import NODE_RULES, visible_nodes


def _strikes(sc, rule):
    return parse_strategy({"name": rule, "levers": [{"type": "strike", "targets": {"rule": rule, "k": 1, "kind": "hub"},
                                                     "schedule": {"start": 4, "every": 4}, "intel_accuracy": 1.0}]},
                          scenario=sc)


def test_criticality_skips_a_site_already_down():
    """A hub whose capacity is gone carries nothing that could be cut: the rule never picks it again."""
    sc = load_scenario("transatlantic")
    eng = Engine(compile_network(sc), None, 0)
    for _ in range(3):
        eng.step()
    net, s = eng.net, eng.state
    hubs = visible_nodes(net, s, "hub")
    first = NODE_RULES["criticality"](net, s, hubs, 1, np.random.default_rng(0), None)
    assert first.size == 1
    s.cap_factor[first[0]] = 0.0
    again = NODE_RULES["criticality"](net, s, visible_nodes(net, s, "hub"), 1, np.random.default_rng(0), None)
    assert again.size == 1 and again[0] != first[0]


def test_criticality_is_refused_for_zones_and_states():
    """The rule chooses nodes: a maritime zone or a jurisdiction lever naming it gets a clear error."""
    from counterflow.errors import InputError

    sc = load_scenario("transatlantic")
    for lever in ({"type": "maritime_interdiction", "zone": {"rule": "criticality"}},
                  {"type": "police_support", "jurisdiction": {"rule": "criticality"}}):
        with pytest.raises(InputError, match="criticality"):
            parse_strategy({"name": "x", "levers": [dict(lever, schedule={"start": 0})]}, scenario=sc)


def _averted(name, rule, seeds, steps=52):
    sc = load_scenario(name)
    net = compile_network(sc)
    strat = _strikes(sc, rule)
    return np.array([simulate(net, seed=i, steps=steps, record_flows=False).delivered_total.sum()
                     - simulate(net, strat, seed=i, steps=steps, record_flows=False).delivered_total.sum()
                     for i in range(seeds)])


STRANDED_STOCK_CUT_PRODUCTION = (
    "Since loads follow the route they were sent on (2026-11-28) criticality no longer averts more than "
    "top_throughput on transatlantic: 39.0 t against 38.2 t, difference +0.7 t [-1.3, +2.8] on the final rule "
    "(30 paired seeds; before: 47.8 t against 40.1 t, +7.6 t [+4.8, +10.5]). Why, measured on the first version of "
    "the rule the same day (35.3 t against 39.5 t there): the rules strike the same sites as before (criticality: "
    "the West African hub 170, the river port 134, the northern port 55 of 360 firings) and destroy as much (22.1 t, "
    "was 18.9 t), but production fell by 7.4 t under criticality's strikes against 25.8 t before: goods stranded "
    "upstream of a struck hub used to wait at the ports for a later plan, and that waiting stock cut production "
    "(unsold stock anywhere, docs/model.md step 2; stock held, mean over the horizon, 10.0 t then, 7.5 t on the "
    "first version). Now they go on along their route once the hub can take them. That first version also carried "
    "goods into a struck hub beyond what it could pass, where they waited for the next strike, and pushed on stock "
    "the plan had seen and held; a review fixed both (what is carried into a site stays within the throughput it "
    "has left; held stock stays), and on the final rule the two rules tie.")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "criticality_wins"), [
    pytest.param("transatlantic", True, marks=pytest.mark.xfail(reason=STRANDED_STOCK_CUT_PRODUCTION, strict=True)),
    ("caribbean", False)])
def test_criticality_against_top_throughput(name, criticality_wins):
    """Transatlantic: criticality averts more than top_throughput; caribbean: less (30 paired seeds, 95 %).

    Both held until loads followed the route they were sent on (2026-11-28). On the final route rule caribbean
    holds again; transatlantic is a strict xfail whose reason gives the mechanism and the numbers
    (docs/levers.md)."""
    d = _averted(name, "criticality", 30) - _averted(name, "top_throughput", 30)
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    if criticality_wins:
        assert d.mean() - half > 0, d.mean()
    else:
        assert d.mean() + half < 0, d.mean()


if __name__ == "__main__":  # docs/levers.md's table of targeting rules (30 paired seeds; a few minutes)
    from counterflow.generate import generate_scenario

    RULES = ("top_throughput", "criticality", "betweenness", "random")
    for name in ("transatlantic", "caribbean", "corridor", "generated-1", "generated-2"):
        sc = (generate_scenario(60, seed=int(name.split("-")[1]), organisations=2) if name.startswith("generated")
              else load_scenario(name))
        net = compile_network(sc)
        base = np.array([simulate(net, seed=i, steps=52, record_flows=False).delivered_total.sum() for i in range(30)])
        av = {r: base - np.array([simulate(net, _strikes(sc, r), seed=i, steps=52, record_flows=False)
                                  .delivered_total.sum() for i in range(30)]) for r in RULES}
        d = av["criticality"] - av["top_throughput"]
        h = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
        print(f"| {name} | " + " | ".join(f"{av[r].mean() / 1e3:.1f} t" for r in RULES)
              + f" | {d.mean() / 1e3:+.1f} t [{(d.mean() - h) / 1e3:+.1f}, {(d.mean() + h) / 1e3:+.1f}] |")
