"""The writer's side of the store lock opens ``.lock`` as the in-use probe does: never through a link, never
waiting on a pipe, only a regular file; anything else is one message (exit 2 from the CLI), and nothing behind
the link is read, created or emptied."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.errors import InputError
from counterflow.experiments.store import StoreLock

from .conftest import write_experiment


def _store_with(tmp_path, kind: str):
    store = tmp_path / "store"
    store.mkdir()
    lock = store / ".lock"
    target = tmp_path / "elsewhere.txt"
    if kind == "link":
        target.write_text("someone else's file")
        lock.symlink_to(target)
    elif kind == "dangling link":
        lock.symlink_to(target)
    elif kind == "named pipe":
        os.mkfifo(lock)
    elif kind == "folder":
        lock.mkdir()
    return store, target


@pytest.mark.parametrize(("kind", "words"), [("link", "a link"), ("dangling link", "a link"),
                                             ("named pipe", "a named pipe"), ("folder", "a folder")])
def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path, kind, words):
    store, target = _store_with(tmp_path, kind)
    lock = StoreLock(store)
    with pytest.raises(InputError, match=f"^{store}: .lock is {words}, not a lock file"):
        lock.acquire()
    assert not lock.held
    if kind == "link":
        assert target.read_text() == "someone else's file"  # not emptied, not overwritten
    if kind == "dangling link":
        assert not target.exists()  # not created through the link


def test_a_regular_lock_file_is_taken_and_released(tmp_path):
    store, _ = _store_with(tmp_path, "none")
    lock = StoreLock(store)
    assert lock.acquire() is None and lock.held
    lock.release()
    assert (store / ".lock").read_text() == ""


def test_the_cli_refuses_a_linked_lock_with_one_message_and_exit_2(tmp_path):
    exp = write_experiment(tmp_path)
    store, target = _store_with(tmp_path, "link")
    r = CliRunner().invoke(app, ["sweep", str(exp), "--store", str(store)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and ".lock is a link, not a lock file" in lines[0], r.stderr
    assert target.read_text() == "someone else's file"
