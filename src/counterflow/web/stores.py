"""Search and sweep stores in the page: only stores under the directories the server was given.

``counterflow serve --stores DIR`` (repeatable) names folders the server may
read. Each is scanned (the folder itself and two levels below it) for stores:
a folder with a ``metadata.json`` written by ``counterflow search`` or
``counterflow sweep``. The API lists them under an opaque id (a hash of the
path); a request names a store only by that id, never by a path, so nothing
outside those folders can be opened: a store reached through a link that
leaves its folder is not listed, and a store holding a file or folder that
links outside it is listed as damaged and not read.

A store being written (its lock held by a running search or sweep, asked of
the lock itself with :func:`counterflow.experiments.store.lock_in_use`) is
answered with 409; a damaged one (unreadable metadata or files) with 422 and
the reason; neither ever with a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from ..experiments.store import lock_in_use
from .jobs import ApiError
from .views import clean

__all__ = ["StoreIndex", "DEPTH"]

DEPTH = 2  # how far below a given folder stores are looked for
_ID = re.compile(r"^[0-9a-f]{16}$")


def _kind(meta: Any) -> str | None:
    if not isinstance(meta, dict):
        return None
    if meta.get("kind") == "search":
        return "search"
    if "fingerprint" in meta and isinstance(meta.get("strategies"), list):
        return "sweep"
    return None


#: a store's metadata.json larger than this is not read (it is a few KiB when a search or sweep writes it)
MAX_METADATA_BYTES = 4 << 20


def _read_meta(path: Path) -> Any:
    """A store's parsed metadata.json; ``ValueError`` if it is too large or not JSON, ``OSError`` if unreadable."""
    f = path / "metadata.json"
    if f.stat().st_size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata.json is larger than {MAX_METADATA_BYTES >> 20} MiB")
    return json.loads(f.read_text(encoding="utf-8"))


def _leaves(root: Path, path: Path) -> str | None:
    """The first file or folder inside the store ``path`` that is a link leading outside ``root``, or None."""
    for here, dirs, files in os.walk(path, followlinks=False):
        for name in [*dirs, *files]:
            p = Path(here) / name
            if p.is_symlink():
                try:
                    target = p.resolve()
                except (OSError, RuntimeError):
                    return str(p.relative_to(path))
                if not target.is_relative_to(root):
                    return str(p.relative_to(path))
    return None


