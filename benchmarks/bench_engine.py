"""Engine benchmarks (issue: core engine).

1. Replications per second of the built-in ``caribbean`` scenario (104 steps)
   in one process on one core, after the one-time compile and warm-up.
2. On a generated network of 2,000 nodes and 10,000 edges, the engine's time
   per step next to the time of its planning-solver calls alone (ratio).

Run: ``.venv/bin/python benchmarks/run_all.py engine``
"""

from __future__ import annotations

import os
import time

import numpy as np

from counterflow import Engine, compile_network, load_scenario
from counterflow.engine import planning
from counterflow.engine.core import LARGE_SOLVER

os.environ.setdefault("OMP_NUM_THREADS", "1")


def caribbean_rate(reps: int = 60) -> None:
    net = compile_network(load_scenario("caribbean"))
    t0 = time.perf_counter()
    Engine(net, None, 0, record_flows=False).run()
    first = time.perf_counter() - t0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(reps):
        Engine(net, None, np.random.default_rng(i), record_flows=False).run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"caribbean, 104 steps: first run (compile + warm-up) {first:.2f} s")
    print(f"caribbean, 104 steps: {reps / wall:.1f} replications/s wall, {reps / cpu:.1f} per CPU-second "
          f"(target >= 50 on one core)")


def large_network_ratio(nodes: int = 2000, edges_per_node: float = 5.0, steps: int = 20) -> None:
    from counterflow.generate import generate_scenario

    scenario = generate_scenario(nodes, seed=1, edges_per_node=edges_per_node, warmup=10)
    net = compile_network(scenario)
    engine = Engine(net, None, 0, record_flows=False)
    solver_time = [0.0]
    original = planning.solve_plan

    def timed(*args, **kwargs):  # the solver's whole signature (problem, n_edges, solver, warm start)
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            solver_time[0] += time.perf_counter() - t

    planning.solve_plan = timed
    try:
        engine.step()  # compile / first-touch costs out of the measurement
        solver_time[0] = 0.0
        t0 = time.perf_counter()
        for _ in range(steps):
            engine.step()
        total = time.perf_counter() - t0
    finally:
        planning.solve_plan = original
    per_step = total / steps
    per_solver = solver_time[0] / steps
    print(f"generated network: {net.n_nodes} nodes, {net.n_edges} edges, {net.n_orgs} organisations, "
          f"solver path: {'compiled SSP' if engine._small else LARGE_SOLVER}")
    print(f"  engine {per_step * 1e3:.1f} ms/step, planning-solver calls {per_solver * 1e3:.1f} ms/step, "
          f"ratio {per_step / max(per_solver, 1e-12):.2f} (target <= 1.5)")


def main() -> None:
    caribbean_rate()
    large_network_ratio()


if __name__ == "__main__":
    main()
