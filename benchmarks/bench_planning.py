"""Warm-started planning: the network simplex from the previous basis against a cold OR-Tools solve.

For generated networks (``generate_scenario(N, seed=1, organisations=5)``, the
network of ``counterflow generate --nodes N --seed 1 --organisations 5``) one
baseline replication runs on the large planning path. Every planning problem of
the measured steps is solved twice, A/B interleaved (the order alternates from
one call to the next): cold by OR-Tools' ``SimpleMinCostFlow`` and by the
network simplex started from the organisation's previous basis. Both get the
same perturbed problem (``planning.solve_plan``) and return the same plan (this
is checked on every call), so the run and its problems are the same for both.

Prints, per size, the planning CPU seconds per step of each solver (summed over
the organisations, CPU time of this process: the steadier figure on a shared
machine), the ratio warm / cold (target <= 1/3), the first step after the
start of the run separately (the simplex has no basis yet: a cold start), and
the mean pivots per warm solve.

The warm-up state comes from the on-disk cache when present (it is computed
otherwise, with the default large solver). ``PLANNING_SIZES`` (default
``10000,100000``) and ``PLANNING_STEPS`` (default ``8``; measured steps per
size, after one unmeasured step) change the settings.

Usage: ``.venv/bin/python benchmarks/run_all.py planning``
"""

from __future__ import annotations

import os
import time

import numpy as np

SIZES = [int(x) for x in os.environ.get("PLANNING_SIZES", "10000,100000").split(",") if x]
STEPS = int(os.environ.get("PLANNING_STEPS", "8"))


class ABClock:
    """Replaces ``planning.solve_plan``: each call solved cold by OR-Tools and warm by the simplex, alternately first."""

    def __init__(self, planning) -> None:
        self.planning = planning
        self.orig = planning.solve_plan
        self.cpu = {"ortools": 0.0, "simplex": 0.0}
        self.calls = 0
        self.pivots = 0

    def __call__(self, p, n_edges, solver="ortools", warm=None):
        results = {}
        runs = [("ortools", None), ("simplex", warm)]
        if self.calls % 2:
            runs.reverse()
        for name, w in runs:
            c = time.process_time()
            results[name] = self.orig(p, n_edges, name, w)
            self.cpu[name] += time.process_time() - c
        a, b = results["ortools"], results["simplex"]
        if not (np.array_equal(a.edge_flow, b.edge_flow) and np.array_equal(a.tranche_flow, b.tranche_flow)):
            raise SystemExit("the two solvers returned different plans")
        self.calls += 1
        self.pivots += warm.pivots if warm is not None else 0
        return b

    def take(self) -> tuple[dict, int, int]:
        out = dict(self.cpu), self.calls, self.pivots
        self.cpu = {"ortools": 0.0, "simplex": 0.0}
        self.calls = self.pivots = 0
        return out


def measure(n: int, steps: int) -> None:
    from counterflow.engine import Engine, planning
    from counterflow.generate import generate_scenario
    from counterflow.network import compile_network

    t = time.perf_counter()
    net = compile_network(generate_scenario(n, seed=1, organisations=5))
    engine = Engine(net, None, 1, record_flows=False, solver="simplex")  # warm-up (cached on disk) and burn-in
    setup = time.perf_counter() - t
    clock = ABClock(planning)
    planning.solve_plan = clock
    try:
        engine._warm = [planning.WarmStart() for _ in range(net.n_orgs)]  # the first measured step starts cold
        engine.step()
        first, first_calls, _ = clock.take()
        for _ in range(steps):
            engine.step()
        cpu, calls, pivots = clock.take()
    finally:
        planning.solve_plan = clock.orig
    warm, cold = cpu["simplex"] / steps, cpu["ortools"] / steps
    print(f"{n:>8} nodes, {net.n_edges} edges, {net.n_orgs} organisations (set up in {setup:.0f} s wall)")
    print(f"  first step, no basis yet: OR-Tools {first['ortools']:.3f} CPU-s, simplex {first['simplex']:.3f} CPU-s "
          f"(ratio {first['simplex'] / first['ortools']:.2f}; {first_calls} plans)")
    print(f"  {steps} steps from the previous basis: OR-Tools cold {cold:.3f} CPU-s/step, simplex warm "
          f"{warm:.3f} CPU-s/step; ratio warm/cold {warm / cold:.2f} (target <= 0.33); "
          f"{calls} plans, {pivots / max(calls, 1):.0f} pivots per warm solve")


def main() -> None:
    print(f"planning CPU per step, warm network simplex vs cold OR-Tools, A/B interleaved per plan "
          f"({STEPS} measured steps; CPU time of this process)")
    for n in SIZES:
        measure(n, STEPS)


if __name__ == "__main__":
    main()
