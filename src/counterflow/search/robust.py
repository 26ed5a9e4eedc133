"""Robustness statistics over the (future, replication) cells, their bootstrap intervals, and dominance.

A portfolio's outcome is a matrix of cells ``[futures, replications]``; every
portfolio has the same cells (common random numbers). The statistics:

- ``mean``: mean over all cells;
- ``pXX``: the XX-th percentile of the cells (e.g. ``p90`` of harm: the harm
  exceeded in one cell in ten);
- ``max`` / ``min``: the worst or best cell (a portfolio's cost is its ``max``);
- ``regret``: in each future, how far the portfolio's mean over replications
  falls short of the best portfolio evaluated so far in that future; the
  statistic is the largest such shortfall over futures (minimax regret, lower
  is better);
- ``satisficing``: the share of cells that meet the objective's threshold
  (``>= threshold`` when more is better, ``<=`` otherwise; higher is better).

Intervals are a seeded bootstrap over the cells (``B`` resamples of the
futures x replications cells with replacement), 2.5 % and 97.5 % quantiles.
"""

from __future__ import annotations

import numpy as np

__all__ = ["statistic", "bootstrap", "future_means", "dominates", "pareto_mask", "confident_dominance",
           "BOOT"]

BOOT = 200


def future_means(cells: np.ndarray) -> np.ndarray:
    """Mean over replications in each future, ``[futures]`` (NaN cells ignored)."""
    with np.errstate(all="ignore"):
        return np.nanmean(np.asarray(cells, dtype=float), axis=1)


def _stat_flat(kind: str, v: np.ndarray, fut: np.ndarray, direction: str, threshold: float | None,
               best: np.ndarray | None, n_fut: int) -> float:
    if v.size == 0:
        return float("nan")
    if kind == "mean":
        return float(np.mean(v))
    if kind == "max":
        return float(np.max(v))
    if kind == "min":
        return float(np.min(v))
    if kind.startswith("p"):
        return float(np.quantile(v, float(kind[1:]) / 100.0))
    if kind == "satisficing":
        ok = v >= threshold if direction == "max" else v <= threshold
        return float(np.mean(ok))
    if kind == "regret":
        if best is None:
            raise ValueError("regret needs the best portfolio's mean in each future")
        s = np.bincount(fut, weights=v, minlength=n_fut)
        n = np.bincount(fut, minlength=n_fut)
        have = n > 0
        m = s[have] / n[have]
        gap = (best[have] - m) if direction == "max" else (m - best[have])
        return float(max(0.0, np.max(gap)))
    raise ValueError(f"unknown statistic '{kind}'")


def statistic(kind: str, cells: np.ndarray, direction: str = "max", threshold: float | None = None,
              best: np.ndarray | None = None) -> float:
    """The robustness statistic of one outcome's cells ``[futures, replications]``.

    ``best`` (regret only): the best portfolio's mean in each future.

    >>> statistic("p50", np.array([[1.0, 2.0], [3.0, 4.0]]))
    2.5
    >>> statistic("regret", np.array([[1.0, 1.0], [3.0, 3.0]]), "max", best=np.array([2.0, 3.0]))
    1.0
    """
    c = np.asarray(cells, dtype=float)
    fut = np.repeat(np.arange(c.shape[0]), c.shape[1])
    v = c.ravel()
    ok = np.isfinite(v)
    return _stat_flat(kind, v[ok], fut[ok], direction, threshold, best, c.shape[0])


def bootstrap(kind: str, cells: np.ndarray, direction: str = "max", threshold: float | None = None,
              best: np.ndarray | None = None, *, seed: int = 0, boot: int = BOOT,
              index: np.ndarray | None = None) -> tuple[float, float]:
    """A 95 % bootstrap interval of :func:`statistic` over the cells (seeded; or given resample ``index``)."""
    c = np.asarray(cells, dtype=float)
    n = c.size
    fut = np.repeat(np.arange(c.shape[0]), c.shape[1])
    v = c.ravel()
    if index is None:
        index = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xB007,))).integers(0, n, (boot, n))
    draws = []
    for idx in index:
        vv, ff = v[idx], fut[idx]
        ok = np.isfinite(vv)
        draws.append(_stat_flat(kind, vv[ok], ff[ok], direction, threshold, best, c.shape[0]))
    vals = np.asarray(draws, dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(vals, [0.025, 0.975])
    return float(lo), float(hi)


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` Pareto-dominates ``b`` (all objectives minimised)."""
    return bool(np.all(a <= b) and np.any(a < b))


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """Rows of ``F`` (minimised) that no other row dominates; exact duplicates are all kept."""
    F = np.asarray(F, dtype=float)
    n = len(F)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not np.all(np.isfinite(F[i])):
            keep[i] = False
            continue
        others = F[np.all(np.isfinite(F), axis=1)]
        if np.any(np.all(others <= F[i], axis=1) & np.any(others < F[i], axis=1)):
            keep[i] = False
    return keep


def confident_dominance(samples: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Which members are dominated by another with confidence ``level``.

    ``samples[b, m, k]``: bootstrap draw ``b`` of member ``m``'s objective ``k``
    (minimised), all members resampled on the same cells (paired). Member ``m``
    is dominated when, for some other member, the share of draws in which that
    member dominates ``m`` is at least ``level``.
    """
    S = np.asarray(samples, dtype=float)
    _, M, _ = S.shape
    out = np.zeros(M, dtype=bool)
    for m in range(M):
        for o in range(M):
            if o == m:
                continue
            weak = np.all(S[:, o, :] <= S[:, m, :], axis=1)
            strict = np.any(S[:, o, :] < S[:, m, :], axis=1)
            if np.mean(weak & strict) >= level:
                out[m] = True
                break
    return out
