"""The end of a command's output: a reader that closes the pipe early (``counterflow run ... | head -1``)
ends the command with exit 0 and no traceback; ``run`` ends through :class:`ResultsShown`, and the
process it ends without the interpreter's teardown still runs its exit handlers and flushes its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from counterflow.cli import ResultsShown, app

SRC = Path(__file__).parents[2] / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC)}
RUN = ["run", "caribbean", "--runs", "1", "--steps", "1"]
#: a guard against a hang only: in a fresh clone on a loaded host the first process compiles the kernels
TIMEOUT = 900


def _into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess:
    """``counterflow ARGS`` with stdout a pipe whose reader has already gone (every write fails)."""
    r, w = os.pipe()
    os.close(r)
    try:
        return subprocess.run([sys.executable, "-m", "counterflow", *args], stdout=w, stderr=subprocess.PIPE,
                              text=True, env=ENV, timeout=TIMEOUT)
    finally:
        os.close(w)


@pytest.mark.parametrize("args", [RUN, [*RUN, "--json"], [*RUN, "--format", "csv"], ["scenarios"],
                                  ["schema", "strategy"], ["--version"], ["--help"], ["run", "--help"]],
                         ids=["run-table", "run-json", "run-csv", "scenarios-table", "schema-json", "version", "help",
                              "run-help"])
def test_a_closed_stdout_ends_the_command_with_status_0_and_no_traceback(args):
    p = _into_closed_pipe(args)
    assert p.returncode == 0, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "Error" not in p.stderr, p.stderr


def test_run_says_its_results_are_shown_and_the_process_ends_with_them_written(tmp_path, capsys):
    """``run`` raises ResultsShown (exit 0) after its output; through the entry point the exit handlers run
    and what they leave unflushed on stdout is written before the process ends."""
    with pytest.raises(ResultsShown) as stop:
        app([*RUN, "--json"])
    assert stop.value.code == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 1

    out = tmp_path / "out.txt"
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stdout.write('exit handler ran\\n'))\n"  # left in the buffer
            f"sys.argv = ['counterflow', *{[*RUN, '--json']!r}]\n"
            "from counterflow.__main__ import main\n"
            "main()\n"
            "print('not reached')\n")
    with out.open("w") as f:
        p = subprocess.run([sys.executable, "-c", code], stdout=f, stderr=subprocess.PIPE, text=True, env=ENV,
                           timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert text.endswith("exit handler ran\n") and "not reached" not in text, text
    assert json.loads(text[: -len("exit handler ran\n")])["runs"] == 1


def test_bad_input_to_run_still_exits_2():
    p = subprocess.run([sys.executable, "-m", "counterflow", "run", "caribbean", "--strategy", "nope", "--runs", "1"],
                       capture_output=True, text=True, env=ENV, timeout=TIMEOUT)
    assert p.returncode == 2 and "error:" in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_a_broken_pipe_that_is_not_the_output_is_an_error(capsys):
    """A pipe of the command's own (a worker's, a FIFO given as a path) that breaks is a failure: one line, exit 2."""
    import typer

    from counterflow.cli.common import handles_errors

    @handles_errors
    def command():
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(typer.Exit) as stop:
        command()
    assert stop.value.exit_code == 2
    assert capsys.readouterr().err == "error: a pipe: Broken pipe\n"
