"""Planning: each organisation's profit-maximising min-cost flow for one step.

The flow network of organisation ``o`` (built by :func:`build_plan`):

* node ``v`` receives ``supply[v]`` kg: production plus stock at sources, and
  at other nodes the stock beyond what the pipeline already forwards;
* nodes with finite capacity are split into ``v -> v'`` with capacity equal
  to the node's remaining kg/step;
* each usable edge ``u' -> v`` has the remaining edge capacity and unit cost
  ``money + risk_aversion * (perceived edge risk + fear of v) * worth(u)``,
  where ``worth(u)`` is what a kilogram at ``u`` costs the organisation to
  replace (``_kernels.load_values``);
* each market ``m`` has tranches ``m' -> T``; tranche ``k`` covers the share
  ``TRANCHE_EDGES[k]..[k+1]`` of the reference demand (split between the
  organisations by production) and pays the market's inverse demand at the
  tranche's midpoint, ``reference price * TRANCHE_MID[k] ** (-1 / elasticity)``
  clipped to [0.2, 2] times the reference price: the first kilograms sent to
  a market are worth more than a glut (computed by ``_kernels.pre_move``).
  The current price is not a second factor: the demand curve through today's
  price and the quantity that clears it is the reference curve itself, and
  multiplying by today's price counted a price's deviation twice, which made
  the baseline price cycle without dice on large networks (docs/model.md);
* each supply node has a hold arc ``v -> T`` (stock stays where it is);
* with ``diversification`` > 0 each edge arc is cut into parallel volume
  tranches (``_kernels.edge_tranches``): tranche ``j`` covers the shares
  ``RISK_SHARES[j]..[j+1]`` of the organisation's kilograms in play this step
  and costs the unit cost above plus ``slope * (midpoint share)``, where
  ``slope`` (``_kernels.risk_slope``) is the mean-variance weight of losing
  the edge's loads together: the perceived risk is convex in the volume an
  edge carries, so spreading loads pays when the edge is risky. A tranche
  above the first that has no capacity (the edge's remaining capacity ends
  below it) can carry nothing and is left out of the problem; the network
  simplex prices the others only once they can enter (``_netsimplex``, *lazy
  arcs*). Neither changes the optimum: it is the plan of the full problem.

Costs are shifted by a constant ``OFFSET`` paid on every unit reaching ``T``
(market or hold), which keeps all costs non-negative without changing the
optimum. Quantities are integer kilograms and costs integer US dollars per
kilogram: OR-Tools' ``SimpleMinCostFlow`` needs integers, and rounding to 1 kg
and 1 USD/kg is far below the model's resolution. Organisations are planned
in a random order each step against the capacity the others left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit
from ortools.graph.python import min_cost_flow

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile
from ._kernels import RISK_SHARES, tranche_bound, tranche_cost

__all__ = ["PlanInput", "PlanResult", "WarmStart", "build_plan", "solve_plan", "perturb_costs", "perturbed_arc_costs",
           "arc_keys", "TRANCHE_EDGES", "TRANCHE_MID", "tranche_width",
           "RISK_SHARES"]

# tranche boundaries as multiples of the market's reference demand
TRANCHE_EDGES = np.array([0.0, 0.5, 0.85, 1.0, 1.15, 1.5, 2.2])
TRANCHE_MID = 0.5 * (TRANCHE_EDGES[1:] + TRANCHE_EDGES[:-1])


@dataclass
class PlanInput:
    """One organisation's planning problem, in solver form."""

    n_solver_nodes: int
    sink: int
    edge_idx: np.ndarray      # network edge index of each edge arc (repeated for its volume tranches)
    edge_tail: np.ndarray
    edge_head: np.ndarray
    edge_cap: np.ndarray      # int64
    edge_cost: np.ndarray     # int64
    split_nodes: np.ndarray   # network node index of each node-capacity arc
    split_tail: np.ndarray
    split_head: np.ndarray
    split_cap: np.ndarray
    market_idx: np.ndarray    # market index of each tranche arc
    tranche_k: np.ndarray
    tranche_tail: np.ndarray
    tranche_cap: np.ndarray
    tranche_cost: np.ndarray
    hold_nodes: np.ndarray
    supply: np.ndarray        # int64 [N], at network node ids
    offset: int
    edge_k: np.ndarray | None = None  # volume tranche of each edge arc (None: one arc per edge)
    cost_bound: int = 0       # largest |unit cost| of a volume tranche left out for having no capacity


