"""The FastAPI application: a JSON API over the library and the one page that uses it.

Clients send data only — scenario names, ids this server handed out, YAML
scenario files, strategies as data in the strategy-file format — never file
paths or code. Every problem with input is answered with a 4xx and
``{"error": {"code", "message", "field", "line", ...}}``.

Requests that change state (POST, PUT, PATCH, DELETE) must carry the header
``X-Counterflow: 1``, which the page's script sends and a form or a script
on another site cannot (a browser sends a custom header cross-origin only
after a preflight this server never approves); a request whose ``Origin``
is another site is refused as well. Bodies are counted as they stream in
and refused with 413 once over the limit, whatever ``Content-Length`` says.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from .. import __version__
from ..errors import InputError
from ..scenario import Scenario, builtin_scenarios, load_builtin
from ..schema import Checker
from ..strategy import Strategy, parse_strategy, resolve_strategies
from ..yamlio import check_document_size
from .jobs import DOWNLOADS, ApiError, JobManager, Limits
from .stores import StoreIndex, attachment, register_store_routes
from .views import WIDTH, lever_catalog, scenario_view

__all__ = ["create_app", "default_store", "STATIC_DIR", "CLIENT_HEADER", "is_loopback_host"]

STATIC_DIR = Path(__file__).with_name("static")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+()-]{0,59}$")
_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


#: The header every state-changing request must carry (the page's script sends it).
CLIENT_HEADER = "X-Counterflow"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_loopback_host(host: str) -> bool:
    """True when a ``Host`` header value (with or without port) names this machine: localhost, 127.0.0.0/8, ::1.

    >>> [is_loopback_host(h) for h in ("127.0.0.1:8000", "127.9.9.9", "[::1]:80", "localhost", "evil.example:80")]
    [True, True, True, True, False]
    """
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        name = host.rsplit(":", 1)[0]
    else:
        name = host
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


async def _send_error(send, status: int, code: str, message: str) -> None:
    body = json.dumps(ApiError(status, code, message).to_dict()).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware: Host check (loopback), the client header and origin check, and the streamed body limit."""

    def __init__(self, app, max_body: int, loopback_only: bool, allowed_hosts: list[str] | None) -> None:
        self.app, self.max_body = app, max_body
        self.loopback_only, self.allowed_hosts = loopback_only, allowed_hosts

    def _host_ok(self, host: str) -> bool:
        if self.loopback_only and not is_loopback_host(host):
            return False
        if self.allowed_hosts:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            return name.lower() in {h.lower() for h in self.allowed_hosts} or "*" in self.allowed_hosts
        return True

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not self._host_ok(host):
            await _send_error(send, 400, "invalid_host", f"Host '{host[:100]}' is not served here; open the page "
                              "at the address the server printed")
            return
        if scope["method"] not in _SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
                await _send_error(send, 403, "cross_origin", "requests from another site are refused; use the "
                                  "page this server serves")
                return
            if not headers.get(CLIENT_HEADER.lower()):
                await _send_error(send, 403, "missing_header", f"requests that change anything need the header "
                                  f"'{CLIENT_HEADER}: 1' (the page sends it; forms on other sites cannot)")
                return
        size = headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > self.max_body:
            await _send_error(send, 413, "too_large", f"the request is {int(size):,} bytes; "
                              f"the limit is {self.max_body:,}")
            return
        seen, over, started = 0, False, False

        async def counted_receive():
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            if over:  # the app's answer to a body cut short is replaced by the 413 below
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _send_error(send, 413, "too_large", f"the request body is over the limit of "
                              f"{self.max_body:,} bytes; it was refused after {seen:,} bytes")


def default_store() -> Path:
    """The default store directory, ``~/.counterflow/web``."""
    return Path.home() / ".counterflow" / "web"


class ScenarioRef(BaseModel):
    """A built-in scenario by name, or a scenario uploaded earlier by its id (exactly one)."""

    model_config = ConfigDict(extra="forbid")
    scenario: str | None = Field(None, description="Built-in scenario name, e.g. 'caribbean'.")
    upload: str | None = Field(None, description="Id returned by POST /api/uploads.")


class StrategyCheck(ScenarioRef):
    strategy: dict[str, Any] = Field(description="A strategy in the strategy-file form: {name, levers: [...]}")


