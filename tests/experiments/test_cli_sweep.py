"""The `counterflow sweep` command: JSON report, clear errors with exit status 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from counterflow.cli import app

from .conftest import write_experiment


def test_sweep_json_reports_every_run(tmp_path):
    """`sweep --json` prints one JSON object counting stored, failed and missing runs; a rerun runs nothing."""
    f = write_experiment(tmp_path, samples=2, replications=1, steps=6)
    args = ["sweep", str(f), "--store", str(tmp_path / "st"), "--executor", "sequential", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["runs"] == {"expected": 4, "stored": 4, "failed": 0, "missing": 0, "duplicated": 0, "errors": []}
    assert data["ran_now"] == 4
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["ran_now"] == 0 and again["runs"]["stored"] == 4


def test_sweep_bad_input_exits_2_with_one_message(tmp_path):
    """A bad experiment, executor or option combination gives exit status 2 and one line, no traceback."""
    bad = write_experiment(tmp_path, "bad.yaml", sampler="grid", samples=5)
    good = write_experiment(tmp_path, "good.yaml")
    cases = [
        (["sweep", str(bad), "--store", str(tmp_path / "a")], "bad.yaml, line"),
        (["sweep", str(good), "--store", str(tmp_path / "b"), "--executor", "mpi"], "unknown executor 'mpi'"),
        (["sweep", str(good), "--store", str(tmp_path / "c"), "--address", "tcp://x:1"], "--address needs"),
        (["sweep", str(tmp_path / "missing.yaml"), "--store", str(tmp_path / "d")], "file not found"),
        (["sensitivity", str(tmp_path / "nowhere")], "no metadata.json"),
    ]
    for args, message in cases:
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.stderr and "Traceback" not in r.output + r.stderr
