"""Nothing lost, nothing twice: kill a real `counterflow sweep` at random points, rerun, count the keys."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from counterflow.experiments import Store, load_experiment
from counterflow.experiments.execute import run_chunk

from .conftest import write_experiment

CLI = [sys.executable, "-m", "counterflow.cli"] if not (Path(sys.executable).parent / "counterflow").exists() \
    else [str(Path(sys.executable).parent / "counterflow")]


def _start(exp_file: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "sweep", str(exp_file), "--store", str(store), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _pool_workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """Process-pool workers of the sweep (children of its forkserver)."""
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    servers = {k.pid for k in kids if "forkserver" in " ".join(k.cmdline() or [])}
    return [k for k in kids if k.ppid() in servers]


def _cleanup(proc: subprocess.Popen) -> None:
    """Kill what is left of the session this test started (orphaned workers included)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.slow
def test_sweep_survives_sigkill_and_ctrl_c_at_random_points(tmp_path):
    """SIGKILL of the main process or of a worker, or Ctrl-C, then rerun: every run is stored exactly once."""
    exp_file = write_experiment(tmp_path, samples=14, replications=1, chunk_samples=1, steps=40)
    store = tmp_path / "store"
    rnd = random.Random(20261125)
    kinds = ["main", "worker", "sigint", "main"]
    outcomes = []
    for kind in kinds:
        proc = _start(exp_file, store)
        if kind == "worker":  # wait for the pool to exist, then a little more
            limit = time.monotonic() + 60
            while not _pool_workers(proc) and proc.poll() is None and time.monotonic() < limit:
                time.sleep(0.05)
        deadline = time.monotonic() + rnd.uniform(0.5, 2.5 if kind == "worker" else 8.0)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if proc.poll() is None:
            if kind == "main":
                os.kill(proc.pid, signal.SIGKILL)
            elif kind == "sigint":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                workers = _pool_workers(proc)
                if workers:
                    workers[0].kill()
                else:
                    os.kill(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        outcomes.append((kind, proc.returncode))
        _cleanup(proc)
        stored = Store(store).key_counts() if any((store / "runs").glob("chunk-*")) else None
        if stored is not None:
            assert (stored.n == 1).all(), f"a key stored twice after killing the {kind}"
    assert any(code not in (0, None) for _, code in outcomes), outcomes  # some kill landed mid-sweep
    print(outcomes)
    done = subprocess.run([*CLI, "sweep", str(exp_file), "--store", str(store), "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    exp = load_experiment(exp_file)
    st = Store(store)
    counts = st.key_counts()
    assert len(counts) == exp.n_runs == 28 and (counts.n == 1).all(), outcomes
    expected = {(s, name, 0) for s in range(14) for name in exp.strategies}
    assert set(map(tuple, counts[["sample", "strategy", "replication"]].to_numpy().tolist())) == expected
    assert not list((store / "runs").glob(".*tmp*")) and not list((store / "steps").glob(".*tmp*"))
    runs = st.runs()
    assert (runs.status == "ok").all()
    _, table, _ = run_chunk(exp, 5, [5], exp.design()[[5]])
    again = table.to_pandas()
    pd.testing.assert_frame_equal(runs[runs["sample"] == 5].reset_index(drop=True), again,
                                  check_exact=True, check_dtype=False)
    assert len(st.steps()) == exp.n_runs * exp.steps


@pytest.mark.slow
def test_sweep_on_a_running_dask_scheduler_matches_sequential(tmp_path):
    """`--executor dask --address` runs on a separately started scheduler and workers, with the same numbers."""
    import socket

    from counterflow.experiments import run_sweep

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dask = str(Path(sys.executable).parent / "dask")
    addr = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        time.sleep(2)
        procs.append(subprocess.Popen([dask, "worker", addr, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        exp_file = write_experiment(tmp_path, samples=3, replications=1, steps=8)
        done = subprocess.run([*CLI, "sweep", str(exp_file), "--store", str(tmp_path / "remote"), "--executor", "dask",
                               "--address", addr, "--json"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        for p in reversed(procs):
            _cleanup(p)
    run_sweep(load_experiment(exp_file), tmp_path / "local")
    keys = ["sample", "strategy", "replication"]
    remote = Store(tmp_path / "remote").runs().sort_values(keys).reset_index(drop=True)
    local = Store(tmp_path / "local").runs().sort_values(keys).reset_index(drop=True)
    assert len(remote) == 6
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


@pytest.mark.slow
def test_a_killed_sweep_leaves_no_worker_processes(tmp_path):
    """SIGKILL of the sweep: its pool workers die with it (not after their chunk), and the next sweep takes
    over the stale lock with a note and finishes the store."""
    exp_file = write_experiment(tmp_path, samples=8, replications=1, chunk_samples=1, steps=400)
    store = tmp_path / "store"
    proc = _start(exp_file, store)
    try:
        limit = time.monotonic() + 120
        workers: list[psutil.Process] = []
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < limit:
            workers = _pool_workers(proc)
            time.sleep(0.05)
        assert len(workers) == 2, "the pool did not start"
        time.sleep(1.0)  # the workers are inside their first chunk
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=20)
        assert not alive, f"{len(alive)} worker processes outlived the killed sweep"
    finally:
        _cleanup(proc)
    done = subprocess.run([*CLI, "sweep", str(exp_file), "--store", str(store), "--workers", "2", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "took over the lock left by process" in done.stderr and "no longer running" in done.stderr
    assert (Store(store).key_counts().n == 1).all() and len(Store(store).runs()) == 16



_HOLD_THE_LOCK = """
import time
from counterflow.experiments.execute import open_executor

def hold(_):
    return sum(range(10**14))  # one long call in C: the worker's threads never get the interpreter lock back

if __name__ == "__main__":
    with open_executor("dask", 2) as ex:
        futures = [ex.submit(hold, i) for i in range(2)]
        print("submitted", flush=True)
        time.sleep(3600)
"""


@pytest.mark.slow
def test_a_killed_sweep_leaves_no_dask_worker_processes(tmp_path):
    """SIGKILL of a process that started a Dask LocalCluster (as `sweep`/`search --executor dask` do): its
    workers die with it, even inside a call that holds the interpreter lock (Dask's own parent watch is a
    Python thread and cannot run then; the kernel's parent-death signal can)."""
    script = tmp_path / "hold.py"
    script.write_text(_HOLD_THE_LOCK)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        assert proc.stdout.readline().strip() == "submitted", proc.stderr.read() if proc.poll() is not None else ""
        workers = [k for k in psutil.Process(proc.pid).children(recursive=True)
                   if "spawn_main" in " ".join(k.cmdline() or [])]
        assert len(workers) == 2
        start = {w.pid: w.cpu_times().user for w in workers}
        limit = time.monotonic() + 120
        while time.monotonic() < limit and any(w.cpu_times().user - start[w.pid] < 1.0 for w in workers):
            time.sleep(0.2)  # both workers are computing their task
        assert all(w.cpu_times().user - start[w.pid] >= 1.0 for w in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=20)
        assert not alive, f"{len(alive)} Dask worker processes outlived the killed sweep"
    finally:
        _cleanup(proc)
