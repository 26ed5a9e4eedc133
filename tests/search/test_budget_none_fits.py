"""A budget no lever fits (0 USD, 1 USD): the search finishes with "no action" as its front and says why."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from counterflow.cli import app

from .conftest import write_search


@pytest.mark.parametrize("budget", [0, 1])
def test_a_budget_no_lever_fits_gives_the_no_action_front(tmp_path, budget):
    f = write_search(tmp_path, budget_usd=budget, steps=6, evaluations=6)
    store = tmp_path / "st"
    r = CliRunner().invoke(app, ["search", str(f), "--store", str(store), "--executor", "sequential"])
    assert r.exit_code == 0, (r.output, r.exception)
    assert "no lever fits the budget" in r.stderr and "Traceback" not in r.output, r.stderr
    r = CliRunner().invoke(app, ["front", str(store), "--json"])
    assert r.exit_code == 0, r.output
    front = json.loads(r.stdout)["portfolios"]
    assert len(front) == 1 and front[0]["levers"] == [], front
