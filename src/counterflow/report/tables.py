"""The comparison of strategies against a baseline, as data (for the CLI, the JSON and the report)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..metrics import PAIRED_METRICS
from ..runner import Results, describe, paired_difference

__all__ = ["COMPARE_METRICS", "PLAIN_LABELS", "comparison"]

COMPARE_METRICS = ["delivered_kg", "seized_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct",
                   "active_nodes", "route_entropy", "civilian_harm", "hardship", "backlash", "cost_usd",
                   "cost_per_kg_averted"]

PLAIN_LABELS = {
    "delivered_kg": "Drugs reaching consumers (tonnes)",
    "seized_kg": "Seized (tonnes)",
    "flow_reduction_pct": "Less reaching consumers than with no action (%)",
    "recovery_steps": "Weeks until supply is back to 95 % of no action",
    "displacement_pct": "Flow pushed to other places (%)",
    "active_nodes": "Places in use (mean)",
    "route_entropy": "Spread of routes (entropy)",
    "civilian_harm": "Civilian casualties (expected)",
    "hardship": "Hardship (index, mean)",
    "backlash": "Backlash (0 to 1, mean)",
    "cost_usd": "Cost (USD millions)",
    "cost_per_kg_averted": "Cost per kg kept off the market (USD)",
}


def comparison(results: Results, metrics: Sequence[str] | None = None) -> dict:
    """Per strategy and metric: mean, 5/50/95 % quantiles, paired difference from the baseline.

    The baseline is ``results.baseline``; replications are paired by index
    (common random numbers). For ordinary metrics the difference is
    strategy minus baseline; for the metrics that are already paired
    (``flow_reduction_pct``, ``recovery_steps``, ``displacement_pct``,
    ``cost_per_kg_averted``) it is the metric itself, whose baseline value is
    0 by definition. ``diff_lo``/``diff_hi`` bound a 95 % t-interval of the
    mean difference; ``beats_pct`` is the share of replications in which the
    strategy did better than the baseline (lower, or higher for seizures and
    flow reduction). Values that cannot be stated are ``None``.

    Examples
    --------
    >>> from counterflow import load_scenario, resolve_strategies
    >>> from counterflow.runner import run_replications
    >>> s = load_scenario("caribbean")
    >>> res = run_replications(s, resolve_strategies(s, ["port-strike"]), runs=2, steps=8)
    >>> c = comparison(res, ["delivered_kg"])
    >>> sorted(c["port-strike"]["delivered_kg"])
    ['beats_pct', 'diff_hi', 'diff_lo', 'diff_mean', 'mean', 'p05', 'p50', 'p95']
    """
    metrics = list(metrics or COMPARE_METRICS)
    df = results.table()
    base = df[df.strategy == results.baseline].sort_values("replication").set_index("replication")
    out: dict = {}
    for name in results.strategies:
        sub = df[df.strategy == name].sort_values("replication").set_index("replication")
        common = sub.index.intersection(base.index)
        out[name] = {}
        for m in metrics:
            if m not in sub:
                continue
            vals = sub.loc[common, m].astype(float).to_numpy()
            entry = describe(sub[m].astype(float).to_numpy())
            if m in PAIRED_METRICS:
                entry.update(paired_difference(vals, np.zeros_like(vals), m))
            else:
                entry.update(paired_difference(vals, base.loc[common, m].astype(float).to_numpy(), m))
            if m == "cost_per_kg_averted" or m == "recovery_steps":
                finite = np.isfinite(vals)
                entry["finite_runs"] = int(finite.sum())
            out[name][m] = entry
    return out
