"""The comparison of strategies against a baseline, as data (for the CLI, the JSON and the report)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..metrics import METRIC_LABELS, PAIRED_METRICS
from ..runner import Results, describe, paired_difference
from .words import NEVER, NOTHING_AVERTED, delta, fmt

__all__ = ["COMPARE_METRICS", "PLAIN_LABELS", "BEATS", "comparison", "cell", "label", "table_rows"]

# metrics where "better than the baseline in N % of runs" says something (not costs, not already-paired ones)
BEATS = ("delivered_kg", "seized_kg", "flow_reduction_pct", "civilian_harm", "hardship", "backlash")

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


def label(metric: str, step: str = "week") -> str:
    """The one label of a metric, used by ``compare``, the report and the page."""
    text = METRIC_LABELS.get(metric, metric)
    return text.replace("Steps to", f"{step.capitalize()}s to").replace("per step", f"per {step}")


def cell(doc: dict, name: str, metric: str) -> dict:
    """One cell of the comparison, as text: ``value`` (the mean), ``note``, ``delta`` and ``better``.

    ``doc`` is ``compare --json``'s document. The value is the mean over
    runs; where some runs have no finite value (a recovery that never came,
    a cost per kg with nothing averted) it is the median and ``note`` says
    so; where no value can be stated it reads ``never`` or ``nothing
    averted``. ``delta`` is the paired difference ``Δ mean [lo, hi]``;
    ``better`` is "better in N%" for the metrics where that is meaningful.
    ``cls`` is ``good``/``bad`` when the 95 % interval excludes 0.
    """
    e = doc["strategies"].get(name, {}).get(metric)
    out = {"value": "", "note": None, "delta": None, "better": None, "cls": ""}
    if e is None:
        return out
    missing = NEVER if metric == "recovery_steps" else NOTHING_AVERTED if metric == "cost_per_kg_averted" else "-"
    if e["mean"] is not None:
        out["value"] = fmt(e["mean"])
    elif e["p50"] is not None:
        out["value"] = fmt(e["p50"])
        out["note"] = ("median; some runs never recovered" if metric == "recovery_steps"
                       else "median; some runs averted nothing" if metric == "cost_per_kg_averted" else "median")
    else:
        out["value"] = missing
    finite = e.get("finite_runs")
    if finite is not None and 0 < finite < doc["runs"] and name != doc["baseline"]:
        which = "recovered" if metric == "recovery_steps" else "averted something"
        out["note"] = (out["note"] + "; " if out["note"] else "") + f"Δ over the {finite} runs that {which}"
    if name != doc["baseline"] and e.get("diff_mean") is not None:
        out["delta"] = delta(e["diff_mean"], e["diff_lo"], e["diff_hi"])
        if e.get("beats_pct") is not None and metric in BEATS:
            out["better"] = f"better in {e['beats_pct']:.0f}%"
        lo, hi = e["diff_lo"], e["diff_hi"]
        if lo is not None and hi is not None and (lo > 0 or hi < 0) and metric in BEATS:
            higher_better = metric in ("seized_kg", "flow_reduction_pct")
            out["cls"] = "good" if (lo > 0) == higher_better else "bad"
    return out


def table_rows(doc: dict, metrics: Sequence[str], step: str = "week") -> list[dict]:
    """The comparison as rows of text: one per metric, a cell per strategy (the page and the report)."""
    names = list(doc["strategies"])
    return [{"metric": m, "label": label(m, step), "cells": {n: cell(doc, n, m) for n in names}}
            for m in metrics]
