"""Summaries of a sweep store with DuckDB: quantiles per strategy and paired differences.

Differences are paired: each run is compared with the baseline run of the
same sample and replication (same parameter values, same seed), so the
spread of a difference reflects the strategy, not the dice.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis import summarize
from ..errors import InputError
from .store import Store

__all__ = ["analyze", "run_counts"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row(con, sql: str) -> tuple:
    """The one row of an aggregate query (an aggregate without GROUP BY always answers one)."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"the store answered no row to: {sql}")
    return row


def run_counts(store: Store) -> dict:
    """Runs expected, stored, failed and missing, and the most common errors."""
    meta = store.metadata()
    con = store.connect()
    n, failed = _row(con, "SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM runs")
    dup, = _row(con, "SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY sample, strategy, replication "
                     "HAVING count(*) > 1)")
    errors = con.execute("SELECT error, count(*) AS n FROM runs WHERE status <> 'ok' GROUP BY error "
                         "ORDER BY n DESC LIMIT 5").fetchall()
    return {"expected": meta["n_runs"], "stored": int(n), "failed": int(failed),
            "missing": int(meta["n_runs"] - n + dup), "duplicated": int(dup),
            "errors": [{"error": e, "runs": int(k)} for e, k in errors]}


def analyze(store: str | Path | Store, outcomes: list[str] | None = None) -> dict:
    """Per strategy, the 5/50/95 % quantiles and mean of every outcome, and paired differences.

    Returns a JSON-ready dict::

        {"scenario", "sampler", "points", "replications", "runs": {expected, stored, failed, missing, ...},
         "strategies": {name: {outcome: {n, mean, p05, p50, p95,
                                         diff_mean, diff_lo, diff_hi, beats_pct}}}}

    ``diff_*`` is the mean paired difference (strategy − baseline, paired on
    sample and replication) with a 95 % t-interval; ``beats_pct`` the share of
    pairs in which the strategy did better. The numbers come from
    :func:`counterflow.analysis.summarize`, the same function that summarises
    in-memory results. Failed runs are left out (and counted under ``runs``).
    """
    st = store if isinstance(store, Store) else Store(store)
    meta = st.metadata()
    kept = meta["kept_outcomes"]
    outcomes = outcomes or kept
    for o in outcomes:
        if o not in kept:
            raise InputError(f"unknown outcome '{o}'; the store holds: {', '.join(kept)}", file=str(st.path))
    con = st.connect()
    base = meta["strategies"][0]
    cols = ", ".join(_q(o) for o in outcomes)
    df = con.execute(f"SELECT strategy, sample, replication, {cols} FROM runs WHERE status = 'ok' "
                     "ORDER BY sample, replication").df()
    out = summarize(df, meta["strategies"], base, outcomes, pair_on=("sample", "replication"), count=True)
    return {"store": str(st.path), "scenario": meta["scenario"], "sampler": meta["sampler"],
            "points": meta["n_points"], "replications": meta["replications"], "seed": meta["seed"],
            "uncertainties": meta["uncertainties"], "runs": run_counts(st), "strategies": out}

