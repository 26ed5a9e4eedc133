"""Recovery is written as how the runs recovered, never as a range that puts runs a strategy did not affect
(0 steps) next to runs that never recovered ("never [0.000, never]"): in `run`, `compare`, the report and page
(one cell function) and the sweep table."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from typer.testing import CliRunner

from counterflow import load_scenario, parse_strategy
from counterflow.analysis import recovery_counts
from counterflow.cli import app
from counterflow.cli.common import summary_table
from counterflow.report.front import sweep_table
from counterflow.report.tables import cell, comparison, comparison_doc
from counterflow.report.words import recovery_words
from counterflow.runner import run_replications
from counterflow.strategy import BASELINE

RUNS, STEPS = 8, 40


@given(hs.lists(hs.one_of(hs.just(0.0), hs.just(float("nan")), hs.integers(1, 200).map(float)), max_size=30))
def test_recovery_counts_every_run_once(steps):
    v = np.array(steps, dtype=float)
    rec = recovery_counts(v)
    assert rec["recovered"] + rec["never"] + rec["no_effect"] == v.size
    back = v[np.isfinite(v) & (v > 0)]
    assert rec["median_steps"] == (float(np.median(back)) if back.size else None)
    text = recovery_words(rec)
    assert "[" not in text and "nan" not in text
    if rec["no_effect"] < v.size:
        assert text.startswith(f"{rec['recovered']} of {v.size} recover")
        assert (f"; {rec['never']} never" in text) == (rec["never"] > 0)


@pytest.fixture(scope="module")
def mixed():
    """A strike on the main port that hits in some runs only (intel accuracy 0.5): some runs recover and some
    never do within the horizon (5 and 3 of 8 at this seed)."""
    sc = load_scenario("caribbean")
    strike = parse_strategy({"name": "half-strike", "actor": "US", "levers": [
        {"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"at": 3},
         "intel_accuracy": 0.5, "unit_cost": 1.0e6}]}, scenario=sc)
    res = run_replications(sc, [BASELINE, strike], runs=RUNS, seed=0, steps=STEPS)
    return sc, res


def test_a_strategy_with_runs_that_never_recover_is_counted_in_every_view(mixed):
    sc, res = mixed
    t = res.table()
    status = t[t.strategy == "half-strike"].recovery_status.value_counts().to_dict()
    assert status.get("never", 0) > 0 and status.get("recovered", 0) > 0, status  # the case the cell is for
    rec = recovery_counts(t[t.strategy == "half-strike"].recovery_steps.astype(float).to_numpy())
    assert {k: rec[k] for k in ("recovered", "never", "no_effect")} == {
        k: status.get(k, 0) for k in ("recovered", "never", "no_effect")}
    words = recovery_words(rec)

    run_cell = summary_table(res.summary(), ["recovery_steps"], "t").rows[0][2]
    assert run_cell == words
    doc = comparison_doc(sc.name, "baseline", RUNS, 0, STEPS, ["recovery_steps"], comparison(res, ["recovery_steps"]))
    c = cell(doc, "half-strike", "recovery_steps", "week")
    assert c["value"] == recovery_words(rec, "week") and c["delta"] is None
    assert cell(doc, "baseline", "recovery_steps")["value"] == "n/a"
    sweep = sweep_table({"strategies": doc["strategies"]})
    assert sweep["rows"][0]["cells"]["half-strike"]["value"] == words
    for text in (run_cell, c["value"]):
        assert "never [" not in text and not re.search(r"\[[^\]]*never", text)


def test_the_run_command_writes_the_recovery_counts():
    r = CliRunner().invoke(app, ["run", "caribbean", "-s", "strike-campaign", "--runs", "4", "--steps", str(STEPS),
                                 "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert re.search(r"\d+ of 4 recover.*\d+ never|0 of 4 recover; 4 never", r.stdout), r.stdout
