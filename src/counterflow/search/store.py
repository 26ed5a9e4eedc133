"""The search store: one Parquet file per evaluated portfolio, written atomically.

Layout::

    STORE/metadata.json            kind 'search', the search file, its fingerprint, genes, futures
    STORE/futures.parquet          the sampled futures (one row each) and the out-of-sample ones
    STORE/evals/eval-NNNNNN.parquet    one row per (future, replication) of evaluation NNNNNN
    STORE/oos/eval-NNNNNN.parquet      the out-of-sample rows of front member NNNNNN

Evaluation numbers follow the order in which the optimiser first asks for
each distinct portfolio, which is a function of the seed and of the stored
results alone; so a resumed search replays the stored evaluations through
the optimiser's ask/tell loop, finds the same numbers, and runs only the
missing ones. A file is renamed into place once whole, so every evaluation
is stored exactly once.
"""

from __future__ import annotations

import datetime as _dt
import json
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..experiments.store import _atomic_write_bytes, _atomic_write_table, _fsync_dir

__all__ = ["SearchStore"]

FORMAT = 1


class SearchStore:
    """A search store directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.metadata_file = self.path / "metadata.json"
        self.dirs = {"search": self.path / "evals", "oos": self.path / "oos"}

    def exists(self) -> bool:
        return self.metadata_file.is_file()

    def metadata(self) -> dict:
        if not self.exists():
            raise InputError("is not a search store (no metadata.json); run `counterflow search` first",
                             file=str(self.path))
        try:
            meta = json.loads(self.metadata_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"metadata.json cannot be read ({exc})", file=str(self.path)) from None
        if meta.get("kind") != "search":
            raise InputError("is a sweep store, not a search store; use `counterflow analyze` on it",
                             file=str(self.path))
        return meta

    @classmethod
    def create(cls, path: str | Path, spec, warm: np.ndarray | None = None) -> SearchStore:
        """Open ``path`` for ``spec``: write its metadata, or check that it holds the same search."""
        from .. import __version__

        st = cls(path)
        if st.path.exists() and not st.path.is_dir():
            raise InputError("exists and is not a directory", file=str(st.path))
        ident = identity(spec, warm)
        if st.exists():
            meta = st.metadata()
            if meta.get("identity") != ident:
                raise InputError(
                    f"holds a different search ({meta.get('source') or 'unknown file'}); resume only with "
                    "the same search file (and warm start), or use a new --store directory", file=str(st.path))
            st.clean_temporary()
            if meta.get("evaluations") != spec.evaluations:  # a larger budget continues the search
                meta.update(evaluations=spec.evaluations, search=spec.raw, search_file=spec.text,
                            source=spec.source)
                _atomic_write_bytes(st.metadata_file, json.dumps(meta, indent=1, default=str).encode())
            return st
        if st.path.exists() and any(st.path.iterdir()):
            raise InputError("is a non-empty directory that is not a search store; use a new --store directory",
                             file=str(st.path))
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
            "source": spec.source, "identity": ident, "fingerprint": spec.fingerprint(), "layout": spec.layout(),
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
        return st

    @contextmanager
    def lock(self):
        """Hold the store's exclusive lock (a second search on the same store is refused, not interleaved)."""
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path / ".lock", "a+")  # noqa: SIM115 - held for the block
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise InputError("is in use by another search (its lock is held); wait for it to finish",
                                 file=str(self.path)) from None
            yield self
        finally:
            fh.close()

    def name(self, eval_id: int) -> str:
        return f"eval-{eval_id:06d}.parquet"

    def write(self, stage: str, eval_id: int, table: pa.Table) -> None:
        """Store one evaluation (atomically; refuses to store one twice)."""
        target = self.dirs[stage] / self.name(eval_id)
        if target.exists():
            raise RuntimeError(f"evaluation {eval_id} ({stage}) is already stored")
        _atomic_write_table(target, table, sync_dir=False)  # the folder is synced once per batch (sync)

    def sync(self) -> None:
        """Flush the evaluation folders' entries to disk (a rename lost in a crash only means a re-run)."""
        for d in self.dirs.values():
            _fsync_dir(d)

    def clean_temporary(self) -> None:
        for d in self.dirs.values():
            for p in d.glob(".*.tmp-*"):
                p.unlink(missing_ok=True)

    def done(self, stage: str = "search") -> set[int]:
        return {int(p.stem.split("-")[1]) for p in self.dirs[stage].glob("eval-*.parquet")}

    def read(self, stage: str = "search", ids: set[int] | None = None) -> pd.DataFrame:
        """Stored rows of ``stage`` (optionally only some evaluations), sorted by eval, future, replication."""
        files = sorted(self.dirs[stage].glob("eval-*.parquet"))
        if ids is not None:
            files = [f for f in files if int(f.stem.split("-")[1]) in ids]
        if not files:
            return pd.DataFrame()
        df = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default").to_pandas()
        return df.sort_values(["eval", "future", "replication"]).reset_index(drop=True)

    def futures(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "futures.parquet")

    def key_counts(self) -> pd.DataFrame:
        """How many rows each (eval, future, replication) has (1 in a sound store)."""
        df = self.read()
        return df.groupby(["eval", "future", "replication"]).size().rename("n").reset_index()


def identity(spec, warm: np.ndarray | None = None) -> str:
    """The search's identity: its fingerprint plus the warm-start population, if any."""
    import hashlib

    body = spec.fingerprint() + "|" + json.dumps(None if warm is None else np.asarray(warm).round(12).tolist())
    return hashlib.sha256(body.encode()).hexdigest()[:16]
