"""Movement: landing of loads, dispatch along the plan, and seizures."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .state import RunState

__all__ = ["land_arrivals", "seizure_probability", "dispatch"]


def land_arrivals(net: Network, state: RunState) -> tuple[np.ndarray, np.ndarray]:
    """Move loads due this step from edges into stock; sell those reaching markets.

    Returns
    -------
    delivered : ndarray [O, M]
        kg sold at each market by each organisation this step.
    arrived : ndarray [O, N]
        kg that landed at each node (markets included).
    """
    slot = state.t % state.transit.shape[2]
    due = state.transit[:, :, slot]
    n, o = net.n_nodes, net.n_orgs
    arrived = np.zeros((o, n))
    if due.any():
        for k in range(o):
            if due[k].any():
                arrived[k] = np.bincount(net.edge_dst, weights=due[k], minlength=n)
        due[:] = 0.0
    state.stock += arrived
    delivered = state.stock[:, net.market_node].copy()
    state.stock[:, net.market_node] = 0.0
    return delivered, arrived


def seizure_probability(net: Network, state: RunState) -> np.ndarray:
    """Effective seizure probability per load on each edge [E].

    Combines the edge's risk (plus lever additions) with the enforcement of
    the node the load leaves, net of the jurisdiction's corruption.
    """
    p_edge = np.clip(net.edge_risk + state.edge_risk_add, 0.0, 1.0)
    p_node = np.clip(net.node_enf * (1.0 - state.corruption[net.node_juris]) + state.node_enf_add, 0.0, 1.0)
    return 1.0 - (1.0 - p_edge) * (1.0 - p_node[net.edge_src])


def dispatch(
    net: Network,
    state: RunState,
    org: int,
    plan_flow: np.ndarray,
    p_seize: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Send the organisation's stock one hop along its plan.

    Each node sends ``min(stock, planned out-flow)``, split over its out-edges
    in proportion to the plan; loads are seized per load (binomial) and the
    rest travel for the edge's ``time`` steps.

    Returns ``(sent [E], seized [E], out_by_node [N])`` in kg.
    """
    n = net.n_nodes
    out_plan = np.bincount(net.edge_src, weights=plan_flow, minlength=n)
    has = out_plan > 0
    ratio = np.zeros(n)
    ratio[has] = np.minimum(state.stock[org, has], out_plan[has]) / out_plan[has]
    sent = plan_flow * ratio[net.edge_src]
    used = np.flatnonzero(sent > 0)
    seized = np.zeros_like(sent)
    if used.size:
        kg = sent[used]
        loads = np.maximum(np.ceil(kg / net.edge_load_kg[used] - 1e-9), 1.0).astype(np.int64)
        hit = rng.binomial(loads, p_seize[used])
        seized[used] = kg * hit / loads
        slots = state.transit.shape[2]
        arrive = (state.t + net.edge_time[used]) % slots
        state.transit[org, used, arrive] += kg - seized[used]
    out_by_node = np.bincount(net.edge_src, weights=sent, minlength=n)
    state.stock[org] -= out_by_node
    np.maximum(state.stock[org], 0.0, out=state.stock[org])
    state.prev_out[org] = out_plan
    return sent, seized, out_by_node
