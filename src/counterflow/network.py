"""The compiled network: a scenario as NumPy arrays indexed by node and edge.

The engine, the optimisers and the metrics all work on :class:`Network`;
ids map to positions through ``node_index`` and ``edge_index``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .scenario import EDGE_MODES, NODE_KINDS, Scenario

__all__ = ["Network", "Site", "compile_network"]


@dataclass(frozen=True)
class Site:
    """A dormant place an organisation can open: a node with its dormant edges, or one edge."""

    nodes: tuple[int, ...]
    edges: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Network:
    """Immutable array form of a scenario (structure and base attributes)."""

    scenario: Scenario
    node_ids: tuple[str, ...]
    node_index: dict[str, int]
    node_kind: np.ndarray          # int8 codes into NODE_KINDS
    node_juris: np.ndarray         # int index into jurisdictions
    node_cap: np.ndarray           # kg/step, inf = unlimited
    node_storage: np.ndarray
    node_enf: np.ndarray
    node_occ: np.ndarray
    node_dormant: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_mode: np.ndarray          # int8 codes into EDGE_MODES
    edge_cap: np.ndarray
    edge_cost: np.ndarray
    edge_time: np.ndarray
    edge_risk: np.ndarray
    edge_dormant: np.ndarray
    edge_load_kg: np.ndarray
    edge_index: dict[tuple[str, str], int]
    juris_ids: tuple[str, ...]
    juris_corruption: np.ndarray
    juris_revenue: np.ndarray
    juris_police: np.ndarray
    org_ids: tuple[str, ...]
    org_production: np.ndarray     # [O, N] kg/step
    org_allowed: np.ndarray        # [O, N] bool
    org_cash: np.ndarray
    org_risk_aversion: np.ndarray
    org_loss_tolerance: np.ndarray
    org_labour: np.ndarray
    market_node: np.ndarray        # [M]
    market_price: np.ndarray
    market_demand: np.ndarray
    market_elasticity: np.ndarray
    node_market: np.ndarray        # [N] market index or -1
    sites: tuple[Site, ...]
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.edge_src)

    @property
    def n_orgs(self) -> int:
        return len(self.org_ids)

    @property
    def n_markets(self) -> int:
        return len(self.market_node)

    def kind_mask(self, kind: str) -> np.ndarray:
        return self.node_kind == NODE_KINDS.index(kind)

    def edge_ids(self) -> list[tuple[str, str]]:
        return [(self.node_ids[a], self.node_ids[b]) for a, b in zip(self.edge_src, self.edge_dst, strict=True)]


def compile_network(scenario: Scenario) -> Network:
    """Turn a validated :class:`Scenario` into arrays."""
    nodes, edges = scenario.nodes, scenario.edges
    node_index = {n.id: i for i, n in enumerate(nodes)}
    jidx = {j.id: i for i, j in enumerate(scenario.jurisdictions)}
    p = scenario.parameters
    load_by_mode = {"land": p.load_kg_land, "sea": p.load_kg_sea, "air": p.load_kg_air, "river": p.load_kg_river}
    n, o = len(nodes), len(scenario.organisations)
    prod = np.zeros((o, n))
    allowed = np.zeros((o, n), dtype=bool)
    for k, org in enumerate(scenario.organisations):
        for src, kg in org.production.items():
            prod[k, node_index[src]] = kg
        if org.nodes is None:
            allowed[k] = True
        else:
            allowed[k, [node_index[v] for v in org.nodes]] = True
    node_market = np.full(n, -1, dtype=np.int64)
    for k, m in enumerate(scenario.markets):
        node_market[node_index[m.node]] = k
    edge_src = np.array([node_index[e.src] for e in edges], dtype=np.int64)
    edge_dst = np.array([node_index[e.dst] for e in edges], dtype=np.int64)
    node_dormant = np.array([nd.dormant for nd in nodes], dtype=bool)
    edge_dormant = np.array([e.dormant for e in edges], dtype=bool)
    # a site per dormant node (with its dormant edges), then one per dormant edge between usable nodes
    de = np.flatnonzero(edge_dormant)
    owner = np.concatenate([edge_src[de], edge_dst[de]])
    eid = np.concatenate([de, de])
    keep = node_dormant[owner]
    owner, eid = owner[keep], eid[keep]
    order = np.lexsort((eid, owner))
    owner, eid = owner[order], eid[order]
    dn = np.flatnonzero(node_dormant)
    bounds = np.searchsorted(owner, np.append(dn, n))
    sites = [Site(nodes=(int(v),), edges=tuple(eid[bounds[k]:bounds[k + 1]].tolist()))
             for k, v in enumerate(dn.tolist())]
    lone = de[~node_dormant[edge_src[de]] & ~node_dormant[edge_dst[de]]]
    sites += [Site(nodes=(), edges=(int(e),)) for e in lone.tolist()]
    edge_index: dict[tuple[str, str], int] = {}
    for i, e in enumerate(edges):
        edge_index.setdefault((e.src, e.dst), i)
    return Network(
        scenario=scenario,
        node_ids=tuple(node_index),
        node_index=node_index,
        node_kind=np.array([NODE_KINDS.index(nd.kind) for nd in nodes], dtype=np.int8),
        node_juris=np.array([jidx[nd.jurisdiction] for nd in nodes], dtype=np.int64),
        node_cap=np.array([nd.capacity for nd in nodes], dtype=float),
        node_storage=np.array([nd.storage for nd in nodes], dtype=float),
        node_enf=np.array([nd.enforcement for nd in nodes], dtype=float),
        node_occ=np.array([nd.occupancy for nd in nodes], dtype=float),
        node_dormant=node_dormant,
        lat=np.array([nd.lat for nd in nodes], dtype=float),
        lon=np.array([nd.lon for nd in nodes], dtype=float),
        edge_src=edge_src,
        edge_dst=edge_dst,
        edge_mode=np.array([EDGE_MODES.index(e.mode) for e in edges], dtype=np.int8),
        edge_cap=np.array([e.capacity for e in edges], dtype=float),
        edge_cost=np.array([e.cost for e in edges], dtype=float),
        edge_time=np.array([e.time for e in edges], dtype=np.int64),
        edge_risk=np.array([e.risk for e in edges], dtype=float),
        edge_dormant=edge_dormant,
        edge_load_kg=np.array([load_by_mode[e.mode] for e in edges], dtype=float),
        edge_index=edge_index,
        juris_ids=tuple(j.id for j in scenario.jurisdictions),
        juris_corruption=np.array([j.corruption for j in scenario.jurisdictions], dtype=float),
        juris_revenue=np.array([j.state_revenue for j in scenario.jurisdictions], dtype=float),
        juris_police=np.array([j.police_capacity for j in scenario.jurisdictions], dtype=float),
        org_ids=tuple(org.id for org in scenario.organisations),
        org_production=prod,
        org_allowed=allowed,
        org_cash=np.array([org.cash for org in scenario.organisations], dtype=float),
        org_risk_aversion=np.array([org.risk_aversion for org in scenario.organisations], dtype=float),
        org_loss_tolerance=np.array([org.loss_tolerance for org in scenario.organisations], dtype=float),
        org_labour=np.array([org.labour for org in scenario.organisations], dtype=float),
        market_node=np.array([node_index[m.node] for m in scenario.markets], dtype=np.int64),
        market_price=np.array([m.reference_price for m in scenario.markets], dtype=float),
        market_demand=np.array([m.reference_demand for m in scenario.markets], dtype=float),
        market_elasticity=np.array([m.elasticity for m in scenario.markets], dtype=float),
        node_market=node_market,
        sites=tuple(sites),
    )
