"""Learning and adaptation: perceived risk, expansion, consolidation, rebuilding."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .state import RunState

__all__ = ["learn", "adapt", "rebuild", "open_site", "org_value"]


def org_value(net: Network, state: RunState) -> np.ndarray:
    """Value per kg each organisation puts on a load: mean price of its markets [O]."""
    allowed = net.org_allowed[:, net.market_node]
    prices = np.where(allowed, state.price[None, :], 0.0)
    count = np.maximum(allowed.sum(axis=1), 1)
    return prices.sum(axis=1) / count


def learn(net: Network, state: RunState, org: int, sent: np.ndarray, seized: np.ndarray) -> None:
    """Update perceived edge risk from this step's own losses; unused routes drift back to the base risk."""
    p = net.scenario.parameters
    belief = state.risk_belief[org]
    used = sent > 0
    base = np.clip(net.edge_risk + net.node_enf[net.edge_src], 0.0, 1.0)
    belief[~used] += p.forget_rate * (base[~used] - belief[~used])
    if used.any():
        observed = seized[used] / sent[used]
        belief[used] += p.learning_rate * (observed - belief[used])
    state.node_fear[org] *= 1.0 - p.forget_rate


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


def _site_scores(net: Network, state: RunState, org: int, value: float) -> list[tuple[float, int]]:
    """Candidate sites for ``org`` ranked by the cost of the cheapest segment through them."""
    ra = net.org_risk_aversion[org]
    arc = net.edge_cost + ra * state.risk_belief[org] * value
    usable = state.open_node[org]
    pending = {s for _, o, s in state.pending if o == org}
    out = []
    for i, site in enumerate(net.sites):
        if i in pending:
            continue
        if site.nodes:
            v = site.nodes[0]
            if state.open_node[org, v] or not net.org_allowed[org, v]:
                continue
            ins = (net.edge_dst == v) & usable[net.edge_src]
            outs = (net.edge_src == v) & usable[net.edge_dst]
            if not ins.any() or not outs.any():
                continue
            score = arc[ins].min() + arc[outs].min()
        else:
            e = site.edges[0]
            if state.open_edge[org, e] or not (usable[net.edge_src[e]] and usable[net.edge_dst[e]]):
                continue
            score = 2.0 * arc[e]
        out.append((float(score), i))
    out.sort()
    return out


def adapt(net: Network, state: RunState, org: int, loss_share: float, value: float) -> None:
    """Expand when smoothed losses exceed tolerance; consolidate after a calm spell."""
    p = net.scenario.parameters
    a = p.loss_smoothing
    state.loss_smooth[org] = (1 - a) * state.loss_smooth[org] + a * loss_share
    tol = net.org_loss_tolerance[org]
    busy = any(o == org for _, o, _ in state.pending)
    if state.loss_smooth[org] > tol:
        state.calm_steps[org] = 0
        if not busy and state.free_cash()[org] >= p.open_cost and net.sites:
            ranked = _site_scores(net, state, org, value)
            if ranked:
                state.cash[org] -= p.open_cost
                state.pending.append((state.t + p.open_delay, org, ranked[0][1]))
                state.log.events.append(("open_start", org, ranked[0][1]))
    elif state.loss_smooth[org] < 0.5 * tol:
        state.calm_steps[org] += 1
        if state.calm_steps[org] >= p.consolidate_after:
            idle_since = state.t - p.consolidate_after
            for site in net.sites:
                if site.nodes:
                    v = site.nodes[0]
                    if state.opened_at[org, v] >= 0 and state.last_used[org, v] <= idle_since:
                        _close_site(state, org, site)
                        state.log.events.append(("close", org, v))
    else:
        state.calm_steps[org] = 0
    ready = [item for item in state.pending if item[0] <= state.t]
    if ready:
        state.pending = [item for item in state.pending if item[0] > state.t]
        for _, o, s in ready:
            open_site(net, state, o, s)
            state.log.events.append(("opened", o, s))


def rebuild(net: Network, state: RunState) -> None:
    """Restore destroyed capacity at a rate set by the richest user's free cash and labour."""
    damaged = np.flatnonzero(state.cap_factor < 1.0)
    if damaged.size == 0:
        return
    p = net.scenario.parameters
    for v in damaged:
        users = np.flatnonzero(net.org_allowed[:, v])
        if users.size == 0:
            continue
        free = state.free_cash()
        payer = users[np.argmax(free[users])]
        step = min(1.0 - state.cap_factor[v], min(1.0, state.labour[payer]) / p.rebuild_steps)
        cap = net.node_cap[v] if np.isfinite(net.node_cap[v]) else 10_000.0
        price = step * cap * p.rebuild_cost
        if price > free[payer]:
            step *= free[payer] / price if price > 0 else 0.0
            price = free[payer]
        state.cap_factor[v] += step
        state.cash[payer] -= price
        if state.cap_factor[v] > 1.0 - 1e-9:
            state.cap_factor[v] = 1.0