class StoreIndex:
    """The stores under the folders the server was given, by opaque id."""

    def __init__(self, roots: Sequence[str | Path] = ()) -> None:
        self.roots = [Path(r).expanduser().resolve() for r in roots]
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------- listing
    def _candidates(self) -> list[tuple[Path, Path]]:
        out, seen = [], set()
        for root in self.roots:
            level = [root]
            for depth in range(DEPTH + 1):
                nxt = []
                for d in level:
                    try:
                        real = d.resolve()
                    except OSError:
                        continue
                    if real in seen or not real.is_dir() or not real.is_relative_to(root):
                        continue  # a link leaving the folder is not followed
                    seen.add(real)
                    if (real / "metadata.json").is_file():
                        out.append((root, real))
                        continue  # a store's own folders hold no stores
                    if depth < DEPTH:
                        try:
                            nxt += sorted(p for p in real.iterdir() if p.is_dir() and not p.name.startswith("."))
                        except OSError:
                            continue
                level = nxt
        return out

    @staticmethod
    def ident(path: Path) -> str:
        return hashlib.sha256(str(path).encode()).hexdigest()[:16]

    def _name(self, root: Path, path: Path) -> str:
        rel = path.relative_to(root)
        return root.name if str(rel) == "." else f"{root.name}/{rel.as_posix()}"

    def list(self) -> list[dict]:
        """Every store found: id, name (folder below the given one), kind, scenario, size, whether in use."""
        items = []
        for root, path in self._candidates():
            entry = {"id": self.ident(path), "name": self._name(root, path), "in_use": False}
            link = _leaves(root, path)  # first: the lock probe opens a file in the store
            if link is not None:
                items.append({**entry, "kind": "damaged", "problem": f"{link} links outside the folder"})
                continue
            try:
                entry["in_use"] = lock_in_use(path)
            except ValueError as exc:  # a .lock that is a pipe, a link, ...: never read
                items.append({**entry, "kind": "damaged", "problem": str(exc)})
                continue
            try:
                meta = _read_meta(path)
            except (OSError, ValueError) as exc:
                items.append({**entry, "kind": "damaged", "problem": f"metadata.json cannot be read "
                              f"({type(exc).__name__})"})
                continue
            kind = _kind(meta)
            if kind is None:
                items.append({**entry, "kind": "damaged", "problem": "metadata.json is not a store's"})
                continue
            items.append({**entry, "kind": kind, "scenario": _text(meta.get("scenario")),
                          "created": _text(meta.get("created")), "size": _size_line(kind, meta)})
        return clean(items)

    def find(self, ident: str) -> tuple[str, Path, str]:
        """``(kind, path, name)`` of a listed store; 404 for any other id, 409 while it is being written."""
        if not _ID.match(ident):
            raise ApiError(404, "unknown_store", "no such store: stores are named by the ids GET /api/stores "
                           "lists", field="store")
        for root, path in self._candidates():
            if self.ident(path) == ident:
                name = self._name(root, path)
                link = _leaves(root, path)  # first: the lock probe opens a file in the store
                if link is not None:
                    raise ApiError(422, "damaged_store", f"store '{name}': {link} links outside the folders this "
                                   "server reads", store=name)
                try:
                    in_use = lock_in_use(path)
                except ValueError as exc:
                    raise ApiError(422, "damaged_store", f"store '{name}': {exc}", store=name) from None
                if in_use:
                    raise ApiError(409, "store_in_use", f"store '{name}' is being written by a running search or "
                                   "sweep; open it when that has finished", store=name)
                try:
                    meta = _read_meta(path)
                except (OSError, ValueError) as exc:
                    raise ApiError(422, "damaged_store", f"store '{name}': its metadata.json cannot be read "
                                   f"({type(exc).__name__})", store=name) from None
                kind = _kind(meta)
                if kind is None:
                    raise ApiError(422, "damaged_store", f"store '{name}': metadata.json is not a search or "
                                   "sweep store's", store=name)
                return kind, path, name
        raise ApiError(404, "unknown_store", f"no store '{ident}' under the folders this server reads "
                       "(list them with GET /api/stores)", field="store")

    # ------------------------------------------------------------- reading
    def read(self, ident: str, what: str, fn, *args) -> Any:
        """``fn(path, *args)`` for a listed store, cached on the store's files; errors as 4xx, never 500."""
        kind, path, name = self.find(ident)
        key = (ident, what, args, _signature(path))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            value = fn(path, *args)
        except ApiError:
            raise
        except InputError as exc:
            msg = str(exc).replace(str(path), f"store '{name}'")
            raise ApiError(422, "damaged_store", msg, store=name) from None
        except ImportError as exc:
            raise ApiError(503, "missing_extra", f"reading store '{name}' needs a package this installation "
                           f"lacks ({exc.name}); install counterflow[all]", store=name) from None
        except Exception as exc:  # noqa: BLE001 - a damaged file is the user's to know about, not a 500
            raise ApiError(422, "damaged_store", f"store '{name}' cannot be read: {type(exc).__name__}: "
                           f"{str(exc).replace(str(path), '')[:300]}", store=name) from None
        with self._lock:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = value
        return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def _size_line(kind: str, meta: dict) -> str:
    """How big a store is, in words ("?" where its metadata does not say)."""
    if kind == "search":
        return (f"{_count(meta.get('evaluations'))} portfolios planned, {_count(meta.get('futures'))} futures × "
                f"{_count(meta.get('replications'))} runs")
    return (f"{_count(meta.get('n_runs'))} runs: {len(meta['strategies'])} strategies, "
            f"{_count(meta.get('n_points'))} points × {_count(meta.get('replications'))} replications")


