"""Compiled (Numba) kernels for the per-organisation hot path of a step.

The movement kernels take named bundles of arrays (:mod:`counterflow.engine.bundles`) and
name their fields at their top (``top = as_bundle(Topology, top)``): compiled callers pass the
bundles, taken as they are, and Python callers pass them as plain tuples (``tuple(bundle)``), which
Numba's dispatcher types on its fast path, as positional arrays, and which are repacked once; a
NamedTuple argument is typed field by field in Python, about twice the cost per call, and repacking a
bundle that is one already (``Topology(*top)``) cost compiled callers about 0.07 µs per array at every
call (measured: ``docs/benchmarks.md``).
``dispatch_org`` and ``settle_org`` are inlined into ``move_all`` (``inline='always'``, Numba's IR
inlining; still callable from Python): called once per organisation with bundles they re-pack, they
cost the engine about 3 % more per replication as separate functions (``docs/benchmarks.md``).

Numba's disk cache checks a kernel's own file only, while the kernels here compile in code of other
files: ``_ssp``'s solver (``plan_small``, and so ``move_all`` and ``move_phase``), ``society``'s kernel
(``close_step``) and the NamedTuples of ``bundles``. :mod:`counterflow._jit` names the cache folder by
all of those files' sources, so a change to any of them recompiles these kernels.

``plan_small`` builds an organisation's planning problem (the same
formulation as :func:`counterflow.engine.planning.build_plan`) and solves it
with the compiled successive-shortest-path solver; ``dispatch_org`` moves
stock one hop along the plan, draws seizures per load and updates the
organisation's perceived risk. Randomness enters only as uniforms drawn by
the run's NumPy generator, so results stay reproducible.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile
from ._ssp import ssp_min_cost_flow
from .bundles import (
    Accounts,
    Adaptation,
    AdaptRule,
    Books,
    Closing,
    Conditions,
    Economy,
    Exposure,
    Jurisdictions,
    Learning,
    MoveRule,
    Organisations,
    OrgPlan,
    Pressures,
    ProductionRule,
    Records,
    Sales,
    Scratch,
    SocietyBase,
    SocietyRates,
    StepInputs,
    Topology,
    Totals,
    Trade,
    as_bundle,
)
from .costs import arc_cost as _arc_cost
from .society import _society_kernel

__all__ = ["RISK_SHARES", "risk_slope", "risk_slopes", "edge_tranches", "edge_tranches_all", "tranche_bound",
           "tranche_cost", "cash_scale", "settle_cash", "plan_small", "dispatch_org", "binomial_from_uniform",
           "open_accounts", "move_all", "settle_org", "node_capacity_left",
           "begin_step", "end_step", "pre_move", "update_prices", "fsum", "prepare_move", "settle_move", "move_phase",
           "close_step", "adapt_calm", "calm_step", "step_bundles", "record_bundle", "region", "N_CONSTANTS"]

#: the planners' arc cost (:func:`counterflow.engine.costs.arc_cost`), compiled for the kernels
arc_cost = njit(cache=True)(_arc_cost)


#: Tranche boundaries of an edge arc's volume as shares of the organisation's kilograms in play this step
#: (used when ``diversification`` > 0; see :func:`risk_slope`).
RISK_SHARES = np.array([0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0])


@njit(cache=True)
def risk_slope(risk_aversion, diversification, q, worth_tail, market_value):  # pragma: no cover - compiled
    """Rise of an edge's perceived unit risk cost per unit share of the organisation's kilograms on it.

    Mean-variance planning (Markowitz 1952) over losses that strike a route's
    loads together: an edge carrying ``x`` kg worth ``w`` each (the load's
    replacement cost, :func:`load_values`), lost together with probability
    ``q``, adds ``w**2 x**2 q (1 - q)`` to the variance of the organisation's
    loss. Weighted by ``diversification / (2 * stake)``, with the stake the
    ``S`` kilograms in play this step at the organisation's market value
    ``V`` (relative risk aversion ``diversification`` over what the step's
    shipment is worth), the marginal cost of the ``x``-th kilogram rises by
    ``diversification * q (1 - q) w**2 x / (S V)``; with ``x = share * S`` this
    returns the factor of ``share``: ``risk_aversion * diversification * q (1 - q)
    w**2 / V`` (at most ``risk_aversion * diversification * V / 4``, since
    ``w <= V``). ``q`` is clipped to [0, 1].
    """
    if diversification <= 0.0 or market_value <= 0.0:
        return 0.0
    qc = min(max(q, 0.0), 1.0)
    return risk_aversion * diversification * qc * (1.0 - qc) * worth_tail * worth_tail / market_value


@njit(cache=True)
def edge_tranches(cost, slope, cap, total):  # pragma: no cover - compiled
    """An edge arc cut into volume tranches: (capacities [K], integer unit costs [K]).

    Tranche ``j`` covers kilograms ``round(RISK_SHARES[j] * total)`` up to
    ``round(RISK_SHARES[j + 1] * total)`` (cut at the arc's capacity ``cap``) at
    the unit cost ``cost + slope * (midpoint share)``: the perceived risk cost
    is convex in the volume, solved exactly as a piecewise-linear cost (the
    marginal cost is linear in volume, so each tranche's cost at its midpoint is
    the exact mean over the tranche). Costs rise with ``j``, so a min-cost
    flow fills the tranches in order.
    """
    k = RISK_SHARES.shape[0] - 1
    caps = np.empty(k, np.int64)
    costs = np.empty(k, np.int64)
    for j in range(k):
        caps[j] = max(min(tranche_bound(j + 1, total), cap) - tranche_bound(j, total), 0)
        costs[j] = tranche_cost(cost, slope, j)
    return caps, costs


@njit(cache=True)
def tranche_bound(j, total):  # pragma: no cover - compiled
    """The first kilogram of volume tranche ``j`` of ``total`` kilograms in play: ``round(RISK_SHARES[j] * total)``
    (:func:`edge_tranches`; ``j`` = K gives the end of the last tranche)."""
    return np.int64(math.floor(RISK_SHARES[j] * total + 0.5))


@njit(cache=True)
def tranche_cost(cost, slope, j):  # pragma: no cover - compiled
    """The integer unit cost of an edge arc's volume tranche ``j``: ``cost + slope * (midpoint share)``
    (:func:`edge_tranches`)."""
    return np.int64(round(cost + slope * (0.5 * (RISK_SHARES[j] + RISK_SHARES[j + 1]))))


@njit(cache=True)
def edge_tranches_all(cost, slope, cap, total):  # pragma: no cover - compiled
    """:func:`edge_tranches` for arrays of arcs: (capacities [A, K], costs [A, K])."""
    k = RISK_SHARES.shape[0] - 1
    caps = np.empty((cost.shape[0], k), np.int64)
    costs = np.empty((cost.shape[0], k), np.int64)
    for i in range(cost.shape[0]):
        caps[i], costs[i] = edge_tranches(cost[i], slope[i], cap[i], total)
    return caps, costs


@njit(cache=True)
def risk_slopes(risk_aversion, diversification, q, worth_tail, market_value):  # pragma: no cover - compiled
    """:func:`risk_slope` for arrays of arcs."""
    out = np.empty(q.shape[0])
    for i in range(q.shape[0]):
        out[i] = risk_slope(risk_aversion, diversification, q[i], worth_tail[i], market_value)
    return out


@njit(cache=True)
def _norm_ppf(u):  # pragma: no cover - compiled
    """Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    u = min(max(u, 1e-300), 1.0 - 1e-16)
    if u < 0.02425:
        q = math.sqrt(-2.0 * math.log(u))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    if u > 1.0 - 0.02425:
        q = math.sqrt(-2.0 * math.log(1.0 - u))
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    q = u - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)


