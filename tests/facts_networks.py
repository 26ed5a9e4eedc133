"""Networks the stylised-facts tier runs on that are not shipped as scenario files.

``narcologic_dormant`` is the NarcoLogic import with dormant alternatives added by the
generator's rule (``counterflow.generate``): each hub and transit node is dormant with
probability ``share`` (one draw per node from ``numpy.random.default_rng(seed)``), except that
a node stays active when making it dormant would leave some market unreachable from the
sources through active nodes (the generator keeps its backbone active for the same reason).
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np


def _reachable(nodes_active: set[str], edges, sources: set[str]) -> set[str]:
    nxt: dict[str, list[str]] = {}
    for e in edges:
        if e.src in nodes_active and e.dst in nodes_active and not e.dormant:
            nxt.setdefault(e.src, []).append(e.dst)
    seen, todo = set(sources), list(sources)
    while todo:
        for w in nxt.get(todo.pop(), ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def with_dormant(scenario, share: float, seed: int):
    """``scenario`` with a share of its hubs and transit nodes made dormant (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sources = {n.id for n in scenario.nodes if n.kind == "source"}
    markets = {n.id for n in scenario.nodes if n.kind == "market"}
    active = {n.id for n in scenario.nodes if not n.dormant}
    draws = rng.random(len(scenario.nodes))
    for n, u in zip(scenario.nodes, draws, strict=True):
        if n.kind in ("hub", "transit") and n.id in active and u < share:
            trial = active - {n.id}
            if markets <= _reachable(trial, scenario.edges, sources):
                active = trial
    nodes = tuple(dataclasses.replace(n, dormant=n.id not in active) for n in scenario.nodes)
    return dataclasses.replace(scenario, nodes=nodes, name=f"{scenario.name}-dormant")


@cache
def narcologic_dormant(share: float = 0.1, seed: int = 1):
    from counterflow.io.narcologic import read_narcologic

    sc, _ = read_narcologic()
    return with_dormant(sc, share, seed)