def _signature(path: Path) -> tuple:
    """Changes whenever a store's files change (names, sizes, times)."""
    sig = []
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            try:
                s = p.stat()
            except OSError:
                continue
            sig.append((str(p.relative_to(path)), s.st_size, s.st_mtime_ns))
    return tuple(sig)


# ----------------------------------------------------------------- what the page shows
def search_view(path: Path, name: str, width: int) -> dict:
    """A search store's front: ``counterflow front --json`` (store named by its listed name), table text, specs."""
    from ..report.front import front_intro, front_table
    from ..report.specs import front_specs
    from ..search.front import front

    data = clean(front(path))
    data["store"] = name
    return {"kind": "search", "name": name, "front": data, "intro": front_intro(data), "table": front_table(data),
            "specs": clean(front_specs(data, width))}


def sweep_view(path: Path, name: str, width: int) -> dict:
    """A sweep store's summaries: ``counterflow analyze --json`` (store named by its listed name) and table text."""
    from ..experiments.analysis import analyze
    from ..report.front import sweep_table
    from ..report.specs import sweep_spec

    res = clean(analyze(path))
    res["store"] = name
    return {"kind": "sweep", "name": name, "analysis": res, "table": sweep_table(res),
            "specs": {"effects": clean(sweep_spec(res, width))}}


def _portfolio(path: Path, eval_id: int):
    from ..scenario import Scenario
    from ..search.engine import Evaluations
    from ..search.front import open_search

    spec, st = open_search(path)
    df = st.read("search", {eval_id})
    if df.empty:
        raise ApiError(404, "unknown_portfolio", f"no evaluation {eval_id} in this store (it holds "
                       f"{len(st.done())})", field="eval")
    ev = Evaluations(spec, spec.futures, spec.replications)
    ev.add_frame(df)
    levers = spec.decode(ev.genes[eval_id])
    scenario = Scenario.from_dict(spec.scenario_doc)
    strategy = spec.strategy(levers, scenario, name=f"portfolio-{eval_id}")
    return spec, st, df, levers, scenario, strategy


def portfolio_view(path: Path, name: str, eval_id: int) -> dict:
    """One evaluated portfolio: its levers in words, its rows per future × run, the strategy to compare."""
    import yaml

    from ..outcomes import LABELS
    from ..report.effects import steps_word
    from ..report.front import discovery_words
    from ..report.words import fmt
    from ..search.front import discover
    from ..search.words import describe_portfolio

    spec, st, df, levers, scenario, strategy = _portfolio(path, eval_id)
    wanted = [o.outcome for o in spec.objectives] + [c.outcome for c in spec.constraints]
    wanted += ["flow_reduction_pct", "delivered_kg", "civilian_harm", "cost_usd"]
    outcomes = [o for o in dict.fromkeys(wanted) if o in df.columns]
    names = list(spec.experiment.names)
    fut = st.futures()
    frames = [("in sample", df)]
    oos = st.read("oos", {eval_id})
    if not oos.empty:
        frames.append(("out of sample", oos))
    rows = []
    for stage, frame in frames:
        key = "search" if stage == "in sample" else "oos"
        values = {int(r["future"]): [r[n] for n in names] for _, r in fut[fut.stage == key].iterrows()}
        for _, r in frame.iterrows():
            rows.append({"stage": stage, "future": int(r["future"]), "replication": int(r["replication"]),
                         "status": r["status"], "error": r.get("error"),
                         "future_values": values.get(int(r["future"]), []),
                         "outcomes": [r[o] for o in outcomes]})
    steps = spec.steps
    futures = [{"sample": key, "future": int(r["future"]), "values": [r[n] for n in names],
                "label": f"{'in sample' if key == 'search' else 'out of sample'} future {int(r['future'])}: "
                         + "; ".join(f"{n} {fmt(r[n])}" for n in names)}
               for key in ("search", "oos") for _, r in fut[fut.stage == key].sort_values("future").iterrows()]
    return clean({
        "discovery": discovery_words(discover(path, eval_id)),
        "store": name, "eval": eval_id, "description": describe_portfolio(levers) or "no action", "levers": levers,
        "strategy": strategy.to_dict(), "strategy_yaml": yaml.safe_dump(clean(strategy.to_dict()), sort_keys=False),
        "scenario": scenario.name, "uncertainties": names,
        "outcomes": [{"name": o, "label": LABELS.get(o, o)} for o in outcomes], "rows": rows,
        "futures": futures,
        "compare": {"runs": 20, "seed": 0, "steps": steps,
                    "note": f"Runs the portfolio as a strategy against no action over the search's {steps} "
                            f"{steps_word(scenario)}s, on the store's scenario as written (its uncertain parameters "
                            "at their nominal values) or in one of the futures the search sampled (those values "
                            "set in the scenario): the same numbers as counterflow compare with that future's "
                            "scenario file (download it below), this strategy file and the same runs, seed and "
                            f"{steps_word(scenario)}s."},
    })


