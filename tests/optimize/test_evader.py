"""The A* evader of the path cover against scipy's Dijkstra: the same distance under any lengths at
least the interdiction-free ones, a path that is a real s-t path of that length, ``inf`` when the sink
is cut off."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from counterflow.optimize._evader import AStar
from counterflow.optimize.instances import random_network, road_network


def _dijkstra(arcs, length: np.ndarray) -> float:
    g = sp.csr_matrix((length + 1e-300, (arcs.tail, arcs.head)), shape=(arcs.n, arcs.n))
    return float(np.round(dijkstra(g, directed=True, indices=arcs.s)[arcs.t]))  # integer lengths; 1e-300 offsets


def _check(arcs, evader: AStar, length: np.ndarray) -> None:
    want = _dijkstra(arcs, length)
    got, path = evader.shortest(length)
    if math.isinf(want):
        assert math.isinf(got) and path is None
        return
    assert path is not None and got == want  # integer lengths: exact
    assert arcs.tail[path[0]] == arcs.s and arcs.head[path[-1]] == arcs.t
    assert np.all(arcs.head[path[:-1]] == arcs.tail[path[1:]])  # consecutive arcs
    assert got == float(np.sum(length[path]))


@given(st.integers(0, 10**6), st.integers(3, 9), st.integers(2, 30))
def test_astar_matches_dijkstra_on_random_networks(seed, n, m):
    """Random networks (zero lengths included), lengths raised on a random set of arcs by random
    deltas, some arcs removed (a huge length), as the path cover's plans do."""
    rng = np.random.default_rng(seed)
    arcs = random_network(rng, n, m, max_cost=5).arcs()
    evader = AStar(arcs)
    _check(arcs, evader, arcs.cost.astype(float))
    for _ in range(4):
        length = arcs.cost.astype(float).copy()
        hit = rng.random(arcs.m) < 0.4
        length[hit] += rng.integers(0, 20, size=int(hit.sum()))
        length[rng.random(arcs.m) < 0.1] = 1e7
        _check(arcs, evader, length)


def test_astar_on_a_road_like_grid_settles_a_band_not_the_network():
    """Road-like 30x30 grid, five arcs of the shortest path lengthened: the same distance as Dijkstra,
    with fewer settled nodes than the grid has (the potential is exact without interdiction), and
    under a quarter of those the same search settles without the potential (Dijkstra: 899 of the 900
    nodes here, so fewer than the grid alone would not tell the two apart)."""
    arcs = road_network(30, 30, seed=3).arcs()
    evader = AStar(arcs)
    base, path = evader.shortest(arcs.cost.astype(float))
    assert path is not None and evader.settled == path.size + 1  # only the path itself
    length = arcs.cost.astype(float).copy()
    length[path[::max(1, path.size // 5)][:5]] += 100
    before = evader.settled
    _check(arcs, evader, length)
    band = evader.settled - before
    assert band < arcs.n
    plain = AStar(arcs)
    plain.h[:] = 0.0  # a zero potential: Dijkstra, stopping at the sink
    assert plain.shortest(length)[0] == evader.shortest(length)[0]
    assert 4 * band < plain.settled


def test_unreachable_sink_and_nodes_that_cannot_reach_it():
    """A sink no path reaches gives ``inf``; a dead-end branch (cannot reach the sink) is never entered."""
    from counterflow.optimize import InterdictionNetwork

    net = InterdictionNetwork.from_edges([{"from": "s", "to": "a", "capacity": 1, "cost": 1},
                                          {"from": "a", "to": "t", "capacity": 1, "cost": 1},
                                          {"from": "s", "to": "d", "capacity": 1, "cost": 0},
                                          {"from": "d", "to": "e", "capacity": 1, "cost": 0}],
                                         source="s", sink="t")
    arcs = net.arcs()
    evader = AStar(arcs)
    got, path = evader.shortest(arcs.cost.astype(float))
    assert got == 2.0 and path is not None and path.size == 2
    assert evader.settled == 3  # s, a, t: never d or e
    cut = InterdictionNetwork.from_edges([{"from": "s", "to": "a", "capacity": 1, "cost": 1},
                                          {"from": "b", "to": "t", "capacity": 1, "cost": 1}], source="s", sink="t")
    arcs = cut.arcs()
    assert AStar(arcs).shortest(arcs.cost.astype(float)) == (math.inf, None)
