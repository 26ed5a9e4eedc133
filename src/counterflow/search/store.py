"""The search store: one Parquet file per evaluated portfolio, written atomically.

Layout::

    STORE/metadata.json            kind 'search', the search file, its fingerprint and identity, the store's id,
                                   genes, futures
    STORE/futures.parquet          the sampled futures (one row each) and the out-of-sample ones
    STORE/evals/eval-NNNNNN.parquet    one row per (future, replication) of evaluation NNNNNN and of the
                                       evaluations written with it (NNNNNN is the lowest of them)
    STORE/oos/eval-NNNNNN.parquet      the out-of-sample rows of front member NNNNNN (and others)
    STORE/.lock                    the search writing the store (process id, host, start time)
    STORE/damaged/                 evaluation files that could not be read, moved aside (run again)

The store takes the sweep store's lock and experiment identity
(:mod:`counterflow.experiments.store`): a search holds an exclusive
``flock`` on ``.lock`` while it writes (a killed search's lock is taken over,
with a note), and every evaluation file carries, in its Parquet key-value
metadata, the search's identity, the store's id, its kind (``search`` or
``oos``), the evaluations it holds and the id of the write that made it. A
file holds the evaluations that finished in a few seconds of one generation
(one file per evaluation is most of the machinery's time when an evaluation
is short), and is named after the lowest of them. Resuming checks every file:
one from another store or search is refused by name, one that cannot be read
is moved to ``damaged/`` and its evaluation runs again.

Evaluation numbers follow the order in which the optimiser first asks for
each distinct portfolio, which is a function of the seed and of the stored
results alone; so a resumed search replays the stored evaluations through
the optimiser's ask/tell loop, finds the same numbers, and runs only the
missing ones. A file is renamed into place once whole, so every evaluation
is stored exactly once; a killed search loses the evaluations finished since
the last file (a few seconds' worth), which run again.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..experiments.store import (
    META_KEY,
    StoreLock,
    _atomic_write_bytes,
    _atomic_write_table,
    _fsync_dir,
    defaults_note,
    identity_problem,
    move_aside,
)
from ..params import model_defaults
from .spec import EARLIER_RECIPE, FIRST_GENERATION, recipe_change

__all__ = ["SearchStore"]

FORMAT = 2  # 2: evaluation files carry the search's identity, the store's id and their write's id


class SearchStore:
    """A search store directory. :meth:`create` for a new or resumed search, ``SearchStore(path)`` to read one.

    Examples
    --------
    >>> import tempfile
    >>> SearchStore(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    <SearchStore ... (empty)>
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.metadata_file = self.path / "metadata.json"
        self.dirs = {"search": self.path / "evals", "oos": self.path / "oos"}
        self._lock = StoreLock(self.path, "search", "evaluations")
        self._meta: dict | None = None
        self._ids: dict[tuple, list[int]] = {}  # (file, size, mtime) -> the evaluations it holds
        self._written: dict[str, set[int]] = {}  # per stage: evaluations stored (known to this object)
        #: what opening the store for a search found and did (a taken-over lock, files moved aside), for the user
        self.notes: list[str] = []

    def exists(self) -> bool:
        return self.metadata_file.is_file()

    def metadata(self) -> dict:
        if self._meta is not None:
            return self._meta
        if not self.path.exists():
            raise InputError("does not exist; give the --store folder of a `counterflow search`", file=str(self.path))
        if not self.exists():
            raise InputError("is not a search store (no metadata.json); run `counterflow search` first",
                             file=str(self.path))
        try:
            meta = json.loads(self.metadata_file.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a store's metadata")
        except (OSError, ValueError) as exc:
            raise InputError(f"metadata.json cannot be read ({exc})", file=str(self.path)) from None
        if meta.get("kind") != "search":
            raise InputError("is a sweep store, not a search store; use `counterflow analyze` on it",
                             file=str(self.path))
        self._meta = meta
        return meta

    def __repr__(self) -> str:
        if not self.exists():
            return f"<SearchStore {self.path} (empty)>"
        try:
            m = self.metadata()
        except InputError as exc:
            return f"<SearchStore {self.path} (unreadable: {exc.message})>"
        oos = len(self.done("oos"))
        return (f"<SearchStore {self.path}: {m.get('scenario')}, {len(self.done('search'))} of "
                f"{m.get('evaluations')} evaluations ({m.get('futures')} futures x {m.get('replications')} "
                f"replications, {m.get('algorithm')})" + (f"; {oos} re-run out of sample" if oos else "") + ">")

    def _repr_html_(self) -> str:
        import html

        return f"<p><code>{html.escape(repr(self))}</code></p>"

    # ------------------------------------------------------------- locking
    @property
    def locked(self) -> bool:
        return self._lock.held

    def lock(self) -> None:
        """Take the store's exclusive write lock (the sweep store's), or raise naming the search holding it."""
        note = self._lock.acquire()
        if note:
            self.notes.append(note)

    def unlock(self) -> None:
        """Release the write lock (the lock file is emptied: nothing to take over)."""
        self._lock.release()

    def __enter__(self) -> SearchStore:
        return self

    def __exit__(self, *exc) -> None:
        self.unlock()

    # ------------------------------------------------------------- writing
    @classmethod
    def create(cls, path: str | Path, spec, warm: np.ndarray | None = None) -> SearchStore:
        """Open ``path`` to write ``spec``: take the lock, then write its metadata or check every stored file.

        The store stays locked until :meth:`unlock` (or the end of a ``with`` block).

        Raises
        ------
        InputError
            When another search holds the store; when it holds another search, files but
            no metadata, files of another store, or was written by an older counterflow.
        """
        from .. import __version__

        st = cls(path)
        if st.path.exists() and not st.path.is_dir():
            raise InputError("exists and is not a directory", file=str(st.path))
        if st.path.exists() and not st.exists() and any(p.name != ".lock" for p in st.path.iterdir()):
            raise InputError("is a non-empty directory that is not a search store; use a new --store directory",
                             file=str(st.path))
        st.lock()
        try:
            ident = identity(spec, warm)
            if st.exists():
                st._resume(spec, ident, warm)
                return st
            for d in st.dirs.values():
                d.mkdir(parents=True, exist_ok=True)
            fut = pd.DataFrame(spec.future_values(), columns=spec.experiment.names)
            fut.insert(0, "future", np.arange(len(fut), dtype=np.int64))
            fut.insert(0, "stage", "search")
            oos = pd.DataFrame(spec.oos_values(), columns=spec.experiment.names)
            oos.insert(0, "future", np.arange(len(oos), dtype=np.int64))
            oos.insert(0, "stage", "oos")
            _atomic_write_table(st.path / "futures.parquet",
                                pa.Table.from_pandas(pd.concat([fut, oos], ignore_index=True), preserve_index=False))
            meta = {
                "kind": "search", "format": FORMAT, "package": "counterflow", "package_version": __version__,
                "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "store_id": secrets.token_hex(8),
                "source": spec.source, "identity": ident, "fingerprint": spec.fingerprint(), "layout": spec.layout(),
                "model_defaults": model_defaults(), "first_generation": FIRST_GENERATION,
                "search_file": spec.text, "search": spec.raw, "scenario": spec.scenario_doc.get("name"),
                "scenario_doc": spec.scenario_doc, "genes": [g.describe() for g in spec.genes],
                "objectives": [o.__dict__ for o in spec.objectives],
                "constraints": [c.__dict__ for c in spec.constraints], "budget_usd": spec.budget_usd,
                "futures": spec.futures, "replications": spec.replications, "seed": spec.seed, "steps": spec.steps,
                "evaluations": spec.evaluations, "algorithm": spec.algorithm, "population": spec.population,
                "seeds": "numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(future, replication))) "
                         "for every portfolio (common random numbers); out of sample spawn_key=(5, future, replication)",
                "warm_start": None if warm is None else np.asarray(warm).tolist(),
            }
            _atomic_write_bytes(st.metadata_file, json.dumps(meta, indent=1, default=str).encode())
            st._meta = None
        except BaseException:
            st.unlock()
            raise
        return st

    def _resume(self, spec, ident: str, warm: np.ndarray | None = None) -> None:
        meta = self.metadata()
        stored_recipe = meta.get("first_generation")
        if (meta.get("identity") != ident and stored_recipe != FIRST_GENERATION
                and meta.get("identity") == identity(spec, warm, stored_recipe)):
            # the same search, made by an earlier optimiser: resumed when it asks for the same portfolios
            change = recipe_change(spec, stored_recipe)
            if change is not None:
                raise InputError(f"holds the same search ({meta.get('source') or 'unknown file'}), but {change}; "
                                 "its stored evaluations cannot be replayed. Read it with `counterflow front` "
                                 "as it is, or use a new --store directory to run the search again",
                                 file=str(self.path))
            ident = meta["identity"]
        if meta.get("identity") != ident:
            why = defaults_note(meta.get("model_defaults"))
            if stored_recipe != FIRST_GENERATION:
                why += f"{EARLIER_RECIPE}, so it cannot be replayed; "
            raise InputError(
                f"holds a different search ({meta.get('source') or 'unknown file'}); {why}resume only with "
                "the same search file (and warm start), or use a new --store directory", file=str(self.path))
        if meta.get("format", 1) < FORMAT or not meta.get("store_id"):
            raise InputError(f"was written by an older counterflow (search store format {meta.get('format', 1)}) "
                             "whose evaluation files cannot be checked; read it with `counterflow front` as it is, "
                             "or use a new --store directory to run the search again", file=str(self.path))
        self.clean_temporary()
        foreign, damaged = self.check(full=True)
        if foreign:
            files = "; ".join(f"{p.relative_to(self.path)}: {why}" for p, why in foreign[:5])
            raise InputError(f"holds evaluation files that do not belong to it ({files}); they were copied in "
                             "from another store or search. Remove them, or use a new --store directory",
                             file=str(self.path))
        for p, why in damaged:
            move_aside(self.path, p)
            self.notes.append(f"{p.relative_to(self.path)} cannot be used ({why}); moved to damaged/, "
                              "its evaluation runs again")
        if meta.get("evaluations") != spec.evaluations:  # a larger budget continues the search
            meta.update(evaluations=spec.evaluations, search=spec.raw, search_file=spec.text, source=spec.source)
            _atomic_write_bytes(self.metadata_file, json.dumps(meta, indent=1, default=str).encode())
            self._meta = None

    def name(self, eval_id: int) -> str:
        return f"eval-{eval_id:06d}.parquet"

    def _file_meta(self, stage: str, eval_ids: list[int], write: str) -> dict:
        meta = self.metadata()
        return {"format": FORMAT, "kind": stage, "fingerprint": meta["identity"], "store_id": meta["store_id"],
                "chunks": {str(i): write for i in eval_ids}}

    def write(self, stage: str, eval_ids: int | list[int], table: pa.Table) -> None:
        """Store evaluations in one file (atomically, marked with the store's identity; refuses to store one twice).

        ``table`` holds the rows of every evaluation in ``eval_ids``. Files may be written from
        several threads at once (each to its own file).
        """
        if not self.locked:
            raise RuntimeError("write needs the store's lock (open it with SearchStore.create)")
        ids = sorted({int(eval_ids)} if isinstance(eval_ids, int | np.integer) else {int(i) for i in eval_ids})
        if not ids:
            return
        if stage not in self._written:
            self._written[stage] = self.done(stage)
        target = self.dirs[stage] / self.name(ids[0])
        again = [i for i in ids if i in self._written[stage]]
        if again or target.exists():
            raise RuntimeError(f"evaluation {(again or ids)[0]} ({stage}) is already stored")
        self._written[stage].update(ids)
        _atomic_write_table(target, table, self._file_meta(stage, ids, secrets.token_hex(8)),
                            sync_dir=False)  # the folder is synced once per batch (sync)

    def sync(self) -> None:
        """Flush the evaluation folders' entries to disk (a rename lost in a crash only means a re-run)."""
        for d in self.dirs.values():
            _fsync_dir(d)

    def clean_temporary(self) -> None:
        for d in self.dirs.values():
            for p in d.glob(".*.tmp-*") if d.is_dir() else ():
                p.unlink(missing_ok=True)

    # ------------------------------------------------------------- checking and reading
    def _files(self, stage: str) -> list[Path]:
        d = self.dirs[stage]
        return sorted(d.glob("eval-*.parquet")) if d.is_dir() else []

    def _problem(self, path: Path, cm: dict, stage: str) -> str | None:
        """Why an evaluation file does not belong to this store (None when it does, or for a format-1 store)."""
        meta = self.metadata()
        if meta.get("format", 1) < FORMAT:
            return None
        why = identity_problem(cm, meta.get("identity"), meta.get("store_id"), stage, what="search")
        ids = _chunk_ids(cm)
        if why is None and (not ids or ids[0] != int(path.stem.split("-")[1])):
            why = f"it holds evaluations {ids} under another evaluation's name"
        return why

    def _file_ids(self, path: Path) -> list[int]:
        """The evaluations a file holds (from its footer; by its name when the footer cannot be read)."""
        try:
            st = path.stat()
            key = (str(path), st.st_size, st.st_mtime_ns)
            if key not in self._ids:
                raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
                self._ids[key] = _chunk_ids(json.loads(raw) if raw else {}) or [int(path.stem.split("-")[1])]
            return self._ids[key]
        except Exception:  # noqa: BLE001 - a damaged file counts by its name (it is moved aside on resume)
            return [int(path.stem.split("-")[1])]

    def check(self, full: bool = False) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
        """``(foreign, damaged)``: evaluation files of another store or search, and files that cannot be read.

        ``full`` reads every file whole (at resume); otherwise only the Parquet footers.
        """
        foreign, damaged = [], []
        for stage in self.dirs:
            for f in self._files(stage):
                try:
                    md = pq.read_table(f).schema.metadata if full else pq.read_schema(f).metadata
                    raw = (md or {}).get(META_KEY)
                    cm = json.loads(raw) if raw else {}
                except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
                    damaged.append((f, f"cannot be read: {type(exc).__name__}: {str(exc)[:120]}"))
                    continue
                why = self._problem(f, cm, stage)
                if why:
                    foreign.append((f, why))
        return foreign, damaged

    def done(self, stage: str = "search") -> set[int]:
        """The evaluations stored in ``stage`` (from the files' footers)."""
        return {i for p in self._files(stage) for i in self._file_ids(p)}

    def read(self, stage: str = "search", ids: set[int] | None = None) -> pd.DataFrame:
        """Stored rows of ``stage`` (optionally only some evaluations), sorted by eval, future, replication.

        Raises :class:`InputError` naming any file that cannot be read or does not belong to the store.
        """
        files = self._files(stage)
        if ids is not None:
            files = [f for f in files if not ids.isdisjoint(self._file_ids(f))]
        if not files:
            return pd.DataFrame()
        tables, problems = [], []
        for f in files:
            try:
                t = pq.read_table(f)
            except Exception as exc:  # noqa: BLE001 - reported with the file's name
                problems.append(f"{f.relative_to(self.path)} cannot be read ({type(exc).__name__})")
                continue
            raw = (t.schema.metadata or {}).get(META_KEY)
            why = self._problem(f, json.loads(raw) if raw else {}, stage)
            if why:
                problems.append(f"{f.relative_to(self.path)}: {why}")
                continue
            tables.append(t.replace_schema_metadata(None))
        if problems:
            raise InputError(f"has evaluation files that cannot be used: {'; '.join(problems[:5])}. Run the same "
                             "`counterflow search` command again: it moves damaged files aside and runs them again "
                             "(files from another store must be removed)", file=str(self.path))
        df = pa.concat_tables(tables, promote_options="default").to_pandas()
        if ids is not None:
            df = df[df["eval"].isin(list(ids))]
        return df.sort_values(["eval", "future", "replication"]).reset_index(drop=True)

    def futures(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "futures.parquet")

    def key_counts(self) -> pd.DataFrame:
        """How many rows each (eval, future, replication) has (1 in a sound store)."""
        df = self.read()
        return df.groupby(["eval", "future", "replication"]).size().rename("n").reset_index()


def _chunk_ids(cm: dict) -> list[int]:
    try:
        return sorted(int(k) for k in (cm.get("chunks") or {}))
    except (TypeError, ValueError, AttributeError):
        return []


def identity(spec, warm: np.ndarray | None = None, first_generation: int | None | str = "current") -> str:
    """The search's identity: its fingerprint (with the optimiser's recipe ``first_generation``) plus the warm start."""
    import hashlib

    body = spec.fingerprint(first_generation) + "|" + json.dumps(None if warm is None else np.asarray(warm).round(12).tolist())
    return hashlib.sha256(body.encode()).hexdigest()[:16]
