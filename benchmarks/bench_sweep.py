"""Sweep throughput: runs per second of a caribbean sweep sequentially, on 1 and 2 local workers and on Dask,
the store's overhead against the same runs without storing, how 2 workers scale against 1, and how much
compaction shrinks a small-outcome store.

Run: ``.venv/bin/python benchmarks/run_all.py sweep`` (a few minutes on 2 cores), or only some parts:
``.venv/bin/python benchmarks/bench_sweep.py scaling compaction``.
Figures are ratios measured in one run (A/B interleaved); the CPU may be shared, so each part prints the
load average, and the scaling part also reports CPU time, which a shared host does not inflate.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

SAMPLES = 40
EXPERIMENT = {
    "scenario": "caribbean",
    "strategies": ["port-strike"],
    "uncertainties": [
        {"path": "organisations.org_a.risk_aversion", "low": 0.5, "high": 2.0},
        {"path": "strategies.port-strike.levers[0].intel_accuracy", "low": 0.5, "high": 1.0},
    ],
    "sampler": "lhs",
    "samples": SAMPLES,
    "replications": 1,
    "seed": 7,
}


def _fresh_caches() -> None:
    from counterflow import runner

    runner._NETWORKS.clear()  # every configuration compiles and warms its networks itself


def plain_loop(exp) -> int:
    """The same runs with the runner's pieces and nothing stored (the reference for the store's overhead)."""
    from counterflow.engine import Engine
    from counterflow.metrics import pair, run_record
    from counterflow.runner import network_for
    from counterflow.strategy import resolve_strategies

    n = 0
    for sample, vals in enumerate(exp.design()):
        scenario = exp.scenario_for(vals)
        net = network_for(scenario)
        p = scenario.parameters
        for rep in range(exp.replications):
            recs = []
            for st in resolve_strategies(scenario, list(exp.strategies[1:])):
                ss = np.random.SeedSequence(exp.seed, spawn_key=(sample, rep))
                traj = Engine(net, st, np.random.default_rng(ss), record_flows=False).run(exp.steps)
                recs.append(run_record(traj, rep, exp.seed, source_mask=net.kind_mask("source"),
                                       reference_price=net.market_price, recovery_window=p.recovery_window,
                                       recovery_band=p.recovery_band))
                n += 1
            for r in recs[1:]:
                pair(r, recs[0])
    return n


def store_cost(exp, tmp: Path) -> float:
    """Seconds per run spent on storing: per-step columns, Arrow tables and the two Parquet writes."""
    from counterflow.engine import Engine
    from counterflow.experiments import Store
    from counterflow.experiments.execute import _steps_table, run_chunk, steps_columns

    scenario = exp.scenario_for(exp.design()[0])
    traj = Engine(scenario, None, 1, record_flows=False).run(exp.steps)
    chunk_runs = exp.chunk_samples * len(exp.strategies) * exp.replications
    _, runs, _ = run_chunk(exp, 0, [0], exp.design()[[0]])
    st = Store.create(tmp / "cost", exp, exp.design())
    reps = 30
    t = time.perf_counter()
    for i in range(reps):
        frames = []
        for _ in range(chunk_runs):
            cols = steps_columns(traj)
            n = exp.steps
            frames.append({"sample": np.zeros(n, np.int64), "strategy": np.full(n, "baseline", object),
                           "replication": np.zeros(n, np.int64), "step": np.arange(n, dtype=np.int64), **cols})
        st.write_chunk(i, runs, _steps_table(frames))
    return (time.perf_counter() - t) / (reps * chunk_runs)


def _children_cpu() -> float:
    import psutil

    total = 0.0
    for k in psutil.Process().children(recursive=True):
        try:
            c = k.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


def scaling(rounds: int = 5) -> None:
    """1 against 2 local workers, A/B interleaved over ``rounds`` (a new seed each round, pools started before).

    Besides wall time (which a loaded host distorts) it reports the CPU time of the workers and of this
    process: the work per run must not grow with the worker count, and this process (dispatch, writing
    the store) must stay a small serial share. The idle-machine speed-up is projected from those CPU
    times: T1 = worker CPU of the 1-worker sweep; T2 = (worker CPU + main CPU of the 2-worker sweep) / 2
    + half a chunk's CPU (the last chunk's imbalance).
    """
    from counterflow.experiments import load_experiment, open_executor, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    f = tmp / "exp.yaml"
    pools = {}
    for w in (1, 2):
        t0 = time.perf_counter()
        cm = open_executor("local", w)
        ex = cm.__enter__()
        list(ex.map(abs, range(w * 2)))
        pools[w] = (cm, ex, time.perf_counter() - t0)
    wall: dict[int, list[float]] = {1: [], 2: []}
    wcpu: dict[int, list[float]] = {1: [], 2: []}
    mcpu: dict[int, list[float]] = {1: [], 2: []}
    try:
        for rnd in range(rounds + 1):  # round 0 loads the kernels in every worker: not counted
            f.write_text(yaml.safe_dump({**EXPERIMENT, "seed": 200 + rnd}, sort_keys=False))
            exp = load_experiment(f)
            for w in ((1, 2) if rnd % 2 else (2, 1)):
                c0, m0, t0 = _children_cpu(), time.process_time(), time.perf_counter()
                run_sweep(exp, tmp / f"w{w}-{rnd}", pools[w][1])
                if rnd:
                    wall[w].append(time.perf_counter() - t0)
                    wcpu[w].append(_children_cpu() - c0)
                    mcpu[w].append(time.process_time() - m0)
    finally:
        for cm, _, _ in pools.values():
            cm.__exit__(None, None, None)
    med = {w: (float(np.median(wall[w])), float(np.median(wcpu[w])), float(np.median(mcpu[w]))) for w in (1, 2)}
    n = exp.n_runs
    chunk_cpu = med[1][1] / len(exp.chunks())
    print(f"scaling: {n} runs in {len(exp.chunks())} chunks of {exp.chunk_samples} samples; median of {rounds} "
          "interleaved rounds")
    for w in (1, 2):
        print(f"  local x {w}: wall {med[w][0]:6.2f} s ({n / med[w][0]:6.1f} runs/s); worker CPU {med[w][1]:5.2f} s "
              f"({1e3 * med[w][1] / n:.1f} ms/run); this process {med[w][2]:4.2f} s CPU")
    print(f"  wall ratio, 2 vs 1 worker (this host)        : {med[1][0] / med[2][0]:.2f}x")
    print(f"  worker CPU per run, 2 vs 1 (1.00 = no overhead): {med[2][1] / med[1][1]:.2f}")
    projected = med[1][1] / ((med[2][1] + med[2][2]) / 2 + chunk_cpu / 2)
    print(f"  projected idle-machine speed-up, 2 vs 1       : {projected:.2f}x  (target >= 1.7)")
    print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shutil.rmtree(tmp, ignore_errors=True)


def compaction() -> None:
    """Files and bytes of a 200-run store with scalar outcomes only (store_steps: false), as written and compacted."""
    from counterflow.experiments import load_experiment, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench-compact-"))
    f = tmp / "exp.yaml"
    f.write_text(yaml.safe_dump({**EXPERIMENT, "samples": 100, "store_steps": False}, sort_keys=False))
    exp = load_experiment(f)

    def size(folder: Path) -> tuple[int, int, int]:
        files = [p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"]
        chunks = [p for p in files if p.suffix == ".parquet" and p.parent.name == "runs"]
        return len(files), len(chunks), sum(p.stat().st_size for p in files)

    run_sweep(exp, tmp / "plain", compact=False)
    run_sweep(exp, tmp / "compact")
    for name in ("plain", "compact"):
        nf, nc, b = size(tmp / name)
        label = "as written" if name == "plain" else "compacted "
        print(f"compaction: {exp.n_runs} runs, scalar outcomes only, {label}: {nf} files ({nc} runs files), "
              f"{b / 1024:.1f} KiB")
    shutil.rmtree(tmp, ignore_errors=True)


def main(parts: list[str] | None = None) -> None:
    parts = parts or ["throughput", "scaling", "compaction"]
    if "scaling" in parts:
        scaling()
    if "compaction" in parts:
        compaction()
    if "throughput" in parts:
        throughput()


def throughput() -> None:
    from counterflow.experiments import load_experiment, open_executor, run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    f = tmp / "exp.yaml"
    f.write_text(yaml.safe_dump(EXPERIMENT, sort_keys=False))
    exp = load_experiment(f)
    print(f"caribbean sweep: {exp.n_runs} runs ({exp.n_points} LHS points x {len(exp.strategies)} strategies), "
          f"{exp.steps} steps each, chunks of {exp.chunk_samples} samples")

    def timed(fn) -> float:
        _fresh_caches()
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    plain, stored = [], []
    for i in range(3):  # alternate to share out any drift in CPU load
        plain.append(timed(lambda: plain_loop(exp)))
        stored.append(timed(lambda i=i: run_sweep(exp, tmp / f"seq{i}")))
    t_plain, t_store = min(plain), min(stored)
    print(f"sequential, no store : {exp.n_runs / t_plain:6.2f} runs/s  ({t_plain:.1f} s)")
    print(f"sequential, store    : {exp.n_runs / t_store:6.2f} runs/s  ({t_store:.1f} s)")
    print(f"store overhead       : {100 * (t_store / t_plain - 1):+.1f} %  (target <= 5 %)")
    direct = store_cost(exp, tmp)
    print(f"store cost, measured directly: {direct * 1e3:.2f} ms per run = "
          f"{100 * direct * exp.n_runs / t_plain:.1f} % of a run (per-step columns, tables, Parquet writes)")
    size = sum(p.stat().st_size for p in (tmp / "seq0").rglob("*.parquet"))
    print(f"store size           : {size / exp.n_runs / 1024:.1f} KiB per run (runs + per-step tables)")

    configs = (("local", 1), ("local", 2), ("dask", 2))
    pools = {}
    for kind, workers in configs:
        t0 = time.perf_counter()
        cm = open_executor(kind, workers)
        ex = cm.__enter__()
        list(ex.map(abs, range(workers * 2)))  # workers up before timing
        pools[(kind, workers)] = (cm, ex, time.perf_counter() - t0)
    times: dict = {c: [] for c in configs}
    try:
        for rnd in range(3):  # interleaved rounds; a new seed per round so no worker has the networks cached
            f.write_text(yaml.safe_dump({**EXPERIMENT, "seed": 100 + rnd}, sort_keys=False))
            exp_r = load_experiment(f)
            for c in configs:
                t = time.perf_counter()
                run_sweep(exp_r, tmp / f"{c[0]}{c[1]}-{rnd}", pools[c][1])
                times[c].append(time.perf_counter() - t)
    finally:
        for cm, _, _ in pools.values():
            cm.__exit__(None, None, None)
    rates = {c: exp.n_runs / min(times[c]) for c in configs}
    for c in configs:
        print(f"{c[0]:5s} x {c[1]} workers  : {rates[c]:6.2f} runs/s  (best of {len(times[c])}: "
              f"{min(times[c]):.1f} s; startup {pools[c][2]:.1f} s, not included)")
    print(f"speed-up 2 vs 1 local worker : {rates[('local', 2)] / rates[('local', 1)]:.2f}x")
    over = 100 * (rates[("local", 2)] / rates[("dask", 2)] - 1)
    print(f"Dask overhead per run vs local pool (2 workers): {over:+.1f} %  (target <= 10 %)")
    print(f"load average during the benchmark: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
