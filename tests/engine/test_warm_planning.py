"""The warm-started network simplex is exact, agrees plan for plan with OR-Tools, and its warm state changes nothing.

* General min-cost-flow instances (negative costs, parallel arcs, infeasible
  supplies) and sequences of perturbed ones solved from the previous basis:
  the optimal cost equals OR-Tools' on every call, and networkx's.
* Planning-shaped problems (``build_plan``) and sequences of them: both large
  solvers return the same plan (the arc-identity cost perturbation makes the
  optimum unique), and its cost under the unperturbed costs is networkx's optimum.
* Whole replications on shipped and generated scenarios: ``solver="simplex"``
  and ``solver="ortools"`` give identical trajectories, and so does the simplex
  with its warm state thrown away before every step.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow

from counterflow import Engine, Scenario, compile_network, load_scenario, resolve_strategies
from counterflow.engine import planning
from counterflow.engine._netsimplex import LOWER, TREE, network_simplex
from tests.netgen import scenario_dicts


def _same(a, b) -> bool:
    return all(np.array_equal(a.series[k], b.series[k]) for k in a.series) and np.array_equal(a.balance, b.balance)


def _ortools(n, t, h, cap, cost, sup):
    f = min_cost_flow.SimpleMinCostFlow()
    arcs = f.add_arcs_with_capacity_and_unit_cost(t.astype(np.int32), h.astype(np.int32), cap, cost)
    f.set_nodes_supplies(np.arange(n, dtype=np.int32), sup)
    status = f.solve()
    return (f.optimal_cost(), f.flows(arcs)) if status == f.OPTIMAL else (None, None)


def _networkx(n, t, h, cap, cost, sup):
    g = nx.MultiDiGraph()
    for v in range(n):
        g.add_node(v, demand=-int(sup[v]))
    for i in range(len(t)):
        g.add_edge(int(t[i]), int(h[i]), capacity=int(cap[i]), weight=int(cost[i]))
    try:
        return nx.network_simplex(g)[0]
    except nx.NetworkXUnfeasible:
        return None


@st.composite
def mcf_sequences(draw):
    """A random min-cost-flow instance and a few perturbations of it (costs, capacities, supplies)."""
    n = draw(st.integers(2, 9))
    m = draw(st.integers(1, 30))
    ends = st.integers(0, n - 1)
    t = np.array(draw(st.lists(ends, min_size=m, max_size=m)), np.int64)
    h = np.array(draw(st.lists(ends, min_size=m, max_size=m)), np.int64)
    h = np.where(h == t, (t + 1) % n, h)
    cap = np.array(draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), np.int64)
    cost = np.array(draw(st.lists(st.integers(-6, 12), min_size=m, max_size=m)), np.int64)
    sup = np.array(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), np.int64)
    sup[-1] -= sup.sum()
    seq = [(cap, cost, sup)]
    for _ in range(draw(st.integers(1, 4))):
        cap, cost, sup = cap.copy(), cost.copy(), sup.copy()
        for i in draw(st.lists(st.integers(0, m - 1), max_size=m // 2 + 1)):
            cost[i] = draw(st.integers(-6, 12))
        for i in draw(st.lists(st.integers(0, m - 1), max_size=2)):
            cap[i] = draw(st.integers(0, 9))
        for v in draw(st.lists(st.integers(0, n - 2), max_size=2)):
            sup[v] += draw(st.integers(-3, 3))
        sup[-1] -= sup.sum()
        seq.append((cap, cost, sup))
    return n, t, h, seq


def check_solves(inst, solve) -> None:
    """Every solve by ``solve`` (``network_simplex``'s arguments and results) of a perturbed sequence, from the
    previous basis and from scratch: feasible exactly when OR-Tools is, at OR-Tools' optimum, within the capacities,
    conserving flow, with a basis whose non-tree arcs sit at a bound and whose tree arcs form a forest."""
    n, t, h, seq = inst
    state, roots = np.full(len(t), LOWER, np.int8), np.zeros(0, np.int64)
    for cap, cost, sup in seq:
        expected, _ = _ortools(n, t, h, cap, cost, sup)
        for st_in, r_in in ((state, roots), (np.full(len(t), LOWER, np.int8), np.zeros(0, np.int64))):
            flow, st_out, r_out, ok, _ = solve(n, t, h, cap, cost, sup, st_in, r_in)
            assert ok == (expected is not None)
            if ok:
                assert int((flow * cost).sum()) == expected
                assert ((flow >= 0) & (flow <= cap)).all()
                net_out = np.bincount(t, flow, n) - np.bincount(h, flow, n)
                assert np.array_equal(net_out.astype(np.int64), sup)
                # the basis: tree arcs form a forest, non-tree arcs sit at a bound
                assert ((st_out == TREE) | (flow == 0) | (flow == cap)).all()
                assert (st_out == TREE).sum() <= n - 1
        if ok:
            state, roots = st_out, r_out


@given(mcf_sequences())
@settings(max_examples=300, deadline=None)
def test_network_simplex_is_exact_cold_and_warm(inst):
    """Every solve of a perturbed sequence, from the previous basis and from scratch, costs OR-Tools' and networkx's optimum."""
    n, t, h, seq = inst
    for cap, cost, sup in seq:
        assert _networkx(n, t, h, cap, cost, sup) == _ortools(n, t, h, cap, cost, sup)[0]
    check_solves(inst, network_simplex)


# ---------------------------------------------------------------- planning problems

@st.composite
def plan_problems(draw):
    """A planning problem as ``build_plan`` makes it, and a sequence of perturbed steps of it."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(4, 40))
    e = draw(st.integers(n, 4 * n))
    src = rng.integers(0, n, e)
    dst = rng.integers(0, n, e)
    dst = np.where(dst == src, (src + 1) % n, dst)
    n_markets = draw(st.integers(1, max(1, n // 4)))
    markets = rng.choice(n, n_markets, replace=False)
    coarse = draw(st.booleans())  # few distinct costs: many ties for the perturbation to break
    steps = []
    cost = rng.integers(0, 4 if coarse else 500, e).astype(float)
    rev = rng.integers(10, 20 if coarse else 3000, (n_markets, len(planning.TRANCHE_MID))).astype(float)
    cap = np.where(rng.random(e) < 0.3, rng.integers(0, 30, e), np.inf)
    split = np.flatnonzero(rng.random(n) < 0.2)
    ncap = rng.integers(0, 40, split.size).astype(float)
    supply = np.where(rng.random(n) < 0.3, rng.integers(0, 50, n), 0).astype(float)
    for _ in range(draw(st.integers(1, 5))):
        steps.append((cost.copy(), rev.copy(), cap.copy(), ncap.copy(), supply.copy()))
        k = rng.random(e) < 0.25
        cost[k] = rng.integers(0, 4 if coarse else 500, k.sum())
        supply[rng.integers(0, n)] += rng.integers(0, 10)
        rev *= rng.uniform(0.9, 1.1)
    return n, src, dst, markets, split, steps


def _build(n, src, dst, markets, split, step):
    cost, rev, cap, ncap, supply = step
    split_out = np.arange(n)
    split_out[split] = n + np.arange(split.size)
    tcap = np.full(rev.shape, 7.0)
    return planning.build_plan(
        n_nodes=n, split_out=split_out, edge_idx=np.arange(len(src)), edge_src=src, edge_dst=dst, edge_cap=cap,
        edge_cost=cost, split_nodes=split, split_cap=ncap, market_nodes=markets,
        market_idx=np.arange(len(markets)), tranche_cap=tcap, tranche_rev=rev, supply=supply)


def _plan_networkx(p: planning.PlanInput) -> int:
    """The unperturbed optimum of a planning problem, formulated from its parts."""
    tails = np.concatenate([p.edge_tail, p.split_tail, p.tranche_tail, p.hold_nodes])
    heads = np.concatenate([p.edge_head, p.split_head, np.full(len(p.tranche_tail) + len(p.hold_nodes), p.sink)])
    caps = np.concatenate([p.edge_cap, p.split_cap, p.tranche_cap, p.supply[p.hold_nodes]])
    costs = np.concatenate([p.edge_cost, np.zeros(len(p.split_tail), np.int64), p.tranche_cost,
                            np.full(len(p.hold_nodes), p.offset)])
    sup = np.zeros(p.n_solver_nodes, np.int64)
    sup[: len(p.supply)] = p.supply
    sup[p.sink] -= p.supply.sum()
    return _networkx(p.n_solver_nodes, tails, heads, caps, costs, sup)


@given(plan_problems())
@settings(max_examples=120, deadline=None)
def test_plans_agree_with_ortools_and_networkx(problem):
    """On every step of a sequence the warm simplex returns OR-Tools' plan exactly, at networkx's optimum."""
    n, src, dst, markets, split, steps = problem
    warm = planning.WarmStart()
    for step in steps:
        p = _build(n, src, dst, markets, split, step)
        a = planning.solve_plan(p, len(src), "ortools")
        b = planning.solve_plan(p, len(src), "simplex", warm)
        assert np.array_equal(a.edge_flow, b.edge_flow)
        assert np.array_equal(a.tranche_flow, b.tranche_flow)
        assert a.objective == b.objective
        if p.supply.sum():
            assert a.objective == _plan_networkx(p)


def test_perturbation_breaks_ties_and_keeps_the_optimum():
    """Two equal routes: without the perturbation the plan depends on the arc order; with it, not.

    The tie-break term is a hash of the arc's identity, so listing the edges in
    the other order gives the same plan, at the unperturbed optimum.
    """
    #   0 -> 1 -> 3, 0 -> 2 -> 3 (market at 3), equal costs, caps 5 on the first hops, 8 kg at 0
    src, dst = np.array([0, 1, 0, 2]), np.array([1, 3, 2, 3])
    plans = []
    for order in (np.array([0, 1, 2, 3]), np.array([2, 3, 0, 1])):
        p = planning.build_plan(
            n_nodes=4, split_out=np.arange(4), edge_idx=order, edge_src=src[order], edge_dst=dst[order],
            edge_cap=np.array([5.0, np.inf, 5.0, np.inf])[order], edge_cost=np.full(4, 10.0),
            split_nodes=np.zeros(0, np.int64), split_cap=np.zeros(0), market_nodes=np.array([3]),
            market_idx=np.array([0]), tranche_cap=np.full((1, 6), 100.0), tranche_rev=np.full((1, 6), 500.0),
            supply=np.array([8.0, 0, 0, 0]))
        for solver in ("ortools", "simplex"):
            r = planning.solve_plan(p, 4, solver, planning.WarmStart())
            assert r.objective == _plan_networkx(p)
            plans.append(r.edge_flow)
    assert all(np.array_equal(plans[0], x) for x in plans[1:])
    assert sorted(plans[0][[0, 2]]) == [3.0, 5.0]  # a split the tie alone does not decide


def test_warm_start_saves_pivots():
    """From the previous basis a slightly changed problem takes far fewer pivots than from scratch."""
    rng = np.random.default_rng(5)
    n, e = 400, 2400
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    dst = np.where(dst == src, (src + 1) % n, dst)
    cap, cost = rng.integers(1, 50, e), rng.integers(0, 1000, e)
    sup = np.where(rng.random(n) < 0.2, rng.integers(0, 30, n), 0)
    # a sink reachable from everywhere, like the planning problem's hold and market arcs
    t = np.concatenate([src, np.arange(n)])
    h = np.concatenate([dst, np.full(n, n)])
    caps = np.concatenate([cap, np.full(n, 10 ** 6)])
    costs = np.concatenate([cost, rng.integers(5000, 6000, n)])
    s = np.append(sup, -sup.sum()).astype(np.int64)
    cold = np.full(len(t), LOWER, np.int8)
    _, state, roots, ok, _ = network_simplex(n + 1, t, h, caps, costs, s, cold, np.zeros(0, np.int64))
    assert ok
    costs2 = costs.copy()
    k = rng.random(len(t)) < 0.2
    costs2[k] = np.maximum(costs2[k] + rng.integers(-100, 100, k.sum()), 0)
    f_warm, _, _, ok_w, piv_warm = network_simplex(n + 1, t, h, caps, costs2, s, state, roots)
    f_cold, _, _, ok_c, piv_cold = network_simplex(n + 1, t, h, caps, costs2, s, cold, np.zeros(0, np.int64))
    assert ok_w and ok_c
    assert int((f_warm * costs2).sum()) == int((f_cold * costs2).sum()) == _ortools(n + 1, t, h, caps, costs2, s)[0]
    assert piv_warm < piv_cold / 3


# ------------------------------------------------------------------- whole runs

def _plans_checked(monkeypatch):
    """Make every large-path plan of the simplex also solve with OR-Tools and compare, plan for plan."""
    orig = planning.solve_plan
    calls = []

    def both(p, n_edges, solver="ortools", warm=None):
        a = orig(p, n_edges, "ortools")
        b = orig(p, n_edges, solver, warm)
        assert np.array_equal(a.edge_flow, b.edge_flow) and np.array_equal(a.tranche_flow, b.tranche_flow)
        calls.append(solver)
        return b

    monkeypatch.setattr(planning, "solve_plan", both)
    return calls


@pytest.mark.slow
@given(scenario_dicts(max_steps=12), st.integers(0, 1000))
@settings(max_examples=8, deadline=None)
def test_every_plan_of_a_run_agrees(data, seed):
    """In runs of random scenarios (large path forced), each simplex plan is OR-Tools' plan."""
    with pytest.MonkeyPatch.context() as mp:
        calls = _plans_checked(mp)
        Engine(Scenario.from_dict(data), None, seed, solver="simplex").run(6)
    assert set(calls) <= {"simplex"}


@pytest.mark.parametrize("name", ["caribbean", "corridor", "transatlantic"])
def test_shipped_trajectories_identical(name):
    """Shipped scenarios on the large path: the simplex and OR-Tools give the same trajectory, under every shipped strategy."""
    sc = load_scenario(name)
    net = compile_network(sc)
    for strategy in resolve_strategies(sc, None)[:3]:
        a = Engine(net, strategy, 7, solver="ortools").run(30)
        b = Engine(net, strategy, 7, solver="simplex").run(30)
        assert _same(a, b), (name, strategy.name)


@pytest.fixture(scope="module")
def generated():
    from counterflow.generate import generate_scenario

    return generate_scenario(600, seed=3, organisations=3, warmup=10)


@pytest.fixture(scope="module")
def generated_net(generated):
    return compile_network(generated)


def test_large_path_same_numbers_whatever_the_executor(generated):
    """The default large-path solver (the warm simplex) gives the same table in order, reversed, and in a process pool."""
    from concurrent.futures import ProcessPoolExecutor

    from counterflow.engine.core import LARGE_SOLVER
    from counterflow.runner import Results, run_replication, run_replications

    assert LARGE_SOLVER == "simplex"
    strategies = resolve_strategies(generated, None)[:2]
    seq = run_replications(generated, strategies, runs=2, seed=4, steps=8).table()
    with ProcessPoolExecutor(max_workers=2) as pool:
        par = run_replications(generated, strategies, runs=2, seed=4, steps=8, executor=pool).table()
    rev = Results(generated.name, 4, 2, [s.name for s in strategies])
    for i in reversed(range(2)):
        rev.records.extend(run_replication(generated, strategies, i, 4, 8))
    cols = [c for c in seq.columns if c != "recovery_steps"]
    assert seq[cols].equals(par[cols]) and seq[cols].equals(rev.table()[cols])


def test_generated_trajectory_identical_and_independent_of_warm_state(generated_net):
    """A generated 600-node network: OR-Tools, the warm simplex, and the simplex restarted cold every step agree exactly."""
    net = generated_net
    assert not Engine(net, None, 1)._small
    a = Engine(net, None, 2, record_flows=False, solver="ortools").run(12)
    b = Engine(net, None, 2, record_flows=False, solver="simplex").run(12)
    eng = Engine(net, None, 2, record_flows=False, solver="simplex")
    warm_used = []
    orig_step = eng.step

    def cold_step(*args):
        warm_used.append(sum(w.keys is not None for w in eng._warm))
        eng._warm = [planning.WarmStart() for _ in range(net.n_orgs)]
        orig_step(*args)

    eng.step = cold_step
    c = eng.run(12)
    assert max(warm_used) > 0  # the warm state existed, and was thrown away
    assert _same(a, b) and _same(a, c)
