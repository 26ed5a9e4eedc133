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
   enter; an engine older than the parameter, such as ``c8184e7``, runs its only model, the mechanism
   absent, in both, and the output says so: like for like at 0 only). A pair is ``--reps``
   replications of each engine; it prints each pair's replications per CPU-second and the median over
   the pairs of new/old CPU time per replication (a restructuring: <= 1.05) and its inverse, the
   ratio of replications per CPU-second (issue 18's compiled step: >= 1.8 against ``c8184e7``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _gitsrc import base_src

# only what every engine the A/B may serve has (an arm imports this file under an older ``src``)
from counterflow import Engine, compile_network, load_scenario

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
    from counterflow.engine import planning
    from counterflow.engine.core import LARGE_SOLVER
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


def profile_step(diversification: float, reps: int = 5) -> None:
    """Where a caribbean step's time goes: compiled kernels against Python orchestration, per step.

    Every compiled kernel ``Engine.step`` calls (the dispatchers in ``engine.core``'s and
    ``engine.society``'s namespaces) and the Python phases (levers aside: the baseline has none) are
    wrapped in a CPU-time timer (the process's, so that a loaded host's waiting is left out); "the
    rest of step" is ``Engine.step``'s own lines. The timers add about 0.5 µs per call (more on a loaded host,
    where reading the process's CPU clock is slower). Then the cost of crossing into each kernel (an empty
    compiled function given its arguments, :func:`_crossing`), and cProfile lists the Python-level calls per
    step (NumPy functions, ``_numba_unpickle``), which run outside the kernels.
    """
    import cProfile
    import pstats
    from collections import defaultdict

    from numba.core.registry import CPUDispatcher

    from counterflow.engine import core, society

    sc = load_scenario("caribbean")
    sc = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, diversification=diversification))
    net = compile_network(sc)
    Engine(net, None, 0, record_flows=False).run()  # compile and warm up
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0
                calls[name] += 1
        return wrapper

    patched: list[tuple[object, str, object]] = []
    kernels = [(mod, n) for mod in (core, society) for n, f in vars(mod).items() if isinstance(f, CPUDispatcher)]
    phases = [(core, n) for n in ("adapt", "rebuild", "update_society") if hasattr(core, n)]
    methods = [(core.Engine, n) for n in ("_record", "_move_large") if hasattr(core.Engine, n)]
    methods += [(core.RunState, "reset_modifiers")]
    for owner, name in kernels + phases + methods + [(core.Engine, "step")]:
        original = getattr(owner, name)
        patched.append((owner, name, original))
        label = name if (owner, name) in kernels else f"{name} (Python)"
        setattr(owner, name, timed(label, original))
    try:
        steps = 0
        cpu0 = time.process_time()
        for i in range(reps):
            eng = Engine(net, None, np.random.default_rng(i + 1), record_flows=False)
            spent.clear()
            calls.clear()  # the run's own burn-in aside: the recorded steps only
            eng.run()
            steps += net.scenario.steps
        cpu = time.process_time() - cpu0
        # keep the last run's figures per step
        per_step = {k: v / net.scenario.steps * 1e6 for k, v in spent.items()}
        n_calls = {k: v / net.scenario.steps for k, v in calls.items()}
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    total = per_step.pop("step (Python)")
    n_calls.pop("step (Python)")
    inner = sum(v for k, v in per_step.items())
    print(f"caribbean, diversification {diversification:g}: {total:.1f} µs CPU per step (timers on; "
          f"{reps} replications of {net.scenario.steps} steps, {cpu / reps * 1e3:.1f} ms CPU each)")
    for k, v in sorted(per_step.items(), key=lambda kv: -kv[1]):
        print(f"  {k:32s} {v:8.1f} µs  {n_calls[k]:5.2f} calls/step")
    print(f"  {'the rest of step (Python)':32s} {total - inner:8.1f} µs")
    _crossing(net)
    prof = cProfile.Profile()
    eng = Engine(net, None, np.random.default_rng(99), record_flows=False)
    prof.enable()
    eng.run()
    prof.disable()
    st = pstats.Stats(prof)
    rows = []
    for (file, _, fn), (_, nc, tt, _, _) in st.stats.items():  # type: ignore[attr-defined]
        rows.append((nc / net.scenario.steps, tt / net.scenario.steps * 1e6, f"{Path(file).name}:{fn}"))
    rows.sort(key=lambda r: -r[0])
    print("  Python-level calls per step under cProfile (count, own µs; the profiler's own cost included):")
    for count, own, name in rows[:30]:
        print(f"    {count:6.2f}  {own:7.1f} µs  {name}")


