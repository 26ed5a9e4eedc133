"""Packaging: the wheel builds and installs in a clean environment; the core declares no unused
dependency; no import switches matplotlib's backend; notebook reprs are short."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_extras_and_no_unused_dependencies():
    """Heavy optional parts are extras; every core dependency is imported somewhere in the package."""
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    assert {"web", "dask", "analysis", "search", "all", "docs", "test"} <= set(extras)
    core = {d.split(">")[0].split("[")[0].split("=")[0].strip().lower() for d in project["dependencies"]}
    for heavy in ("fastapi", "uvicorn", "dask", "salib", "pymoo", "tqdm", "pytest"):
        assert heavy not in core, heavy
    import_names = {"pyyaml": "yaml"}
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "counterflow").rglob("*.py"))
    for dep in core:
        name = import_names.get(dep, dep)
        assert f"import {name}" in code or f"from {name}" in code, f"core dependency {dep} is never imported"


def test_no_import_switches_the_matplotlib_backend(tmp_path):
    """Importing the report, sensitivity, calibration and search modules and writing a report keeps
    the user's backend."""
    code = (
        "import matplotlib\n"
        "import counterflow.report, counterflow.experiments.sensitivity, counterflow.experiments.calibrate\n"
        "import counterflow\n"
        f"counterflow.compare('caribbean', ['port-strike'], runs=1, steps=3).report(r'{tmp_path / 'r.html'}')\n"
        "print(matplotlib.get_backend())\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "svg"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().lower() == "svg"
    assert (tmp_path / "r.html").stat().st_size > 1000


def test_short_reprs():
    import counterflow
    from counterflow.experiments.store import Store

    sc = counterflow.load_scenario("caribbean")
    assert len(repr(sc)) < 300 and "caribbean" in repr(sc)
    assert "<table>" in sc._repr_html_() and len(sc._repr_html_()) < 5000
    assert repr(Store("/nonexistent-store")).startswith("<Store ")


@pytest.mark.slow
def test_wheel_builds_and_installs_in_a_clean_environment(tmp_path):
    """Build the wheel (no network), install it with --no-deps into a new venv that sees the
    dependencies but not the source tree, and run the command from it."""
    dist = tmp_path / "dist"
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    wheel = next(dist.glob("counterflow-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "counterflow/data/caribbean.yaml" in names and any(n.endswith("LICENSE") for n in names)
    assert "Provides-Extra: web" in meta and "tqdm" not in meta
    assert "Requires-Dist: fastapi" in meta and 'extra == "web"' in meta

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies come from this environment's site-packages, added as a plain path (its .pth
    # files, among them an editable install of the source tree, are not processed)
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                        "--ignore-installed", "--quiet", str(wheel)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    cli = venv / "bin" / "counterflow"
    r = subprocess.run([py, "-c", "import counterflow; print(counterflow.__file__)"], capture_output=True,
                       text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith(str(venv)), r.stdout + r.stderr
    r = subprocess.run([cli, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("counterflow ")
    r = subprocess.run([cli, "run", "caribbean", "--runs", "1", "--steps", "2", "--json"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert '"scenario": "caribbean"' in r.stdout


BLOCK_EXTRAS = '''
import sys

class _NoExtras:
    """Behave as an install without the optional extras: their packages cannot be found."""
    BLOCKED = {"fastapi", "uvicorn", "multipart", "dask", "distributed", "SALib", "pymoo", "ema_workbench"}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return None

sys.meta_path.insert(0, _NoExtras())
'''


@pytest.mark.slow
def test_the_core_works_without_the_extras_and_names_a_missing_one(tmp_path):
    """With the extras' packages unfindable: run, compare with the report and a Latin hypercube
    sweep work; serve, a Sobol sweep, sensitivity and a dask sweep exit 2 naming the extra."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_EXTRAS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), SRC])}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "counterflow", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=600)

    r = subprocess.run([sys.executable, "-c", "import fastapi"], capture_output=True, text=True, env=env)
    assert r.returncode != 0  # the blocker works
    r = cli("compare", "caribbean", "-s", "port-strike", "--runs", "1", "--steps", "3", "--report", "r.html")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "r.html").is_file()
    from tests.experiments.conftest import write_experiment

    lhs = write_experiment(tmp_path, "lhs.yaml", samples=2, replications=1, steps=3)
    r = cli("sweep", str(lhs), "--store", "st", "--executor", "sequential", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    sobol = write_experiment(tmp_path, "sobol.yaml", sampler="sobol", samples=2, replications=1, steps=3)
    for args, extra in ((("serve",), "web"), (("sweep", str(sobol), "--store", "st2"), "analysis"),
                        (("sensitivity", "--store", "st"), "analysis"),
                        (("sweep", str(lhs), "--store", "st3", "--executor", "dask"), "dask")):
        r = cli(*args)
        assert r.returncode == 2, (args, r.stderr[-2000:])
        assert f"pip install 'counterflow[{extra}]'" in r.stderr, (args, r.stderr)
