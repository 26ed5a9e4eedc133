"""Stochastic maximum-flow interdiction (Cormican, Morton & Wood 1998).

Each attempted interdiction of arc ``a`` succeeds with probability
``success_prob[a]``, independently; the interdictor minimises the *expected*
maximum flow. For a success pattern ``omega`` the inner problem is Wood's
minimum cut with ``gamma_a`` effective only where ``omega_a = 1``.

Methods (``method=``; ``"auto"`` takes the first that applies, in this order):

* ``"patterns"``: every success pattern of the uncertain candidates (those with
  ``0 < p < 1``), weighted by its probability, one cut block per pattern sharing
  ``gamma`` (the deterministic equivalent); when there are at most
  ``max_scenarios`` patterns. Exact: status ``optimal`` once HiGHS proves it.
* ``"enumerate"``: every budget-feasible plan that cannot be extended within the
  budget (the expected flow never rises when an interdiction is added), each
  evaluated exactly over the success patterns of its own uncertain items; when
  that takes at most ``max_evaluations`` maximum flows. Exact. It reads the clock before each plan
  and between success patterns; at ``time_limit`` it returns the best plan evaluated so far with status
  ``time_limit`` and no bound (``bound`` ``nan``, ``gap`` ``inf``, ``bound_note`` says why), since the
  plans not evaluated could be better; ``plans_evaluated`` says how far it got.
* ``"saa"``: sample-average approximation, never called optimal. ``replications``
  independent samples of ``samples`` patterns each are solved exactly for the
  sample by an L-shaped (Benders) decomposition with one cut per scenario
  (``saa_solver="benders"``; LP masters with rounded plans first, then MILP
  masters with the incumbent as a cut-off) or by the stacked deterministic
  equivalent with the local-search incumbent as a cut-off row (``"milp"``);
  ``"auto"`` (the default) takes the stacked model for samples of at most
  ``STACKED_MAX_SIZE`` columns. At a time limit a replication keeps
  its proven lower bound, so the statistical bounds stay valid. The mean of their proven lower bounds estimates a lower bound
  on the true optimum (Mak, Morton & Wood 1999); every distinct plan is screened
  on ``eval_samples`` fresh patterns and the best one is then evaluated exactly
  (few uncertain items) or on another ``eval_samples`` fresh patterns: a true or
  statistical upper bound. The result has status ``saa``, ``bound`` the 95 %
  lower confidence limit, and the details in ``saa``.

The L-shaped cut for scenario ``omega`` at plan ``gamma_hat``: with ``x`` a maximum
flow of the network interdicted by ``gamma_hat`` under ``omega`` (value ``F``),
removing any set of arcs removes at most the flow they carry, so for every plan
``theta_omega >= F - sum_a omega_a x_a gamma_a``; it is tight at ``gamma_hat``. Any maximum flow gives
a valid cut; on integer capacities the L-shaped method takes the Pareto-optimal one (Magnanti & Wong
1981): of the maximum flows, one carrying least flow over the arcs a core point ``gamma0`` (a fractional
plan inside the budget) interdicts. Plain flows crowd onto a few arcs and make the master's bound stall
(20x20 grid, 50 patterns, budget 5: the LP masters stopped at 71.6 against an optimum of 73.8, and the
MILP masters took minutes); the Pareto-optimal cuts take the LP masters to 73.8 in five rounds.

The stochastic optimum is in general not the deterministic optimum, nor the
optimum on expected capacities: attempting two interdictions on one path can
beat spreading them (see ``tests/optimize``).
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats

from ..errors import InputError
from ._flow import FlowOracle
from ._milp import solve_milp
from .graph import Arcs, InterdictionNetwork
from .maxflow import wood_model
from .result import InterdictionResult, check_budget, make_result, plan_items

__all__ = ["expected_max_flow_interdiction", "expected_max_flow_value", "STOCHASTIC_METHODS"]

STOCHASTIC_METHODS = ("auto", "patterns", "enumerate", "saa")

#: ``saa_solver="auto"`` solves a replication's sample with the stacked model (with the local-search
#: incumbent as a cut-off) when it has at most this many columns, ``(nodes + arcs) x samples`` of the
#: split network, else with the L-shaped method (measured: see docs/optimize.md).
STACKED_MAX_SIZE = 4000


def stacked_size(arcs: Arcs, samples: int) -> int:
    """Columns of the stacked model of ``samples`` patterns: one copy of Wood's cut variables each."""
    return (arcs.n + arcs.m) * samples


def _plan_mask(net: InterdictionNetwork, arcs: Arcs, edges, nodes) -> np.ndarray:
    return net.plan_arcs(arcs, edges, nodes)


def _exact_expectation(oracle: FlowOracle, chosen: np.ndarray, deadline: float = math.inf) -> float:
    """Expected maximum flow of a plan (arc indices) over every success pattern of its uncertain arcs.

    ``nan`` when the clock (``time.perf_counter()``) passes ``deadline`` before every pattern is done:
    the clock is read between patterns, so one maximum flow is the most it can overrun."""
    p = oracle.arcs.prob[chosen]
    sure = chosen[p >= 1.0]
    unsure = chosen[(p > 0.0) & (p < 1.0)]
    pu = oracle.arcs.prob[unsure]
    removed = np.zeros(oracle.arcs.m, dtype=bool)
    total = 0.0
    for bits in itertools.product((False, True), repeat=unsure.size):
        if deadline < math.inf and time.perf_counter() >= deadline:
            return math.nan
        b = np.array(bits, dtype=bool)
        prob = float(np.prod(np.where(b, pu, 1.0 - pu)))
        if prob == 0.0:
            continue
        removed[:] = False
        removed[sure] = True
        removed[unsure[b]] = True
        f = oracle.flow(removed)
        if math.isinf(f):
            return math.inf
        total += prob * f
    return total


