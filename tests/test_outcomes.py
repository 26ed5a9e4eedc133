"""The outcomes registry is the one source of names, directions and paired rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.analysis import summarize
from counterflow.outcomes import (
    CATEGORICAL_OUTCOMES,
    OUTCOMES,
    PAIRED_OUTCOMES,
    RUN_OUTCOMES,
    SUMMARY_OUTCOMES,
    better,
    reduce_run,
)


def test_every_view_list_names_registered_outcomes():
    """The lists views show are subsets of the registry (nothing declared twice)."""
    from counterflow.experiments.spec import OUTCOMES as SWEEP_OUTCOMES
    from counterflow.report.tables import (
        COMPARE_METRICS,  # the report's and the page's table rows too
    )

    for names in (SUMMARY_OUTCOMES, COMPARE_METRICS, SWEEP_OUTCOMES):
        assert set(names) <= set(OUTCOMES)
    assert set(RUN_OUTCOMES) | set(PAIRED_OUTCOMES) | set(CATEGORICAL_OUTCOMES) == set(OUTCOMES)
    assert not set(CATEGORICAL_OUTCOMES) & (set(RUN_OUTCOMES) | set(PAIRED_OUTCOMES))
    assert not set(RUN_OUTCOMES) & set(PAIRED_OUTCOMES)


def test_reduce_run_reads_every_declared_series():
    rng = np.random.default_rng(1)
    series = {OUTCOMES[n].series: rng.random((5, 3)) for n in RUN_OUTCOMES}
    ref = np.array([1.0, 2.0, 4.0])
    got = reduce_run(series, ref)
    assert list(got) == list(RUN_OUTCOMES)
    assert got["delivered_kg"] == pytest.approx(series["delivered"].sum())
    assert got["backlash"] == pytest.approx(series["backlash"].mean())
    assert got["mean_price"] == pytest.approx((series["price"] / ref).mean())


@pytest.mark.parametrize("name", list(OUTCOMES))
def test_better_follows_the_direction(name):
    up = better(name, 1.0)
    assert up == (OUTCOMES[name].direction == "max")
    assert better(name, -1.0) == (not up)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=2, max_size=30))
def test_summarize_is_the_paired_mean(pairs):
    """summarize's difference is the mean of same-replication differences; the baseline's is 0."""
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    n = len(pairs)
    df = pd.DataFrame({"strategy": ["base"] * n + ["s"] * n, "replication": list(range(n)) * 2,
                       "delivered_kg": np.r_[b, a], "flow_reduction_pct": np.r_[np.zeros(n), a]})
    out = summarize(df, ["base", "s"], "base", ["delivered_kg", "flow_reduction_pct"])
    e = out["s"]["delivered_kg"]
    assert e["diff_mean"] == pytest.approx((a - b).mean(), abs=1e-6)
    assert e["diff_lo"] <= e["diff_mean"] <= e["diff_hi"]
    assert e["beats_pct"] == pytest.approx(100 * ((a - b) < 0).mean())
    assert out["s"]["flow_reduction_pct"]["diff_mean"] == pytest.approx(a.mean(), abs=1e-6)
    assert out["base"]["delivered_kg"]["diff_mean"] == 0


def test_stored_and_in_memory_runs_summarise_alike():
    """The sweep analysis and the in-memory comparison call the same function: same table, same numbers."""
    rng = np.random.default_rng(3)
    n = 6
    df = pd.DataFrame({"strategy": ["baseline"] * n + ["x"] * n, "sample": 0,
                       "replication": list(range(n)) * 2, "civilian_harm": rng.random(2 * n)})
    a = summarize(df, ["baseline", "x"], "baseline", ["civilian_harm"])
    b = summarize(df, ["baseline", "x"], "baseline", ["civilian_harm"], pair_on=("sample", "replication"),
                  count=True)
    assert b["x"]["civilian_harm"].pop("n") == n
    assert a["x"] == {k: v for k, v in b["x"].items()}
