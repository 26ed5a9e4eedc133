"""Each run's burn-in kept on disk next to the warm-up: read back exactly, and never when stale."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import counterflow
from counterflow.engine import Engine, warm_cache
from counterflow.generate import generate_scenario
from counterflow.network import compile_network
from counterflow.runner import replication_seed
from counterflow.strategy import parse_strategy

STRIKE = {"name": "hub-strike", "levers": [
    {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
     "schedule": {"start": 0, "every": 3}, "unit_cost": 1.0e6}]}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTERFLOW_CACHE", str(tmp_path))
    monkeypatch.setattr(warm_cache, "MIN_NODES", 1)
    return tmp_path / "warm"


def _run(scenario, strategy=None, replication=0, steps=6):
    net = compile_network(scenario)  # a fresh network each time: nothing is kept in memory
    if isinstance(strategy, dict):
        strategy = parse_strategy(strategy, scenario=scenario)
    return Engine(net, strategy, np.random.default_rng(replication_seed(5, replication)), record_flows=True).run(steps)


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.edge_flow, b.edge_flow)


def _burn_ins(cache):
    return sorted(cache.glob("*-burn-*.pkl"))


def test_stored_burn_in_gives_identical_runs(cache, monkeypatch):
    s = generate_scenario(90, seed=4, organisations=2)
    a = _run(s)  # stores the warm-up and this seed's burn-in
    (f,) = _burn_ins(cache)
    stamp = f.stat().st_mtime_ns
    b, strike = _run(s), _run(s, STRIKE)  # both read it (a lever-free run stored it, any run reads it)
    assert f.stat().st_mtime_ns == stamp and _burn_ins(cache) == [f]
    monkeypatch.setenv("COUNTERFLOW_CACHE", "off")
    assert _same(a, b) and _same(a, _run(s)) and _same(strike, _run(s, STRIKE))
    assert not _same(a, strike)


def test_each_seed_has_its_own_and_old_ones_go(cache, monkeypatch):
    s = generate_scenario(60, seed=3, organisations=1)
    monkeypatch.setattr(warm_cache, "BURN_IN_KEEP", 2)
    for r in range(3):
        _run(s, replication=r, steps=1)
    assert len(_burn_ins(cache)) == 2


def test_a_stale_entry_is_not_used(cache, monkeypatch):
    """A doctored entry shows the cache is read; a changed network or version does not read it."""
    s = generate_scenario(70, seed=6, organisations=2)
    a = _run(s)
    (f,) = _burn_ins(cache)
    snap = pickle.loads(f.read_bytes())
    snap["state"].cash = snap["state"].cash * 2.0
    f.write_bytes(pickle.dumps(snap))
    assert not _same(a, _run(s))  # the (doctored) entry is read
    p = dataclasses.replace(s.parameters, learning_rate=s.parameters.learning_rate * 0.5)
    changed = dataclasses.replace(s, parameters=p)
    monkeypatch.setenv("COUNTERFLOW_CACHE", "off")
    fresh_changed = _run(changed)
    monkeypatch.setenv("COUNTERFLOW_CACHE", str(cache.parent))
    assert _same(_run(changed), fresh_changed)  # another network: its own key
    monkeypatch.setattr(counterflow, "__version__", counterflow.__version__ + "+other")
    warm_cache._code_hash.cache_clear()
    try:
        assert _same(_run(s), a)  # another version: the doctored entry is not read
    finally:
        warm_cache._code_hash.cache_clear()
