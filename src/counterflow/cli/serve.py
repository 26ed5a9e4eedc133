"""``counterflow serve``: the web app on a local port."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

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


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to bind. Keep the loopback default unless you mean to share it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, metavar="PORT", help="Port to listen on.")] = 8000,
    store: Annotated[Path | None, typer.Option(metavar="DIR", help="Directory keeping uploads, jobs and results (default ~/.counterflow/web).")] = None,
    max_active_jobs: Annotated[int, typer.Option(min=1, help="Jobs allowed to run at the same time.")] = 2,
    max_run_steps: Annotated[int, typer.Option(min=1, help="Limit on runs x steps x strategies per job.")] = 50_000,
) -> None:
    """Serve the web app on a local port.

    Explore scenarios and strategies in a browser (works offline).
    """
    require_extra("web", "fastapi", "uvicorn", "multipart")
    import uvicorn

    from ..web import Limits, create_app, default_store

    store = store or default_store()
    local = is_loopback(host)
    if not local:
        err.print(f"[bold yellow]warning:[/] binding to {host}: anyone who can reach this address can start "
                  "simulations and read results; there is no authentication. Use 127.0.0.1 to keep it local.",
                  highlight=False)
    limits = Limits(max_active_jobs=max_active_jobs, max_run_steps=max_run_steps)
    # on loopback, refuse other Host headers (a web page elsewhere cannot drive the API via DNS rebinding)
    hosts = sorted({"127.0.0.1", "localhost", host}) if local and ":" not in host else None
    web = create_app(store, limits, allowed_hosts=hosts)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"Counterflow web app on http://{shown}:{port}/  (store: {store}; Ctrl+C to stop)", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")
