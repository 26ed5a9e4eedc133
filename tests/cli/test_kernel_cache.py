"""The compiled kernels are cached on disk, and a changed kernel is compiled again (an upgrade never
runs a stale kernel). Uses the engine's own caching (``numba.njit(cache=True)``) on a copy of a real
kernel module, in fresh processes, as an install and an upgrade would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "src" / "counterflow" / "engine" / "society.py"

MODULE = '''
from numba import njit


@njit(cache=True)
def probe(x):
    return x * FACTOR
'''


def test_engine_kernels_are_cached_on_disk():
    """Every kernel of the engine asks numba to keep its compiled code on disk."""
    src = KERNEL.read_text() + (ROOT / "src/counterflow/engine/_kernels.py").read_text()
    assert "@njit(cache=True)" in src
    assert "@njit\n" not in src and "@njit()" not in src


def test_a_changed_kernel_is_compiled_again(tmp_path):
    """Compile and cache, then change the kernel's source as an upgrade does: the next process runs
    the new code (not the cached one), and an unchanged kernel is read from the cache."""
    pkg = tmp_path / "kernelpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    mod = pkg / "mod.py"
    mod.write_text("FACTOR = 3.0\n" + MODULE)
    code = ("import sys, json\nsys.path.insert(0, sys.argv[1])\nimport kernelpkg.mod as m\n"
            "v = m.probe(2.0)\nprint(json.dumps([v, len(m.probe.stats.cache_hits), len(m.probe.stats.cache_misses)]))")

    def run() -> list:
        import json

        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
        r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    first = run()
    assert first[0] == 6.0 and first[2] == 1          # compiled
    assert list((pkg / "__pycache__").glob("mod.probe-*.nbi"))  # and kept on disk
    second = run()
    assert second[0] == 6.0 and second[1] == 1        # read from the cache, not compiled
    # the upgrade: new source (a new file written over the old one, as pip does)
    new = pkg / "mod.py.new"
    new.write_text("FACTOR = 5.0\n" + MODULE)
    st = mod.stat()
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    shutil.move(new, mod)
    third = run()
    assert third[0] == 10.0 and third[2] == 1         # compiled again: the new code runs
