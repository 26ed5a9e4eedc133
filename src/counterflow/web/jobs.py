"""Background jobs and the local store that keeps them across server restarts.

Layout of the store directory::

    uploads/<id>.yaml          scenario files users uploaded (validated)
    uploads/<id>.json          their display name
    jobs/<id>/job.json         the job: request, status, progress, error
    jobs/<id>/results.pkl      the finished :class:`~counterflow.runner.Results` (with steps)
    jobs/<id>/view.json        what the page shows (the report's content: comparison, chart specs)
    jobs/<id>/runs.{csv,parquet}, steps.{csv,parquet}   downloads
    jobs/<id>/report.html      the HTML report, written on first request

A job runs in its own process (forked from a ``forkserver`` that has the
library imported), watched by a thread of the server: the process reports
its progress over a pipe, and cancel or the job's time limit kill it
(``SIGKILL``), which stops it even inside compiled code that holds the
interpreter lock. Uploaded files are parsed and validated the same way,
in a short-lived process of their own with a time limit. The server itself
never runs a simulation or parses a user's file, so it keeps answering
while jobs run and uploads are checked. Files are written to a temporary name, flushed
to disk and renamed, so a crash never leaves a half-written result; a job
found ``queued`` or ``running`` when the server starts again is marked
``interrupted`` (its request is kept and can be resubmitted), and a job
whose ``job.json`` cannot be read is listed as ``damaged`` with the reason.
"""

from __future__ import annotations

import builtins  # the annotations inside JobManager, whose method `list` hides the builtin
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..experiments.execute import die_with_parent
from ..runner import Results, run_replications
from ..scenario import Scenario
from ..strategy import BASELINE, Strategy, parse_strategy
from .views import clean, results_view

__all__ = ["ApiError", "Limits", "JobManager", "ACTIVE", "DOWNLOADS", "valid_id"]

ACTIVE = ("queued", "running")
#: Finished states (``damaged``: the job file could not be read; the job can only be deleted).
FINAL = ("done", "failed", "cancelled", "interrupted", "damaged")
DOWNLOADS = {"runs.csv": "text/csv", "steps.csv": "text/csv",
             "runs.parquet": "application/vnd.apache.parquet",
             "steps.parquet": "application/vnd.apache.parquet"}
_ID = re.compile(r"^[0-9a-f]{16}$")


def valid_id(ident: str) -> bool:
    """True for the ids this module hands out (16 hex digits); nothing else names a file."""
    return bool(_ID.match(ident))


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", ...}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, /, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **clean(self.extra)}}


@dataclass(frozen=True)
class Limits:
    """What one client may ask of the server.

    ``max_run_steps`` bounds runs x steps x strategies of one job (the work
    it asks for, in simulated steps); ``max_job_seconds`` is the wall time
    after which a job's process is killed and the job reported as failed.
    """

    max_upload_bytes: int = 1_000_000
    max_run_steps: int = 50_000
    max_runs: int = 200
    max_steps: int = 520
    max_active_jobs: int = 2
    max_strategies: int = 8
    max_levers: int = 20
    max_job_seconds: float = 1800.0
    #: wall time allowed to check one uploaded file (in its own process) before it is refused
    max_parse_seconds: float = 300.0
    #: uploads checked at the same time; a further upload waits a few seconds, then gets 429
    max_active_parses: int = 2


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


_CONTEXT = None


def process_context():
    """The ``forkserver`` context shared by job processes (and sweeps): the library is imported once in the server."""
    global _CONTEXT
    if _CONTEXT is None:
        methods = multiprocessing.get_all_start_methods()
        _CONTEXT = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if _CONTEXT.get_start_method() == "forkserver":
            _CONTEXT.set_forkserver_preload(["counterflow.web.jobs", "pyarrow.parquet", "counterflow.web.warm"])
    return _CONTEXT


