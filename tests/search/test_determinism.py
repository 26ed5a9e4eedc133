"""Same search file and seed => same stored numbers and front, whatever the workers or executor; kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from counterflow.experiments import open_executor
from counterflow.search.engine import run_search
from counterflow.search.front import front
from counterflow.search.spec import load_search
from counterflow.search.store import SearchStore

from .conftest import REPO, write_search


def _fingerprint(store: Path) -> tuple:
    data = front(store)
    rows = SearchStore(store).read()
    cols = ["eval", "key", "future", "replication", "flow_reduction_pct", "civilian_harm", "cost_usd"]
    return (json.dumps([{k: v for k, v in p.items()} for p in data["portfolios"]], sort_keys=True, default=str),
            rows[cols].to_json())


@pytest.mark.slow
def test_same_front_on_1_or_2_workers_local_or_dask(tmp_path):
    f = write_search(tmp_path, evaluations=6, population=4, steps=8)
    spec = load_search(f)
    results = {}
    for kind, workers in (("sequential", None), ("local", 1), ("local", 2), ("dask", 2)):
        store = tmp_path / f"{kind}-{workers}"
        with open_executor(kind, workers) as ex:
            run_search(spec, store, ex)
        results[(kind, workers)] = _fingerprint(store)
    first = results[("sequential", None)]
    for k, v in results.items():
        assert v == first, f"{k} differs from the sequential run"


@pytest.mark.slow
def test_sigkill_then_resume_stores_each_evaluation_once_and_same_front(tmp_path):
    f = write_search(tmp_path, evaluations=12, population=4, steps=40)
    ref = tmp_path / "ref"
    run_search(load_search(f), ref)
    store = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "counterflow", "search", str(f), "--store", str(store), "--executor", "sequential"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if len(SearchStore(store).done()) >= 3 if (store / "evals").is_dir() else False:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the search ended before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_killed = len(SearchStore(store).done())
    assert 3 <= n_killed < 12
    r = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["replayed"] == n_killed and out["ran_now"] == 12 - n_killed
    assert "took over the lock left by process" in r.stderr  # the killed search's lock (the sweep store's)
    counts = SearchStore(store).key_counts()
    assert len(counts) == 12 * 2 and (counts["n"] == 1).all()
    assert _fingerprint(store) == _fingerprint(ref)
