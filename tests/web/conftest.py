"""Fixtures for the web app: a fresh store per test and a finished job shared by read-only tests."""

from __future__ import annotations

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