def _sampled_expectation(oracle: FlowOracle, chosen: np.ndarray, rng: np.random.Generator,
                         samples: int) -> tuple[float, float]:
    """Monte Carlo mean and standard error of a plan's maximum flow over ``samples`` patterns.

    Patterns are drawn for every arc, so one seed gives every plan the same patterns (common random
    numbers)."""
    draws = rng.random((samples, oracle.arcs.m)) < oracle.arcs.prob
    removed = np.zeros(oracle.arcs.m, dtype=bool)
    vals = np.empty(samples)
    for i in range(samples):
        removed[:] = False
        removed[chosen[draws[i, chosen]]] = True
        vals[i] = oracle.flow(removed)
    if not np.all(np.isfinite(vals)):
        return math.inf, 0.0
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.inf


def expected_max_flow_value(net: InterdictionNetwork, edges=(), nodes=(), *, max_exact: int = 10,
                            samples: int = 2000, seed: int = 0) -> tuple[float, str]:
    """Expected maximum flow when the plan's interdictions each succeed with their probability.

    Exact (every success pattern) when the plan has at most ``max_exact`` uncertain items, else a
    Monte Carlo mean over ``samples`` patterns. Returns ``(value, "exact" | "monte-carlo")``.
    """
    arcs = net.arcs()
    oracle = FlowOracle(arcs)
    chosen = np.flatnonzero(_plan_mask(net, arcs, list(edges), list(nodes)))
    unsure = int(np.sum((arcs.prob[chosen] > 0) & (arcs.prob[chosen] < 1)))
    if unsure <= max_exact:
        return _exact_expectation(oracle, chosen), "exact"
    return _sampled_expectation(oracle, chosen, np.random.default_rng(seed), samples)[0], "monte-carlo"


def expected_max_flow_interdiction(net: InterdictionNetwork, budget: float, *, method: str = "auto",
                                   max_scenarios: int = 256, max_evaluations: int = 20000,
                                   samples: int = 50, replications: int = 10, seed: int = 0,
                                   max_exact_eval: int = 10, eval_samples: int = 1000,
                                   saa_solver: str = "auto", time_limit: float | None = None,
                                   mip_rel_gap: float = 1e-6) -> InterdictionResult:
    """Choose interdictions, within ``budget``, minimising the expected maximum s-t flow.

    See the module docstring for the methods; ``result.method`` says which ran, ``status`` is
    ``optimal`` only for the exact ones.

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges([
    ...     {"from": "s", "to": "a", "capacity": 10}, {"from": "a", "to": "b", "capacity": 10,
    ...      "interdiction_cost": 1, "success_prob": 0.5},
    ...     {"from": "b", "to": "c", "capacity": 10, "interdiction_cost": 1, "success_prob": 0.5},
    ...     {"from": "c", "to": "t", "capacity": 10}, {"from": "s", "to": "d", "capacity": 1},
    ...     {"from": "d", "to": "e", "capacity": 1, "interdiction_cost": 1}, {"from": "e", "to": "t", "capacity": 1},
    ... ], source="s", sink="t")
    >>> r = expected_max_flow_interdiction(net, budget=2)
    >>> r.value_after, r.edges, r.method, r.status
    (3.5, [('a', 'b'), ('b', 'c')], 'patterns', 'optimal')
    """
    t0 = time.perf_counter()
    budget = check_budget(budget)
    if method not in STOCHASTIC_METHODS:
        raise InputError(f"method must be one of {', '.join(STOCHASTIC_METHODS)}, got {method!r}", path="method")
    if saa_solver not in ("auto", "benders", "milp"):
        raise InputError(f"saa_solver must be 'auto', 'benders' or 'milp', got {saa_solver!r}", path="saa_solver")
    for name, v, lo in (("samples", samples, 1), ("replications", replications, 2), ("eval_samples", eval_samples, 2)):
        if not isinstance(v, int) or v < lo:
            raise InputError(f"{name} must be an integer >= {lo}, got {v!r}", path=name)
    arcs = net.arcs()
    oracle = FlowOracle(arcs)
    before = oracle.flow(np.zeros(arcs.m, dtype=bool))
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9) & (arcs.prob > 0))
    p = arcs.prob[cand]
    n_unsure = int(np.sum(p < 1))
    detail: dict = {"considered": net.considered(budget)}
    chosen: np.ndarray | None = None
    if method in ("auto", "patterns") and (method == "patterns" or n_unsure <= math.log2(max(max_scenarios, 1))):
        chosen, status, gap, bound, stats_ = _patterns(arcs, cand, budget, time_limit, mip_rel_gap)
        used = "patterns"
    else:
        plans = None
        deadline = math.inf if time_limit is None else t0 + max(0.0, float(time_limit))
        if method in ("auto", "enumerate"):
            plans = _maximal_plans(arcs, cand, budget, max_evaluations if method == "auto" else None,
                                   deadline=deadline)
        if plans is not None:
            chosen, status, gap, bound, stats_ = _enumerate(oracle, plans, before, deadline)
            used = "enumerate"
        else:
            chosen, status, gap, bound, stats_ = _saa(net, arcs, oracle, cand, budget, samples=samples,
                                                      replications=replications, seed=seed,
                                                      eval_samples=eval_samples, max_exact_eval=max_exact_eval,
                                                      solver=saa_solver, time_limit=time_limit,
                                                      mip_rel_gap=mip_rel_gap, t0=t0)
            used = "saa"
    edges, nodes = plan_items(net, arcs, chosen)
    if used == "saa":
        after = stats_["upper_estimate"]
        detail["saa"] = stats_
    else:
        after = _exact_expectation(oracle, chosen)  # the returned plan re-evaluated, every pattern
        detail.update(stats_)
        detail["evaluation"] = "exact"
    return make_result("expected-max-flow", net, edges, nodes, before=before, after=after, status=status,
                       gap=gap, bound=bound, seconds=time.perf_counter() - t0, budget=budget,
                       method=used, detail=detail)