class JobRequest(ScenarioRef):
    strategies: list[str] = Field(default_factory=list,
                                  description="Names of strategies the scenario carries; baseline is always run.")
    custom: list[dict[str, Any]] = Field(default_factory=list,
                                         description="Strategies composed in the page, in strategy-file form.")
    # strict: a JSON integer only (true, "52" or 2.0 are refused with 422, not read as 1, 52 or 2)
    runs: int = Field(20, ge=1, strict=True, description="Replications per strategy (the CLI's default).")
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True, description="Experiment seed.")
    steps: int | None = Field(None, ge=1, strict=True, description="Horizon in steps (default: the scenario's).")


def _builtin(name: str) -> Scenario:
    # read the packaged file directly: a client's name never reaches the file system
    if name not in builtin_scenarios():
        raise ApiError(404, "unknown_scenario", f"no built-in scenario '{name}' "
                       f"(built-ins: {', '.join(builtin_scenarios())})", field="scenario")
    return load_builtin(name)


def _input_error(exc: InputError, code: str = "invalid_input", **extra: Any) -> ApiError:
    where = {k: v for k, v in exc.to_dict().items() if k != "message"}
    return ApiError(422, code, str(exc), **where, detail=exc.message, **extra)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def multipart_reason(exc: MultiPartException, content_type: str) -> str:
    """What is wrong with an upload whose multipart body cannot be read, in plain words.

    The form parser says only "Invalid multipart data."; the multipart library's cause speaks of its parser
    ("Expected boundary character 45, got 103 at index 2"). Both are translated into what the sender has to
    fix, naming the boundary the ``Content-Type`` header declares.
    """
    m = _BOUNDARY.search(content_type)
    dashes = f"'--{m[1]}'" if m else "'--' and the boundary"
    cause = str(exc.__cause__ or "")
    if exc.message.startswith("Missing boundary"):
        return ("the Content-Type header names no boundary: it should read 'multipart/form-data; boundary=...', "
                "naming the string that separates the parts of the body")
    if "Content-Disposition" in exc.message:
        return "a part of the body has no name in its Content-Disposition header"
    if not cause:  # the form parser's own limits (fields, files, sizes) are plain already
        return exc.message.rstrip(".")
    if cause.startswith("Expected boundary character"):
        return (f"the body does not start with the boundary line {dashes} that the Content-Type header declares; "
                "each part begins with that line, and the body ends with it followed by '--'")
    if "end of boundary" in cause or "boundary padding" in cause:
        return (f"a boundary line {dashes} is not followed by a line break (CRLF), nor, at the end of the body, by "
                "'--'")
    if "header" in cause:
        return ("the headers of a part are malformed: each must read 'Name: value' on a line ending in CRLF, "
                "and an empty line must end them" + (" (they are too long)" if "Maximum" in cause else ""))
    return f"the body could not be read as parts separated by the boundary line {dashes}"


