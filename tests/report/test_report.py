"""The report and the effects it shows: read from recorded runs, paired, in one vocabulary."""

from __future__ import annotations

import ast
import csv
import html as _html
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from scipy import stats
from typer.testing import CliRunner

from counterflow import parse_strategy, resolve_strategies
from counterflow.cli import app
from counterflow.engine import Engine
from counterflow.errors import InputError
from counterflow.report import build_content, write_report
from counterflow.report.effects import flow_effects, series_effects, t_interval
from counterflow.report.html import VENDOR_FILES
from counterflow.report.tables import label
from counterflow.report.words import fmt, lever_words
from counterflow.runner import network_for, replication_seed, run_replications

REPORT_DIR = Path(__file__).resolve().parents[2] / "src" / "counterflow" / "report"


def _strike(sc, accuracy: float, name: str, node: str = "port_main", actor: str = "US"):
    return parse_strategy({"name": name, "actor": actor, "levers": [
        {"type": "strike", "targets": {"nodes": [node]}, "schedule": {"at": 3},
         "intel_accuracy": accuracy, "unit_cost": 1.0e6}]}, scenario=sc)


def test_report_is_self_contained(written_report):
    """No external resource: scripts are inline (the vendored Vega builds), no link, no http(s) src/href."""
    html = written_report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html
    vendor = Path(__file__).resolve().parents[2] / "src" / "counterflow" / "web" / "static" / "vendor"
    for name in VENDOR_FILES:
        assert (vendor / name).read_text(encoding="utf-8")[:2000] in html
    specs = json.loads(re.search(r'<script type="application/json" id="specs">(.*?)</script>', html, re.S)
                       .group(1).replace("<\\/", "</"))
    for key, spec in specs.items():
        assert f'id="{key}"' in html
        assert spec["$schema"].endswith("vega-lite/v6.json")


def test_figure_specs_are_written(written_report, small_results):
    """Each figure is written as a Vega-Lite spec: one per time series, one map per acting strategy."""
    folder = written_report.with_name(written_report.stem + "_figures")
    names = sorted(p.name for p in folder.iterdir())
    _, res = small_results
    assert [n for n in names if n.startswith("map-")] == sorted(f"map-{s}.vl.json" for s in res.strategies[1:])
    assert "time-delivered.vl.json" in names and "time-harm.vl.json" in names
    for p in folder.iterdir():
        json.loads(p.read_text(encoding="utf-8"))


def test_the_report_simulates_nothing():
    """No module of the report imports the engine or the runner's replication functions: it reads records."""
    for path in REPORT_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                assert "engine" not in mod, (path.name, mod)
                assert not {"run_replications", "run_replication", "simulate"} & {a.name for a in node.names}


def test_report_needs_recorded_flows_and_steps(caribbean, small_results, tmp_path):
    """Results run without keep_steps or keep_flows give one clear InputError."""
    strategies, _ = small_results
    res = run_replications(caribbean, strategies[:2], runs=1, seed=0, steps=5)
    with pytest.raises(InputError, match="keep_steps"):
        write_report(caribbean, res, tmp_path / "r.html", strategies[:2])
    res = run_replications(caribbean, strategies[:2], runs=1, seed=0, steps=5, keep_steps=True)
    with pytest.raises(InputError, match="keep_flows"):
        write_report(caribbean, res, tmp_path / "r.html", strategies[:2])


