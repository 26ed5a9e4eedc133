"""The search store takes the sweep store's lock and identity: one writer, foreign files refused, damaged re-run."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import pytest

from counterflow.errors import InputError
from counterflow.search.engine import Evaluations, run_search
from counterflow.search.spec import search_from_text
from counterflow.search.store import SearchStore

from .known_answer import KNOWN_SEARCH, synthetic


def _spec(evals: int = 12, seed: int = 1):
    return search_from_text(KNOWN_SEARCH.replace("EVALS", str(evals)).replace("SEED", str(seed)))


def _front_keys(spec, store) -> list[str]:
    ev = Evaluations(spec, spec.futures, spec.replications)
    ev.add_frame(SearchStore(store).read())
    return sorted(ev.keys[i] for i in ev.front())


def test_a_second_search_is_refused_while_one_writes(tmp_path):
    spec = _spec()
    store = tmp_path / "s"
    with SearchStore.create(store, spec) as holder:
        assert holder.locked
        with pytest.raises(InputError, match="another search is writing this store .process"):
            SearchStore.create(store, spec)
        with pytest.raises(InputError, match="another search is writing this store"):
            run_search(spec, store, evaluator=synthetic, oos=False)
    assert not any((store / "evals").iterdir())
    assert run_search(spec, store, evaluator=synthetic, oos=False).ran == 12  # the lock is free again
    assert (store / ".lock").read_text() == ""


def test_a_stale_lock_is_taken_over_with_a_note(tmp_path):
    spec = _spec()
    store = tmp_path / "s"
    run_search(spec, store, evaluator=synthetic, oos=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (store / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname(),
                                             "started": "2026-01-01T00:00:00+00:00"}))
    with SearchStore.create(store, spec) as st:
        assert any(f"process {int(dead.stdout)}" in n and "no longer running" in n and "evaluations" in n
                   for n in st.notes), st.notes


def test_writing_needs_the_lock(tmp_path):
    spec = _spec()
    run_search(spec, tmp_path / "s", evaluator=synthetic, oos=False)
    st = SearchStore(tmp_path / "s")
    with pytest.raises(RuntimeError, match="lock"):
        st.write("search", 999, SearchStore(tmp_path / "s").read().head(0))


def test_files_of_another_store_or_search_are_refused_by_name(tmp_path):
    """Same search, another store: its files carry another store id; another search: another identity."""
    spec = _spec()
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "other"
    run_search(spec, a, evaluator=synthetic, oos=False)
    run_search(_spec(12, seed=2), other, evaluator=synthetic, oos=False)
    SearchStore.create(a, spec).unlock()  # resuming a sound store is fine
    SearchStore.create(b, spec).unlock()
    # a file holds the evaluations of a generation that finished within a few seconds
    files = sorted(p.name for p in (a / "evals").iterdir())
    assert len(files) == 2 and files[0] == "eval-000000.parquet"
    second = files[1]
    shutil.copy(a / "evals" / second, b / "evals" / second)
    with pytest.raises(InputError, match=rf"evals/{second}: it was written by another store"):
        SearchStore.create(b, spec)
    with pytest.raises(InputError, match=rf"evals/{second}: it was written by another store"):
        SearchStore(b).read()
    (b / "evals" / second).unlink()
    shutil.copy(other / "evals" / "eval-000000.parquet", a / "evals" / "eval-000000.parquet")
    with pytest.raises(InputError, match=r"eval-000000.parquet: it was written for another search"):
        SearchStore.create(a, spec)
    # a file renamed to another evaluation's name is refused too
    c = tmp_path / "c"
    run_search(spec, c, evaluator=synthetic, oos=False)
    n = int(second[5:11])  # the first evaluation of the second generation
    (c / "evals" / second).replace(c / "evals" / f"eval-{n + 1:06d}.parquet")
    with pytest.raises(InputError, match=rf"eval-{n + 1:06d}.parquet: it holds evaluations \[{n}, {n + 1}, "):
        SearchStore.create(c, spec)


def test_a_damaged_file_is_moved_aside_and_run_again(tmp_path):
    spec = _spec()
    store = tmp_path / "s"
    run_search(spec, store, evaluator=synthetic, oos=False)
    before = _front_keys(spec, store)
    f = sorted((store / "evals").iterdir())[-1]  # the second generation's evaluations, N to 11
    n = int(f.name[5:11])
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(InputError, match=f"{f.name} cannot be read"):
        SearchStore(store).read()
    rep = run_search(spec, store, evaluator=synthetic, oos=False)
    assert rep.ran == 12 - n and rep.replayed == n
    assert len(list((store / "damaged").iterdir())) == 1
    counts = SearchStore(store).key_counts()
    assert len(counts) == 12 * spec.futures * spec.replications and (counts["n"] == 1).all()
    assert _front_keys(spec, store) == before


def test_an_older_store_is_read_but_not_resumed(tmp_path):
    spec = _spec()
    store = tmp_path / "s"
    run_search(spec, store, evaluator=synthetic, oos=False)
    meta = json.loads((store / "metadata.json").read_text())
    meta["format"] = 1
    del meta["store_id"]
    (store / "metadata.json").write_text(json.dumps(meta))
    assert len(SearchStore(store).read()) == 12 * spec.futures * spec.replications
    with pytest.raises(InputError, match="older counterflow .search store format 1"):
        SearchStore.create(store, spec)


def test_repr(tmp_path):
    assert repr(SearchStore(tmp_path / "none")) == f"<SearchStore {tmp_path / 'none'} (empty)>"
    spec = _spec()
    run_search(spec, tmp_path / "s", evaluator=synthetic)
    r = repr(SearchStore(tmp_path / "s"))
    assert r.startswith(f"<SearchStore {tmp_path / 's'}: caribbean, 12 of 12 evaluations (3 futures x 2 "
                        "replications, nsga2); ") and "re-run out of sample>" in r
    assert "<code>" in SearchStore(tmp_path / "s")._repr_html_()