@dataclass
class PlanResult:
    edge_flow: np.ndarray     # float [E] (zeros off the organisation's network)
    tranche_flow: np.ndarray  # int64, aligned with PlanInput.tranche_* arrays
    objective: float          # profit-equivalent cost (lower is better), in solver units
    status: str


def tranche_width(ref_demand: np.ndarray) -> np.ndarray:
    """Width in kg/step of each tranche [M, K] (shared by all organisations each step)."""
    return ref_demand[:, None] * np.diff(TRANCHE_EDGES)[None, :]


# unit costs beyond this (USD/kg) cannot be represented exactly by the integer solvers
_COST_LIMIT = float(2 ** 48)


def _guard_costs(edge_cost: np.ndarray, tranche_rev: np.ndarray) -> None:
    """Refuse costs the integer solvers cannot represent (non-finite or huge) with a clear error."""
    for what, a in (("edge costs", edge_cost), ("market revenues", tranche_rev)):
        if a.size and not (np.isfinite(a).all() and np.abs(a).max() <= _COST_LIMIT):
            raise RuntimeError(f"planning: {what} per kg are non-finite or beyond {_COST_LIMIT:.3g} USD; "
                               "check the scenario's costs, prices and risk aversion")


def build_plan(
    *,
    n_nodes: int,
    split_out: np.ndarray,
    edge_idx: np.ndarray,
    edge_src: np.ndarray,
    edge_dst: np.ndarray,
    edge_cap: np.ndarray,
    edge_cost: np.ndarray,
    split_nodes: np.ndarray,
    split_cap: np.ndarray,
    market_nodes: np.ndarray,
    market_idx: np.ndarray,
    tranche_cap: np.ndarray,
    tranche_rev: np.ndarray,
    supply: np.ndarray,
    edge_slope: np.ndarray | None = None,
) -> PlanInput:
    """Assemble the integer min-cost-flow problem of one organisation.

    ``split_out[v]`` is the solver id of node ``v``'s out-copy (``v`` itself
    when the node is not split). ``tranche_cap``/``tranche_rev`` are ``[M', K]``
    for the markets in ``market_idx`` located at ``market_nodes``.
    ``edge_slope`` (``_kernels.risk_slopes``; None or omitted: none) cuts each
    edge arc whose slope is above 0 into the volume tranches of
    ``_kernels.edge_tranches`` (the others stay one arc, as in ``plan_small``).
    """
    _guard_costs(edge_cost if edge_slope is None else edge_cost + edge_slope, tranche_rev)
    sink = int(split_out.max(initial=n_nodes - 1)) + 1
    sup = np.floor(supply).astype(np.int64)
    total = int(sup.sum())
    big = max(total, 1)
    ecap = np.minimum(np.nan_to_num(edge_cap, posinf=big), big).astype(np.int64)
    ncap = np.minimum(np.nan_to_num(split_cap, posinf=big), big).astype(np.int64)
    k = tranche_cap.shape[1] if tranche_cap.ndim == 2 else 0
    rev = np.rint(tranche_rev).astype(np.int64)
    offset = int(rev.max(initial=0)) + 1
    tcap = np.minimum(np.maximum(tranche_cap, 0.0), big).astype(np.int64)
    hold = np.flatnonzero(sup > 0)
    edge_tail = split_out[edge_src]
    edge_head = edge_dst.astype(np.int64)
    edge_k = None
    cost_bound = 0
    if edge_slope is None:
        ecost = np.rint(edge_cost).astype(np.int64)
    else:  # volume tranches: parallel arcs per edge whose slope is > 0, in tranche order; other edges one arc
        ecost = np.rint(edge_cost).astype(np.int64)
        arcs = _tranche_arcs(np.asarray(edge_cost, dtype=np.float64), np.asarray(edge_slope, dtype=np.float64),
                             ecap, ecost, np.int64(total))
        rows, edge_k, ecap, ecost, cost_bound = arcs
        edge_idx, edge_tail, edge_head = edge_idx[rows], edge_tail[rows], edge_head[rows]
    return PlanInput(
        n_solver_nodes=sink + 1,
        sink=sink,
        edge_idx=edge_idx,
        edge_tail=edge_tail,
        edge_head=edge_head,
        edge_cap=ecap,
        edge_cost=ecost,
        split_nodes=split_nodes,
        split_tail=split_nodes.astype(np.int64),
        split_head=split_out[split_nodes],
        split_cap=ncap,
        market_idx=np.repeat(market_idx, k),
        tranche_k=np.tile(np.arange(k), len(market_idx)),
        tranche_tail=np.repeat(split_out[market_nodes], k),
        tranche_cap=tcap.ravel(),
        tranche_cost=(offset - rev).ravel(),
        hold_nodes=hold,
        supply=sup,
        offset=offset,
        edge_k=edge_k,
        cost_bound=int(cost_bound),
    )