def create_app(store: Path | str | None = None, limits: Limits | None = None,
               allowed_hosts: list[str] | None = None, loopback_only: bool = False,
               stores: list[Path | str] | None = None) -> FastAPI:
    """Build the app over a job store.

    Parameters
    ----------
    store
        Directory keeping uploads, jobs and results (default :func:`default_store`).
    limits
        Upload size, work per job and concurrent jobs (default :class:`Limits`).
    allowed_hosts
        Host names to accept (any when not given).
    loopback_only
        Accept only Host headers naming this machine (localhost, 127.0.0.0/8,
        ``[::1]``): a page elsewhere cannot reach the API through DNS rebinding.
    stores
        Folders whose search and sweep stores the page may open (see :mod:`counterflow.web.stores`).

    Examples
    --------
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(tempfile.mkdtemp()))
    >>> client.get("/api/scenarios").json()[0]["name"]
    'caribbean'
    """
    jobs = JobManager(store if store is not None else default_store(), limits)
    lim = jobs.limits

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs.prepare()
        yield
        jobs.close()

    app = FastAPI(title="Counterflow", version=__version__, lifespan=lifespan,
                  description="Simulate illicit supply networks under counter-narcotics strategies and compare "
                              "them. Illustrative, stylised scenarios; harm and backlash are reported next to flow.")
    app.state.jobs = jobs
    store_index = app.state.stores = StoreIndex(stores or [])
    # the multipart envelope of an upload may add a little to the file's own limit
    app.add_middleware(RequestGuard, max_body=lim.max_upload_bytes + 65536, loopback_only=loopback_only,
                       allowed_hosts=allowed_hosts)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(ApiError(500, "internal_error", f"unexpected error: {type(exc).__name__}: {exc}").to_dict(),
                            status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
            # the form parser's own words ("Invalid multipart data.") say nothing of what was wrong
            why = multipart_reason(exc.__context__, request.headers.get("content-type", ""))
            return JSONResponse(ApiError(400, "invalid_multipart", f"the request body is not valid "
                                         f"multipart/form-data: {why} (send the scenario file as the form field "
                                         "'file')", field="file").to_dict(), status_code=400)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(ApiError(exc.status_code, code, str(exc.detail)).to_dict(), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":  # its "loc" is the character position, not a field
            doc, pos = exc.body if isinstance(exc.body, str) else "", (list(first.get("loc", ())) + [0, 0])[1]
            pos = pos if isinstance(pos, int) else 0
            line, col = doc.count("\n", 0, pos) + 1, pos - doc.rfind("\n", 0, pos)
            why = (first.get("ctx") or {}).get("error", "not JSON")
            return JSONResponse(ApiError(400, "invalid_json", f"the request body is not valid JSON: {why}: "
                                         f"line {line} column {col} (char {pos})").to_dict(), status_code=400)
        loc = list(first.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path"):
            loc = loc[1:]
        field = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".") or None
        msg = first.get("msg", "invalid request")
        text = f"field '{field}': {msg}" if field else msg
        return JSONResponse(ApiError(422, "invalid_request", text, field=field, detail=msg).to_dict(),
                            status_code=422)

    def scenario_of(ref: ScenarioRef) -> Scenario:
        if ref.scenario is not None and ref.upload is None:
            return _builtin(ref.scenario)
        if ref.upload is not None and ref.scenario is None:
            return uploaded_scenario(ref.upload)[0]
        raise ApiError(422, "invalid_request", "give either 'scenario' (a built-in name) or 'upload' (an id)",
                       field="scenario")

    parsed: dict[str, tuple[Scenario, str]] = {}  # the last uploads parsed, so a job does not parse its file again

    def uploaded_scenario(ident: str) -> tuple[Scenario, str]:
        if ident in parsed and jobs.has_upload(ident):
            return parsed[ident]
        text, filename = jobs.read_upload(ident)
        try:
            sc, _ = jobs.parse_upload(text, filename)  # in a process of its own, never in the server
        except InputError as exc:  # e.g. a file the current version no longer accepts
            raise _input_error(exc) from None
        remember(ident, sc, filename)
        return sc, filename

    def remember(ident: str, sc: Scenario, filename: str) -> None:
        parsed[ident] = (sc, filename)
        while len(parsed) > 8:
            parsed.pop(next(iter(parsed)))

    def check_lists(sc: Scenario, levers: list, index: int, max_at: int) -> None:
        """422 naming the field for a list longer than it can usefully be (a schedule of 100,000 repeated steps
        was accepted and made every step slow): ``schedule.at`` at most ``max_at`` entries (the horizon's
        steps), a target list at most as many entries as the scenario has places, routes, states or groups."""
        bounds = {"nodes": (len(sc.nodes), "places"), "edges": (len(sc.edges), "routes"),
                  "jurisdictions": (len(sc.jurisdictions), "jurisdictions"),
                  "organisations": (len(sc.organisations), "organisations")}
        for k, lv in enumerate(levers):
            if not isinstance(lv, dict):
                continue
            sched, targets = lv.get("schedule"), lv.get("targets")
            at = sched.get("at") if isinstance(sched, dict) else None
            if isinstance(at, list) and len(at) > max_at:
                raise ApiError(422, "over_limit", f"levers[{k}].schedule.at: {len(at):,} steps listed; at most "
                               f"{max_at} (one per step of the horizon)", field=f"levers[{k}].schedule.at",
                               strategy_index=index)
            for key, (most, what) in bounds.items():
                items = targets.get(key) if isinstance(targets, dict) else None
                if isinstance(items, list) and len(items) > most:
                    raise ApiError(422, "over_limit", f"levers[{k}].targets.{key}: {len(items):,} entries; the "
                                   f"scenario has {most} {what}", field=f"levers[{k}].targets.{key}",
                                   strategy_index=index)

    def custom_strategy(sc: Scenario, raw: dict, index: int, taken: set[str], max_at: int) -> Strategy:
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ApiError(422, "invalid_strategy", "a composed strategy needs a name of letters, digits, "
                           "spaces and _.+()- (at most 60 characters)", field="name", strategy_index=index)
        if name in taken:
            raise ApiError(422, "invalid_strategy", f"a strategy named '{name}' is already selected; "
                           "choose another name", field="name", strategy_index=index)
        levers = raw.get("levers")
        if isinstance(levers, list) and len(levers) > lim.max_levers:
            raise ApiError(422, "over_limit", f"{len(levers)} levers; the limit is {lim.max_levers} per strategy",
                           field="levers", strategy_index=index)
        if isinstance(levers, list):
            check_lists(sc, levers, index, max_at)
        try:
            return parse_strategy(raw, scenario=sc, ck=Checker(None))
        except InputError as exc:
            raise _input_error(exc, "invalid_strategy", strategy_index=index, strategy=name) from None

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
            "Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/config", summary="Version, limits and optional features")
    def config() -> dict:
        return {"version": __version__, "limits": jobs.limits_dict(),
                "report_available": importlib.util.find_spec("counterflow.report") is not None,
                "outlines_available": _outlines_loader() is not None, "stores_available": bool(store_index.roots)}

    @app.get("/api/scenarios", summary="Built-in scenarios")
    def scenarios() -> list[dict]:
        return [{"name": k, "description": v} for k, v in builtin_scenarios().items()]

    @app.get("/api/scenarios/{name}", summary="A built-in scenario: network, strategies it carries")
    def scenario(name: str) -> dict:
        return scenario_view(_builtin(name))

    @app.post("/api/uploads", summary="Upload and validate a scenario YAML file")
    def upload(file: UploadFile = File(...)) -> dict:
        filename = _FILENAME.sub("_", Path(file.filename or "upload.yaml").name)[:80] or "upload.yaml"
        raw = file.file.read(lim.max_upload_bytes + 1)
        try:  # the loader's own bound on a document's size (the body was already counted while it streamed)
            check_document_size(raw, filename, lim.max_upload_bytes)
        except InputError as exc:
            raise ApiError(413, "too_large", str(exc), field="file", file=filename) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(422, "invalid_input", f"{filename}: not a text file (UTF-8 YAML expected)",
                           field="file", file=filename) from None
        try:
            sc, view = jobs.parse_upload(text, filename)  # in a process of its own, never in the server
        except InputError as exc:
            raise _input_error(exc) from None
        ident = jobs.save_upload(text, filename)
        remember(ident, sc, filename)
        return {"upload": ident, "filename": filename, "scenario": view}

    @app.get("/api/uploads/{ident}", summary="A scenario uploaded earlier")
    def uploaded(ident: str) -> dict:
        sc, filename = uploaded_scenario(ident)
        return {"upload": ident, "filename": filename, "scenario": scenario_view(sc)}

    @app.get("/api/levers", summary="Lever declarations (to build strategy forms)")
    def levers() -> dict:
        return lever_catalog()

    @app.post("/api/strategies/check", summary="Validate a composed strategy against a scenario")
    def check_strategy(body: StrategyCheck) -> dict:
        sc = scenario_of(body)
        # the horizon is not known yet: a schedule may list up to the longest a job may ask for
        st = custom_strategy(sc, body.strategy, 0, {"baseline", *sc.strategies}, lim.max_steps)
        return {"ok": True, "strategy": st.to_dict()}

    def check_job_size(runs: int, steps: int, n: int) -> None:
        """422 when a job asks for more strategies, runs, steps or work than this server allows."""
        if n > lim.max_strategies:
            raise ApiError(422, "over_limit", f"{n} strategies including the baseline; the limit is "
                           f"{lim.max_strategies}", field="strategies")
        if runs > lim.max_runs:
            raise ApiError(422, "over_limit", f"{runs} runs; the limit is {lim.max_runs}", field="runs")
        if steps > lim.max_steps:
            raise ApiError(422, "over_limit", f"{steps} steps; the limit is {lim.max_steps}", field="steps")
        work = runs * steps * n
        if work > lim.max_run_steps:
            raise ApiError(422, "over_limit", f"this job asks for {runs} runs x {steps} steps x {n} "
                           f"strategies = {work:,} simulated steps; the limit is {lim.max_run_steps:,} per job "
                           "(use fewer runs, fewer steps or fewer strategies)", field="runs")

    @app.post("/api/jobs", status_code=202, summary="Start a job: replications of strategies on a scenario")
    def submit(body: JobRequest) -> dict:
        sc = scenario_of(body)
        n = 1 + len(body.strategies) + len(body.custom)
        if n > lim.max_strategies:  # before any strategy is parsed
            raise ApiError(422, "over_limit", f"{n} strategies including the baseline; the limit is "
                           f"{lim.max_strategies}", field="custom" if body.custom else "strategies")
        steps = body.steps or sc.steps
        check_job_size(body.runs, steps, n)  # before any strategy is parsed (a list's bound is the horizon)
        carried = sc.strategy_names()
        for i, name in enumerate(body.strategies):
            if name not in carried:
                raise ApiError(422, "unknown_strategy", f"scenario '{sc.name}' carries no strategy '{name}' "
                               f"(it carries: {', '.join(carried)})", field=f"strategies[{i}]")
        strategies = resolve_strategies(sc, ["baseline", *body.strategies], allow_files=False)
        taken = {"baseline", *sc.strategies}
        for i, raw in enumerate(body.custom):
            st = custom_strategy(sc, raw, i, taken, steps)
            taken.add(st.name)
            strategies.append(st)
        n = len(strategies)
        check_job_size(body.runs, steps, n)
        request = body.model_dump() | {"steps": steps}
        return jobs.submit(request, sc, strategies)

    @app.get("/api/jobs", summary="All jobs, newest first")
    def list_jobs() -> list[dict]:
        return jobs.list()

    @app.get("/api/jobs/{job_id}", summary="A job's status and progress")
    def get_job(job_id: str) -> dict:
        return jobs.get(job_id)

    @app.post("/api/jobs/{job_id}/cancel", summary="Cancel a running job")
    def cancel_job(job_id: str) -> dict:
        return jobs.cancel(job_id)

    @app.delete("/api/jobs/{job_id}", status_code=204, summary="Delete a finished job and its files")
    def delete_job(job_id: str) -> Response:
        jobs.delete(job_id)
        return Response(status_code=204)

    @app.get("/api/jobs/{job_id}/results", summary="Results of a finished job (table, series bands, map flows)")
    def results(job_id: str) -> Response:
        return Response(jobs.view(job_id), media_type="application/json")

    @app.get("/api/jobs/{job_id}/download/{name}",
             summary="Download runs/steps as CSV or Parquet, or the HTML report (report.html)")
    def download(job_id: str, name: str) -> FileResponse:
        job = jobs.finished(job_id)
        stem = f"counterflow-{job['scenario']}-{job_id[:6]}"
        if name == "report.html":
            path = _report(job_id)
            return FileResponse(path, media_type="text/html",
                                headers={"Content-Disposition": attachment(f"{stem}-report.html")})
        if name not in DOWNLOADS:
            raise ApiError(404, "unknown_download", f"no download '{name}' "
                           f"(choose from {', '.join([*DOWNLOADS, 'report.html'])})")
        path = jobs.job_dir(job_id) / name
        if not path.is_file():
            raise ApiError(410, "damaged_job", f"job '{job_id}' lost its file {name}; delete the job and run it again")
        return FileResponse(path, media_type=DOWNLOADS[name],
                            headers={"Content-Disposition": attachment(f"{stem}-{name}")})

    def _report(job_id: str) -> Path:
        if importlib.util.find_spec("counterflow.report") is None:
            raise ApiError(503, "report_unavailable", "report module not available in this installation")
        path = jobs.job_dir(job_id) / "report.html"
        with jobs.files_lock:  # a delete waits for the report; a report never writes into a deleted job
            jobs.finished(job_id)
            if not path.is_file():
                write_report = importlib.import_module("counterflow.report").write_report
                try:
                    sc, strategies, res = jobs.results(job_id)
                    tmp = path.with_name("report.tmp.html")
                    written = Path(write_report(sc, res, tmp, strategies, figures_dir=path.with_name("report_figures")))
                    written.replace(path)
                except ApiError:
                    raise
                except Exception as exc:  # noqa: BLE001 - answered as JSON, the server keeps running
                    raise ApiError(500, "report_failed", f"the report could not be written: "
                                   f"{type(exc).__name__}: {exc}") from exc
        return path

    register_store_routes(app, jobs, store_index, check_job_size, WIDTH)

    @app.get("/api/outlines", summary="Country outlines (GeoJSON) for the map")
    def outlines() -> dict:
        loader = _outlines_loader()
        if loader is None:
            raise ApiError(503, "outlines_unavailable", "country outlines not available in this installation")
        return loader()

    return app


def _outlines_loader():
    if importlib.util.find_spec("counterflow.geo") is None:
        return None
    return getattr(importlib.import_module("counterflow.geo"), "load_outlines", None)
