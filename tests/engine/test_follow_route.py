"""Loads follow the plan they were sent on (docs/model.md, step 5, "Loads follow their route").

Pipeline content at a node other than a source (stock up to last step's planned out-flow, which the plan does
not see as supply) that this step's plan does not move goes on along the last route planned through the node,
split as that plan split it, within the capacity left and only over open sites. These tests call the compiled
dispatch directly on random layered networks (hypothesis) with a crafted state: it binds when a node holds
pipeline content its current plan does not route, and does nothing when the plan moves all of a node's stock, on
stock the plan saw and held, at a source, or where the route leads to a closed site.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import Engine, Scenario, compile_network
from counterflow.engine._kernels import dispatch_org
from counterflow.engine.core import _org_arrays
from tests.netgen import random_scenario_dict


def _engine(seed: int) -> Engine:
    return Engine(compile_network(Scenario.from_dict(random_scenario_dict(seed, n_orgs=1))), None, 0)


def _dispatch(eng: Engine, plan: np.ndarray, resid_edge=None, resid_node=None):
    """One organisation's deterministic dispatch (no dice, no seizure) against the given residual capacities."""
    net, s = eng.net, eng.state
    e, n = net.n_edges, net.n_nodes
    resid_edge = np.full(e, np.inf) if resid_edge is None else resid_edge
    resid_node = np.full(n, np.inf) if resid_node is None else resid_node
    return dispatch_org(s.t, 0, plan, eng._top_t, _org_arrays(s), np.zeros(e), np.full(e, -1.0), eng._learn_t,
                        resid_edge, resid_node)


def _a_transit_node(eng: Engine, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """A node that is not a source, with at least one out-edge, and its out-edges."""
    net = eng.net
    candidates = [v for v in range(net.n_nodes) if not eng._is_source[v] and (net.edge_src == v).any()
                  and eng.state.open_node[0, v]]
    v = int(rng.choice(candidates))
    return v, np.flatnonzero(net.edge_src == v)


def _crafted(seed: int, pick: int):
    eng = _engine(seed)
    s, net = eng.state, eng.net
    rng = np.random.default_rng(pick)
    v, out = _a_transit_node(eng, rng)
    s.stock[0] = 0.0
    s.stock[0, v] = 1000.0
    s.prev_out[0] = 0.0
    s.prev_out[0, v] = 1000.0  # last step's plan sent 1,000 kg/step through v: the stock is its pipeline content
    s.route[0] = 0.0
    s.route[0, out] = rng.uniform(1.0, 5.0, out.size)  # the last plan through v split its flow like this
    s.open_edge[0, out] = True
    s.open_node[0, net.edge_dst[out]] = True
    return eng, v, out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 100))
def test_stock_the_plan_leaves_follows_the_last_route(seed, pick):
    """Binds: the plan routes nothing through v, so all of v's stock leaves along v's last route, split as it was."""
    eng, v, out = _crafted(seed, pick)
    share = eng.state.route[0, out] / eng.state.route[0, out].sum()
    before = eng.state.transit[0].sum()
    sent, _, out_by_node = _dispatch(eng, np.zeros(eng.net.n_edges))
    np.testing.assert_allclose(sent[out], 1000.0 * share)
    assert sent.sum() == pytest.approx(1000.0) and out_by_node[v] == pytest.approx(1000.0)
    assert eng.state.stock[0, v] == pytest.approx(0.0)
    assert eng.state.transit[0].sum() - before == pytest.approx(1000.0)  # mass kept: on the edges now


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 100))
def test_inert_where_the_plan_moves_the_stock_or_the_route_is_closed(seed, pick):
    eng, v, out = _crafted(seed, pick)
    net, s = eng.net, eng.state
    # the plan sends exactly v's stock on its first out-edge: nothing is left, the old route is not used (and
    # becomes the plan's split: v's route is now all on that edge)
    plan = np.zeros(net.n_edges)
    plan[out[0]] = 1000.0
    sent, _, _ = _dispatch(eng, plan)
    assert sent[out[0]] == pytest.approx(1000.0) and sent.sum() == pytest.approx(1000.0)
    assert s.route[0, out].tolist() == [1000.0] + [0.0] * (out.size - 1)
    # stock the plan saw (beyond last step's planned out-flow: its supply at v) and held stays: only 400 kg of
    # the 1,000 were pipeline content
    eng, v, out = _crafted(seed, pick)
    eng.state.prev_out[0, v] = 400.0
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges))
    assert sent.sum() == pytest.approx(400.0) and eng.state.stock[0, v] == pytest.approx(600.0)
    # a route whose every next site is closed moves nothing: the stock waits for a plan
    eng, v, out = _crafted(seed, pick)
    eng.state.open_node[0, net.edge_dst[out]] = False
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges))
    assert sent.sum() == 0.0 and eng.state.stock[0, v] == 1000.0
    # stock at a source is never pushed: what the plan leaves there is held on purpose
    eng = _engine(seed)
    src = int(np.flatnonzero(eng._is_source)[0])
    out = np.flatnonzero(net.edge_src == src)
    eng.state.stock[0] = 0.0
    eng.state.stock[0, src] = 1000.0
    eng.state.route[0, out] = 1.0
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges))
    assert sent.sum() == 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 100), st.floats(0.0, 900.0))
def test_what_follows_the_route_keeps_to_the_capacity_left(seed, pick, room):
    """The carried stock never uses more of an edge than the residual the plan left, nor more of the node."""
    eng, v, out = _crafted(seed, pick)
    net = eng.net
    resid_edge = np.full(net.n_edges, np.inf)
    resid_edge[out[0]] = room
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges), resid_edge=resid_edge)
    assert sent[out[0]] <= room + 1e-9
    eng, v, out = _crafted(seed, pick)
    resid_node = np.full(net.n_nodes, np.inf)
    resid_node[v] = room
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges), resid_node=resid_node)
    assert sent.sum() == pytest.approx(room)
    # nor more into a node than it can still pass on (a struck hub being rebuilt is not filled beyond that)
    eng, v, out = _crafted(seed, pick)
    b = int(net.edge_dst[out[0]])
    resid_node = np.full(net.n_nodes, np.inf)
    resid_node[b] = room
    sent, _, _ = _dispatch(eng, np.zeros(net.n_edges), resid_node=resid_node)
    assert sent[out[net.edge_dst[out] == b]].sum() <= room + 1e-9
    other = net.edge_dst[out] != b
    share = eng.state.route[0, out][other].sum() / eng.state.route[0, out].sum()
    # the rest keeps its share of the route; a node with no room at all is passed over like a closed one
    want = 1000.0 * share if room > 0 else (1000.0 if other.any() else 0.0)
    assert sent[out[other]].sum() == pytest.approx(want)
    assert eng.state.stock[0, v] + sent.sum() == pytest.approx(1000.0)
