"""What enforcement sees of the network: the nodes it knows of and the graph of observed flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..kinds import NODE_KINDS

if TYPE_CHECKING:
    import networkx as nx

    from ..engine.state import RunState
    from ..network import Network

__all__ = ["visible_nodes", "observed_graph"]


def visible_nodes(net: Network, state: RunState, kind: str | None) -> np.ndarray:
    """Nodes enforcement knows of: not dormant or seen carrying flow; intact; of ``kind``."""
    seen = (~net.node_dormant) | (state.node_flow > 0)
    mask = seen & (state.cap_factor > 0)
    if kind is not None:
        mask &= net.node_kind == NODE_KINDS.index(kind)
    return np.flatnonzero(mask)


def observed_graph(net: Network, state: RunState) -> nx.DiGraph:
    """The network as enforcement sees it: known nodes and edges, weighted by observed flow."""
    seen = (~net.node_dormant) | (state.node_flow > 0)
    import networkx as nx  # loaded by the rules that use a graph, not with the engine

    g = nx.DiGraph()
    g.add_nodes_from(np.flatnonzero(seen).tolist())
    ok = seen[net.edge_src] & seen[net.edge_dst] & ((~net.edge_dormant) | (state.edge_flow > 0))
    for e in np.flatnonzero(ok):
        g.add_edge(int(net.edge_src[e]), int(net.edge_dst[e]), flow=float(state.edge_flow[e]),
                   capacity=float(net.edge_cap[e]), cost=float(net.edge_cost[e]), index=int(e))
    return g