def test_map_effect_is_the_mean_paired_difference_of_simulated_flows(caribbean):
    """Edge effects equal the per-replication edge flows of the strategy minus the baseline's, from the engine,
    averaged, with the 95 % t-interval; 'clear' exactly when the interval excludes 0."""
    sc = caribbean
    st = _strike(sc, 1.0, "sure-strike")
    runs, steps, seed = 4, 14, 11
    res = run_replications(sc, resolve_strategies(sc, [])[:1] + [st], runs=runs, seed=seed, steps=steps,
                           keep_flows=True)
    fx = flow_effects(res)["sure-strike"]
    net = network_for(sc)
    diffs = []
    for i in range(runs):
        own = Engine(net, st, np.random.default_rng(replication_seed(seed, i))).run(steps).edge_flow.astype(float).sum(axis=0)
        base = Engine(net, resolve_strategies(sc, [])[0], np.random.default_rng(replication_seed(seed, i))
                      ).run(steps).edge_flow.astype(float).sum(axis=0)
        diffs.append((own - base) / steps)
    d = np.array(diffs)
    half = stats.t.ppf(0.975, runs - 1) * d.std(axis=0, ddof=1) / np.sqrt(runs)
    np.testing.assert_allclose(fx["edges"]["diff"], d.mean(axis=0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fx["edges"]["hi"], d.mean(axis=0) + half, rtol=1e-9, atol=1e-9)
    assert (fx["edges"]["clear"] == ((fx["edges"]["lo"] > 0) | (fx["edges"]["hi"] < 0))).all()
    # a strike that always hits moves flow somewhere, and it is reported as a hit in every run
    assert fx["edges"]["clear"].any()
    assert fx["strikes"] == {"port_main": {"runs": runs, "hit_runs": runs, "strikes": runs, "hits": runs}}


def test_a_strike_that_always_misses_shows_no_effect_and_says_so(caribbean):
    """With intelligence accuracy 0 a strike misses in every run. On an empty site struck by its own state
    (no casualties, no foreign strike) every edge and place is neutral (difference exactly 0), the map draws
    nothing coloured, labels the site 'hit in 0 of N runs' and says the strategy changed no flow. A missed
    foreign strike on an occupied site still causes casualties and backlash: then the note says where the
    changes come from instead."""
    sc = caribbean
    miss = _strike(sc, 0.0, "blind-strike", node="border_north", actor="VE")
    strategies = resolve_strategies(sc, [])[:1] + [miss]
    res = run_replications(sc, strategies, runs=3, seed=2, steps=12, keep_steps=True, keep_flows=True)
    fx = flow_effects(res)["blind-strike"]
    assert not fx["edges"]["clear"].any() and not fx["nodes"]["clear"].any()
    assert (fx["edges"]["diff"] == 0).all() and (fx["nodes"]["diff"] == 0).all()
    c = build_content(sc, res, strategies)
    spec = c["maps"]["blind-strike"]
    coloured = [lay for lay in spec["layer"] if "color" in lay.get("encoding", {})]
    assert coloured and all(lay["data"]["values"] == [] for lay in coloured)
    texts = [v["label"] for lay in spec["layer"] if lay["mark"].get("type") == "text" for v in lay["data"]["values"]]
    assert any(t.endswith("hit in 0 of 3 runs") for t in texts)
    notes = " ".join(c["map_notes"]["blind-strike"])
    assert "missed in all 3 runs" in notes and "changed no flow" in notes

    loud = _strike(sc, 0.0, "loud-miss")  # foreign, on an occupied dock
    res = run_replications(sc, [strategies[0], loud], runs=3, seed=2, steps=12, keep_steps=True, keep_flows=True)
    c = build_content(sc, res, [strategies[0], loud])
    notes = " ".join(c["map_notes"]["loud-miss"])
    assert "missed in all 3 runs" in notes and "changed no flow" not in notes
    if flow_effects(res)["loud-miss"]["edges"]["clear"].any():
        assert "casualties and backlash" in notes


def test_every_struck_site_is_labelled_on_the_map(caribbean):
    """Each struck site carries its "hit in N of M runs" label on the map, even in the crowded coast where four
    ports are struck (the most-struck port's label found no free place and was left out)."""
    strategies = resolve_strategies(caribbean, ["strike-campaign"])
    res = run_replications(caribbean, strategies, runs=3, seed=0, steps=40, keep_steps=True, keep_flows=True)
    c = build_content(caribbean, res, strategies)
    spec = c["maps"]["strike-campaign"]
    labels = {v["label"] for lay in spec["layer"] if lay["mark"].get("type") == "text" for v in lay["data"]["values"]}
    struck = [n for lay in spec["layer"] for n in lay["data"].get("values", []) if isinstance(n, dict) and n.get("struck")]
    assert len({n["name"] for n in struck}) >= 4
    for n in struck:
        assert n["label"] in labels and " of 3 runs" in n["label"], n["label"]


def test_series_differences_are_paired_means(caribbean, small_results):
    """The time panels' difference at each step is the mean over runs of (strategy - same-seed baseline), with
    the same t-interval as compare."""
    _, res = small_results
    eff = series_effects(res, series=["seized"], smooth=1)["seized"]["boat-strikes"]
    t = res.steps()
    t = t[t.variable == "seized"].pivot_table(index=["strategy", "replication"], columns="step", values="value")
    d = t.loc["boat-strikes"].to_numpy() - t.loc["baseline"].to_numpy()
    mean, lo, hi = t_interval(d)
    np.testing.assert_allclose(eff["diff"], d.mean(axis=0))
    np.testing.assert_allclose([eff["lo"], eff["hi"]], [lo, hi])


def test_table_is_compare_and_m_applies_to_the_report(tmp_path):
    """`compare -m ... --report` writes a report whose table has exactly those metrics, in that order, with the
    numbers of `compare --json` written as compare writes them."""
    out = tmp_path / "r.html"
    args = ["compare", "caribbean", "port-strike", "--runs", "2", "--seed", "3", "--steps", "10"]
    r = CliRunner().invoke(app, [*args, "-m", "civilian_harm", "-m", "delivered_kg", "--report", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td class="name">([^<]*)</td>', html)
    assert rows == [label("civilian_harm"), label("delivered_kg")]
    mean = doc["strategies"]["port-strike"]["delivered_kg"]["mean"]
    assert f'data-strategy="port-strike" data-metric="delivered_kg"><b>{fmt(mean)}</b>' in html


@given(hs.lists(hs.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=30))
def test_figures_and_compare_compute_one_interval(d):
    """The time figures' and maps' interval is compare's: the same mean and 95 % t-interval of paired differences."""
    from counterflow.analysis import paired_difference

    d = np.asarray(d)
    mean, lo, hi = t_interval(d[:, None])
    ref = paired_difference(d, np.zeros_like(d), "delivered_kg")
    np.testing.assert_allclose([mean[0], lo[0], hi[0]], [ref["diff_mean"], ref["diff_lo"], ref["diff_hi"]],
                               rtol=1e-9, atol=1e-6)


def _read_back(text: str) -> tuple[float, float]:
    """The value a compact number stands for and half a unit of its last printed digit."""
    scale = {"B": 1e9, "M": 1e6}.get(text[-1], 1.0)
    digits = text[:-1] if scale != 1.0 else text
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return float(digits.replace(",", "")) * scale, 0.5 * 10.0 ** -decimals * scale


@given(hs.one_of(hs.none(), hs.floats(min_value=-1e12, max_value=1e12), hs.floats()),
       hs.sampled_from(["", "kg", "runs/s"]))
def test_one_number_format_reads_back_to_the_number(x, unit):
    """The one number format (every table, the CLI's included): a finite number reads back to itself
    within half a unit of its last printed digit (two significant digits from 1, three from 10);
    missing and undefined values have their word (no unit), infinite ones ``inf``; a unit follows
    a number after a space."""
    text = fmt(x, none="never", unit=unit)
    if x is None or math.isnan(x):
        assert text == "never"
        return
    if unit:
        assert text.endswith(" " + unit)
        text = text[: -len(unit) - 1]
    if math.isinf(x):
        assert text == ("inf" if x > 0 else "-inf")
        return
    value, half = _read_back(text)
    assert abs(value - x) <= half * (1 + 1e-9) + 1e-9 * abs(x)
    if abs(x) >= 10:
        assert half <= 0.005 * abs(x)
    elif abs(x) >= 1:
        assert half <= 0.05


def test_strategies_in_words(caribbean):
    """Levers read as sentences with place names, never as Python dicts."""
    for st in resolve_strategies(caribbean, []):
        for lv in st.levers:
            text = lever_words(lv, caribbean)
            assert not re.search(r"[{}']|\w+: ", text), text
    port = resolve_strategies(caribbean, ["port-strike"])[1]
    name = next(n.name for n in caribbean.nodes if n.id == "port_main")
    assert lever_words(port.levers[0], caribbean).startswith(f"strike on {name} in week 4")

    # a lever that acts in a jurisdiction reads "police support in Coastal state ...", not "police support - in ..."
    balanced = resolve_strategies(caribbean, ["balanced"])[1]
    words = [lever_words(lv, caribbean) for lv in balanced.levers]
    assert not any(" - " in w for w in words), words
    assert any(w.startswith("police support in Coastal state and Producer state every week") for w in words), words


def test_a_number_that_shows_as_zero_has_no_sign():
    """A mean paired difference of -0.0004 is written 0.000, never "-0.000" (seen in the route diversity row)."""
    assert fmt(-0.0004) == fmt(-0.0) == fmt(0.0004) == "0.000"
    assert fmt(-0.0006) == "-0.001" and fmt(-2.0) == "-2.0"
    from counterflow.report.words import delta
    assert delta(-0.0004, -0.002, 0.002) == "Δ 0.000 [-0.002, 0.002]"


def test_lever_firings_name_jurisdictions_organisations_and_routes(caribbean):
    """The events view names what a lever fired on: jurisdictions, organisations and routes by their names in
    the scenario (humanitarian aid "Coastal state", not "VE"; a route "A to B", not "a->b")."""
    from counterflow.report.content import build_content

    strategies = resolve_strategies(caribbean, ["balanced", "layered"])
    res = run_replications(caribbean, strategies, runs=1, seed=0, steps=6, keep_steps=True, keep_flows=True)
    events = build_content(caribbean, res, strategies)["events"]
    shown = {lv["type"]: " ".join(d["targets"] for d in lv["detail"]) for lv in events["balanced"] + events["layered"]}
    juris = {j.id: j.name for j in caribbean.jurisdictions}
    assert "Coastal state" in shown["humanitarian_aid"] and "VE" not in shown["humanitarian_aid"].split(", ")
    assert "Producer state" in shown["police_support"]
    assert "Coastal group (fictional)" in shown["sanctions"] and "org_a" not in shown["sanctions"]
    assert not any(t in juris for t in shown["police_support"].split(", "))
    assert "->" not in shown["maritime_interdiction"] and " to " in shown["maritime_interdiction"]


#: an interval printed with two equal bounds, e.g. "[14.20M, 14.20M]" (what the views never write)
FLAT = re.compile(r"\[([^\[\],\"<>]+), \1\]")


@given(hs.one_of(hs.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
                 hs.floats(allow_nan=False, allow_infinity=False, min_value=-1e-6, max_value=1e-6)),
       hs.one_of(hs.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e6),
                 hs.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e-9)))
def test_an_interval_is_written_one_way(lo, width):
    """A 95 % interval of no width reads "(no spread across runs)", one that cannot be stated "(no interval)",
    and any other shows two different bounds (with the decimals that tell them apart)."""
    from counterflow.report.words import (
        NO_INTERVAL,
        NO_SPREAD,
        ONE_VALUE_RANGE,
        ci,
        delta,
        estimate,
        interval,
    )

    hi = lo + width
    text = ci(lo, hi)
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):  # equal, or equal up to the rounding of the sums behind them
        assert text == NO_SPREAD and estimate(lo, lo, hi) == f"{fmt(lo)} {NO_SPREAD}"
    elif text == NO_SPREAD:  # only bounds that 16 decimals cannot tell apart
        assert hi - lo < 1e-15 * max(1.0, abs(lo), abs(hi)), (lo, hi)
    else:
        a, b = text[1:-1].split(", ")
        assert text.startswith("[") and a != b and not FLAT.search(text), text
    assert ci(lo, hi, n=1) == ci(None, hi) == ci(lo, None) == NO_INTERVAL
    if text.startswith("[") and text[-2] in "MB":  # a value next to an interval in millions is in millions too
        value = delta(lo, lo, hi)[2:-len(text) - 1]
        assert value[-1] == text[-2] and abs(_read_back(value)[0] - lo) <= _read_back(value)[1] * (1 + 1e-9), value
    else:
        assert delta(lo, lo, hi) == f"Δ {fmt(lo)} {text}"
    assert interval(lo, lo) == ONE_VALUE_RANGE  # a 5-95 % range of runs with equal ends


