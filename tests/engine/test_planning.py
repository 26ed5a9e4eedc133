"""Planning equals an independent min-cost-flow optimum (networkx) on random instances."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import Engine, Scenario
from counterflow.engine import planning
from counterflow.engine.adaptation import org_value
from counterflow.engine.movement import seizure_probability
from tests.netgen import scenario_dicts


def networkx_plan_cost(engine: Engine, o: int, resid_edge=None, resid_node=None) -> tuple[int, dict]:
    """The organisation's profit-maximising plan, formulated from the state and solved by networkx.

    ``resid_edge``/``resid_node`` are the capacities other organisations left this step (default: all).
    """
    net, s = engine.net, engine.state
    resid_edge = net.edge_cap if resid_edge is None else resid_edge
    resid_node = net.node_cap * s.cap_factor if resid_node is None else resid_node
    value = org_value(net, s)[o]
    is_source = net.kind_mask("source")
    supply = np.where(is_source, s.stock[o], np.maximum(s.stock[o] - s.prev_out[o], 0.0))
    supply = np.floor(np.where(s.open_node[o], supply, 0.0)).astype(int)
    total = int(supply.sum())
    g = nx.DiGraph()
    g.add_node("T", demand=total)
    rev = planning.tranche_revenue(s.price, net.market_elasticity)
    width = engine._tranche_width[o]
    offset = int(np.rint(rev[np.flatnonzero(s.open_node[o][net.market_node])]).max(initial=0)) + 1
    for v in range(net.n_nodes):
        g.add_node(("in", v), demand=-int(supply[v]))
        g.add_node(("out", v), demand=0)
        cap = max(resid_node[v], 0.0)
        if s.open_node[o, v]:
            attrs = {"weight": 0}
            if math.isfinite(cap):
                attrs["capacity"] = max(int(min(cap, total)), 0)
            g.add_edge(("in", v), ("out", v), **attrs)
        if supply[v] > 0:
            g.add_edge(("in", v), "T", weight=offset, capacity=int(supply[v]))
    for e in range(net.n_edges):
        a, b = net.edge_src[e], net.edge_dst[e]
        if not (s.open_edge[o, e] and s.open_node[o, a] and s.open_node[o, b]):
            continue
        cost = net.edge_cost[e] + net.org_risk_aversion[o] * (s.risk_belief[o, e] + s.node_fear[o, b]) * value
        cap = max(resid_edge[e], 0.0)
        g.add_edge(("out", a), ("in", b), weight=int(np.rint(cost)),
                   capacity=int(min(cap, total)) if math.isfinite(cap) else total)
    for m, v in enumerate(net.market_node):
        if not s.open_node[o, v]:
            continue
        for k in range(rev.shape[1]):
            # parallel arcs: route each tranche through its own intermediate node
            mid = ("tranche", m, k)
            g.add_edge(("out", v), mid, weight=int(offset - np.rint(rev[m, k])),
                       capacity=int(min(width[m, k], total)))
            g.add_edge(mid, "T", weight=0)
    if total == 0:
        return 0, {}
    flow = nx.min_cost_flow(g)
    return nx.cost_of_flow(g, flow), flow


@given(scenario_dicts(max_steps=12), st.integers(0, 1000), st.integers(1, 6))
@settings(max_examples=40)
def test_plan_matches_networkx(data, seed, steps):
    """Every plan the engine makes during real steps costs exactly networkx's min-cost-flow optimum."""
    engine = Engine(Scenario.from_dict(data), None, seed)
    original = engine.plan
    checked = []

    def checking_plan(o, value, p_seize, resid_edge, resid_node, *rest):
        expected, _ = networkx_plan_cost(engine, o, resid_edge, resid_node)
        plan, problem = original(o, value, p_seize, resid_edge, resid_node, *rest)
        assert plan.objective == expected
        checked.append(expected)
        return plan, problem

    engine.plan = checking_plan
    for _ in range(steps):
        engine.step()
    assert len(checked) == steps * engine.net.n_orgs
    assert any(c != 0 for c in checked), "some plan must move stock"


def test_plan_ships_profitable_stock_and_holds_the_rest(caribbean_net):
    """Flow conservation in the plan: what leaves a node is its supply plus what enters it, within capacity."""
    engine = Engine(caribbean_net, None, 1)
    net, s = engine.net, engine.state
    for o in range(net.n_orgs):
        split = np.isfinite(net.node_cap)
        split_nodes = np.flatnonzero(split)
        split_out = np.arange(net.n_nodes)
        split_out[split_nodes] = net.n_nodes + np.arange(split_nodes.size)
        plan, problem = engine.plan(o, org_value(net, s)[o], seizure_probability(net, s), net.edge_cap.copy(),
                                    net.node_cap.copy(), split_out, split_nodes, engine._tranche_width[o],
                                    planning.tranche_revenue(s.price, net.market_elasticity))
        x = plan.edge_flow
        assert (x <= net.edge_cap + 1e-9).all()
        out = np.bincount(net.edge_src, weights=x, minlength=net.n_nodes)
        inn = np.bincount(net.edge_dst, weights=x, minlength=net.n_nodes)
        assert (out[np.isfinite(net.node_cap)] <= net.node_cap[np.isfinite(net.node_cap)] + 1e-9).all()
        non_market = net.node_market < 0
        # out-flow never exceeds supply + in-flow (the rest is held)
        assert (out[non_market] <= problem.supply[non_market] + inn[non_market] + 1e-9).all()
        sold = np.bincount(problem.market_idx, weights=plan.tranche_flow, minlength=net.n_markets)
        np.testing.assert_allclose(sold, inn[net.market_node] + problem.supply[net.market_node])
