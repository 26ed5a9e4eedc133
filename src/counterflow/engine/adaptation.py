"""Adaptation: expansion, consolidation, rebuilding (perceived risk is learned in ``_kernels.dispatch_org``)."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .costs import arc_cost
from .state import RunState

__all__ = ["adapt", "rebuild", "open_site"]


def open_site(net: Network, state: RunState, org: int, site_index: int) -> None:
    site = net.sites[site_index]
    for v in site.nodes:
        state.open_node[org, v] = True
        state.opened_at[org, v] = state.t
        state.last_used[org, v] = state.t
    for e in site.edges:
        state.open_edge[org, e] = True


def _close_site(state: RunState, org: int, site) -> None:
    for v in site.nodes:
        state.open_node[org, v] = False
        state.opened_at[org, v] = -1
    for e in site.edges:
        state.open_edge[org, e] = False


def _site_index(net: Network) -> dict:
    """Site lookup arrays, built once per network and cached on it.

    Node sites: their node and, as CSR segments, their incident in- and
    out-edges. Edge sites: their edge.
    """
    cached = net.cache.get("site_index")
    if cached is not None:
        return cached
    node_sites = np.array([i for i, s in enumerate(net.sites) if s.nodes], dtype=np.int64)
    edge_sites = np.array([i for i, s in enumerate(net.sites) if not s.nodes], dtype=np.int64)
    site_node = np.array([net.sites[i].nodes[0] for i in node_sites], dtype=np.int64)
    site_edge = np.array([net.sites[i].edges[0] for i in edge_sites], dtype=np.int64)
    pos = np.full(net.n_nodes, -1, dtype=np.int64)
    pos[site_node] = np.arange(site_node.size)

    def segments(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = pos[ends]
        edges = np.flatnonzero(owner >= 0)
        edges = edges[np.argsort(owner[edges], kind="stable")]
        counts = np.bincount(owner[edges], minlength=site_node.size)
        return edges, counts

    in_edges, in_count = segments(net.edge_dst)
    out_edges, out_count = segments(net.edge_src)
    cached = net.cache["site_index"] = {
        "node_sites": node_sites, "site_node": site_node, "edge_sites": edge_sites, "site_edge": site_edge,
        "in_edges": in_edges, "in_count": in_count, "out_edges": out_edges, "out_count": out_count,
    }
    return cached


def _segment_min(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Minimum of each consecutive segment of ``values`` (``inf`` for empty segments)."""
    out = np.full(counts.size, np.inf)
    nonempty = counts > 0
    if values.size:
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        out[nonempty] = np.minimum.reduceat(values, starts[nonempty])
    return out


def _site_scores(net: Network, state: RunState, org: int, worth: np.ndarray) -> list[tuple[float, int]]:
    """Candidate sites for ``org`` ranked by the cost of the cheapest segment through them.

    A dormant node's score is its cheapest usable in-edge plus its cheapest
    usable out-edge (usable: the other end is open to ``org``); a dormant
    edge's is twice its cost. Sites already open, pending, not allowed or
    not connected to open nodes are left out; ties go to the lower site
    index. Vectorised over all sites (the cost is O(E + sites) per call).

    Each arc is costed as the planners cost it (``costs.arc_cost``): perceived loss probability
    = edge belief plus the organisation's fear of the head node, ``worth`` from ``load_values``.
    """
    ix = _site_index(net)
    ra = net.org_risk_aversion[org]
    q = state.risk_belief[org] + state.node_fear[org][net.edge_dst]
    arc = arc_cost(net.edge_cost, ra, q, worth[net.edge_src])
    usable = state.open_node[org]
    pending = np.array([s for _, o, s in state.pending if o == org], dtype=np.int64)

    v = ix["site_node"]
    in_arc = np.where(usable[net.edge_src[ix["in_edges"]]], arc[ix["in_edges"]], np.inf)
    out_arc = np.where(usable[net.edge_dst[ix["out_edges"]]], arc[ix["out_edges"]], np.inf)
    best_in = _segment_min(in_arc, ix["in_count"])
    best_out = _segment_min(out_arc, ix["out_count"])
    ok_n = ~usable[v] & net.org_allowed[org, v] & np.isfinite(best_in) & np.isfinite(best_out)
    score_n = best_in + best_out

    e = ix["site_edge"]
    ok_e = ~state.open_edge[org, e] & usable[net.edge_src[e]] & usable[net.edge_dst[e]]
    score_e = 2.0 * arc[e]

    sites = np.concatenate((ix["node_sites"][ok_n], ix["edge_sites"][ok_e]))
    scores = np.concatenate((score_n[ok_n], score_e[ok_e]))
    if pending.size:
        keep = ~np.isin(sites, pending)
        sites, scores = sites[keep], scores[keep]
    order = np.lexsort((sites, scores))
    return [(float(scores[k]), int(sites[k])) for k in order]


def adapt(net: Network, state: RunState, org: int, loss_share: float, worth: np.ndarray) -> None:
    """Expand when smoothed losses exceed tolerance; consolidate after a calm spell.

    Dormant sites are ranked by ``_site_scores`` with arcs costed as the planners cost them.
    """
    p = net.scenario.parameters
    a = p.loss_smoothing
    smooth = (1.0 - a) * float(state.loss_smooth[org]) + a * loss_share
    state.loss_smooth[org] = smooth
    tol = float(net.org_loss_tolerance[org])
    if smooth > tol:
        state.calm_steps[org] = 0
        busy = any(o == org for _, o, _ in state.pending)
        if not busy and state.free_cash()[org] >= p.open_cost and net.sites:
            ranked = _site_scores(net, state, org, worth)
            if ranked:
                state.cash[org] -= p.open_cost
                state.pending.append((state.t + p.open_delay, org, ranked[0][1]))
    elif smooth < 0.5 * tol:
        calm = int(state.calm_steps[org]) + 1
        state.calm_steps[org] = calm
        if calm >= p.consolidate_after and net.sites and state.opened_at[org].max() >= 0:
            idle_since = state.t - p.consolidate_after
            ix = _site_index(net)
            v = ix["site_node"]
            idle = (state.opened_at[org, v] >= 0) & (state.last_used[org, v] <= idle_since)
            for k in np.flatnonzero(idle):
                _close_site(state, org, net.sites[ix["node_sites"][k]])
    else:
        state.calm_steps[org] = 0
    if state.pending:
        t = state.t
        ready = [item for item in state.pending if item[0] <= t]
        if ready:
            state.pending = [item for item in state.pending if item[0] > t]
            for _, o, s in ready:
                open_site(net, state, o, s)


def rebuild(net: Network, state: RunState) -> None:
    """Restore destroyed capacity at a rate set by the richest user's free cash and labour."""
    if state.cap_factor.min() >= 1.0:
        return
    damaged = np.flatnonzero(state.cap_factor < 1.0)
    p = net.scenario.parameters
    for v in damaged:
        users = np.flatnonzero(net.org_allowed[:, v])
        if users.size == 0:
            continue
        free = state.free_cash()
        payer = users[np.argmax(free[users])]
        labour = state.labour[payer] / max(net.org_labour[payer], 1e-9)
        step = min(1.0 - state.cap_factor[v], labour / p.rebuild_steps)
        cap = net.node_cap[v] if np.isfinite(net.node_cap[v]) else 10_000.0
        price = step * cap * p.rebuild_cost
        if price > free[payer]:
            step *= free[payer] / price if price > 0 else 0.0
            price = free[payer]
        state.cap_factor[v] += step
        state.cash[payer] -= price
        if state.cap_factor[v] > 1.0 - 1e-9:
            state.cap_factor[v] = 1.0
