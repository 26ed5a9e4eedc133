"""`counterflow serve`: loopback by default, a warning elsewhere, Host headers checked on loopback."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time

import httpx
import pytest

from counterflow.cli.serve import is_loopback


def test_is_loopback():
    """Loopback names and addresses are recognised; wildcard and public addresses are not."""
    assert all(is_loopback(h) for h in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
    assert not any(is_loopback(h) for h in ["0.0.0.0", "::", "192.168.1.10", "example.org"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path, *args: str):
    port = _free_port()
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen([sys.executable, "-m", "counterflow", "serve", "--port", str(port),
                             "--store", str(tmp_path / "store"), *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    return proc, port


def _read_until(proc, needle: str, timeout: float = 30) -> str:
    text, deadline = "", time.monotonic() + timeout
    while needle not in text and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            line = proc.stderr.readline()
            if not line:
                break
            text += line
    return text


def _get(url: str, **kw) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get(url, timeout=5, **kw)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.timeout(60)
def test_serve_default_is_local_and_checks_host(tmp_path):
    """By default the server binds 127.0.0.1, serves the page, and refuses foreign Host headers."""
    proc, port = _serve(tmp_path)
    try:
        text = _read_until(proc, "Counterflow web app")
        assert f"http://127.0.0.1:{port}/" in text and "warning" not in text
        assert _get(f"http://127.0.0.1:{port}/api/config").status_code == 200
        assert _get(f"http://127.0.0.1:{port}/", headers={"Host": "attacker.example"}).status_code == 400
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.timeout(60)
def test_serve_warns_when_not_loopback(tmp_path):
    """Binding to all interfaces prints a warning that anyone who can reach it can use it."""
    proc, port = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        text = _read_until(proc, "Counterflow web app")
        assert "warning" in text and "0.0.0.0" in text and "no authentication" in text
        assert _get(f"http://127.0.0.1:{port}/api/scenarios").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.timeout(150)
def test_serve_on_ipv6_loopback_checks_host(tmp_path):
    """`--host ::1` keeps the Host check: loopback names are served, other hosts refused (no DNS rebinding)."""
    proc, port = _serve(tmp_path, "--host", "::1")
    try:
        text = _read_until(proc, "Counterflow web app", timeout=120)
        assert f"http://[::1]:{port}/" in text and "warning" not in text
        assert _get(f"http://[::1]:{port}/api/config").status_code == 200
        assert _get(f"http://[::1]:{port}/api/config", headers={"Host": "localhost"}).status_code == 200
        assert _get(f"http://[::1]:{port}/", headers={"Host": "attacker.example"}).status_code == 400
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.timeout(60)
def test_serve_limit_options_reach_the_server(tmp_path):
    """Every upload and job limit has an option; the running server reports the values given."""
    given = {"max_upload_bytes": 5000, "max_parse_seconds": 7.5, "max_active_parses": 3, "max_runs": 5,
             "max_steps": 40, "max_strategies": 2, "max_levers": 4, "max_active_jobs": 1, "max_run_steps": 900,
             "max_job_seconds": 60.0}
    args = [a for k, v in given.items() for a in ("--" + k.replace("_", "-"), str(v))]
    proc, port = _serve(tmp_path, *args)
    try:
        _read_until(proc, "Counterflow web app")
        assert _get(f"http://127.0.0.1:{port}/api/config").json()["limits"] == given
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("option, value", [
    ("--max-upload-bytes", "999"), ("--max-parse-seconds", "0"), ("--max-parse-seconds", "nan"),
    ("--max-parse-seconds", "inf"), ("--max-active-parses", "0"), ("--max-runs", "0"), ("--max-steps", "-1"),
    ("--max-strategies", "0"), ("--max-levers", "0"), ("--max-job-seconds", "inf"), ("--max-active-jobs", "0"),
    ("--max-upload-bytes", "lots"),
])
def test_serve_limit_out_of_range_exits_2(tmp_path, option, value):
    """An out-of-range limit is refused before anything starts: exit 2 and a message naming the option."""
    from typer.testing import CliRunner

    from counterflow.cli import app

    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "store"), option, value])
    assert r.exit_code == 2, r.output
    assert option in r.output and "Traceback" not in r.output
    assert not (tmp_path / "store").exists()
