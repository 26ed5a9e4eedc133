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


def test_entries_named_in_an_earlier_form_of_the_key_are_pruned(cache):
    """Storing a state also removes entries this code can never read whose network cannot be told: names without
    a dash (the first form) and names without the current form's prefix (the content hashed record by record);
    entries of other networks in the current form stay."""
    s = generate_scenario(80, seed=9, organisations=1)
    other = generate_scenario(80, seed=10, organisations=1)
    cache.mkdir(parents=True)
    old = [cache / "0123456789abcdef0123.pkl", cache / f"{'a' * 20}-{'b' * 12}.pkl",
           cache / f"{'a' * 20}-{'b' * 12}-burn-{'c' * 16}.pkl"]
    kept = [cache / f"{warm_cache.state_key(other).split('-')[0]}-{'0' * 12}.pkl",
            cache / f"{warm_cache.state_key(other)}-burn-{'c' * 16}.pkl", cache / "notes.txt"]
    for p in old + kept:
        p.write_bytes(b"x")
    _run(s)
    key = warm_cache.state_key(s)
    assert key.startswith(warm_cache.KEY_FORMAT) and (cache / f"{key}.pkl").exists()
    assert not any(p.exists() for p in old), [p.name for p in old if p.exists()]
    assert all(p.exists() for p in kept)


def test_a_stored_warm_up_that_did_not_settle_warns_again_when_it_is_read(cache):
    """The "did not settle" warning comes with the state, whether the warm-up is computed or read from the disk;
    a warm-up that settled reads back without a warning."""
    import warnings

    from counterflow.engine.core import warm_state

    s = generate_scenario(80, seed=11, organisations=1)
    unsettled = dataclasses.replace(s, parameters=dataclasses.replace(s.parameters, warmup_max=60,
                                                                      warmup_tolerance=1e-12))
    with pytest.warns(RuntimeWarning, match="did not settle within warmup_max = 60"):
        first = warm_state(compile_network(unsettled))
    (f,) = _warm_files(cache)
    stamp = f.stat().st_mtime_ns
    with pytest.warns(RuntimeWarning, match="did not settle within warmup_max = 60"):
        again = warm_state(compile_network(unsettled))  # a fresh network: read from the disk
    assert f.stat().st_mtime_ns == stamp and again.warmup_steps == first.warmup_steps == 60
    warm_state(compile_network(s))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warm_state(compile_network(s))  # read back, settled: no warning


def test_the_content_key_sees_every_field_of_every_record():
    """The content key (hashed column by column) changes with any field of a node or an edge, with the order of
    the records, and with the scenario's other parts; it is the same for equal scenarios and after a pickle."""
    import pickle

    s = generate_scenario(60, seed=12, organisations=1)
    key = s.content_key()
    assert dataclasses.replace(s).content_key() == key
    assert pickle.loads(pickle.dumps(dataclasses.replace(s))).content_key() == key
    assert dataclasses.replace(s, strategies={"x": {"levers": []}}, source="elsewhere.yaml").content_key() == key
    changed = {
        "id": "zz", "kind": "market" if s.nodes[3].kind != "market" else "hub", "jurisdiction": "ZZ", "name": "Z",
        "lat": s.nodes[3].lat + 1e-9, "lon": s.nodes[3].lon - 1e-9, "capacity": 123.0, "storage": 7.0,
        "enforcement": s.nodes[3].enforcement + 0.01, "occupancy": s.nodes[3].occupancy + 0.01,
        "dormant": not s.nodes[3].dormant}
    assert set(changed) == {f.name for f in dataclasses.fields(s.nodes[3])}
    keys = {key}
    for name, value in changed.items():
        nodes = s.nodes[:3] + (dataclasses.replace(s.nodes[3], **{name: value}),) + s.nodes[4:]
        keys.add(dataclasses.replace(s, nodes=nodes).content_key())
    e = s.edges[5]
    edge_changes = {"src": "zz", "dst": "zz", "mode": "sea" if e.mode != "sea" else "air", "capacity": 5.0,
                    "cost": e.cost + 1e-9, "time": e.time + 1, "risk": e.risk + 0.01, "dormant": not e.dormant}
    assert set(edge_changes) == {f.name for f in dataclasses.fields(e)}
    for name, value in edge_changes.items():
        edges = s.edges[:5] + (dataclasses.replace(e, **{name: value}),) + s.edges[6:]
        keys.add(dataclasses.replace(s, edges=edges).content_key())
    keys.add(dataclasses.replace(s, edges=(s.edges[1], s.edges[0], *s.edges[2:])).content_key())
    keys.add(dataclasses.replace(s, steps=s.steps + 1).content_key())
    keys.add(dataclasses.replace(s, name="other").content_key())
    assert len(keys) == 1 + len(changed) + len(edge_changes) + 3
