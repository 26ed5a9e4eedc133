"""Reproducibility: the same seed gives the same numbers, whatever the order or the executor."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np

from counterflow import resolve_strategies, simulate
from counterflow.runner import run_replications


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def test_same_seed_same_trajectory(caribbean_net, caribbean):
    """Two runs with one seed are identical in every series, for every strategy."""
    for strategy in resolve_strategies(caribbean, None):
        assert _same(simulate(caribbean_net, strategy, seed=11), simulate(caribbean_net, strategy, seed=11))


def test_different_seeds_differ(caribbean_net):
    """Different seeds give different seizures (the model is stochastic)."""
    a = simulate(caribbean_net, seed=1)
    b = simulate(caribbean_net, seed=2)
    assert not np.array_equal(a.series["seized"], b.series["seized"])


def test_fresh_network_same_numbers(caribbean, caribbean_net):
    """A freshly compiled network (fresh warm-up) gives the same numbers as a cached one."""
    from counterflow import compile_network

    assert _same(simulate(compile_network(caribbean), seed=4), simulate(caribbean_net, seed=4))


def test_results_independent_of_order_and_executor(caribbean):
    """Replications run in reverse order or in a process pool give the same table as in order."""
    strategies = resolve_strategies(caribbean, ["port-strike"])
    seq = run_replications(caribbean, strategies, runs=4, seed=9, steps=30).table()
    with ProcessPoolExecutor(max_workers=2) as pool:
        par = run_replications(caribbean, strategies, runs=4, seed=9, steps=30, executor=pool).table()
    from counterflow.runner import Results, run_replication

    rev = Results(caribbean.name, 9, 4, [s.name for s in strategies])
    for i in reversed(range(4)):
        rev.records.extend(run_replication(caribbean, strategies, i, 9, 30))
    rev_table = rev.table()
    cols = [c for c in seq.columns if c != "recovery_steps"]
    for other in (par, rev_table):
        assert seq[cols].equals(other[cols])
        assert seq["recovery_steps"].fillna(-1).equals(other["recovery_steps"].fillna(-1))


def test_common_random_numbers_pair_runs(caribbean):
    """A strike whose first firing is after the horizon leaves the run identical to the baseline."""
    from counterflow.strategy import parse_strategy

    late = parse_strategy({"name": "late", "levers": [
        {"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"at": 500}}]}, scenario=caribbean)
    base = resolve_strategies(caribbean, [])[0]
    res = run_replications(caribbean, [base, late], runs=3, seed=2, steps=20).table()
    b = res[res.strategy == "baseline"].delivered_kg.to_numpy()
    s = res[res.strategy == "late"].delivered_kg.to_numpy()
    assert np.array_equal(b, s)
