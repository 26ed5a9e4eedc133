"""The optimiser against brute force: a discrete decision space whose Pareto front is known exhaustively."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from counterflow.search.engine import Evaluations, context, run_search
from counterflow.search.evaluate import evaluate_portfolio
from counterflow.search.spec import search_from_text
from counterflow.search.store import SearchStore

from .known_answer import KNOWN_SEARCH, all_portfolios, synthetic


def _spec(evals: int, seed: int, **subs):
    text = KNOWN_SEARCH.replace("EVALS", str(evals)).replace("SEED", str(seed))
    for a, b in subs.items():
        text = text.replace(a, b)
    return search_from_text(text)


def _exhaustive(spec) -> tuple[int, set[str]]:
    allp = all_portfolios(spec)
    ctx, fut = context(spec), spec.future_values()
    ev = Evaluations(spec, spec.futures, spec.replications)
    ev.add_frame(pd.concat([evaluate_portfolio(ctx, i, k, x, spec.decode(x), fut, synthetic)[1].to_pandas()
                            for i, (k, x) in enumerate(allp.items())]))
    return len(allp), {ev.keys[i] for i in ev.front()}


def _found(spec, store) -> tuple[Evaluations, set[str]]:
    ev = Evaluations(spec, spec.futures, spec.replications)
    ev.add_frame(SearchStore(store).read())
    return ev, {ev.keys[i] for i in ev.front()}


@pytest.mark.slow
def test_search_recovers_the_exhaustive_front_with_30pct_of_the_points(tmp_path):
    """NSGA-II finds every Pareto-optimal portfolio of an 825-point space, evaluating at most 30 % of it, on 5 seeds."""
    n, true = _exhaustive(_spec(10, 1))
    assert n >= 500 and 5 <= len(true) < n / 10
    budget = int(0.3 * n)
    for seed in range(1, 6):
        spec = _spec(budget, seed)
        rep = run_search(spec, tmp_path / f"s{seed}", evaluator=synthetic, oos=False)
        assert rep.evaluations <= budget
        _, found = _found(spec, tmp_path / f"s{seed}")
        assert found == true, f"seed {seed}: missed {len(true - found)}, spurious {len(found - true)}"


@settings(max_examples=6, deadline=None)
@given(budget=hst.sampled_from([2.0e7, 4.0e7, 6.0e7, 1.0e8]), harm=hst.sampled_from([5.0, 20.0, 40.0]),
       seed=hst.integers(0, 50), algorithm=hst.sampled_from(["nsga2", "random"]))
def test_reported_portfolios_never_break_budget_or_constraints(tmp_path_factory, budget, harm, seed, algorithm):
    """Every portfolio on the front costs at most the budget in every cell and meets every constraint."""
    spec = _spec(24, seed, **{"budget_usd: 6.0e7": f"budget_usd: {budget}",
                              "max: 40, robustness: p90": f"max: {harm}, robustness: p90",
                              "seed: ": f"algorithm: {algorithm}\nseed: "})
    store = tmp_path_factory.mktemp("s")
    run_search(spec, store, evaluator=synthetic, oos=False)
    ev, _ = _found(spec, store)
    for eid in ev.front():
        assert np.nanmax(ev.cells[eid]["cost_usd"]) <= budget
        assert np.quantile(ev.cells[eid]["civilian_harm"], 0.9) <= harm + 1e-9


def test_a_finished_evaluation_is_written_while_the_next_one_runs(tmp_path):
    """The store writer hands a finished evaluation over after its wait even when no other evaluation
    finishes (a long next evaluation, or a kill before it ends, must not keep it unwritten)."""
    import time

    from counterflow.search.engine import StoreWriter

    spec = _spec(10, 1)
    st = SearchStore.create(tmp_path / "s", spec)
    ctx, fut = context(spec), spec.future_values()
    (key, genes), = list(all_portfolios(spec).items())[:1]
    table = evaluate_portfolio(ctx, 0, key, genes, spec.decode(genes), fut, synthetic)[1]
    w = StoreWriter(st, ctx.stage, flush_seconds=0.2)
    try:
        w.add(0, table)
        deadline = time.monotonic() + 20
        while 0 not in SearchStore(tmp_path / "s").done() and time.monotonic() < deadline:
            time.sleep(0.05)  # no add(), no flush(): only the writer's own timer can write it
        assert 0 in SearchStore(tmp_path / "s").done()
    finally:
        w.close()
    assert SearchStore(tmp_path / "s").key_counts()["n"].eq(1).all()


def test_a_store_of_another_first_generation_recipe_is_refused_with_the_reason(tmp_path, monkeypatch):
    """A store made when the first generation was drawn another way replays other portfolios: resuming
    it is refused, and the message says why (not 'the store was not written by this search')."""
    from counterflow.errors import InputError
    from counterflow.search import spec as spec_mod
    from counterflow.search import store as store_mod

    monkeypatch.setattr(spec_mod, "FIRST_GENERATION", 1)
    monkeypatch.setattr(store_mod, "FIRST_GENERATION", 1)
    run_search(_spec(10, 1), tmp_path / "s", evaluator=synthetic, oos=False)
    monkeypatch.undo()
    with pytest.raises(InputError, match="no corners"):
        run_search(_spec(12, 1), tmp_path / "s", evaluator=synthetic, oos=False)
    assert run_search(_spec(10, 2), tmp_path / "t", evaluator=synthetic, oos=False).evaluations == 10


def test_ctrl_c_inside_a_kernel_stops_the_evaluation_and_is_never_a_failed_row():
    """An evaluation whose run raises an error chained to a KeyboardInterrupt (Ctrl-C inside a compiled kernel)
    raises KeyboardInterrupt, never records the cell as failed; any other error is still a recorded row."""
    spec = _spec(4, 0)
    ctx, fut = context(spec), spec.future_values()
    x = next(iter(all_portfolios(spec).values()))

    def interrupted(*args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function move_all>) returned a result with an exception set") from None

    def failing(*args):
        raise SystemError("a real failure")

    with pytest.raises(KeyboardInterrupt):
        evaluate_portfolio(ctx, 0, "k", x, spec.decode(x), fut, interrupted)
    rows = evaluate_portfolio(ctx, 0, "k", x, spec.decode(x), fut, failing)[1].to_pandas()
    assert len(rows) > 0 and set(rows["status"]) == {"error"}
