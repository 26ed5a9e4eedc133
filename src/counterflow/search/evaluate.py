"""Evaluating one portfolio on every future and replication (run in worker processes).

Every portfolio runs on the same sampled futures with the same replication
seeds (common random numbers): replication ``r`` of future ``f`` uses
``SeedSequence(seed, spawn_key=(f, r))`` in the search and
``SeedSequence(seed, spawn_key=(0x005, f, r))`` in the out-of-sample check,
whatever the portfolio, the worker or the order. The baseline (no action)
run of each cell, needed for the paired outcomes (flow reduction), is run
once per worker process and kept.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

__all__ = ["EvalContext", "evaluate_portfolio", "cell_seed", "OUTCOME_COLUMNS"]

_BASELINES: dict[tuple, object] = {}


def _outcome_columns() -> tuple[str, ...]:
    from ..metrics import METRICS, PAIRED_METRICS

    return tuple(METRICS) + tuple(PAIRED_METRICS)


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
    key = (future, replication) if stage == "search" else (0x005, future, replication)
    return np.random.SeedSequence(seed, spawn_key=key)


def _record(net, scenario, strategy, ss, steps):
    from ..engine import Engine
    from ..metrics import run_record

    p = scenario.parameters
    traj = Engine(net, strategy, np.random.default_rng(ss), record_flows=False).run(steps)
    return run_record(traj, 0, 0, source_mask=net.kind_mask("source"), reference_price=net.market_price,
                      recovery_window=p.recovery_window, recovery_band=p.recovery_band)


def evaluate_portfolio(ctx: EvalContext, eval_id: int, key: str, genes: np.ndarray, levers: list[dict],
                       futures: np.ndarray, evaluator=None) -> tuple[int, pa.Table]:
    """Run one portfolio on every (future, replication) cell; return its rows.

    ``evaluator``, when given, replaces the simulation: a function
    ``(levers, future_values, future, replication) -> {outcome: value}``
    (used by the known-answer tests).
    """
    from ..experiments.paths import apply_values
    from ..metrics import pair
    from ..runner import network_for
    from ..scenario import Scenario
    from ..strategy import BASELINE, parse_strategy

    rows = []
    strategy = None
    for f, vals in enumerate(np.asarray(futures, dtype=float)):
        base = {"eval": eval_id, "key": key, "future": f, "stage": ctx.stage}
        if evaluator is not None:
            for r in range(ctx.replications):
                try:
                    out = evaluator(levers, vals, f, r)
                    rows.append({**base, "replication": r, "status": "ok", "error": None, **out})
                except Exception as exc:  # noqa: BLE001 - recorded
                    rows.append({**base, "replication": r, "status": "error", "error": f"{type(exc).__name__}: {exc}"})
            continue
        try:
            scenario = Scenario.from_dict(apply_values(ctx.scenario_doc, ctx.uncertainties, vals))
            net = network_for(dataclasses.replace(scenario, strategies={}))
            if strategy is None:
                body = {"name": f"portfolio-{eval_id}", "levers": levers}
                if ctx.actor:
                    body["actor"] = ctx.actor
                strategy = parse_strategy(body, scenario=scenario)
        except Exception as exc:  # noqa: BLE001 - recorded, not raised
            err = f"{type(exc).__name__}: {exc}"
            rows += [{**base, "replication": r, "status": "error", "error": err} for r in range(ctx.replications)]
            continue
        for r in range(ctx.replications):
            try:
                bkey = (ctx.identity, ctx.stage, f, r)
                brec = _BASELINES.get(bkey)
                if brec is None:
                    if len(_BASELINES) > 4096:
                        _BASELINES.clear()
                    brec = _BASELINES[bkey] = _record(net, scenario, BASELINE, ctx.seed_sequence(f, r), ctx.steps)
                rec = brec if not levers else _record(net, scenario, strategy, ctx.seed_sequence(f, r), ctx.steps)
                rows.append({**base, "replication": r, "status": "ok", "error": None, **rec.metrics,
                             **pair(rec, brec)})
            except Exception as exc:  # noqa: BLE001 - recorded, not raised
                rows.append({**base, "replication": r, "status": "error",
                             "error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"})
    return eval_id, rows_table(rows, genes)


def rows_table(rows: list[dict], genes: np.ndarray) -> pa.Table:
    """The stored form: one row per (future, replication), the genes repeated on each row."""
    def col(name, typ):
        vals = [r.get(name) for r in rows]
        if pa.types.is_floating(typ):
            vals = [np.nan if v is None else float(v) for v in vals]
        return pa.array(vals, type=typ)

    cols = {"eval": col("eval", pa.int64()), "key": col("key", pa.string()), "stage": col("stage", pa.string()),
            "future": col("future", pa.int64()), "replication": col("replication", pa.int64()),
            "status": col("status", pa.string()), "error": col("error", pa.string())}
    g = np.asarray(genes, dtype=float)
    for j, v in enumerate(g):
        cols[f"g{j}"] = pa.array(np.full(len(rows), v), type=pa.float64())
    for o in OUTCOME_COLUMNS:
        cols[o] = col(o, pa.float64())
    return pa.table(cols)
