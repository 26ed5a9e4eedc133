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

Part 3 (``OPT_BENCH_PART=frontier``, not part of ``all``: about 50 minutes): the hard
families, each decomposition against the monolithic HiGHS model on the same seeded
instances, 120 s per solve, printed as the Markdown table in ``docs/optimize.md``
(``OPT_BENCH_FRONTIER=mcf,stochastic,road``: some families only):

* min-cost flow, ``mcf_grid_instance(n, n, seed)`` (every grid arc and node costs 1; demand
  half the maximum flow, penalty 20 (rows + cols)), budget 2, n = 8..12 with seeds 0..3 (20
  grids) and 15x15 seed 15: ``method="search"`` vs ``"milp"``;
* stochastic max flow, ``grid_network(n, n, seed=n, success_prob=0.7)``, budget 5, one sample
  of 50 success patterns (the first SAA replication): L-shaped (Pareto-optimal cuts), L-shaped with
  plain flow cuts, the stacked model with the local-search incumbent as a cut-off row, and the plain
  stacked MILP, n = 10, 20;
* shortest path, ``road_network(n, n, seed=n)``, budget 5: path covering vs the dual MILP,
  n = 20, 30, 40, 50.

Part 4 (``OPT_BENCH_PART=road-scale``, not part of ``all``: about 20 minutes): path covering alone
on road-like grids from 30x30 to 316x316 (10^5 nodes), budget 5, with where the time goes
(``OPT_BENCH_ROAD=n:limit,...``: other sizes and limits).

Part 5 (``OPT_BENCH_PART=tighten``): the min-cost MILP, tightened against plain, interleaved (``tighten_ab``).

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
                proven = r.status == "optimal" or (
                    r.status == "saa" and all(x == "optimal" for x in r.detail["saa"]["replication_status"]))
                if not proven:
                    break
                largest[(objective, budget)] = n
    print("\nLargest grid solved to optimality within the limit:")
    for objective in OBJECTIVES:
        cells = ", ".join(f"budget {b}: {f'{largest[(objective, b)]}x{largest[(objective, b)]}' if (objective, b) in largest else 'none'}"
                          for b in BUDGETS)
        print(f"  {objective:<18} {cells}")
    print("  (expected-max-flow on grids: success probability 0.7, status 'saa': sample-average approximation, "
          "10 replications of 10 sampled success patterns, a size counts as solved when every replication is "
          "proven for its sample; 'after' is exact for plans of <= 8 items, else a 200-sample Monte Carlo mean)")


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


FRONTIER_LIMIT = 120.0


def _frontier_rows(family: str):
    """(family, size label, seed, method, [monolithic], solve) tuples of the frontier benchmark."""
    from counterflow.optimize._flow import FlowOracle
    from counterflow.optimize._milp import solve_milp
    from counterflow.optimize.instances import mcf_grid_instance, road_network
    from counterflow.optimize.stochastic import _benders, _stacked, _stacked_model

    lim = FRONTIER_LIMIT
    if family == "mcf":
        for n, seeds in [(8, range(4)), (9, range(4)), (10, range(4)), (11, range(4)), (12, range(4)), (15, [15])]:
            for seed in seeds:
                net, d, p = mcf_grid_instance(n, n, seed)
                for method in ("search", "milp"):
                    r = min_cost_flow_interdiction(net, 2, demand=d, penalty=p, time_limit=lim, method=method)
                    yield ("min-cost flow, budget 2", f"{n}x{n}", seed, method, r.status, r.seconds, r.gap,
                           r.value_after, r.bound)
    elif family == "stochastic":
        for n in (10, 20):
            g = grid_network(n, n, seed=n, success_prob=0.7)
            arcs = g.arcs()
            oracle = FlowOracle(arcs)
            cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= 5))
            draws = np.random.default_rng([0, 1, 0]).random((50, cand.size)) < arcs.prob[cand]
            t0 = time.perf_counter()
            _, obj, low, st, _ = _benders(arcs, oracle, cand, 5, draws, lim, 1e-6)
            sec = time.perf_counter() - t0
            yield ("expected max flow, 50 scenarios, budget 5", f"{n}x{n}", n, "L-shaped", st, sec,
                   (obj - low) / max(obj, 1e-9), obj, low)
            t0 = time.perf_counter()
            _, obj, low, st, _ = _benders(arcs, FlowOracle(arcs), cand, 5, draws, lim, 1e-6, pareto=False)
            sec = time.perf_counter() - t0
            yield ("expected max flow, 50 scenarios, budget 5", f"{n}x{n}", n, "L-shaped, plain flow cuts", st, sec,
                   (obj - low) / max(obj, 1e-9), obj, low)
            t0 = time.perf_counter()
            _, obj, low, st, _ = _stacked(arcs, FlowOracle(arcs), cand, 5, draws, lim, 1e-6)
            sec = time.perf_counter() - t0
            yield ("expected max flow, 50 scenarios, budget 5", f"{n}x{n}", n, "stacked + cut-off", st, sec,
                   (obj - low) / max(obj, 1e-9), obj, low)
            t0 = time.perf_counter()
            c, a, rlo, rhi, clo, chi, integer, _, _ = _stacked_model(arcs, cand, 5, list(draws.astype(float)),
                                                                      [1 / 50] * 50)
            sol = solve_milp(c, a, rlo, rhi, clo, chi, integer, time_limit=lim)
            sec = time.perf_counter() - t0
            yield ("expected max flow, 50 scenarios, budget 5", f"{n}x{n}", n, "stacked milp", sol.status, sec,
                   sol.gap, sol.objective, sol.bound)
    elif family == "road":
        for n in (20, 30, 40, 50):
            g = road_network(n, n, seed=n)
            for method in ("cover", "milp"):
                r = shortest_path_interdiction(g, 5, time_limit=lim, method=method)
                yield ("shortest path (road-like), budget 5", f"{n}x{n} ({g.n_nodes} nodes, {g.n_edges} arcs)", n,
                       method, r.status, r.seconds, r.gap, r.value_after, r.bound)


