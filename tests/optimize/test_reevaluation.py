"""The independent re-evaluation of a shortest-path plan: scipy's Dijkstra (which scales to road-sized
networks) agrees with networkx's Dijkstra and with the Bellman-Ford oracle, zero lengths, removed arcs,
removed nodes and fractional lengths included."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.optimize import InterdictionNetwork
from counterflow.optimize.evaluate import shortest_path_value, shortest_path_value_nx
from counterflow.optimize.instances import random_network, road_network

from . import oracle


def _random_plan(rng: np.random.Generator, net: InterdictionNetwork) -> tuple[list[int], list[int]]:
    edges = [e for e in range(net.n_edges) if rng.random() < 0.3]
    inner = [v for v in range(net.n_nodes) if np.isfinite(net.node_interdiction_cost[v])]
    nodes = [v for v in inner if rng.random() < 0.15]
    return edges, nodes


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1.0, 0.37]))
def test_scipy_dijkstra_agrees_with_networkx_and_bellman_ford(seed, scale):
    rng = np.random.default_rng(seed)
    net = random_network(rng, int(rng.integers(3, 10)), int(rng.integers(2, 30)))
    if scale != 1.0:  # fractional lengths and deltas
        rows = [{"from": net.node_ids[a], "to": net.node_ids[b], "capacity": float(c), "cost": float(w) * scale,
                 "interdiction_cost": None if math.isnan(ic) else float(ic),
                 "interdiction_delta": None if math.isnan(d) else float(d) * scale}
                for a, b, c, w, ic, d in zip(net.src, net.dst, net.capacity, net.cost, net.interdiction_cost,
                                             net.interdiction_delta, strict=True)]
        nodes = [{"id": net.node_ids[v], "interdiction_cost": float(net.node_interdiction_cost[v])}
                 for v in range(net.n_nodes) if np.isfinite(net.node_interdiction_cost[v])]
        net = InterdictionNetwork.from_edges(rows, source=net.node_ids[net.source], sink=net.node_ids[net.sink],
                                             nodes=nodes)
    for _ in range(3):
        edges, nodes = _random_plan(rng, net)
        fast = shortest_path_value(net, edges, nodes)
        ref = shortest_path_value_nx(net, edges, nodes)
        bf = oracle.shortest_path(net, edges, nodes)
        if math.isinf(ref):
            assert math.isinf(fast) and math.isinf(bf)
        else:
            assert math.isclose(fast, ref, rel_tol=1e-12, abs_tol=1e-12)
            assert math.isclose(fast, bf, rel_tol=1e-9, abs_tol=1e-9)


def test_scipy_dijkstra_agrees_with_networkx_on_a_road_grid():
    """A road-like grid (diagonals, lengths and deltas 1..100) under random five-arc plans."""
    net = road_network(15, 15, seed=4)
    rng = np.random.default_rng(4)
    for _ in range(10):
        edges = [int(e) for e in rng.choice(net.n_edges, size=5, replace=False)]
        assert shortest_path_value(net, edges) == shortest_path_value_nx(net, edges)


def test_zero_length_path_is_found():
    """A path of zero-length arcs has length 0 (scipy drops zero entries of a sparse matrix as non-edges
    unless nudged)."""
    net = InterdictionNetwork.from_edges([
        {"from": "s", "to": "a", "capacity": 1, "cost": 0}, {"from": "a", "to": "t", "capacity": 1, "cost": 0},
        {"from": "s", "to": "t", "capacity": 1, "cost": 5, "interdiction_cost": 1}], source="s", sink="t",
        nodes=[{"id": "a", "interdiction_cost": 1}])
    assert shortest_path_value(net) == 0.0
    assert shortest_path_value(net, nodes=[net.node_index["a"]]) == 5.0