# ---------------------------------------------------------------------------- exact: every pattern
def _stacked_model(arcs: Arcs, cand: np.ndarray, budget: float, patterns: list[np.ndarray], weights: list[float]):
    """Wood's model with one cut block per success pattern (over ``cand``), sharing ``gamma``."""
    n, m = arcs.n, arcs.m
    c0, a0, rlo0, rhi0, clo0, chi0, _, cand0 = wood_model(arcs, budget)
    keep = np.isin(cand0, cand)
    k = cand0.size
    a0 = sp.csr_matrix(a0)
    core = a0[:m, : n + m]
    gam = sp.csr_matrix(a0[:m, n + m:])
    blocks, gcols = [], []
    for on in patterns:
        full = np.zeros(k)
        full[np.searchsorted(cand0, cand)] = on
        blocks.append(core)
        gcols.append(gam @ sp.diags(full * keep))
    s_count = len(patterns)
    big = sp.bmat([[sp.block_diag(blocks), sp.vstack(gcols)], [None, a0[m:, n + m:]]], format="csc")
    c = np.concatenate([np.concatenate([w * c0[: n + m] for w in weights]), np.zeros(k)])
    col_lo = np.concatenate([np.tile(clo0[: n + m], s_count), clo0[n + m:]])
    col_hi = np.concatenate([np.tile(chi0[: n + m], s_count), np.where(keep, chi0[n + m:], 0.0)])
    row_lo = np.concatenate([np.tile(rlo0[:m], s_count), rlo0[m:]])
    row_hi = np.concatenate([np.tile(rhi0[:m], s_count), rhi0[m:]])
    integer = np.concatenate([np.zeros((n + m) * s_count, dtype=bool), np.ones(k, dtype=bool)])
    return c, big, row_lo, row_hi, col_lo, col_hi, integer, cand0, (n + m) * s_count


