"""The experiment store: Parquet chunks, a metadata file, and DuckDB views over them.

Layout of a store directory::

    STORE/metadata.json        the experiment (file text and parsed form), design, seeds, package version
    STORE/samples.parquet      one row per sampled point: sample, then one column per uncertainty path
    STORE/runs/chunk-NNNNNN.parquet    one row per run: sample, strategy, replication, seed, status,
                                       error, traceback, the sampled values, the outcomes
    STORE/steps/chunk-NNNNNN.parquet   one row per run and step: sample, strategy, replication, step, series

A chunk holds every strategy and replication of a few consecutive samples.
Each file is written under a temporary name and renamed into place
(``os.replace``), and a chunk's runs file is written last, so a chunk is
either wholly in the store or not at all: resuming runs only the chunks
whose runs file is missing.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError

if TYPE_CHECKING:
    import duckdb

    from .spec import Experiment

__all__ = ["Store", "KEYS"]

KEYS = ("sample", "strategy", "replication")
FORMAT = 1


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _sql_str(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


class Store:
    """A store directory. :meth:`create` for a new or resumed sweep, ``Store(path)`` to read one.

    Examples
    --------
    >>> import tempfile
    >>> Store(tempfile.mkdtemp()).exists()
    False
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.runs_dir = self.path / "runs"
        self.steps_dir = self.path / "steps"
        self.metadata_file = self.path / "metadata.json"
        self.samples_file = self.path / "samples.parquet"

    def __repr__(self) -> str:
        if not self.exists():
            return f"<Store {self.path} (empty)>"
        m = json.loads(self.metadata_file.read_text(encoding="utf-8"))
        return (f"<Store {self.path}: {m.get('scenario')}, {m.get('n_points')} points ({m.get('sampler')}) x "
                f"{len(m.get('strategies', []))} strategies x {m.get('replications')} replications; "
                f"{len(self.done_chunks())} of {m.get('n_chunks')} chunks stored>")

    def _repr_html_(self) -> str:
        import html

        return f"<p><code>{html.escape(repr(self))}</code></p>"

    # ------------------------------------------------------------- writing
    def exists(self) -> bool:
        return self.metadata_file.is_file()

    @classmethod
    def create(cls, path: str | Path, experiment: Experiment, design: np.ndarray) -> Store:
        """Open ``path`` for ``experiment``: write its metadata, or check that it is the same experiment."""
        from .. import __version__

        store = cls(path)
        if store.path.exists() and not store.path.is_dir():
            raise InputError("exists and is not a directory", file=str(store.path))
        if store.exists():
            meta = store.metadata()
            if meta.get("fingerprint") != experiment.fingerprint():
                raise InputError(
                    f"holds a different experiment ({meta.get('source') or 'unknown file'}); "
                    "resume only with the same experiment file, or use a new --store directory",
                    file=str(store.path))
            store.clean_temporary()
            return store
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        store.steps_dir.mkdir(parents=True, exist_ok=True)
        samples = pd.DataFrame(design, columns=experiment.names)
        samples.insert(0, "sample", np.arange(len(design), dtype=np.int64))
        _atomic_write_table(store.samples_file, pa.Table.from_pandas(samples, preserve_index=False))
        meta = {
            "format": FORMAT,
            "package": "counterflow",
            "package_version": __version__,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "source": experiment.source,
            "fingerprint": experiment.fingerprint(),
            "experiment_file": experiment.text,
            "experiment": experiment.raw,
            "scenario": experiment.scenario_doc.get("name"),
            "scenario_doc": experiment.scenario_doc,
            "strategies": list(experiment.strategies),
            "uncertainties": [u.__dict__ for u in experiment.uncertainties],
            "sampler": experiment.sampler,
            "samples": experiment.samples,
            "levels": experiment.levels,
            "n_points": experiment.n_points,
            "replications": experiment.replications,
            "seed": experiment.seed,
            "seeds": experiment.seed_rule,
            "outcomes": list(experiment.outcomes),
            "kept_outcomes": list(experiment.kept_outcomes),
            "steps": experiment.steps,
            "chunk_samples": experiment.chunk_samples,
            "n_chunks": len(experiment.chunks()),
            "n_runs": experiment.n_runs,
            "design": samples.drop(columns="sample").to_numpy().tolist(),
        }
        _atomic_write_bytes(store.metadata_file, json.dumps(meta, indent=1, default=str).encode())
        return store

    def chunk_name(self, chunk: int) -> str:
        return f"chunk-{chunk:06d}.parquet"

    def write_chunk(self, chunk: int, runs: pa.Table, steps: pa.Table | None) -> None:
        """Write one chunk atomically: its steps first, then its runs (the commit)."""
        if steps is not None:
            _atomic_write_table(self.steps_dir / self.chunk_name(chunk), steps)
        _atomic_write_table(self.runs_dir / self.chunk_name(chunk), runs)

    def clean_temporary(self) -> None:
        """Remove half-written files left by an interrupted sweep."""
        for d in (self.runs_dir, self.steps_dir):
            for p in d.glob(".*.tmp-*"):
                p.unlink(missing_ok=True)

    def done_chunks(self) -> set[int]:
        """Chunks whose runs file is in the store."""
        return {int(p.stem.split("-")[1]) for p in self.runs_dir.glob("chunk-*.parquet")}

    def failed_chunks(self) -> set[int]:
        """Chunks holding at least one run with status 'error'."""
        if not any(self.runs_dir.glob("chunk-*.parquet")):
            return set()
        import duckdb

        rows = duckdb.connect().execute(
            f"SELECT DISTINCT filename FROM read_parquet({self._files('runs')}, filename = true) "
            "WHERE status <> 'ok'").fetchall()
        return {int(Path(r[0]).stem.split("-")[1]) for r in rows}

    # ------------------------------------------------------------- reading
    def metadata(self) -> dict:
        if not self.exists():
            raise InputError("is not a sweep store (no metadata.json); run `counterflow sweep` first",
                             file=str(self.path))
        return json.loads(self.metadata_file.read_text(encoding="utf-8"))

    def _files(self, kind: str) -> str:
        d = self.runs_dir if kind == "runs" else self.steps_dir
        if not any(d.glob("chunk-*.parquet")):
            raise InputError(f"holds no {kind} yet", file=str(self.path))
        return _sql_str(d / "chunk-*.parquet")

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with views ``runs``, ``steps`` (if stored) and ``samples``."""
        import duckdb

        self.metadata()
        con = duckdb.connect()
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({self._files('runs')})")
        if any(self.steps_dir.glob("chunk-*.parquet")):
            con.execute(f"CREATE VIEW steps AS SELECT * FROM read_parquet({self._files('steps')})")
        con.execute(f"CREATE VIEW samples AS SELECT * FROM read_parquet({_sql_str(self.samples_file)})")
        return con

    def runs(self) -> pd.DataFrame:
        """The runs table, sorted by sample, strategy (in experiment order) and replication."""
        order = {s: i for i, s in enumerate(self.metadata()["strategies"])}
        df = self.connect().execute("SELECT * FROM runs").df()
        df["_o"] = df["strategy"].map(order)
        return df.sort_values(["sample", "_o", "replication"]).drop(columns="_o").reset_index(drop=True)

    def steps(self, where: str | None = None) -> pd.DataFrame:
        """The per-step table (optionally filtered by a SQL ``where`` clause)."""
        sql = "SELECT * FROM steps" + (f" WHERE {where}" if where else "")
        return self.connect().execute(sql + " ORDER BY sample, strategy, replication, step").df()

    def samples(self) -> pd.DataFrame:
        return pd.read_parquet(self.samples_file)

    def key_counts(self) -> pd.DataFrame:
        """How many times each (sample, strategy, replication) key is stored (1 in a sound store)."""
        return self.connect().execute(
            "SELECT sample, strategy, replication, count(*) AS n FROM runs GROUP BY ALL").df()
