"""Targeting rules: which nodes, edges, jurisdictions or organisations a lever acts on when it fires.

Rules are plain functions registered in :data:`NODE_RULES` (networkx
style: pluggable callables). Each receives the candidate nodes — those
enforcement can see (not dormant, or carrying observed flow), of the
requested kind, and not already destroyed — and returns up to ``k`` of them.

Each rule declares what it applies to: node rules are registered in
:data:`NODE_RULES`, edge rules in :data:`EDGE_RULES`, and the rules that
rank jurisdictions and organisations are listed in
:data:`JURISDICTION_RULES` and :data:`ORGANISATION_RULES`
(:func:`rules_for` gives the names for each). A rule asked of something it
does not apply to is an error naming the rules that do, never a silent
fallback to another rule.

What enforcement sees of the network is in :mod:`counterflow.targeting.observed`;
the ``optimized`` rule, which calls the interdiction planner
(:mod:`counterflow.optimize`), is in :mod:`counterflow.targeting.optimized` and
registered below like the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..kinds import EDGE_MODES
from .observed import observed_graph, visible_nodes
from .optimized import optimized_rule

if TYPE_CHECKING:
    import networkx as nx

    from ..engine.state import RunState
    from ..network import Network
    from ..strategy_types import Targets

__all__ = ["NODE_RULES", "select_nodes", "visible_nodes", "register_node_rule", "observed_graph",
           "EDGE_RULES", "register_edge_rule", "visible_edges", "zone_edges", "select_edges",
           "select_jurisdictions", "select_organisations", "node_betweenness", "active_graph",
           "JURISDICTION_RULES", "ORGANISATION_RULES", "rules_for"]

NodeRule = Callable[["Network", "RunState", np.ndarray, int, np.random.Generator, object], np.ndarray]
NODE_RULES: dict[str, NodeRule] = {}


def _registrar(table: dict) -> Callable[[str], Callable]:
    """A decorator factory that adds a rule function to ``table`` under a name."""
    def register(name: str) -> Callable:
        def deco(fn: Callable) -> Callable:
            table[name] = fn
            return fn
        return deco
    return register


register_node_rule = _registrar(NODE_RULES)


def top_k(score: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` candidates with the highest positive score (ties keep the candidates' order)."""
    vals = score[candidates]
    order = np.argsort(-vals, kind="stable")[:k]
    return candidates[order][vals[order] > 0]


