"""``--executor/--workers/--address`` are checked by one function: every command that takes them refuses the same
bad combination with the same message and exit status 2, before it reads any file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from counterflow.cli import app

#: each command with the executor options, with arguments that are never read (the check comes first)
COMMANDS = {
    "sweep": ["sweep", "never-read.yaml", "--store", "never-made"],
    "search": ["search", "never-read.yaml", "--store", "never-made"],
    "calibrate": ["calibrate", "caribbean", "never-read.csv", "--param", "x=0:1"],
}

BAD = {
    "unknown executor": (["--executor", "mpi"], "unknown executor 'mpi'; expected one of: sequential, local, dask"),
    "address without dask": (["--address", "tcp://127.0.0.1:1"], "--address needs --executor dask"),
    "workers when sequential": (["--executor", "sequential", "--workers", "2"],
                                "--workers needs --executor local or dask (sequential runs in this process)"),
    "workers with an address": (["--executor", "dask", "--address", "tcp://127.0.0.1:1", "--workers", "2"],
                                "--workers does not apply with --address: the cluster at the address has its own "
                                "workers"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_command_refuses_a_bad_combination_alike(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra, message = BAD[case]
    seen = {}
    for name, args in COMMANDS.items():
        r = CliRunner().invoke(app, [*args, *extra])
        assert r.exit_code == 2, (name, r.output)
        assert "Traceback" not in r.output + r.stderr
        seen[name] = r.stderr.strip()
    assert len(set(seen.values())) == 1, seen  # one message, word for word
    assert message in seen["sweep"]
    assert not any(tmp_path.iterdir())  # refused before anything was made
