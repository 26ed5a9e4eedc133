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