@njit(cache=True)
def binomial_from_uniform(n, p, u):  # pragma: no cover - compiled
    """A Binomial(n, p) draw from one uniform: exact CDF inversion (of the rarer outcome's count); when n*p*(1-p) > 100 the
    normal quantile with the Cornish-Fisher expansion for the binomial's skewness and kurtosis
    (Johnson, Kemp & Kotz, Univariate Discrete Distributions, 3rd ed., sec. 3.6)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    var = n * p * q
    if var > 100.0:
        sd = math.sqrt(var)
        z = _norm_ppf(u)
        g = (q - p) / sd
        kurt = (1.0 - 6.0 * p * q) / var
        z = z + g * (z * z - 1.0) / 6.0 + kurt * (z * z * z - 3.0 * z) / 24.0 \
            - g * g * (2.0 * z * z * z - 5.0 * z) / 36.0
        k = int(math.floor(n * p + sd * z + 0.5))
        return min(max(k, 0), n)
    # Invert the CDF of the count on the rarer side: for p > 0.5 draw the failures,
    # whose P(0) = p**n does not underflow where q**n would (n = 1000, p = 0.9).
    flip = p > 0.5
    if flip:
        p, q, u = q, p, 1.0 - u
    pk = math.exp(n * math.log(q))
    cdf = pk
    k = 0
    ratio = p / q
    while u > cdf and k < n:
        pk *= (n - k) / (k + 1.0) * ratio
        k += 1
        cdf += pk
    return n - k if flip else k


@njit(cache=True)
def fsum(x):  # pragma: no cover - compiled
    """The correctly rounded sum of the 1-d array ``x``, as :func:`math.fsum` (the same algorithm: Shewchuk's
    exact partials, then CPython's half-even correction across partials); finite values only."""
    partials = np.empty(x.shape[0] + 1)
    n = 0
    for k in range(x.shape[0]):
        v = x[k]
        i = 0
        for j in range(n):
            y = partials[j]
            if abs(v) < abs(y):
                v, y = y, v
            hi = v + y
            lo = y - (hi - v)
            if lo != 0.0:
                partials[i] = lo
                i += 1
            v = hi
        n = i
        if v != 0.0:
            partials[n] = v
            n += 1
    hi = 0.0
    lo = 0.0
    if n > 0:
        n -= 1
        hi = partials[n]
        while n > 0:
            v = hi
            n -= 1
            y = partials[n]
            hi = v + y
            lo = y - (hi - v)
            if lo != 0.0:
                break
        if n > 0 and ((lo < 0.0 and partials[n - 1] < 0.0) or (lo > 0.0 and partials[n - 1] > 0.0)):
            y = lo * 2.0
            v = hi + y
            if y == v - hi:
                hi = v
    return hi


@njit(cache=True)
def plan_small(top, org, edge_cost, tranche_rev, resid_edge, resid_node, split,
               diversification):  # pragma: no cover - compiled
    """Build and solve one organisation's planning problem; returns (edge flow [E], tranche flow [M, K], cost).

    ``top`` is the network (:class:`~counterflow.engine.bundles.Topology`), ``org`` the
    organisation's view (:class:`~counterflow.engine.bundles.OrgPlan`). ``org.worth[v]`` is
    what a kilogram leaving ``v`` is worth to the organisation
    (see :func:`load_values`); an edge's perceived risk is charged on it.
    ``org.scale`` < 1 shrinks the supply at the sources (free cash pays for only
    that share of the kilograms it would send out of its producing areas; see
    :func:`cash_scale`). ``diversification`` > 0 cuts each edge arc whose
    perceived risk rises with volume (:func:`risk_slope` > 0, with the
    organisation's ``market_value`` per kg) into volume
    tranches (:func:`edge_tranches`); every other edge, and every edge at 0, is
    one arc, as before the mechanism existed. ``resid_edge``/``resid_node`` are the
    capacities left by the organisations planned before it; ``split`` marks nodes
    whose capacity binds.
    """
    top, org = as_bundle(Topology, top), as_bundle(OrgPlan, org)  # the fields' names
    is_source, edge_src, edge_dst, market_node = top.is_source, top.edge_src, top.edge_dst, top.market_node
    open_node, open_edge, belief, fear = org.open_node, org.open_edge, org.belief, org.fear
    stock, prev_out, worth, tranche_cap = org.stock, org.prev_out, org.worth, org.tranche_cap
    risk_aversion, scale, market_value = org.risk_aversion, org.scale, org.market_value
    n_nodes = is_source.shape[0]
    n_edges = edge_src.shape[0]
    n_mk, n_k = tranche_cap.shape
    # the solver's supplies (at most 2 N + 1 solver nodes, the split and sink nodes supply nothing) and each
    # node's out-node, as views of one block
    node_block = np.zeros(3 * n_nodes + 1, np.int64)
    solver_supply = node_block[:2 * n_nodes + 1]
    supply = solver_supply[:n_nodes]
    out_id = node_block[2 * n_nodes + 1:]
    total = 0
    for v in range(n_nodes):
        if open_node[v]:
            s = stock[v] if is_source[v] else stock[v] - prev_out[v]
            if scale < 1.0 and is_source[v]:
                s *= scale
            if s >= 1.0:
                supply[v] = np.int64(math.floor(s))
                total += supply[v]
    edge_flow = np.zeros(n_edges)
    tflow = np.zeros((n_mk, n_k))
    if total == 0:
        return edge_flow, tflow, 0.0
    for v in range(n_nodes):
        out_id[v] = v
    nxt = n_nodes
    for v in range(n_nodes):
        if split[v] and open_node[v]:
            out_id[v] = nxt
            nxt += 1
    sink = nxt
    n_solver = sink + 1
    # count arcs
    n_ek = RISK_SHARES.shape[0] - 1
    slope = np.zeros(n_edges)  # > 0: the edge's arc is cut into volume tranches
    m = 0
    for e in range(n_edges):
        if open_edge[e] and open_node[edge_src[e]] and open_node[edge_dst[e]]:
            if diversification > 0.0:
                slope[e] = risk_slope(risk_aversion, diversification, belief[e] + fear[edge_dst[e]],
                                      worth[edge_src[e]], market_value)
            m += n_ek if slope[e] > 0.0 else 1
    n_split = nxt - n_nodes
    n_tr = 0
    for k in range(n_mk):
        if open_node[market_node[k]]:
            n_tr += n_k
    n_hold = 0
    for v in range(n_nodes):
        if supply[v] > 0:
            n_hold += 1
    size = m + n_split + n_tr + n_hold
    arc_block = np.empty(4 * size + m, np.int64)  # the arcs' arrays as views of one block
    tails = arc_block[:size]
    heads = arc_block[size:2 * size]
    caps = arc_block[2 * size:3 * size]
    costs = arc_block[3 * size:4 * size]
    eidx = arc_block[4 * size:]
    offset = 1
    for k in range(n_mk):
        if open_node[market_node[k]]:
            for j in range(n_k):
                r = np.int64(round(tranche_rev[k, j]))
                if r + 1 > offset:
                    offset = r + 1
    i = 0
    for e in range(n_edges):
        a = edge_src[e]
        b = edge_dst[e]
        if open_edge[e] and open_node[a] and open_node[b]:
            c = resid_edge[e]
            cap = total if not (c < total) else (np.int64(c) if c > 0 else 0)
            if slope[e] <= 0.0:
                tails[i] = out_id[a]
                heads[i] = b
                caps[i] = cap
                costs[i] = np.int64(round(arc_cost(edge_cost[e], risk_aversion, belief[e] + fear[b], worth[a])))
                eidx[i] = e
                i += 1
                continue
            unit = arc_cost(edge_cost[e], risk_aversion, belief[e] + fear[b], worth[a])
            for j in range(n_ek):  # edge_tranches' arcs, written in place
                tails[i] = out_id[a]
                heads[i] = b
                caps[i] = max(min(tranche_bound(j + 1, total), cap) - tranche_bound(j, total), 0)
                costs[i] = tranche_cost(unit, slope[e], j)
                eidx[i] = e
                i += 1
    for v in range(n_nodes):
        if out_id[v] != v:
            tails[i] = v
            heads[i] = out_id[v]
            c = resid_node[v]
            caps[i] = total if not (c < total) else (np.int64(c) if c > 0 else 0)
            costs[i] = 0
            i += 1
    t0 = i
    for k in range(n_mk):
        if open_node[market_node[k]]:
            for j in range(n_k):
                tails[i] = out_id[market_node[k]]
                heads[i] = sink
                c = tranche_cap[k, j]
                caps[i] = total if not (c < total) else (np.int64(c) if c > 0 else 0)
                costs[i] = offset - np.int64(round(tranche_rev[k, j]))
                i += 1
    for v in range(n_nodes):
        if supply[v] > 0:
            tails[i] = v
            heads[i] = sink
            caps[i] = supply[v]
            costs[i] = offset
            i += 1
    flow, cost, ok = ssp_min_cost_flow(n_solver, tails, heads, caps, costs, solver_supply[:n_solver], sink)
    if not ok:
        raise RuntimeError("planning: the min-cost flow made no progress (unit costs beyond the solver's "
                           "integer range or a broken problem); check the scenario's costs and prices")
    for j in range(m):
        edge_flow[eidx[j]] += flow[j]
    i = t0
    for k in range(n_mk):
        if open_node[market_node[k]]:
            for j in range(n_k):
                tflow[k, j] = flow[i]
                i += 1
    return edge_flow, tflow, float(cost)


@njit(cache=True, inline='always')
def dispatch_org(t, o, plan_flow, top, orgs, p_seize, uniforms, learn, resid_edge, resid_node):  # pragma: no cover
    """Send organisation ``o``'s stock one hop along the plan, seize per load, load transit, learn.

    ``top``: :class:`~counterflow.engine.bundles.Topology`; ``orgs``: the organisations'
    state (:class:`~counterflow.engine.bundles.Organisations`, changed in place);
    ``uniforms``: ``o``'s dice per edge; ``learn``: :class:`~counterflow.engine.bundles.Learning`;
    ``resid_edge``/``resid_node``: the capacities the organisations dispatched before it left (read only).
    Returns ``(sent [E], seized [E], out_by_node [N])``.

    Pipeline content at a node other than a source that the plan does not move (stock up to last step's
    planned out-flow: it arrived on an earlier plan's route, which this plan no longer takes, and the plan,
    whose supply there is only the stock beyond that, did not see it) goes on along the last route planned
    through the node (``orgs.route``, split as that plan split it), within the capacity the plan left and
    only over sites still open and able to pass goods: a load follows the plan it was sent on instead of
    waiting for a later plan. Stock the plan saw and held stays. What is carried into a node stays within the
    throughput the node has left beyond what it must pass anyway (``resid_node`` less the larger of its planned
    out-flow and its stock), shared in proportion. Where the plan routes through a node its route there becomes
    the node's route.
    A negative uniform means "no dice": the edge loses exactly its expected share (used by the warm-up).
    """
    top, orgs, learn = as_bundle(Topology, top), as_bundle(Organisations, orgs), as_bundle(Learning, learn)
    stock, prev_out, transit, belief = orgs.stock[o], orgs.prev_out[o], orgs.transit[o], orgs.risk_belief[o]
    route, open_node, open_edge = orgs.route[o], orgs.open_node[o], orgs.open_edge[o]
    edge_src, edge_dst, edge_time, edge_load_kg, base_p = (top.edge_src, top.edge_dst, top.edge_time,
                                                           top.edge_load_kg, top.base_p)
    is_source = top.is_source
    learning_rate, forget_rate = learn.learning_rate, learn.forget_rate
    n_nodes = stock.shape[0]
    n_edges = plan_flow.shape[0]
    slots = transit.shape[1]
    block = np.zeros(5 * n_nodes + 3 * n_edges)  # the arrays below as views of one block
    out_plan = block[:n_nodes]
    ratio = block[n_nodes:2 * n_nodes]
    out_by_node = block[2 * n_nodes:3 * n_nodes]
    route_out = block[3 * n_nodes:4 * n_nodes]
    left = block[4 * n_nodes:5 * n_nodes]
    sent = block[5 * n_nodes:5 * n_nodes + n_edges]
    seized = block[5 * n_nodes + n_edges:5 * n_nodes + 2 * n_edges]
    carry = block[5 * n_nodes + 2 * n_edges:]
    for e in range(n_edges):
        out_plan[edge_src[e]] += plan_flow[e]
    for e in range(n_edges):  # where this plan routes through a node, its split there is the node's route
        if out_plan[edge_src[e]] > 0:
            route[e] = plan_flow[e]
    for v in range(n_nodes):
        if out_plan[v] > 0:
            ratio[v] = min(stock[v], out_plan[v]) / out_plan[v]
    # the pipeline content the plan did not see (the plan's supply at a node that is not a source is the stock
    # beyond last step's planned out-flow) and leaves behind follows the node's route over usable sites; what
    # the plan saw and chose to hold stays
    any_left = False
    for v in range(n_nodes):
        if not is_source[v] and open_node[v] and stock[v] > out_plan[v] and prev_out[v] > out_plan[v]:
            room = resid_node[v] - out_plan[v]
            if room > 0.0:
                left[v] = min(stock[v] - out_plan[v], prev_out[v] - out_plan[v], room)
                any_left = True
    if any_left:
        for e in range(n_edges):  # the route over usable edges out of nodes with something left (carry: its kg)
            a = edge_src[e]
            b = edge_dst[e]
            if left[a] > 0.0 and route[e] > 0.0 and open_edge[e] and open_node[b] and resid_node[b] > 0.0:
                carry[e] = route[e]
                route_out[a] += route[e]
        for e in range(n_edges):  # ... split as the route splits, within the edge's residual
            if carry[e] > 0.0:
                a = edge_src[e]
                carry[e] = min(left[a] * carry[e] / route_out[a], max(resid_edge[e] - plan_flow[e], 0.0))
        # what is carried into a node stays within the throughput it has left beyond what it must pass anyway
        # (a damaged hub being rebuilt is not filled beyond what it can pass on), shared in proportion
        into = route_out  # reused: the route totals are read above only
        into[:] = 0.0
        for e in range(n_edges):
            into[edge_dst[e]] += carry[e]
        for e in range(n_edges):
            if carry[e] > 0.0:
                b = edge_dst[e]
                room_b = resid_node[b] - max(out_plan[b], stock[b])
                if room_b <= 0.0:
                    carry[e] = 0.0
                elif into[b] > room_b:
                    carry[e] *= room_b / into[b]
    for e in range(n_edges):
        x = plan_flow[e] * ratio[edge_src[e]] + carry[e]
        if x > 0:
            if uniforms[e] < 0.0:  # deterministic mode (warm-up): the expected loss
                lost = x * p_seize[e]
            else:
                loads = max(np.int64(math.ceil(x / edge_load_kg[e] - 1e-9)), 1)
                hit = binomial_from_uniform(loads, p_seize[e], uniforms[e])
                lost = x * hit / loads
            sent[e] = x
            seized[e] = lost
            transit[e, (t + edge_time[e]) % slots] += x - lost
            out_by_node[edge_src[e]] += x
            belief[e] += learning_rate * (lost / x - belief[e])
        else:
            belief[e] += forget_rate * (base_p[e] - belief[e])
    for v in range(n_nodes):
        stock[v] -= out_by_node[v]
        if stock[v] < 0.0:
            stock[v] = 0.0
        prev_out[v] = out_plan[v]
    return sent, seized, out_by_node


@njit(cache=True)
def node_capacity_left(node_cap, cap_factor):  # pragma: no cover - compiled
    """kg/step each node can still pass: capacity times its intact share.

    A node of unlimited capacity has no share to lose: any damage closes it
    until it is fully rebuilt (so the closure lasts in proportion to the damage).
    """
    out = np.empty(node_cap.shape[0])
    for v in range(node_cap.shape[0]):
        if cap_factor[v] <= 0.0 or (cap_factor[v] < 1.0 and not np.isfinite(node_cap[v])):
            out[v] = 0.0
        else:
            out[v] = node_cap[v] * cap_factor[v]
    return out


@njit(cache=True, inline='always')
def settle_org(t, o, sent, seized, out_node, acc, orgs, edge_cost, arrived, keep):  # pragma: no cover - compiled
    """Book one organisation's dispatch: residual capacity, totals, transport cost, fading fear, last use.

    ``acc``: the step's :class:`~counterflow.engine.bundles.Accounts` and ``orgs`` the
    organisations' state, both changed in place; ``keep``: the share of node fear kept.
    """
    acc, orgs = as_bundle(Accounts, acc), as_bundle(Organisations, orgs)
    resid_edge, resid_node, sent_all, out_all = acc.resid_edge, acc.resid_node, acc.sent_all, acc.out_all
    seized_by_org, sent_by_org = acc.seized_by_org, acc.sent_by_org
    cash, node_fear, last_used = orgs.cash, orgs.node_fear, orgs.last_used
    money = 0.0
    for e in range(sent.shape[0]):
        resid_edge[e] -= sent[e]
        sent_all[e] += sent[e]
        seized_by_org[o] += seized[e]
        sent_by_org[o] += sent[e]
        money += sent[e] * edge_cost[e]
    cash[o] -= money
    for v in range(out_node.shape[0]):
        resid_node[v] -= out_node[v]
        out_all[v] += out_node[v]
        node_fear[o, v] *= keep
        if out_node[v] > 0 or arrived[o, v] > 0:
            last_used[o, v] = t


@njit(cache=True)
def open_accounts(top, cap_factor, out):  # pragma: no cover - compiled
    """The accounts of a step's movement (:class:`~counterflow.engine.bundles.Accounts`, as a plain tuple): the
    full residual capacities of edges and nodes, and the totals of what moves in ``out``'s arrays
    (:class:`~counterflow.engine.bundles.Scratch`: ``sent_all``, ``out_all``, ``seized``, ``sent``), set to 0."""
    top, x = as_bundle(Topology, top), as_bundle(Scratch, out)
    x.sent_all[:] = 0.0
    x.out_all[:] = 0.0
    x.seized[:] = 0.0
    x.sent[:] = 0.0
    return Accounts(top.edge_cap.copy(), node_capacity_left(top.node_cap, cap_factor), x.sent_all, x.out_all, x.seized,
                    x.sent)


@njit(cache=True)
def move_all(t, order, top, orgs, step, learn, acc):  # pragma: no cover - compiled
    """Plan and dispatch every organisation in ``order`` against shared residual capacity.

    The compiled form of ``Engine._move_large`` (same steps, compiled planner) for small networks:
    ``top`` (:class:`~counterflow.engine.bundles.Topology`), ``orgs`` (the organisations' state,
    changed in place), ``step`` (:class:`~counterflow.engine.bundles.StepInputs`), ``learn``
    (:class:`~counterflow.engine.bundles.Learning`) and ``acc`` (:class:`~counterflow.engine.bundles.Accounts`,
    from :func:`open_accounts`: the residual capacities and the totals, changed in place).
    """
    top, orgs, step = as_bundle(Topology, top), as_bundle(Organisations, orgs), as_bundle(StepInputs, step)
    learn, acc = as_bundle(Learning, learn), as_bundle(Accounts, acc)
    keep = 1.0 - learn.forget_rate
    for o in order:
        plan = OrgPlan(orgs.open_node[o], orgs.open_edge[o], orgs.risk_belief[o], orgs.node_fear[o], orgs.stock[o],
                       orgs.prev_out[o], step.worth[o], step.tranche_width[o], top.risk_aversion[o], step.scale[o],
                       step.market_value[o])
        flow, tflow, cost = plan_small(top, plan, step.edge_cost, step.tranche_rev, acc.resid_edge, acc.resid_node,
                                       step.split, learn.diversification)
        sent, seized, out_node = dispatch_org(t, o, flow, top, orgs, step.p_seize[o], step.uniforms[o], learn,
                                              acc.resid_edge, acc.resid_node)
        settle_org(t, o, sent, seized, out_node, acc, orgs, step.edge_cost, step.arrived, keep)


@njit(cache=True)
def prepare_move(top, orgs, cond, expo, rule, out):  # pragma: no cover - compiled
    """What planning and dispatch read this step, written into ``out`` (:class:`~counterflow.engine.bundles.Scratch`).

    Seizure probabilities, market values and tranche revenues (:func:`pre_move`), edge money costs
    with lever additions, the worth of a kilogram at each node (:func:`load_values`), the nodes whose
    capacity binds, the share of source supply free cash pays for (:func:`cash_scale`; all of it in
    the warm-up) and the cash before movement. Bundles: ``top`` :class:`~counterflow.engine.bundles.Topology`,
    ``orgs`` :class:`~counterflow.engine.bundles.Organisations`, ``cond``
    :class:`~counterflow.engine.bundles.Conditions`, ``expo`` :class:`~counterflow.engine.bundles.Exposure`,
    ``rule`` :class:`~counterflow.engine.bundles.MoveRule`. Returns whether a node's capacity is damaged.
    """
    top, orgs = as_bundle(Topology, top), as_bundle(Organisations, orgs)
    cond, expo = as_bundle(Conditions, cond), as_bundle(Exposure, expo)
    rule, out = as_bundle(MoveRule, rule), as_bundle(Scratch, out)
    p_seize, market_value, tranche_rev = pre_move(top, cond, expo, rule)
    out.p_seize[:] = p_seize
    out.market_value[:] = market_value
    out.tranche_rev[:] = tranche_rev
    added = False
    for e in range(cond.edge_cost_add.shape[0]):
        if cond.edge_cost_add[e] != 0.0:
            added = True
            break
    if added:
        out.edge_cost[:] = expo.edge_cost + cond.edge_cost_add
    else:
        out.edge_cost[:] = expo.edge_cost
    out.worth[:] = load_values(top, orgs, expo, rule, out.edge_cost, out.market_value)
    damaged = False
    for v in range(cond.cap_factor.shape[0]):
        hurt = cond.cap_factor[v] < 1.0
        damaged = damaged or hurt
        out.split[v] = expo.finite_cap[v] or hurt
    if rule.deterministic:  # the warm-up reaches the financed steady state: cash does not bind
        out.scale[:] = 1.0
    else:
        out.scale[:] = cash_scale(top, orgs, cond, expo)
    out.cash_before[:] = orgs.cash
    return damaged


@njit(cache=True)
def settle_move(orgs, cond, rule, sales, out, destroyed_by_org, protection_share):  # pragma: no cover - compiled
    """After movement: pay for it, for protection and pay out profits (:func:`settle_cash`; what each organisation
    paid for protection lands in ``out.paid``), and each organisation's loss share.

    The loss share is what was seized or destroyed over what was moved or destroyed (``out.loss_share``,
    read by adaptation). Returns the kg seized this step (the correctly rounded sum over organisations).
    """
    orgs, cond, rule, out = as_bundle(Organisations, orgs), as_bundle(Conditions, cond), as_bundle(MoveRule, rule), \
        as_bundle(Scratch, out)
    settle_cash(orgs, cond, rule, as_bundle(Sales, sales), out, protection_share)
    for o in range(out.loss_share.shape[0]):
        lost = out.seized[o] + destroyed_by_org[o]
        moved = out.sent[o] + destroyed_by_org[o]
        out.loss_share[o] = lost / moved if moved > 0 else 0.0
    return fsum(out.seized)


@njit(cache=True)
def adapt_calm(order, loss_share, adapt, rule):  # pragma: no cover - compiled
    """Adaptation's common path, organisation by organisation in ``order``: smooth the loss share and count
    calm steps, as :func:`counterflow.engine.adaptation.adapt` does, while nothing more can happen.

    ``adapt`` (:class:`~counterflow.engine.bundles.Adaptation`, changed in place) and ``rule``
    (:class:`~counterflow.engine.bundles.AdaptRule`). Call it only when no site is pending (then an
    organisation is never busy and no site opens this step). It stops, before changing anything of that
    organisation, at the first one that may expand (smoothed losses above its tolerance, dormant sites and
    the free cash to open one) or consolidate (calm long enough with a site it opened), and returns its
    position in ``order`` (``len(order)`` when there is none): ``adapt`` takes over from there.
    """
    a, rule = as_bundle(Adaptation, adapt), as_bundle(AdaptRule, rule)
    for i in range(order.shape[0]):
        o = order[i]
        smooth = (1.0 - rule.loss_smoothing) * a.loss_smooth[o] + rule.loss_smoothing * loss_share[o]
        tol = rule.tolerance[o]
        calm = 0
        if smooth > tol:
            free = a.cash[o] - a.frozen[o]
            if free < 0.0:  # np.maximum(cash - frozen, 0.0), as RunState.free_cash
                free = 0.0
            if rule.has_sites and free >= rule.open_cost:
                return i
        elif smooth < 0.5 * tol:
            calm = a.calm_steps[o] + 1
            if calm >= rule.consolidate_after and rule.has_sites and a.opened_at[o].max() >= 0:
                return i
        a.loss_smooth[o] = smooth
        a.calm_steps[o] = calm
    return order.shape[0]


@njit(cache=True)
def move_phase(t, order, top, orgs, cond, expo, learn, rule, uniforms, sales, out, destroyed_by_org,
               protection_share):  # pragma: no cover - compiled
    """The move phase of a step on a small network, in one call: :func:`prepare_move`, every organisation's
    plan and dispatch in ``order`` (:func:`move_all`) and :func:`settle_move`.

    ``uniforms``: this step's dice ``[O, E]``; ``sales``: what the start of the step sold, landed and
    produced (:class:`~counterflow.engine.bundles.Sales`); ``protection_share`` ``[O]``: the share of its
    free cash above the reserve each organisation pays for protection; the totals land in ``out``
    (:class:`~counterflow.engine.bundles.Scratch`). Returns ``(kg seized, whether a node is damaged)``.
    """
    top, orgs, cond, expo = as_bundle(Topology, top), as_bundle(Organisations, orgs), as_bundle(Conditions, cond), \
        as_bundle(Exposure, expo)
    learn, rule, sales, x = as_bundle(Learning, learn), as_bundle(MoveRule, rule), as_bundle(Sales, sales), \
        as_bundle(Scratch, out)
    damaged = prepare_move(top, orgs, cond, expo, rule, x)
    inputs = StepInputs(x.edge_cost, cond.cap_factor, x.split, x.worth, expo.tranche_width, x.tranche_rev,
                        x.p_seize, uniforms, sales.arrived, x.scale, x.market_value)
    move_all(t, order, top, orgs, inputs, learn, open_accounts(top, cond.cap_factor, x))
    return settle_move(orgs, cond, rule, sales, x, destroyed_by_org, protection_share), damaged


@njit(cache=True)
def close_step(books, juris, pressure, society_base, society_rates, closing, sales, sent_all, out_all, rec, row,
               totals):  # pragma: no cover - compiled
    """The close of a step in one call: prices, society, spoilage and observations, and the record.

    Prices move towards deliveries (:func:`update_prices`); the society advances
    (:func:`counterflow.engine.society._society_kernel`); stock above storage spoils and the observed
    flows are kept for next step's levers (:func:`end_step`); when ``row`` >= 0 the step is written
    into ``rec`` (:class:`~counterflow.engine.bundles.Records`). Bundles: ``books``
    :class:`~counterflow.engine.bundles.Books`, ``closing`` :class:`~counterflow.engine.bundles.Closing`,
    ``sales`` :class:`~counterflow.engine.bundles.Sales`, ``sent_all`` ``[E]`` and ``out_all`` ``[N]`` the kg
    movement sent on each edge and out of each node, ``totals`` :class:`~counterflow.engine.bundles.Totals`;
    ``juris``, ``pressure``, ``society_base`` and ``society_rates`` as the society kernel takes them.
    Returns the kg spoiled.
    """
    books, closing, out, totals = as_bundle(Books, books), as_bundle(Closing, closing), as_bundle(Sales, sales), \
        as_bundle(Totals, totals)
    juris, pressure = as_bundle(Jurisdictions, juris), as_bundle(Pressures, pressure)
    society_base, society_rates = as_bundle(SocietyBase, society_base), as_bundle(SocietyRates, society_rates)
    update_prices(books, closing, out)
    _society_kernel(juris, pressure, society_base, society_rates)
    spoiled, node_flow, active_nodes, active_edges, entropy, stock, transit = end_step(
        books, closing, out, sent_all, out_all)
    books.node_flow[:] = node_flow
    books.edge_flow[:] = sent_all
    if row >= 0:
        rec, js = as_bundle(Records, rec), juris
        rec.delivered[row] = out.delivered
        rec.price[row] = books.price
        rec.seized[row] = totals.seized
        rec.destroyed[row] = totals.destroyed + spoiled
        rec.produced[row] = totals.produced
        rec.stock[row] = stock
        rec.in_transit[row] = transit
        rec.active_nodes[row] = active_nodes
        rec.active_edges[row] = active_edges
        rec.route_entropy[row] = entropy
        rec.harm[row] = totals.harm
        rec.hardship[row] = js.hardship.max() if js.hardship.size else 0.0
        rec.backlash[row] = js.backlash.max() if js.backlash.size else 0.0
        rec.cost[row] = totals.cost
        rec.revenue[row] = out.revenue
        rec.cash[row] = books.cash
        bal = rec.balance[row]
        bal[0], bal[1], bal[2] = totals.cum_produced, totals.cum_delivered, totals.cum_seized
        bal[3], bal[4], bal[5] = totals.cum_destroyed + spoiled, stock, transit
        rec.node_flow_total[:] += node_flow
        if rec.edge_flow.shape[0] > 0:
            rec.edge_flow[row] = sent_all
            rec.node_flow[row] = node_flow
    return spoiled


@njit(cache=True)
def begin_step(t, econ, trade, rule, deterministic, sales):  # pragma: no cover - compiled
    """Land loads due now, sell those at markets, then produce.

    Bundles (:mod:`counterflow.engine.bundles`): ``econ`` the fixed
    :class:`~counterflow.engine.bundles.Economy` (with the network's ``edge_dst`` and
    ``market_node``), ``trade`` the organisations' goods and cash, prices and finances
    (:class:`~counterflow.engine.bundles.Trade`; stock, transit, cash and ``price_expect`` changed
    in place) and ``rule`` the constants (:class:`~counterflow.engine.bundles.ProductionRule`).
    It takes only the arrays it reads, not the whole :class:`~counterflow.engine.bundles.Topology`
    and :class:`~counterflow.engine.bundles.Organisations`: from Python every array passed is
    unboxed at every call (19 unused arrays cost about 3.5 µs a step, ``docs/benchmarks.md``).

    Production is the scenario's production times ``(expected price index)
    ** supply_elasticity`` (within ``[1/max_multiple, max_multiple]``), cut
    linearly as stock at the sources grows from ``buffer_steps`` to twice
    that many steps of production, and at each site scaled by the share of
    its capacity intact (a struck production site produces nothing until it
    is rebuilt). The expected price index ``expect[o]`` (updated in place)
    follows the organisation's mean price / reference adaptively (Nerlove):
    ``expect += expect_rate * (index - expect)``; ``expect_rate = 1`` is naive
    expectations (the classic cobweb).

    Labour: production scales with ``(labour / base_labour)[o] ** labour_elasticity``
    (labour relative to its base; growers and crews recruited under hardship
    and backlash, fewer where aid offers other work).

    Working capital: revenue is booked net of ``revenue_tax[o]`` (the
    laundering cost sanctions impose), and production is paid from free cash
    (``cash - frozen``): an organisation that cannot pay produces only what it
    can pay for.

    Frozen cash binds net of the suppliers' credit line (``econ.credit``); ``deterministic`` (the
    warm-up) leaves all spending financed.

    Writes the delivered kg per market ``[M]``, the arrived kg ``[O, N]``, the revenue ``[O]`` and
    the produced kg ``[O]`` into ``sales`` (:class:`~counterflow.engine.bundles.Sales`) and returns
    the totals delivered and produced (each the correctly rounded sum, as :func:`math.fsum`).
    """
    econ, trade = as_bundle(Economy, econ), as_bundle(Trade, trade)
    rule, out = as_bundle(ProductionRule, rule), as_bundle(Sales, sales)
    transit, stock, cash = trade.transit, trade.stock, trade.cash
    edge_dst, market_node = econ.edge_dst, econ.market_node
    production, base_labour, market_allowed, ref_price = econ.production, econ.base_labour, econ.market_allowed, \
        econ.ref_price
    price, expect, frozen, revenue_tax, labour, cap_factor = (trade.price, trade.price_expect, trade.frozen,
                                                              trade.revenue_tax, trade.labour, trade.cap_factor)
    supply_elasticity, max_multiple, buffer_steps = rule.supply_elasticity, rule.max_multiple, rule.buffer_steps
    production_cost, expect_rate, labour_elasticity = rule.production_cost, rule.expect_rate, rule.labour_elasticity
    n_orgs, n_edges, slots = transit.shape
    n_nodes = stock.shape[1]
    n_mk = market_node.shape[0]
    slot = t % slots
    arrived, revenue, produced = out.arrived, out.revenue, out.produced
    arrived[:] = 0.0
    revenue[:] = 0.0
    produced[:] = 0.0
    delivered = np.zeros((n_orgs, n_mk))
    for o in range(n_orgs):
        for e in range(n_edges):
            x = transit[o, e, slot]
            if x != 0.0:
                arrived[o, edge_dst[e]] += x
                transit[o, e, slot] = 0.0
        for v in range(n_nodes):
            stock[o, v] += arrived[o, v]
        for k in range(n_mk):
            v = market_node[k]
            delivered[o, k] = stock[o, v]
            stock[o, v] = 0.0
            revenue[o] += delivered[o, k] * price[k]
        cash[o] += revenue[o] * (1.0 - revenue_tax[o])
        index = 0.0
        count = 0
        for k in range(n_mk):
            if market_allowed[o, k]:
                index += price[k] / ref_price[k]
                count += 1
        index = index / count if count > 0 else 0.0
        expect[o] += expect_rate * (index - expect[o])
        mult = max(expect[o], 1e-9) ** supply_elasticity
        mult = min(max(mult, 1.0 / max_multiple), max_multiple)
        if labour[o] != base_labour[o]:
            mult *= max(labour[o] / base_labour[o], 0.0) ** labour_elasticity
        base = 0.0
        held = 0.0
        for v in range(n_nodes):
            base += production[o, v]
            held += stock[o, v]  # markets were emptied above: stock anywhere in the organisation's network
        buffer = max(buffer_steps * base, 1e-9)
        mult *= min(max(2.0 - held / buffer, 0.0), 1.0)
        bill = 0.0
        for v in range(n_nodes):
            bill += production[o, v] * mult * min(max(cap_factor[v], 0.0), 1.0) * production_cost
        free = max(cash[o] - (-np.inf if deterministic else frozen[o] - econ.credit[o]), 0.0)
        if bill > free:
            mult *= free / bill
        for v in range(n_nodes):
            x = production[o, v] * mult * min(max(cap_factor[v], 0.0), 1.0)
            stock[o, v] += x
            produced[o] += x
        cash[o] -= produced[o] * production_cost
    out.delivered[:] = delivered.sum(axis=0)
    return fsum(out.delivered), fsum(produced)


@njit(cache=True)
def end_step(books, closing, sales, sent_all, out_all):  # pragma: no cover - compiled
    """Spoil stock above storage; observed node flow; active nodes/edges, route entropy; totals.

    ``books`` (:class:`~counterflow.engine.bundles.Books`: the stock changed in place, the transit read),
    ``closing`` (:class:`~counterflow.engine.bundles.Closing`: storage, market nodes), ``sales``
    (:class:`~counterflow.engine.bundles.Sales`: what markets sold), ``sent_all`` ``[E]`` and ``out_all`` ``[N]``
    (the kg movement sent on each edge and out of each node). Returns ``(spoiled, node_flow [N], active_nodes,
    active_edges, entropy, stock_total, transit_total)``.
    """
    books, closing = as_bundle(Books, books), as_bundle(Closing, closing)
    stock, storage, market_node, transit = books.stock, closing.storage, closing.market_node, books.transit
    delivered_m = as_bundle(Sales, sales).delivered
    n_orgs, n_nodes = stock.shape
    spoiled = 0.0
    for o in range(n_orgs):
        for v in range(n_nodes):
            over = stock[o, v] - storage[v]
            if over > 0.0:
                stock[o, v] -= over
                spoiled += over
    node_flow = out_all.copy()
    for k in range(market_node.shape[0]):
        node_flow[market_node[k]] += delivered_m[k]
    active_nodes = 0
    for v in range(n_nodes):
        if node_flow[v] > 1e-9:
            active_nodes += 1
    total = 0.0
    active_edges = 0
    for e in range(sent_all.shape[0]):
        if sent_all[e] > 1e-9:
            total += sent_all[e]
            active_edges += 1
    entropy = 0.0
    if total > 0.0:
        for e in range(sent_all.shape[0]):
            if sent_all[e] > 1e-9:
                q = sent_all[e] / total
                entropy -= q * math.log(q)
    stock_total = 0.0
    for o in range(n_orgs):
        for v in range(n_nodes):
            stock_total += stock[o, v]
    transit_total = 0.0
    for x in transit.ravel():
        transit_total += x
    return spoiled, node_flow, active_nodes, active_edges, entropy, stock_total, transit_total


@njit(cache=True)
def load_values(top, orgs, expo, rule, edge_cost, market_value):  # pragma: no cover - compiled
    """What a kilogram at each node is worth to each organisation: ``[O, N]``.

    ``top`` (:class:`~counterflow.engine.bundles.Topology`: where edges lead), ``orgs``
    (:class:`~counterflow.engine.bundles.Organisations`: open sites, beliefs and fear), ``expo``
    (:class:`~counterflow.engine.bundles.Exposure`: producing sites, out-edges), ``rule``
    (:class:`~counterflow.engine.bundles.MoveRule`: ``production_cost`` and ``at_market``), ``edge_cost`` ``[E]``
    (USD/kg with lever additions) and ``market_value`` ``[O]`` (mean price of each organisation's markets).

    A seized kilogram is replaced from the sources, so its worth at ``v`` is
    its replacement cost there (Reuter & Kleiman's risks and prices): the
    production cost at the organisation's producing sites and, along an open
    edge ``(u, v)`` with perceived loss probability ``q`` (edge belief plus
    fear of ``v``, at most 0.9), ``(worth(u) + cost) / (1 - q)``: the cost of
    landing one kilogram at ``v``. The cheapest way counts (a label-setting
    shortest-path search; the update is monotone, so Dijkstra's order holds: the least worth first, the
    lowest node among equals).
    Closed sites next to the open network get a worth (for ranking sites to
    open) but nothing is routed through them. Worth is capped at the
    organisation's market value (mean price of its markets), which is also the
    worth of stock that cannot be replaced (no open way from a producing site). ``at_market`` in [0, 1] blends towards
    valuing every kilogram at the market price (1: the worth of a load is
    what it would sell for, whatever was spent on it).
    """
    top, orgs = as_bundle(Topology, top), as_bundle(Organisations, orgs)
    expo, rule = as_bundle(Exposure, expo), as_bundle(MoveRule, rule)
    producer, out_start, out_order, edge_dst = expo.producer, expo.out_start, expo.out_order, top.edge_dst
    open_node, open_edge, risk_belief, node_fear = orgs.open_node, orgs.open_edge, orgs.risk_belief, orgs.node_fear
    production_cost, at_market = rule.production_cost, rule.at_market
    n_orgs, n_nodes = open_node.shape
    out = np.empty((n_orgs, n_nodes))
    worth = np.empty(n_nodes)
    done = np.empty(n_nodes, np.bool_)
    queued = np.empty(n_nodes, np.int64)  # nodes pushed and not yet settled: the only candidates of the selection
    for o in range(n_orgs):
        cap = market_value[o]
        n_q = 0
        for v in range(n_nodes):
            worth[v] = np.inf
            done[v] = False
            if producer[o, v] and open_node[o, v]:
                worth[v] = production_cost
                queued[n_q] = v
                n_q += 1
        while n_q > 0:
            # the least worth, the lowest node among equals: the order of a heap of (worth, node) pairs
            pick = 0
            for k in range(1, n_q):
                v, b = queued[k], queued[pick]
                if worth[v] < worth[b] or (worth[v] == worth[b] and v < b):
                    pick = k
            u = queued[pick]
            n_q -= 1
            queued[pick] = queued[n_q]
            w = worth[u]
            done[u] = True
            if w >= cap:
                continue
            for i in range(out_start[u], out_start[u + 1]):
                e = out_order[i]
                v = edge_dst[e]
                usable = open_edge[o, e] and open_node[o, v]
                if done[v] or not (usable or not open_node[o, v]):
                    continue
                q = min(max(risk_belief[o, e] + node_fear[o, v], 0.0), 0.9)
                nw = (w + edge_cost[e]) / (1.0 - q)
                if nw < worth[v]:
                    # an open node gets a worth only along usable edges, so it is queued when first reached
                    # and stays queued, with its best worth, until settled (closed nodes are valued, not queued)
                    if usable and worth[v] == np.inf:
                        queued[n_q] = v
                        n_q += 1
                    worth[v] = nw
        for v in range(n_nodes):
            x = min(worth[v], cap)
            out[o, v] = x + at_market * (cap - x)
    return out


@njit(cache=True)
def pre_move(top, cond, expo, rule):  # pragma: no cover - compiled
    """Seizure probability per organisation and edge, each organisation's market value per kg, and tranche revenues.

    ``top`` (:class:`~counterflow.engine.bundles.Topology`: where edges start), ``cond``
    (:class:`~counterflow.engine.bundles.Conditions`: lever additions, corruption, prices, protection), ``expo``
    (:class:`~counterflow.engine.bundles.Exposure`: base risks, jurisdictions, markets, tranches) and ``rule``
    (:class:`~counterflow.engine.bundles.MoveRule`: ``protection_half_cost``).

    Seizure probability per load: ``1 - (1 - p_edge)(1 - p_node)``, with the
    edge's risk plus lever additions and, at the node the load leaves,
    ``enforcement * (1 - corruption)`` plus lever additions. Protection: where
    organisation ``o`` paid ``B = protection[o, j]`` USD to the officials of the
    node's jurisdiction ``j`` at the last step, the corruption it meets there is
    ``c + (1 - c) * B / (B + half_cost)`` (diminishing returns; ``B = 0`` leaves
    ``c`` exactly as it is). Market value: mean current price of the organisation's
    markets (the cap of :func:`load_values`). Tranche revenue: the market's
    inverse demand at the tranche's midpoint, anchored at its reference price
    ``ref_price`` (not today's price; see :mod:`counterflow.engine.planning`). Returns ``(p_seize [O, E], value [O], rev [M, K])``.
    """
    top, cond = as_bundle(Topology, top), as_bundle(Conditions, cond)
    expo, rule = as_bundle(Exposure, expo), as_bundle(MoveRule, rule)
    edge_risk, node_enf, node_juris, edge_src = expo.edge_risk, expo.node_enf, expo.node_juris, top.edge_src
    edge_risk_add, node_enf_add, corruption, price = cond.edge_risk_add, cond.node_enf_add, cond.corruption, cond.price
    market_allowed, elasticity, tranche_mid, ref_price = expo.market_allowed, expo.elasticity, expo.tranche_mid, \
        expo.ref_price
    protection, half_cost = cond.protection, rule.protection_half_cost
    n_edges = edge_src.shape[0]
    n_orgs, n_mk = market_allowed.shape
    p_seize = np.empty((n_orgs, n_edges))
    for e in range(n_edges):
        v = edge_src[e]
        j = node_juris[v]
        pe = min(max(edge_risk[e] + edge_risk_add[e], 0.0), 1.0)
        pn = min(max(node_enf[v] * (1.0 - corruption[j]) + node_enf_add[v], 0.0), 1.0)
        for o in range(n_orgs):
            b = protection[o, j]
            if b > 0.0:
                c = corruption[j] + (1.0 - corruption[j]) * b / (b + half_cost)
                pno = min(max(node_enf[v] * (1.0 - c) + node_enf_add[v], 0.0), 1.0)
                p_seize[o, e] = 1.0 - (1.0 - pe) * (1.0 - pno)
            else:
                p_seize[o, e] = 1.0 - (1.0 - pe) * (1.0 - pn)
    value = np.zeros(n_orgs)
    for o in range(n_orgs):
        count = 0
        for k in range(n_mk):
            if market_allowed[o, k]:
                value[o] += price[k]
                count += 1
        value[o] /= max(count, 1)
    n_k = tranche_mid.shape[0]
    rev = np.empty((n_mk, n_k))
    for k in range(n_mk):
        for j in range(n_k):
            rev[k, j] = ref_price[k] * min(max(tranche_mid[j] ** (-1.0 / elasticity[k]), 0.2), 2.0)
    return p_seize, value, rev


@njit(cache=True)
def update_prices(books, closing, sales):  # pragma: no cover - compiled
    """Move each price towards the price at which demand equals smoothed deliveries (in place).

    Demand is iso-elastic, ``Q = Q_ref (P / P_ref) ** -elasticity``; shortfalls
    raise the price and gluts lower it, within ``[price_floor, price_cap] * P_ref``.
    ``books`` (:class:`~counterflow.engine.bundles.Books`: price and smoothed supply, changed in place),
    ``closing`` (:class:`~counterflow.engine.bundles.Closing`: the demand curves and constants) and ``sales``
    (:class:`~counterflow.engine.bundles.Sales`: what each market sold this step).
    """
    books, closing = as_bundle(Books, books), as_bundle(Closing, closing)
    price, supply_smooth, delivered = books.price, books.supply_smooth, as_bundle(Sales, sales).delivered
    ref_price, ref_demand, elasticity = closing.ref_price, closing.ref_demand, closing.elasticity
    delivery_smoothing, price_smoothing = closing.delivery_smoothing, closing.price_smoothing
    price_floor, price_cap = closing.price_floor, closing.price_cap
    for k in range(price.shape[0]):
        supply_smooth[k] = (1.0 - delivery_smoothing) * supply_smooth[k] + delivery_smoothing * delivered[k]
        ratio = max(supply_smooth[k], 1e-9) / ref_demand[k]
        target = ref_price[k] * ratio ** (-1.0 / elasticity[k])
        target = min(max(target, price_floor * ref_price[k]), price_cap * ref_price[k])
        price[k] = (1.0 - price_smoothing) * price[k] + price_smoothing * target


@njit(cache=True)
def cash_scale(top, orgs, cond, expo):  # pragma: no cover - compiled
    """Share of this step's shipments each organisation's free cash can pay for: ``[O]`` in [0, 1].

    ``top`` (:class:`~counterflow.engine.bundles.Topology`: the sources), ``orgs``
    (:class:`~counterflow.engine.bundles.Organisations`: cash, stock, open sites), ``cond``
    (:class:`~counterflow.engine.bundles.Conditions`: frozen cash, cost per hop) and ``expo``
    (:class:`~counterflow.engine.bundles.Exposure`: the credit line).

    Every kilogram moved one edge costs the edge's money cost, paid from free
    cash (``cash - frozen``, frozen cash net of the suppliers' credit line); ``hop_cost[o]``
    is what the organisation paid per kilogram and edge at its last step. New
    shipments out of the producing areas are paid up front: if sending all the
    stock at its sources one edge costs more than its free cash, that supply is
    scaled down (planning stays a min-cost flow). Loads already on their way
    keep moving (their transport is contracted), so revenue keeps arriving and
    a cash-starved organisation is slowed, not frozen for ever.
    """
    top, orgs = as_bundle(Topology, top), as_bundle(Organisations, orgs)
    cond, expo = as_bundle(Conditions, cond), as_bundle(Exposure, expo)
    cash, stock, open_node, is_source = orgs.cash, orgs.stock, orgs.open_node, top.is_source
    hop_cost, frozen, credit = cond.hop_cost, cond.frozen, expo.credit
    n_orgs, n_nodes = stock.shape
    out = np.ones(n_orgs)
    for o in range(n_orgs):
        need = 0.0
        for v in range(n_nodes):
            if open_node[o, v] and is_source[v] and stock[o, v] > 0.0:
                need += stock[o, v]
        need *= hop_cost[o]
        free = max(cash[o] - (frozen[o] - credit[o]), 0.0)
        if need > free:
            out[o] = free / need
    return out


@njit(cache=True)
def settle_cash(orgs, cond, rule, sales, out, protection_share):  # pragma: no cover - compiled
    """After movement: cost per kg and edge, this step's spending, protection and the payout of profits (in place).

    ``orgs`` (:class:`~counterflow.engine.bundles.Organisations`: cash, changed), ``cond``
    (:class:`~counterflow.engine.bundles.Conditions`: frozen cash; cost per hop and spending, changed), ``rule``
    (:class:`~counterflow.engine.bundles.MoveRule`), ``sales`` (:class:`~counterflow.engine.bundles.Sales`: kg
    produced), ``out`` (:class:`~counterflow.engine.bundles.Scratch`: cash before movement, kg sent; ``paid``
    written) and ``protection_share`` ``[O]``.

    Each organisation first pays ``protection_share[o]`` of its free cash (cash
    not frozen) above a reserve of ``reserve_steps`` steps of its production and
    transport spending to officials (``paid[o]``, written), then pays out
    ``payout_rate`` of what is left above the reserve.
    """
    orgs, cond = as_bundle(Organisations, orgs), as_bundle(Conditions, cond)
    rule, out = as_bundle(MoveRule, rule), as_bundle(Scratch, out)
    cash, frozen, hop_cost, spend = orgs.cash, cond.frozen, cond.hop_cost, cond.spend
    cash_before, sent_o, paid, produced_o = out.cash_before, out.sent, out.paid, as_bundle(Sales, sales).produced
    production_cost, payout_rate, reserve_steps = rule.production_cost, rule.payout_rate, rule.reserve_steps
    for o in range(cash.shape[0]):
        transport = cash_before[o] - cash[o]
        if sent_o[o] > 0.0:
            hop_cost[o] = transport / sent_o[o]
        spend[o] = transport + produced_o[o] * production_cost
        excess = cash[o] - frozen[o] - reserve_steps * spend[o]
        paid[o] = 0.0
        if protection_share[o] > 0.0 and excess > 0.0:
            paid[o] = protection_share[o] * excess
            cash[o] -= paid[o]
            excess -= paid[o]
        if payout_rate > 0.0 and excess > 0.0:
            cash[o] -= payout_rate * excess


# ---------------------------------------------------------------------------------------------------------------
# One compiled call per step on the common path (``Engine.step`` falls back to the phased calls above otherwise)
#
# From Python every argument of a compiled call is typed and unboxed at every call (about 0.1 µs per 1-d array,
# twice that for a 2-d one, ``docs/benchmarks.md``), and the four phase kernels of a step took some 145 arrays, many
# of them the same arrays several times. ``calm_step`` takes each once: the run state's arrays as a tuple, and the
# fixed arrays, the step's buffers and the recorder's arrays each packed into one block per dtype (one allocation
# holding the arrays one after another) with the bounds of each region, from which it rebuilds the same bundles the
# phase kernels take (:func:`step_bundles`).

#: the constants of a step in the fixed float block's last region, in this order: ``MoveRule`` (without
#: ``deterministic``), ``ProductionRule``, ``Learning``, ``Closing``'s four constants, ``SocietyRates`` and
#: ``AdaptRule``'s constants (``consolidate_after`` and ``has_sites`` as floats)
N_CONSTANTS = 5 + 6 + 3 + 4 + 12 + 4


@njit(cache=True, inline='always')
def region(block, bounds, k):  # pragma: no cover - compiled
    """Region ``k`` of a packed block: ``block[bounds[k]:bounds[k + 1]]`` (a view)."""
    return block[bounds[k]:bounds[k + 1]]


@njit(cache=True)
def step_bundles(fixed, state, log, buf, split, deterministic):  # pragma: no cover - compiled
    """The bundles the phase kernels take, rebuilt from ``calm_step``'s arguments (views, nothing copied).

    ``fixed`` is ``(floats, ints, bools, float bounds, int bounds, bool bounds)``: the network's and the
    parameters' fixed arrays packed by ``Engine._pack_fixed`` (in the order read below); ``state`` the run
    state's arrays in ``Engine``'s ``_step_state`` order; ``log`` the step log's arrays ``(foreign strikes, harm by
    jurisdiction, destroyed by organisation)``; ``buf`` the step's float buffers (``Sales``, ``Scratch``
    but ``split``, and the dice) packed by ``Engine._setup``, ``buf[1]`` their bounds; ``split`` ``Scratch.split``.
    Returns ``(top, econ, trade, production rule, orgs, cond, expo, learn, move rule, sales, scratch, uniforms,
    adaptation, adapt rule, books, jurisdictions, pressures, society base, society rates, closing)``.
    """
    fb, ib, bb, fl, il, bl = fixed
    (stock, transit, cash, price, price_expect, frozen, revenue_tax, labour, cap_factor, open_node, open_edge,
     risk_belief, node_fear, prev_out, route, last_used, edge_risk_add, node_enf_add, edge_cost_add, corruption,
     hop_cost, spend, protection, loss_smooth, calm_steps, opened_at, supply_smooth, node_flow, edge_flow,
     hardship, backlash, revenue, revenue_cut, aid) = state
    foreign_strikes, harm_by_juris = log[0], log[1]
    n_o, n_n = stock.shape
    n_e = transit.shape[1]
    n_m = price.shape[0]
    n_j = hardship.shape[0]
    edge_load_kg, edge_cap, node_cap, base_p = region(fb, fl, 0), region(fb, fl, 1), region(fb, fl, 2), \
        region(fb, fl, 3)
    risk_aversion, production, base_labour = region(fb, fl, 4), region(fb, fl, 5).reshape((n_o, n_n)), \
        region(fb, fl, 6)
    ref_price, credit, edge_risk, node_enf = region(fb, fl, 7), region(fb, fl, 8), region(fb, fl, 9), \
        region(fb, fl, 10)
    edge_cost, elasticity, tranche_mid = region(fb, fl, 11), region(fb, fl, 12), region(fb, fl, 13)
    n_k = tranche_mid.shape[0]
    tranche_width = region(fb, fl, 14).reshape((n_o, n_m, n_k))
    storage, ref_demand = region(fb, fl, 15), region(fb, fl, 16)
    base_corruption, base_revenue, base_labour_soc = region(fb, fl, 17), region(fb, fl, 18), region(fb, fl, 19)
    weights = region(fb, fl, 20).reshape((n_o, n_j))
    tolerance, c = region(fb, fl, 21), region(fb, fl, 22)
    edge_src, edge_dst, edge_time, market_node = region(ib, il, 0), region(ib, il, 1), region(ib, il, 2), \
        region(ib, il, 3)
    node_juris, out_start, out_order = region(ib, il, 4), region(ib, il, 5), region(ib, il, 6)
    is_source, producer = region(bb, bl, 0), region(bb, bl, 1).reshape((n_o, n_n))
    finite_cap, market_allowed = region(bb, bl, 2), region(bb, bl, 3).reshape((n_o, n_m))
    top = Topology(is_source, edge_src, edge_dst, edge_time, edge_load_kg, edge_cap, node_cap, market_node, base_p,
                   risk_aversion)
    econ = Economy(edge_dst, market_node, production, base_labour, market_allowed, ref_price, credit)
    trade = Trade(stock, transit, cash, price, price_expect, frozen, revenue_tax, labour, cap_factor)
    mrule = MoveRule(c[0], c[1], c[2], c[3], c[4], deterministic)
    prule = ProductionRule(c[5], c[6], c[7], c[8], c[9], c[10])
    learn = Learning(c[11], c[12], c[13])
    closing = Closing(storage, market_node, ref_price, ref_demand, elasticity, c[14], c[15], c[16], c[17])
    rates = SocietyRates(c[18], c[19], c[20], c[21], c[22], c[23], c[24], c[25], c[26], c[27], c[28], c[29])
    arule = AdaptRule(tolerance, c[30], c[31], np.int64(c[32]), c[33] != 0.0)
    orgs = Organisations(open_node, open_edge, risk_belief, node_fear, stock, prev_out, route, transit, cash,
                         last_used)
    cond = Conditions(edge_risk_add, node_enf_add, edge_cost_add, corruption, price, cap_factor, frozen, hop_cost,
                      spend, protection)
    expo = Exposure(edge_risk, node_enf, node_juris, edge_cost, producer, out_start, out_order, finite_cap,
                    market_allowed, elasticity, tranche_mid, tranche_width, credit, ref_price)
    xb, xl = buf
    sales = Sales(region(xb, xl, 0), region(xb, xl, 1).reshape((n_o, n_n)), region(xb, xl, 2), region(xb, xl, 3))
    scratch = Scratch(region(xb, xl, 4), split, region(xb, xl, 5).reshape((n_o, n_n)),
                      region(xb, xl, 6).reshape((n_o, n_e)), region(xb, xl, 7), region(xb, xl, 8).reshape((n_m, n_k)),
                      region(xb, xl, 9), region(xb, xl, 10), region(xb, xl, 11), region(xb, xl, 12),
                      region(xb, xl, 13), region(xb, xl, 14), region(xb, xl, 15), region(xb, xl, 16))
    uniforms = region(xb, xl, 17).reshape((n_o, n_e))
    adaptation = Adaptation(loss_smooth, calm_steps, cash, frozen, opened_at)
    books = Books(stock, transit, price, supply_smooth, node_flow, edge_flow, cash)
    juris = Jurisdictions(hardship, backlash, corruption, revenue, labour)
    pressure = Pressures(revenue_cut, aid, harm_by_juris, foreign_strikes)
    soc_base = SocietyBase(base_corruption, base_revenue, base_labour_soc, weights)
    return (top, econ, trade, prule, orgs, cond, expo, learn, mrule, sales, scratch, uniforms, adaptation, arule,
            books, juris, pressure, soc_base, rates, closing)


@njit(cache=True)
def record_bundle(rec, n_markets, n_orgs):  # pragma: no cover - compiled
    """The recorder's arrays (:class:`~counterflow.engine.bundles.Records`) and its ``protection_paid`` ``[T, O]``
    from ``rec``: ``(float block, bounds, edge flows, node flows)`` as ``Recorder.packed`` holds them (the series in
    ``SERIES`` order, the balance, the node-flow totals and the protection paid, one region each)."""
    rb, rl, edge_flow, node_flow = rec
    t = rl[3] - rl[2]  # steps: the length of a scalar series (``seized``)
    m = (t, n_markets)
    o = (t, n_orgs)
    out = Records(region(rb, rl, 0).reshape(m), region(rb, rl, 1).reshape(m), region(rb, rl, 2), region(rb, rl, 3),
                  region(rb, rl, 4), region(rb, rl, 5), region(rb, rl, 6), region(rb, rl, 7), region(rb, rl, 8),
                  region(rb, rl, 9), region(rb, rl, 10), region(rb, rl, 11), region(rb, rl, 12), region(rb, rl, 13),
                  region(rb, rl, 14).reshape(o), region(rb, rl, 15).reshape(o), region(rb, rl, 16).reshape((t, 6)),
                  region(rb, rl, 17), edge_flow, node_flow)
    return out, region(rb, rl, 18).reshape(o)


@njit(cache=True)
def calm_step(t, order, fixed, state, buf, split, deterministic, log, rec, row, sums):  # pragma: no cover - compiled
    """A whole step in one call where nothing needs Python: :func:`begin_step`, no lever, :func:`move_phase`,
    adaptation's common path (:func:`adapt_calm`) and :func:`close_step`, in that order, on the same bundles the
    phased calls take (:func:`step_bundles`).

    Call it only where no lever fires this step, no site is pending, protection is not paid (``protection_share``
    0) and the network is small (the compiled planner). ``order`` and the dice (in ``buf``) are this step's, drawn
    by the run's generators before the call; ``log`` the step log's arrays ``(foreign strikes, harm by
    jurisdiction, destroyed by organisation)``, emptied here as the log's restart does; ``rec`` the recorder's packed
    arrays (:func:`record_bundle`) and ``row`` its row (< 0: no record); ``sums`` the run's cumulative kg produced,
    delivered, seized and destroyed before the step.

    Returns ``(first, damaged, delivered, produced, seized, spoiled)``: this step's kg and whether a node's capacity
    is damaged. Where an organisation leaves adaptation's common path (``first``, its position in ``order``, is
    below ``len(order)``) or a node is damaged (rebuilding is Python), the call stops after adaptation's common
    path, before the close: the engine goes on with the phased calls from there (``spoiled`` is then 0).
    """
    (top, econ, trade, prule, orgs, cond, expo, learn, mrule, sales, scratch, uniforms, adaptation, arule, books,
     juris, pressure, soc_base, rates, closing) = step_bundles(fixed, state, log, buf, split, deterministic)
    foreign_strikes, harm_by_juris, destroyed_by_org = log
    foreign_strikes[:] = 0.0  # the step log's tallies start at 0 (StepLog.restart)
    harm_by_juris[:] = 0.0
    destroyed_by_org[:] = 0.0
    delivered, produced = begin_step(t, econ, trade, prule, deterministic, sales)
    seized, damaged = move_phase(t, order, top, orgs, cond, expo, learn, mrule, uniforms, sales, scratch,
                                 destroyed_by_org, np.zeros(order.shape[0]))
    first = adapt_calm(order, scratch.loss_share, adaptation, arule)
    if first < order.shape[0] or damaged:
        return first, damaged, delivered, produced, seized, 0.0
    cum_produced, cum_delivered, cum_seized, cum_destroyed = sums
    totals = Totals(produced, seized, 0.0, 0.0, 0.0, cum_produced + produced, cum_delivered + delivered,
                    cum_seized + seized, cum_destroyed)
    records, paid = record_bundle(rec, closing.market_node.shape[0], order.shape[0])
    spoiled = close_step(books, juris, pressure, soc_base, rates, closing, sales, scratch.sent_all, scratch.out_all,
                         records, row, totals)
    if row >= 0:
        paid[row] = scratch.paid
    return first, damaged, delivered, produced, seized, spoiled
