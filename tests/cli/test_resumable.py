"""The interrupt and dead-worker handling that `sweep` and `search` share (cli.common.resumable)."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

import pytest
import typer

from counterflow.cli.common import resumable


@pytest.mark.parametrize("exc,code,first", [
    (KeyboardInterrupt, 130, "interrupted: 3 of 10 chunks are stored;"),
    (BrokenProcessPool, 1, "error: a worker process died; 3 of 10 chunks are stored;"),
])
def test_a_cut_short_command_says_what_is_stored_and_how_to_resume(capsys, exc, code, first):
    asked = []

    def stored() -> str:
        asked.append(1)
        return "3 of 10 chunks are stored"

    with pytest.raises(typer.Exit) as got, resumable(stored):
        raise exc()
    assert got.value.exit_code == code
    line = " ".join(capsys.readouterr().err.split())  # Rich wraps it at the console's width
    assert line.startswith(first) and line.endswith("run the same command to resume")
    assert asked == [1]  # counted when it stopped, not before


def test_a_finished_command_passes_through_and_other_errors_are_not_caught(capsys):
    with resumable(lambda: "never asked"):
        pass
    with pytest.raises(ValueError), resumable(lambda: "never asked"):
        raise ValueError("not ours")
    assert capsys.readouterr().err == ""