def random_k(candidates: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` candidates drawn without replacement, sorted."""
    if candidates.size == 0:
        return candidates
    return np.sort(rng.choice(candidates, size=min(k, candidates.size), replace=False))


@register_node_rule("top_throughput")
def _top_throughput(net, state, candidates, k, rng, lever):
    return top_k(state.node_flow, candidates, k)


@register_node_rule("random")
def _random(net, state, candidates, k, rng, lever):
    return random_k(candidates, k, rng)


def active_graph(net: Network, state: RunState) -> tuple[nx.DiGraph, bytes]:
    """The network in use: edges seen carrying flow at the last step (all known edges if none was seen).

    Returns the graph and a key identifying it (for caching centralities).
    Position is measured here rather than on every known edge because
    traffickers re-route around what is hit: a site that was central in the
    known network but has been emptied keeps its static betweenness, so a
    static rule strikes it again and again while the flow runs elsewhere.
    """
    used = state.edge_flow > 0
    if not used.any():
        seen = (~net.node_dormant) | (state.node_flow > 0)
        used = seen[net.edge_src] & seen[net.edge_dst] & ~net.edge_dormant
    import networkx as nx  # loaded by the rules that use a graph, not with the engine

    g = nx.DiGraph()
    for e in np.flatnonzero(used):
        g.add_edge(int(net.edge_src[e]), int(net.edge_dst[e]), cost=float(net.edge_cost[e]), index=int(e))
    return g, np.packbits(used).tobytes()


def _cached(state: RunState, key: tuple, compute: Callable[[], dict]) -> dict:
    cache = state.lever_memory.setdefault("betweenness_cache", {})
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = compute()
    return cache[key]


@register_node_rule("betweenness")
def _betweenness(net, state, candidates, k, rng, lever):
    score = node_betweenness(net, state)
    vals = score[candidates]
    order = np.argsort(-vals, kind="stable")
    return candidates[order[:k]]


def select_nodes(targets: Targets, net: Network, state: RunState, rng: np.random.Generator,
                 *, default_kind: str | None = None, lever=None) -> np.ndarray:
    """Resolve a target description to node indices for this firing."""
    if targets.nodes:
        return np.array([net.node_index[v] for v in targets.nodes], dtype=np.int64)
    kind = targets.kind if targets.kind is not None else default_kind
    candidates = visible_nodes(net, state, kind)
    rule = NODE_RULES.get(targets.rule or "")
    if rule is None:
        raise _unknown(targets.rule, "nodes")
    return np.asarray(rule(net, state, candidates, targets.k, rng, lever), dtype=np.int64)


# ---------------------------------------------------------------- edges
EdgeRule = Callable[["Network", "RunState", np.ndarray, int, np.random.Generator, object], np.ndarray]
EDGE_RULES: dict[str, EdgeRule] = {}


register_edge_rule = _registrar(EDGE_RULES)


def visible_edges(net: Network, state: RunState) -> np.ndarray:
    """Edges enforcement knows of: not dormant, or seen carrying flow."""
    return np.flatnonzero((~net.edge_dormant) | (state.edge_flow > 0))


@register_edge_rule("top_throughput")
def _edge_top_throughput(net, state, candidates, k, rng, lever):
    return top_k(state.edge_flow, candidates, k)


@register_edge_rule("random")
def _edge_random(net, state, candidates, k, rng, lever):
    return random_k(candidates, k, rng)


@register_edge_rule("betweenness")
def _edge_betweenness(net, state, candidates, k, rng, lever):
    g, gkey = active_graph(net, state)

    def compute():
        import networkx as nx

        raw = nx.edge_betweenness_centrality(g, weight="cost", normalized=True)
        return {g.edges[uv]["index"]: val for uv, val in raw.items()}

    score = _cached(state, ("edge", gkey), compute)
    vals = np.array([score.get(int(e), 0.0) for e in candidates])
    order = np.argsort(-vals, kind="stable")
    return candidates[order[:k]]


def zone_edges(targets: Targets, net: Network, *, default_mode: str | None = None) -> np.ndarray:
    """All edges a zone covers: named edges, or edges of ``mode`` leaving nodes in ``jurisdictions``."""
    if targets.edges:
        return np.array([net.edge_index[e] for e in targets.edges], dtype=np.int64)
    mask = np.ones(net.n_edges, dtype=bool)
    mode = targets.mode if targets.mode is not None else default_mode
    if mode is not None:
        mask &= net.edge_mode == EDGE_MODES.index(mode)
    if targets.jurisdictions:
        jset = [net.juris_ids.index(j) for j in targets.jurisdictions]
        mask &= np.isin(net.node_juris[net.edge_src], jset)
    if targets.nodes:
        nset = [net.node_index[v] for v in targets.nodes]
        mask &= np.isin(net.edge_src, nset) | np.isin(net.edge_dst, nset)
    return np.flatnonzero(mask)


def select_edges(targets: Targets, net: Network, state: RunState, rng: np.random.Generator,
                 *, default_mode: str | None = None, lever=None) -> np.ndarray:
    """Resolve a zone description to edge indices for this firing.

    Without a rule the whole zone is returned; with a rule, up to ``k`` of the
    zone's visible edges chosen by it.
    """
    zone = zone_edges(targets, net, default_mode=default_mode)
    if not targets.rule:
        return zone
    candidates = np.intersect1d(zone, visible_edges(net, state))
    rule = EDGE_RULES.get(targets.rule)
    if rule is None:
        raise _unknown(targets.rule, "edges")
    return np.asarray(rule(net, state, candidates, targets.k, rng, lever), dtype=np.int64)


# --------------------------------------------------- jurisdictions, organisations
JURISDICTION_RULES: tuple[str, ...] = ("top_throughput", "betweenness", "random")
ORGANISATION_RULES: tuple[str, ...] = ("top_throughput", "betweenness", "random")


def rules_for(what: str) -> tuple[str, ...]:
    """The names of the rules that select ``what`` (nodes, edges, jurisdictions or organisations)."""
    if what == "nodes":
        return tuple(sorted(NODE_RULES))
    if what == "edges":
        return tuple(sorted(EDGE_RULES))
    if what == "jurisdictions":
        return JURISDICTION_RULES
    if what == "organisations":
        return ORGANISATION_RULES
    raise ValueError(f"rules select nodes, edges, jurisdictions or organisations, not '{what}'")


def _unknown(rule: str | None, what: str) -> ValueError:
    return ValueError(f"targeting rule '{rule}' does not select {what}; the rules for {what} are "
                      f"{', '.join(rules_for(what))}")


def _rule_or_default(targets: Targets, what: str, known: tuple[str, ...]) -> str:
    """The rule asked for (``top_throughput`` when none is given); an unknown one is an error."""
    rule = targets.rule or "top_throughput"
    if rule not in known:
        raise _unknown(rule, what)
    return rule
def _max_flow(net: Network, state: RunState, removed: int) -> float:
    """Observed supply that the known network, with the capacity left, can carry to markets without ``removed``.

    Nodes are split (in -> out, capacity left); sources are fed last step's throughput; parallel
    edges add their capacities. Solved by scipy's compiled maximum flow on capacities in grams
    (integers; at most a gram per arc from the exact value).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    n = net.n_nodes
    keep = (~net.node_dormant) | (state.node_flow > 0)
    if removed >= 0:
        keep = keep.copy()
        keep[removed] = False
    src = np.flatnonzero(net.kind_mask("source") & keep)
    markets = net.market_node[keep[net.market_node]]
    if src.size == 0 or markets.size == 0:
        return 0.0
    big = float(state.node_flow.sum()) + 1.0
    left = np.where(np.isfinite(net.node_cap), net.node_cap * state.cap_factor,
                    np.where(state.cap_factor >= 1.0, big, 0.0))
    nodes = np.flatnonzero(keep)
    ok = keep[net.edge_src] & keep[net.edge_dst] & ((~net.edge_dormant) | (state.edge_flow > 0))
    s_id, t_id = 2 * n, 2 * n + 1
    tails = np.concatenate([2 * nodes, np.full(src.size, s_id), 2 * markets + 1, 2 * net.edge_src[ok] + 1])
    heads = np.concatenate([2 * nodes + 1, 2 * src, np.full(markets.size, t_id), 2 * net.edge_dst[ok]])
    caps = np.concatenate([left[nodes], state.node_flow[src], np.full(markets.size, big), net.edge_cap[ok]])
    scale = min(1000.0, 2.0e9 / big)
    caps = np.floor(np.minimum(caps, big) * scale).astype(np.int32)
    graph = csr_matrix((caps, (tails, heads)), shape=(2 * n + 2, 2 * n + 2))
    return float(maximum_flow(graph, s_id, t_id, method="dinic").flow_value) / scale


@register_node_rule("criticality")
def _criticality(net, state, candidates, k, rng, lever):
    """Candidates ranked by the observed flow that cannot get round them with the capacity left.

    Score: the maximum flow of last step's production from the sources to the
    markets over the known network (capacities as left by strikes) minus the
    same without the candidate, plus a tie-break by observed throughput (the
    flow a strike would interrupt until re-routed). A site that is empty or
    already down scores nothing; a site every kilogram can bypass ranks by its
    throughput alone.
    """
    if candidates.size == 0:
        return candidates
    full = _max_flow(net, state, -1)
    score = np.zeros(net.n_nodes)
    for v in candidates:
        score[v] = max(full - _max_flow(net, state, int(v)), 0.0)
    tie = state.node_flow / (float(state.node_flow.max()) + 1.0)
    return top_k(score + tie, candidates, k)


def _rank(scores: np.ndarray, k: int, rng: np.random.Generator, rule: str) -> np.ndarray:
    idx = np.arange(scores.size)
    if rule == "random":
        return np.sort(rng.choice(idx, size=min(k, idx.size), replace=False)) if idx.size else idx
    order = np.argsort(-scores, kind="stable")[:k]
    return idx[order][scores[order] > 0] if rule == "top_throughput" else idx[order]


def node_betweenness(net: Network, state: RunState) -> np.ndarray:
    """Cost-weighted source-to-market betweenness of every node in the network in use [N].

    Only shortest paths from production areas to markets count (the pairs a
    supply chain connects), on the network in use (see :func:`active_graph`).
    """
    g, gkey = active_graph(net, state)
    sources = [v for v in np.flatnonzero(net.kind_mask("source")).tolist() if v in g]
    markets = [v for v in net.market_node.tolist() if v in g]

    def compute() -> dict:
        if not sources or not markets:
            return {}
        import networkx as nx

        return nx.betweenness_centrality_subset(g, sources, markets, normalized=False, weight="cost")

    score = _cached(state, ("node", gkey), compute)
    return np.array([score.get(v, 0.0) for v in range(net.n_nodes)])


def select_jurisdictions(targets: Targets, net: Network, state: RunState, rng: np.random.Generator,
                         lever=None) -> np.ndarray:
    """Resolve a jurisdiction target to jurisdiction indices for this firing.

    Rules score a jurisdiction by the observed flow through its non-market
    nodes (``top_throughput``) or the summed betweenness of its nodes
    (``betweenness``); ``random`` draws uniformly among those with nodes.
    """
    if targets.jurisdictions:
        return np.array([net.juris_ids.index(j) for j in targets.jurisdictions], dtype=np.int64)
    rule = _rule_or_default(targets, "jurisdictions", JURISDICTION_RULES)
    n_j = len(net.juris_ids)
    transit = ~net.kind_mask("market")
    if rule == "betweenness":
        node_score = node_betweenness(net, state)
    else:
        node_score = np.where(transit, state.node_flow, 0.0)
    scores = np.bincount(net.node_juris, weights=node_score, minlength=n_j)
    if rule == "random":
        has = np.flatnonzero(np.bincount(net.node_juris[transit], minlength=n_j) > 0)
        return np.sort(rng.choice(has, size=min(targets.k, has.size), replace=False)) if has.size else has
    return _rank(scores, targets.k, rng, rule)


def select_organisations(targets: Targets, net: Network, state: RunState, rng: np.random.Generator,
                         lever=None) -> np.ndarray:
    """Resolve an organisation target to organisation indices for this firing.

    ``top_throughput`` ranks organisations by the flow they moved last step,
    ``betweenness`` by the summed betweenness of the nodes they used recently.
    """
    if targets.organisations:
        return np.array([net.org_ids.index(o) for o in targets.organisations], dtype=np.int64)
    rule = _rule_or_default(targets, "organisations", ORGANISATION_RULES)
    if rule == "betweenness":
        recent = state.last_used >= state.t - 4
        scores = (recent * node_betweenness(net, state)[None, :]).sum(axis=1)
    else:
        scores = state.prev_out.sum(axis=1)
    return _rank(scores, targets.k, rng, rule)


# the interdiction planner's rule, in its own module (it calls counterflow.optimize)
register_node_rule("optimized")(optimized_rule)
