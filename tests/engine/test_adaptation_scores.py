"""The vectorised site ranking of adaptation equals the straightforward per-site loop it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import compile_network
from counterflow.engine.adaptation import _site_scores
from counterflow.engine.state import RunState
from counterflow.generate import generate_scenario


def loop_scores(net, state, org, value):
    """Reference: the original loop over sites with one O(E) mask each, arcs costed with the planners' node fear."""
    ra = net.org_risk_aversion[org]
    q = state.risk_belief[org] + state.node_fear[org][net.edge_dst]
    arc = net.edge_cost + ra * q * value[net.edge_src]
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


@given(seed=st.integers(0, 10_000), n=st.integers(20, 300), open_share=st.floats(0, 0.5),
       top=st.floats(0, 50_000))
@settings(max_examples=30)
def test_vectorised_scores_equal_the_loop(seed, n, open_share, top):
    """Same candidates, same scores (bit for bit), same order, for random beliefs, fears, values, open and pending sites."""
    net = compile_network(generate_scenario(n, seed=seed, organisations=min(3, (n - 1) // 3),
                                            dormant_share=0.3))
    rng = np.random.default_rng(seed)
    state = RunState.initial(net)
    state.risk_belief = rng.uniform(0, 0.2, state.risk_belief.shape)
    state.node_fear = np.where(rng.random(state.node_fear.shape) < 0.2, rng.uniform(0, 0.5, state.node_fear.shape), 0.0)
    state.open_node |= rng.random(state.open_node.shape) < open_share   # also outside sub-networks
    state.open_edge |= rng.random(state.open_edge.shape) < open_share
    state.open_node &= rng.random(state.open_node.shape) > 0.05   # some open nodes closed again
    if net.sites:
        state.pending = [(3, int(o), int(s)) for o, s in zip(rng.integers(0, net.n_orgs, 5),
                                                            rng.integers(0, len(net.sites), 5), strict=True)]
    value = rng.uniform(0, top, net.n_nodes)
    for org in range(net.n_orgs):
        assert _site_scores(net, state, org, value) == loop_scores(net, state, org, value)


def test_node_fear_moves_a_site_when_it_binds_and_is_inert_when_it_cannot():
    """Fear of a dormant node raises its score by the planners' arc cost; fear of a node no candidate arc reaches changes nothing."""
    net = compile_network(generate_scenario(80, seed=3, organisations=2, dormant_share=0.3))
    state = RunState.initial(net)
    rng = np.random.default_rng(0)
    state.risk_belief = rng.uniform(0, 0.1, state.risk_belief.shape)
    value = rng.uniform(1_000, 20_000, net.n_nodes)
    org = 0
    before = _site_scores(net, state, org, value)
    node_sites = [(score, s) for score, s in before if net.sites[s].nodes]
    assert len(node_sites) >= 2, "the generated network should offer dormant node sites"
    score, top = node_sites[0]
    v = net.sites[top].nodes[0]
    state.node_fear[org, v] = 0.5  # every arc into v now carries fear: its cheapest in-arc costs more
    after = dict((s, x) for x, s in _site_scores(net, state, org, value))
    assert after[top] > score
    assert {s: x for s, x in after.items() if s != top} == {s: x for x, s in before if s != top}

    state.node_fear[org, v] = 0.0
    no_in_edges = np.setdiff1d(np.arange(net.n_nodes), net.edge_dst)  # e.g. the sources: never an arc's head
    assert no_in_edges.size
    state.node_fear[org, no_in_edges] = 0.9
    assert _site_scores(net, state, org, value) == before
