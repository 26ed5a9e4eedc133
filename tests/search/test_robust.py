"""Robustness statistics, intervals, confident dominance, PRIM and warm start: small exact cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from hypothesis.extra.numpy import arrays

from counterflow.search.engine import Evaluations, run_search
from counterflow.search.front import prim, warm_start_genes
from counterflow.search.robust import bootstrap, confident_dominance, pareto_mask, statistic
from counterflow.search.spec import search_from_text
from counterflow.search.store import SearchStore

from .known_answer import KNOWN_SEARCH, synthetic

cells = arrays(float, hst.tuples(hst.integers(1, 5), hst.integers(1, 3)),
               elements=hst.floats(-100, 100, allow_nan=False))


def test_statistics_by_hand():
    c = np.array([[1.0, 3.0], [10.0, 20.0]])
    assert statistic("mean", c) == 8.5
    assert statistic("max", c) == 20.0 and statistic("min", c) == 1.0
    assert statistic("p50", c) == 6.5
    assert statistic("satisficing", c, "max", threshold=3.0) == 0.75
    assert statistic("satisficing", c, "min", threshold=3.0) == 0.5
    # regret: future means 2 and 15 against the best 5 and 15 -> the worst shortfall is 3
    assert statistic("regret", c, "max", best=np.array([5.0, 15.0])) == 3.0
    assert statistic("regret", c, "min", best=np.array([0.0, 15.0])) == 2.0


@settings(max_examples=40, deadline=None)
@given(c=cells)
def test_regret_of_the_best_portfolio_is_zero_and_never_negative(c):
    best = np.nanmean(c, axis=1)
    assert statistic("regret", c, "max", best=best) == pytest.approx(0.0, abs=1e-9)
    assert statistic("regret", c, "max", best=best - 1.0) == 0.0
    assert statistic("regret", c, "max", best=best + 2.0) == pytest.approx(2.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(c=cells, kind=hst.sampled_from(["mean", "p10", "p90", "max"]), seed=hst.integers(0, 9))
def test_bootstrap_interval_is_seeded_and_within_the_cells(c, kind, seed):
    lo, hi = bootstrap(kind, c, seed=seed)
    assert (lo, hi) == bootstrap(kind, c, seed=seed)
    assert c.min() - 1e-9 <= lo <= hi <= c.max() + 1e-9


def test_confident_dominance_needs_95_percent_of_the_draws():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 1, 2))
    clearly_better = base - 5.0
    noisy = base + rng.normal(scale=3.0, size=(200, 1, 2))
    S = np.concatenate([base, clearly_better, noisy], axis=1)
    dom = confident_dominance(S)
    assert dom[0] and not dom[1]  # member 1 dominates member 0 in every draw
    assert pareto_mask(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])).tolist() == [True, True, False]


def test_prim_finds_the_failing_corner():
    rng = np.random.default_rng(3)
    X = rng.random((400, 2))
    y = (X[:, 0] > 0.7).astype(float)
    box = prim(X, y, ["a", "b"])
    assert box["density"] > 0.9 and box["coverage"] > 0.7
    assert "a" in box["box"] and box["box"]["a"][0] > 0.6


def test_warm_start_puts_the_old_front_in_the_first_generation(tmp_path):
    first = search_from_text(KNOWN_SEARCH.replace("EVALS", "40").replace("SEED", "1"))
    run_search(first, tmp_path / "a", evaluator=synthetic, oos=False)
    warm = warm_start_genes(tmp_path / "a", first)
    second = search_from_text(KNOWN_SEARCH.replace("EVALS", "30").replace("SEED", "2"))
    run_search(second, tmp_path / "b", evaluator=synthetic, warm=warm, oos=False)
    ev_a = Evaluations(first, first.futures, first.replications)
    ev_a.add_frame(SearchStore(tmp_path / "a").read())
    ev_b = Evaluations(second, second.futures, second.replications)
    ev_b.add_frame(SearchStore(tmp_path / "b").read())
    old_front = {ev_a.keys[i] for i in ev_a.front()}
    assert old_front == {second.key(x) for x in warm}
    first_generation = {ev_b.keys[i] for i in ev_b.ids if i < second.population}
    assert {second.key(x) for x in warm[:second.population]} <= first_generation  # a generation's worth


def test_regret_and_satisficing_searches_run_and_resume_to_the_same_front(tmp_path):
    """Regret values move as better portfolios turn up; a resumed search still replays to the same front."""
    text = KNOWN_SEARCH.replace("EVALS", "30").replace("SEED", "4").replace(
        "  - {outcome: flow_reduction_pct, direction: max, robustness: mean}",
        "  - {outcome: flow_reduction_pct, direction: max, robustness: regret}\n"
        "  - {outcome: delivered_kg, robustness: satisficing, threshold: 80000}")
    spec = search_from_text(text)
    run_search(spec, tmp_path / "full", evaluator=synthetic, oos=False)
    partial = search_from_text(text.replace("evaluations: 30", "evaluations: 13"))
    run_search(partial, tmp_path / "resumed", evaluator=synthetic, oos=False)
    # the first 13 evaluations are the same portfolios; a larger budget continues from them to the same store
    rep = run_search(spec, tmp_path / "resumed", evaluator=synthetic, oos=False)
    assert rep.replayed == 13 and rep.ran == 17
    fronts = []
    for name in ("full", "resumed"):
        ev = Evaluations(spec, spec.futures, spec.replications)
        ev.add_frame(SearchStore(tmp_path / name).read())
        fronts.append(sorted(ev.keys[i] for i in ev.front()))
    assert fronts[0] == fronts[1] and fronts[0]


def test_discovery_runs_the_portfolio_on_fresh_futures_and_prim_finds_where_it_fails(tmp_path):
    """A portfolio that breaks the harm cap exactly when learning is fast: PRIM's box, on 64 fresh futures, says so."""
    from counterflow.search.front import discover

    def fails_when_learning_fast(levers, future, f, r):
        return {**synthetic(levers, future, f, r), "civilian_harm": 100.0 if future[0] > 0.3 else 0.0}

    spec = search_from_text(KNOWN_SEARCH.replace("EVALS", "8").replace("SEED", "1"))
    run_search(spec, tmp_path / "s", evaluator=fails_when_learning_fast, oos=False)
    few = discover(tmp_path / "s", 0)
    assert few["fresh_futures"] == 0 and few["futures"] == spec.futures
    ticks: list[int] = []
    d = discover(tmp_path / "s", 0, 64, progress=ticks.append, evaluator=fails_when_learning_fast)
    assert len(ticks) == 64 and d["fresh_futures"] == 64 and d["futures"] == 64 + spec.futures
    assert "64 fresh" in d["method"] and d["reasons"] == ["civilian_harm"]
    (name, (lo, hi)), = d["box"]["box"].items()
    assert "learning_rate" in name and 0.25 < lo <= 0.35 and d["box"]["density"] == 1.0
    assert discover(tmp_path / "s", 0, 64, evaluator=fails_when_learning_fast) == d  # seeded: the same futures


