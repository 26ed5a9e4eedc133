"""Shortest-path interdiction (Israeli & Wood 2002): maximise the evader's shortest s-t path.

Interdicting arc ``a`` adds ``delta_a`` to its length (``interdiction_delta``;
an empty delta removes the arc, modelled as a length ``M`` longer than any
simple path, so a value ``>= M`` means the sink is cut off).

Two exact methods:

* ``"cover"`` (the default on integer lengths and deltas): Israeli & Wood's
  covering decomposition. For the target ``T = incumbent + 1`` a master MILP
  over a pool of s-t paths asks for a budget-feasible plan lengthening every
  pooled path shorter than ``T`` to at least ``T`` (supervalid inequalities:
  knapsack rows with coefficients capped at the need, plus the fewest arcs per
  path); Dijkstra either confirms the plan (the incumbent rises) or returns a
  path to add. A local search around each plan adds more paths and plans
  between master solves. An infeasible master proves the incumbent optimal
  (:mod:`counterflow.optimize._path_cover`).
* ``"milp"``: the inner shortest path replaced by its LP dual (node potentials
  ``pi``), one MILP::

    max  pi_t
    s.t. pi_j - pi_i - delta_a x_a <= c_a      for every arc a = (i, j)
         pi_s = 0,  0 <= pi_v <= ub_v,  sum_a r_a x_a <= R,  x_a in {0, 1}

  where ``ub_v`` is the distance to ``v`` when every interdictable arc is
  interdicted. On integer data, after ``first_limit`` seconds the search
  continues by bisection with feasibility probes (``pi_t >= target``), still
  exact (see :func:`counterflow.optimize._milp.solve_integral`). This is the
  method for non-integer data.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..errors import InputError
from ._milp import solve_integral, solve_milp
from ._path_cover import path_cover_interdiction
from .evaluate import shortest_path_value
from .graph import Arcs, InterdictionNetwork
from .result import InterdictionResult, check_budget, make_result, plan_items

__all__ = ["shortest_path_interdiction", "removal_length"]


def removal_length(arcs: Arcs) -> float:
    """The length standing for a removed arc: longer than any simple path with finite deltas."""
    return float(np.sum(arcs.cost) + np.sum(np.nan_to_num(arcs.delta[np.isfinite(arcs.delta)])) + 1.0)


def _distances(arcs: Arcs, length: np.ndarray) -> np.ndarray:
    # parallel arcs cannot occur in Arcs (duplicate edges are rejected), so csgraph's summing is harmless
    g = sp.csr_matrix((length + 1e-300, (arcs.tail, arcs.head)), shape=(arcs.n, arcs.n))
    return dijkstra(g, directed=True, indices=arcs.s)


def shortest_path_interdiction(net: InterdictionNetwork, budget: float, *, time_limit: float | None = None,
                               mip_rel_gap: float = 1e-6, first_limit: float = 10.0,
                               method: str = "auto", cover_options: dict | None = None) -> InterdictionResult:
    """Choose arcs and nodes to interdict, within ``budget``, maximising the shortest s-t path length.

    Arc lengths are the network's ``cost``. ``value_after`` is ``inf`` when the
    plan cuts every s-t path. ``method``: ``"cover"`` (path-covering
    decomposition with lazily generated paths; integer lengths and deltas
    only), ``"milp"`` (the dualised MILP; on integer data it runs for
    ``first_limit`` seconds, then the search continues by feasibility probes on
    the objective, :func:`counterflow.optimize._milp.solve_integral`) or
    ``"auto"`` (``"cover"`` on integer data, else ``"milp"``). Both are exact;
    the result's ``method`` says which ran. With ``time_limit`` the best plan
    found is returned with status ``"time_limit"``, its ``bound`` and ``gap``.
    ``cover_options``: keyword arguments for the covering method
    (:func:`counterflow.optimize._path_cover.path_cover_interdiction`, e.g. ``bound_share``).

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges([
    ...     {"from": "s", "to": "a", "capacity": 1, "cost": 1},
    ...     {"from": "a", "to": "b", "capacity": 1, "cost": 1, "interdiction_cost": 1, "interdiction_delta": 5},
    ...     {"from": "b", "to": "t", "capacity": 1, "cost": 1},
    ...     {"from": "s", "to": "c", "capacity": 1, "cost": 2},
    ...     {"from": "c", "to": "d", "capacity": 1, "cost": 2, "interdiction_cost": 1},
    ...     {"from": "d", "to": "t", "capacity": 1, "cost": 2},
    ... ], source="s", sink="t")
    >>> r = shortest_path_interdiction(net, budget=1)
    >>> r.value_before, r.value_after, r.edges
    (3.0, 6.0, [('a', 'b')])
    >>> shortest_path_interdiction(net, budget=2).value_after  # c->d removed, a->b lengthened
    8.0
    """
    t0 = time.perf_counter()
    budget = check_budget(budget)
    if method not in ("auto", "cover", "milp"):
        raise InputError(f"method must be 'auto', 'cover' or 'milp', got {method!r}", path="method")
    arcs = net.arcs()
    before = shortest_path_value(net)
    big = removal_length(arcs)
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9))
    delta = np.where(np.isnan(arcs.delta), big, arcs.delta)
    full = arcs.cost.copy()
    full[cand] += delta[cand]
    ub = np.minimum(_distances(arcs, np.minimum(full, big)), big)
    integral = bool(np.all(arcs.cost == np.round(arcs.cost)) and np.all(delta[cand] == np.round(delta[cand])))
    if method == "cover" and not integral:
        raise InputError("method 'cover' needs integer lengths (cost) and interdiction deltas", path="method")
    use_cover = method == "cover" or (method == "auto" and integral)
    detail: dict = {"removal_length": big}
    edges: list[int]
    nodes: list[int]
    if math.isinf(before):
        edges, nodes, status, gap, bound = [], [], "optimal", 0.0, math.inf
    elif use_cover:
        out = path_cover_interdiction(arcs, cand, delta, budget, big, float(ub[arcs.t]), time_limit=time_limit,
                                      **(cover_options or {}))
        edges, nodes = plan_items(net, arcs, out.chosen)
        bound = math.inf if out.bound >= big - 1e-6 else out.bound
        value = math.inf if out.value >= big - 1e-6 else out.value
        status = out.status
        if status == "optimal":
            gap = 0.0
        else:
            gap = math.inf if math.isinf(bound) else abs(bound - value) / max(abs(value), 1e-9)
        detail.update(out.stats)
    else:
        edges, nodes, status, gap, bound = _dual_milp(net, arcs, cand, delta, ub, budget, big, integral,
                                                      time_limit, mip_rel_gap, first_limit)
    after = shortest_path_value(net, edges, nodes)
    return make_result("shortest-path", net, edges, nodes, before=before, after=after, status=status,
                       gap=gap, bound=bound, seconds=time.perf_counter() - t0, budget=budget,
                       method="cover" if use_cover else "milp", detail=detail)


def _dual_milp(net: InterdictionNetwork, arcs: Arcs, cand: np.ndarray, delta: np.ndarray, ub: np.ndarray,
               budget: float, big: float, integral: bool, time_limit: float | None, mip_rel_gap: float,
               first_limit: float) -> tuple[list, list, str, float, float]:
    """``method="milp"``: the dualised single-level MILP (module docstring); ``(edges, nodes, status, gap, bound)``."""
    n, m, k = arcs.n, arcs.m, cand.size
    rows = np.arange(m)
    r = np.concatenate([rows, rows, cand, [m] * k])
    cidx = np.concatenate([arcs.head, arcs.tail, n + np.arange(k), n + np.arange(k)])
    v = np.concatenate([np.ones(m), -np.ones(m), -delta[cand], arcs.icost[cand]])
    a = sp.csc_matrix((v, (r, cidx)), shape=(m + 1, n + k))
    c = np.zeros(n + k)
    c[arcs.t] = 1.0
    col_lo = np.zeros(n + k)
    col_hi = np.concatenate([ub, np.ones(k)])
    col_hi[arcs.s] = 0.0
    row_lo = np.full(m + 1, -math.inf)
    row_hi = np.concatenate([arcs.cost, [budget]])
    integer = np.concatenate([np.zeros(n, dtype=bool), np.ones(k, dtype=bool)])
    if integral:
        def evaluate(x: np.ndarray) -> float:
            return shortest_path_value(net, *plan_items(net, arcs, cand[x[n:] > 0.5]))

        sol = solve_integral(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=True,
                             time_limit=time_limit, evaluate=evaluate, first_limit=first_limit)
    else:
        sol = solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=True,
                         time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    edges, nodes = ([], []) if sol.x is None else plan_items(net, arcs, cand[sol.x[n:] > 0.5])
    bound = math.inf if sol.bound >= big - 1e-6 else sol.bound
    return edges, nodes, sol.status, sol.gap, bound
