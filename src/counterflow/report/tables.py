"""The comparison of strategies against a baseline, as data (for the CLI, the JSON and the report)."""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis import summarize
from ..outcomes import PLAIN_LABELS, SUMMARY_OUTCOMES
from ..runner import Results

__all__ = ["COMPARE_METRICS", "PLAIN_LABELS", "comparison"]

COMPARE_METRICS = list(SUMMARY_OUTCOMES)


def comparison(results: Results, metrics: Sequence[str] | None = None) -> dict:
    """Per strategy and metric: mean, 5/50/95 % quantiles, paired difference from the baseline.

    The baseline is ``results.baseline``; replications are paired by index
    (common random numbers). For ordinary metrics the difference is
    strategy minus baseline; for the metrics that are already paired
    (``flow_reduction_pct``, ``recovery_steps``, ``displacement_pct``,
    ``cost_per_kg_averted``) it is the metric itself, whose baseline value is
    0 by definition. ``diff_lo``/``diff_hi`` bound a 95 % t-interval of the
    mean difference; ``beats_pct`` is the share of replications in which the
    strategy did better than the baseline (in the outcome's direction, see
    :mod:`counterflow.outcomes`). Values that cannot be stated are ``None``.

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
    return summarize(results.table(), results.strategies, results.baseline, metrics)
