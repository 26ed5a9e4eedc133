"""The experiment store: Parquet chunks, a metadata file, and DuckDB views over them.

Layout of a store directory::

    STORE/metadata.json        the experiment (file text and parsed form), design, seeds, package version,
                               its fingerprint and the store's own id
    STORE/samples.parquet      one row per sampled point: sample, then one column per uncertainty path
    STORE/runs/chunk-NNNNNN.parquet    one row per run: sample, strategy, replication, seed, status,
                                       error, traceback, the sampled values, the outcomes
    STORE/runs/compact-NNNNNN-MMMMMM.parquet   the runs of chunks NNNNNN..MMMMMM in one file (after the sweep)
    STORE/steps/chunk-NNNNNN.parquet   one row per run and step: sample, strategy, replication, step, series
    STORE/.lock                the sweep writing the store (process id, host, start time)
    STORE/damaged/             chunk files that could not be read, moved aside (their runs were run again)

A chunk holds every strategy and replication of a few consecutive samples.
Every chunk file carries, in its Parquet key-value metadata, the
experiment's fingerprint, the store's id, and the chunk(s) it holds with
the id of the write that made them. A sweep holds an exclusive lock on the
store while it writes (``flock`` on ``.lock``, released by the system when
the process dies, so a killed sweep's lock is taken over). Each file is
written under a temporary name, flushed to disk (``fsync``) and renamed
into place (``os.replace``); a chunk's steps file is written before its runs
file, which commits the chunk: the steps of a chunk count only when the
runs file names the same write, so a reader sees a chunk's runs and steps
together or not at all. Resuming checks every chunk: one from another store
or experiment is refused, one that cannot be read is reported, moved to
``damaged/`` and run again.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import secrets
import socket
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..params import model_defaults

if TYPE_CHECKING:
    import duckdb

    from .spec import Experiment

__all__ = ["Store", "KEYS", "StoreCheck", "StoreLock", "lock_in_use", "file_meta", "identity_problem", "defaults_note",
           "move_aside"]

KEYS = ("sample", "strategy", "replication")
FORMAT = 2
META_KEY = b"counterflow"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _atomic_write_table(path: Path, table: pa.Table, meta: dict | None = None, sync_dir: bool = True) -> None:
    """Write ``table`` to a temporary name, fsync it, rename it into place (and fsync the folder if asked).

    The file's bytes are on disk before its name is: after a crash a name
    never points at a partial file. A rename whose folder was not yet
    synced may be lost in a crash, which only means the chunk runs again.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    if meta is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               META_KEY: json.dumps(meta, sort_keys=True).encode()})
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    if sync_dir:
        _fsync_dir(path.parent)


