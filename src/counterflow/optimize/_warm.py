"""The path cover's compiled kernels (the hitting-set master and the A* evader), ready without a wait.

numba compiles a kernel on its first use after an install (about 25 s idle, 40 s on a loaded host)
and keeps it on disk; later processes read it back in about a second. The path cover asks
:func:`ready` before each master and each evader call:

* kernels already in this process: ready;
* kernels on disk (fresh for this source and numba version): read now, ready (so every run after the
  first takes the same steps);
* otherwise (the first use after an install or an upgrade): they are compiled in a background thread,
  which also stores them on disk, and until it finishes the path cover uses HiGHS for its masters
  and scipy's Dijkstra for the evader. Both are exact, so the answer is the same optimum, and the
  first solve does not wait for the compiler. A process that ends sooner leaves the compile to a
  later one.

:func:`warm_up` compiles (or loads) in the foreground, for a warm-up step or a benchmark.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import scipy.sparse as sp

__all__ = ["ready", "warm_up", "on_disk"]

_LOCK = threading.Lock()
_DONE = threading.Event()
_THREAD: threading.Thread | None = None
_FAILED = False


def _kernels() -> list:
    from . import _cover_search, _evader

    return [_cover_search._dfs, _evader._astar, _evader._path]


def on_disk() -> bool:
    """Whether numba's disk cache holds every kernel, fresh for this source and numba version (read
    through numba's cache index; False when that cannot be read)."""
    try:
        return all(bool(k._cache._cache_file._load_index()) for k in _kernels())
    except Exception:  # noqa: BLE001 - numba internals changed or unreadable: treat as not cached
        return False


def _compile() -> None:
    global _FAILED
    try:
        from ._cover_search import cover_search
        from ._evader import AStar
        from .graph import InterdictionNetwork

        cover_search(sp.csr_matrix(np.ones((1, 1))), np.ones(1), np.ones(1), 1.0, limit=10)
        net = InterdictionNetwork.from_edges([{"from": "s", "to": "t", "capacity": 1, "cost": 1}],
                                             source="s", sink="t")
        arcs = net.arcs()
        AStar(arcs).shortest(arcs.cost.astype(float))
    except Exception:  # noqa: BLE001 - never ready: the exact fallbacks (HiGHS, scipy) keep working
        _FAILED = True
    finally:
        _DONE.set()


def ready() -> bool:
    """True when the kernels can run without compiling; see the module docstring."""
    global _THREAD
    if _DONE.is_set():
        return not _FAILED
    with _LOCK:
        if _DONE.is_set():  # read from disk by another thread while this one waited for the lock
            return not _FAILED
        if _THREAD is None:
            if on_disk():
                _compile()  # a read from disk: about a second
                return not _FAILED
            _THREAD = threading.Thread(target=_compile, name="counterflow-kernel-compile", daemon=True)
            _THREAD.start()
    return False


def warm_up() -> float:
    """Make the kernels ready in this process, compiling them if they are not on disk; the seconds it took
    (0.0 when already ready)."""
    if _DONE.is_set():
        return 0.0
    t = time.perf_counter()
    if not ready():
        _DONE.wait()
    return time.perf_counter() - t
