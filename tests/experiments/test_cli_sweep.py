"""The `counterflow sweep` command: JSON report, clear errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from counterflow.cli import app

from .conftest import write_experiment


def test_sweep_json_reports_every_run(tmp_path):
    """`sweep --json` prints one JSON object counting stored, failed and missing runs; a rerun runs nothing."""
    f = write_experiment(tmp_path, samples=2, replications=1, steps=6)
    args = ["sweep", str(f), "--store", str(tmp_path / "st"), "--executor", "sequential", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["runs"] == {"expected": 4, "stored": 4, "failed": 0, "missing": 0, "duplicated": 0, "errors": []}
    assert data["ran_now"] == 4
    again = json.loads(CliRunner().invoke(app, args).stdout)
    assert again["ran_now"] == 0 and again["runs"]["stored"] == 4


def test_sweep_bad_input_exits_2_with_one_message(tmp_path):
    """A bad experiment, executor or option combination gives exit status 2 and one line, no traceback."""
    bad = write_experiment(tmp_path, "bad.yaml", sampler="grid", samples=5)
    good = write_experiment(tmp_path, "good.yaml")
    cases = [
        (["sweep", str(bad), "--store", str(tmp_path / "a")], "bad.yaml, line"),
        (["sweep", str(good), "--store", str(tmp_path / "b"), "--executor", "mpi"], "unknown executor 'mpi'"),
        (["sweep", str(good), "--store", str(tmp_path / "c"), "--address", "tcp://x:1"], "--address needs"),
        (["sweep", str(tmp_path / "missing.yaml"), "--store", str(tmp_path / "d")], "file not found"),
        (["sensitivity", str(tmp_path / "nowhere")], "no metadata.json"),
    ]
    for args, message in cases:
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.stderr and "Traceback" not in r.output + r.stderr


def test_an_address_nobody_listens_on_is_one_message_and_exit_2(tmp_path, monkeypatch):
    """sweep, search and calibrate with --address at a closed local port: exit 2, one line naming the
    address and the connect timeout, no traceback (the timeout is cut to 1 s to keep the test short)."""
    import socket

    from counterflow.experiments import execute

    monkeypatch.setattr(execute, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    exp = write_experiment(tmp_path)
    obs = tmp_path / "obs.csv"
    obs.write_text("step,delivered_kg\n0,1000\n", encoding="utf-8")
    dask = ["--executor", "dask", "--address", address]
    cases = [
        ["sweep", str(exp), "--store", str(tmp_path / "st")] + dask,
        ["search", str(Path(__file__).parents[2] / "examples" / "caribbean-search.yaml"), "--store", str(tmp_path / "se")] + dask,
        ["calibrate", "caribbean", str(obs), "--param", "organisations.org_a.risk_aversion=0.5:2"] + dask,
        ["sweep", str(exp), "--store", str(tmp_path / "st2"), "--executor", "dask", "--address", "tcp://::1"],
    ]
    for args in cases:
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output + r.stderr, r.stderr
        assert r.stderr.count("field '--address'") == 1, r.stderr
    assert f"no Dask scheduler answered at {address} within 1 s" in CliRunner().invoke(app, cases[0]).stderr


def _server(reply: bytes | None):
    """A real TCP server on a free local port, in a thread: it accepts every connection and either stays
    silent (``reply`` None) or answers ``reply`` once; it stops when the returned ``stop`` is called."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            held.append(conn)  # kept open: the silent server never closes on the client
            if reply is not None:
                conn.sendall(reply)

    t = threading.Thread(target=serve, daemon=True)
    t.start()

    def stop() -> None:
        done.set()
        t.join()
        for c in held:
            c.close()
        srv.close()

    return f"tcp://127.0.0.1:{srv.getsockname()[1]}", stop


def test_an_address_that_is_not_a_dask_scheduler_is_one_message_and_exit_2(tmp_path):
    """search with --address at a server that accepts and stays silent, or answers HTTP: exit 2 with one line
    naming --address instead of a hang or a traceback, and no store folder left behind (a subprocess, so a
    hang fails the test at its timeout instead of hanging the suite)."""
    import os
    import subprocess
    import sys

    search = Path(__file__).parents[2] / "examples" / "caribbean-search.yaml"
    src = Path(__file__).parents[2] / "src"
    for reply, words in [(None, "no Dask scheduler answered at"),
                         (b"HTTP/1.1 400 Bad Request\r\n\r\n", "is not a Dask scheduler")]:
        address, stop = _server(reply)
        try:
            store = tmp_path / "se"
            r = subprocess.run([sys.executable, "-m", "counterflow", "search", str(search), "--store", str(store),
                                "--executor", "dask", "--address", address],
                               capture_output=True, text=True, timeout=90, env={**os.environ, "PYTHONPATH": str(src)})
        finally:
            stop()
        assert r.returncode == 2, (reply, r.stdout, r.stderr)
        assert "Traceback" not in r.stdout + r.stderr, r.stderr
        assert r.stderr.count("field '--address'") == 1 and words in r.stderr, r.stderr
        assert not store.exists()
