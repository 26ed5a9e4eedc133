"""The store has one owner and knows itself: every way of mixing two experiments or losing runs is refused or repaired.

Each case of the tester's report is a test: a resume without metadata.json (complete or partial store) or with
another experiment's metadata, two sweeps on one store, a stale lock of a killed sweep, a chunk copied in from
another store or experiment or renamed, a truncated runs chunk, a zero-byte steps chunk, steps without their
runs, and worker processes outliving a killed sweep.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.errors import InputError
from counterflow.experiments import Store, load_experiment, run_sweep

from .conftest import write_experiment

SMALL = {"samples": 4, "replications": 1, "steps": 6, "chunk_samples": 1}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A complete, untouched store of the small experiment (the numbers every repaired store must equal)."""
    folder = tmp_path_factory.mktemp("ref")
    f = write_experiment(folder, **SMALL)
    exp = load_experiment(f)
    run_sweep(exp, folder / "store", compact=False)
    return f, exp, Store(folder / "store").runs()


def _copy(reference, tmp_path):
    """A fresh copy of the reference store (one file per chunk, not compacted)."""
    target = tmp_path / "store"
    shutil.copytree(reference[0].parent / "store", target)
    return target


def _sweep(exp, store):
    return run_sweep(exp, store, compact=False)


def _same_runs(store, expected: pd.DataFrame) -> None:
    st = Store(store)
    assert (st.key_counts().n == 1).all()
    pd.testing.assert_frame_equal(st.runs(), expected, check_exact=True)


def _cli(*args: str):
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.output


# ------------------------------------------------------------------ identity
@pytest.mark.parametrize("partial", [False, True])
def test_resume_without_metadata_is_refused(reference, tmp_path, partial):
    """metadata.json deleted: a resume (here with another seed) is refused, never relabels the old runs."""
    f, exp, _ = reference
    store = _copy(reference, tmp_path)
    if partial:
        for p in list((store / "runs").glob("chunk-00000[23]*")):
            p.unlink()
    (store / "metadata.json").unlink()
    other = load_experiment(write_experiment(tmp_path, **{**SMALL, "seed": 99}))
    with pytest.raises(InputError, match="no metadata.json"):
        run_sweep(other, store)
    code, out = _cli("sweep", str(f), "--store", str(store), "--executor", "sequential")
    assert code == 2 and "no metadata.json" in out and "Traceback" not in out
    assert not (store / "metadata.json").exists()


def test_resume_with_other_metadata_is_refused(reference, tmp_path):
    """metadata.json of another experiment put in place: its chunks do not match and the resume is refused."""
    f, exp, _ = reference
    store = _copy(reference, tmp_path)
    other_f = write_experiment(tmp_path, "other.yaml", **{**SMALL, "seed": 99})
    other = load_experiment(other_f)
    run_sweep(other, tmp_path / "other", compact=False)
    shutil.copy(tmp_path / "other" / "metadata.json", store / "metadata.json")
    with pytest.raises(InputError, match="another experiment"):
        run_sweep(other, store)
    with pytest.raises(InputError, match="different experiment"):
        run_sweep(exp, store)
    with pytest.raises(InputError, match="cannot be used"):
        Store(store).runs()


@pytest.mark.parametrize("source", ["same experiment", "other experiment"])
def test_a_chunk_copied_from_another_store_is_refused(reference, tmp_path, source):
    """A chunk file from another store (even of the same experiment) is refused at resume and when reading."""
    f, exp, _ = reference
    store = _copy(reference, tmp_path)
    fields = SMALL if source == "same experiment" else {**SMALL, "seed": 5}
    other = load_experiment(write_experiment(tmp_path, "other.yaml", **fields))
    run_sweep(other, tmp_path / "other", compact=False)
    shutil.copy(tmp_path / "other" / "runs" / "chunk-000001.parquet", store / "runs" / "chunk-000001.parquet")
    why = "another store" if source == "same experiment" else "another experiment"
    with pytest.raises(InputError, match=why):
        run_sweep(exp, store)
    with pytest.raises(InputError, match="cannot be used"):
        Store(store).runs()
    code, out = _cli("analyze", str(store))
    assert code == 2 and "chunk-000001" in out and "Traceback" not in out


def test_a_chunk_under_another_name_is_refused(reference, tmp_path):
    """A chunk renamed to another chunk's file would give its runs the wrong samples: refused."""
    _, exp, _ = reference
    store = _copy(reference, tmp_path)
    (store / "runs" / "chunk-000003.parquet").unlink()
    shutil.copy(store / "runs" / "chunk-000000.parquet", store / "runs" / "chunk-000003.parquet")
    with pytest.raises(InputError, match="under another chunk's name"):
        run_sweep(exp, store)


# ------------------------------------------------------------------ damage
def test_a_truncated_runs_chunk_is_reported_moved_aside_and_rerun(reference, tmp_path):
    """analyze names the damaged file (exit 2, no traceback); the resume moves it aside and reruns its runs."""
    f, exp, expected = reference
    store = _copy(reference, tmp_path)
    chunk = store / "runs" / "chunk-000002.parquet"
    chunk.write_bytes(chunk.read_bytes()[:200])
    code, out = _cli("analyze", str(store))
    assert code == 2 and "chunk-000002" in out and "cannot be read" in out and "Traceback" not in out
    code, out = _cli("sweep", str(f), "--store", str(store), "--executor", "sequential", "--json")
    assert code == 0, out
    assert "runs/chunk-000002.parquet cannot be used" in out and "moved to damaged/" in out
    assert json.loads(out[out.index("{"):])["ran_now"] == 2
    assert len(list((store / "damaged").iterdir())) == 1
    _same_runs(store, expected)


