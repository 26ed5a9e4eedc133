"""One way to summarise runs: quantiles per strategy and paired differences from the baseline.

:func:`summarize` takes a table with one row per run — the in-memory
``Results.table()`` or the runs of a sweep store — and returns, per strategy and
outcome, the mean and 5/50/95 % quantiles and the mean paired difference from the
baseline with its 95 % t-interval and the share of pairs in which the strategy did
better. Runs are paired on ``pair_on`` (the replication; in a sweep also the
sample), so each difference compares runs that shared their seed and parameters.

How a difference is taken comes from :mod:`counterflow.outcomes`: strategy minus
baseline for per-run outcomes; the value itself for paired outcomes, whose baseline
value is 0 by definition. "Better" follows the outcome's direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .outcomes import OUTCOMES, better

__all__ = ["describe", "mean_interval", "paired_difference", "recovery_counts", "summarize"]


def _clean(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def describe(vals: np.ndarray) -> dict:
    """Mean and 5/50/95 % quantiles; NaN (e.g. never recovered) counts as +infinity for quantiles."""
    v = np.where(np.isnan(vals), np.inf, vals)
    if v.size == 0:
        return {"mean": None, "p05": None, "p50": None, "p95": None}
    q = np.quantile(v, [0.05, 0.5, 0.95], method="linear") if np.isfinite(v).all() else \
        np.quantile(v, [0.05, 0.5, 0.95], method="inverted_cdf")
    return {"mean": _clean(float(np.mean(v))), "p05": _clean(q[0]), "p50": _clean(q[1]), "p95": _clean(q[2])}


def mean_interval(d: np.ndarray) -> tuple[float, float, float]:
    """Mean of the finite values of ``d`` and the bounds of its 95 % t-interval.

    With one value, or when every value is equal, the interval is the mean itself;
    with no finite value all three are NaN.
    """
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(d.mean())
    if d.size > 1 and d.std(ddof=1) > 0:
        # the t quantile that scipy.stats.t.ppf computes (the same numbers), without loading scipy.stats
        from scipy.special import stdtrit

        half = float(stdtrit(d.size - 1, 0.975) * d.std(ddof=1) / math.sqrt(d.size))
    else:
        half = 0.0
    return mean, mean - half, mean + half


def paired_difference(vals: np.ndarray, base: np.ndarray, metric: str) -> dict:
    """Mean paired difference (strategy - baseline) with a 95 % t-interval, and the share that beat the baseline.

    Pairs whose difference is not finite (never recovered, nothing averted) are left out.
    """
    d = np.asarray(vals, dtype=float) - np.asarray(base, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return {"diff_mean": None, "diff_lo": None, "diff_hi": None, "beats_pct": None}
    mean, lo, hi = mean_interval(d)
    return {"diff_mean": mean, "diff_lo": lo, "diff_hi": hi, "beats_pct": float(100.0 * better(metric, d).mean())}


def recovery_counts(steps: np.ndarray) -> dict:
    """How runs recovered, from their ``recovery_steps`` (:func:`counterflow.metrics.recovery`: 0 when the
    strategy never moved deliveries out of the band, ``None``/NaN when they never came back, the steps
    otherwise): the number of runs ``recovered``, ``never`` and ``no_effect``, and ``median_steps`` of the
    runs that recovered (``None`` when none did)."""
    v = np.asarray(steps, dtype=float)
    back = np.isfinite(v) & (v > 0)
    return {"recovered": int(back.sum()), "never": int((~np.isfinite(v)).sum()), "no_effect": int((v == 0).sum()),
            "median_steps": float(np.median(v[back])) if back.any() else None}


def summarize(runs: pd.DataFrame, strategies: Sequence[str], baseline: str, outcomes: Sequence[str], *,
              pair_on: Sequence[str] = ("replication",), count: bool = False) -> dict:
    """Per strategy and outcome: :func:`describe` plus :func:`paired_difference` against ``baseline``.

    ``runs`` has a ``strategy`` column, the ``pair_on`` columns and one column per
    outcome. The baseline's own differences are against itself (0 for per-run
    outcomes; the value for paired ones). With ``count`` each entry also
    has ``n``, the number of runs. Outcomes that may be non-finite (recovery,
    cost per kg averted) also get ``finite_runs``; recovery also gets ``recovery``, how many runs recovered,
    never did or were not affected (:func:`recovery_counts`). Categorical outcomes (``recovery_status``) get
    ``shares``: the percentage of runs per value.
    """
    keys = list(pair_on)
    base = runs[runs.strategy == baseline].set_index(keys)
    out: dict = {}
    for name in strategies:
        sub = runs[runs.strategy == name].set_index(keys).sort_index()
        common = sub.index.intersection(base.index)
        per: dict = {}
        for m in outcomes:
            if m not in sub:
                continue
            o = OUTCOMES.get(m)
            if o is not None and o.categories:
                col = sub[m]
                per[m] = ({"n": int(col.size)} if count else {}) | {
                    "shares": {c: float(100.0 * (col == c).mean()) if col.size else None for c in o.categories}}
                continue
            vals = sub[m].astype(float).to_numpy()
            entry = ({"n": int(vals.size)} if count else {}) | describe(vals)
            v = sub.loc[common, m].astype(float).to_numpy()
            if o is not None and o.paired:
                entry.update(paired_difference(v, np.zeros_like(v), m))
            elif m in base:
                entry.update(paired_difference(v, base.loc[common, m].astype(float).to_numpy(), m))
            if o is not None and o.infinite_when:
                entry["finite_runs"] = int(np.isfinite(vals).sum())
            if m == "recovery_steps":
                entry["recovery"] = recovery_counts(vals)
            per[m] = entry
        out[name] = per
    return out