def future_doc(path: Path, sample: str | None, future: int | None) -> tuple[dict, dict | None]:
    """The store's scenario document, with one sampled future's values set when ``future`` is given.

    ``sample`` is ``search`` (the futures the search ran, the default) or ``oos`` (the out-of-sample
    check's). Returns ``(document, future)``; ``future`` says which one and its values (``None`` for
    the nominal scenario). 404 for a future the store does not hold.
    """
    from ..experiments.paths import apply_values
    from ..search.front import open_search

    spec, st = open_search(path)
    if future is None:
        return spec.scenario_doc, None
    sample = sample or "search"
    fut = st.futures()
    row = fut[(fut.stage == sample) & (fut.future == future)]
    if row.empty:
        have = int((fut.stage == sample).sum())
        raise ApiError(404, "unknown_future", f"no {'in-sample' if sample == 'search' else 'out-of-sample'} "
                       f"future {future} in this store (it holds {have}, numbered from 0)", field="future")
    names = list(spec.experiment.names)
    values = [float(row.iloc[0][n]) for n in names]
    doc = apply_values(spec.scenario_doc, spec.experiment.uncertainties, np.asarray(values, dtype=float))
    return doc, {"sample": sample, "future": future, "values": dict(zip(names, values, strict=True))}


def portfolio_job(path: Path, eval_id: int, sample: str | None = None, future: int | None = None):
    """``(scenario, strategy, steps, future)`` of a stored portfolio for a comparison job, in a sampled future
    (see :func:`future_doc`) or at the scenario's nominal values."""
    from ..scenario import Scenario

    spec, _, _, levers, _, _ = _portfolio(path, eval_id)
    doc, which = future_doc(path, sample, future)
    scenario = Scenario.from_dict(doc)
    return scenario, spec.strategy(levers, scenario, name=f"portfolio-{eval_id}"), spec.steps, which


def scenario_file(path: Path, sample: str | None, future: int | None) -> tuple[str, str]:
    """``(file name, YAML text)`` of the store's scenario in a sampled future (or as written)."""
    import yaml

    doc, which = future_doc(path, sample, future)
    stem = str(doc.get("name") or "scenario")
    if which is not None:
        stem += f"-{'future' if which['sample'] == 'search' else 'oos-future'}-{which['future']}"
    return f"{stem}.yaml", yaml.safe_dump(clean(doc), sort_keys=False, allow_unicode=True)


