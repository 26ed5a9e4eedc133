"""Performance at scale: a generated 10,000-node network, and memory at 1k / 10k / 100k nodes.

Prints, for a generated network of 10,000 nodes, ~50,000 edges and 5
organisations (``counterflow.generate``):

* the time of the cached warm-up (``parameters.warmup`` steps, default 52) and
  of one replication of 52 steps (baseline, and a hub-strike strategy), wall
  clock and CPU time of this process (the machine is shared; CPU time is the
  steadier figure);
* the time spent in the planning solver alone (``engine.planning.solve_plan``,
  timed by wrapping it) and the ratio engine / solver (target <= 1.5);
* where the time goes (cProfile of one 52-step run, by function);
* peak memory (max RSS of a fresh subprocess per size, minus the RSS after
  imports) for 1,000, 10,000 and 100,000 nodes, with MB per 1,000 nodes.

Timings run in a subprocess pinned to one CPU with single-threaded BLAS
(``OPENBLAS_NUM_THREADS=1`` etc.): "one core" as the target says, and on a
shared 2-core machine threaded BLAS calls (``a @ b`` on 50,000 floats) can take
milliseconds instead of microseconds.

Usage: ``.venv/bin/python benchmarks/run_all.py scale`` (``SCALE_SIZES=1000,10000``
to change the memory sizes).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_NODES = 10_000
STEPS = 52


class SolverClock:
    """Wraps ``planning.solve_plan`` to add up its wall and CPU time."""

    def __init__(self) -> None:
        from counterflow.engine import planning

        self.planning = planning
        self.orig = planning.solve_plan
        self.wall = self.cpu = 0.0
        self.calls = 0

        def timed(*args, **kwargs):
            w, c = time.perf_counter(), time.process_time()
            try:
                return self.orig(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - w
                self.cpu += time.process_time() - c
                self.calls += 1

        planning.solve_plan = timed

    def reset(self) -> None:
        self.wall = self.cpu = 0.0
        self.calls = 0

    def close(self) -> None:
        self.planning.solve_plan = self.orig


def _clock(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


ONE_CORE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "NUMBA_NUM_THREADS": "1"}


def _child(args: list[str]) -> subprocess.CompletedProcess:
    """Run this file in a fresh process pinned to one core with single-threaded BLAS."""
    env = {**os.environ, **ONE_CORE_ENV}
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                          env=env)


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})


def memory_child(n: int) -> None:
    """Run in a subprocess: generate, compile, and run a few steps of an ``n``-node network; print JSON."""
    import numpy as np  # noqa: F401

    from counterflow import compile_network
    from counterflow.engine import Engine
    from counterflow.generate import generate_scenario

    Engine(generate_scenario(20, seed=0), None, 0).run(1)   # load compiled kernels before measuring
    base = _current_rss_mb()
    s, gen_w, _ = _clock(lambda: generate_scenario(n, seed=1, organisations=5, warmup=0))
    net, comp_w, _ = _clock(lambda: compile_network(s))
    steps = 3
    _, run_w, run_c = _clock(lambda: Engine(net, None, 1, record_flows=False).run(steps))
    print(json.dumps({"nodes": n, "edges": len(s.edges), "base_mb": base, "peak_mb": _rss_mb(),
                      "generate_s": gen_w, "compile_s": comp_w, "step_cpu_s": run_c / steps}))


def _memory(sizes: list[int]) -> None:
    print("\nmemory (fresh process per size: generate + compile + 3 steps, warm-up 0; peak resident size "
          "of the process, and its growth over the size after imports):")
    print(f"{'nodes':>8} {'edges':>8} {'peak RSS MB':>12} {'after imports':>14} {'growth MB':>10} "
          f"{'MB/1k nodes':>12} {'generate s':>11} {'compile s':>10} {'CPU s/step':>11}")
    for n in sizes:
        proc = _child(["--memory", str(n)])
        if proc.returncode != 0:
            print(f"{n:>8} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        grow = r["peak_mb"] - r["base_mb"]
        print(f"{r['nodes']:>8} {r['edges']:>8} {r['peak_mb']:>12.0f} {r['base_mb']:>14.0f} {grow:>10.0f} "
              f"{1000 * grow / n:>12.1f} {r['generate_s']:>11.2f} {r['compile_s']:>10.2f} {r['step_cpu_s']:>11.2f}")


def _profile_breakdown(net, strategy) -> None:
    from counterflow.engine import Engine

    prof = cProfile.Profile()
    eng = Engine(net, strategy, 2, record_flows=False)
    prof.enable()
    eng.run(STEPS)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:8]
    print(f"\nwhere the time goes (cProfile, one {STEPS}-step run, self time):")
    for (file, line, name), (_, ncalls, tt, _ct, _) in rows:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if file != "~" else "builtin"
        print(f"  {100 * tt / total:5.1f}%  {tt:6.2f} s  {ncalls:>6} calls  {name}  ({where})")


def timing_child(threads_note: str) -> None:
    """The 10,000-node timings (run in a subprocess pinned to one core)."""
    from counterflow import compile_network, resolve_strategies
    from counterflow.engine import Engine
    from counterflow.engine.core import warm_state
    from counterflow.generate import generate_scenario

    s, gen_w, _ = _clock(lambda: generate_scenario(TARGET_NODES, seed=1, organisations=5))
    net, comp_w, _ = _clock(lambda: compile_network(s))
    print(f"network: {len(s.nodes)} nodes, {len(s.edges)} edges, {len(s.organisations)} organisations, "
          f"{len(s.markets)} markets, {len(net.sites)} dormant sites "
          f"(generated in {gen_w:.2f} s, compiled in {comp_w:.2f} s)")
    clock = SolverClock()
    try:
        _, warm_w, warm_c = _clock(lambda: warm_state(net))
        print(threads_note)
        print(f"warm-up ({s.parameters.warmup} steps, once per network, cached): {warm_w:.2f} s wall, "
              f"{warm_c:.2f} s CPU; solver {clock.cpu:.2f} s CPU in {clock.calls} calls")
        print(f"\none replication of {STEPS} steps (from the cached warm state):")
        print(f"{'strategy':>12} {'wall s':>8} {'CPU s':>8} {'solver CPU s':>13} {'engine/solver':>14} "
              f"{'delivered kg/step':>18} {'seized kg/step':>15}")
        for strat in resolve_strategies(s, ["hub-strikes"]):
            clock.reset()
            tr, w, c = _clock(lambda strat=strat: Engine(net, strat, 1, record_flows=False).run(STEPS))
            print(f"{strat.name:>12} {w:>8.2f} {c:>8.2f} {clock.cpu:>13.2f} {c / max(clock.cpu, 1e-9):>14.2f} "
                  f"{tr.delivered_total.mean():>18.0f} {tr.series['seized'].mean():>15.0f}")
        print("targets: <= 10 s per 52-step replication on one core; engine/solver <= 1.5")
        _profile_breakdown(net, resolve_strategies(s, ["hub-strikes"])[1])
    finally:
        clock.close()


def main() -> None:
    proc = _child(["--time"])
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        print(f"timing run failed: {proc.stderr.strip().splitlines()[-3:]}")
    sizes = [int(x) for x in os.environ.get("SCALE_SIZES", "1000,10000,100000").split(",") if x]
    _memory(sizes)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        _pin_one_core()
        memory_child(int(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "--time":
        _pin_one_core()
        timing_child("(one core: process pinned to one CPU, BLAS/OpenMP/Numba single-threaded)")
    else:
        main()
