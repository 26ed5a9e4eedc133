"""Maximum-flow interdiction (Wood 1993): minimise the evader's maximum s-t flow.

The inner maximum flow is replaced by its dual (a minimum cut), giving one
MILP in which only the interdiction variables ``gamma`` are integer::

    min  sum_a u_a beta_a
    s.t. alpha_i - alpha_j + beta_a + gamma_a >= 0     for every arc a = (i, j)
         alpha_s = 0, alpha_t = 1, 0 <= alpha, beta <= 1
         sum_a r_a gamma_a <= R,  gamma_a in {0, 1} (0 where a cannot be interdicted)

An arc with ``gamma_a = 1`` crosses the cut for free. Given ``gamma``, the rest
is a minimum-cut LP, whose constraint matrix is totally unimodular, so
``alpha`` and ``beta`` need not be declared integer.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from ._milp import solve_milp
from .evaluate import min_cut
from .graph import Arcs, InterdictionNetwork
from .result import InterdictionResult, check_budget, make_result, plan_items

__all__ = ["max_flow_interdiction", "wood_model"]


def wood_model(arcs: Arcs, budget: float, success: np.ndarray | None = None):
    """The MILP data of Wood's model over ``arcs``: ``(c, A, row_lo, row_hi, col_lo, col_hi, integer, gamma_arcs)``.

    Columns are ``alpha`` (nodes), ``beta`` (arcs), ``gamma`` (interdictable arcs
    costing at most the budget). ``success`` (a 0/1 vector over arcs) turns an
    attempted interdiction off where it fails; used by the stochastic model.
    """
    n, m = arcs.n, arcs.m
    cand = np.flatnonzero(np.isfinite(arcs.icost) & (arcs.icost <= budget + 1e-9))
    k = cand.size
    fin = np.isfinite(arcs.cap)
    rows = np.arange(m)
    gpos = np.full(m, -1)
    gpos[cand] = np.arange(k)
    g_ok = (gpos >= 0) if success is None else (gpos >= 0) & (success > 0)
    gr = rows[g_ok]
    r = np.concatenate([rows, rows, rows, gr, [m] * k])
    c_idx = np.concatenate([arcs.tail, arcs.head, n + rows, n + m + gpos[gr], n + m + np.arange(k)])
    v = np.concatenate([np.ones(m), -np.ones(m), np.ones(m), np.ones(gr.size), arcs.icost[cand]])
    a = sp.csc_matrix((v, (r, c_idx)), shape=(m + 1, n + m + k))
    c = np.concatenate([np.zeros(n), np.where(fin, arcs.cap, 0.0), np.zeros(k)])
    col_lo = np.zeros(n + m + k)
    col_hi = np.concatenate([np.ones(n), np.where(fin, 1.0, 0.0), np.ones(k)])
    col_hi[arcs.s] = 0.0
    col_lo[arcs.t] = 1.0
    row_lo = np.concatenate([np.zeros(m), [-math.inf]])
    row_hi = np.concatenate([np.full(m, math.inf), [budget]])
    integer = np.concatenate([np.zeros(n + m, dtype=bool), np.ones(k, dtype=bool)])
    return c, a, row_lo, row_hi, col_lo, col_hi, integer, cand


def max_flow_interdiction(net: InterdictionNetwork, budget: float, *, time_limit: float | None = None,
                          mip_rel_gap: float = 1e-6) -> InterdictionResult:
    """Choose arcs and nodes to interdict, within ``budget``, minimising the maximum s-t flow.

    Returns the plan, the maximum flow before and after (evaluated with
    networkx), the solver status and gap, and a certificate: a minimum cut of
    the interdicted network, with its capacity, which equals ``value_after``.

    Examples
    --------
    >>> net = InterdictionNetwork.from_edges([
    ...     {"from": "s", "to": "a", "capacity": 10}, {"from": "s", "to": "c", "capacity": 10},
    ...     {"from": "a", "to": "b", "capacity": 6, "interdiction_cost": 1},
    ...     {"from": "c", "to": "d", "capacity": 4, "interdiction_cost": 1},
    ...     {"from": "b", "to": "t", "capacity": 10}, {"from": "d", "to": "t", "capacity": 10},
    ... ], source="s", sink="t")
    >>> r = max_flow_interdiction(net, budget=1)
    >>> r.value_before, r.value_after, r.edges, r.status
    (10.0, 4.0, [('a', 'b')], 'optimal')
    >>> r.certificate["cut_capacity"], r.certificate["verified"]
    (4.0, True)
    """
    t0 = time.perf_counter()
    budget = check_budget(budget)
    arcs = net.arcs()
    before, _ = min_cut(net)
    c, a, rlo, rhi, clo, chi, integer, cand = wood_model(arcs, budget)
    fin = arcs.cap[np.isfinite(arcs.cap)]
    sol = solve_milp(c, a, rlo, rhi, clo, chi, integer, time_limit=time_limit, mip_rel_gap=mip_rel_gap,
                     integral=bool(np.all(fin == np.round(fin))))
    if sol.x is None:
        edges: list[int] = []
        nodes: list[int] = []
    else:
        gamma = sol.x[arcs.n + arcs.m:]
        edges, nodes = plan_items(net, arcs, cand[gamma > 0.5])
    after, cut = min_cut(net, edges, nodes)
    if sol.status == "infeasible":
        status, gap, bound = "optimal", 0.0, math.inf
    else:
        status, gap, bound = sol.status, sol.gap, sol.bound
    cert = _certificate(net, arcs, cut, after, sol.objective)
    return make_result("max-flow", net, edges, nodes, before=before, after=after, status=status, gap=gap,
                       bound=bound, seconds=time.perf_counter() - t0, budget=budget, certificate=cert)


def _certificate(net: InterdictionNetwork, arcs: Arcs, cut: list[int], flow: float, milp_obj: float) -> dict:
    cut_edges = [list(net.edge_label(int(arcs.item[a]))) for a in cut if arcs.item[a] >= 0]
    cut_nodes = [net.node_ids[int(-arcs.item[a] - 1)] for a in cut if arcs.item[a] < 0]
    capacity = float(np.sum(arcs.cap[cut])) if cut else (math.inf if math.isinf(flow) else 0.0)
    return {"cut_edges": cut_edges, "cut_nodes": cut_nodes, "cut_capacity": capacity,
            "milp_objective": milp_obj, "verified": bool(math.isclose(capacity, flow, rel_tol=1e-9, abs_tol=1e-6))}