@njit(cache=True)
def _tranche_arcs(cost, slope, cap, flat_cost, total):  # pragma: no cover - compiled
    """The edge arcs of :func:`build_plan` with volume tranches, without the tranches that have no capacity.

    Each edge whose slope is above 0 gets ``_kernels.edge_tranches``' arcs
    (its formula, ``tranche_bound`` and ``tranche_cost``, without an array per edge); every other
    edge one arc of capacity ``cap`` and cost ``flat_cost``. A tranche above
    the first whose capacity is 0 (the edge's capacity or the kilograms in
    play end below it) can carry nothing, so it is left out: the flows and
    their costs are the same with or without it. Returns the edge of each arc
    (a row of the inputs), its tranche, capacity and cost, and the largest
    |cost| among the arcs left out (the cost perturbation's scale is that of
    the full problem, so the plan is too).
    """
    n_k = RISK_SHARES.shape[0] - 1
    lo = np.empty(n_k + 1, np.int64)
    for j in range(n_k + 1):
        lo[j] = tranche_bound(j, total)
    n = cost.shape[0]
    size = 0
    for i in range(n):
        if slope[i] > 0.0:
            size += 1
            for j in range(1, n_k):
                if min(lo[j + 1], cap[i]) - lo[j] > 0:
                    size += 1
        else:
            size += 1
    rows = np.empty(size, np.int64)
    ks = np.empty(size, np.int64)
    caps = np.empty(size, np.int64)
    costs = np.empty(size, np.int64)
    bound = 0
    a = 0
    for i in range(n):
        if slope[i] > 0.0:
            for j in range(n_k):
                c = max(min(lo[j + 1], cap[i]) - lo[j], 0)
                u = tranche_cost(cost[i], slope[i], j)
                if j == 0 or c > 0:
                    rows[a] = i
                    ks[a] = j
                    caps[a] = c
                    costs[a] = u
                    a += 1
                elif abs(u) > bound:
                    bound = abs(u)
        else:
            rows[a] = i
            ks[a] = 0
            caps[a] = cap[i]
            costs[a] = flat_cost[i]
            a += 1
    return rows, ks, caps, costs, bound


# arc kinds in the identity keys of :func:`arc_keys` (bits 40 and up)
_KIND_SHIFT = 40
#: perturbed costs stay below this (times the node count, both solvers' working range)
_PERTURB_BUDGET = 2 ** 57
#: largest tie-breaking range (values of the arc-identity term)
_PERTURB_MAX = 2 ** 20


@dataclass
class WarmStart:
    """One organisation's network-simplex basis from its previous plan, keyed by arc identity."""

    keys: np.ndarray | None = None    # sorted arc keys
    state: np.ndarray | None = None   # LOWER / UPPER / TREE of each key
    roots: np.ndarray | None = None   # solver node ids that hung from the artificial root
    pivots: int = 0                   # pivots of the last solve (diagnostics)


def arc_keys(p: PlanInput) -> np.ndarray:
    """A stable int64 identity per arc, in :func:`solve_plan`'s arc order (edge, split, tranche, hold)."""
    k = np.int64(1) << _KIND_SHIFT
    n_k = len(TRANCHE_MID) + 1
    edges = np.asarray(p.edge_idx, np.int64)
    if p.edge_k is not None:  # an edge's volume tranches above the first are arcs of their own kind
        ek = np.asarray(p.edge_k, np.int64)
        edges = np.where(ek == 0, edges, 4 * k + edges * (len(RISK_SHARES) - 1) + ek)
    return np.concatenate([
        edges,
        k + np.asarray(p.split_nodes, np.int64),
        2 * k + np.asarray(p.market_idx, np.int64) * n_k + np.asarray(p.tranche_k, np.int64),
        3 * k + np.asarray(p.hold_nodes, np.int64),
    ])


