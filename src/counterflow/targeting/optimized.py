"""The ``optimized`` targeting rule: maximum-flow interdiction on the network enforcement sees.

Each time a lever using ``rule: optimized`` fires, the rule builds the network
as enforcement currently knows it (:func:`counterflow.targeting.observed_graph`:
known nodes and edges with their capacities; node capacities scaled by what
strikes left intact), feeds each source with the flow observed leaving it
(its production if none is seen yet), joins markets to a super-sink, and
solves Wood's maximum-flow interdiction with the candidates as the only
interdictable nodes. Budget: ``targets.budget`` in the lever's money, each node
costing the lever's ``unit_cost`` (1 if that is 0); without a budget, ``k``
strikes. When no plan lowers that maximum flow (spare capacity absorbs any
affordable strike), it solves again with the observed flows as capacities,
i.e. cuts the most flow now moving. It returns the optimal plan's nodes
(possibly fewer than ``k`` when more strikes would not lower the static
maximum flow) and records each solve
in ``state.lever_memory["optimized"]`` (step, flow before and after, nodes).

The plan is a static optimum: it assumes the network does not re-route to
unseen (dormant) sites, rebuild, or respond to prices, which the simulation
does. Comparing its promised cut with the delivered one is the point
(see ``docs/optimize.md``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..kinds import NODE_KINDS
from .observed import observed_graph

if TYPE_CHECKING:
    from ..optimize.graph import InterdictionNetwork

__all__ = ["optimized_rule", "observed_network"]


def observed_network(net, state, candidates: np.ndarray, node_cost: float = 1.0,
                     capacity: str = "capacity") -> InterdictionNetwork | None:
    """The s-t network enforcement sees, with ``candidates`` interdictable at ``node_cost`` each.

    ``capacity="capacity"`` uses the known edge and node capacities; ``"flow"`` uses the flow
    observed on each edge instead (what is moving now, ignoring spare capacity). Returns ``None``
    when no source or no market is visible.
    """
    from ..optimize.graph import SUPER_SINK, SUPER_SOURCE, InterdictionNetwork

    g = observed_graph(net, state)
    src_kind, mkt_kind = NODE_KINDS.index("source"), NODE_KINDS.index("market")
    ids = net.node_ids
    rows = [{"from": ids[a], "to": ids[b], "capacity": d[capacity], "cost": d["cost"]}
            for a, b, d in g.edges(data=True)]
    sources = [v for v in g.nodes if net.node_kind[v] == src_kind and g.out_degree(v) > 0]
    markets = [v for v in g.nodes if net.node_kind[v] == mkt_kind and g.in_degree(v) > 0]
    if not sources or not markets:
        return None
    for v in sources:
        seen = sum(d["flow"] for _, _, d in g.out_edges(v, data=True))
        supply = seen if seen > 0 else float(net.org_production[:, v].sum())
        rows.append({"from": SUPER_SOURCE, "to": ids[v], "capacity": supply if supply > 0 else math.inf})
    rows += [{"from": ids[v], "to": SUPER_SINK, "capacity": math.inf} for v in markets]
    cand = {int(v) for v in candidates}
    nodes = [{"id": ids[v], "capacity": float(net.node_cap[v] * state.cap_factor[v]) if capacity == "capacity"
              else math.inf,
              "interdiction_cost": node_cost if v in cand else None}
             for v in g.nodes if g.degree(v) > 0]
    return InterdictionNetwork.from_edges(rows, source=SUPER_SOURCE, sink=SUPER_SINK, nodes=nodes)


def optimized_rule(net, state, candidates: np.ndarray, k: int, rng: np.random.Generator, lever) -> np.ndarray:
    """Nodes of the budget-feasible plan minimising the maximum flow enforcement can see.

    Registered as the ``optimized`` node rule by :mod:`counterflow.targeting`.
    """
    from ..optimize.maxflow import max_flow_interdiction

    spec = getattr(lever, "spec", None)
    targets = getattr(spec, "targets", None)
    budget = getattr(targets, "budget", None)
    unit = float(getattr(spec, "unit_cost", 0.0) or 0.0)
    if budget is not None:
        cost = unit if unit > 0 else 1.0
    else:
        cost, budget = 1.0, float(k)
    onet = observed_network(net, state, np.asarray(candidates), cost)
    if onet is None or len(candidates) == 0:
        return np.zeros(0, dtype=np.int64)
    res = max_flow_interdiction(onet, budget)
    if res.value_after >= res.value_before:
        fnet = observed_network(net, state, np.asarray(candidates), cost, capacity="flow")
        if fnet is not None:  # the same sources and markets are visible as for onet
            res = max_flow_interdiction(fnet, budget)
    chosen = np.array(sorted(net.node_index[v] for v in res.nodes), dtype=np.int64)
    state.lever_memory.setdefault("optimized", []).append(
        {"t": int(state.t), "before": res.value_before, "after": res.value_after, "nodes": list(res.nodes),
         "status": res.status})
    return chosen