@given(hs.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
       hs.one_of(hs.floats(min_value=0, max_value=1e6), hs.floats(min_value=0, max_value=1e-3),
                 hs.floats(min_value=0, max_value=1e-9)))
def test_a_range_and_an_interval_have_one_rule(lo, width):
    """A 5-95 % range of runs and a 95 % interval are written by one rule (``words.bounds``): a range of one
    value reads "(5–95 % range: one value)" exactly when an interval reads "(no spread across runs)"; any
    other shows two different bounds in order, each reading back to its value within its last printed digit,
    never ``2.7 [2.7, 2.7]``."""
    from counterflow.report.words import NO_SPREAD, ONE_VALUE_RANGE, bounds, ci, interval

    hi = lo + width
    text = interval(lo, hi)
    assert (text == ONE_VALUE_RANGE) == (ci(lo, hi) == NO_SPREAD) == (bounds(lo, hi) is None)
    if text == ONE_VALUE_RANGE:
        return
    assert text == ci(lo, hi) == bounds(lo, hi) and not FLAT.search(text), text
    a, b = text[1:-1].split(", ")
    (va, ha), (vb, hb) = _read_back(a), _read_back(b)
    assert a != b and va <= vb
    # one number form within an interval: both ends in millions (billions) or both plain, unless an end is too
    # small to show its first digit at 4 decimals of the millions (billions): then fmt's own form, so its sign shows
    div = 1e9 if max(abs(lo), abs(hi)) >= 1e9 else 1e6
    if not any(x != 0 and abs(x) / div < 5e-5 for x in (lo, hi)):
        assert (a[-1] in "MB") == (b[-1] in "MB") and (a[-1] == b[-1] or a[-1] not in "MB"), text
    assert abs(va - lo) <= ha * (1 + 1e-9) + 1e-9 * abs(lo) and abs(vb - hi) <= hb * (1 + 1e-9) + 1e-9 * abs(hi)


