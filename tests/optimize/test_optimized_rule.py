"""The ``optimized`` targeting rule inside the simulation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from counterflow import Engine, load_scenario
from counterflow.optimize import max_flow_value
from counterflow.strategy import load_strategy
from counterflow.targeting import NODE_RULES, visible_nodes
from counterflow.targeting.optimized import observed_network

EXAMPLE = Path(__file__).parents[2] / "docs" / "strategies" / "optimized-strikes.yaml"


def test_rule_is_registered_and_picks_the_brute_force_plan(caribbean):
    """On the warm state, the rule returns the k visible hubs whose removal most lowers the maximum flow
    enforcement sees (checked by enumerating every k-subset), and records the solve."""
    strat = load_strategy(EXAMPLE, caribbean)
    eng = Engine(caribbean, strat, seed=3)
    lever = eng.levers[0]
    cand = visible_nodes(eng.net, eng.state, "hub")
    chosen = NODE_RULES["optimized"](eng.net, eng.state, cand, 2, np.random.default_rng(0), lever)
    assert set(chosen) <= set(cand) and len(chosen) <= 2
    onet = observed_network(eng.net, eng.state, cand)
    idx = onet.node_index
    best = min(max_flow_value(onet, nodes=[idx[eng.net.node_ids[v]] for v in combo])
               for combo in itertools.combinations(cand, 2))
    got = max_flow_value(onet, nodes=[idx[eng.net.node_ids[v]] for v in chosen])
    assert got == best
    memo = eng.state.lever_memory["optimized"][-1]
    assert memo["after"] == best and memo["status"] == "optimal"


def test_budget_in_money_limits_the_number_of_strikes(caribbean):
    """With targets.budget set, each node costs the lever's unit_cost: a budget of 1.5 strikes buys one."""
    strat = load_strategy(EXAMPLE, caribbean)
    raw = strat.to_dict()
    raw["levers"][0]["targets"]["budget"] = 3.0e6
    from counterflow.strategy import parse_strategy

    eng = Engine(caribbean, parse_strategy(raw, scenario=caribbean), seed=3)
    cand = visible_nodes(eng.net, eng.state, "hub")
    chosen = NODE_RULES["optimized"](eng.net, eng.state, cand, 5, np.random.default_rng(0), eng.levers[0])
    assert len(chosen) == 1


def test_simulation_with_optimized_strikes_runs_and_is_deterministic():
    """A strategy using rule: optimized runs in the engine, strikes, and the same seed gives the same run."""
    sc = load_scenario("caribbean")
    strat = load_strategy(EXAMPLE, sc)
    a = Engine(sc, strat, seed=5).run(16)
    b = Engine(sc, strat, seed=5).run(16)
    base = Engine(sc, None, seed=5).run(16)
    assert np.array_equal(a.delivered_total, b.delivered_total)
    assert a.delivered_total.sum() < base.delivered_total.sum()
