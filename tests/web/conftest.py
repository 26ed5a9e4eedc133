"""Fixtures for the web app: a fresh store per test and a finished job shared by read-only tests."""

from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from counterflow.web import Limits, create_app

JOB = {"scenario": "caribbean", "strategies": ["port-strike"], "runs": 3, "seed": 7, "steps": 16,
       "custom": [{"name": "hub-strike", "actor": "US", "levers": [
           {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
            "schedule": {"at": 3}, "intel_accuracy": 0.9, "unit_cost": 1.0e6}]}]}


#: an interval printed with two equal bounds, e.g. "[14.20M, 14.20M]" (what the page never shows)
FLAT = re.compile(r"\[([^\[\],\"<>]+), \1\]")


def flat_intervals(obj) -> list[str]:
    """Every text in a JSON document that shows an interval with two equal bounds."""
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in flat_intervals(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in flat_intervals(v)]
    return [obj] if isinstance(obj, str) and FLAT.search(obj) else []


def make_client(store, **limits) -> TestClient:
    """A client that sends the page's header (state-changing requests need it)."""
    return TestClient(create_app(store, Limits(**limits)), headers={"X-Counterflow": "1"})



@pytest.fixture
def job_request() -> dict:
    """A small job: baseline, port-strike and a composed strike on the busiest hub."""
    return JOB


@pytest.fixture
def client_with():
    """Factory of test clients over a given store with given limits."""
    return make_client


@pytest.fixture
def client(tmp_path):
    with make_client(tmp_path / "store") as c:
        yield c


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """(client, job) for one small finished job: baseline, port-strike and a composed strategy."""
    store = tmp_path_factory.mktemp("store")
    with make_client(store) as c:
        r = c.post("/api/jobs", json=JOB)
        assert r.status_code == 202, r.text
        job = c.app.state.jobs.wait(r.json()["id"], timeout=120)
        assert job["status"] == "done", job
        yield c, job


@pytest.fixture(scope="session")
def store_folder(tmp_path_factory):
    """A folder holding a tiny search store (``search``) and a tiny sweep store (``sweep``), made by the CLI."""
    import yaml
    from typer.testing import CliRunner

    from counterflow.cli import app

    folder = tmp_path_factory.mktemp("stores")
    search = {"scenario": "caribbean", "budget_usd": 6.0e7, "steps": 6, "futures": 2, "replications": 1,
              "evaluations": 4, "population": 4, "seed": 1,
              "levers": [{"type": "maritime_interdiction", "intensity": {"low": 0.0, "high": 0.5},
                          "zone": {"mode": "sea"}, "lethal": [False, True], "schedule": {"start": 2},
                          "unit_cost": 1.0e5},
                         {"type": "humanitarian_aid", "intensity": {"low": 0.0, "high": 1.0}, "jurisdiction": "VE",
                          "schedule": {"start": 2}, "unit_cost": 2.0e5}],
              "objectives": [{"outcome": "flow_reduction_pct", "direction": "max", "robustness": "mean"},
                             {"outcome": "civilian_harm", "direction": "min", "robustness": "p90"}],
              "constraints": [{"outcome": "civilian_harm", "max": 200}],
              "uncertainties": [{"path": "parameters.learning_rate", "low": 0.05, "high": 0.5}]}
    sweep = {"scenario": "caribbean", "strategies": ["port-strike"], "sampler": "lhs", "samples": 2,
             "replications": 2, "seed": 3, "steps": 6,
             "uncertainties": [{"path": "organisations.org_a.risk_aversion", "low": 0.5, "high": 2.0}],
             "outcomes": ["delivered_kg", "flow_reduction_pct", "civilian_harm"]}
    files = folder.parent / f"{folder.name}-files"
    files.mkdir()
    (files / "search.yaml").write_text(yaml.safe_dump(search, sort_keys=False))
    (files / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False))
    for cmd in (["search", str(files / "search.yaml"), "--store", str(folder / "search"), "--executor",
                 "sequential", "--json"],
                ["sweep", str(files / "sweep.yaml"), "--store", str(folder / "sweep"), "--executor", "sequential"]):
        r = CliRunner().invoke(app, cmd)
        assert r.exit_code == 0, r.output
    return folder
