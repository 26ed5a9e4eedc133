"""Start-up cost of the library and the command line, each in a new process.

Interleaved rounds (``STARTUP_ROUNDS``, default 7) of, in a fresh interpreter each time:

* ``python -c pass`` (the interpreter alone),
* ``python -c "import numpy"`` (numpy's own import, for reference),
* ``python -c "import counterflow"`` (target: <= 0.3 CPU-s),
* ``counterflow --version`` and ``counterflow --help`` (target: < 0.3 CPU-s each),

reported as the median CPU seconds (user + system of the child; steadier than wall time on a
shared machine) and the median wall seconds. Then ``counterflow run caribbean --runs 1
--steps 1`` in a new process, five times, median wall (target: <= 3 s with the kernels
already compiled; the first of the five compiles them when the cache is cold) and median CPU
(which is what the wall time comes to on an idle core; on a loaded host only CPU is comparable).

Last, where the CPU of that command goes: one child process that times its stages in turn
(imports, loading the scenario, Numba's first use of its compiled-code context, the run, the
summary). ``STARTUP_PART=stages`` runs only this part.

Usage: ``.venv/bin/python benchmarks/run_all.py startup``
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = int(os.environ.get("STARTUP_ROUNDS", "7"))
SRC = str(Path(__file__).resolve().parents[1] / "src")

CASES = {
    "python -c pass": ["-c", "pass"],
    "import numpy": ["-c", "import numpy"],
    "import counterflow": ["-c", "import counterflow"],
    "counterflow --version": ["-m", "counterflow", "--version"],
    "counterflow --help": ["-m", "counterflow", "--help"],
}
TARGETS = {"import counterflow": 0.3, "counterflow --version": 0.3, "counterflow --help": 0.3}


def _child(args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


STAGES = """
import sys, time
t = [time.process_time()]
def mark(what):
    now = time.process_time()
    print(f"{what:56} {now - t[0]:6.3f}")
    t[0] = now
import typer; mark("import typer")
import pydantic; mark("import pydantic (Typer checks parameters with it)")
import numpy; mark("import numpy")
import pandas; mark("import pandas")
import numba; mark("import numba")
import counterflow.runner; mark("import the rest of the library (engine, OR-Tools...)")
from counterflow.scenario import load_scenario
sc = load_scenario("caribbean"); mark("load caribbean")
import numba.core.registry
numba.core.registry.cpu_target.target_context.refresh(); mark("Numba's first use of its compiled-code context")
from counterflow.runner import run_replications
from counterflow.strategy import resolve_strategies
res = run_replications(sc, resolve_strategies(sc, []), runs=1, seed=0, steps=1); mark("1 run of each strategy (warm-up included)")
res.summary(); mark("summary")
"""


def stages() -> None:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    print("where the CPU of `counterflow run caribbean --runs 1 --steps 1` goes (one process, CPU s per stage):")
    subprocess.run([sys.executable, "-c", STAGES], env=env, check=True)


def main() -> None:
    if os.environ.get("STARTUP_PART") == "stages":
        stages()
        return
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in CASES}
    for _ in range(ROUNDS):
        for name, args in CASES.items():  # interleaved: every round runs every case once
            results[name].append(_child(args))
    print(f"new process each time, median of {ROUNDS} interleaved rounds")
    print(f"{'':28} {'CPU s':>7} {'wall s':>7}  target")
    for name, vals in results.items():
        cpu = statistics.median(v[0] for v in vals)
        wall = statistics.median(v[1] for v in vals)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target} CPU-s: {'met' if cpu <= target else 'NOT met'}"
        print(f"{name:28} {cpu:7.3f} {wall:7.3f}  {verdict}")
    runs = [_child(["-m", "counterflow", "run", "caribbean", "--runs", "1", "--steps", "1"]) for _ in range(5)]
    walls = [w for _, w in runs]
    print(f"counterflow run caribbean --runs 1 --steps 1: wall {', '.join(f'{w:.2f}' for w in walls)} s; "
          f"median {statistics.median(walls):.2f} s (target <= 3 s once the kernels are compiled); "
          f"CPU median {statistics.median(c for c, _ in runs):.2f} s (wall is CPU on an idle core: the command "
          f"is single-threaded)")
    stages()


if __name__ == "__main__":
    main()
