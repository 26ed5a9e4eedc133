"""The ``protection_paid`` outcome: what organisations paid officials over the horizon, reported like any outcome.

Nonzero on a network with enforcement when ``protection_share`` > 0, exactly 0 at the default 0; it is the sum
of what the engine's cash settlement paid (the money balance of ``tests/engine/test_protection.py`` covers the
payments themselves); ``run``, ``compare --json`` and the comparison tables of the report and the page carry it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import counterflow
from counterflow import Engine, compile_network, load_scenario, resolve_strategies
from counterflow.cli import app
from counterflow.engine.record import Recorder
from counterflow.metrics import run_record
from counterflow.outcomes import OUTCOMES, RUN_OUTCOMES, SUMMARY_OUTCOMES
from counterflow.report.tables import table_rows
from counterflow.runner import run_replications

STEPS = 20


def _with_share(share: float):
    sc = load_scenario("caribbean")
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, protection_share=share))


def test_registered_as_a_summary_outcome():
    o = OUTCOMES["protection_paid"]
    assert o.name in RUN_OUTCOMES and o.name in SUMMARY_OUTCOMES
    assert (o.unit, o.direction, o.series, o.reduce) == ("USD", "min", "protection_paid", "sum")


@pytest.mark.parametrize("share", [0.0, 0.1])
def test_the_outcome_is_what_the_settlement_paid(share):
    """Step by step, the recorded payments are what the cash settlement paid; the outcome is their sum: positive
    with a share on caribbean (enforced sites, free cash above the reserve), exactly 0.0 at share 0."""
    net = compile_network(_with_share(share))
    eng = Engine(net, None, 4, record_flows=False)
    rec = Recorder(net, STEPS, False)
    paid = np.zeros((STEPS, net.n_orgs))
    for i in range(STEPS):
        eng.step(rec, i)
        paid[i] = eng._scratch.paid
    np.testing.assert_array_equal(rec.protection_paid, paid)
    traj = rec.trajectory(net, "baseline", 4, STEPS, None, [])
    value = run_record(traj, 0, 4).metrics["protection_paid"]
    assert value == paid.sum()
    if share == 0.0:
        assert value == 0.0
    else:
        assert value > 0.0


def test_runs_report_it_with_and_without_payments():
    """With a share the baseline and a strike campaign both pay in every run; at share 0 every run pays exactly 0."""
    paying = _with_share(0.1)
    t = run_replications(paying, resolve_strategies(paying, ["strike-campaign"]), runs=2, seed=2, steps=STEPS).table()
    assert set(t.strategy) == {"baseline", "strike-campaign"}
    assert (t["protection_paid"] > 0).all()
    free = _with_share(0.0)
    t = run_replications(free, resolve_strategies(free, ["strike-campaign"]), runs=2, seed=2, steps=STEPS).table()
    assert (t["protection_paid"] == 0.0).all()


def test_cli_compare_json_and_table_rows_carry_it(tmp_path):
    """``compare --json`` holds the outcome with its unit and paired difference, and the rows the report and the
    page show carry its label, value and difference."""
    text = (Path(counterflow.__file__).parent / "data" / "caribbean.yaml").read_text()
    assert "parameters: {}" in text
    doc_text = text.replace("parameters: {}", "parameters: {protection_share: 0.1}")
    p = tmp_path / "paying.yaml"
    p.write_text(doc_text)
    r = CliRunner().invoke(app, ["compare", str(p), "port-strike", "--runs", "2", "--seed", "1",
                                 "--steps", str(STEPS), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert "protection_paid" in doc["metrics"] and doc["units"]["protection_paid"] == "USD"
    for name in ("baseline", "port-strike"):
        assert doc["strategies"][name]["protection_paid"]["mean"] > 0
    assert doc["strategies"]["baseline"]["protection_paid"]["diff_mean"] == 0
    rows = {row["metric"]: row for row in table_rows(doc, doc["metrics"])}
    cell = rows["protection_paid"]["cells"]["port-strike"]
    assert rows["protection_paid"]["label"] == "Protection paid to officials (USD)"
    assert cell["value"] and cell["delta"].startswith("Δ")


def test_the_docs_outcomes_table_lists_every_registered_outcome():
    """docs/compare.md's outcomes table names every outcome of the registry, in its order, and no other."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "compare.md").read_text()
    section = text.split("## Outcomes", 1)[1]
    names = [line.split("|")[1].strip().strip("`") for line in section.splitlines()
             if line.startswith("| `")]
    assert names == list(OUTCOMES)