def _mix(keys: np.ndarray) -> np.ndarray:
    """splitmix64 of each key (a fixed pseudo-random value per arc identity)."""
    z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def perturb_costs(costs: np.ndarray, keys: np.ndarray, n_nodes: int, cost_bound: int = 0) -> np.ndarray:
    """Costs ``c * K + h(arc)`` with ``0 <= h < H`` and ``K = n_nodes * H``: a unique optimum that is also optimal for ``c``.

    A flow is optimal iff its residual graph has no negative cycle. A simple
    cycle has at most ``n_nodes`` arcs, so its perturbation is below ``K`` in
    absolute value: a cycle that costs at least 1 under ``c`` keeps its sign,
    and the perturbed optimum is an optimum of ``c``. Among ``c``'s optima the
    pseudo-random term ``h`` (a hash of the arc's identity, not of its
    position) separates ties almost surely, so both solvers return the same
    plan. ``H`` is the largest power of two (at most 2**20) that keeps the
    scaled costs times the node count within the solvers' int64 range; with
    huge costs it is 1 (no tie-breaking). ``cost_bound`` counts costs of
    arcs left out of ``costs`` (``PlanInput.cost_bound``) into that scale, so
    leaving out arcs that can carry nothing leaves every other arc's
    perturbed cost, and the plan, as in the full problem. ``h`` is not injective: two arcs
    may draw the same value, and two optima that differ only in such arcs
    (for example parallel arcs of equal cost) remain tied, which each solver
    then breaks its own way.
    """
    c0 = max(int(np.abs(costs).max(initial=0)), int(cost_bound)) + 1
    n = max(int(n_nodes), 1)
    budget = _PERTURB_BUDGET // (c0 * n * n)
    if budget < 2:
        return costs
    h_range = min(_PERTURB_MAX, 1 << (budget.bit_length() - 1))
    h = (_mix(keys) % np.uint64(h_range)).astype(np.int64)
    return costs * np.int64(n * h_range) + h


def solve_plan(p: PlanInput, n_edges: int, solver: str = "ortools", warm: WarmStart | None = None) -> PlanResult:
    """Solve exactly with OR-Tools' min-cost flow (``"ortools"``) or the warm-started network simplex (``"simplex"``).

    Both solve the same problem: nodes without arcs are left out and the costs
    are perturbed by an arc-identity term (:func:`perturb_costs`), so the
    optimum is unique and both solvers return the same plan almost surely
    (see :func:`perturb_costs` for when a tie survives). ``warm`` carries
    the network simplex's basis from the organisation's previous plan and is
    updated in place; the result does not depend on it.
    """
    total = int(p.supply.sum())
    if total == 0:
        return PlanResult(np.zeros(n_edges), np.zeros(len(p.tranche_cap), dtype=np.int64), 0.0, "empty")
    q = _solver_form(p)
    t, h, caps, costs, pcosts, keys, n, sup = q.tails, q.heads, q.caps, q.costs, q.pcosts, q.keys, q.n, q.supply
    if solver == "simplex":
        lazy = np.zeros(len(keys), np.bool_)
        if p.edge_k is not None:  # an edge's volume tranches above the first are priced once they can enter
            lazy[:len(p.edge_k)] = p.edge_k > 0
        flows = _solve_simplex(n, t, h, caps, pcosts, sup, keys, q.active, q.used, q.local, warm, lazy)
    elif solver == "ortools":
        smcf = min_cost_flow.SimpleMinCostFlow()
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(t.astype(np.int32), h.astype(np.int32), caps, pcosts)
        smcf.set_nodes_supplies(np.arange(n, dtype=np.int32), sup)
        status = smcf.solve()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"planning min-cost flow failed: {status}")
        flows = smcf.flows(arcs)
    else:
        raise ValueError(f"unknown planning solver {solver!r}")
    ne = len(p.edge_tail)
    ns = len(p.split_tail)
    # an edge's volume tranches are parallel arcs (integer kilograms: the float sums are exact)
    edge_flow = np.bincount(p.edge_idx, weights=flows[:ne], minlength=n_edges)
    tranche = flows[ne + ns: ne + ns + len(p.tranche_tail)]
    return PlanResult(edge_flow, tranche, float(int((flows * costs).sum())), "optimal")


