"""`counterflow run` and `counterflow scenarios`."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from counterflow.cli import app

METRICS = {"delivered_kg", "seized_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct",
           "active_nodes", "route_entropy", "civilian_harm", "cost_usd"}


def test_scenarios_lists_caribbean():
    """The built-in scenario is listed with its description."""
    r = CliRunner().invoke(app, ["scenarios"])
    assert r.exit_code == 0 and "caribbean" in r.stdout


def test_run_json_contract(tmp_path):
    """--json prints exactly one JSON object with the documented structure; --out writes Parquet."""
    r = CliRunner().invoke(app, ["run", "caribbean", "--runs", "3", "--seed", "5", "--steps", "20", "--json",
                                 "--out", str(tmp_path)])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["scenario"] == "caribbean" and data["runs"] == 3 and data["seed"] == 5
    assert list(data["strategies"])[0] == "baseline"
    assert {"baseline", "port-strike", "strike-campaign"} <= set(data["strategies"])
    for per in data["strategies"].values():
        assert METRICS <= set(per)
        for m in METRICS:
            assert set(per[m]) == {"mean", "p05", "p50", "p95"} | ({"recovery"} if m == "recovery_steps" else set())
            vals = [v for v in (per[m]["p05"], per[m]["p50"], per[m]["p95"]) if v is not None]
            assert vals == sorted(vals)
    assert data["strategies"]["baseline"]["flow_reduction_pct"]["mean"] == 0.0
    steps = pd.read_parquet(tmp_path / "steps.parquet")
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 3 * len(data["strategies"]) and set(steps.strategy) == set(data["strategies"])
    assert steps.step.max() == 19


def test_run_same_seed_same_json():
    """Two invocations with the same seed print the same numbers."""
    args = ["run", "caribbean", "-s", "port-strike", "--runs", "2", "--steps", "15", "--json"]
    a = CliRunner().invoke(app, args).stdout
    b = CliRunner().invoke(app, args).stdout
    assert a == b


def test_run_unknown_strategy_is_a_clear_error():
    """An unknown strategy name exits 2 and lists the available ones."""
    r = CliRunner().invoke(app, ["run", "caribbean", "-s", "carpet-bombing"])
    assert r.exit_code == 2 and "port-strike" in r.stderr


def test_run_table_output():
    """Without --json the command prints a table with harm and backlash next to flow."""
    r = CliRunner().invoke(app, ["run", "caribbean", "--runs", "2", "--steps", "10"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    for word in ("Delivered", "Civilian harm", "Backlash", "port-strike"):
        assert word in r.stdout
    # a baseline neither recovers from an action nor averts anything: its cells say n/a, not 0
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in r.stdout.splitlines()
            if line.count("│") > 3}
    assert rows["Steps to recover (back in the band of baseline)"] == "n/a"
    assert rows["Cost per kg averted (USD)"] == "n/a"
    assert rows["Flow reduction vs baseline (%)"].startswith("0.000")


def test_the_run_table_writes_a_range_with_equal_ends_in_words():
    """A 5-95 % range of runs whose two ends are one value reads "(5–95 % range: one value)", as in the other
    views, never "0.000 [0.000, 0.000]"."""
    import re

    from counterflow.report.words import ONE_VALUE_RANGE

    r = CliRunner().invoke(app, ["run", "caribbean", "--runs", "3", "--seed", "5", "--steps", "20"],
                           env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert not re.search(r"\[([^\[\]]+?), \1\]", r.output), r.output  # no range with two equal ends
    assert f"0.000 {ONE_VALUE_RANGE}" in r.output and f"2.00M {ONE_VALUE_RANGE}" in r.output, r.output


def test_run_table_says_where_nothing_was_averted(tmp_path):
    """An undefined cost per kg averted is never written 'inf': the cell counts the runs that averted nothing
    (as the report and the page say it), and a note under the table says what '-' means; the count agrees with
    runs.parquet."""
    import csv
    import re

    import numpy as np

    from counterflow.cli.common import UNDEFINED_COST_NOTE

    r = CliRunner().invoke(app, ["run", "caribbean", "-s", "port-strike", "--runs", "8", "--seed", "0",
                                 "--steps", "30", "--format", "csv", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    rows = {row[0]: row for row in csv.reader(r.stdout.splitlines()) if row}
    cell = rows["Cost per kg averted (USD)"][rows["metric"].index("port-strike")]
    assert "inf" not in r.stdout, r.stdout
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    cost = runs.loc[runs.strategy == "port-strike", "cost_per_kg_averted"].astype(float).to_numpy()
    k = int((~np.isfinite(cost)).sum())
    assert 0 < k < 8, cost  # the case this test is about: some runs averted nothing, some did
    assert re.search(rf"nothing averted in {k} of 8 runs", cell), cell
    t = CliRunner().invoke(app, ["run", "caribbean", "-s", "port-strike", "--runs", "8", "--seed", "0",
                                 "--steps", "30"], env={"COLUMNS": "250"})
    assert "inf" not in t.stdout and UNDEFINED_COST_NOTE in " ".join(t.stdout.split()), t.stdout


def test_cost_per_kg_cell_words():
    """The cell's three forms: every run averted something, some did not, none did."""
    from counterflow.cli.common import _cost_per_kg_cell

    inf = float("inf")
    assert _cost_per_kg_cell({"p05": 300.0, "p50": 900.0, "p95": 2000.0}, (0, 10)) == "900 [300, 2000]"
    assert _cost_per_kg_cell({"p05": 300.0, "p50": 900.0, "p95": inf}, (3, 10)) == \
        "900 [300, -]\nnothing averted in 3 of 10 runs"
    assert _cost_per_kg_cell({"p05": 300.0, "p50": None, "p95": None}, (6, 10)) == \
        "- [300, -]\nnothing averted in 6 of 10 runs"
    assert _cost_per_kg_cell({"p05": inf, "p50": inf, "p95": inf}, (10, 10)) == "nothing averted"
    assert _cost_per_kg_cell({"p05": inf, "p50": inf, "p95": inf}, (8, 8 + 1)) == "nothing averted in 8 of 9 runs"
