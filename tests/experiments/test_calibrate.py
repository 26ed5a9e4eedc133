"""Calibration: ABC recovers parameters that generated synthetic observations; bad observation files are refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from counterflow import Engine, Scenario, load_scenario
from counterflow.cli import app
from counterflow.errors import InputError
from counterflow.experiments.calibrate import calibrate, read_observations
from counterflow.experiments.execute import open_executor, steps_columns

PROD_A = "organisations.org_a.production.andes_east"
COLUMNS = ["revenue:org_b", "produced", "price:us_east", "delivered"]


def _observations(folder, steps=30, seed=987654, truth=4100.0) -> str:
    doc = load_scenario("caribbean").to_dict()
    doc["organisations"][0]["production"]["andes_east"] = truth
    traj = Engine(Scenario.from_dict(doc), None, seed, record_flows=False).run(steps)
    cols = steps_columns(traj)
    df = pd.DataFrame({"step": np.arange(steps), **{c: cols[c] for c in COLUMNS}})
    path = folder / "observed.csv"
    df.to_csv(path, index=False)
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("truth,seed", [(4100.0, 987654), (2600.0, 11)])
def test_abc_recovers_a_known_parameter_within_its_interval(tmp_path, truth, seed):
    """Observations simulated at a known production level (with other dice): the 90% interval contains it."""
    obs = _observations(tmp_path, truth=truth, seed=seed)
    with open_executor("local", 2) as ex:
        res = calibrate("caribbean", obs, [(PROD_A, 2000, 5000)], samples=40, accept=0.15, seed=3,
                        store=tmp_path / "store", executor=ex)
    p = res.parameters[PROD_A]
    assert p["lo"] <= truth <= p["hi"], p
    assert p["hi"] - p["lo"] < 0.6 * (p["prior_high"] - p["prior_low"])  # the data narrowed the prior
    assert abs(p["estimate"] - truth) < 0.15 * (p["prior_high"] - p["prior_low"])
    assert res.accepted == 6 and res.samples == 40
    assert set(res.fit) == set(COLUMNS) and res.fit["produced"]["nrmse"] < 0.2
    assert p["width_ratio"] < 0.6 and not [w for w in res.warnings if "poorly identified" in w]
    prod = res.scenario.organisations[0].production["andes_east"]
    assert prod == pytest.approx(p["estimate"])
    assert (res.posterior.distance <= res.epsilon).all()


def test_cli_calibrate_writes_a_fitted_scenario_and_json(tmp_path):
    """`counterflow calibrate --json` prints estimates and saves a scenario file that validates."""
    obs = _observations(tmp_path, steps=8)
    out = tmp_path / "fitted.yaml"
    r = CliRunner().invoke(app, ["calibrate", "caribbean", obs, "--param", f"{PROD_A}=2000:5000",
                                 "--samples", "6", "--accept", "0.5", "--executor", "sequential",
                                 "--store", str(tmp_path / "st"), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    est = data["parameters"][PROD_A]
    assert 2000 <= est["lo"] <= est["estimate"] <= est["hi"] <= 5000
    fitted = Scenario.from_dict(yaml.safe_load(out.read_text()))
    assert fitted.organisations[0].production["andes_east"] == pytest.approx(est["estimate"])


@pytest.mark.parametrize("text,message,line", [
    ("when,delivered\n0,1\n", "needs a 'step' column", 1),
    ("step,delivred\n0,1\n", "unknown series 'delivred'", 1),
    ("step,delivered\n0,1\n1,abc\n", "expected a number, got 'abc'", 3),
    ("step,delivered\n0,1\n0,2\n", "appears twice", None),
    ("step,delivered\n-1,1\n", "whole number >= 0", 2),
])
def test_bad_observation_files_are_refused_clearly(tmp_path, text, message, line):
    """Malformed observations raise InputError naming the file and, where known, the line."""
    f = tmp_path / "obs.csv"
    f.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_observations(f, load_scenario("caribbean"))
    assert info.value.file == str(f) and info.value.line == line


def test_cli_calibrate_rejects_a_malformed_param(tmp_path):
    """A --param without PATH=LOW:HIGH exits with status 2 and one message."""
    obs = _observations(tmp_path, steps=3)
    r = CliRunner().invoke(app, ["calibrate", "caribbean", obs, "--param", "organisations.org_a.cash"])
    assert r.exit_code == 2 and "PATH=LOW:HIGH" in r.stderr


def test_a_posterior_that_is_the_prior_is_flagged_as_not_identified(tmp_path):
    """Keeping every draw (accept 1) leaves the prior unchanged: width ratio about 0.9 and a warning; plot written."""
    from counterflow.experiments.calibrate import WIDTH_RATIO_WARN, plot_posterior

    obs = _observations(tmp_path, steps=6)
    res = calibrate("caribbean", obs, [(PROD_A, 2000, 5000)], samples=12, accept=1.0, seed=2,
                    store=tmp_path / "st")
    ratio = res.parameters[PROD_A]["width_ratio"]
    assert ratio == pytest.approx((res.parameters[PROD_A]["hi"] - res.parameters[PROD_A]["lo"]) / 3000)
    assert ratio > WIDTH_RATIO_WARN
    assert any(PROD_A in w and "poorly identified" in w for w in res.warnings)
    assert res.to_json()["warnings"] == res.warnings
    png = plot_posterior(res, tmp_path / "post.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_warnings_fire_below_r2_zero_only():
    from counterflow.experiments.calibrate import _warnings

    par = {"p": {"width_ratio": 0.3}}
    assert _warnings(par, {"delivered": {"r2": 0.2}}) == []
    w = _warnings(par, {"delivered": {"r2": -0.11}, "price:x": {"r2": None}})
    assert len(w) == 1 and "worse than its observed mean (R² = -0.110)" in w[0]
    assert _warnings({"p": {"width_ratio": 0.71}}, {}) and not _warnings({"p": {"width_ratio": 0.7}}, {})


def test_cli_calibrate_labels_say_what_they_compute(tmp_path):
    obs = _observations(tmp_path, steps=6)
    r = CliRunner().invoke(app, ["calibrate", "caribbean", obs, "--param", f"{PROD_A}=2000:5000",
                                 "--samples", "4", "--accept", "1", "--executor", "sequential",
                                 "--store", str(tmp_path / "st"), "--out", str(tmp_path / "f.yaml")],
                           terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "RMSE / mean |observed|" in r.stdout and "RMSE / sd" not in r.stdout
    assert "poorly identified" in r.stderr
    assert (tmp_path / "f-posterior.png").is_file()
