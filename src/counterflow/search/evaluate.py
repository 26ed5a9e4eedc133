"""Evaluating one portfolio on every future and replication (run in worker processes).

Every portfolio runs on the same sampled futures with the same replication
seeds (common random numbers): replication ``r`` of future ``f`` uses
``SeedSequence(seed, spawn_key=(f, r))`` in the search and
``SeedSequence(seed, spawn_key=(0x005, f, r))`` in the out-of-sample check,
whatever the portfolio, the worker or the order. Each worker process parses
a future's scenario once (the scenario with the future's values applied)
and keeps it, and runs the baseline (no action) run of each cell, needed for
the paired outcomes (flow reduction), once and keeps it; a portfolio then
costs its own runs (:func:`counterflow.runner.run_replication`) and little else.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..errors import raise_if_interrupted

__all__ = ["EvalContext", "evaluate_portfolio", "cell_seed", "OUTCOME_COLUMNS"]

_BASELINES: dict[tuple, object] = {}
_SCENARIOS: dict[tuple, object] = {}


def _outcome_columns() -> tuple[str, ...]:
    from ..outcomes import PAIRED_OUTCOMES, RUN_OUTCOMES

    return tuple(RUN_OUTCOMES) + tuple(PAIRED_OUTCOMES)


OUTCOME_COLUMNS = _outcome_columns()


@dataclass(frozen=True)
class EvalContext:
    """What a worker needs to evaluate portfolios: plain data, cheap to send."""

    identity: str
    scenario_doc: dict
    uncertainties: tuple
    replications: int
    seed: int
    steps: int
    actor: str | None
    stage: str = "search"  # 'search' or 'oos'

    def seed_sequence(self, future: int, replication: int) -> np.random.SeedSequence:
        return cell_seed(self.seed, self.stage, future, replication)


def cell_seed(seed: int, stage: str, future: int, replication: int) -> np.random.SeedSequence:
    """The seed of a (future, replication) cell, shared by every portfolio."""
    key = ((future, replication) if stage == "search" else (0x005, future, replication) if stage == "oos"
           else (0xD15C, future, replication))  # 'discover': scenario discovery's fresh futures
    return np.random.SeedSequence(seed, spawn_key=key)


def _future_scenario(ctx: EvalContext, future: int, values: np.ndarray):
    """The scenario of one future (the future's values applied), parsed once per worker process."""
    from ..experiments.paths import apply_values
    from ..scenario import Scenario

    key = (ctx.identity, ctx.stage, future)
    scenario = _SCENARIOS.get(key)
    if scenario is None:
        if len(_SCENARIOS) > 256:
            _SCENARIOS.clear()
        scenario = Scenario.from_dict(apply_values(ctx.scenario_doc, ctx.uncertainties, values))
        # the network does not depend on the scenario's own strategies (one compile per future)
        scenario = _SCENARIOS[key] = dataclasses.replace(scenario, strategies={})
    return scenario


def _baseline(ctx: EvalContext, scenario, future: int, replication: int):
    """The no-action run of a cell (run once per worker process and kept)."""
    from ..runner import run_replication
    from ..strategy import BASELINE

    key = (ctx.identity, ctx.stage, future, replication)
    rec = _BASELINES.get(key)
    if rec is None:
        if len(_BASELINES) > 4096:
            _BASELINES.clear()
        rec, = run_replication(scenario, [BASELINE], replication, ctx.seed, ctx.steps,
                               seed_sequence=ctx.seed_sequence(future, replication))
        _BASELINES[key] = rec
    return rec


def evaluate_portfolio(ctx: EvalContext, eval_id: int, key: str, genes: np.ndarray, levers: list[dict],
                       futures: np.ndarray, evaluator=None,
                       progress: Callable[[int], None] | None = None) -> tuple[int, pa.Table, float]:
    """Run one portfolio on every (future, replication) cell; return its rows and the simulation seconds.

    The simulation seconds are the time spent in the runs and their outcomes (the
    portfolio's runs, any baseline run this call needed, and the paired outcomes against
    the baseline); everything else is the search's machinery.
    ``evaluator``, when given, replaces the simulation: a function
    ``(levers, future_values, future, replication) -> {outcome: value}``
    (used by the known-answer tests). ``progress(1)`` is called after each future.
    """
    from ..metrics import pair
    from ..runner import run_replication
    from ..strategy import parse_strategy

    rows = []
    strategy = None
    sim = 0.0
    for f, vals in enumerate(np.asarray(futures, dtype=float)):
        base = {"eval": eval_id, "key": key, "future": f, "stage": ctx.stage}
        if evaluator is not None:
            for r in range(ctx.replications):
                try:
                    out = evaluator(levers, vals, f, r)
                    rows.append({**base, "replication": r, "status": "ok", "error": None, **out})
                except Exception as exc:  # noqa: BLE001 - recorded
                    raise_if_interrupted(exc)
                    rows.append({**base, "replication": r, "status": "error", "error": f"{type(exc).__name__}: {exc}"})
            if progress:
                progress(1)
            continue
        try:
            scenario = _future_scenario(ctx, f, vals)
            if strategy is None and levers:
                body = {"name": f"portfolio-{eval_id}", "levers": levers}
                if ctx.actor:
                    body["actor"] = ctx.actor
                strategy = parse_strategy(body, scenario=scenario)
        except Exception as exc:  # noqa: BLE001 - recorded, not raised
            raise_if_interrupted(exc)
            err = f"{type(exc).__name__}: {exc}"
            rows += [{**base, "replication": r, "status": "error", "error": err} for r in range(ctx.replications)]
            continue
        for r in range(ctx.replications):
            try:
                t0 = time.perf_counter()
                brec = _baseline(ctx, scenario, f, r)
                rec = brec if strategy is None else run_replication(
                    scenario, [strategy], r, ctx.seed, ctx.steps, seed_sequence=ctx.seed_sequence(f, r))[0]
                paired = pair(rec, brec)
                sim += time.perf_counter() - t0
                rows.append({**base, "replication": r, "status": "ok", "error": None, **rec.metrics, **paired})
            except Exception as exc:  # noqa: BLE001 - recorded, not raised
                raise_if_interrupted(exc)
                rows.append({**base, "replication": r, "status": "error",
                             "error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"})
        if progress:
            progress(1)
    return eval_id, rows_table(rows, genes), sim


def rows_table(rows: list[dict], genes: np.ndarray) -> pa.Table:
    """The stored form: one row per (future, replication), the genes repeated on each row."""
    n = len(rows)

    def col(name, typ):
        return pa.array([r.get(name) for r in rows], type=typ)

    cols = {"eval": col("eval", pa.int64()), "key": col("key", pa.string()), "stage": col("stage", pa.string()),
            "future": col("future", pa.int64()), "replication": col("replication", pa.int64()),
            "status": col("status", pa.string()), "error": col("error", pa.string())}
    for j, v in enumerate(np.asarray(genes, dtype=float)):
        cols[f"g{j}"] = pa.array(np.full(n, v))
    # every outcome at once: missing ones (a failed cell) are NaN
    nan = float("nan")
    values = np.array([[nan if (v := r.get(o)) is None else v for o in OUTCOME_COLUMNS] for r in rows],
                      dtype=float).reshape(n, len(OUTCOME_COLUMNS))
    for k, o in enumerate(OUTCOME_COLUMNS):
        cols[o] = pa.array(values[:, k])
    return pa.table(cols)
