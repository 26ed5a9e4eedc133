"""Each input the robustness report found crashing, hanging or lying is refused with one message (exit 2),
and the planning solvers stop with a clear error instead of spinning on costs they cannot represent."""

from __future__ import annotations

import copy
from importlib import resources

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.engine import planning
from counterflow.engine._ssp import COST_LIMIT, ssp_min_cost_flow
from counterflow.scenario import MAX_STEPS
from counterflow.yamlio import load_yaml_text

runner = CliRunner()
BASE, _ = load_yaml_text(resources.files("counterflow.data").joinpath("caribbean.yaml").read_text())


def first_source(d):
    return next(iter(d["organisations"][0]["production"]))


CASES = {
    "edge cost 1e308": (lambda d: d["edges"][0].update(cost=1e308), "edges[0].cost"),
    "edge cost 1e30": (lambda d: d["edges"][0].update(cost=1e30), "edges[0].cost"),
    "edge cost -1": (lambda d: d["edges"][0].update(cost=-1), "edges[0].cost"),
    "edge cost .inf": (lambda d: d["edges"][0].update(cost=float("inf")), "edges[0].cost"),
    "risk_aversion 1e308": (lambda d: d["organisations"][0].update(risk_aversion=1e308),
                            "organisations[0].risk_aversion"),
    "reference_price 1e308": (lambda d: d["markets"][0].update(reference_price=1e308), "markets[0].reference_price"),
    "reference_price 0": (lambda d: d["markets"][0].update(reference_price=0), "markets[0].reference_price"),
    "reference_demand 0": (lambda d: d["markets"][0].update(reference_demand=0), "markets[0].reference_demand"),
    "steps 1e9": (lambda d: d.update(steps=10 ** 9), "steps"),
    "steps 2**63": (lambda d: d.update(steps=2 ** 63), "steps"),
    "steps 1e308": (lambda d: d.update(steps=1e308), "steps"),
    "edge time 1e7": (lambda d: d["edges"][0].update(time=10 ** 7), "edges[0].time"),
    "warmup 1e308": (lambda d: d.setdefault("parameters", {}).update(warmup=1e308), "parameters.warmup"),
    "burn_in 1e308": (lambda d: d.setdefault("parameters", {}).update(burn_in=1e308), "parameters.burn_in"),
    "recovery_window 1e308": (lambda d: d.setdefault("parameters", {}).update(recovery_window=1e308),
                              "parameters.recovery_window"),
    "production 1e308": (lambda d: d["organisations"][0]["production"].update({first_source(d): 1e308}),
                         "production"),
    "strategy named baseline": (lambda d: d["strategies"].update(baseline={"levers": []}), "strategies.baseline"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_issue_case_is_refused_with_one_message(tmp_path, case):
    mutate, field = CASES[case]
    data = copy.deepcopy(BASE)
    mutate(data)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    for args in (["validate", str(f)], ["run", str(f), "--runs", "1", "--steps", "2"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (case, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and str(f) in lines[0] and field in lines[0] and "line " in lines[0], lines


def test_strategy_file_named_baseline_is_refused(tmp_path):
    f = tmp_path / "st.yaml"
    f.write_text("name: baseline\nlevers: []\n")
    r = runner.invoke(app, ["run", "caribbean", "-s", str(f), "--runs", "1", "--steps", "2"])
    assert r.exit_code == 2 and "reserved" in r.stderr


@pytest.mark.parametrize("command", ["run", "compare"])
def test_steps_option_is_bounded(command):
    args = [command, "caribbean"] + (["port-strike"] if command == "compare" else [])
    r = runner.invoke(app, args + ["--steps", str(MAX_STEPS * 10 ** 5)])
    assert r.exit_code == 2 and "Invalid value for '--steps'" in r.output and str(MAX_STEPS) in r.output


def chain(cost: int):
    """Source 0 -> 1 -> sink 2 with a hold arc 0 -> 2 costing 10."""
    tails = np.array([0, 1, 0], np.int64)
    heads = np.array([1, 2, 2], np.int64)
    caps = np.array([5, 5, 5], np.int64)
    costs = np.array([cost, 1, 10], np.int64)
    supply = np.array([5, 0, 0], np.int64)
    return 3, tails, heads, caps, costs, supply, 2


def test_ssp_refuses_costs_it_cannot_represent():
    flow, _, ok = ssp_min_cost_flow(*chain(1))
    assert ok and flow.tolist() == [5, 5, 0]
    for bad in (COST_LIMIT + 1, -1, np.iinfo(np.int64).min):
        _, _, ok = ssp_min_cost_flow(*chain(bad))
        assert not ok


@pytest.mark.parametrize("bad", [np.inf, np.nan, 1e30])
def test_build_plan_refuses_non_finite_or_huge_costs(bad):
    with pytest.raises(RuntimeError, match="planning: edge costs"):
        planning.build_plan(
            n_nodes=2, split_out=np.arange(2), edge_idx=np.array([0]), edge_src=np.array([0]),
            edge_dst=np.array([1]), edge_cap=np.array([5.0]), edge_cost=np.array([bad]),
            split_nodes=np.array([], np.int64), split_cap=np.array([]), market_nodes=np.array([1]),
            market_idx=np.array([0]), tranche_cap=np.ones((1, 2)), tranche_rev=np.ones((1, 2)),
            supply=np.array([5.0, 0.0]))


def test_network_cache_follows_content():
    """Two scenarios that differ only in one edge cost get different compiled networks (the mutants of the
    robustness tests would otherwise run the unmutated network)."""
    import dataclasses

    from counterflow import load_scenario
    from counterflow.runner import network_for

    s = load_scenario("corridor")
    e0 = dataclasses.replace(s.edges[0], cost=s.edges[0].cost + 1.0)
    t = dataclasses.replace(s, edges=(e0,) + s.edges[1:])
    assert repr(s) == repr(t) and s.content_key() != t.content_key()
    assert network_for(s) is not network_for(t)
    assert network_for(t).edge_cost[0] == e0.cost