def _crossing(net, calls: int = 5000) -> None:
    """The cost of crossing into each compiled kernel a step calls: an empty compiled function given the arguments
    that kernel got at one step (Numba types and unboxes every array passed, at every call), CPU µs per call."""
    import timeit

    from numba import njit
    from numba.core.registry import CPUDispatcher

    from counterflow.engine import core

    captured: dict[str, tuple] = {}
    originals = {n: f for n, f in vars(core).items() if isinstance(f, CPUDispatcher)}

    def capture(name, fn):
        def wrapper(*args):
            captured[name] = args
            return fn(*args)
        return wrapper

    for name, fn in originals.items():
        setattr(core, name, capture(name, fn))
    try:
        eng = Engine(net, None, np.random.default_rng(7), record_flows=False)
        eng.step()
    finally:
        for name, fn in originals.items():
            setattr(core, name, fn)

    @njit
    def empty(*args):
        return 0

    def arrays(x) -> int:
        return sum(arrays(y) for y in x) if isinstance(x, tuple) else int(isinstance(x, np.ndarray))

    total = 0.0
    for name, args in captured.items():
        empty(*args)
        us = min(timeit.repeat(lambda a=args: empty(*a), number=calls, repeat=3, timer=time.process_time)) / calls * 1e6
        total += us
        print(f"  crossing into {name:20s} {us:6.1f} µs per call ({arrays(args)} arrays)")
    print(f"  crossing, all kernels of a step   {total:6.1f} µs")


AB_DIVERSIFICATION = (0.0, 1.0)
ROOT = Path(__file__).resolve().parents[1]


def ab_serve() -> None:
    """One arm of the A/B: warm the engine on ``sys.path``, then time one replication per request.

    Reads a diversification per line on stdin and answers the CPU seconds of one caribbean
    replication (104 steps, next seed) at that diversification.
    """
    import counterflow

    nets, seeds = {}, {}
    sc = load_scenario("caribbean")
    # an engine older than the parameter (before 2026-11-27) has one model only: the mechanism absent,
    # which is diversification 0; it runs that model for every requested value (the output says so)
    has_div = "diversification" in {f.name for f in dataclasses.fields(sc.parameters)}
    for div in AB_DIVERSIFICATION:
        key = f"{div:g}"
        seeds[key] = 0
        if not has_div and nets:
            nets[key] = next(iter(nets.values()))
            continue
        sc_div = dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, diversification=div)) \
            if has_div else sc
        nets[key] = net = compile_network(sc_div)
        Engine(net, None, 0, record_flows=False).run()  # compile (or load the kernels) and warm up, untimed
    print(json.dumps({"package": str(Path(counterflow.__file__).parent), "diversification": has_div}), flush=True)
    for line in sys.stdin:
        key = line.strip()
        seeds[key] += 1
        cpu0 = time.process_time()
        Engine(nets[key], None, np.random.default_rng(seeds[key]), record_flows=False).run()
        print(time.process_time() - cpu0, flush=True)


class _Arm:
    """A served arm: a process running :func:`ab_serve` on ``src``."""

    def __init__(self, src: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        line = self.stdout.readline()
        if not line:
            raise RuntimeError(f"the arm for {src} exited before it was ready (exit status {self.proc.wait()}; "
                               "its error is printed above)")
        hello = json.loads(line)
        if not Path(hello["package"]).is_relative_to(src):  # the arm runs the engine it was meant to
            raise RuntimeError(f"the arm for {src} imported {hello['package']}")
        #: False for an engine older than the ``diversification`` parameter (it runs its only model)
        self.has_diversification = bool(hello.get("diversification", True))

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
    new_src, old_src = (ROOT / "src" if new_commit is None else base_src(new_commit)), base_src(base)
    print(f"A/B: {new_src} (new) against {base} (old), {pairs} pairs of {reps} caribbean replications (104 steps) "
          f"per engine, alternated one by one; load average {os.getloadavg()[0]:.2f}", flush=True)
    new, old = _Arm(new_src), _Arm(old_src)
    for name, arm in (("new", new), ("old", old)):
        if not arm.has_diversification:
            print(f"  the {name} engine predates the diversification parameter: it runs its only model (the "
                  f"mechanism absent, as diversification 0) in every pair; like for like only at 0, at 1 the "
                  f"models differ", flush=True)
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
        med = statistics.median(r)
        same = new.has_diversification == old.has_diversification  # one arm older than the parameter: it differs
        models = "" if same or key == "0" else " (the models differ: the older engine runs its only model)"
        print(f"diversification {key}{models}: median new/old time per replication {med:.3f} over "
              f"{len(r)} pairs (range {min(r):.3f}-{max(r):.3f}; a restructuring: <= 1.05), "
              f"replications per CPU-second new/old {1 / med:.2f} (range {1 / max(r):.2f}-{1 / min(r):.2f})")
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
    parser.add_argument("--profile", action="store_true", help="where a caribbean step's time goes, at "
                        "diversification 0 and 1 (kernels against Python orchestration, Python calls per step)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        ab_serve()
    elif args.profile:
        for div in AB_DIVERSIFICATION:
            profile_step(div)
    elif args.ab:
        ab(args.ab, args.pairs, args.reps, args.new)
    else:
        main(None)


if __name__ == "__main__":
    main(sys.argv[1:])
