"""Run one hostile input through the command line in a child process killed after a time bound.

Used by the robustness tests and by ``benchmarks/bench_fuzz.py``. A case is a set of files
(name -> text or bytes) and a command. The child (forked from a parent that has already
compiled the kernels, so a case costs only its own run) invokes the CLI in-process and
reports one outcome:

``refused``
    exit status 2 with exactly one line ``error: ...`` on stderr and no traceback;
``completed``
    ``validate`` said ok (or the import wrote a scenario) and a short ``run`` exited 0 with
    finite numbers for every absolute outcome;
``traceback``
    anything else: an exception, another exit status, a refusal after ``validate`` said ok,
    several lines of error, or non-finite outcomes;
``hang``
    the child did not finish within the time bound (compiled code holds the GIL, so only a
    separate process can be stopped: it is killed).
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

# outcomes a run must state as finite numbers (others, such as recovery_steps, may be undefined)
ABSOLUTE = ("delivered_kg", "seized_kg", "active_nodes", "route_entropy", "civilian_harm", "backlash", "cost_usd")
RUN_STEPS = 3


@dataclass
class Outcome:
    status: str          # refused | completed | traceback | hang
    detail: str = ""


_COMMAND: list = []


def _command():
    """The click command of the CLI, built once (typer rebuilds it on every invocation otherwise)."""
    if not _COMMAND:
        from typer.main import get_command

        from counterflow.cli import app

        _COMMAND.append(get_command(app))
    return _COMMAND[0]


def warm() -> None:
    """Import the CLI and compile the kernels once in this process (forked children inherit them)."""
    _invoke(["run", "corridor", "--runs", "1", "--steps", "1", "--json", "-s", "baseline"])


def _invoke(args: list[str]):
    import typer.testing

    from counterflow.cli import app

    cmd = _command()
    saved = typer.testing._get_command
    typer.testing._get_command = lambda _app: cmd
    try:
        return CliRunner().invoke(app, args, catch_exceptions=True)
    finally:
        typer.testing._get_command = saved


def _refusal(r) -> Outcome:
    err = (r.stderr or "").strip()
    lines = err.splitlines()
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        tb = "".join(traceback.format_exception(r.exception))
        return Outcome("traceback", tb[-2000:])
    if r.exit_code == 2 and len(lines) == 1 and lines[0].startswith(("error:", "Error:")) \
            and "Traceback" not in err:
        return Outcome("refused", lines[0])
    if r.exit_code == 2 and "Usage:" in err and "Traceback" not in err:   # a typer/click option error
        return Outcome("refused", " ".join(ln.strip(" │╭╮╰╯─") for ln in lines if "Invalid" in ln or "range" in ln))
    return Outcome("traceback", f"exit {r.exit_code}: {err[-2000:]}")


def _check_run(scenario: Path, steps: int) -> Outcome:
    r = _invoke(["run", str(scenario), "--runs", "1", "--steps", str(steps), "--json"])
    if r.exit_code != 0 or r.exception is not None and not isinstance(r.exception, SystemExit):
        out = _refusal(r)
        if out.status == "refused":   # validate said ok, so run must work
            return Outcome("traceback", "run refused a scenario validate accepted: " + out.detail)
        return out
    try:
        data = json.loads(r.stdout)
    except json.JSONDecodeError:
        return Outcome("traceback", "run printed no JSON: " + r.stdout[-500:])
    for name, per in data["strategies"].items():
        for m in ABSOLUTE:
            for stat, v in per.get(m, {}).items():
                if not isinstance(v, int | float) or not math.isfinite(v):
                    return Outcome("traceback", f"non-finite {m}.{stat} = {v} under {name}")
    return Outcome("completed", f"{len(data['strategies'])} strategies")


def _child(conn, files: dict, command: list[str], run_steps: int) -> None:
    try:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            for name, content in files.items():
                p = d / name
                p.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    p.write_bytes(content)
                else:
                    p.write_text(content, encoding="utf-8")
            args = [a.replace("{dir}", tmp) for a in command]
            if args[0] == "validate":
                r = _invoke(args)
                if r.exit_code != 0 or r.exception is not None and not isinstance(r.exception, SystemExit):
                    out = _refusal(r)
                elif r.stdout.startswith("ok: strategy"):
                    # a damaged scenario can be a valid strategy file (e.g. only 'name' left): run it on a
                    # shipped scenario, where it may still be refused cleanly (targets checked there)
                    run = _invoke(["run", "corridor", "-s", args[1], "--runs", "1", "--steps", str(run_steps),
                                   "--json"])
                    out = Outcome("completed", "strategy file") if run.exit_code == 0 else _refusal(run)
                else:
                    out = _check_run(Path(args[1]), run_steps)
            elif args[0] == "import":
                target = d / "imported.yaml"
                r = _invoke(args + ["--output", str(target)])
                if r.exit_code != 0 or r.exception is not None and not isinstance(r.exception, SystemExit):
                    out = _refusal(r)
                else:
                    v = _invoke(["validate", str(target)])
                    out = _check_run(target, run_steps) if v.exit_code == 0 else \
                        Outcome("traceback", "an imported scenario does not validate: " + (v.stderr or "")[-500:])
            else:
                r = _invoke(args)
                out = _refusal(r) if r.exit_code != 0 else Outcome("completed", "")
    except BaseException as exc:  # noqa: BLE001 - reported as the outcome
        out = Outcome("traceback", "".join(traceback.format_exception(exc))[-2000:])
    conn.send((out.status, out.detail))
    conn.close()


def run_case(files: dict, command: list[str], *, timeout: float = 60.0, run_steps: int = RUN_STEPS) -> Outcome:
    """Run ``command`` (``validate FILE``, ``import FMT FILES...`` or any CLI command; ``{dir}`` is the
    folder holding ``files``) in a forked child; kill it after ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, files, command, run_steps), daemon=True)
    proc.start()
    send.close()
    got = recv.poll(timeout)
    if not got:
        proc.kill()
        proc.join()
        recv.close()
        return Outcome("hang", f"no answer within {timeout:g} s")
    try:
        status, detail = recv.recv()
    except EOFError:
        status, detail = "traceback", f"the child died (exit {proc.exitcode})"
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    recv.close()
    return Outcome(status, detail)


def scenario_case(data: dict, *, timeout: float = 60.0, run_steps: int = RUN_STEPS) -> Outcome:
    """Validate-then-run a scenario given as parsed data (dumped to YAML in the child's folder)."""
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return run_case({"s.yaml": text}, ["validate", os.path.join("{dir}", "s.yaml")], timeout=timeout,
                    run_steps=run_steps)
