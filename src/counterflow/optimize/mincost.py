"""Minimum-cost-flow interdiction: maximise the evader's least cost of shipping demand ``D``.

Unmet demand costs ``P`` per unit (an uninterdictable s-t arc of capacity
``D`` and cost ``P``). Interdicting an arc adds ``interdiction_delta`` to its
unit cost, or removes it when the delta is empty; with non-negative costs a
removed arc is equivalent to one costing ``P`` more (no path through it beats
leaving the demand unmet), so every interdiction is an added cost. The inner
minimum-cost flow is replaced by its LP dual::

    max  D pi_t - sum_a u_a w_a
    s.t. pi_j - pi_i - w_a - min(delta_a, P) x_a <= c_a    for every arc a = (i, j)
         pi_s = 0,  0 <= pi_v <= P,  w >= 0 (w_a = 0 for unlimited arcs)
         sum_a r_a x_a <= R,  x_a in {0, 1}

(potentials can be clipped to ``[pi_s, pi_t]`` and ``pi_t <= P`` because of the
unmet-demand arc), a MILP with only ``x`` integer: ``method="milp"``.

The coefficient ``min(delta_a, P)`` of ``x_a`` is tightened to ``M_a = min(delta_a, hi_j - lo_i -
c_a)`` (at least 0) with bounds ``lo_v <= pi_v <= hi_v`` that some optimal solution meets
(:func:`potential_bounds`): ``lo_v = min(P, d(v))`` with ``d`` the uninterdicted least cost from
``s``, ``hi_v = max(lo_v, P - e(v))`` with ``e`` the uninterdicted least cost to ``t``. Any
feasible ``(pi, w, x)``, also with fractional ``x``, stays feasible with the same ``w`` and at
least the same objective after ``pi <- max(min(pi, h), g)`` where ``h_v = max(0, pi_t - e(v))``
and ``g_v = lo_v``: both are potentials (``g_j - g_i <= c_a`` on every arc, as for ``h``), and
the minimum or maximum of a feasible ``pi`` with such a potential keeps every arc's row
(``c_a >= 0``), ``pi_s = 0`` and ``pi <= P``, leaves ``pi_t`` or raises it. So with the bounds
as column bounds the integer optimum is unchanged, and an interdicted arc's row, ``pi_j - pi_i -
w_a <= c_a + M_a``, is implied by them; with ``x_a < 1`` the row is tighter, so the LP
relaxation (and the bound at a time limit) is lower. A removed grid node is charged about
``P`` less the length of the shortest route through it instead of ``P``.

``method="search"`` is a flow-hitting branch and bound that certifies far larger
instances with a small budget (:mod:`counterflow.optimize._mcf_search`): only arcs
carrying the evader's current optimal flow can improve a plan, and every flow bounds
every plan from above. It branches on every interdiction, so its tree grows with the
number of interdictions a plan can hold; ``"auto"`` takes ``"search"`` when a plan within
the budget holds at most :data:`AUTO_SEARCH_MAX` interdictions and ``"milp"`` otherwise
(the measurements behind the rule are in ``docs/optimize.md``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..errors import InputError
from ._mcf_search import mcf_search
from ._milp import solve_milp
from .evaluate import min_cost_flow_value
from .graph import Arcs, InterdictionNetwork, check_number
from .result import InterdictionResult, check_budget, make_result, plan_items

__all__ = ["min_cost_flow_interdiction", "most_interdictions", "potential_bounds", "dual_model",
           "AUTO_SEARCH_MAX"]

#: ``method="auto"`` takes the search when a budget-feasible plan holds at most this many interdictions
AUTO_SEARCH_MAX = 2


def most_interdictions(icost: np.ndarray, budget: float) -> int:
    """The most interdictions one plan within ``budget`` can hold (the cheapest first), given the
    interdiction costs ``icost`` of the candidates."""
    cum = np.cumsum(np.sort(np.asarray(icost, dtype=float)))
    return int(np.searchsorted(cum, budget + 1e-9, side="right"))


def potential_bounds(arcs: Arcs, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: bounds on the dualised model's node potentials that some optimal solution meets
    (module docstring): ``lo = min(P, d)``, ``hi = max(lo, P - e)`` with ``d`` and ``e`` the least
    uninterdicted costs from ``s`` and to ``t`` (infinite where there is no path), both made wider by
    ``1e-6 (1 + P)`` against rounding; ``lo_s = hi_s = 0``."""
    n = arcs.n
    # one arc per node pair, the cheapest (csgraph would sum parallel arcs); zero costs kept by a nudge
    order = np.lexsort((arcs.cost, arcs.head, arcs.tail))
    tail, head, cost = arcs.tail[order], arcs.head[order], arcs.cost[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    g = sp.csr_matrix((cost[first] + 1e-300, (tail[first], head[first])), shape=(n, n))
    d = dijkstra(g, directed=True, indices=arcs.s)
    e = dijkstra(g.T.tocsr(), directed=True, indices=arcs.t)
    tol = 1e-6 * (1.0 + penalty)
    lo = np.clip(np.minimum(penalty, d) - tol, 0.0, penalty)
    hi = np.clip(np.maximum(lo, penalty - e) + tol, 0.0, penalty)
    lo[arcs.s] = hi[arcs.s] = 0.0
    return lo, hi


def dual_model(arcs: Arcs, cand: np.ndarray, delta: np.ndarray, budget: float, demand: float, penalty: float,
               *, tighten: bool = True) -> tuple:
    """The dualised model of the module docstring as ``(c, A, row_lo, row_hi, col_lo, col_hi, integer)``
    (maximise ``c x``), columns ``pi`` (``n``), ``w`` (``m``), ``x`` (over ``cand``); ``delta``: each
    arc's added unit cost when interdicted, at most ``P``. ``tighten``: the coefficients ``M_a`` and the
    bounds of :func:`potential_bounds`, else ``delta`` and ``[0, P]``."""
    n, m, k = arcs.n, arcs.m, cand.size
    fin = np.isfinite(arcs.cap)
    rows = np.arange(m)
    lo, hi = potential_bounds(arcs, penalty) if tighten else (np.zeros(n), np.full(n, penalty))
    big_m = np.minimum(delta, np.maximum(hi[arcs.head] - lo[arcs.tail] - arcs.cost, 0.0))
    # columns: pi (n), w (m), x (k)
    r = np.concatenate([rows, rows, rows, cand, [m] * k])
    cidx = np.concatenate([arcs.head, arcs.tail, n + rows, n + m + np.arange(k), n + m + np.arange(k)])
    v = np.concatenate([np.ones(m), -np.ones(m), -np.ones(m), -big_m[cand], arcs.icost[cand]])
    a = sp.csc_matrix((v, (r, cidx)), shape=(m + 1, n + m + k))
    c = np.concatenate([np.zeros(n), -np.where(fin, arcs.cap, 0.0), np.zeros(k)])
    c[arcs.t] = demand
    col_lo = np.concatenate([lo, np.zeros(m + k)])
    col_hi = np.concatenate([hi, np.where(fin, math.inf, 0.0), np.ones(k)])
    col_hi[arcs.s] = 0.0
    row_lo = np.full(m + 1, -math.inf)
    row_hi = np.concatenate([arcs.cost, [budget]])
    integer = np.concatenate([np.zeros(n + m, dtype=bool), np.ones(k, dtype=bool)])
    return c, a, row_lo, row_hi, col_lo, col_hi, integer


def min_cost_flow_interdiction(net: InterdictionNetwork, budget: float, *, demand: float, penalty: float,
                               time_limit: float | None = None, mip_rel_gap: float = 1e-6,
                               method: str = "auto", tighten: bool = True) -> InterdictionResult:
    """Choose arcs and nodes to interdict, within ``budget``, maximising the evader's minimum cost.

    ``method``: ``"search"`` (flow-hitting branch and bound), ``"milp"`` (the dualised MILP) or
    ``"auto"`` (``"search"`` when a plan within the budget holds at most :data:`AUTO_SEARCH_MAX`
    interdictions, else ``"milp"``; the result's ``method`` says which ran). Both are exact; with ``time_limit`` the best plan is returned with
    status ``time_limit`` and a proven ``bound``. ``tighten=False`` gives the MILP the plain coefficients
    ``min(delta, P)`` and potentials in ``[0, P]`` (for comparisons; the same optimum, a weaker relaxation).

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges([
    ...     {"from": "s", "to": "a", "capacity": 3, "cost": 1},
    ...     {"from": "a", "to": "b", "capacity": 3, "cost": 0, "interdiction_cost": 1},
    ...     {"from": "b", "to": "t", "capacity": 3, "cost": 0},
    ...     {"from": "s", "to": "c", "capacity": 5, "cost": 2},
    ...     {"from": "c", "to": "d", "capacity": 5, "cost": 2, "interdiction_cost": 1},
    ...     {"from": "d", "to": "t", "capacity": 5, "cost": 0},
    ... ], source="s", sink="t")
    >>> r = min_cost_flow_interdiction(net, budget=1, demand=6, penalty=10)
    >>> r.value_before, r.value_after, r.edges
    (15.0, 33.0, [('c', 'd')])
    """
    t0 = time.perf_counter()
    budget = check_budget(budget)
    if method not in ("auto", "search", "milp"):
        raise InputError(f"method must be 'auto', 'search' or 'milp', got {method!r}", path="method")
    demand, penalty = check_number(demand, "demand"), check_number(penalty, "penalty")
    arcs = net.arcs()
    tb = time.perf_counter()
    before = min_cost_flow_value(net, demand, penalty)
    # the time limit covers the whole call: the solver gets what is left after keeping as much again as
    # this evaluation took for the plan's re-evaluation at the end
    reserve = time.perf_counter() - tb

    def left() -> float | None:
        return None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0) - reserve)

    n, m = arcs.n, arcs.m
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9))
    delta = np.minimum(np.where(np.isnan(arcs.delta), penalty, arcs.delta), penalty)
    fin = np.isfinite(arcs.cap)
    data = np.concatenate([arcs.cost, arcs.cap[fin], delta[cand], [demand, penalty]])
    integral = bool(np.all(data == np.round(data)))
    auto: dict = {}
    if method == "auto":
        most = most_interdictions(arcs.icost[cand], budget)
        method = "search" if most <= AUTO_SEARCH_MAX else "milp"
        auto = {"auto": {"most_interdictions": most, "search_up_to": AUTO_SEARCH_MAX, "chose": method}}
    if method == "search":
        out = mcf_search(arcs, cand, delta, budget, demand, penalty, integral=integral, time_limit=left())
        edges, nodes = plan_items(net, arcs, out.chosen)
        after = min_cost_flow_value(net, demand, penalty, edges, nodes)
        gap = 0.0 if out.status == "optimal" else abs(out.bound - after) / max(abs(after), 1e-9)
        return make_result("min-cost-flow", net, edges, nodes, before=before, after=after, status=out.status,
                           gap=gap, bound=out.bound, seconds=time.perf_counter() - t0, budget=budget,
                           method="search", detail={"demand": demand, "penalty": penalty, **auto, **out.stats})
    c, a, row_lo, row_hi, col_lo, col_hi, integer = dual_model(arcs, cand, delta, budget, demand, penalty,
                                                                 tighten=tighten)
    sol = solve_milp(c, a, row_lo, row_hi, col_lo, col_hi, integer, maximize=True, time_limit=left(),
                     mip_rel_gap=mip_rel_gap, integral=integral)
    edges, nodes = ([], []) if sol.x is None else plan_items(net, arcs, cand[sol.x[n + m:] > 0.5])
    after = min_cost_flow_value(net, demand, penalty, edges, nodes)
    return make_result("min-cost-flow", net, edges, nodes, before=before, after=after, status=sol.status,
                       gap=sol.gap, bound=sol.bound, seconds=time.perf_counter() - t0, budget=budget,
                       method="milp", detail={"demand": demand, "penalty": penalty, "tightened": tighten,
                                                    "milp_nodes": sol.nodes, **auto})