def _job_main(conn, job_dir: str, scenario: Scenario, strategies: list[Strategy], req: dict,
              server_pid: int) -> None:
    """Body of a job process: run, map, save; report progress and the end over ``conn``."""
    die_with_parent(server_pid)
    try:
        conn.send(("update", {"status": "running", "started": time.time(), "phase": "replications"}))
        res = run_replications(scenario, strategies, runs=req["runs"], seed=req["seed"], steps=req["steps"],
                               progress=lambda n: conn.send(("advance", n)), keep_steps=True, keep_flows=True)
        conn.send(("update", {"phase": "saving"}))
        write_results(Path(job_dir), scenario, strategies, res)
        conn.send(("done", None))
    except InputError as exc:
        conn.send(("failed", exc.to_dict()))
    except Exception as exc:  # noqa: BLE001 - reported as the job's error
        conn.send(("failed", {"message": f"the run failed: {type(exc).__name__}: {exc}"}))
    finally:
        conn.close()


def _parse_main(conn, text: str, filename: str, server_pid: int) -> None:
    """Body of an upload's checking process: parse and validate, send back the scenario and its view."""
    die_with_parent(server_pid)
    try:
        from ..yamlio import load_yaml_text
        from .views import scenario_view

        data, lines = load_yaml_text(text, filename)
        del text
        sc = Scenario.from_dict(data, file=filename, lines=lines)
        del data, lines
        conn.send(("ok", (sc, scenario_view(sc))))
    except InputError as exc:
        conn.send(("invalid", {"message": exc.message, "file": exc.file, "path": exc.path, "line": exc.line}))
    except MemoryError:
        conn.send(("failed", "it needs more memory than this machine has"))
    except Exception as exc:  # noqa: BLE001 - answered as the upload's error
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def write_results(d: Path, scenario: Scenario, strategies: list[Strategy], res: Results) -> None:
    """A finished job's files: downloads, scenario and strategies, results and the page's view."""
    runs, steps = res.table(), res.steps()
    for name, frame in (("runs", runs), ("steps", steps)):
        for ext in ("parquet", "csv"):
            tmp = d / f"{name}.{ext}.tmp{os.getpid()}"
            if ext == "parquet":
                frame.to_parquet(tmp, index=False)
            else:
                frame.to_csv(tmp, index=False)
            os.replace(tmp, d / f"{name}.{ext}")
    _write_atomic(d / "scenario.json", json.dumps(clean(scenario.to_dict())).encode())
    _write_atomic(d / "strategies.json", json.dumps(clean([s.to_dict() for s in strategies])).encode())
    _write_atomic(d / "results.pkl", pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL))
    view = results_view(scenario, res, strategies)
    _write_atomic(d / "view.json", json.dumps(clean(view), separators=(",", ":")).encode())


