"""Analysis over a store: quantiles and paired differences, Sobol and Morris indices with known answers, CLI output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.experiments import Store, load_experiment, run_sweep
from counterflow.experiments.analysis import analyze
from counterflow.experiments.sampling import sample_design
from counterflow.experiments.sensitivity import indices, sensitivity

from .conftest import write_experiment

UNIT_COST = "strategies.port-strike.levers[0].unit_cost"
RISK = "strategies.port-strike.levers[0].intel_accuracy"


@pytest.fixture(scope="module")
def sobol_store(tmp_path_factory):
    """A small Sobol sweep in which the strike's unit cost is uncertain (cost depends on nothing else)."""
    folder = tmp_path_factory.mktemp("sobol")
    f = write_experiment(folder, sampler="sobol", samples=8, replications=2, steps=8, uncertainties=[
        {"path": RISK, "low": 0.3, "high": 1.0}, {"path": UNIT_COST, "low": 1.0e6, "high": 3.0e6}])
    exp = load_experiment(f)
    run_sweep(exp, folder / "store")
    return exp, Store(folder / "store")


def test_analyze_matches_an_independent_computation(sobol_store):
    """Quantiles, means and paired differences equal those computed with pandas from the Parquet files."""
    exp, st = sobol_store
    res = analyze(st)
    runs = pd.concat(pd.read_parquet(p) for p in sorted((st.path / "runs").glob("*.parquet")))
    assert res["runs"]["stored"] == len(runs) == exp.n_runs and res["runs"]["missing"] == 0
    for name in exp.strategies:
        sub = runs[runs.strategy == name].sort_values(["sample", "replication"])
        for o in ("delivered_kg", "civilian_harm", "cost_usd"):
            e = res["strategies"][name][o]
            v = sub[o].to_numpy()
            assert e["n"] == len(v)
            assert e["mean"] == pytest.approx(v.mean(), rel=1e-12)
            assert e["p50"] == pytest.approx(np.quantile(v, 0.5), rel=1e-12)
            assert e["p05"] == pytest.approx(np.quantile(v, 0.05), rel=1e-12)
    base = runs[runs.strategy == "baseline"].set_index(["sample", "replication"])
    strike = runs[runs.strategy == "port-strike"].set_index(["sample", "replication"])
    d = (strike.delivered_kg - base.delivered_kg.loc[strike.index]).to_numpy()
    e = res["strategies"]["port-strike"]["delivered_kg"]
    assert e["diff_mean"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-9)
    assert e["diff_lo"] <= e["diff_mean"] <= e["diff_hi"]
    assert e["beats_pct"] == pytest.approx(100 * (d < 0).mean())
    for must in ("delivered_kg", "flow_reduction_pct", "civilian_harm", "backlash"):
        assert must in res["strategies"]["port-strike"]  # harm and backlash always next to flow


def test_sobol_indices_on_the_model_find_the_only_driver_of_cost(sobol_store, tmp_path):
    """Strike cost depends on its unit cost alone: ST(unit cost) ~ 1, intel accuracy's indices exactly 0."""
    exp, st = sobol_store
    res = sensitivity(st, "sobol", ["cost_usd", "delivered_kg"])
    cost = res["strategies"]["port-strike"]["cost_usd"]
    assert cost[RISK]["ST"] == 0 and cost[RISK]["S1"] == 0
    assert abs(cost[UNIT_COST]["ST"] - 1.0) <= cost[UNIT_COST]["ST_conf"]
    assert abs(cost[UNIT_COST]["S1"] - 1.0) <= cost[UNIT_COST]["S1_conf"]
    harm = res["strategies"]["port-strike"]["civilian_harm"] if "civilian_harm" in res["strategies"]["port-strike"] \
        else sensitivity(st, "sobol", ["civilian_harm"])["strategies"]["port-strike"]["civilian_harm"]
    assert harm[UNIT_COST]["ST"] == 0 and harm[RISK]["ST"] > 0.5  # harm depends on intel accuracy only
    assert res["strategies"]["baseline"]["cost_usd"][RISK]["ST"] is None  # constant: no index
    assert set(res["parameters"]) == {RISK, UNIT_COST}


def test_sobol_indices_of_the_ishigami_function_contain_the_known_values():
    """On the Ishigami function the first-order and total indices match their analytic values within the CIs."""
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    unit = sample_design("sobol", 1024, 3, seed=4)
    X = -np.pi + 2 * np.pi * unit
    res = indices("sobol", problem, X, Ishigami.evaluate(X), seed=1)
    truth_s1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    truth_st = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for n in problem["names"]:
        assert abs(res[n]["S1"] - truth_s1[n]) <= 2 * res[n]["S1_conf"] + 0.01
        assert abs(res[n]["ST"] - truth_st[n]) <= 2 * res[n]["ST_conf"] + 0.01


