"""The warm-up state kept on disk: same numbers as computing it, keyed by content and code."""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np
import pytest

from counterflow.engine import Engine, warm_cache
from counterflow.generate import generate_scenario
from counterflow.network import compile_network


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTERFLOW_CACHE", str(tmp_path))
    monkeypatch.setattr(warm_cache, "MIN_NODES", 1)
    return tmp_path / "warm"


def _warm_files(cache):
    return [p for p in cache.glob("*.pkl") if "-burn-" not in p.name]  # each run's burn-in is kept beside it


def _run(scenario, seed=3, steps=6):
    return Engine(compile_network(scenario), None, seed).run(steps)


def test_second_network_reads_the_stored_state_and_gives_identical_runs(cache):
    s = generate_scenario(120, seed=4, organisations=2)
    a = _run(s)
    files = _warm_files(cache)
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    b = _run(s)  # a fresh compiled network: the state comes from disk
    assert files[0].stat().st_mtime_ns == stamp
    for k in a.series:
        assert np.array_equal(a.series[k], b.series[k]), k


def test_key_follows_content_not_strategies(cache):
    s = generate_scenario(80, seed=5, organisations=1)
    k = warm_cache.state_key(s)
    assert warm_cache.state_key(dataclasses.replace(s, strategies={"x": {"levers": []}})) == k
    p = dataclasses.replace(s.parameters, learning_rate=s.parameters.learning_rate * 0.5)
    assert warm_cache.state_key(dataclasses.replace(s, parameters=p)) != k


def test_damaged_entry_is_recomputed(cache):
    s = generate_scenario(80, seed=6, organisations=1)
    a = _run(s)
    (f,) = _warm_files(cache)
    f.write_bytes(b"garbage")
    b = _run(s)
    assert np.array_equal(a.series["delivered"], b.series["delivered"])
    assert f.read_bytes() != b"garbage"  # the damaged entry was replaced


def test_off_switch(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTERFLOW_CACHE", "off")
    monkeypatch.setattr(warm_cache, "MIN_NODES", 1)
    assert warm_cache.cache_dir() is None
    _run(generate_scenario(60, seed=1, organisations=1))
    assert not list(tmp_path.rglob("*.pkl"))


def test_storing_a_state_prunes_the_same_networks_entries_from_other_code(cache, monkeypatch):
    s = generate_scenario(80, seed=7, organisations=1)
    other = generate_scenario(80, seed=8, organisations=1)
    key = warm_cache.state_key(s)
    network, code = key.split("-")
    cache.mkdir(parents=True)
    old = [cache / f"{network}-{'0' * 12}.pkl", cache / f"{network}-{'0' * 12}-burn-abc.pkl"]
    kept = [cache / f"{warm_cache.state_key(other).split('-')[0]}-{'0' * 12}.pkl",  # another network
            cache / f"{key}-burn-def.pkl"]  # this code's burn-in
    stale, fresh = cache / "a.tmp", cache / "b.tmp"
    for p in old + kept + [stale, fresh]:
        p.write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    _run(s)
    assert (cache / f"{key}.pkl").exists()
    assert not any(p.exists() for p in old + [stale])
    assert all(p.exists() for p in kept + [fresh])
