"""`counterflow compare`: paired differences against a baseline, its JSON contract and its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from counterflow import resolve_strategies
from counterflow.cli import app
from counterflow.report.tables import COMPARE_METRICS, comparison
from counterflow.runner import run_replications

KEYS = {"mean", "p05", "p50", "p95", "diff_mean", "diff_lo", "diff_hi"}
RUN_METRICS = {"delivered_kg", "seized_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct",
               "active_nodes", "route_entropy", "civilian_harm", "backlash", "cost_usd", "cost_per_kg_averted"}


def _invoke(*args):
    return CliRunner().invoke(app, ["compare", *args])


@pytest.fixture(scope="module")
def doc():
    r = _invoke("caribbean", "port-strike", "boat-strikes", "--runs", "4", "--seed", "3", "--steps", "20", "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def test_json_contract(doc):
    """Only JSON on stdout: baseline, runs, seed and per strategy and metric the documented keys."""
    assert (doc["baseline"], doc["runs"], doc["seed"]) == ("baseline", 4, 3)
    assert list(doc["strategies"]) == ["baseline", "port-strike", "boat-strikes"]
    for per in doc["strategies"].values():
        assert RUN_METRICS | {"hardship", "backlash", "cost_per_kg_averted"} <= set(per)
        for m, e in per.items():
            assert KEYS <= set(e), m
            q = [v for v in (e["p05"], e["p50"], e["p95"]) if v is not None]
            assert q == sorted(q)
            if e["diff_mean"] is not None and e["diff_lo"] is not None:
                assert e["diff_lo"] <= e["diff_mean"] <= e["diff_hi"]
    base = doc["strategies"]["baseline"]
    assert all(base[m]["diff_mean"] == 0 for m in ("delivered_kg", "seized_kg", "civilian_harm"))


def test_paired_differences_match_brute_force(caribbean):
    """diff_mean/lo/hi are the mean and 95 % t-interval of per-replication differences from the baseline."""
    strategies = resolve_strategies(caribbean, ["boat-strikes"])
    res = run_replications(caribbean, strategies, runs=5, seed=9, steps=16)
    c = comparison(res)
    t = res.table()
    for m in ("delivered_kg", "seized_kg", "civilian_harm", "backlash", "cost_usd"):
        a = t[t.strategy == "boat-strikes"].sort_values("replication")[m].to_numpy()
        b = t[t.strategy == "baseline"].sort_values("replication")[m].to_numpy()
        d = a - b
        half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
        e = c["boat-strikes"][m]
        assert e["diff_mean"] == pytest.approx(d.mean())
        assert e["diff_lo"] == pytest.approx(d.mean() - half) and e["diff_hi"] == pytest.approx(d.mean() + half)
        assert e["mean"] == pytest.approx(a.mean())
        better = (d < 0) if m != "seized_kg" else (d > 0)
        assert e["beats_pct"] == pytest.approx(100 * better.mean())
    fr = t[t.strategy == "boat-strikes"].flow_reduction_pct.to_numpy()
    assert c["boat-strikes"]["flow_reduction_pct"]["diff_mean"] == pytest.approx(fr.mean())


def test_other_baseline(caribbean):
    """--baseline NAME pairs every strategy with NAME; NAME's own differences are zero."""
    r = _invoke("caribbean", "boat-strikes", "--baseline", "port-strike", "--runs", "2", "--steps", "12", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["baseline"] == "port-strike"
    assert d["strategies"]["port-strike"]["delivered_kg"]["diff_mean"] == 0
    bs = d["strategies"]["boat-strikes"]["delivered_kg"]
    ps = d["strategies"]["port-strike"]["delivered_kg"]
    assert bs["diff_mean"] == pytest.approx(bs["mean"] - ps["mean"])


@pytest.mark.parametrize("also_given", [False, True])
def test_baseline_from_a_strategy_file(tmp_path, also_given):
    """--baseline FILE (given with -s as well or not) pairs every strategy with the file's strategy, by its name."""
    f = tmp_path / "patrols.yaml"
    f.write_text("name: patrols\nlevers:\n  - type: maritime_interdiction\n    zone: {mode: sea}\n"
                 "    intensity: 0.1\n    schedule: {start: 2}\n")
    r = _invoke("caribbean", "-s", "port-strike", *(("-s", str(f)) if also_given else ()), "--baseline", str(f),
                "--runs", "2", "--steps", "8", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["baseline"] == "patrols" and list(d["strategies"]) == ["baseline", "patrols", "port-strike"]
    assert d["strategies"]["patrols"]["delivered_kg"]["diff_mean"] == 0
    ps, pa = d["strategies"]["port-strike"]["delivered_kg"], d["strategies"]["patrols"]["delivered_kg"]
    assert ps["diff_mean"] == pytest.approx(ps["mean"] - pa["mean"]) and ps["diff_mean"] != 0


def test_baseline_file_named_as_another_strategy_is_refused(tmp_path):
    """A baseline file whose strategy shares its name with another strategy of the comparison would be dropped as a
    duplicate and the other one compared against in its place: refused, naming --baseline."""
    f = tmp_path / "mine.yaml"
    f.write_text("name: port-strike\nlevers:\n  - type: maritime_interdiction\n    zone: {mode: sea}\n"
                 "    intensity: 0.1\n    schedule: {start: 2}\n")
    r = _invoke("caribbean", "-s", "port-strike", "--baseline", str(f), "--runs", "2", "--steps", "8", "--json")
    assert r.exit_code == 2 and "another name" in r.stderr and "--baseline" in r.stderr, (r.exit_code, r.stderr)


def test_same_seed_same_numbers():
    """The comparison is reproducible from its seed."""
    args = ("caribbean", "layered", "--runs", "2", "--seed", "1", "--steps", "10", "--json")
    assert _invoke(*args).stdout == _invoke(*args).stdout


def test_table_and_report(tmp_path):
    """Without --json a table is printed; --report writes the HTML report and says where."""
    out = tmp_path / "cmp.html"
    r = _invoke("caribbean", "balanced", "--runs", "2", "--steps", "10", "--report", str(out))
    assert r.exit_code == 0, r.stderr
    assert "balanced" in r.stdout and "Δ" in r.stdout
    assert out.is_file() and str(out) in r.stderr.replace("\n", "")


@pytest.mark.parametrize(("args", "message"), [
    (("caribbean", "no-such-strategy"), "no strategy 'no-such-strategy'"),
    (("caribbean", "--baseline", "nope"), "no strategy 'nope'"),
    (("no-such-scenario",), "no-such-scenario"),
    (("caribbean", "--report", "x.pdf"), "should name an .html file"),
])
def test_bad_input_exits_2_with_one_message(args, message):
    """Bad input: exit status 2, one clear message on stderr, no traceback."""
    r = _invoke(*args, "--runs", "1", "--steps", "3")
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_compare_metrics_cover_run_metrics():
    """compare reports every metric of `run` plus hardship."""
    assert RUN_METRICS | {"hardship"} <= set(COMPARE_METRICS)


def test_metric_option_restricts_table_and_json():
    """--metric keeps only the named metrics, in table and JSON; an unknown metric is a clear error."""
    r = _invoke("caribbean", "port-strike", "--runs", "1", "--steps", "6", "--json", "-m", "civilian_harm",
                "-m", "delivered_kg")
    assert r.exit_code == 0, r.stderr
    per = json.loads(r.stdout)["strategies"]["port-strike"]
    assert list(per) == ["civilian_harm", "delivered_kg"]
    bad = _invoke("caribbean", "-m", "speed", "--runs", "1", "--steps", "3")
    assert bad.exit_code == 2 and "unknown metric 'speed'" in bad.stderr


def test_the_baseline_cost_per_kg_averted_reads_n_a_as_in_run(doc):
    """The baseline averts nothing against itself: its cost per kg averted reads n/a, in compare as in run."""
    from counterflow.cli.compare import compare_table

    table = compare_table(doc, "t", ["cost_per_kg_averted"])
    assert table.rows[0][1].startswith("n/a"), table.rows
    assert not any(c.startswith("n/a") for c in table.rows[0][2:]), table.rows