def test_one_number_form_within_an_interval():
    """Both ends of an interval in one form (the audit saw "[-6.03M, -53,371]"); a small end gets the decimals
    that show its sign; the value next to it in the same form (compare's cells, the report and the page)."""
    from counterflow.report.words import bounds, delta, interval

    assert bounds(-6.03e6, -53371) == "[-6.03M, -0.05M]"
    assert interval(-6.03e6, -53371) == "[-6.03M, -0.05M]"
    assert bounds(-6.03e6, 1234) == "[-6.030M, 0.001M]"  # not "0.00M": the interval contains 0
    assert bounds(-6.03e6, 40) == "[-6.03M, 40.0]" and bounds(-6.03e6, -40) == "[-6.03M, -40.0]"  # too small
    # for 4 decimals of a million: its own form, so the sign shows (both read "0.00M" before the review)
    assert bounds(-2.5e9, 3e8) == "[-2.50B, 0.30B]"
    assert delta(-3.0e6, -6.03e6, -53371) == "Δ -3.00M [-6.03M, -0.05M]"
    assert delta(6.0e5, -1.0e5, 1.3e6) == "Δ 0.60M [-0.10M, 1.30M]"
    assert delta(-2000.0, -53371.0, 49000.0) == "Δ -2000 [-53,371, 49,000]"  # both plain: fmt's form
    # a median with its 5-95 % range of runs (run's table, the sweep view) by the same rule
    from counterflow.report.front import sweep_table
    from counterflow.report.words import median_and_range

    assert median_and_range(6.0e5, 1.0e5, 1.3e6) == "0.60M [0.10M, 1.30M]"
    assert median_and_range(1234, 0, 1.3e6) == "1234 [0.00M, 1.30M]"  # not "0.00M": a value the form hides
    assert median_and_range(None, 0.5, None, "never") == "never [0.500, never]"
    entry = {"mean": 7.0e5, "p05": 1.0e5, "p50": 6.0e5, "p95": 1.3e6, "n": 8}
    table = sweep_table({"strategies": {"baseline": {"cost_usd": entry}}})
    assert table["rows"][0]["cells"]["baseline"]["value"] == "0.60M [0.10M, 1.30M]"


