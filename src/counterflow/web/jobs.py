"""Background jobs and the local store that keeps them across server restarts.

Layout of the store directory::

    uploads/<id>.yaml          scenario files users uploaded (validated)
    uploads/<id>.json          their display name
    jobs/<id>/job.json         the job: request, status, progress, error
    jobs/<id>/results.pkl      the finished :class:`~counterflow.runner.Results` (with steps)
    jobs/<id>/view.json        what the page shows (the report's content: comparison, chart specs)
    jobs/<id>/runs.{csv,parquet}, steps.{csv,parquet}   downloads
    jobs/<id>/report.html      the HTML report, written on first request

A job runs in a worker thread; the progress callback of
:func:`~counterflow.runner.run_replications` checks the job's cancel flag
after every replication and stops the run when it is set. Files are written
to a temporary name and renamed, so a crash never leaves a half-written
result, and a job found ``queued`` or ``running`` when the server starts
again is marked ``interrupted`` (its request is kept and can be resubmitted).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..runner import Results, run_replications
from ..scenario import Scenario
from ..strategy import BASELINE, Strategy, parse_strategy
from .views import clean, results_view

__all__ = ["ApiError", "Limits", "JobManager", "JobCancelled", "ACTIVE", "DOWNLOADS", "valid_id"]

ACTIVE = ("queued", "running")
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


class JobCancelled(Exception):
    """Raised inside a worker when its job was cancelled."""


@dataclass(frozen=True)
class Limits:
    """What one client may ask of the server.

    ``max_run_steps`` bounds runs x steps x strategies of one job (the work
    it asks for, in simulated steps).
    """

    max_upload_bytes: int = 1_000_000
    max_run_steps: int = 50_000
    max_runs: int = 200
    max_steps: int = 520
    max_active_jobs: int = 2
    max_strategies: int = 8
    max_levers: int = 20


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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
        self._load()

    # ----------------------------------------------------------------- store
    def _load(self) -> None:
        for d in sorted(self.jobs_dir.iterdir()):
            f = d / "job.json"
            if not (valid_id(d.name) and f.is_file()):
                continue
            try:
                job = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if job.get("status") in ACTIVE:
                job["status"] = "interrupted"
                job["error"] = {"message": "the server stopped before this job finished; start it again"}
                job["finished"] = time.time()
                self._save(job)
            self._jobs[job["id"]] = job

    def _save(self, job: dict) -> None:
        d = self.jobs_dir / job["id"]
        d.mkdir(parents=True, exist_ok=True)
        _write_atomic(d / "job.json", json.dumps(clean(job), indent=1).encode())

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def save_upload(self, text: str, filename: str) -> str:
        """Keep a validated scenario upload; return its id (the same text always gets the same id)."""
        ident = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        _write_atomic(self.uploads_dir / f"{ident}.yaml", text.encode("utf-8"))
        _write_atomic(self.uploads_dir / f"{ident}.json", json.dumps({"filename": filename}).encode())
        return ident

    def read_upload(self, ident: str) -> tuple[str, str]:
        """Text and display name of an upload."""
        if not valid_id(ident) or not (self.uploads_dir / f"{ident}.yaml").is_file():
            raise ApiError(404, "unknown_upload", f"no uploaded scenario '{ident}'; upload it again",
                           field="upload")
        meta = json.loads((self.uploads_dir / f"{ident}.json").read_text(encoding="utf-8"))
        return (self.uploads_dir / f"{ident}.yaml").read_text(encoding="utf-8"), meta["filename"]

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

    def submit(self, request: dict, scenario: Scenario, strategies: list[Strategy],
               load: Callable[[], Scenario] | None = None) -> dict:
        """Queue a job and start its worker; 429 when too many jobs are already active."""
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
            self._jobs[job_id] = job
            self._cancel[job_id] = threading.Event()
            self._save(job)
        t = threading.Thread(target=self._work, args=(job_id, scenario, strategies), daemon=True,
                             name=f"counterflow-job-{job_id}")
        self._threads[job_id] = t
        t.start()
        return dict(job)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            job.update(changes)
            self._save(job)

    def _advance(self, job_id: str, n: int) -> None:
        if self._cancel[job_id].is_set():
            raise JobCancelled
        with self._lock:
            job = self._jobs[job_id]
            job["done"] = min(job["total"], job["done"] + n)
            self._save(job)

    def _work(self, job_id: str, scenario: Scenario, strategies: list[Strategy]) -> None:
        req = self.get(job_id)["request"]
        d = self.job_dir(job_id)
        try:
            self._update(job_id, status="running", started=time.time(), phase="replications")
            res = run_replications(scenario, strategies, runs=req["runs"], seed=req["seed"], steps=req["steps"],
                                   progress=lambda n: self._advance(job_id, n), keep_steps=True, keep_flows=True)
            self._update(job_id, phase="saving")
            self._write_results(d, scenario, strategies, res)
            if self._cancel[job_id].is_set():
                raise JobCancelled
            self._update(job_id, status="done", phase="done", finished=time.time())
        except JobCancelled:
            self._update(job_id, status="cancelled", phase="cancelled", finished=time.time())
        except InputError as exc:
            self._update(job_id, status="failed", phase="failed", finished=time.time(), error=exc.to_dict())
        except Exception as exc:  # noqa: BLE001 - a failed job must be reported, never crash the server
            self._update(job_id, status="failed", phase="failed", finished=time.time(),
                         error={"message": f"the run failed: {type(exc).__name__}: {exc}"})

    def _write_results(self, d: Path, scenario: Scenario, strategies: list[Strategy], res: Results) -> None:
        runs, steps = res.table(), res.steps()
        for name, frame in (("runs", runs), ("steps", steps)):
            tmp = d / f"{name}.parquet.tmp"
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, d / f"{name}.parquet")
            tmp = d / f"{name}.csv.tmp"
            frame.to_csv(tmp, index=False)
            os.replace(tmp, d / f"{name}.csv")
        _write_atomic(d / "scenario.json", json.dumps(clean(scenario.to_dict())).encode())
        _write_atomic(d / "strategies.json", json.dumps(clean([s.to_dict() for s in strategies])).encode())
        _write_atomic(d / "results.pkl", pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL))
        view = results_view(scenario, res, strategies)
        _write_atomic(d / "view.json", json.dumps(clean(view), separators=(",", ":")).encode())

    def cancel(self, job_id: str) -> dict:
        """Ask a queued or running job to stop after the replication in progress."""
        job = self.get(job_id)
        if job["status"] not in ACTIVE:
            raise ApiError(409, "not_running", f"job '{job_id}' is {job['status']}; only a running job can be cancelled")
        self._cancel[job_id].set()
        self._update(job_id, phase="cancelling")
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        """Forget a finished job and remove its files."""
        job = self.get(job_id)
        if job["status"] in ACTIVE:
            raise ApiError(409, "still_running", f"job '{job_id}' is {job['status']}; cancel it first")
        with self._lock:
            self._jobs.pop(job_id, None)
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def finished(self, job_id: str) -> dict:
        job = self.get(job_id)
        if job["status"] != "done":
            raise ApiError(409, "not_finished", f"job '{job_id}' is {job['status']}; results exist once it is done",
                           job_status=job["status"])
        return job

    def view(self, job_id: str) -> bytes:
        self.finished(job_id)
        return (self.job_dir(job_id) / "view.json").read_bytes()

    def results(self, job_id: str) -> tuple[Scenario, list[Strategy], Results]:
        """The scenario, strategies and results of a finished job, read back from the store."""
        self.finished(job_id)
        d = self.job_dir(job_id)
        data = json.loads((d / "scenario.json").read_text(encoding="utf-8"))
        scenario = Scenario.from_dict(data, file=f"{data.get('name', 'scenario')}.yaml")
        raw = json.loads((d / "strategies.json").read_text(encoding="utf-8"))
        strategies = [BASELINE if s.get("name") == BASELINE.name and not s.get("levers") else
                      parse_strategy(s, scenario=scenario) for s in raw]
        with open(d / "results.pkl", "rb") as fh:
            res = pickle.load(fh)  # noqa: S301 - written by this server into its own store
        return scenario, strategies, res

    def wait(self, job_id: str, timeout: float = 60.0) -> dict:
        """Block until the job leaves the active states (used by tests and scripts)."""
        t = self._threads.get(job_id)
        if t is not None:
            t.join(timeout)
        return self.get(job_id)

    def limits_dict(self) -> dict:
        return asdict(self.limits)