def test_portfolios_equal_at_the_precision_shown_are_one_row_of_the_front(tmp_path):
    """Lethal maritime interdiction alone at 0.5 and at 0.499 are both on the front (more flow for more cost):
    the front shown to users lists them once, says the row stands for two evaluations and their numbers, and
    keeps one evaluation's own values (each within the group's ranges); the store keeps both."""
    from counterflow.search.front import front, load_evaluations, shown_key

    text = KNOWN_SEARCH.replace("EVALS", "8").replace("SEED", "1").replace(
        "intensity: {low: 0.0, high: 0.5, step: 0.1}", "intensity: {low: 0.0, high: 0.5}")
    spec = search_from_text(text)
    names = [(g.lever, g.name) for g in spec.genes]
    x = np.zeros(spec.n_var)
    x[names.index((1, "on"))] = 1
    x[names.index((1, "lethal"))] = 1  # the second option: true
    a, b = x.copy(), x.copy()
    a[names.index((1, "intensity"))] = 0.5
    b[names.index((1, "intensity"))] = 0.499
    run_search(spec, tmp_path / "s", evaluator=synthetic, warm=np.array([a, b]))
    _, _, ev, members, _ = load_evaluations(tmp_path / "s")
    pair = [i for i in members if ev.keys[i] in (spec.key(a), spec.key(b))]
    assert len(pair) == 2  # both are distinct front members in the store
    data = front(tmp_path / "s")
    rows = data["portfolios"]
    assert len({shown_key(p["levers"]) for p in rows}) == len(rows)  # no two rows read the same
    assert sum(p["merged"]["evaluations"] for p in rows) == len(members)  # every member is in one row
    row, = [p for p in rows if set(pair) <= set(p["merged"]["evals"])]
    assert row["merged"]["evaluations"] == 2 and "stands for 2 evaluations" in row["description"]
    assert row["eval"] in pair
    for k, e in row["objectives"].items():  # the row's values are one evaluation's, within the group's range
        lo, hi = row["merged"]["ranges"][k]
        assert lo <= e["value"] <= hi
        assert e["value"] == ev.objectives(row["eval"], ev.bests())[k]
    for p in rows:
        if p is not row:
            assert p["merged"]["evaluations"] == 1 and "stands for" not in p["description"]
    from typer.testing import CliRunner

    from counterflow.cli import app

    csv = tmp_path / "front.csv"
    res = CliRunner().invoke(app, ["front", str(tmp_path / "s"), "--out", str(csv)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(csv)
    line = table[table["eval"] == row["eval"]].iloc[0]
    assert sorted(int(e) for e in str(line["merged_evals"]).split()) == sorted(pair)  # the merged members listed
    for k, (lo, hi) in row["merged"]["ranges"].items():
        assert line[f"{k}_merged_min"] == pytest.approx(lo) and line[f"{k}_merged_max"] == pytest.approx(hi)


@pytest.mark.parametrize("sense", ["max", "min"])
def test_a_merged_row_keeps_the_member_best_on_the_first_objective(sense):
    """Of members that read the same, the row is the one best on the first objective, even when only a
    worse one survives out of sample (the survivors are listed); the ranges cover every member."""
    from counterflow.search.front import merge_shown

    def member(e, intensity, first, second, survives):
        return {"eval": e, "levers": [{"type": "maritime_interdiction", "intensity": intensity}],
                "description": "maritime interdiction 0.50", "survives_out_of_sample": survives,
                "objectives": {"a": {"value": first}, "b": {"value": second}}}

    best, other = (45.0, 44.0) if sense == "max" else (44.0, 45.0)
    group = [member(3, 0.499, other, 1.0, True), member(7, 0.5, best, 2.0, False),
             member(9, 0.501, None, 0.5, True), member(1, 0.3, 10.0, 0.0, True)]
    rows = merge_shown(group, ["a", "b"], sense)
    assert [r["eval"] for r in rows] == [7, 1]
    row = rows[0]
    assert row["objectives"]["a"]["value"] == best and row["merged"]["evals"] == [3, 7, 9]
    assert row["merged"]["ranges"] == {"a": [44.0, 45.0], "b": [0.5, 2.0]}
    assert row["merged"]["surviving"] == [3, 9] and "also #3, #9" in row["description"]
