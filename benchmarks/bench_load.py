"""Large networks from the first command: loading a scenario, and a second run on the same network.

For a generated network (``LOAD_NODES``, default 10,000 nodes, ~50,000 edges,
5 organisations) written both as YAML and in the tables form
(``X.parquet.yaml`` + Parquet node and edge tables):

* loading it in a fresh process, YAML against tables form, interleaved A/B
  (``LOAD_PAIRS`` pairs, default 3): CPU seconds of the load alone and the ratio;
* ``counterflow run NET --runs 1 --steps 52`` in a new process, wall clock and
  CPU from process start: first with an empty warm-up cache (``COUNTERFLOW_CACHE``
  pointed at a new folder), then the second command on the same network, which
  reads the stored warm-up state and the seed's stored burn-in (target: the second command <= 10 s
  wall); then the same command with another seed, which reads the warm-up but simulates its burn-in.

CPU time (user + system of the child) is the steadier figure on a shared machine.

With ``LOAD_BASE=<commit>`` the second command is also timed A/B against that commit's code
(``git archive`` of its ``src`` into a temporary folder): each side runs one untimed first
command (it compiles that code's kernels and stores its warm-up), then ``LOAD_AB_PAIRS``
(default 2) second commands interleaved, the order alternating from pair to pair.
``LOAD_PAIRS=0`` skips the YAML-against-tables loading comparison.

Usage: ``.venv/bin/python benchmarks/run_all.py load`` (``LOAD_NODES=100000`` for the large size).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NODES = int(os.environ.get("LOAD_NODES", "10000"))
PAIRS = int(os.environ.get("LOAD_PAIRS", "3"))
BASE = os.environ.get("LOAD_BASE", "")
AB_PAIRS = int(os.environ.get("LOAD_AB_PAIRS", "2"))
CLI = [sys.executable, "-m", "counterflow"]


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds of one child process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


_LOAD = ("import time, sys; from counterflow.scenario import load_scenario; "
         "t = time.process_time(); load_scenario(sys.argv[1]); print(time.process_time() - t)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        yaml_path, tables_path = d / "net.yaml", d / "net.parquet.yaml"
        for out in (yaml_path, tables_path):
            _child([*CLI, "generate", "--nodes", str(NODES), "--seed", "1", "--organisations", "5", "-o", str(out)])
        print(f"generated network: {NODES} nodes, seed 1, 5 organisations")
        ys, ts = [], []
        for _ in range(PAIRS):  # A/B interleaved
            ys.append(float(_child([sys.executable, "-c", _LOAD, str(yaml_path)])[2]))
            ts.append(float(_child([sys.executable, "-c", _LOAD, str(tables_path)])[2]))
        ys.sort()
        ts.sort()
        if PAIRS:
            print(f"load, CPU s (median of {PAIRS}): YAML {ys[len(ys) // 2]:.2f}, tables form "
                  f"{ts[len(ts) // 2]:.2f}, ratio {ys[len(ys) // 2] / ts[len(ts) // 2]:.1f}x")
        env = dict(os.environ, COUNTERFLOW_CACHE=str(d / "cache"))
        run = [*CLI, "run", str(tables_path), "--runs", "1", "--steps", "52", "--seed", "1"]
        first = _child(run, env)
        second = _child(run, env)
        print(f"run --runs 1 --steps 52 from process start: first {first[0]:.1f} s wall ({first[1]:.1f} s CPU), "
              f"second {second[0]:.1f} s wall ({second[1]:.1f} s CPU; target <= 10 s wall)")
        other = _child([*run[:-1], "2"], env)  # stored warm-up, but this seed's burn-in is not stored yet
        print(f"second command with another seed (--seed 2: the warm-up read, the burn-in simulated): "
              f"{other[0]:.1f} s wall ({other[1]:.1f} s CPU)")
        if BASE:
            _ab(d, run, env)


def _ab(d: Path, run: list[str], env: dict) -> None:
    """The second command A/B: this code against ``LOAD_BASE``'s, interleaved (see the module docstring)."""
    from _gitsrc import base_src

    sides = {"this": env, BASE: dict(env, PYTHONPATH=str(base_src(BASE)))}
    for side_env in sides.values():
        _child(run, side_env)  # first command: compiles the side's kernels, stores its warm-up
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    for i in range(AB_PAIRS):
        for name in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
            wall, cpu, _ = _child(run, sides[name])
            times[name].append((wall, cpu))
    for name, ts in times.items():
        print(f"second command, {name}: " + ", ".join(f"{w:.1f} s wall ({c:.1f} s CPU)" for w, c in ts))
    ratio = [a[1] / b[1] for a, b in zip(times["this"], times[BASE], strict=True)]
    print("CPU ratio this / base per pair: " + ", ".join(f"{r:.2f}" for r in ratio))


if __name__ == "__main__":
    main()
