"""The comparison of strategies against a baseline, as data (for the CLI, the JSON and the report)."""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis import summarize
from ..outcomes import LABELS, OUTCOMES, PLAIN_LABELS, SUMMARY_OUTCOMES
from ..runner import Results
from .words import NEVER, NOTHING_AVERTED, delta, fmt, recovery_words

__all__ = ["COMPARE_METRICS", "PLAIN_LABELS", "BEATS", "share_better", "comparison", "comparison_doc", "cell", "label",
           "table_rows"]

# metrics where "better than the baseline in N % of runs" says something: every outcome whose direction is a
# verdict (``judged``, so a clear difference is coloured good or bad) with one value per run, and the flow reduction
# (paired, but one value per run too); not costs, not cost per kg averted. From the registry, so a new outcome
# (protection paid) gets the share with its colour
BEATS = tuple(o.name for o in OUTCOMES.values()
              if o.judged and not o.categories and (not o.paired or o.name == "flow_reduction_pct"))

COMPARE_METRICS = list(SUMMARY_OUTCOMES)


def share_better(e: dict, metric: str) -> float | None:
    """The share of paired runs (%) in which the strategy did better, where a table states it: the outcomes of
    :data:`BEATS`, and not when every paired difference is exactly 0 (no run better, none worse: "better in 0%"
    would read as worse in every run). ``e`` is one strategy's entry for ``metric`` in ``compare --json``."""
    pct = e.get("beats_pct")
    if pct is None or metric not in BEATS:
        return None
    if e.get("diff_mean") == 0 and e.get("diff_lo") == 0 and e.get("diff_hi") == 0:
        return None
    return float(pct)


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


def comparison_doc(scenario: str, baseline: str, runs: int, seed: int, steps: int | None,
                   metrics: Sequence[str], strategies: dict[str, dict[str, dict]]) -> dict:
    """The JSON document of ``counterflow compare --json`` (and ``Comparison.to_dict``).

    ``strategies`` is what :func:`comparison` returns; each metric's unit comes from the outcomes registry.
    """
    return {"scenario": scenario, "strategies": strategies, "runs": runs, "seed": seed, "steps": steps,
            "baseline": baseline, "metrics": list(metrics),
            "units": {m: OUTCOMES[m].unit if m in OUTCOMES else "" for m in metrics}}


def label(metric: str, step: str = "week") -> str:
    """The one label of a metric (the outcomes registry's), used by ``compare``, the report and the page."""
    text = LABELS.get(metric, metric)
    return text.replace("Steps to", f"{step.capitalize()}s to").replace("per step", f"per {step}")


def cell(doc: dict, name: str, metric: str, step: str = "week") -> dict:
    """One cell of the comparison, as text: ``value`` (the mean), ``note``, ``delta`` and ``better``.

    ``doc`` is ``compare --json``'s document. The value is the mean over
    runs; where some runs have no finite value (a recovery that never came,
    a cost per kg with nothing averted) it is the median and ``note`` says
    so (``median; nothing averted in 3 of 10 runs``); where no value can be
    stated it reads ``never``, ``nothing averted in 8 of 10 runs`` (the note:
    ``Δ over the other 2``) or ``nothing averted`` (in every run). ``delta`` is the paired difference ``Δ mean [lo, hi]``, its
    interval written by :func:`counterflow.report.words.ci` (``(no spread
    across runs)`` when every run gave the same difference, ``(no interval)``
    when a single run stands behind it);
    ``better`` is "better in N%" for the metrics where that is meaningful (:func:`share_better`).
    ``cls`` is ``good``/``bad`` when the 95 % interval excludes 0 and the
    outcome's direction is a verdict (:mod:`counterflow.outcomes`); never for the cost per kg averted.
    Recovery is written as how the runs recovered (``18 of 20 recover, median
    52 weeks; 2 never``, :func:`counterflow.report.words.recovery_words`, in
    ``step``s): a mean or a difference of steps would mix the runs the
    strategy did not affect (0 steps) with the runs that recovered. The
    baseline's cell reads ``n/a`` (it recovers from nothing), and so does its cost per kg averted.
    """
    e = doc["strategies"].get(name, {}).get(metric)
    out = {"value": "", "note": None, "delta": None, "better": None, "cls": ""}
    if e is None:
        return out
    if metric == "recovery_steps" and e.get("recovery"):
        out["value"] = "n/a" if name == doc["baseline"] else recovery_words(e["recovery"], step)
        return out
    if metric == "cost_per_kg_averted" and name == doc["baseline"]:
        out["value"] = "n/a"  # the baseline averts nothing against itself (0 by definition): n/a, as `run` says
        return out
    missing = NEVER if metric == "recovery_steps" else NOTHING_AVERTED if metric == "cost_per_kg_averted" else "-"
    finite = e.get("finite_runs")
    n_runs = e.get("n") or doc["runs"]
    # some runs averted nothing: how many, said once ("nothing averted in 8 of 10 runs"), the number where defined
    some_averted_nothing = (metric == "cost_per_kg_averted" and finite is not None and 0 < finite < n_runs
                            and name != doc["baseline"])
    if e["mean"] is not None:
        out["value"] = fmt(e["mean"])
    elif e["p50"] is not None:
        out["value"] = fmt(e["p50"])
        out["note"] = ("median; some runs never recovered" if metric == "recovery_steps"
                       else f"median; {NOTHING_AVERTED} in {n_runs - finite} of {n_runs} runs"
                       if some_averted_nothing else "median")
    elif some_averted_nothing:
        out["value"] = f"{NOTHING_AVERTED} in {n_runs - finite} of {n_runs} runs"
    else:
        out["value"] = missing
    if finite is not None and 0 < finite < doc["runs"] and name != doc["baseline"]:
        if some_averted_nothing:
            which = "Δ from the other run" if finite == 1 else f"Δ over the other {finite}"
        else:
            which = "Δ from the one run that recovered" if finite == 1 else f"Δ over the {finite} runs that recovered"
        out["note"] = (out["note"] + "; " if out["note"] else "") + which
    if name != doc["baseline"] and e.get("diff_mean") is not None:
        n = finite if finite is not None else doc["runs"]  # the paired runs behind the interval
        out["delta"] = delta(e["diff_mean"], e["diff_lo"], e["diff_hi"], n)
        share = share_better(e, metric)
        if share is not None:
            out["better"] = f"better in {share:.0f}%"
        lo, hi = e["diff_lo"], e["diff_hi"]
        o = OUTCOMES.get(metric)
        # cost per kg averted is no difference from no action (which averts nothing and has no such cost): its
        # interval excludes 0 whenever anything was averted at a cost, so a colour would call every strategy worse
        verdict = o is not None and o.judged and metric != "cost_per_kg_averted"
        if o is not None and verdict and lo is not None and hi is not None and (lo > 0 or hi < 0):
            out["cls"] = "good" if (lo > 0) == o.higher_is_better else "bad"
    return out


def table_rows(doc: dict, metrics: Sequence[str], step: str = "week") -> list[dict]:
    """The comparison as rows of text: one per metric, a cell per strategy (``compare``, the page, the report)."""
    names = list(doc["strategies"])
    return [{"metric": m, "label": label(m, step), "cells": {n: cell(doc, n, m, step) for n in names}}
            for m in metrics]