def test_a_zero_byte_steps_chunk_loses_nothing(reference, tmp_path):
    """A zero-byte steps file: its chunk's runs are run again, so no run's steps go missing."""
    _, exp, expected = reference
    store = _copy(reference, tmp_path)
    (store / "steps" / "chunk-000001.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="steps/chunk-000001.parquet cannot be read"):
        Store(store).steps()
    st = Store.create(store, exp, exp.design())
    try:
        assert any("steps/chunk-000001.parquet cannot be used" in n for n in st.notes)
        report = run_sweep(exp, st, compact=False)
    finally:
        st.unlock()
    assert report.ran_runs == 2
    _same_runs(store, expected)
    assert len(Store(store).steps()) == exp.n_runs * exp.steps


def test_runs_and_steps_of_a_chunk_land_together(reference, tmp_path):
    """Steps whose runs were never committed are invisible; steps of another write do not pair with runs."""
    _, exp, expected = reference
    store = _copy(reference, tmp_path)
    (store / "runs" / "chunk-000003.parquet").unlink()  # killed between the steps and the runs write
    st = Store(store)
    assert set(st.steps()["sample"]) == {0, 1, 2} and set(st.runs()["sample"]) == {0, 1, 2}
    # steps of chunk 0 replaced by a later write whose runs never landed
    other = store / "steps" / "chunk-000000.parquet"
    t = pq.read_table(other)
    meta = json.loads(t.schema.metadata[b"counterflow"])
    meta["chunks"] = {"0": "0123456789abcdef"}
    pq.write_table(t.replace_schema_metadata({b"counterflow": json.dumps(meta).encode()}), other)
    assert set(Store(store).runs()["sample"]) == {1, 2}
    report = _sweep(exp, store)
    assert report.ran_runs == 4
    _same_runs(store, expected)
    assert len(Store(store).steps()) == exp.n_runs * exp.steps


# ------------------------------------------------------------------ one owner
def test_a_second_sweep_is_refused_while_one_writes(reference, tmp_path):
    """While a sweep holds the store, another (in this process or another) is refused with a message."""
    f, exp, _ = reference
    store = tmp_path / "store"
    holder = Store.create(store, exp, exp.design())
    try:
        with pytest.raises(InputError, match="another sweep is writing this store"):
            Store.create(store, exp, exp.design())
        code, out = _cli("sweep", str(f), "--store", str(store), "--executor", "sequential")
        assert code == 2 and "another sweep is writing this store" in out and "process" in out
        other = subprocess.run([sys.executable, "-c", (
            "import sys; from counterflow.experiments import Store, load_experiment\n"
            "from counterflow.errors import InputError\n"
            f"e = load_experiment({str(f)!r})\n"
            "try:\n    Store.create(sys.argv[1], e, e.design())\nexcept InputError as x:\n    print(x)\n"),
            str(store)], capture_output=True, text=True, timeout=300)
        assert "another sweep is writing this store" in other.stdout, other.stderr
    finally:
        holder.unlock()
    assert not any((store / "runs").iterdir())
    report = run_sweep(exp, store)  # the lock is free again
    assert report.ran_runs == exp.n_runs


def test_a_stale_lock_is_taken_over_with_a_note(reference, tmp_path):
    """A lock file left by a killed sweep (its process gone, no flock held) is taken over and reported."""
    _, exp, expected = reference
    store = _copy(reference, tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    (store / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                             "started": "2026-01-01T00:00:00+00:00"}))
    st = Store.create(store, exp, exp.design())
    try:
        assert any(f"process {int(dead.stdout)}" in n and "no longer running" in n for n in st.notes), st.notes
    finally:
        st.unlock()
    assert (store / ".lock").read_text() == ""  # released cleanly: nothing to take over next time
    _same_runs(store, expected)


def test_compaction_keeps_resume_and_the_identity_checks(reference, tmp_path):
    """A completed sweep merges its runs files into one; resume runs nothing, retry splits it, checks still bite."""
    _, exp, expected = reference
    store = _copy(reference, tmp_path)
    with Store.create(store, exp, exp.design()) as st:
        assert st.compact() == 4
    files = sorted(p.name for p in (store / "runs").iterdir())
    assert files == ["compact-000000-000003.parquet"], files
    _same_runs(store, expected)
    assert run_sweep(exp, store).ran_runs == 0
    assert run_sweep(exp, store, retry_errors=True).ran_runs == 0
    (store / "steps" / "chunk-000002.parquet").unlink()  # the compacted file's chunk 2 loses its steps
    with pytest.raises(InputError):
        Store(store).runs()
    report = run_sweep(exp, store)
    assert report.ran_runs == exp.n_runs  # the compacted file was moved aside whole; every chunk ran again
    _same_runs(store, expected)
    assert sorted(p.name for p in (store / "runs").iterdir()) == ["compact-000000-000003.parquet"]
