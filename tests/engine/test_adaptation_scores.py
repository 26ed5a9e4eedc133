"""The vectorised site ranking of adaptation equals the straightforward per-site loop it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import compile_network
from counterflow.engine.adaptation import _site_scores
from counterflow.engine.state import RunState
from counterflow.generate import generate_scenario


def loop_scores(net, state, org, value, node_fear):
    """Reference: the original loop over sites with one O(E) mask each (with the planners' node fear if asked)."""
    ra = net.org_risk_aversion[org]
    q = state.risk_belief[org] + state.node_fear[org][net.edge_dst] if node_fear else state.risk_belief[org]
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
       top=st.floats(0, 50_000), node_fear=st.booleans())
@settings(max_examples=30)
def test_vectorised_scores_equal_the_loop(seed, n, open_share, top, node_fear):
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
        assert _site_scores(net, state, org, value, node_fear) == loop_scores(net, state, org, value, node_fear)
