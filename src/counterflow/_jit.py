"""Where numba keeps counterflow's compiled kernels, so that a changed kernel module recompiles
every kernel that calls into it.

numba's disk cache (``@njit(cache=True)``) checks only the source file of the function it compiled.
A kernel that calls (and inlines) a compiled function from another module kept its machine code when
only that other module changed (after a ``git pull``, say), and the old code ran. Every compiled
module imports this module before its ``@njit`` decorators run; it points numba's cache
(``numba.config.CACHE_DIR``) at a folder named by a hash of all of counterflow's compiled modules'
sources (and of ``engine/bundles.py``, whose NamedTuples the kernels compile in), so any change to any
of them compiles everything afresh, once.

* The folder is ``counterflow/__pycache__/kernels-<hash>`` when that is writable, otherwise
  ``~/.cache/counterflow/kernels-<hash>``; when neither can be made, numba's own locations are left
  in place (numba also falls back to them by itself when it cannot create or write the folder: its
  locator returns nothing on ``OSError``).
* A user's own ``NUMBA_CACHE_DIR`` is respected: then nothing here changes.
* Older ``kernels-*`` folders next to the current one are removed, so the cache does not grow with
  every upgrade.
* Cost: reading and hashing the compiled modules, once per process, on the first kernel import
  (``import counterflow`` does not import this).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numba

ROOT = Path(__file__).resolve().parent
_CONFIG: Any = numba.config  # its settings are set at run time (unknown to type checkers)

# Every module with @njit kernels (tests check this list against the source tree), and engine/bundles.py: the
# kernels compile in its NamedTuples (a bundle's fields are read by position), so a change there must recompile them.
COMPILED = (
    "engine/_kernels.py",
    "engine/bundles.py",
    "engine/_netsimplex.py",
    "engine/_ssp.py",
    "engine/costs.py",
    "engine/planning.py",
    "engine/society.py",
    "optimize/_cover_search.py",
    "optimize/_detour.py",
    "optimize/_evader.py",
    "optimize/_heap.py",
)


def source_hash(root: Path = ROOT, files: tuple[str, ...] = COMPILED) -> str:
    """A short hash of the compiled modules' sources and numba's version."""
    h = hashlib.sha256(numba.__version__.encode())
    for name in files:
        h.update(name.encode())
        try:
            h.update((root / name).read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()[:16]


def _usable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _prune(folder: Path) -> None:
    """Remove the other ``kernels-*`` folders beside ``folder`` (caches of older sources)."""
    try:
        for old in folder.parent.glob("kernels-*"):
            if old != folder and old.is_dir() and len(old.name) == len(folder.name):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def configure(root: Path = ROOT, files: tuple[str, ...] = COMPILED) -> str | None:
    """Point numba's cache at the folder for these sources; returns it (None when left alone)."""
    if os.environ.get("NUMBA_CACHE_DIR") or _CONFIG.DISABLE_JIT:
        return None
    name = "kernels-" + source_hash(root, files)
    for base in (root / "__pycache__", Path.home() / ".cache" / "counterflow"):
        folder = base / name
        if _usable(folder):
            _CONFIG.CACHE_DIR = str(folder)
            _prune(folder)
            return str(folder)
    return None


CACHE_DIR = configure()