class JobManager:
    """Creates, runs, cancels and remembers jobs in ``store``."""

    def __init__(self, store: Path | str, limits: Limits | None = None) -> None:
        self.store = Path(store).expanduser()
        self.limits = limits or Limits()
        self.jobs_dir = self.store / "jobs"
        self.uploads_dir = self.store / "uploads"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._jobs: dict[str, dict] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._procs: dict[str, Any] = {}
        self._closing = False
        self._parses = threading.BoundedSemaphore(self.limits.max_active_parses)
        #: held while a job's files are written or removed (report, delete), so neither sees the other half done
        self.files_lock = threading.Lock()
        self._load()

    # ----------------------------------------------------------------- store
    def _load(self) -> None:
        for d in sorted(self.jobs_dir.iterdir()):
            if not (valid_id(d.name) and d.is_dir()):
                continue
            f = d / "job.json"
            try:
                job = json.loads(f.read_text(encoding="utf-8"))
                if not isinstance(job, dict) or job.get("id") != d.name or job.get("status") not in ACTIVE + FINAL:
                    raise ValueError("it is not a job record of this directory")
            except (OSError, ValueError) as exc:
                reason = "is missing" if not f.exists() else f"cannot be read ({type(exc).__name__}: {exc})"
                self._jobs[d.name] = self._damaged(d, f"this job's file job.json {reason}; "
                                                      "its results cannot be shown: delete the job")
                continue
            for key, default in (("created", 0.0), ("strategies", []), ("done", 0), ("total", 0), ("error", None)):
                job.setdefault(key, default)
            if job.get("status") in ACTIVE:
                job["status"] = "interrupted"
                job["error"] = {"message": "the server stopped before this job finished; start it again"}
                job["finished"] = time.time()
                self._save(job)
            self._jobs[job["id"]] = job

    @staticmethod
    def _damaged(d: Path, message: str) -> dict:
        try:
            created = d.stat().st_mtime
        except OSError:
            created = 0.0
        return {"id": d.name, "status": "damaged", "created": created, "started": None, "finished": created,
                "request": None, "scenario": None, "strategies": [], "done": 0, "total": 0,
                "phase": "damaged", "error": {"message": message}}

    def _save(self, job: dict) -> None:
        d = self.jobs_dir / job["id"]
        if not d.is_dir():  # deleted meanwhile: never recreate it
            return
        _write_atomic(d / "job.json", json.dumps(clean(job), indent=1).encode())

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def save_upload(self, text: str, filename: str) -> str:
        """Keep a validated scenario upload; return its id (the same text always gets the same id)."""
        ident = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        _write_atomic(self.uploads_dir / f"{ident}.yaml", text.encode("utf-8"))
        _write_atomic(self.uploads_dir / f"{ident}.json", json.dumps({"filename": filename}).encode())
        return ident

    def parse_upload(self, text: str, filename: str) -> tuple[Scenario, dict]:
        """Parse and validate an uploaded scenario in a process of its own; return it and its page view.

        The server never parses a file itself: a large or hostile file costs a
        child process (killed after ``max_parse_seconds``, or when the server
        ends), not the server's interpreter, so other requests keep being
        answered. Raises :class:`~counterflow.errors.InputError` for a file the
        loader refuses and :class:`ApiError` (413, 422, 429) when the check
        cannot finish.
        """
        lim = self.limits
        if not self._parses.acquire(timeout=5.0):
            raise ApiError(429, "too_many_uploads", f"{lim.max_active_parses} uploads are already being checked; "
                           "try again in a moment", field="file", file=filename)
        try:
            ctx = process_context()
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_parse_main, args=(send, text, filename, os.getpid()),
                               name="counterflow-upload-check", daemon=True)
            proc.start()
            send.close()
            deadline = time.monotonic() + lim.max_parse_seconds
            try:
                while not recv.poll(0.2):  # waits without the interpreter lock
                    if time.monotonic() > deadline or self._closing:
                        raise ApiError(413, "too_large", f"{filename}: checking this file took longer than the "
                                       f"limit of {lim.max_parse_seconds:g} s; upload a smaller network, or "
                                       "validate and run it from the command line", field="file", file=filename)
                    if not proc.is_alive() and not recv.poll(0):
                        break
                try:
                    if not recv.poll(0):
                        raise EOFError
                    kind, value = recv.recv()
                except (EOFError, OSError):
                    proc.join(5)
                    raise ApiError(422, "invalid_input", f"{filename}: the file could not be checked (its checking "
                                   f"process ended with exit code {proc.exitcode}, for example out of memory)",
                                   field="file", file=filename) from None
            finally:
                if proc.is_alive():
                    proc.kill()
                proc.join(10)
                recv.close()
        finally:
            self._parses.release()
        if kind == "invalid":
            raise InputError(**value)
        if kind == "failed":
            raise ApiError(422, "invalid_input", f"{filename}: the file could not be read: {value}",
                           field="file", file=filename)
        return value

    def has_upload(self, ident: str) -> bool:
        return valid_id(ident) and (self.uploads_dir / f"{ident}.yaml").is_file()

    def read_upload(self, ident: str) -> tuple[str, str]:
        """Text and display name of an upload."""
        if not valid_id(ident) or not (self.uploads_dir / f"{ident}.yaml").is_file():
            raise ApiError(404, "unknown_upload", f"no uploaded scenario '{ident}'; upload it again",
                           field="upload")
        try:
            meta = json.loads((self.uploads_dir / f"{ident}.json").read_text(encoding="utf-8"))
            return (self.uploads_dir / f"{ident}.yaml").read_text(encoding="utf-8"), str(meta["filename"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ApiError(410, "damaged_upload", f"the uploaded scenario '{ident}' is damaged in the store; "
                           "upload it again", field="upload") from None

    # ------------------------------------------------------------------ jobs
    def list(self) -> list[dict]:
        with self._lock:
            return sorted((dict(j) for j in self._jobs.values()), key=lambda j: j["created"], reverse=True)

    def get(self, job_id: str) -> dict:
        with self._lock:
            job = self._jobs.get(job_id) if valid_id(job_id) else None
            if job is None:
                raise ApiError(404, "unknown_job", f"no job '{job_id}'")
            return dict(job)

    def submit(self, request: dict, scenario: Scenario, strategies: builtins.list[Strategy]) -> dict:
        """Queue a job and start its process; 429 when too many jobs are already active."""
        lim = self.limits
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j["status"] in ACTIVE)
            if active >= lim.max_active_jobs:
                raise ApiError(429, "too_many_jobs",
                               f"{active} jobs are already running (the limit is {lim.max_active_jobs}); "
                               "wait for one to finish or cancel it")
            job_id = secrets.token_hex(8)
            total = request["runs"] * len(strategies)  # simulated runs: replications x strategies
            job = {"id": job_id, "status": "queued", "created": time.time(), "started": None,
                   "finished": None, "request": request, "scenario": scenario.name,
                   "strategies": [s.name for s in strategies], "done": 0, "total": total,
                   "phase": "queued", "error": None}
            self.job_dir(job_id).mkdir(parents=True)
            self._jobs[job_id] = job
            self._cancel[job_id] = threading.Event()
            self._save(job)
            ctx = process_context()
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_job_main, args=(send, str(self.job_dir(job_id)), scenario, strategies, request,
                                                       os.getpid()),
                               name=f"counterflow-job-{job_id}", daemon=True)
            self._procs[job_id] = proc
            t = threading.Thread(target=self._watch, args=(job_id, proc, recv, send), daemon=True,
                                 name=f"counterflow-job-{job_id}")
            self._threads[job_id] = t
        t.start()
        return dict(job)

    def prepare(self) -> None:
        """Start the jobs' fork server in the background, so that the first job does not wait for it."""
        def start() -> None:
            if process_context().get_start_method() == "forkserver":
                from multiprocessing import forkserver

                forkserver.ensure_running()

        threading.Thread(target=start, daemon=True, name="counterflow-forkserver").start()

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.update(changes)
            self._save(job)

    def _end(self, job_id: str, status: str, error: dict | None = None) -> None:
        self._update(job_id, status=status, phase=status, finished=time.time(), error=error)

    def _watch(self, job_id: str, proc, recv, send) -> None:
        """Start the job's process, relay its reports to the job record, kill it on cancel or time limit."""
        cancel = self._cancel[job_id]
        deadline = time.monotonic() + self.limits.max_job_seconds
        try:
            proc.start()
        except Exception as exc:  # noqa: BLE001 - reported as the job's error
            self._end(job_id, "failed", {"message": f"the job could not be started: {type(exc).__name__}: {exc}"})
            return
        finally:
            send.close()  # the child holds its own end; EOF here means it is gone
        outcome: tuple[str, dict | None] | None = None
        try:
            while outcome is None:
                if cancel.is_set():
                    outcome = ("interrupted", {"message": "the server stopped before this job finished; "
                                                          "start it again"}) if self._closing else ("cancelled", None)
                    break
                if time.monotonic() > deadline:
                    outcome = ("failed", {"message": f"the job ran longer than the limit of "
                                                     f"{self.limits.max_job_seconds:g} s and was stopped "
                                                     "(use fewer runs, fewer steps or a smaller network)"})
                    break
                try:
                    if not recv.poll(0.1):
                        continue
                    kind, value = recv.recv()
                except (EOFError, OSError):
                    proc.join(5)
                    outcome = ("failed", {"message": f"the job's process ended unexpectedly "
                                                     f"(exit code {proc.exitcode})"})
                    break
                if kind == "advance":
                    with self._lock:
                        job = self._jobs.get(job_id)
                        if job is not None:
                            job["done"] = min(job["total"], job["done"] + value)
                            self._save(job)
                elif kind == "update":
                    self._update(job_id, **value)
                elif kind == "done":
                    outcome = ("done", None)
                elif kind == "failed":
                    outcome = ("failed", value)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join(30)
            recv.close()
            self._procs.pop(job_id, None)
        status, error = outcome
        if status != "done":
            for p in self.job_dir(job_id).glob("*.tmp*"):
                p.unlink(missing_ok=True)
        self._end(job_id, status, error)

    def cancel(self, job_id: str) -> dict:
        """Stop a queued or running job now (its process is killed)."""
        job = self.get(job_id)
        if job["status"] not in ACTIVE:
            raise ApiError(409, "not_running", f"job '{job_id}' is {job['status']}; only a running job can be cancelled")
        self._update(job_id, phase="cancelling")
        self._cancel[job_id].set()
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        """Forget a finished job and remove its files (a running job must be cancelled first)."""
        job = self.get(job_id)
        if job["status"] in ACTIVE:
            raise ApiError(409, "still_running", f"job '{job_id}' is {job['status']}; cancel it first, "
                           "then delete it")
        with self.files_lock:  # waits for a report being written into the job's folder
            with self._lock:
                self._jobs.pop(job_id, None)
            d = self.job_dir(job_id)
            trash = d.with_name(f".deleted-{job_id}-{os.getpid()}")
            try:
                os.replace(d, trash)  # one step: the job's folder is gone from its name, whatever remains below
            except FileNotFoundError:
                return
            shutil.rmtree(trash, ignore_errors=True)

    def finished(self, job_id: str) -> dict:
        job = self.get(job_id)
        if job["status"] != "done":
            extra = f" ({job['error']['message']})" if job["status"] == "damaged" else ""
            raise ApiError(409, "not_finished", f"job '{job_id}' is {job['status']}; results exist once it is "
                           f"done{extra}", job_status=job["status"])
        return job

    def _read(self, job_id: str, name: str) -> bytes:
        try:
            return (self.job_dir(job_id) / name).read_bytes()
        except OSError:
            raise ApiError(410, "damaged_job", f"job '{job_id}' lost its file {name}; delete the job and run it "
                           "again", file=name) from None

    def view(self, job_id: str) -> bytes:
        self.finished(job_id)
        return self._read(job_id, "view.json")

    def results(self, job_id: str) -> tuple[Scenario, builtins.list[Strategy], Results]:
        """The scenario, strategies and results of a finished job, read back from the store."""
        self.finished(job_id)
        try:
            data = json.loads(self._read(job_id, "scenario.json"))
            scenario = Scenario.from_dict(data, file=f"{data.get('name', 'scenario')}.yaml")
            raw = json.loads(self._read(job_id, "strategies.json"))
            strategies = [BASELINE if s.get("name") == BASELINE.name and not s.get("levers") else
                          parse_strategy(s, scenario=scenario) for s in raw]
            res = pickle.loads(self._read(job_id, "results.pkl"))  # noqa: S301 - written by this server into its own store
        except (ValueError, pickle.UnpicklingError, EOFError, InputError) as exc:
            raise ApiError(410, "damaged_job", f"job '{job_id}' has damaged result files "
                           f"({type(exc).__name__}); delete the job and run it again") from None
        return scenario, strategies, res

    def wait(self, job_id: str, timeout: float = 60.0) -> dict:
        """Block until the job leaves the active states (used by tests and scripts)."""
        t = self._threads.get(job_id)
        if t is not None:
            t.join(timeout)
        return self.get(job_id)

    def process(self, job_id: str):
        """The job's process while it runs (``None`` once it ended)."""
        return self._procs.get(job_id)

    def close(self) -> None:
        """Stop every running job (the server is shutting down); they are marked interrupted."""
        self._closing = True
        for job_id in list(self._procs):
            ev = self._cancel.get(job_id)
            if ev is not None:
                ev.set()
        for t in list(self._threads.values()):
            t.join(30)

    def limits_dict(self) -> dict:
        return asdict(self.limits)
