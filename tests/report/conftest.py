"""A small comparison with per-step results, shared by the report tests."""

from __future__ import annotations

import pytest

from counterflow import resolve_strategies
from counterflow.runner import run_replications


@pytest.fixture(scope="session")
def small_results(caribbean):
    strategies = resolve_strategies(caribbean, ["port-strike", "boat-strikes", "balanced"])
    return strategies, run_replications(caribbean, strategies, runs=3, seed=4, steps=24, keep_steps=True,
                                        keep_flows=True)


@pytest.fixture(scope="session")
def written_report(tmp_path_factory, caribbean, small_results):
    from counterflow.report import write_report

    strategies, res = small_results
    path = tmp_path_factory.mktemp("report") / "out" / "caribbean.html"
    return write_report(caribbean, res, path, strategies)
