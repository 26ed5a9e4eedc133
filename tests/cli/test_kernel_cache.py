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


CALLEE = '''
from numba import njit
{hook}

@njit(cache=True)
def factor():
    return {value}
'''

CALLER = '''
from numba import njit
{hook}
from .b import factor


@njit(cache=True)
def probe(x):
    return x * factor()
'''

HOOK = '''from pathlib import Path

from counterflow._jit import configure

CACHE_DIR = configure(Path(__file__).parent, ("a.py", "b.py"))
'''


def _two_modules(tmp_path: Path, hook: bool, value: float) -> None:
    pkg = tmp_path / "twopkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_jit.py").write_text(HOOK)
    line = "from . import _jit  # noqa: F401" if hook else ""
    (pkg / "a.py").write_text(CALLER.format(hook=line))
    callee = pkg / "b.py.new"
    callee.write_text(CALLEE.format(hook=line, value=value))
    os.replace(callee, pkg / "b.py")       # a new file, as an upgrade or a checkout writes it


def _run_caller(tmp_path: Path) -> list:
    import json

    code = ("import sys, json\nsys.path.insert(0, sys.argv[1])\nimport twopkg.a as a\n"
            "v = a.probe(2.0)\nprint(json.dumps([v, len(a.probe.stats.cache_hits)]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_changed_callee_module_recompiles_its_callers(tmp_path):
    """numba checks only a kernel's own file; with the project's cache folder (keyed by every
    compiled module's source) a change to the callee's module alone reaches the caller."""
    _two_modules(tmp_path, hook=True, value=3.0)
    assert _run_caller(tmp_path)[0] == 6.0                 # compiled
    assert _run_caller(tmp_path) == [6.0, 1]               # then read from the cache
    _two_modules(tmp_path, hook=True, value=5.0)           # only b.py changes
    assert (tmp_path / "twopkg/a.py").read_text() == CALLER.format(
        hook="from . import _jit  # noqa: F401")
    assert _run_caller(tmp_path)[0] == 10.0                # the new callee runs
    assert _run_caller(tmp_path) == [10.0, 1]              # and is cached again
    folders = list((tmp_path / "twopkg/__pycache__").glob("kernels-*"))
    assert len(folders) == 1                               # the old sources' folder is gone


def test_every_compiled_module_uses_the_cache_folder():
    """Every module of counterflow with ``@njit`` imports ``_jit`` and is part of its hash."""
    import ast

    from counterflow import _jit

    src = ROOT / "src" / "counterflow"
    compiled = set()
    for path in src.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        if "njit" not in names and "jit" not in names:
            continue
        rel = path.relative_to(src).as_posix()
        if rel == "_jit.py":
            continue
        compiled.add(rel)
        imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)
                   and any(a.name == "_jit" for a in n.names)]
        assert imports, f"{rel} compiles kernels but does not import counterflow._jit"
    assert compiled <= set(_jit.COMPILED), compiled - set(_jit.COMPILED)
    assert all((src / name).exists() for name in _jit.COMPILED)


def test_a_changed_bundle_changes_the_cache_folder(tmp_path):
    """The kernels unpack the bundles of ``engine/bundles.py`` by field position, compiled in: reordering a
    bundle's fields (no kernel module changed) must name another cache folder, or a cached kernel reads the
    wrong arrays."""
    from counterflow import _jit

    src = ROOT / "src" / "counterflow"
    for name in _jit.COMPILED + ("engine/bundles.py",):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / name, tmp_path / name)
    assert _jit.source_hash(tmp_path) == _jit.source_hash(src)
    bundles = tmp_path / "engine" / "bundles.py"
    text = bundles.read_text()
    swapped = text.replace("    cash: np.ndarray         # [O] USD\n    price: np.ndarray        # [M]\n",
                           "    price: np.ndarray        # [M]\n    cash: np.ndarray         # [O] USD\n", 1)
    assert swapped != text
    bundles.write_text(swapped)
    assert _jit.source_hash(tmp_path) != _jit.source_hash(src)
