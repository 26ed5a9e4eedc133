"""`counterflow facts`: the setup read from the network, the claim rules, determinism, the command.

The slow tier (``tests/test_facts_tier.py``) runs every fact with 50 seeds on four networks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from counterflow import load_scenario
from counterflow.analysis import mean_interval
from counterflow.cli import app
from counterflow.engine import Engine
from counterflow.facts import FACTS, _reach, check_facts, fact_strategies, network_setup
from counterflow.runner import network_for
from counterflow.strategy import BASELINE


@pytest.fixture(scope="module")
def transatlantic():
    return load_scenario("transatlantic")


def test_the_main_hub_is_the_busiest_hub_of_the_pilot_run(transatlantic):
    s = network_setup(transatlantic, seed=3, steps=20)
    net = network_for(transatlantic)
    traj = Engine(net, BASELINE, np.random.default_rng(np.random.SeedSequence(3, spawn_key=(2**31 - 1,))),
                  record_flows=True).run(20)
    hubs = [n.id for n in transatlantic.nodes if n.kind == "hub"]
    flow = {v: traj.node_flow_total[net.node_index[v]] for v in hubs}
    assert s.main_hub == max(flow, key=flow.get) and s.hub_kind == "hub"
    assert s.jurisdiction == next(n.jurisdiction for n in transatlantic.nodes if n.id == s.main_hub)
    # routes: exactly the edges that carried flow, busiest first
    total = traj.edge_flow.sum(axis=0)
    ids = list(net.node_ids)
    carried = [(ids[net.edge_src[e]], ids[net.edge_dst[e]]) for e in np.flatnonzero(total > 0)]
    assert set(s.routes) == set(carried)
    got = [total[net.edge_index[e]] for e in s.routes]
    assert got == sorted(got, reverse=True)


def test_alternatives_are_neither_up_nor_downstream(transatlantic):
    s = network_setup(transatlantic, steps=20)
    down, up = _reach(transatlantic, s.main_hub, forward=True), _reach(transatlantic, s.main_hub, forward=False)
    for v in s.alternatives:
        assert v not in down and v not in up and v != s.main_hub
    for n in transatlantic.nodes:
        if n.kind in ("hub", "transit") and n.id not in s.alternatives and n.id != s.main_hub:
            assert n.id in down or n.id in up


def test_the_strategies_act_on_what_the_setup_found(transatlantic):
    s = network_setup(transatlantic, steps=20)
    st = fact_strategies(transatlantic, s)
    assert list(st)[0] == "baseline"
    assert st["one-strike"].levers[0].targets.nodes == (s.main_hub,)
    assert set(st["routes-0.4"].levers[0].targets.edges) == set(s.routes)
    few = st["cover-few"].levers[0].targets.edges
    assert few == s.routes[:len(few)] and 1 <= len(few) < len(s.routes)
    assert st["blockade-aid"].levers[1].targets.jurisdictions == (s.jurisdiction,)


@pytest.mark.parametrize("x", [np.array([1.0, 2.0, 3.0]), np.array([-5.0, 0.5, 7.0, 2.0])])
def test_interval_is_the_paired_t_interval(x):
    from scipy import stats

    m, lo, hi = mean_interval(x)
    ref = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean()) and (lo, hi) == pytest.approx(ref)


@pytest.mark.slow
def test_results_do_not_depend_on_the_executor(transatlantic):
    from counterflow.experiments import open_executor

    a = check_facts(transatlantic, seeds=2, steps=14, seed=4)
    with open_executor("local", 2) as ex:
        b = check_facts(transatlantic, seeds=2, steps=14, seed=4, executor=ex)
    assert a.to_json() == b.to_json()
    assert {c.fact for c in a.claims} == set(FACTS)
    for c in a.claims:
        assert c.passed == _side_ok(c)


def _side_ok(c) -> bool:
    """The PASS rule restated from the claim's words: the interval lies on the claimed side."""
    if c.rule.startswith("interval above"):
        return c.lo > float(c.rule.split()[-1])
    if c.rule.startswith("interval below"):
        return c.hi < float(c.rule.split()[-1])
    if c.rule.startswith("interval not below"):
        return c.hi >= float(c.rule.split()[3])
    return max(abs(c.lo), abs(c.hi)) < float(c.rule.split("±")[1])


@pytest.mark.slow
def test_cli_facts_json_and_table():
    runner = CliRunner()
    r = runner.invoke(app, ["facts", "transatlantic", "--seeds", "2", "--steps", "14", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert list(doc)[:4] == ["scenario", "strategies", "runs", "seed"]  # the JSON grammar of every command
    assert doc["scenario"] == "transatlantic" and doc["runs"] == 2 and doc["steps"] == 14
    assert doc["strategies"][0] == "baseline" and "one-strike" in doc["strategies"]
    assert set(doc["facts"]) == set(FACTS)
    assert all(c["result"] in ("PASS", "FAIL") and c["lo"] <= c["mean"] <= c["hi"] for c in doc["claims"])
    r = runner.invoke(app, ["facts", "transatlantic", "--runs", "2", "--steps", "14"])  # --seeds is an alias
    assert r.exit_code == 0 and "PASS" in r.stdout and "Main hub" in r.stdout


def test_cli_facts_refuses_bad_input_with_exit_2():
    r = CliRunner().invoke(app, ["facts", "no-such-scenario", "--seeds", "2"])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_the_network_cache_tells_scenarios_apart_by_content(transatlantic):
    """Two scenarios that differ only in a parameter or a production level get their own compiled network
    (the price-capped pair of fact 5, sweeps and calibration rely on it)."""
    import dataclasses

    capped = dataclasses.replace(transatlantic,
                                 parameters=dataclasses.replace(transatlantic.parameters, price_cap=1.0))
    assert network_for(capped) is not network_for(transatlantic)
    assert network_for(capped).scenario.parameters.price_cap == 1.0
    org = transatlantic.organisations[0]
    more = dataclasses.replace(transatlantic, organisations=(
        dataclasses.replace(org, production={k: v + 1 for k, v in org.production.items()}),))
    assert network_for(more) is not network_for(transatlantic)
    same = dataclasses.replace(transatlantic, strategies={})
    assert network_for(same) is network_for(transatlantic)
