"""Stochastic maximum-flow interdiction (Cormican, Morton & Wood 1998).

Each attempted interdiction of arc ``a`` succeeds with probability
``success_prob[a]``, independently; the interdictor minimises the *expected*
maximum flow. For a success pattern ``omega`` the inner problem is Wood's
minimum cut with ``gamma_a`` effective only where ``omega_a = 1``; the
deterministic equivalent stacks one cut block per pattern, sharing ``gamma``::

    min  sum_omega P(omega) sum_a u_a beta^omega_a
    s.t. alpha^omega_i - alpha^omega_j + beta^omega_a + omega_a gamma_a >= 0

* ``method="exact"``: every success pattern of the uncertain candidate items
  (those with ``0 < p < 1``), weighted by its probability; used when there are
  at most ``max_scenarios`` patterns. The optimum is the true optimum.
* ``method="saa"``: sample-average approximation over ``samples`` patterns
  drawn with ``seed``; the plan is then evaluated exactly (or by Monte Carlo
  when it attempts more than ``max_exact_eval`` uncertain items) and the result
  says which (``eval_samples`` Monte Carlo patterns).

The stochastic optimum is in general not the deterministic optimum, nor the
optimum on expected capacities: attempting two interdictions on one path can
beat spreading them (see ``tests/optimize``).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import scipy.sparse as sp

from ._milp import solve_milp
from .evaluate import max_flow_value
from .graph import InterdictionNetwork
from .maxflow import wood_model
from .result import InterdictionResult, check_budget, make_result, plan_items

__all__ = ["expected_max_flow_interdiction", "expected_max_flow_value"]


def expected_max_flow_value(net: InterdictionNetwork, edges=(), nodes=(), *, max_exact: int = 10,
                            samples: int = 2000, seed: int = 0) -> tuple[float, str]:
    """Expected maximum flow when the plan's interdictions each succeed with their probability.

    Exact (every success pattern) when the plan has at most ``max_exact`` uncertain items, else a
    Monte Carlo mean over ``samples`` patterns. Returns ``(value, "exact" | "monte-carlo")``.
    """
    edges, nodes = list(edges), list(nodes)
    items = [("e", e, float(net.success_prob[e])) for e in edges] + \
            [("n", v, float(net.node_success_prob[v])) for v in nodes]
    sure = [it for it in items if it[2] >= 1.0]
    unsure = [it for it in items if 0.0 < it[2] < 1.0]

    def flow(on: list) -> float:
        chosen = sure + on
        return max_flow_value(net, [i for k, i, _ in chosen if k == "e"], [i for k, i, _ in chosen if k == "n"])

    if len(unsure) <= max_exact:
        total = 0.0
        for pattern in itertools.product((0, 1), repeat=len(unsure)):
            prob = math.prod(p if b else 1.0 - p for b, (_, _, p) in zip(pattern, unsure, strict=True))
            total += prob * flow([it for b, it in zip(pattern, unsure, strict=True) if b])
        return total, "exact"
    rng = np.random.default_rng(seed)
    vals = [flow([it for it in unsure if rng.random() < it[2]]) for _ in range(samples)]
    return float(np.mean(vals)), "monte-carlo"


def expected_max_flow_interdiction(net: InterdictionNetwork, budget: float, *, max_scenarios: int = 256,
                                   samples: int = 100, seed: int = 0, max_exact_eval: int = 10,
                                   eval_samples: int = 2000, time_limit: float | None = None, mip_rel_gap: float = 1e-6
                                   ) -> InterdictionResult:
    """Choose interdictions, within ``budget``, minimising the expected maximum s-t flow.

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
    >>> r.value_after, r.edges, r.method
    (3.5, [('a', 'b'), ('b', 'c')], 'exact')
    """
    t0 = time.perf_counter()
    budget = check_budget(budget)
    arcs = net.arcs()
    n, m = arcs.n, arcs.m
    before = max_flow_value(net)
    c0, a0, rlo0, rhi0, clo0, chi0, int0, cand = wood_model(arcs, budget)
    k = cand.size
    p = arcs.prob[cand]
    unsure = np.flatnonzero((p > 0) & (p < 1))
    if 2 ** unsure.size <= max_scenarios:
        method = "exact"
        patterns, weights = [], []
        for bits in itertools.product((0, 1), repeat=unsure.size):
            on = (p >= 1).astype(float)
            on[unsure] = bits
            patterns.append(on)
            weights.append(math.prod(p[j] if b else 1 - p[j] for j, b in zip(unsure, bits, strict=True)))
    else:
        method = "saa"
        rng = np.random.default_rng(seed)
        patterns = [(rng.random(k) < p).astype(float) for _ in range(samples)]
        weights = [1.0 / samples] * samples
    blocks, gcols = [], []
    a0 = sp.csr_matrix(a0)
    core = a0[:m, : n + m]
    gam = sp.csr_matrix(a0[:m, n + m:])
    for on in patterns:
        blocks.append(core)
        gcols.append(gam @ sp.diags(on))
    s_count = len(patterns)
    big = sp.bmat([[sp.block_diag(blocks), sp.vstack(gcols)],
                   [None, a0[m:, n + m:]]], format="csc")
    c = np.concatenate([np.concatenate([w * c0[: n + m] for w in weights]), np.zeros(k)])
    col_lo = np.concatenate([np.tile(clo0[: n + m], s_count), clo0[n + m:]])
    col_hi = np.concatenate([np.tile(chi0[: n + m], s_count), chi0[n + m:]])
    row_lo = np.concatenate([np.tile(rlo0[:m], s_count), rlo0[m:]])
    row_hi = np.concatenate([np.tile(rhi0[:m], s_count), rhi0[m:]])
    integer = np.concatenate([np.zeros((n + m) * s_count, dtype=bool), np.ones(k, dtype=bool)])
    sol = solve_milp(c, big, row_lo, row_hi, col_lo, col_hi, integer, time_limit=time_limit,
                     mip_rel_gap=mip_rel_gap)
    edges, nodes = ([], []) if sol.x is None else plan_items(net, arcs, cand[sol.x[(n + m) * s_count:] > 0.5])
    after, how = expected_max_flow_value(net, edges, nodes, max_exact=max_exact_eval, samples=eval_samples,
                                         seed=seed)
    status = "optimal" if sol.status == "infeasible" else sol.status
    return make_result("expected-max-flow", net, edges, nodes, before=before, after=after, status=status,
                       gap=sol.gap, bound=sol.bound, seconds=time.perf_counter() - t0, budget=budget,
                       method=method, detail={"scenarios": s_count, "evaluation": how,
                                              "milp_objective": sol.objective})