def test_ranges_with_missing_or_infinite_ends():
    from counterflow.report.words import ONE_VALUE_RANGE, interval

    inf = float("inf")
    assert interval(2.71, 2.74) == "[2.71, 2.74]"  # was "[2.7, 2.7]"
    assert interval(None, None, "never") == interval(inf, inf, "inf") == ONE_VALUE_RANGE
    assert interval(0.5, None, "never") == "[0.500, never]"


@given(hs.floats(), hs.floats())
def test_an_interval_with_a_bound_that_is_not_finite_cannot_be_stated(lo, hi):
    """Infinite or undefined bounds are no interval: never "[nan, nan]", "[infB, infB]", nor "no spread"."""
    import math

    from counterflow.report.words import NO_INTERVAL, ci

    if not (math.isfinite(lo) and math.isfinite(hi)):
        assert ci(lo, hi) == NO_INTERVAL


def test_the_words_for_the_intervals_the_review_found():
    from counterflow.report.words import NO_INTERVAL, ci

    inf, nan = float("inf"), float("nan")
    assert ci(-inf, inf) == ci(nan, nan) == ci(inf, inf) == ci(0.0, nan) == NO_INTERVAL
    assert ci(1e-12, 3e-10) == "[0.0000000000, 0.0000000003]"  # the decimals that tell them apart
    assert fmt(inf) == "inf" and fmt(-inf) == "-inf" and fmt(nan) == "-"


def _shown_text(html: str) -> str:
    """The report's body as the reader gets it: text, table and the specs' tooltips (no vendored code)."""
    from counterflow.report.html import EMBED_SCRIPT

    return html[html.index("<body>"):].replace(EMBED_SCRIPT, "")


