"""The warm-up state of a network, kept on disk so a second command on the same network skips it.

The warm-up (``parameters.warmup`` deterministic baseline steps, see
:func:`counterflow.engine.core.warm_state`) costs about as much as one
replication; on a 10,000-node network that is seconds of every command. Its
result depends only on the scenario (without its strategies) and on the model's
code, so it is stored under a key made of both:

* the scenario's content (:meth:`Scenario.content_key`: every node, edge,
  organisation, market and parameter; strategies and source left out), and
* the package version and a hash of the source of every module of the package
  (any change to the model makes a new key).

A key reads ``w2<network>-<code>`` (``w2``: the form of the content hash, see
:data:`KEY_FORMAT`): when a state is stored, the entries of the same network made by
other code (an upgrade, an edited module), which can never be read again, are deleted
with their burn-ins, and so are entries named in an earlier form of the key (no dash,
or no ``w2``: their network cannot be told, and this code never reads them) and
temporary files that a killed process left more than an hour ago. (Two installed
versions used in turn on the same network therefore recompute their warm-up each time
they alternate.) A warm-up that did not settle within ``warmup_max`` is stored with
its warning, which is given again whenever the stored state is used.

Files live in ``$COUNTERFLOW_CACHE`` if set, else ``~/.cache/counterflow``, under
``warm/``; each is written to a temporary name and renamed, so a killed process
leaves no half-written entry. Next to it each run's burn-in (the steps from the
warm-up's end to step 0, drawn with the run's own dice) is kept under the warm-up's
key, the dice's exact state and the solver, :data:`BURN_IN_KEEP` of them per network. Only networks of :data:`MIN_NODES` nodes or more
are stored. Set ``COUNTERFLOW_CACHE=off`` to disable it. The
cache holds only what this machine computed; delete the folder at any time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["MIN_NODES", "BURN_IN_KEEP", "KEY_FORMAT", "cache_dir", "state_key", "burn_in_key", "load", "save",
           "load_warmup", "save_warmup", "save_burn_in"]

#: Networks smaller than this recompute their warm-up (a fraction of a second) instead.
MIN_NODES = 2000

#: Burned-in runs kept per network (one per seed; each about the size of the warm-up state): the oldest go.
BURN_IN_KEEP = 4


#: The start of every key in the current form (``w2``: the scenario's content hashed column by column); a
#: stored file whose name does not start with it and a dash after the network was named in an earlier form.
KEY_FORMAT = "w2"
_CURRENT = re.compile(re.escape(KEY_FORMAT) + r"[0-9a-f]{20}-")


def cache_dir() -> Path | None:
    """The folder of warm-up states, or ``None`` when the cache is off."""
    root = os.environ.get("COUNTERFLOW_CACHE")
    if root and root.lower() in ("off", "0", "no", "false"):
        return None
    base = Path(root) if root else Path.home() / ".cache" / "counterflow"
    return base / "warm"


@cache
def _code_hash() -> str:
    """Hash of the package version and of every module's source (the model's code)."""
    import counterflow

    h = hashlib.sha256(counterflow.__version__.encode())
    root = Path(counterflow.__file__).parent
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def state_key(scenario: Any) -> str:
    """The cache key of ``scenario``'s warm-up state: ``<network>-<code>``, a hash of the scenario's content
    and one of the model's code."""
    network = hashlib.sha256(scenario.content_key().encode()).hexdigest()[:20]
    return f"{KEY_FORMAT}{network}-{_code_hash()[:12]}"


def burn_in_key(scenario: Any, start: int, solver: str, dice: list) -> str:
    """The cache key of a run's burn-in: the warm-up's key, the step it starts at, the solver and the exact
    state of the run's random generators (so the seed, the replication and the spawn all count)."""
    h = hashlib.sha256(f"{start}|{solver}|{dice!r}".encode()).hexdigest()[:16]
    return f"{state_key(scenario)}-burn-{h}"


def load(key: str) -> Any | None:
    """The stored state under ``key``, or ``None`` (missing, unreadable or cache off)."""
    d = cache_dir()
    if d is None:
        return None
    p = d / f"{key}.pkl"
    try:
        with p.open("rb") as f:
            return pickle.load(f)
    except Exception:  # missing, or damaged: recomputed and replaced
        return None


def save(key: str, state: Any) -> None:
    """Store ``state`` under ``key``; silently does nothing where the folder cannot be written."""
    d = cache_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"{key}.pkl")
    except OSError:
        return
    if "-burn-" not in key:
        _prune(d, key)


def load_warmup(key: str) -> tuple[Any | None, str]:
    """The warm-up state stored under ``key`` (or ``None``) and the warning its computation gave ("" when it
    settled), so that a state read from the disk warns as the computed one did."""
    entry = load(key)
    if isinstance(entry, dict) and "state" in entry:
        return entry["state"], str(entry.get("warning") or "")
    return entry, ""


def save_warmup(key: str, state: Any, warning: str = "") -> None:
    """Store a warm-up state under ``key`` with the warning its computation gave (see :func:`load_warmup`)."""
    save(key, {"state": state, "warning": warning})


#: Temporary files older than this (seconds) were left by a killed process.
_STALE_TMP = 3600.0


def _prune(d: Path, key: str) -> None:
    """Delete the entries of ``key``'s network made by other code, with their burn-ins, entries named in an earlier
    form of the key (see :data:`KEY_FORMAT`), and stale temporary files."""
    network, now = key.split("-")[0], time.time()
    try:
        stale = [p for p in d.glob(f"{network}-*.pkl") if not p.name.startswith(key)] + list(d.glob("*.tmp"))
        stale += [p for p in d.glob("*.pkl") if not _CURRENT.match(p.name)]
    except OSError:
        return
    for p in stale:
        try:  # each file on its own: another process may have renamed or removed it meanwhile
            if p.suffix == ".pkl" or now - p.stat().st_mtime > _STALE_TMP:
                p.unlink(missing_ok=True)
        except OSError:
            continue


def save_burn_in(key: str, snapshot: Any) -> None:
    """Store a burned-in run under ``key`` and keep only the :data:`BURN_IN_KEEP` newest of its network."""
    save(key, snapshot)
    d = cache_dir()
    if d is None:
        return
    try:
        mine = sorted(d.glob(key.split("-burn-")[0] + "-burn-*.pkl"), key=lambda p: p.stat().st_mtime_ns)
        for p in mine[:-BURN_IN_KEEP]:
            p.unlink(missing_ok=True)
    except OSError:
        return