def test_morris_finds_a_linear_effect_and_an_inert_parameter():
    """For y = 3·x0 (x1 unused) every elementary effect of x0 is 3 and of x1 is 0."""
    problem = {"num_vars": 2, "names": ["x0", "x1"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    X = sample_design("morris", 10, 2, seed=2)
    res = indices("morris", problem, X, 3 * X[:, 0])
    assert res["x0"]["mu_star"] == pytest.approx(3.0) and res["x0"]["sigma"] == pytest.approx(0.0, abs=1e-12)
    assert res["x1"]["mu_star"] == 0


def test_sensitivity_needs_a_matching_design(sobol_store):
    """Morris indices on a Sobol store are refused with a clear message."""
    from counterflow.errors import InputError

    _, st = sobol_store
    with pytest.raises(InputError, match="sampler: morris"):
        sensitivity(st, "morris")


def test_cli_analyze_and_sensitivity_print_json_and_a_chart(sobol_store, tmp_path):
    """`analyze --json` and `sensitivity --json` print only JSON; the sensitivity bar chart is a PNG."""
    _, st = sobol_store
    runner = CliRunner()
    r = runner.invoke(app, ["analyze", str(st.path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data["strategies"]) == {"baseline", "port-strike"}
    png = tmp_path / "s.png"
    r = runner.invoke(app, ["sensitivity", str(st.path), "--method", "sobol", "-m", "cost_usd", "--plot", str(png),
                            "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["strategies"]["port-strike"]["cost_usd"][RISK]["ST"] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, ["analyze", str(tmp_path / "nothing-here")])
    assert r.exit_code == 2 and "metadata.json" in r.stderr


def test_to_ema_returns_aligned_experiments_and_outcomes(sobol_store):
    """The EMA pair has one row per (sample, strategy) with outcomes averaged over replications, aligned."""
    from counterflow.experiments.ema import to_ema

    exp, st = sobol_store
    x, y = to_ema(st)
    assert list(x.columns) == [*exp.names, "scenario", "policy", "model"]
    assert len(x) == exp.n_points * len(exp.strategies)
    assert all(v.shape == (len(x),) for v in y.values())
    runs = st.runs()
    means = runs.groupby(["sample", "strategy"])["delivered_kg"].mean()
    for i in (0, 5, len(x) - 1):
        assert y["delivered_kg"][i] == pytest.approx(means[(x.scenario[i], x.policy[i])], rel=1e-12)
    assert np.array_equal(x[exp.names].to_numpy()[::2], exp.design())
    xr, yr = to_ema(st, ["civilian_harm"], strategy="port-strike", replications="rows")
    assert len(xr) == exp.n_points * exp.replications and set(yr) == {"civilian_harm"}
    assert set(xr.policy) == {"port-strike"}


def test_prim_finds_the_box_that_drives_cost(sobol_store):
    """EMA Workbench's PRIM on our pair bounds the strike's unit cost from below when cost is high."""
    prim = pytest.importorskip("ema_workbench.analysis.prim")
    from counterflow.experiments.ema import to_ema

    _, st = sobol_store
    x, y = to_ema(st, strategy="port-strike")
    box = prim.Prim(x.drop(columns=["scenario", "policy", "model"]), y["cost_usd"] > 2.0e6,
                    threshold=0.9).find_box()
    limits = box.box_lims[-1]  # the last (most restricted) box of the peeling trajectory
    assert limits[UNIT_COST][0] > 1.7e6
    assert box.peeling_trajectory.density.iloc[-1] >= 0.9


def test_sensitivity_on_a_small_sobol_store_warns_in_the_table_and_the_json(sobol_store):
    """N = 8 is below the Sobol' minimum: the command warns on stderr and lists it under 'warnings'."""
    _, st = sobol_store
    runner = CliRunner()
    r = runner.invoke(app, ["sensitivity", str(st.path), "--method", "sobol", "-m", "delivered_kg"])
    assert r.exit_code == 0, r.output
    assert "warning:" in r.stderr and "N = 8" in r.stderr
    r = runner.invoke(app, ["sensitivity", str(st.path), "--method", "sobol", "-m", "delivered_kg", "--json"])
    warnings = json.loads(r.stdout)["warnings"]
    assert any("N = 8" in w for w in warnings)
