"""Target rules for edges, jurisdictions and organisations, against brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.engine.core import warm_state
from counterflow.strategy import Targets
from counterflow.targeting import (
    select_edges,
    select_jurisdictions,
    select_organisations,
    zone_edges,
)


@given(st.integers(1, 6), st.sampled_from([None, "sea", "land"]), st.integers(0, 10_000))
@settings(max_examples=30)
def test_edge_rules_pick_from_the_zone(caribbean_net, k, mode, seed):
    """top_throughput picks the k busiest zone edges; random picks k distinct zone edges; all stay in the zone."""
    net = caribbean_net
    state = warm_state(net)
    rng = np.random.default_rng(seed)
    state.edge_flow = rng.uniform(0, 1000, net.n_edges) * (rng.random(net.n_edges) < 0.7)
    zone = set(zone_edges(Targets(mode=mode), net).tolist())
    top = select_edges(Targets(mode=mode, rule="top_throughput", k=k), net, state, rng)
    visible = [e for e in zone if not net.edge_dormant[e] or state.edge_flow[e] > 0]
    brute = sorted((e for e in visible if state.edge_flow[e] > 0), key=lambda e: -state.edge_flow[e])[:k]
    assert sorted(top.tolist()) == sorted(brute)
    rnd = select_edges(Targets(mode=mode, rule="random", k=k), net, state, rng)
    assert len(set(rnd.tolist())) == min(k, len(visible)) and set(rnd.tolist()) <= zone
    btw = select_edges(Targets(mode=mode, rule="betweenness", k=k), net, state, rng)
    assert set(btw.tolist()) <= zone and len(btw) == min(k, len(visible))


def test_zone_without_rule_is_the_whole_zone(caribbean_net):
    """A zone given as mode and jurisdictions covers exactly the edges of that mode leaving those states."""
    net = caribbean_net
    got = select_edges(Targets(mode="sea", jurisdictions=("VE", "CB")), net, warm_state(net), np.random.default_rng(0))
    ids = net.edge_ids()
    brute = [i for i, e in enumerate(caribbean_net.scenario.edges)
             if e.mode == "sea" and next(n for n in net.scenario.nodes if n.id == e.src).jurisdiction in ("VE", "CB")]
    assert got.tolist() == brute and all(ids[i][0] for i in got)


def test_jurisdiction_top_throughput_matches_groupby(caribbean_net):
    """top_throughput ranks jurisdictions by observed flow through their non-market nodes."""
    net = caribbean_net
    state = warm_state(net)
    df = pd.DataFrame({"j": net.node_juris, "flow": state.node_flow, "market": net.kind_mask("market")})
    ranked = df[~df.market].groupby("j").flow.sum().sort_values(ascending=False)
    got = select_jurisdictions(Targets(rule="top_throughput", k=2), net, state, np.random.default_rng(0))
    assert got.tolist() == ranked.index[:2].tolist()


def test_organisation_top_throughput_is_the_busiest(caribbean_net):
    """top_throughput on organisations picks the one that moved the most last step."""
    net = caribbean_net
    state = warm_state(net)
    got = select_organisations(Targets(rule="top_throughput", k=1), net, state, np.random.default_rng(0))
    assert got.tolist() == [int(np.argmax(state.prev_out.sum(axis=1)))]
    named = select_organisations(Targets(organisations=("org_b",)), net, state, np.random.default_rng(0))
    assert named.tolist() == [net.org_ids.index("org_b")]


def test_betweenness_rules_for_states_and_organisations_match_networkx(caribbean_net):
    """Jurisdiction and organisation betweenness rank by summed node betweenness of the network in use."""
    import networkx as nx

    net = caribbean_net
    state = warm_state(net)
    g = nx.DiGraph()
    for e in np.flatnonzero(state.edge_flow > 0):
        g.add_edge(int(net.edge_src[e]), int(net.edge_dst[e]), cost=float(net.edge_cost[e]))
    score = nx.betweenness_centrality(g, weight="cost", normalized=True)
    node = np.array([score.get(v, 0.0) for v in range(net.n_nodes)])
    by_state = np.bincount(net.node_juris, weights=node, minlength=len(net.juris_ids))
    got = select_jurisdictions(Targets(rule="betweenness", k=2), net, state, np.random.default_rng(0))
    assert got.tolist() == np.argsort(-by_state, kind="stable")[:2].tolist()
    recent = state.last_used >= state.t - 4
    by_org = (recent * node[None, :]).sum(axis=1)
    got = select_organisations(Targets(rule="betweenness", k=1), net, state, np.random.default_rng(0))
    assert got.tolist() == [int(np.argmax(by_org))]
    rnd = select_jurisdictions(Targets(rule="random", k=3), net, state, np.random.default_rng(1))
    assert len(set(rnd.tolist())) == 3