def _sql_str(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join(_sql_str(p) for p in paths) + "]"


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


#: how long a writer keeps trying for the lock before it names the holder: long enough to outlast any reader's
#: probe (:func:`lock_in_use` holds a shared lock for the time of two system calls), short for the user
PROBE_GRACE_S = 0.25


def _flock_retrying(fd: int, how: int) -> None:
    """``flock(fd, how | LOCK_NB)``, tried again for :data:`PROBE_GRACE_S` while a probe may hold it."""
    import fcntl
    import time

    deadline = time.monotonic() + PROBE_GRACE_S
    while True:
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def lock_in_use(path: str | Path) -> bool:
    """True while a writer (a sweep or a search) holds the lock of the store at ``path``.

    Asks the lock itself, so it answers on any file system and across PID namespaces: a non-blocking
    *shared* ``flock`` on ``STORE/.lock``, released at once. It fails exactly while a writer holds its
    exclusive lock; it never waits, never creates the lock file, and two readers probing at once do not
    disturb each other. A writer that starts during the probe retries for :data:`PROBE_GRACE_S`
    (:meth:`StoreLock.acquire`), so a probe never turns a writer away. False when the store has no lock
    file or the system has no ``flock``.

    The lock file is opened without following a link and without blocking, and must be a regular file:
    a ``.lock`` that is a link, a named pipe, a device or a folder raises :class:`ValueError` (the store is
    damaged and nothing in it is read), so a probe never waits on a pipe nor reads through a link.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: stores are not locked there either
        return False
    file = Path(path) / ".lock"
    try:
        mode = file.lstat().st_mode
    except OSError:  # no lock file (or no access to it): no writer has it
        return False
    if not stat.S_ISREG(mode):
        raise _NotALockFile(_file_type(mode))
    try:  # checked again on the open file: it may have been replaced since the check above
        fd = _open_lock_file(file, os.O_RDONLY)
    except OSError:  # gone since the check above (a _NotALockFile is not an OSError: it is raised)
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without locks: nothing can be holding one
        return False
    finally:
        os.close(fd)  # releases the shared lock with the descriptor
    return False


class _NotALockFile(ValueError):
    """A store's ``.lock`` that is not a regular file; ``kind`` says what it is ("a link", "a named pipe", ...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f".lock is {kind}, not a lock file")
        self.kind = kind


def _open_lock_file(file: Path, flags: int) -> int:
    """Open a store's ``.lock`` with ``flags``, as the probe (:func:`lock_in_use`) and the writer
    (:class:`StoreLock`) both must: never through a link, never waiting (on a named pipe), and only a
    regular file. Anything else raises :class:`_NotALockFile`; any other failure its :class:`OSError`."""
    flags |= os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(file, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _NotALockFile("a link") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # never read from it
        os.close(fd)
        raise _NotALockFile(_file_type(mode))
    return fd


def _file_type(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    for test, words in [(stat.S_ISLNK, "a link"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISDIR, "a folder"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")]:
        if test(mode):
            return words
    return "not a regular file"


class StoreLock:
    """The exclusive write lock of a store directory (sweep and search stores share it).

    An ``flock`` on ``STORE/.lock``: the system releases it when the holder
    exits or is killed. The file keeps the holder's process id, host and start
    time, so a second writer is told who holds the store, and a lock left by a
    killed writer is taken over with a note saying so.
    """

    def __init__(self, path: str | Path, what: str = "sweep", unfinished: str = "chunks") -> None:
        self.path = Path(path)
        self.file = self.path / ".lock"
        self.what = what  # who writes this kind of store ("sweep", "search"), for messages
        self.unfinished = unfinished  # what a taken-over store runs again ("chunks", "evaluations")
        self.fd: int | None = None

    @property
    def held(self) -> bool:
        return self.fd is not None

    def acquire(self) -> str | None:
        """Take the lock, or raise :class:`InputError` naming its holder; return a note for the user, if any."""
        if self.fd is not None:
            return None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return f"this system has no flock: the store is not locked against a second {self.what}"
        self.path.mkdir(parents=True, exist_ok=True)
        fd = self._open()
        try:
            _flock_retrying(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder(fd)
            os.close(fd)
            who = (f"process {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
                   if holder else "another process")
            raise InputError(f"another {self.what} is writing this store ({who}); wait for it to finish or stop "
                             "it, or use another --store directory", file=str(self.path)) from None
        holder = self._holder(fd)
        note = None
        if holder:
            pid, host = holder.get("pid"), holder.get("host")
            state = "no longer running" if host != socket.gethostname() or not isinstance(pid, int) \
                or not pid_alive(pid) else "still running but no longer holding it"
            note = (f"took over the lock left by process {pid} on {host} ({state}); "
                    f"its unfinished {self.unfinished} are run again")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}).encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return note

    def _open(self) -> int:
        """Open (or create) ``.lock`` as the probe opens it (:func:`lock_in_use`): never through a link,
        never waiting, and only a regular file; anything else is one :class:`InputError` naming it."""
        try:
            return _open_lock_file(self.file, os.O_RDWR | os.O_CREAT)
        except _NotALockFile as exc:
            raise self._not_a_lock_file(exc.kind) from None
        except OSError as exc:
            with contextlib.suppress(OSError):
                mode = self.file.lstat().st_mode
                if not stat.S_ISREG(mode):  # a folder (opened for writing: EISDIR)
                    raise self._not_a_lock_file(_file_type(mode)) from None
            raise InputError(f"cannot open the store's .lock ({exc.strerror})", file=str(self.path)) from None

    def _not_a_lock_file(self, kind: str) -> InputError:
        return InputError(f".lock is {kind}, not a lock file: the store's lock cannot be taken; remove .lock if no "
                          f"{self.what} is writing this store, or use another --store directory", file=str(self.path))

    @staticmethod
    def _holder(fd: int) -> dict:
        try:
            raw = os.pread(fd, 4096, 0)
            return json.loads(raw) if raw.strip() else {}
        except (OSError, ValueError):
            return {"pid": "unknown", "host": "unknown"}

    def release(self) -> None:
        """Release the lock (the lock file is emptied: nothing to take over)."""
        if self.fd is None:
            return
        import fcntl

        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def defaults_note(recorded: object) -> str:
    """A sentence naming the model defaults that changed since a store was made (empty when none did)."""
    if not isinstance(recorded, dict):
        return ("it was made by an earlier counterflow that did not record its model defaults, and they may "
                "have changed since (this version's are in docs/model.md); ")
    now = model_defaults()
    changed = [f"{k} {recorded.get(k, 'unset')} -> {v}" for k, v in now.items() if recorded.get(k) != v]
    return f"the model's defaults changed since it was made ({', '.join(changed)}); " if changed else ""


def file_meta(path: Path) -> dict:
    """The counterflow key-value metadata of a Parquet file (empty when it has none)."""
    md = pq.read_schema(path).metadata or {}
    raw = md.get(META_KEY)
    return json.loads(raw) if raw else {}


def identity_problem(cm: dict, fingerprint: str | None, store_id: str | None, kind: str,
                     what: str = "experiment") -> str | None:
    """Why a data file's metadata ``cm`` does not belong to this store (``None`` when it does).

    Every data file carries the fingerprint of what made it (experiment or search), the id
    of the store it was written for, and its kind; a file copied in from another store or
    written for another experiment is refused by name.
    """
    if not cm:
        return "it carries no counterflow chunk metadata"
    if cm.get("fingerprint") != fingerprint:
        return f"it was written for another {what} (fingerprint {cm.get('fingerprint')}, this store's is {fingerprint})"
    if cm.get("store_id") != store_id:
        return f"it was written by another store (id {cm.get('store_id')}, this store's is {store_id})"
    if cm.get("kind") != kind:
        return f"it is a {cm.get('kind')} file"
    return None


def move_aside(store: Path, path: Path) -> Path:
    """Move an unusable data file to ``STORE/damaged/`` (under a name that keeps its folder and time)."""
    damaged = store / "damaged"
    damaged.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = damaged / f"{path.parent.name}-{path.stem}-{stamp}-{secrets.token_hex(2)}{path.suffix}"
    os.replace(path, target)
    return target


@dataclass
class StoreCheck:
    """What a look at a store's chunk files found.

    ``runs``/``steps`` map a chunk to the file holding it; ``damaged`` lists
    ``(file, reason)`` of files that cannot be read, ``foreign`` those that
    belong to another store or experiment, ``incomplete`` runs files whose
    steps are missing (not committed: readers leave the chunk out),
    ``leftover`` files no committed chunk uses (an interrupted write's steps,
    a chunk file a compaction already holds).
    """

    runs: dict[int, Path] = field(default_factory=dict)
    steps: dict[int, Path] = field(default_factory=dict)
    writes: dict[int, str] = field(default_factory=dict)
    damaged: list[tuple[Path, str]] = field(default_factory=list)
    foreign: list[tuple[Path, str]] = field(default_factory=list)
    incomplete: list[tuple[Path, str]] = field(default_factory=list)
    leftover: list[Path] = field(default_factory=list)

    @property
    def runs_files(self) -> list[Path]:
        return sorted(set(self.runs.values()))

    @property
    def steps_files(self) -> list[Path]:
        return sorted(set(self.steps.values()))


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
        self._lock = StoreLock(self.path, "sweep", "chunks")
        self._meta: dict | None = None
        #: what opening the store for a sweep found and did (a taken-over lock, chunks moved aside), for the user
        self.notes: list[str] = []

    # ------------------------------------------------------------- locking
    @property
    def locked(self) -> bool:
        return self._lock.held

    def lock(self) -> None:
        """Take the store's exclusive write lock, or raise :class:`InputError` naming the sweep holding it.

        The lock is an ``flock`` on ``.lock`` (:class:`StoreLock`): the system releases it
        when the holder exits or is killed. The file keeps the holder's process id, so a
        lock left by a killed sweep is reported as taken over.
        """
        note = self._lock.acquire()
        if note:
            self.notes.append(note)

    def unlock(self) -> None:
        """Release the write lock (the lock file is emptied: nothing to take over)."""
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.unlock()

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
        """Open ``path`` to write ``experiment``: take the lock, then write its metadata or check every chunk.

        Raises
        ------
        InputError
            When another sweep holds the store; when it holds another
            experiment, chunks but no metadata, or chunks of another store.
        """
        from .. import __version__

        store = cls(path)
        if store.path.exists() and not store.path.is_dir():
            raise InputError("exists and is not a directory", file=str(store.path))
        store.lock()
        try:
            if store.exists():
                store._resume(experiment)
                return store
            chunks = [p for d in (store.runs_dir, store.steps_dir) if d.is_dir() for p in d.glob("*.parquet")]
            if chunks:
                raise InputError(f"holds {len(chunks)} chunk files but no metadata.json, so nothing says which "
                                 "experiment made them; it cannot be resumed. Use a new --store directory "
                                 "(or restore metadata.json)", file=str(store.path))
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
                "store_id": secrets.token_hex(8),
                "source": experiment.source,
                "fingerprint": experiment.fingerprint(),
                "model_defaults": model_defaults(),
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
                "store_steps": experiment.store_steps,
                "chunk_samples": experiment.chunk_samples,
                "n_chunks": len(experiment.chunks()),
                "n_runs": experiment.n_runs,
                "design": samples.drop(columns="sample").to_numpy().tolist(),
            }
            _atomic_write_bytes(store.metadata_file, json.dumps(meta, default=str).encode())
            store._meta = None
        except BaseException:
            store.unlock()
            raise
        return store

    def _resume(self, experiment: Experiment) -> None:
        meta = self.metadata()
        if meta.get("fingerprint") != experiment.fingerprint():
            raise InputError(f"holds a different experiment ({meta.get('source') or 'unknown file'}); "
                             f"{defaults_note(meta.get('model_defaults'))}resume only with the same experiment "
                             "file, or use a new --store directory", file=str(self.path))
        if meta.get("format", 1) < FORMAT or not meta.get("store_id"):
            raise InputError(f"was written by an older counterflow (store format {meta.get('format', 1)}) whose "
                             "chunks cannot be checked; analyse it as it is, or use a new --store directory "
                             "to run the experiment again", file=str(self.path))
        self.clean_temporary()
        check = self.check(full=True)
        if check.foreign:
            files = "; ".join(f"{p.relative_to(self.path)}: {why}" for p, why in check.foreign[:5])
            raise InputError(f"holds chunk files that do not belong to it ({files}); they were copied in from "
                             "another store or experiment. Remove them, or use a new --store directory",
                             file=str(self.path))
        for p, why in check.damaged + check.incomplete:
            self._move_aside(p)
            self.notes.append(f"{p.relative_to(self.path)} cannot be used ({why}); moved to damaged/, "
                              "its runs are run again")
        for p in check.leftover:
            p.unlink(missing_ok=True)

    def _move_aside(self, path: Path) -> None:
        move_aside(self.path, path)

    def chunk_name(self, chunk: int) -> str:
        return f"chunk-{chunk:06d}.parquet"

    def _chunk_meta(self, kind: str, chunks: dict[int, str]) -> dict:
        meta = self.metadata()
        return {"format": FORMAT, "kind": kind, "fingerprint": meta["fingerprint"], "store_id": meta["store_id"],
                "chunks": {str(k): v for k, v in chunks.items()}}

    def write_chunk(self, chunk: int, runs: pa.Table, steps: pa.Table | None) -> None:
        """Write one chunk: its steps, then its runs (the commit), both marked with one write id.

        Chunks may be written from several threads at once (each to its own files).
        """
        if not self.locked:
            raise RuntimeError("write_chunk needs the store's lock (open it with Store.create)")
        write = secrets.token_hex(8)
        if steps is not None:
            _atomic_write_table(self.steps_dir / self.chunk_name(chunk), steps,
                                self._chunk_meta("steps", {chunk: write}), sync_dir=False)
        else:  # a chunk without steps (every run failed): no older steps file may pair with it
            (self.steps_dir / self.chunk_name(chunk)).unlink(missing_ok=True)
        _atomic_write_table(self.runs_dir / self.chunk_name(chunk), runs,
                            self._chunk_meta("runs", {chunk: write}) | {"steps": steps is not None},
                            sync_dir=False)

    def sync(self) -> None:
        """Flush the chunk folders' entries to disk (the renames of the chunks written so far)."""
        _fsync_dir(self.steps_dir)
        _fsync_dir(self.runs_dir)

    def clean_temporary(self) -> None:
        """Remove half-written files left by an interrupted sweep."""
        for d in (self.runs_dir, self.steps_dir):
            for p in d.glob(".*.tmp-*") if d.is_dir() else ():
                p.unlink(missing_ok=True)

    def compact(self) -> int:
        """Merge the runs files of all chunks into one file (the store keeps its chunk map; resume still works).

        Returns the number of files merged (0 when there was nothing to merge).
        """
        if not self.locked:
            raise RuntimeError("compact needs the store's lock (open it with Store.create)")
        check = self.check()
        singles = [p for p in check.runs_files if p.name.startswith("chunk-")]
        if len(check.runs_files) < 2 or not singles:
            return 0
        files = check.runs_files
        tables = [pq.read_table(f).replace_schema_metadata(None) for f in files]
        writes = {k: check.writes[k] for k in check.runs}
        table = pa.concat_tables(tables, promote_options="none")
        table = table.sort_by([("sample", "ascending")])
        first, last = min(check.runs), max(check.runs)
        target = self.runs_dir / f"compact-{first:06d}-{last:06d}.parquet"
        meta = self._chunk_meta("runs", dict(sorted(writes.items())))
        meta["steps"] = {str(k): k in check.steps for k in sorted(check.runs)}
        _atomic_write_table(target, table, meta)
        for f in files:
            if f != target:
                f.unlink(missing_ok=True)
        _fsync_dir(self.runs_dir)
        return len(files)

    def expand(self) -> None:
        """Split compacted runs files back into one file per chunk (before chunks in them are run again)."""
        meta = self.metadata()
        k = meta["chunk_samples"]
        for f in sorted(self.runs_dir.glob("compact-*.parquet")):
            cm = self._file_meta(f)
            table = pq.read_table(f).replace_schema_metadata(None)
            chunk_of = pa.array(np.asarray(table.column("sample").to_numpy()) // k)
            steps = cm.get("steps", {})
            for key, write in cm["chunks"].items():
                c = int(key)
                part = table.filter(pc.equal(chunk_of, c))
                single = {"format": FORMAT, "kind": "runs", "fingerprint": cm["fingerprint"],
                          "store_id": cm["store_id"], "chunks": {key: write}, "steps": bool(steps.get(key, False))}
                _atomic_write_table(self.runs_dir / self.chunk_name(c), part, single)
            f.unlink()

    # ------------------------------------------------------------- checking
    _file_meta = staticmethod(file_meta)

    def check(self, full: bool = False) -> StoreCheck:
        """Look at every chunk file: which chunks are committed, and what is damaged, foreign or left over.

        ``full`` reads every file whole (at resume); otherwise only the Parquet footers.
        """
        meta = self.metadata()
        out = StoreCheck()
        legacy = meta.get("format", 1) < FORMAT
        fp, sid = meta.get("fingerprint"), meta.get("store_id")
        n_chunks = meta.get("n_chunks")
        files: dict[str, list[tuple[Path, dict]]] = {"runs": [], "steps": []}
        for kind, d in (("runs", self.runs_dir), ("steps", self.steps_dir)):
            if not d.is_dir():
                continue
            for f in sorted(d.glob("*.parquet")):
                if not (f.name.startswith("chunk-") or (kind == "runs" and f.name.startswith("compact-"))):
                    continue
                try:
                    cm = self._file_meta(f)
                    if full:
                        pq.read_table(f)
                except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
                    out.damaged.append((f, f"cannot be read: {type(exc).__name__}: {str(exc)[:120]}"))
                    continue
                if legacy:
                    c = int(f.stem.split("-")[1])
                    cm = {"chunks": {str(c): "legacy"}, "steps": True}
                else:
                    why = identity_problem(cm, fp, sid, kind)
                    if why is None:
                        chunks = [int(c) for c in cm.get("chunks", {})]
                        if f.name.startswith("chunk-") and chunks != [int(f.stem.split("-")[1])]:
                            why = f"it holds chunk {chunks} under another chunk's name"
                        elif n_chunks is not None and any(not 0 <= c < n_chunks for c in chunks):
                            why = "it holds a chunk this experiment does not have"
                    if why:
                        out.foreign.append((f, why))
                        continue
                files[kind].append((f, cm))
        # runs: a compacted file wins over single chunk files holding the same write (an interrupted compaction)
        runs_files = sorted(files["runs"], key=lambda x: (not x[0].name.startswith("compact-"), x[0].name))
        needs_steps: dict[int, bool] = {}
        for f, cm in runs_files:
            steps_flag = cm.get("steps", True)
            writes = {int(key): write for key, write in cm["chunks"].items()}
            if any(c in out.runs for c in writes):
                out.leftover.append(f)
                continue
            for c, write in writes.items():
                out.runs[c] = f
                out.writes[c] = write
                needs_steps[c] = bool(steps_flag.get(str(c), True) if isinstance(steps_flag, dict) else steps_flag)
        for f, cm in files["steps"]:
            (key, write), = cm["chunks"].items()
            c = int(key)
            if c in out.runs and (legacy or out.writes[c] == write):
                out.steps[c] = f
            else:  # an interrupted write's steps, or steps replaced without their runs
                out.leftover.append(f)
        if meta.get("store_steps", True):
            lost = sorted(c for c in out.runs if needs_steps.get(c) and c not in out.steps)
            for f in sorted({out.runs[c] for c in lost}):
                why = "its steps file is missing or from another write"
                if f.name.startswith("compact-"):
                    cs = sorted(c for c in lost if out.runs[c] == f)
                    out.damaged.append((f, f"the steps file of chunk {cs[0]} is missing or from another write"))
                else:
                    out.incomplete.append((f, why))
            for c in lost:
                del out.runs[c]
        return out

    def done_chunks(self) -> set[int]:
        """Chunks whose runs (and steps) are committed in the store."""
        return set(self.check().runs)

    def failed_chunks(self) -> set[int]:
        """Chunks holding at least one run with status 'error'."""
        check = self.check()
        if not check.runs:
            return set()
        import duckdb

        k = self.metadata()["chunk_samples"]
        rows = duckdb.connect().execute(
            f"SELECT DISTINCT sample FROM read_parquet({_sql_list(check.runs_files)}) WHERE status <> 'ok'").fetchall()
        return {int(r[0]) // k for r in rows} & set(check.runs)

    # ------------------------------------------------------------- reading
    def metadata(self) -> dict:
        if self._meta is not None:
            return self._meta
        if not self.exists():
            raise InputError("is not a sweep store (no metadata.json); run `counterflow sweep` first",
                             file=str(self.path))
        try:
            meta = json.loads(self.metadata_file.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or "fingerprint" not in meta:
                raise ValueError("not a store's metadata")
        except (OSError, ValueError) as exc:
            raise InputError(f"its metadata.json cannot be read ({type(exc).__name__}: {exc}); the store "
                             "cannot be used", file=str(self.path)) from None
        self._meta = meta
        return meta

    def _readable(self) -> StoreCheck:
        check = self.check()
        problems = check.damaged + check.foreign
        if problems:
            files = "; ".join(f"{p.relative_to(self.path)} {why}" for p, why in problems[:5])
            raise InputError(f"has chunk files that cannot be used: {files}. Run the same `counterflow sweep` "
                             "command again: it moves damaged chunks aside and runs them again (files from "
                             "another store must be removed)", file=str(self.path))
        if not check.runs:
            raise InputError("holds no runs yet", file=str(self.path))
        return check

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with views ``runs``, ``steps`` (if stored) and ``samples``."""
        import duckdb

        check = self._readable()
        con = duckdb.connect()
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({_sql_list(check.runs_files)})")
        if check.steps:
            con.execute(f"CREATE VIEW steps AS SELECT * FROM read_parquet({_sql_list(check.steps_files)})")
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
