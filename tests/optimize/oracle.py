"""Independent evaluators and brute force for the optimiser tests.

They read the raw network (not its split-arc form), remove interdicted nodes
with networkx, and use other algorithms than the library: OR-Tools max flow,
Bellman-Ford, networkx network simplex.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
from ortools.graph.python import max_flow as ort_max_flow

from counterflow.optimize import InterdictionNetwork


def items(net: InterdictionNetwork) -> list[tuple[str, int, float]]:
    """Interdictable items: ('e', edge, cost) for every costed edge (at the source and sink too) and
    ('n', node, cost) for costed nodes other than s and t."""
    st = {net.source, net.sink}
    out = [("e", e, float(net.interdiction_cost[e])) for e in range(net.n_edges)
           if np.isfinite(net.interdiction_cost[e])]
    out += [("n", v, float(net.node_interdiction_cost[v])) for v in range(net.n_nodes)
            if np.isfinite(net.node_interdiction_cost[v]) and v not in st]
    return out


def plans(net: InterdictionNetwork, budget: float):
    """Every budget-feasible plan as (edges, nodes)."""
    its = items(net)
    for r in range(len(its) + 1):
        any_fit = False
        for combo in itertools.combinations(its, r):
            if sum(c for _, _, c in combo) <= budget + 1e-9:
                any_fit = True
                yield [i for k, i, _ in combo if k == "e"], [i for k, i, _ in combo if k == "n"]
        if not any_fit:
            return


def graph(net: InterdictionNetwork, edges=(), nodes=(), *, lengthen: bool) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    hit = set(edges)
    for e in range(net.n_edges):
        length = float(net.cost[e])
        if e in hit:
            if not lengthen or math.isnan(net.interdiction_delta[e]):
                continue
            length += float(net.interdiction_delta[e])
        g.add_edge(int(net.src[e]), int(net.dst[e]), capacity=float(net.capacity[e]), weight=length)
    g.remove_nodes_from(nodes)
    return g


def max_flow(net: InterdictionNetwork, edges=(), nodes=()) -> float:
    g = graph(net, edges, nodes, lengthen=False)
    smf = ort_max_flow.SimpleMaxFlow()
    for u, v, d in g.edges(data=True):
        smf.add_arc_with_capacity(u, v, int(d["capacity"]))
    if g.number_of_edges() == 0:
        return 0.0
    status = smf.solve(net.source, net.sink)
    assert status == smf.OPTIMAL
    return float(smf.optimal_flow())


def shortest_path(net: InterdictionNetwork, edges=(), nodes=()) -> float:
    g = graph(net, edges, nodes, lengthen=True)
    try:
        return float(nx.bellman_ford_path_length(g, net.source, net.sink, weight="weight"))
    except nx.NetworkXNoPath:
        return math.inf


def min_cost(net: InterdictionNetwork, demand: int, penalty: int, edges=(), nodes=()) -> float:
    g = graph(net, edges, nodes, lengthen=True)
    g.add_edge(net.source, "unmet", capacity=demand, weight=penalty)
    g.add_edge("unmet", net.sink, capacity=demand, weight=0)
    g.nodes[net.source]["demand"] = -demand
    g.nodes[net.sink]["demand"] = demand
    return float(nx.min_cost_flow_cost(g, weight="weight"))


def expected_max_flow(net: InterdictionNetwork, edges=(), nodes=()) -> float:
    its = [("e", e, float(net.success_prob[e])) for e in edges] + \
          [("n", v, float(net.node_success_prob[v])) for v in nodes]
    total = 0.0
    for pattern in itertools.product((0, 1), repeat=len(its)):
        prob = math.prod(p if b else 1 - p for b, (_, _, p) in zip(pattern, its, strict=True))
        if prob == 0:
            continue
        on = [it for b, it in zip(pattern, its, strict=True) if b]
        total += prob * max_flow(net, [i for k, i, _ in on if k == "e"], [i for k, i, _ in on if k == "n"])
    return total
