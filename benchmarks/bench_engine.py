"""Engine benchmarks (issue: core engine).

1. Replications per second of the built-in ``caribbean`` scenario (104 steps)
   in one process on one core, after the one-time compile and warm-up.
2. On a generated network of 2,000 nodes and 10,000 edges, the engine's time
   per step next to the time of its planning-solver calls alone (ratio).

Run: ``.venv/bin/python benchmarks/run_all.py engine``

3. A/B against an earlier commit of the engine (a restructuring must not be slower):
   ``.venv/bin/python benchmarks/bench_engine.py --ab BASE_COMMIT [--pairs 5] [--reps 40]``
   runs this checkout's ``src`` and ``BASE_COMMIT``'s ``src`` (``git archive``, in a temporary
   folder that keeps its compiled kernels between invocations) in two processes, each warmed by
   one untimed replication, and alternates single caribbean replications between them (new, old,
   old, new, ...), at ``diversification`` 0 and at 1 (stated explicitly: the default does not
   enter). A pair is ``--reps`` replications of each engine; it prints each pair's replications
   per CPU-second and the median over the pairs of new/old CPU time per replication (target <= 1.05).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

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


AB_DIVERSIFICATION = (0.0, 1.0)
ROOT = Path(__file__).resolve().parents[1]


def ab_serve() -> None:
    """One arm of the A/B: warm the engine on ``sys.path``, then time one replication per request.

    Reads a diversification per line on stdin and answers the CPU seconds of one caribbean
    replication (104 steps, next seed) at that diversification.
    """
    import counterflow

    nets, seeds = {}, {}
    for div in AB_DIVERSIFICATION:
        sc = load_scenario("caribbean")
        sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, diversification=div))
        nets[f"{div:g}"] = net = compile_network(sc)
        seeds[f"{div:g}"] = 0
        Engine(net, None, 0, record_flows=False).run()  # compile (or load the kernels) and warm up, untimed
    print(json.dumps({"package": str(Path(counterflow.__file__).parent)}), flush=True)
    for line in sys.stdin:
        key = line.strip()
        seeds[key] += 1
        cpu0 = time.process_time()
        Engine(nets[key], None, np.random.default_rng(seeds[key]), record_flows=False).run()
        print(time.process_time() - cpu0, flush=True)


def _base_src(commit: str) -> Path:
    """``commit``'s ``src`` folder, extracted once into a temporary folder (its kernel cache is kept there)."""
    full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], capture_output=True, text=True,
                          check=True).stdout.strip()
    dest = Path(tempfile.gettempdir()) / f"counterflow-ab-{full[:12]}"
    if not (dest / "src" / "counterflow").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest / "src.tar"
        with archive.open("wb") as f:
            subprocess.run(["git", "-C", str(ROOT), "archive", full, "src"], stdout=f, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        archive.unlink()
    return dest / "src"


class _Arm:
    """A served arm: a process running :func:`ab_serve` on ``src``."""

    def __init__(self, src: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        hello = json.loads(self.stdout.readline())
        if not Path(hello["package"]).is_relative_to(src):  # the arm runs the engine it was meant to
            raise RuntimeError(f"the arm for {src} imported {hello['package']}")

    def replication(self, key: str) -> float:
        self.stdin.write(key + "\n")
        self.stdin.flush()
        return float(self.stdout.readline())

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait()


def ab(base: str, pairs: int = 5, reps: int = 40, new_commit: str | None = None) -> None:
    """Interleaved A/B of this checkout's engine against ``base``'s: median new/old time per replication.

    Both engines run in their own warmed process; a pair is ``reps`` replications of each,
    alternated one by one (new, old, old, new, ...), so the host's speed, which drifts on a shared
    machine, is the same for both within a pair.
    """
    new_src, old_src = (ROOT / "src" if new_commit is None else _base_src(new_commit)), _base_src(base)
    print(f"A/B: {new_src} (new) against {base} (old), {pairs} pairs of {reps} caribbean replications (104 steps) "
          f"per engine, alternated one by one; load average {os.getloadavg()[0]:.2f}", flush=True)
    new, old = _Arm(new_src), _Arm(old_src)
    ratios: dict[str, list[float]] = {f"{d:g}": [] for d in AB_DIVERSIFICATION}
    try:
        for i in range(pairs):
            line = []
            for key, r in ratios.items():
                t_new = t_old = 0.0
                for j in range(reps):
                    if (i + j) % 2 == 0:
                        t_new += new.replication(key)
                        t_old += old.replication(key)
                    else:
                        t_old += old.replication(key)
                        t_new += new.replication(key)
                r.append(t_new / t_old)
                line.append(f"diversification {key}: new {reps / t_new:.1f}, old {reps / t_old:.1f} replications "
                            f"per CPU-second, new/old time {t_new / t_old:.3f}")
            print(f"  pair {i + 1}: " + "; ".join(line), flush=True)
    finally:
        new.close()
        old.close()
    for key, r in ratios.items():
        print(f"diversification {key}: median new/old time per replication {statistics.median(r):.3f} over "
              f"{len(r)} pairs (range {min(r):.3f}-{max(r):.3f}; target <= 1.05)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> None:
    if not argv:
        caribbean_rate()
        large_network_ratio()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ab", metavar="BASE_COMMIT", help="A/B against this commit's engine")
    parser.add_argument("--new", metavar="COMMIT", help="the new arm: this commit's engine instead of the "
                        "checkout's (--new BASE --ab BASE measures the harness itself, an A/A run)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        ab_serve()
    elif args.ab:
        ab(args.ab, args.pairs, args.reps, args.new)
    else:
        main(None)


if __name__ == "__main__":
    main(sys.argv[1:])