def frontier() -> None:
    families = os.environ.get("OPT_BENCH_FRONTIER", "mcf,stochastic,road").split(",")
    print(f"time limit {FRONTIER_LIMIT:.0f} s per solve, one HiGHS thread; shared, loaded host")
    print("| family | size | seed | method | status | seconds | gap at stop | value | bound |")
    print("|---|---|---|---|---|---:|---:|---:|---:|")
    rows = []
    for fam in families:
        for row in _frontier_rows(fam):
            rows.append(row)
            f, size, seed, method, status, sec, gap, value, bound = row
            print(f"| {f} | {size} | {seed} | {method} | {status} | {sec:.1f} | {gap:.3g} | {value:.6g} | "
                  f"{bound:.6g} |", flush=True)
    # per family and size: median time to proof (unproven counted at the limit) and the ratio
    print("\n| family | size | instances | method | proven | median s (unproven = limit) | median ratio milp/decomposition |")
    print("|---|---|---:|---|---:|---:|---:|")
    groups: dict[tuple[str, str], dict[str, list]] = {}
    for f, size, seed, method, status, sec, *_ in rows:
        groups.setdefault((f, size), {}).setdefault(method, []).append((seed, status == "optimal",
                                                                         min(sec, FRONTIER_LIMIT)))
    for (f, size), by in groups.items():
        methods = list(by)
        dec, mono = methods[0], methods[-1]
        ratios = [m[2] / d[2] for d, m in zip(by[dec], by[mono], strict=True)]
        for method in methods:
            runs = by[method]
            med = float(np.median([r[2] for r in runs]))
            ratio = f"{np.median(ratios):.2f}" if method == dec else ""
            print(f"| {f} | {size} | {len(runs)} | {method} | {sum(r[1] for r in runs)} | {med:.1f} | {ratio} |",
                  flush=True)


