"""The fronts read the outcomes registry: ``compare`` shows any numeric outcome by name, ``run`` shows the
registry's summary outcomes (no list of its own), so a new outcome needs no edit there."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.comparison import compare
from counterflow.outcomes import CATEGORICAL_OUTCOMES, LABELS, OUTCOMES, SUMMARY_OUTCOMES


def test_compare_shows_any_numeric_outcome_asked_for_by_name():
    others = [n for n in OUTCOMES if n not in SUMMARY_OUTCOMES and n not in CATEGORICAL_OUTCOMES]
    assert others  # destroyed_kg, mean_price, revenue_usd at least
    comp = compare("caribbean", ["port-strike"], runs=2, steps=6, metrics=others)
    doc = comp.to_dict()
    assert doc["metrics"] == others
    for name in others:
        cell = doc["strategies"]["port-strike"][name]
        assert cell["p50"] is not None or cell["mean"] is not None, (name, cell)


def test_run_shows_the_summary_outcomes_of_the_registry():
    r = CliRunner().invoke(app, ["run", "caribbean", "-s", "port-strike", "--runs", "1", "--steps", "4",
                                 "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert [row[0] for row in rows[1:]] == [LABELS[n] for n in SUMMARY_OUTCOMES]
