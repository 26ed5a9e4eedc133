"""A thin HiGHS front: pass a sparse model, solve it, read status, bound and gap."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

__all__ = ["MilpSolution", "solve_milp", "solve_integral", "new_highs"]

_BANNER_DONE = False

_STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "unbounded_or_infeasible",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupted",
    "kMemoryLimit": "memory_limit",
    "kObjectiveBound": "objective_bound",
    "kObjectiveTarget": "objective_target",
}


def new_highs(time_limit: float | None = None, threads: int = 1) -> highspy.Highs:
    """A silent :class:`highspy.Highs` (its one-off banner is discarded, so ``--json`` stdout stays JSON)."""
    global _BANNER_DONE
    if not _BANNER_DONE:
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _BANNER_DONE = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


@dataclass
class MilpSolution:
    """What a solve returned: ``status`` in plain words, primal ``x`` (``None`` if none)."""

    status: str
    objective: float
    bound: float
    gap: float
    x: np.ndarray | None
    seconds: float
    nodes: int = 0  # branch-and-bound nodes HiGHS explored (0 for an LP)


def solve_milp(c: np.ndarray, a: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
               col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray, *,
               maximize: bool = False, time_limit: float | None = None,
               mip_rel_gap: float = 1e-6, integral: bool = False, options: dict | None = None) -> MilpSolution:
    """Solve ``min/max c x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``, ``x[integer]`` integral.

    ``integral=True`` tells the solver the optimal value is an integer (true for the interdiction
    models on integer data: the inner flow problems have integral optima). The search then stops once
    no integer lies strictly between the incumbent and the bound, which proves optimality; the bound
    is rounded accordingly and the gap reported as 0.
    """
    t0 = time.perf_counter()
    a = sp.csc_matrix(a)
    a.sort_indices()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = int(a.shape[1])
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf).astype(float)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    if np.any(integer):
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in integer]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h = new_highs(time_limit)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if integral:
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    h.passModel(lp)
    h.run()
    name = h.getModelStatus().name
    status = _STATUS.get(name, name.removeprefix("k").lower())
    info = h.getInfo()
    has_x = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if has_x else float("nan")
    if np.any(integer):
        bound = float(info.mip_dual_bound)
        gap = float(info.mip_gap) if has_x else float("inf")
    else:
        bound, gap = obj, 0.0
    if integral and np.isfinite(bound):
        bound = math.floor(bound + 1e-6) if maximize else math.ceil(bound - 1e-6)
        if has_x and abs(bound - obj) < 1e-6:
            status, gap = "optimal", 0.0
    if status == "optimal":
        gap = min(gap, mip_rel_gap) if np.isfinite(gap) else 0.0
    nodes = int(info.mip_node_count) if np.any(integer) else 0
    return MilpSolution(status, obj, bound, gap, x, time.perf_counter() - t0, max(nodes, 0))


def solve_integral(c: np.ndarray, a: sp.spmatrix, row_lo: np.ndarray, row_hi: np.ndarray,
                   col_lo: np.ndarray, col_hi: np.ndarray, integer: np.ndarray, *,
                   evaluate: Callable[[np.ndarray], float], maximize: bool = False,
                   time_limit: float | None = None, first_limit: float = 10.0) -> MilpSolution:
    """Exact search for a model whose optimal value is an integer, by feasibility probes.

    First the MILP itself runs for at most ``first_limit`` s (a quarter of ``time_limit`` at most;
    0: start from the all-zero point, which must be feasible, and the LP bound);
    if that does not prove optimality, ``evaluate(x)`` (the true, integral value of the incumbent's
    plan) gives ``best`` and the objective becomes a constraint ``c x >= target`` (``<=`` when
    minimising) with no objective. Each probe asks for the middle of the interval
    ``[best + 1, bound]``: a feasible point is a better plan (its true value becomes ``best``), an
    infeasible probe lowers ``bound`` below the target; when the interval is empty ``best`` is
    optimal. Proving a target infeasible is often much faster for HiGHS than closing the gap of
    the optimisation. ``objective`` is ``best``.
    """
    t0 = time.perf_counter()

    def remaining() -> float | None:
        return None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))

    if first_limit <= 0:
        # probes from the start: the all-zero point (no interdiction) as incumbent, the LP bound
        relax = solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, np.zeros_like(integer), maximize=maximize)
        if relax.x is None:
            return relax
        first = MilpSolution("time_limit", math.nan, relax.objective, math.inf, np.zeros(len(c)), 0.0)
        first.bound = math.floor(first.bound + 1e-6) if maximize else math.ceil(first.bound - 1e-6)
    else:
        lim1 = first_limit if time_limit is None else min(first_limit, 0.25 * time_limit)
        first = solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=maximize,
                           time_limit=lim1, integral=True)
    if first.status != "time_limit":
        first.seconds = time.perf_counter() - t0
        return first
    if first.x is None:
        rest = solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=maximize,
                          time_limit=remaining(), integral=True)
        rest.seconds = time.perf_counter() - t0
        return rest
    sign = 1.0 if maximize else -1.0
    best_x, best, bound = first.x, float(evaluate(first.x)), float(first.bound)
    a2 = sp.vstack([sp.csr_matrix(a), sp.csr_matrix(np.asarray(c, dtype=float))]).tocsc()
    zero = np.zeros(len(c))
    status = "time_limit"
    while True:
        if not math.isfinite(best) or sign * (best + sign - bound) > 1e-9:
            status, bound = "optimal", best
            break
        # probe the middle of [best + 1, bound]: an infeasible probe halves the interval from above
        step = max(1.0, math.floor(abs(bound - best) / 2.0)) if math.isfinite(bound) else 1.0
        target = best + sign * step
        if sign * (target - bound) > 1e-9:
            status, bound = "optimal", best
            break
        rem = remaining()
        if rem is not None and rem <= 0:
            break
        lo, hi = (target, math.inf) if maximize else (-math.inf, target)
        probe = solve_milp(zero, a2, np.append(row_lo, lo), np.append(row_hi, hi), col_lo, col_hi, integer,
                           maximize=maximize, time_limit=rem)
        if probe.status == "infeasible":
            bound = target - sign
            continue
        if probe.x is None:
            break
        value = float(evaluate(probe.x))
        if sign * (value - best) <= 0:  # numerical trouble: never loop on a non-improving point
            break
        best, best_x = value, probe.x
    gap = 0.0 if status == "optimal" else abs(bound - best) / max(abs(best), 1e-9)
    return MilpSolution(status, best, bound, gap, best_x, time.perf_counter() - t0)