class PortfolioJob(BaseModel):
    """A comparison job of a stored portfolio against no action (``{}`` takes the CLI's defaults)."""

    model_config = ConfigDict(extra="forbid")
    # strict, as JobRequest: a JSON integer only
    runs: int = Field(20, ge=1, strict=True, description="Replications (the CLI's default).")
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True, description="Experiment seed.")
    steps: int | None = Field(None, ge=1, strict=True, description="Horizon in steps (default: the search's).")
    future: int | None = Field(None, ge=0, strict=True, description="A future the search sampled, by its number (default: "
                               "none, the scenario's nominal values).")
    sample: Literal["search", "oos"] = Field("search", description="Whose future: the search's ('search') or "
                                             "the out-of-sample check's ('oos').")


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` header value offering ``filename`` for download, whatever characters it holds.

    The quoted ``filename`` is an ASCII fallback (each character other than ``A-Z a-z 0-9 . _ -`` becomes
    ``_``), so a quote, a semicolon or a non-ASCII letter in a scenario's name can neither break the header nor
    add a parameter to it; ``filename*`` carries the exact name, percent-encoded as UTF-8 (RFC 6266, RFC 8187).
    """
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def register_store_routes(app, jobs, index: StoreIndex, check_job_size, width: int) -> None:
    """The store endpoints: list, open (front or summaries), a portfolio's runs, a portfolio's comparison job."""
    from ..strategy import BASELINE

    @app.get("/api/stores", summary="Search and sweep stores under the folders this server reads")
    def list_stores() -> dict:
        return {"folders": [r.name for r in index.roots], "stores": index.list()}

    @app.get("/api/stores/{ident}", summary="A store: a search's front or a sweep's summaries")
    def open_store(ident: str) -> dict:
        kind, _, name = index.find(ident)
        if kind == "search":
            return index.read(ident, "view", lambda p: search_view(p, name, width))
        return index.read(ident, "view", lambda p: sweep_view(p, name, width))

    def _search_store(ident: str) -> str:
        kind, _, name = index.find(ident)
        if kind != "search":
            raise ApiError(404, "not_a_search", f"store '{name}' is a sweep store: it has no portfolios",
                           field="store")
        return name

    @app.get("/api/stores/{ident}/portfolios/{eval_id}", summary="One portfolio's evaluations (future × run)")
    def portfolio(ident: str, eval_id: int) -> dict:
        name = _search_store(ident)
        return index.read(ident, "portfolio", lambda p, e: portfolio_view(p, name, e), eval_id)

    @app.post("/api/stores/{ident}/portfolios/{eval_id}/compare", status_code=202,
              summary="Start a job: the portfolio as a strategy against no action on the store's scenario")
    def compare_portfolio(ident: str, eval_id: int, body: PortfolioJob) -> dict:
        name = _search_store(ident)
        future = body.future
        sample = body.sample if future is not None else None
        scenario, strategy, steps, which = index.read(ident, "job", portfolio_job, eval_id, sample, future)
        steps = body.steps or steps
        check_job_size(body.runs, steps, 2)
        request = {"scenario": scenario.name, "store": name, "portfolio": eval_id, "strategies": [],
                   "custom": [clean(strategy.to_dict())], "runs": body.runs, "seed": body.seed, "steps": steps,
                   "future": clean(which)}
        return jobs.submit(request, scenario, [BASELINE, strategy])

    @app.get("/api/stores/{ident}/scenario.yaml", summary="The store's scenario file, in a sampled future or as "
             "written")
    def future_scenario(ident: str, future: int | None = None, sample: Literal["search", "oos"] = "search"):
        from fastapi.responses import Response

        _search_store(ident)
        if future is not None and future < 0:
            raise ApiError(422, "invalid_request", "field 'future': must be 0 or more", field="future")
        filename, text = index.read(ident, "scenario", scenario_file, sample if future is not None else None, future)
        return Response(text, media_type="application/x-yaml",
                        headers={"Content-Disposition": attachment(filename)})
