"""``counterflow serve``: the web app on a local port."""

from __future__ import annotations

import ipaddress
import math
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from . import app
from .common import err, handles_errors, require_extra

__all__ = ["serve", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _finite(value: float) -> float:
    """Refuse ``nan`` and ``inf`` for a time limit (the range check alone lets them through)."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number of seconds")
    return value


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind. Keep the loopback default unless you mean to share it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, metavar="PORT", help="Port to listen on.")] = 8000,
    store: Annotated[Path | None, typer.Option(metavar="DIR", help="Directory keeping uploads, jobs and results (default ~/.counterflow/web).")] = None,
    max_active_jobs: Annotated[int, typer.Option(min=1, help="Jobs allowed to run at the same time.")] = 2,
    max_run_steps: Annotated[int, typer.Option(min=1, help="Limit on runs x steps x strategies per job.")] = 50_000,
    max_job_seconds: Annotated[float, typer.Option(min=1.0, callback=_finite, help="Wall time after which a job is stopped.")] = 1800.0,
    max_runs: Annotated[int, typer.Option(min=1, help="Replications per job.")] = 200,
    max_steps: Annotated[int, typer.Option(min=1, help="Steps per run.")] = 520,
    max_strategies: Annotated[int, typer.Option(min=1, help="Strategies per job, the baseline aside.")] = 8,
    max_levers: Annotated[int, typer.Option(min=1, help="Levers per strategy.")] = 20,
    max_upload_bytes: Annotated[int, typer.Option(min=1000, metavar="BYTES", help="Size limit of an uploaded file and of a request body, counted while it streams in (at least 1000).")] = 1_000_000,
    max_parse_seconds: Annotated[float, typer.Option(min=0.1, callback=_finite, help="Wall time allowed to check one uploaded file (in a process of its own) before it is refused with 413.")] = 300.0,
    max_active_parses: Annotated[int, typer.Option(min=1, help="Uploads checked at the same time; a further one waits up to 5 s, then gets 429.")] = 2,
    stores: Annotated[list[Path] | None, typer.Option("--stores", metavar="DIR", help="A folder of search and sweep stores the page may open (repeatable); nothing else is readable.")] = None,
) -> None:
    """Serve the web app on a local port.

    Explore scenarios and strategies in a browser (works offline).
    """
    require_extra("web", "fastapi", "uvicorn", "multipart")
    import uvicorn

    from ..web import Limits, create_app, default_store

    store = store or default_store()
    for folder in stores or []:
        if not folder.is_dir():
            raise InputError("is not a folder (give --stores a folder holding search or sweep stores)",
                             file=str(folder))
    local = is_loopback(host)
    if not local:
        err.print(f"[bold yellow]warning:[/] binding to {host}: anyone who can reach this address can start "
                  "simulations and read results; there is no authentication. Use 127.0.0.1 to keep it local.",
                  highlight=False)
    limits = Limits(max_active_jobs=max_active_jobs, max_run_steps=max_run_steps, max_job_seconds=max_job_seconds,
                    max_runs=max_runs, max_steps=max_steps, max_strategies=max_strategies, max_levers=max_levers,
                    max_upload_bytes=max_upload_bytes, max_parse_seconds=max_parse_seconds,
                    max_active_parses=max_active_parses)
    # on loopback (IPv4 or IPv6), refuse Host headers that do not name this machine: a web page
    # elsewhere cannot drive the API through DNS rebinding
    roots: list[Path | str] | None = list(stores) if stores else None
    web = create_app(store, limits, loopback_only=local, stores=roots)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"Counterflow web app on http://{shown}:{port}/  (store: {store}; Ctrl+C to stop)", highlight=False)
    for folder in stores or []:
        err.print(f"  search and sweep stores under {folder}", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")
