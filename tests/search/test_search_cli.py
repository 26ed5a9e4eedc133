"""`counterflow search` then `counterflow front`: the JSON keys of the issue, a report, a rerun that runs nothing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from counterflow.cli import app

from .conftest import write_search


def test_search_then_front(tmp_path):
    f = write_search(tmp_path)
    st = tmp_path / "st"
    args = ["search", str(f), "--store", str(st), "--executor", "sequential", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    first = json.loads(r.stdout)
    assert first["evaluations"] == 8 and first["ran_now"] == 8
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["ran_now"] == 0 and again["replayed"] == 8 and again["out_of_sample_ran"] == 0
    html = tmp_path / "out" / "front.html"  # a folder that does not exist yet is created
    r = CliRunner().invoke(app, ["front", str(st), "--json", "--report", str(html), "--portfolio", "0",
                                 "--futures", "6"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["discovery"]["fresh_futures"] == 6 and data["discovery"]["futures"] >= 6 + 2
    assert "6 fresh" in data["discovery"]["method"]
    assert {"scenario", "seed", "futures", "replications", "objectives", "portfolios"} <= set(data)
    assert data["portfolios"], "the empty portfolio alone is feasible, so the front is never empty here"
    for p in data["portfolios"]:
        assert {"levers", "objectives", "cost_usd", "feasible", "survives_out_of_sample"} <= set(p)
        assert set(p["objectives"]) == {"flow_reduction_pct", "civilian_harm", "cost_usd"}
        for e in p["objectives"].values():
            assert set(e) == {"value", "lo", "hi"} and e["lo"] <= e["value"] + 1e-9 or e["value"] == e["lo"]
        assert p["feasible"] and p["cost_usd"] <= 6.0e7
        assert p["survives_out_of_sample"] in (True, False)
        assert isinstance(p["description"], str)
    text = html.read_text()
    # the figures are the web page's Vega-Lite specs (report.specs.front_specs), drawn offline
    assert '"parallel"' in text and '"tradeoffs"' in text and "Scenario discovery" in text
    r = CliRunner().invoke(app, ["front", str(st)])
    assert r.exit_code == 0 and "robust front" in r.output


def test_futures_without_a_portfolio_is_refused(tmp_path):
    f = write_search(tmp_path)
    st = tmp_path / "st"
    assert CliRunner().invoke(app, ["search", str(f), "--store", str(st), "--executor", "sequential",
                                    "--json"]).exit_code == 0
    r = CliRunner().invoke(app, ["front", str(st), "--futures", "8"])
    assert r.exit_code == 2 and "--portfolio" in r.output


def test_discovery_progress_bar_counts_futures(tmp_path, monkeypatch):
    """`front --portfolio N --futures 6`: the bar's total is 6, it is labelled in futures, and it reaches 6."""
    import contextlib

    from counterflow.cli import search as cli_search

    f = write_search(tmp_path)
    st = tmp_path / "st"
    assert CliRunner().invoke(app, ["search", str(f), "--store", str(st), "--executor", "sequential",
                                    "--json"]).exit_code == 0
    bars: list[dict] = []

    @contextlib.contextmanager
    def recording_bar(total, description, enabled=True, *, done=0, unit="runs"):
        bar = {"total": total, "description": description, "unit": unit, "done": 0}
        bars.append(bar)
        yield lambda n=1: bar.update(done=bar["done"] + n)

    monkeypatch.setattr(cli_search, "progress_bar", recording_bar)
    r = CliRunner().invoke(app, ["front", str(st), "--portfolio", "0", "--futures", "6"])
    assert r.exit_code == 0, r.output
    bar, = bars
    assert bar["unit"] == "futures" and bar["total"] == 6 and bar["done"] == 6
