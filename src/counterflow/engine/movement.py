"""Movement: landing of loads and seizure probabilities (dispatch is compiled, see ``_kernels``)."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .state import RunState

__all__ = ["land_arrivals", "seizure_probability"]


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
