"""The page gives the command line's numbers: same defaults, and a job equals `compare --json`."""

from __future__ import annotations

import csv
import inspect
import io
import json

import pytest
from typer.testing import CliRunner

from counterflow import load_scenario
from counterflow.cli import app
from counterflow.cli.compare import compare
from counterflow.report.tables import table_rows


def test_page_defaults_are_the_cli_defaults(client_with, tmp_path):
    """A job that names only a scenario asks for the CLI's runs and seed over the scenario's horizon (read from
    the limit errors, so no job runs)."""
    from counterflow.web.app import JobRequest

    defaults = inspect.signature(compare).parameters
    assert JobRequest.model_fields["runs"].default == defaults["runs"].default == 20
    assert JobRequest.model_fields["seed"].default == defaults["seed"].default
    horizon = load_scenario("caribbean").steps
    with client_with(tmp_path / "a", max_runs=19) as c:
        r = c.post("/api/jobs", json={"scenario": "caribbean"})
        assert r.status_code == 422 and r.json()["error"]["message"].startswith("20 runs"), r.text
    with client_with(tmp_path / "b", max_steps=horizon - 1) as c:
        r = c.post("/api/jobs", json={"scenario": "caribbean"})
        assert r.status_code == 422 and r.json()["error"]["message"].startswith(f"{horizon} steps"), r.text


@pytest.mark.slow
def test_a_page_job_equals_compare_json(client):
    """The same inputs give identical numbers on the page and in `compare --json`, and the page's table text is
    the comparison written as `compare` writes it."""
    args = {"strategies": ["port-strike", "boat-strikes"], "runs": 3, "seed": 5, "steps": 12}
    r = client.post("/api/jobs", json={"scenario": "caribbean", **args})
    assert r.status_code == 202, r.text
    job = client.app.state.jobs.wait(r.json()["id"], timeout=300)
    assert job["status"] == "done", job
    view = client.get(f"/api/jobs/{job['id']}/results").json()
    out = CliRunner().invoke(app, ["compare", "caribbean", *args["strategies"], "--runs", "3", "--seed", "5",
                                   "--steps", "12", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert view["compare"] == doc
    assert view["table"] == json.loads(json.dumps(table_rows(doc, view["metrics"])))
    assert view["horizon"] == 12 and view["runs"] == 3 and view["seed"] == 5
    # ... and `compare`'s printed table has the same cells: value, Δ [interval], "better in N%"
    printed = CliRunner().invoke(app, ["compare", "caribbean", *args["strategies"], "--runs", "3", "--seed", "5",
                                       "--steps", "12", "--format", "csv"])
    assert printed.exit_code == 0, printed.output
    rows = list(csv.reader(io.StringIO(printed.stdout)))
    for row, printed_row in zip(view["table"], rows[1:], strict=True):
        assert printed_row[0] == row["label"]
        for name, text in zip(view["strategies"], printed_row[1:], strict=True):
            c = row["cells"][name]
            parts = [c["value"] + (f" ({c['note']})" if c["note"] else ""), c["delta"], c["better"]]
            assert text == "; ".join(p for p in parts if p)  # csv joins a cell's lines with "; "
    # the job's report is written from the stored runs and carries the same table
    r = client.get(f"/api/jobs/{job['id']}/download/report.html")
    assert r.status_code == 200, r.text
    first = view["table"][0]["cells"]["port-strike"]
    assert f'data-metric="{view["table"][0]["metric"]}"><b>{first["value"]}</b>' in r.text