def _patterns(arcs: Arcs, cand: np.ndarray, budget: float, time_limit, mip_rel_gap):
    p = arcs.prob[cand]
    unsure = np.flatnonzero(p < 1)
    patterns, weights = [], []
    for bits in itertools.product((0, 1), repeat=unsure.size):
        on = (p >= 1).astype(float)
        on[unsure] = bits
        patterns.append(on)
        weights.append(math.prod(p[j] if b else 1 - p[j] for j, b in zip(unsure, bits, strict=True)))
    c, a, rlo, rhi, clo, chi, integer, cand0, off = _stacked_model(arcs, cand, budget, patterns, weights)
    sol = solve_milp(c, a, rlo, rhi, clo, chi, integer, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    chosen = np.zeros(0, dtype=np.int64) if sol.x is None else cand0[sol.x[off:] > 0.5]
    return chosen, sol.status, sol.gap, sol.bound, {"scenarios": len(patterns), "milp_objective": sol.objective}


# ---------------------------------------------------------------------------- exact: every plan
#: What a stopped enumeration says about its bound (``bound`` is ``nan``, ``gap`` ``inf``).
NO_BOUND_NOTE = ("none: the enumeration stopped at the time limit before every maximal plan was evaluated, "
                 "and an unevaluated plan may be better; no lower bound on the optimum is proven")


def _enumerate(oracle: FlowOracle, plans: tuple[list, bool], before: float,
               deadline: float) -> tuple[np.ndarray, str, float, float, dict]:
    """The best of the maximal ``plans`` (``(plans, complete)`` from :func:`_maximal_plans`), each evaluated
    exactly, in the order listed; ``optimal`` when every plan of a complete list was evaluated.

    The clock is read before each plan and between a plan's success patterns (one maximum flow is the most
    one check can overrun). A plan is started only if the time the incumbent's evaluation took is still
    left, so the caller's re-evaluation of the returned plan fits in the limit too. Out of time, the
    result is the best plan evaluated so far (the empty plan if none was), status ``time_limit``, no bound
    (``nan``, gap ``inf``): the plans not evaluated could be better, and nothing here bounds them."""
    listed, complete = plans
    best_plan, best_val, best_secs = np.zeros(0, dtype=np.int64), before, 0.0
    evaluated = 0
    for c in listed:
        if deadline < math.inf and time.perf_counter() + best_secs >= deadline:
            break
        tc = time.perf_counter()
        v = _exact_expectation(oracle, c, deadline - best_secs)
        if math.isnan(v):
            break
        evaluated += 1
        if evaluated == 1 or v < best_val:  # the first of equal values, as min() over the list
            best_plan, best_val, best_secs = c, v, time.perf_counter() - tc
    stats_: dict[str, Any] = {"plans": len(listed) if complete else None, "plans_listed": len(listed),
                              "plans_evaluated": evaluated, "max_flows": oracle.calls}
    if complete and evaluated == len(listed):
        return best_plan, "optimal", 0.0, best_val, stats_
    stats_["bound_note"] = NO_BOUND_NOTE
    return best_plan, "time_limit", math.inf, math.nan, stats_


def _maximal_plans(arcs: Arcs, cand: np.ndarray, budget: float, max_evaluations: int | None, *,
                   deadline: float = math.inf) -> tuple[list, bool] | None:
    """Every budget-feasible set of ``cand`` to which no further candidate fits, as ``(plans, True)``;
    ``None`` when evaluating them all exactly would take more than ``max_evaluations`` maximum flows.
    When the clock (``time.perf_counter()``, read every 4,096 steps) passes ``deadline`` first: the plans
    listed so far and ``False``."""
    cost = arcs.icost[cand]
    unsure = (arcs.prob[cand] < 1).astype(int)
    order = np.argsort(cost, kind="stable")
    cost_o, uns_o, cand_o = cost[order], unsure[order], cand[order]
    suffix_min = np.minimum.accumulate(cost_o[::-1])[::-1]
    out: list[np.ndarray] = []
    work = 0
    chosen: list[int] = []
    limit = math.inf if max_evaluations is None else max_evaluations

    # Depth-first over "take candidate i, then skip it", with an explicit stack (one level per candidate
    # would exceed Python's recursion limit on networks with a thousand or more candidate arcs).
    # A frame is (i, budget left, cheapest skipped cost, unsure arcs chosen, phase): phase 0 enters
    # candidate i, phase 1 returns from its "take" branch and goes on with "skip".
    eps = 1e-9
    stack: list[tuple[int, float, float, int, int]] = [(0, budget, math.inf, 0, 0)]
    n = len(cand_o)
    steps = 0
    while stack:
        steps += 1
        if steps & 4095 == 0 and deadline < math.inf and time.perf_counter() >= deadline:
            return out, False
        i, left, skipped_min, n_uns, phase = stack.pop()
        if phase == 1:
            chosen.pop()
            stack.append((i + 1, left, min(skipped_min, cost_o[i]), n_uns, 0))
            continue
        if i == n or suffix_min[i] > left + eps:
            if skipped_min <= left + eps:
                continue  # an item skipped earlier still fits: not maximal
            out.append(cand_o[chosen].copy())
            work += 2 ** n_uns
            if work > limit:
                return None
            continue
        if cost_o[i] <= left + eps:
            stack.append((i, left, skipped_min, n_uns, 1))
            chosen.append(i)
            stack.append((i + 1, left - cost_o[i], skipped_min, n_uns + int(uns_o[i]), 0))
        else:
            stack.append((i + 1, left, min(skipped_min, cost_o[i]), n_uns, 0))
    return out, True


# ---------------------------------------------------------------------------- sample average approximation
def _decompose(arcs: Arcs, x: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """An s-t path decomposition ``[(flow, arcs of the path)]`` of the flow ``x`` (cycles cancelled:
    the paths carry the flow's value on arcs each carrying at most its ``x``)."""
    rest = x.astype(float).copy()
    out_arcs: dict[int, list[int]] = {}
    for a0 in np.flatnonzero(rest > 1e-9):
        out_arcs.setdefault(int(arcs.tail[a0]), []).append(int(a0))
    paths: list[tuple[float, np.ndarray]] = []
    s, t = arcs.s, arcs.t
    while True:
        path: list[int] = []
        at = {s: 0}
        v = s
        while v != t:
            lst = out_arcs.get(v)
            while lst and rest[lst[-1]] <= 1e-9:
                lst.pop()
            if not lst:
                break
            a = lst[-1]
            path.append(a)
            v = int(arcs.head[a])
            if v in at:  # a cycle: cancel it and walk on from where it started
                cyc = path[at[v]:]
                rest[cyc] -= float(np.min(rest[cyc]))
                del path[at[v]:]
                at = {u: i for u, i in at.items() if i <= at[v]}
                continue
            at[v] = len(path)
        if v != t or not path:
            return paths
        f = float(np.min(rest[path]))
        rest[path] -= f
        paths.append((f, np.asarray(path, dtype=np.int64)))


def _benders(arcs: Arcs, oracle: FlowOracle, cand: np.ndarray, budget: float, draws: np.ndarray,
             time_limit: float | None, mip_rel_gap: float, *, local: bool = True,
             width: int = 30, path_cuts: bool = False, incumbent_only: bool = False,
             polish: float = 0.25, pareto: bool = True, max_masters: int | None = None,
             stats: dict | None = None) -> tuple[np.ndarray, float, float, str, int]:
    """Multi-cut L-shaped method for the sampled problem ``min (1/N) sum_omega F_omega(gamma)``.

    1. An incumbent from a greedy and swap local search on the sampled objective (``local``): plans
       grow by the candidate arc that lowers the sample mean most, among the ``width`` arcs carrying the
       most successfully interdictable flow; then single swaps while one improves.
    2. LP masters with cuts at a budget-feasible rounding (cheap lower bounds and plans).
    3. MILP masters with the incumbent as a cut-off (a row ``objective <= incumbent - 1/(2N)`` on
       integral data, where a better plan is better by a whole ``1/N``), stopped at their first plan
       until five such plans in a row fail to improve the incumbent, then solved to optimality (their
       bound rises). An infeasible master proves the incumbent optimal for the sample.
    4. ``polish`` (with ``local``): the same local search from every new plan a MILP master proposes, while
       all local searches together have used at most that share of the time so far (default a quarter;
       0: never), so a better incumbent tightens the cut-off early.

    ``pareto`` (integer capacities): Magnanti-Wong cuts. Of the maximum flows of a scenario, the cut
    takes one of least ``sum_a omega_a x_a gamma0_a`` at a core point ``gamma0`` (OR-Tools' maximum flow
    of least cost; ``gamma0`` starts uniform within the budget and moves halfway to each master's
    solution), so it is tight at the plan and as deep as a flow cut can be elsewhere.
    ``max_masters``: stop after that many MILP masters (tests).

    Every master's dual bound is a proven lower bound on the sample optimum (a master stopped at its
    first plan, or at a time limit, bounds the cut-off model: ``min(bound, cut-off)``).

    Returns ``(chosen arcs, sample objective of the plan, proven lower bound, status, iterations)``;
    ``incumbent_only``: stop after step 1 (lower bound 0, status ``time_limit``). ``stats`` (a dict) is
    filled with where the time went: master LPs and MILPs (count, seconds), the scenario maximum flows
    of the cuts, the local search, the cuts added.
    """
    t0 = time.perf_counter()
    n_s, k = draws.shape
    w = 1.0 / n_s
    cost = arcs.icost[cand]
    integral = oracle.integral
    # master columns: gamma (k), theta (n_s); rows: budget + cuts
    cut_rows: list[np.ndarray] = []
    cut_cols: list[np.ndarray] = []
    cut_vals: list[np.ndarray] = []
    cut_lo: list[float] = []
    n_cuts = 0
    best_val, best_plan = math.inf, np.zeros(0, dtype=np.int64)
    best_gamma = np.zeros(k, dtype=bool)
    lower = 0.0
    status = "time_limit"
    it = 0
    removed = np.zeros(arcs.m, dtype=bool)
    carried = np.zeros(k)  # per candidate: flow it carries where its interdiction succeeds, summed
    col_of = np.full(arcs.m, -1, dtype=np.int64)
    col_of[cand] = np.arange(k)
    n_z = 0  # path variables (path cuts)
    main_rows: list[int] = []  # master rows of the cuts (lower side: cut_lo)
    z_link: list[int] = []  # master rows z_P - sum gamma <= 0

    core = np.full(k, min(1.0, budget / max(float(cost.sum()), 1e-9)))  # Magnanti-Wong core point
    wcore = np.zeros(arcs.m)

    def _pareto_flow(oracle: FlowOracle, removed: np.ndarray, on: np.ndarray, f: float) -> np.ndarray:
        """A maximum flow of least cost ``omega * gamma0`` on the candidates (value ``f``, checked)."""
        wcore[:] = 0.0
        wcore[cand] = on * core
        x = _min_cost_max_flow(oracle, removed, wcore)
        if x is None or abs(float(x[arcs.tail == arcs.s].sum() - x[arcs.head == arcs.s].sum()) - f) > 1e-6:
            raise RuntimeError("Magnanti-Wong flow does not match the maximum flow")
        return x

    st: dict[str, Any] = {"master_lp": 0, "master_lp_s": 0.0, "master_milp": 0, "master_milp_s": 0.0, "cut_rounds": 0,
          "cut_flows_s": 0.0, "local_search_s": 0.0, "polish_runs": 0, "incumbents": []}

    def remaining() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - t0)

    def _hit(gamma: np.ndarray, s: int) -> np.ndarray:
        """The arcs plan ``gamma`` removes in scenario ``s`` (its attempts that succeed there), in place."""
        removed[:] = False
        removed[cand[gamma & draws[s]]] = True
        return removed

    def _cuts_for(gamma: np.ndarray) -> float:
        """Evaluate ``gamma`` on every scenario, add one cut per scenario (module docstring)."""
        nonlocal n_cuts, best_val, best_plan, best_gamma, n_z
        tc = time.perf_counter()
        st["cut_rounds"] += 1
        vals = np.empty(n_s)
        carried[:] = 0.0
        for s in range(n_s):
            f, x = oracle.flow_and_arcs(_hit(gamma, s))
            if pareto and oracle.integral and f < oracle.big - 0.5:
                x = _pareto_flow(oracle, removed, draws[s], f)
            vals[s] = f
            coef = draws[s] * x[cand]
            carried[:] += coef
            if path_cuts:
                # theta_s + sum_P f_P z_P >= F,  z_P <= sum of the path's successful gamma, z_P <= 1; a path
                # with one such arc puts its flow on that gamma directly
                coef = np.zeros(k)
                zc, zv = [], []
                for fp, path in _decompose(arcs, x):
                    cols = col_of[path]
                    cols = cols[cols >= 0]
                    cols = cols[draws[s, cols]]
                    if cols.size == 1:
                        coef[cols[0]] += fp
                    elif cols.size > 1:
                        zc.append(k + n_s + n_z)
                        zv.append(fp)
                        cut_rows.append(np.full(cols.size + 1, n_cuts + 1))
                        cut_cols.append(np.concatenate([cols, [k + n_s + n_z]]))
                        cut_vals.append(np.concatenate([-np.ones(cols.size), [1.0]]))
                        z_link.append(n_cuts + 1)
                        n_cuts += 1
                        n_z += 1
                nz = np.flatnonzero(coef > 0)
                cut_rows.append(np.full(nz.size + 1 + len(zc), n_cuts + 1))
                cut_cols.append(np.concatenate([nz, [k + s], np.asarray(zc, dtype=np.int64)]))
                cut_vals.append(np.concatenate([coef[nz], [1.0], np.asarray(zv, dtype=float)]))
                cut_lo.append(f)
                main_rows.append(n_cuts + 1)
                n_cuts += 1
                continue
            nz = np.flatnonzero(coef > 0)
            cut_rows.append(np.full(nz.size + 1, n_cuts + 1))
            cut_cols.append(np.concatenate([nz, [k + s]]))
            cut_vals.append(np.concatenate([coef[nz], [1.0]]))
            cut_lo.append(f)
            main_rows.append(n_cuts + 1)
            n_cuts += 1
        value = float(vals.mean())
        if value < best_val - 1e-12:
            best_val, best_plan, best_gamma = value, cand[gamma], gamma.copy()
            st["incumbents"].append((round(time.perf_counter() - t0, 2), round(value, 6)))
        st["cut_flows_s"] += time.perf_counter() - tc
        return value

    def _carried(gamma: np.ndarray) -> None:
        carried[:] = 0.0
        for s in range(n_s):
            carried[:] += draws[s] * oracle.flow_and_arcs(_hit(gamma, s))[1][cand]

    def sample_mean(gamma: np.ndarray) -> float:
        total = 0.0
        for s in range(n_s):
            total += oracle.flow(_hit(gamma, s))
        return total / n_s

    def local_search(gamma: np.ndarray, until: float = math.inf, along: bool = True) -> None:
        """Greedy additions, then first-improving single swaps; cuts at every improving plan (``along``)
        or only at the plan it stops at. Stops at ``until`` (a ``perf_counter`` time)."""
        tl = time.perf_counter()
        try:
            _local_search(gamma, until, along)
        finally:
            st["local_search_s"] += time.perf_counter() - tl

    def _local_search(gamma: np.ndarray, until: float, along: bool) -> None:
        value = _cuts_for(gamma)
        start = gamma
        while True:
            if time.perf_counter() >= until:
                break
            spent = float(cost[gamma].sum())
            free = np.flatnonzero(~gamma & (carried > 0))
            free = free[np.argsort(-carried[free], kind="stable")][:width]
            adds = [(-1, int(f)) for f in free if spent + cost[f] <= budget + 1e-9]
            swaps = [(int(e), int(f)) for e in np.flatnonzero(gamma) for f in free
                     if spent - cost[e] + cost[f] <= budget + 1e-9]
            best_move, best_move_val = None, value
            for moves, first in ((adds, False), (swaps, True)):  # best addition, else first improving swap
                for e, f in moves:
                    z = gamma.copy()
                    z[f] = True
                    if e >= 0:
                        z[e] = False
                    v = sample_mean(z)
                    if v < best_move_val - 1e-12:
                        best_move, best_move_val = z, v
                        if first:
                            break
                if best_move is not None:
                    break
            if best_move is None:
                break
            gamma = best_move
            if along:
                value = _cuts_for(gamma)
            else:  # the flows that rank the next moves, without adding cuts
                value = best_move_val
                _carried(gamma)
        if not along and gamma is not start:
            _cuts_for(gamma)

    if local:  # the first search may take half the time limit
        local_search(np.zeros(k, dtype=bool), until=math.inf if time_limit is None else t0 + 0.5 * time_limit)
    else:
        _cuts_for(np.zeros(k, dtype=bool))
    if incumbent_only:
        return best_plan, best_val, 0.0, "time_limit", it
    evaluated = {np.packbits(best_gamma).tobytes()}

    def master(mip: bool, first: bool = True) -> tuple:
        ncol = k + n_s + n_z
        rows = n_cuts + 1
        a = sp.csr_matrix((np.concatenate([cost] + cut_vals),
                           (np.concatenate([np.zeros(k, dtype=np.int64)] + cut_rows),
                            np.concatenate([np.arange(k)] + cut_cols))), shape=(rows, ncol)).tocsc()
        c = np.concatenate([np.zeros(k), np.full(n_s, w), np.zeros(n_z)])
        rlo = np.full(rows, -math.inf)
        rhi = np.full(rows, math.inf)
        rhi[0] = budget
        rlo[np.asarray(main_rows, dtype=np.int64)] = cut_lo
        rhi[np.asarray(z_link, dtype=np.int64)] = 0.0
        clo = np.zeros(ncol)
        chi = np.concatenate([np.ones(k), np.full(n_s, math.inf), np.ones(n_z)])
        if not mip:
            sol = solve_milp(c, a, rlo, rhi, clo, chi, np.zeros(ncol, dtype=bool), time_limit=remaining())
            st["master_lp"] += 1
            st["master_lp_s"] += sol.seconds
            return sol, None
        # integral data: a plan better than the incumbent is better by a whole 1/N; half a step leaves
        # room for the solver's tolerances
        cutoff = best_val - (0.5 * w if integral else 0.999 * mip_rel_gap * max(1.0, abs(best_val)))
        # the cut-off as a row on the objective (HiGHS's objective_bound only prunes; it still reports
        # plans above it), and the search stops at its first plan
        a = sp.vstack([a, sp.csr_matrix(c[None, :])]).tocsc()
        rlo, rhi = np.append(rlo, -math.inf), np.append(rhi, cutoff)
        opts = {"mip_max_improving_sols": 1} if first else {}
        integer = np.concatenate([np.ones(k, dtype=bool), np.zeros(n_s + n_z, dtype=bool)])
        sol = solve_milp(c, a, rlo, rhi, clo, chi, integer, time_limit=remaining(), mip_rel_gap=mip_rel_gap,
                         options=opts)
        st["master_milp"] += 1
        st["master_milp_s"] += sol.seconds
        return sol, cutoff

    lp_rounds = 30
    stale = 0  # MILP master plans in a row that did not improve the incumbent
    while True:
        it += 1
        if _closed(best_val, lower, n_s, integral):
            status = "optimal"
            break
        rem = remaining()
        if rem is not None and rem <= 0:
            break
        if lp_rounds > 0:  # cheap first phase: LP masters, cuts at a budget-feasible rounding
            lp_rounds -= 1
            rel, _ = master(False)
            if rel.x is not None:
                core[:] = 0.5 * core + 0.5 * np.clip(rel.x[:k], 0.0, 1.0)
                lower = max(lower, math.ceil(rel.bound * n_s - 1e-6) / n_s if integral else rel.bound)
                gamma = _round(rel.x[:k], cost, budget)
                key = np.packbits(gamma).tobytes()
                if key not in evaluated:
                    evaluated.add(key)
                    _cuts_for(gamma)
                    continue
            lp_rounds = 0
            continue
        if max_masters is not None and st["master_milp"] >= max_masters:
            break
        sol, cutoff = master(True, first=stale < 5)

        def rounded(b: float) -> float:
            return math.ceil(b * n_s - 1e-6) / n_s if integral else b

        below = sol.x is not None and sol.objective <= cutoff + 1e-9 * max(1.0, abs(cutoff))
        if sol.status == "infeasible" or (sol.status == "optimal" and not below):
            # nothing below the cut-off: the master optimum, a lower bound on the sample optimum, is at
            # least the cut-off
            lower = max(lower, rounded(cutoff))
            if _closed(best_val, lower, n_s, integral):
                status = "optimal"
            break
        if math.isfinite(sol.bound):
            # the cut-off model's bound: open nodes' bounds, pruned ones at the cut-off (also when the
            # master stopped at its first plan or at a time limit)
            lower = max(lower, rounded(min(sol.bound, cutoff)))
        if not below:
            break
        gamma = sol.x[:k] > 0.5
        key = np.packbits(gamma).tobytes()
        if key in evaluated:  # its cuts make it no better than the cut-off: only numerical tolerance
            break
        core[:] = 0.5 * core + 0.5 * gamma
        evaluated.add(key)
        before = best_val
        spent_local = st["local_search_s"]
        if local and polish > 0 and spent_local < polish * (time.perf_counter() - t0):
            st["polish_runs"] += 1
            local_search(gamma, until=time.perf_counter() + polish * (time.perf_counter() - t0) - spent_local,
                         along=False)
        else:
            _cuts_for(gamma)
        stale = 0 if best_val < before else stale + 1
    lower = min(lower, best_val)
    if stats is not None:
        stats.update(st, seconds=time.perf_counter() - t0, cuts=len(main_rows), iterations=it)
    return best_plan, best_val, lower, status, it


def _min_cost_max_flow(oracle: FlowOracle, removed: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """A maximum s-t flow (integer capacities, ``removed`` arcs closed) of least ``sum weight * x``
    (weights scaled to integers), by OR-Tools; ``None`` if it fails."""
    from ortools.graph.python import min_cost_flow

    arcs = oracle.arcs
    mcf = min_cost_flow.SimpleMinCostFlow()
    cap = np.where(removed, 0, oracle.cap).astype(np.int64)
    unit = np.rint(weight * 1e6).astype(np.int64)
    mcf.add_arcs_with_capacity_and_unit_cost(arcs.tail.astype(np.int32), arcs.head.astype(np.int32), cap, unit)
    supply = int(oracle.big)
    mcf.set_node_supply(int(arcs.s), supply)
    mcf.set_node_supply(int(arcs.t), -supply)
    if mcf.solve_max_flow_with_min_cost() != mcf.OPTIMAL:
        return None
    return mcf.flows(np.arange(arcs.m, dtype=np.int32)).astype(float)


def _round(x: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """A budget-feasible 0/1 plan from fractional ``x``: largest values first while they fit."""
    out = np.zeros(x.size, dtype=bool)
    left = budget
    for j in np.argsort(-x, kind="stable"):
        if x[j] <= 1e-6:
            break
        if cost[j] <= left + 1e-9:
            out[j] = True
            left -= cost[j]
    return out


def _stacked(arcs: Arcs, oracle: FlowOracle, cand: np.ndarray, budget: float, draws: np.ndarray,
             time_limit: float | None, mip_rel_gap: float) -> tuple[np.ndarray, float, float, str, int]:
    """The stacked deterministic equivalent of one sample (one cut block per pattern), given the
    local-search incumbent of :func:`_benders` as a cut-off row (objective at most the incumbent less
    half a step ``1/(2N)`` on integral data, where a better plan is better by a whole ``1/N``): HiGHS
    then only has to find a better plan or prove there is none (infeasible: the incumbent is optimal).
    Same return as :func:`_benders`; at a time limit the lower bound is the smaller of HiGHS's bound on
    the cut-off model and the incumbent (any plan it cut off is no better than the incumbent)."""
    t0 = time.perf_counter()
    n_s = draws.shape[0]
    integral = oracle.integral
    plan0, val0, _, _, _ = _benders(arcs, oracle, cand, budget, draws, None if time_limit is None else time_limit,
                                   mip_rel_gap, incumbent_only=True)
    c, a, rlo, rhi, clo, chi, integer, cand0, off = _stacked_model(arcs, cand, budget, list(draws.astype(float)),
                                                                   [1.0 / n_s] * n_s)
    step = 0.5 / n_s if integral else 0.999 * mip_rel_gap * max(1.0, abs(val0))
    cutoff = val0 - step
    a = sp.vstack([sp.csr_matrix(a), sp.csr_matrix(c[None, :])]).tocsc()
    rlo, rhi = np.append(rlo, -math.inf), np.append(rhi, cutoff)
    rem = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    sol = solve_milp(c, a, rlo, rhi, clo, chi, integer, time_limit=rem, mip_rel_gap=mip_rel_gap)

    def rounded(b: float) -> float:
        return math.ceil(b * n_s - 1e-6) / n_s if integral else b

    plan, obj = plan0, val0
    if sol.x is not None and sol.objective <= cutoff + 1e-9 * max(1.0, abs(cutoff)):
        cols = cand0[sol.x[off:] > 0.5]
        removed = np.zeros(arcs.m, dtype=bool)
        vals = []
        for s in range(n_s):  # the plan's own sample mean, from maximum flows (not the MILP's numbers)
            removed[:] = False
            removed[cols[draws[s][np.searchsorted(cand, cols)]]] = True
            vals.append(oracle.flow(removed))
        if float(np.mean(vals)) < obj:
            plan, obj = np.sort(cols), float(np.mean(vals))
    if sol.status == "infeasible":
        return plan, obj, obj, "optimal", 1
    if sol.status == "optimal":
        low = rounded(min(sol.bound, obj))
        return plan, obj, min(low, obj), "optimal" if _closed(obj, low, n_s, integral) else "time_limit", 1
    low = 0.0 if not math.isfinite(sol.bound) else rounded(min(sol.bound, val0 if integral else cutoff))
    low = max(low, 0.0)
    return plan, obj, min(low, obj), "optimal" if _closed(obj, low, n_s, integral) else "time_limit", 1


def _closed(best: float, lower: float, n_s: int, integral: bool) -> bool:
    if not math.isfinite(best):
        return False
    if integral:  # the sample objective is a multiple of 1/n_s
        return (best - lower) * n_s < 1.0 - 1e-6
    return best - lower <= 1e-6 * max(1.0, abs(best))


def _saa(net, arcs, oracle, cand, budget, *, samples, replications, seed, eval_samples, max_exact_eval,
         solver, time_limit, mip_rel_gap, t0):
    p = arcs.prob[cand]
    used = solver if solver != "auto" else ("milp" if stacked_size(arcs, samples) <= STACKED_MAX_SIZE else "benders")
    lows, objs, plans, statuses, iters, secs = [], [], [], [], [], []
    for r in range(replications):
        rng = np.random.default_rng([seed, 1, r])
        draws = rng.random((samples, cand.size)) < p
        rem = None if time_limit is None else max(0.0, (time_limit - (time.perf_counter() - t0))
                                                  / (replications - r + 1))
        tr = time.perf_counter()
        if used == "benders":
            plan, obj, low, st, itn = _benders(arcs, oracle, cand, budget, draws, rem, mip_rel_gap)
        else:
            plan, obj, low, st, itn = _stacked(arcs, oracle, cand, budget, draws, rem, mip_rel_gap)
        lows.append(low)
        objs.append(obj)
        plans.append(np.sort(plan))
        statuses.append(st)
        iters.append(itn)
        secs.append(round(time.perf_counter() - tr, 2))
    lows_a = np.array(lows, dtype=float)
    tq = float(stats.t.ppf(0.95, replications - 1))
    lower_mean = float(lows_a.mean())
    lower_95 = lower_mean - tq * float(lows_a.std(ddof=1)) / math.sqrt(replications)
    # screen the distinct candidate plans on one fresh sample (common random numbers), then evaluate the
    # best on another fresh sample (or exactly), so the estimate is not biased by the selection
    distinct = {tuple(int(a) for a in pl): pl for pl in plans}
    scores = {key: _sampled_expectation(oracle, pl, np.random.default_rng([seed, 2]), eval_samples)[0]
              for key, pl in distinct.items()}
    best_key = min(scores, key=lambda kk: (scores[kk], kk))
    best = distinct[best_key]
    n_unsure = int(np.sum(arcs.prob[best] < 1))
    if n_unsure <= max_exact_eval:
        upper = _exact_expectation(oracle, best)
        upper_95, half, how = upper, 0.0, "exact"
    else:
        mean, se = _sampled_expectation(oracle, best, np.random.default_rng([seed, 3]), eval_samples)
        half = float(stats.t.ppf(0.95, eval_samples - 1)) * se
        upper, upper_95, how = mean, mean + half, "monte-carlo"
    gap = (upper_95 - lower_95) / max(abs(upper_95), 1e-9) if math.isfinite(upper_95) else math.inf
    info = {"replications": replications, "scenarios_per_replication": samples,
            "solver": used, "replication_status": statuses, "replication_iterations": iters,
            "replication_seconds": secs,
            "replication_lower_bounds": [round(x, 6) for x in lows],
            "replication_objectives": [round(x, 6) for x in objs],
            "lower_bound_mean": lower_mean, "lower_bound_95": lower_95,
            "evaluation": how, "eval_samples": 0 if how == "exact" else eval_samples,
            "screen_samples": eval_samples, "candidate_plans": len(distinct),
            "upper_estimate": upper, "upper_bound_95": upper_95,
            "note": "bounds are statistical (95 % one-sided) for the true expected maximum flow"}
    return best, "saa", max(gap, 0.0), lower_95, info