class _SolverForm(NamedTuple):
    tails: np.ndarray    # arc ends as positions among the active nodes
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray    # unperturbed
    pcosts: np.ndarray   # perturbed (:func:`perturb_costs`)
    keys: np.ndarray     # arc identities (:func:`arc_keys`)
    n: int               # active nodes
    supply: np.ndarray   # per active node, the sink's demand included
    active: np.ndarray   # solver node id of each active node
    used: np.ndarray     # bool per solver node
    local: np.ndarray    # solver node id -> active position


def _solver_form(p: PlanInput) -> _SolverForm:
    """The arcs of ``p`` in the solvers' order (edge, split, tranche, hold) over the nodes that have arcs."""
    total = int(p.supply.sum())
    tails = np.concatenate([p.edge_tail, p.split_tail, p.tranche_tail, p.hold_nodes])
    heads = np.concatenate([
        p.edge_head, p.split_head, np.full(len(p.tranche_tail), p.sink), np.full(len(p.hold_nodes), p.sink),
    ])
    caps = np.concatenate([p.edge_cap, p.split_cap, p.tranche_cap, p.supply[p.hold_nodes]])
    costs = np.concatenate([
        p.edge_cost, np.zeros(len(p.split_tail), dtype=np.int64), p.tranche_cost,
        np.full(len(p.hold_nodes), p.offset, dtype=np.int64),
    ])
    keys = arc_keys(p)
    supplied = np.flatnonzero(p.supply)
    used = np.zeros(p.n_solver_nodes, np.bool_)
    used[tails] = True
    used[heads] = True
    used[supplied] = True
    used[p.sink] = True
    active = np.flatnonzero(used)
    n = len(active)
    local = np.cumsum(used) - 1  # solver node -> position among the active nodes
    sup = np.zeros(n, np.int64)
    sup[local[supplied]] = p.supply[supplied]
    sup[local[p.sink]] -= total
    return _SolverForm(local[tails], local[heads], caps, costs, perturb_costs(costs, keys, n, p.cost_bound), keys,
                       n, sup, active, used, local)


def perturbed_arc_costs(p: PlanInput) -> tuple[np.ndarray, np.ndarray]:
    """Each arc's identity (:func:`arc_keys`) and perturbed cost, as both solvers see them."""
    q = _solver_form(p)
    return q.keys, q.pcosts


def _solve_simplex(n, tails, heads, caps, costs, supply, keys, active, used, local, warm, lazy):
    from ._netsimplex import LOWER, fits, network_simplex_lazy

    if not fits(n, int(np.abs(costs).max(initial=0))):
        raise RuntimeError("planning: costs per kg are too large for the exact integer solver; "
                           "check the scenario's costs, prices and risk aversion")
    state = np.full(len(keys), LOWER, np.int8)
    roots = np.zeros(0, np.int64)
    if warm is not None and warm.keys is not None and len(warm.keys):
        pos = np.minimum(np.searchsorted(warm.keys, keys), len(warm.keys) - 1)
        hit = warm.keys[pos] == keys
        state[hit] = warm.state[pos[hit]]
        r = warm.roots
        r = r[r < len(used)]
        roots = local[r[used[r]]].astype(np.int64)
    flows, new_state, new_roots, ok, pivots = network_simplex_lazy(
        n, tails.astype(np.int64), heads.astype(np.int64), caps.astype(np.int64), costs.astype(np.int64),
        supply, state, roots, lazy)
    if not ok:
        raise RuntimeError("planning min-cost flow failed: the supplies cannot all be routed")
    if warm is not None:
        if (keys[1:] > keys[:-1]).all():  # arc_keys lists kinds and ids in increasing order
            warm.keys, warm.state = keys, new_state
        else:
            order = np.argsort(keys, kind="stable")
            warm.keys = keys[order]
            warm.state = new_state[order]
        warm.roots = active[new_roots]
        warm.pivots = int(pivots)
    return flows
