"""The budget known before any run: planned cost against the engine's, and the optimiser's repair to it."""

from __future__ import annotations

import numpy as np
import yaml

from counterflow.search.engine import _first_rng, _uniform, context, corners, run_search
from counterflow.search.evaluate import evaluate_portfolio
from counterflow.search.spec import load_search, parse_search
from counterflow.search.store import SearchStore

from .conftest import REPO
from .known_answer import KNOWN_SEARCH, synthetic

LEVERS = REPO / "examples" / "caribbean-search-levers.yaml"


def _levers_spec(**fields):
    body = yaml.safe_load(LEVERS.read_text())
    body.update(fields)
    return parse_search(body)


def test_planned_cost_is_what_the_engine_charges():
    """For portfolios of all eight levers (every schedule, strikes on k sites), the cost the runs report is
    the planned cost, in every cell; a planned cost that ignored a lever, a schedule or k would differ."""
    spec = _levers_spec(steps=20, futures=2, replications=1)
    X = np.vstack([corners(spec), _uniform(spec, _first_rng(spec), 6)])
    ctx, fut = context(spec), spec.future_values()
    seen = set()
    for i, x in enumerate(X[[1, 2, 3, 4, 5, 6, 7, 8, 9, -6, -5, -4, -3, -2, -1]]):
        levers = spec.decode(x)
        _, table, _ = evaluate_portfolio(ctx, i, spec.key(x), x, levers, fut)
        cost = table.column("cost_usd").to_numpy()
        assert np.allclose(cost, spec.planned_cost(levers)), levers
        seen |= {lv["type"] for lv in levers}
    assert len(seen) == 8  # every lever was costed at least once


def test_fit_budget_only_switches_levers_off_until_the_portfolio_fits():
    spec = load_search(LEVERS)
    rng = np.random.default_rng(3)
    X = _uniform(spec, np.random.default_rng(7), 300)
    on = np.array([g.kind == "on" for g in spec.genes])
    over = 0
    for x in X:
        y = spec.fit_budget(x, rng)
        assert spec.planned_cost(spec.decode(y)) <= spec.budget_usd
        assert np.array_equal(y[~on], x[~on])          # the other genes are kept
        assert np.all(y[on] <= x[on])                  # levers are only switched off
        if spec.planned_cost(spec.decode(x)) <= spec.budget_usd:
            assert np.array_equal(y, x)                # a portfolio within the budget is left alone
        else:
            over += 1
            assert y[on].sum() < x[on].sum()
    assert over > 50  # uniform draws over this decision space are often over the budget


def test_the_optimiser_asks_for_no_portfolio_over_the_budget(tmp_path):
    """Every portfolio the optimiser evaluates (first generation and children) fits the budget; random
    search (plain uniform draws, the benchmark's baseline) does evaluate portfolios over it."""
    text = KNOWN_SEARCH.replace("EVALS", "60").replace("SEED", "2")
    for algorithm in ("nsga2", "random"):
        spec = parse_search({**yaml.safe_load(text), "algorithm": algorithm})
        run_search(spec, tmp_path / algorithm, evaluator=synthetic, oos=False)
        stored = SearchStore(tmp_path / algorithm).read("search")
        gcols = sorted([c for c in stored.columns if c[0] == "g" and c[1:].isdigit()], key=lambda c: int(c[1:]))
        costs = [spec.planned_cost(spec.decode(g)) for g in stored.drop_duplicates("eval")[gcols].to_numpy()]
        if algorithm == "nsga2":
            assert max(costs) <= spec.budget_usd
        else:
            assert max(costs) > spec.budget_usd