def test_a_fixed_cost_is_written_without_a_flat_interval_in_compare_and_the_report(tmp_path):
    """A strategy's cost is the same in every run: `compare` and the report write its paired difference as
    "Δ 2.00M (no spread across runs)", with the note saying what that means; one run gives "(no interval)".
    Nothing in the printed table or the report shows an interval with two equal bounds."""
    from counterflow.report.words import INTERVAL_NOTE, NO_INTERVAL, NO_SPREAD

    out = tmp_path / "r.html"
    args = ["compare", "caribbean", "-s", "port-strike", "--seed", "3", "--steps", "8", "-m", "cost_usd",
            "-m", "delivered_kg"]
    r = CliRunner().invoke(app, [*args, "--runs", "2", "--report", str(out), "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(r.stdout))}
    cost = rows[label("cost_usd")][1]
    assert cost.split("; ")[1] == f"Δ 2.00M {NO_SPREAD}", cost
    assert not FLAT.search(r.stdout)
    html = out.read_text(encoding="utf-8")
    assert f"Δ 2.00M {NO_SPREAD}" in html and _html.escape(INTERVAL_NOTE) in html
    assert not FLAT.search(_shown_text(html)), FLAT.search(_shown_text(html))
    printed = CliRunner(env={"COLUMNS": "200"}).invoke(app, [*args, "--runs", "2"])
    assert INTERVAL_NOTE.split(":")[0] in printed.stdout and "[2.00M, 2.00M]" not in printed.stdout
    one = CliRunner().invoke(app, [*args, "--runs", "1", "--format", "csv"])
    assert one.exit_code == 0, one.output
    assert f"Δ 2.00M {NO_INTERVAL}" in one.stdout and NO_SPREAD not in one.stdout


def _tooltips(spec) -> list:
    """Every tooltip encoding in a Vega-Lite spec (layers, facets and concatenations included)."""
    if isinstance(spec, dict):
        return ([spec["tooltip"]] if isinstance(spec.get("tooltip"), list) else []) + \
            [t for k, v in spec.items() if k != "tooltip" for t in _tooltips(v)]
    if isinstance(spec, list):
        return [t for v in spec for t in _tooltips(v)]
    return []


def test_every_figure_has_tooltips_with_units(caribbean, small_results):
    """Each time figure (levels and each paired-difference panel) and each map carries tooltips; the numbers
    in them name their unit or their interval."""
    strategies, res = small_results
    c = build_content(caribbean, res, strategies)
    for key, spec in c["time"].items():
        level, diff = spec["vconcat"]
        assert _tooltips(level) and _tooltips(diff), key
        titles = [t["title"] for tip in _tooltips(spec) for t in tip]
        assert any("median (" in t for t in titles) and any(t.startswith("change (") for t in titles), titles
    for name, spec in c["maps"].items():
        titles = [t["title"] for tip in _tooltips(spec) for t in tip]
        assert "Route" in titles and "Place" in titles and "change: mean [95 % interval]" in titles, name


def test_better_in_n_percent_and_colour_follow_the_registry():
    """Every outcome a cell may colour clearly better or worse (judged, one value per run, or the flow reduction)
    says "better in N%" too: protection paid, revenue and price were coloured green or red with no share; costs
    and outcomes that are no verdict (active nodes, entropy, displacement) never say it."""
    from counterflow.outcomes import OUTCOMES
    from counterflow.report.tables import cell

    entry = {"mean": 5.0, "p05": 4.0, "p50": 5.0, "p95": 6.0, "diff_mean": -1.0, "diff_lo": -1.5, "diff_hi": -0.5,
             "beats_pct": 70.0}
    names = [m for m, o in OUTCOMES.items() if not o.categories]
    doc = {"baseline": "baseline", "runs": 10,
           "strategies": {"baseline": {m: {**entry, "diff_mean": 0.0, "diff_lo": 0.0, "diff_hi": 0.0} for m in names},
                          "s": {m: dict(entry) for m in names}}}
    for m in names:
        o = OUTCOMES[m]
        c = cell(doc, "s", m)
        says = c["better"] == "better in 70%"
        per_run_verdict = o.judged and (not o.paired or m == "flow_reduction_pct")
        assert says == per_run_verdict, (m, c)
        assert not c["cls"] or says or o.paired, (m, c)  # a coloured per-run outcome gives the share
        assert cell(doc, "baseline", m)["better"] is None
    assert cell(doc, "s", "protection_paid")["better"] == "better in 70%"
    assert cell(doc, "s", "protection_paid")["cls"] == "good"
    # a cost per kg averted is no difference from no action: its interval always excludes 0 once anything was
    # averted at a cost, so it is never coloured (it was red, "clearly worse", for every such strategy)
    assert cell(doc, "s", "cost_per_kg_averted")["cls"] == ""
    doc["strategies"]["s"]["cost_per_kg_averted"].update(diff_mean=1098.0, diff_lo=883.0, diff_hi=1314.0)
    assert cell(doc, "s", "cost_per_kg_averted")["cls"] == ""


def test_the_sweep_table_says_better_in_n_percent_where_compare_does():
    """A sweep's cells give "better in N%" for the same outcomes as compare's (the page's sweep view said
    "better in 0%" for a strategy's cost, which every strategy pays and no action does not)."""
    from counterflow.report.front import sweep_table
    from counterflow.report.tables import BEATS

    entry = {"mean": 5.0, "p05": 4.0, "p50": 5.0, "p95": 6.0, "diff_mean": 1.0, "diff_lo": 0.5, "diff_hi": 1.5,
             "beats_pct": 0.0, "n": 8}
    outcomes = ["delivered_kg", "civilian_harm", "cost_usd", "protection_paid", "active_nodes"]
    res = {"strategies": {"baseline": {o: dict(entry) for o in outcomes}, "s": {o: dict(entry) for o in outcomes}}}
    rows = {r["outcome"]: r["cells"]["s"] for r in sweep_table(res)["rows"]}
    for o in outcomes:
        assert ("better" in rows[o]) == (o in BEATS), (o, rows[o])
    assert "better" not in rows["cost_usd"] and rows["protection_paid"]["better"] == "better in 0%"
    from counterflow.report.specs import sweep_spec

    tips = {p["outcome"]: p["better"] for p in sweep_spec({**res, "points": 4, "replications": 2}, 860)["data"]["values"]}
    assert tips["Cost of the strategy (USD, millions)"] == "" and tips["Delivered to markets (kg)"] == "0%"


def test_the_sweep_chart_draws_costs_in_millions_as_the_tables_write_them():
    """The sweep chart's USD outcomes (cost, revenue, protection paid) are drawn in USD millions with that unit
    in the panel's title, as the tables write "2.20M" (the axis read 2,200,000); other outcomes as they are."""
    from counterflow.report.specs import sweep_spec

    e = {"mean": 2.2e6, "diff_mean": 2.2e6, "diff_lo": 2.0e6, "diff_hi": 2.4e6, "beats_pct": 0.0, "n": 8}
    outcomes = ["cost_usd", "revenue_usd", "protection_paid", "delivered_kg"]
    res = {"strategies": {"baseline": {o: dict(e) for o in outcomes}, "s": {o: dict(e) for o in outcomes}},
           "points": 4, "replications": 2}
    spec = sweep_spec(res, 860)
    rows = {r["outcome"]: r for r in spec["data"]["values"]}
    assert set(rows) == {"Cost of the strategy (USD, millions)", "Trafficker revenue (USD, millions)",
                         "Protection paid to officials (USD, millions)", "Delivered to markets (kg)"}
    assert spec["facet"]["sort"] == list(rows)
    for title, r in rows.items():
        scale = 1.0 if "(kg)" in title else 1e-6
        np.testing.assert_allclose([r["diff"], r["lo"], r["hi"]], [2.2e6 * scale, 2.0e6 * scale, 2.4e6 * scale])
        assert r["text"] == "Δ 2.20M [2.00M, 2.40M]"  # the tooltip as the tables write it


def test_no_better_in_0_percent_when_every_run_ties_with_the_baseline():
    """Where every paired difference is exactly 0 (protection paid with protection off, hardship that never
    rises) no run is better and none worse: the cell says no "better in 0%", which read as worse in every run."""
    from counterflow.report.front import sweep_table
    from counterflow.report.specs import sweep_spec
    from counterflow.report.tables import cell

    tie = {"mean": 0.0, "p05": 0.0, "p50": 0.0, "p95": 0.0, "diff_mean": 0.0, "diff_lo": 0.0, "diff_hi": 0.0,
           "beats_pct": 0.0, "n": 8}
    worse = {**tie, "mean": 2.0, "diff_mean": 2.0, "diff_lo": 2.0, "diff_hi": 2.0}  # worse in every run, no spread
    outcomes = {"protection_paid": tie, "hardship": tie, "civilian_harm": worse}
    doc = {"baseline": "baseline", "runs": 8, "strategies": {"baseline": dict(outcomes), "s": dict(outcomes)}}
    assert cell(doc, "s", "protection_paid")["better"] is None and cell(doc, "s", "hardship")["better"] is None
    assert cell(doc, "s", "civilian_harm")["better"] == "better in 0%"
    rows = {r["outcome"]: r["cells"]["s"] for r in sweep_table({"strategies": doc["strategies"]})["rows"]}
    assert "better" not in rows["protection_paid"] and rows["civilian_harm"]["better"] == "better in 0%"
    tips = {p["outcome"]: p["better"] for p in sweep_spec({"strategies": doc["strategies"], "points": 4,
                                                            "replications": 2}, 860)["data"]["values"]}
    assert tips["Hardship index (mean)"] == "" and tips["Civilian harm (expected casualties)"] == "0%"


def test_police_support_ramp_is_written_in_firings_not_steps():
    """The report wrote "ramp steps 12" in a sentence about weeks; the parameter counts firings."""
    from counterflow.report.words import lever_words
    from counterflow.scenario import load_builtin

    sc = load_builtin("caribbean")
    lv = next(lv for s in resolve_strategies(sc, ["layered"]) for lv in s.levers if lv.type == "police_support")
    text = lever_words(lv, sc)
    assert f"firings to full strength {lv.params['ramp_steps']}" in text and "step" not in text, text


def test_sanctions_name_the_organisation_not_its_id():
    """The report and the page wrote "sanctions on org_a"; the scenario names it."""
    from counterflow.report.words import lever_words
    from counterflow.scenario import load_builtin

    sc = load_builtin("caribbean")
    lv = next(lv for s in resolve_strategies(sc, ["layered"]) for lv in s.levers if lv.type == "sanctions")
    text = lever_words(lv, sc)
    assert "sanctions on Coastal group (fictional)" in text and "org_a" not in text, text


def test_protection_paid_is_at_a_glance_and_over_time_where_it_is_paid(caribbean, small_results):
    """Where organisations pay officials (a protection_share above 0), the at-a-glance sentence gives the paired
    difference in protection paid, as compare's cell does, and the time view has its series (per step, summed over
    organisations, in USD millions), whose paired difference is the runs' own; with protection off neither appears."""
    import dataclasses

    from counterflow.report.content import compare_doc
    from counterflow.report.tables import cell

    sc = dataclasses.replace(caribbean, parameters=dataclasses.replace(caribbean.parameters, protection_share=0.1))
    strategies = resolve_strategies(sc, ["strike-campaign"])
    res = run_replications(sc, strategies, runs=3, seed=2, steps=12, keep_steps=True, keep_flows=True)
    c = build_content(sc, res, strategies)
    text = c["glance"][0]["text"]
    d = cell(c["compare"], "strike-campaign", "protection_paid")["delta"]
    assert f"protection paid to officials USD {d}" in text, text
    assert "protection_paid" in c["time"] and c["time_labels"]["protection_paid"] == "Protection paid to officials"
    eff = series_effects(res, series=["protection_paid"], smooth=1)["protection_paid"]["strike-campaign"]
    t = res.steps()
    t = t[t.variable == "protection_paid"].groupby(["strategy", "replication", "step"])["value"].sum()
    own, base = t.loc["strike-campaign"].unstack("step"), t.loc["baseline"].unstack("step")
    np.testing.assert_allclose(eff["diff"], (own - base).to_numpy().mean(axis=0) * 1e-6, rtol=1e-12, atol=1e-12)
    # the total over the horizon is the outcome compare reports
    doc = compare_doc(res)
    assert math.isclose(own.sum(axis=1).mean(), doc["strategies"]["strike-campaign"]["protection_paid"]["mean"])

    strategies, off = small_results  # protection off: nothing paid, nothing shown
    c = build_content(caribbean, off, strategies)
    assert "protection_paid" not in c["time"] and not any("protection" in g["text"] for g in c["glance"])


def test_cost_per_kg_where_some_runs_averted_nothing_says_how_many():
    """A cost per kg averted where some runs averted nothing says in how many ("nothing averted in 8 of 10 runs",
    was "nothing averted (Δ over the 2 runs that averted something)"), keeps the median where it is defined, and
    says which runs the Δ is over; compare's cells, the report and the page share the cell."""
    from counterflow.report.tables import cell

    def doc(finite, mean, p50):
        e = {"mean": mean, "p05": None, "p50": p50, "p95": None, "diff_mean": 900.0, "diff_lo": 500.0,
             "diff_hi": 1300.0, "beats_pct": 0.0, "finite_runs": finite}
        return {"runs": 10, "baseline": "baseline",
                "strategies": {"baseline": {"cost_per_kg_averted": dict(e, finite_runs=10)}, "s": {"cost_per_kg_averted": e}}}

    c = cell(doc(2, None, None), "s", "cost_per_kg_averted")
    assert (c["value"], c["note"], c["delta"]) == ("nothing averted in 8 of 10 runs", "Δ over the other 2",
                                                   "Δ 900 [500, 1300]")
    c = cell(doc(1, None, None), "s", "cost_per_kg_averted")
    assert (c["value"], c["note"]) == ("nothing averted in 9 of 10 runs", "Δ from the other run")
    c = cell(doc(7, None, 1234.0), "s", "cost_per_kg_averted")
    assert (c["value"], c["note"]) == ("1234", "median; nothing averted in 3 of 10 runs; Δ over the other 7")
    c = cell(doc(0, None, None), "s", "cost_per_kg_averted")
    assert (c["value"], c["note"]) == ("nothing averted", None)
    c = cell(doc(10, 1500.0, 1400.0), "s", "cost_per_kg_averted")
    assert (c["value"], c["note"]) == ("1500", None)
    assert cell(doc(2, None, None), "baseline", "cost_per_kg_averted")["value"] == "n/a"
