"""Interdiction optimisers on Israeli-Wood grids, and the static optimum vs the adaptive simulation.

Part 1: square grids (super-source to the first column, last column to the
super-sink; capacities, lengths and deltas uniform on 1..20; unit interdiction
costs) from 10x10 upward, budgets 1, 5 and 10, each objective solved exactly
with a 60 s limit on one thread. A series (objective, budget) stops at the
first size that does not solve to optimality in time. Prints solve times and
the largest grid solved to optimality.

Part 2: on ``caribbean``, the reduction the static max-flow interdiction
optimum promises vs what the simulation delivers when the same planner picks
two strikes every 4 steps (``docs/strategies/optimized-strikes.yaml``).

Run: ``.venv/bin/python benchmarks/run_all.py optimize`` (``OPT_BENCH_QUICK=1``:
grids up to 20x20 and 6 replications, for a smoke run; ``OPT_BENCH_PART=grids`` or
``caribbean``: one part only; ``OPT_BENCH_OBJECTIVES=shortest-path,...``: some objectives).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from counterflow import Engine, load_scenario
from counterflow.optimize import (
    InterdictionNetwork,
    expected_max_flow_interdiction,
    max_flow_interdiction,
    max_flow_value,
    min_cost_flow_interdiction,
    shortest_path_interdiction,
)
from counterflow.optimize.instances import grid_network
from counterflow.runner import replication_seed
from counterflow.strategy import load_strategy

LIMIT = 60.0
QUICK = bool(os.environ.get("OPT_BENCH_QUICK"))
SIZES = (10, 20) if QUICK else (10, 20, 30, 40, 50)
BUDGETS = (1, 5, 10)
OBJECTIVES = tuple(os.environ.get("OPT_BENCH_OBJECTIVES", "max-flow,shortest-path,min-cost-flow,expected-max-flow")
                   .split(","))
ROOT = Path(__file__).resolve().parents[1]


def _solve(objective: str, g: InterdictionNetwork, budget: int):
    if objective == "max-flow":
        return max_flow_interdiction(g, budget, time_limit=LIMIT)
    if objective == "shortest-path":
        return shortest_path_interdiction(g, budget, time_limit=LIMIT)
    if objective == "min-cost-flow":
        demand = max_flow_value(g)  # the evader wants to ship what the grid can carry
        return min_cost_flow_interdiction(g, budget, demand=demand, penalty=20.0 * 4 * g.n_nodes ** 0.5,
                                          time_limit=LIMIT)
    return expected_max_flow_interdiction(g, budget, samples=10, seed=0, max_exact_eval=8,
                                          eval_samples=200, time_limit=LIMIT)


def grids() -> None:
    print(f"Israeli-Wood grids, time limit {LIMIT:.0f} s, 1 thread (HiGHS); seconds include building the model "
          "and the independent re-evaluation of the plan")
    print(f"{'objective':<18}{'grid':>7}{'nodes':>7}{'arcs':>7}{'budget':>7}  {'status':<11}{'seconds':>8}"
          f"{'gap':>8}{'before':>10}{'after':>10}  method")
    largest: dict[tuple[str, int], int] = {}
    for objective in OBJECTIVES:
        for budget in BUDGETS:
            for n in SIZES:
                g = grid_network(n, n, seed=n) if objective != "expected-max-flow" else \
                    grid_network(n, n, seed=n, success_prob=0.7)
                t0 = time.perf_counter()
                r = _solve(objective, g, budget)
                secs = time.perf_counter() - t0
                print(f"{objective:<18}{f'{n}x{n}':>7}{g.n_nodes:>7}{g.n_edges:>7}{budget:>7}  {r.status:<11}"
                      f"{secs:>8.1f}{r.gap:>8.4f}{r.value_before:>10.1f}{r.value_after:>10.1f}  {r.method}", flush=True)
                if r.status != "optimal":
                    break
                largest[(objective, budget)] = n
    print("\nLargest grid solved to optimality within the limit:")
    for objective in OBJECTIVES:
        cells = ", ".join(f"budget {b}: {f'{largest[(objective, b)]}x{largest[(objective, b)]}' if (objective, b) in largest else 'none'}"
                          for b in BUDGETS)
        print(f"  {objective:<18} {cells}")
    print("  (expected-max-flow on grids: success probability 0.7, sample-average approximation over 10 sampled "
          "success patterns; 'optimal' is for the sample; 'after' is exact for plans of <= 8 items, else a "
          "200-sample Monte Carlo mean)")


def caribbean_gap(runs: int) -> None:
    sc = load_scenario("caribbean")
    # the same targets as the strikes: visible hubs only, two per firing, no edges
    static = max_flow_interdiction(InterdictionNetwork.from_scenario(sc, edge_cost=None, node_kinds=("hub",)), 2)
    promise = 100.0 * (1 - static.value_after / static.value_before)
    opt = load_strategy(ROOT / "docs" / "strategies" / "optimized-strikes.yaml", sc)
    top = load_strategy(ROOT / "docs" / "strategies" / "top-throughput-strikes.yaml", sc)
    deliv: dict[str, list[float]] = {"baseline": [], "optimized": [], "top-throughput": []}
    promised_per_firing: list[float] = []
    for i in range(runs):
        for name, strat in (("baseline", None), ("optimized", opt), ("top-throughput", top)):
            eng = Engine(sc, strat, np.random.default_rng(replication_seed(1, i)), record_flows=False)
            traj = eng.run()
            deliv[name].append(float(traj.delivered_total.sum()))
            if name == "optimized":
                promised_per_firing += [100.0 * (1 - m["after"] / m["before"])
                                        for m in eng.state.lever_memory.get("optimized", []) if m["before"] > 0]
    base = np.array(deliv["baseline"])
    print(f"\ncaribbean, {runs} replications (seed 1), 104 steps, two strikes every 4 steps from step 4:")
    print(f"  static optimum on the scenario network (2 hubs removed for good, dormant sites left out): "
          f"max flow {static.value_before:.0f} -> {static.value_after:.0f} kg/step, removing "
          f"{', '.join(static.nodes)}: promised reduction {promise:.1f}%")
    print(f"  per firing, the in-simulation planner's own promise on the observed network: "
          f"mean {np.mean(promised_per_firing):.1f}% (range {np.min(promised_per_firing):.1f}..{np.max(promised_per_firing):.1f})")
    for name in ("optimized", "top-throughput"):
        red = 100.0 * (1 - np.array(deliv[name]) / base)
        print(f"  simulated delivered-flow reduction, {name:<15} mean {red.mean():5.1f}%  "
              f"[5%, 95%] = [{np.percentile(red, 5):.1f}, {np.percentile(red, 95):.1f}]")


def main() -> None:
    part = os.environ.get("OPT_BENCH_PART", "all")
    if part in ("all", "grids"):
        grids()
    if part in ("all", "caribbean"):
        caribbean_gap(6 if QUICK else 20)


if __name__ == "__main__":
    main()
