"""Targeting rules: which nodes or edges a lever acts on when it fires.

Rules are plain functions registered in :data:`NODE_RULES` (networkx
style: pluggable callables). Each receives the candidate nodes — those
enforcement can see (not dormant, or carrying observed flow), of the
requested kind, and not already destroyed — and returns up to ``k`` of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from .scenario import NODE_KINDS

if TYPE_CHECKING:
    from .engine.state import RunState
    from .network import Network
    from .strategy import Targets

__all__ = ["NODE_RULES", "select_nodes", "visible_nodes", "register_node_rule", "observed_graph"]

NodeRule = Callable[["Network", "RunState", np.ndarray, int, np.random.Generator, object], np.ndarray]
NODE_RULES: dict[str, NodeRule] = {}


def register_node_rule(name: str) -> Callable[[NodeRule], NodeRule]:
    def deco(fn: NodeRule) -> NodeRule:
        NODE_RULES[name] = fn
        return fn
    return deco


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
    g = nx.DiGraph()
    g.add_nodes_from(np.flatnonzero(seen).tolist())
    ok = seen[net.edge_src] & seen[net.edge_dst] & ((~net.edge_dormant) | (state.edge_flow > 0))
    for e in np.flatnonzero(ok):
        g.add_edge(int(net.edge_src[e]), int(net.edge_dst[e]), flow=float(state.edge_flow[e]),
                   capacity=float(net.edge_cap[e]), cost=float(net.edge_cost[e]), index=int(e))
    return g


@register_node_rule("top_throughput")
def _top_throughput(net, state, candidates, k, rng, lever):
    flow = state.node_flow[candidates]
    order = np.argsort(-flow, kind="stable")
    return candidates[order[:k]][flow[order[:k]] > 0]


@register_node_rule("random")
def _random(net, state, candidates, k, rng, lever):
    if candidates.size == 0:
        return candidates
    return np.sort(rng.choice(candidates, size=min(k, candidates.size), replace=False))


@register_node_rule("betweenness")
def _betweenness(net, state, candidates, k, rng, lever):
    g = observed_graph(net, state)
    key = ("betweenness", g.number_of_nodes(), g.number_of_edges())
    cache = state.lever_memory.setdefault("betweenness_cache", {})
    if key not in cache:
        cache[key] = nx.betweenness_centrality(g, weight="cost", normalized=True)
    score = cache[key]
    vals = np.array([score.get(int(v), 0.0) for v in candidates])
    order = np.argsort(-vals, kind="stable")
    return candidates[order[:k]]


def select_nodes(targets: Targets, net: Network, state: RunState, rng: np.random.Generator,
                 *, default_kind: str | None = None, lever=None) -> np.ndarray:
    """Resolve a target description to node indices for this firing."""
    if targets.nodes:
        return np.array([net.node_index[v] for v in targets.nodes], dtype=np.int64)
    kind = targets.kind if targets.kind is not None else default_kind
    candidates = visible_nodes(net, state, kind)
    rule = NODE_RULES.get(targets.rule)
    if rule is None:
        if targets.rule == "optimized":
            import counterflow.optimize  # noqa: F401  (registers the rule)

            rule = NODE_RULES.get("optimized")
        if rule is None:
            raise ValueError(f"targeting rule '{targets.rule}' is not available")
    return np.asarray(rule(net, state, candidates, targets.k, rng, lever), dtype=np.int64)