def road_scale() -> None:
    """Where path covering stops on road-like grids (target 3: 10^5 nodes, budget 5, 600 s): one solve per
    size, ``OPT_BENCH_ROAD=n:limit,...`` (default 30:120,40:120,50:120,100:120,200:120,316:600), the time
    split into the masters, the evader (A*), and the rest (pool rows, local search, the final LP bound)."""
    from counterflow.optimize import _warm
    from counterflow.optimize.instances import road_network

    print(f"kernels ready in {_warm.warm_up():.1f} s (before the first solve); shared, loaded host")
    spec = os.environ.get("OPT_BENCH_ROAD", "30:120,40:120,50:120,100:120,200:120,316:600")
    print("| size | nodes | arcs | status | seconds | value before | best | bound | gap | masters (HiGHS) | "
          "master s | search nodes | evader calls | evader s | settled per call | pool | other s | "
          "re-evaluation s |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for item in spec.split(","):
        n, lim = (float(v) for v in item.split(":"))
        g = road_network(int(n), int(n), seed=int(n))
        r = shortest_path_interdiction(g, 5, time_limit=lim)
        d = r.detail
        other = d["seconds"] - d["master_seconds"] - d["evader_seconds"]
        print(f"| {int(n)}x{int(n)} | {g.n_nodes} | {g.n_edges} | {r.status} | {r.seconds:.1f} | "
              f"{r.value_before:.0f} | {r.value_after:.0f} | {r.bound:.0f} | {r.gap:.3g} | "
              f"{d['master_solves']} ({d['master_milps']}) | {d['master_seconds']:.1f} | {d['search_nodes']} | "
              f"{d['evader_calls']} | {d['evader_seconds']:.1f} | {d['astar_settled'] / max(d['evader_calls'], 1):.0f} | "
              f"{d['pool']} | {other:.1f} | {r.seconds - d['seconds']:.1f} |", flush=True)
        print(f"  local search {d.get('local_seconds', 0):.1f} s, final bound {d.get('bound_seconds', 0):.1f} s, "
              f"probes {d.get('bound_probes', '')}, bound by {d.get('bound_by', 'lp')}", flush=True)


def crossover() -> None:
    """Where the min-cost-flow ``search`` and the monolithic ``milp`` cross (what ``method="auto"`` decides
    by): both methods on the hard family (``mcf_grid_instance``: arcs and nodes, demand half the maximum
    flow) and the easy setting (``grid_network``, arcs only, demand the maximum flow), sizes, budgets and
    seeds from ``OPT_BENCH_CROSS="sizes;budgets;seeds;limit"`` (default ``6,8,10,12;2,4,6,10;0,1;15``).
    One line per solve; an unproven solve counts at the limit."""
    from counterflow.optimize.instances import mcf_grid_instance

    spec = os.environ.get("OPT_BENCH_CROSS", "6,8,10,12;2,4,6,10;0,1;15").split(";")
    sizes, budgets, seeds = ([int(v) for v in part.split(",")] for part in spec[:3])
    lim = float(spec[3])
    print(f"time limit {lim:.0f} s per solve, one HiGHS thread; shared, loaded host")
    print("family size seed budget candidates method status seconds gap value bound")
    for n in sizes:
        for family in ("hard", "easy"):
            for seed in seeds:
                if family == "hard":
                    net, d, p = mcf_grid_instance(n, n, seed)
                else:
                    net = grid_network(n, n, seed=seed)
                    d, p = max_flow_value(net), 20.0 * 4 * net.n_nodes ** 0.5
                arcs = net.arcs()
                k = int(np.isfinite(arcs.icost).sum())
                for budget in budgets:
                    for method in ("search", "milp"):
                        r = min_cost_flow_interdiction(net, budget, demand=d, penalty=p, time_limit=lim,
                                                       method=method)
                        print(f"{family} {n} {seed} {budget} {k} {method} {r.status} {r.seconds:.2f} {r.gap:.3g} "
                              f"{r.value_after:.0f} {r.bound:.0f}", flush=True)


def tighten_ab() -> None:
    """The min-cost MILP with the tightened coefficients and potential bounds (the default) against the
    plain model (``tighten=False``), interleaved on the hard family, ``OPT_BENCH_TIGHT="sizes;budgets;
    seeds;limit"`` (default ``8,10,12;3;0,1;60``): one line per solve, and the LP relaxations."""
    from counterflow.optimize._milp import solve_milp
    from counterflow.optimize.instances import mcf_grid_instance
    from counterflow.optimize.mincost import dual_model

    spec = os.environ.get("OPT_BENCH_TIGHT", "8,10,12;3;0,1;60").split(";")
    sizes, budgets, seeds = ([int(v) for v in part.split(",")] for part in spec[:3])
    lim = float(spec[3])
    print(f"time limit {lim:.0f} s per solve, one HiGHS thread; shared, loaded host")
    print("size seed budget model lp_relaxation status seconds value bound gap")
    for n in sizes:
        for seed in seeds:
            net, d, p = mcf_grid_instance(n, n, seed)
            arcs = net.arcs()
            for budget in budgets:
                cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9))
                delta = np.minimum(np.where(np.isnan(arcs.delta), p, arcs.delta), p)
                for tight in (True, False):
                    c, a, rlo, rhi, clo, chi, integer = dual_model(arcs, cand, delta, budget, d, p, tighten=tight)
                    lp = solve_milp(c, a, rlo, rhi, clo, chi, np.zeros_like(integer), maximize=True).objective
                    r = min_cost_flow_interdiction(net, budget, demand=d, penalty=p, time_limit=lim, method="milp",
                                                   tighten=tight)
                    print(f"{n} {seed} {budget} {'tight' if tight else 'plain'} {lp:.1f} {r.status} {r.seconds:.2f} "
                          f"{r.value_after:.0f} {r.bound:.0f} {r.gap:.3g}", flush=True)


def main() -> None:
    part = os.environ.get("OPT_BENCH_PART", "all")
    if part == "crossover":
        crossover()
        return
    if part == "tighten":
        tighten_ab()
        return
    if part == "frontier":
        frontier()
        return
    if part == "road-scale":
        road_scale()
        return
    if part in ("all", "grids"):
        grids()
    if part in ("all", "caribbean"):
        caribbean_gap(6 if QUICK else 20)


if __name__ == "__main__":
    main()
