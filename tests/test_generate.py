"""Generated networks are valid by construction, reproducible, sized as asked, and conserve mass when run."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import InputError, Scenario, compile_network, simulate
from counterflow.generate import generate_scenario, min_nodes


def reachable_markets(s: Scenario, org) -> set[str]:
    """Markets an organisation reaches from its sources through its own active nodes and edges (BFS)."""
    allowed = set(org.nodes)
    active = {n.id for n in s.nodes if not n.dormant and n.id in allowed}
    adj: dict[str, list[str]] = {}
    for e in s.edges:
        if not e.dormant and e.src in active and e.dst in active:
            adj.setdefault(e.src, []).append(e.dst)
    seen = set(org.production)
    queue = deque(seen)
    while queue:
        for w in adj.get(queue.popleft(), []):
            if w not in seen:
                seen.add(w)
                queue.append(w)
    return {m.node for m in s.markets} & seen


@given(n=st.integers(4, 400), seed=st.integers(0, 2**31), k=st.integers(1, 6))
@settings(max_examples=40)
def test_generated_scenarios_validate_and_every_market_is_reachable(n, seed, k):
    """For any size and seed: the file form validates, sizes are exact, kinds are layered, and every
    organisation reaches every market through active nodes and edges of its own sub-network."""
    k = min(k, (n - 1) // 3)
    if k < 1:
        return
    s = generate_scenario(n, seed=seed, organisations=k)
    again = Scenario.from_dict(s.to_dict())
    assert again.to_dict() == s.to_dict()
    assert len(s.nodes) == n and len(s.organisations) == k
    kinds = {v.id: v.kind for v in s.nodes}
    order = {"source": 0, "hub": 1, "transit": 2, "market": 3}
    for e in s.edges:
        assert order[kinds[e.src]] <= order[kinds[e.dst]] and kinds[e.src] != "market"
    for org in s.organisations:
        assert reachable_markets(s, org) == {m.node for m in s.markets}
    owners: dict[str, int] = {}
    for org in s.organisations:
        for v in org.nodes:
            if kinds[v] != "market":
                owners[v] = owners.get(v, 0) + 1
    assert set(owners.values()) == {1}   # organisations work disjoint sub-networks; markets are shared
    # dormant nodes can be opened: each has an in-edge and an out-edge
    ins = {e.dst for e in s.edges}
    outs = {e.src for e in s.edges}
    for v in s.nodes:
        if v.dormant:
            assert v.id in ins and v.id in outs


def test_same_seed_same_network_other_seed_other_network():
    """The generator is a function of its seed."""
    a, b = generate_scenario(300, seed=7), generate_scenario(300, seed=7)
    assert a.to_dict() == b.to_dict()
    assert generate_scenario(300, seed=8).to_dict()["edges"] != a.to_dict()["edges"]


@pytest.mark.parametrize("n", [2000, 10000])
def test_large_sizes_hit_the_edge_target(n):
    """About five edges per node at scale (10,000 nodes -> about 50,000 edges), with dormant alternatives."""
    s = generate_scenario(n, seed=1, organisations=5)
    assert abs(len(s.edges) - 5 * n) <= 0.05 * 5 * n
    dormant = sum(v.dormant for v in s.nodes)
    assert 0.05 * n < dormant < 0.15 * n
    net = compile_network(s)
    assert len(net.sites) > dormant


@pytest.mark.parametrize("n, seed", [(30, 0), (150, 1), (600, 2)])
def test_runs_conserve_mass(n, seed):
    """Produced = delivered + seized + destroyed + stock + in transit at every step of a run with strikes."""
    s = generate_scenario(n, seed=seed, warmup=10)
    from counterflow import resolve_strategies

    for strat in resolve_strategies(s, ["hub-strikes"]):
        tr = simulate(s, strat, seed=seed, steps=20, record_flows=False)
        b = tr.balance
        np.testing.assert_allclose(b[:, 0], b[:, 1:].sum(axis=1), rtol=1e-9, atol=1e-6)
        assert tr.delivered_total[-5:].sum() > 0


def test_impossible_sizes_are_input_errors():
    """Too few nodes for the organisations, or nonsense shares, are reported as input errors."""
    with pytest.raises(InputError, match="at least"):
        generate_scenario(min_nodes(3) - 1, organisations=3)
    with pytest.raises(InputError):
        generate_scenario(100, dormant_share=1.0)
    with pytest.raises(InputError):
        generate_scenario(100, organisations=0)


def test_cli_generate_writes_the_same_scenario(tmp_path):
    """`counterflow generate` writes the scenario generate_scenario builds, and it loads back identically."""
    from typer.testing import CliRunner

    from counterflow import load_scenario
    from counterflow.cli import app

    out = tmp_path / "g.yaml"
    res = CliRunner().invoke(app, ["generate", "--nodes", "90", "--seed", "4", "--organisations", "2",
                                   "--warmup", "12", "-o", str(out)])
    assert res.exit_code == 0, res.output
    want = generate_scenario(90, seed=4, organisations=2, warmup=12).to_dict()
    assert load_scenario(out).to_dict() == want
