"""Synthetic layered networks: source -> hub -> transit -> market, from tens to 100,000 nodes.

:func:`generate_scenario` builds a runnable, valid-by-construction
:class:`~counterflow.scenario.Scenario` with geography (latitude rises from the
production zone to the consumer zone), stylised jurisdictions (a grid of
latitude bands and longitude sectors), dormant alternatives (a share of hubs,
transit nodes and edges that organisations can open), and organisations that
each work a sub-network of their own (their own sources, hubs and transit
nodes; markets are shared), which is realistic and keeps each organisation's
planning problem small.

Construction, per organisation and per pair of consecutive layers ``A -> B``:

1. a backbone among active nodes: every active node of ``B`` gets an in-edge
   and every active node of ``A`` an out-edge, to a node at a similar position
   (nodes in a layer are ordered by longitude), so every market is reachable
   from every source through active nodes only;
2. each dormant node gets an in-edge from and an out-edge to active nodes;
3. extra edges, drawn near the same positions, bring the total to
   ``edges_per_node * nodes`` (duplicates are removed and redrawn).

All arrays are built with NumPy; the only per-node Python is the final
conversion into scenario records. Names are synthetic ("o2_hub14") and every
number is illustrative.

Examples
--------
>>> from counterflow.generate import generate_scenario
>>> s = generate_scenario(60, seed=1, organisations=2)
>>> len(s.nodes), len(s.organisations)
(60, 2)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .errors import InputError
from .params import Parameters
from .scenario import EDGE_MODES, Edge, Jurisdiction, Market, Node, Organisation, Scenario

__all__ = ["generate_scenario", "default_organisations", "min_nodes", "dormant_mask", "add_dormant_alternatives"]

_LAT_SOURCE, _LAT_HUB, _LAT_TRANSIT, _LAT_MARKET = (-4.0, 6.0), (7.0, 13.0), (14.0, 30.0), (31.0, 50.0)
_LON = (-120.0, -60.0)
_LAT_BANDS = np.array([6.5, 13.5, 22.0, 30.5])  # jurisdiction band edges
_COST_PER_KM = {"land": 0.6, "sea": 0.5, "air": 1.5, "river": 0.4}
_RISK = {"land": (0.005, 0.025), "sea": (0.02, 0.05), "air": (0.02, 0.04), "river": (0.005, 0.015)}
# mode probabilities (land, sea, air, river) by layer pair kind
_MODES = {
    "source": (0.75, 0.0, 0.0, 0.25),
    "hub": (0.2, 0.7, 0.1, 0.0),
    "transit": (0.6, 0.4, 0.0, 0.0),
    "market": (0.5, 0.3, 0.2, 0.0),
}


def default_organisations(nodes: int) -> int:
    """Organisations when none are asked for: one per 50 nodes, between 1 and 5."""
    return int(max(1, min(5, nodes // 50)))


def min_nodes(organisations: int) -> int:
    """Smallest network for ``organisations``: a source, a hub and a transit node each, and a market."""
    return 3 * organisations + 1


def dormant_mask(rng: np.random.Generator, candidates: np.ndarray, share: float) -> np.ndarray:
    """The dormant-share rule: each candidate site (a hub or a transit node) is dormant with probability ``share``.

    Used by the generator (dormant hubs and transit nodes) and by the importers
    (:func:`add_dormant_alternatives`), so ``--dormant SHARE`` means the same everywhere.
    """
    if not 0.0 <= share < 1.0:
        raise InputError(f"the dormant share must be in [0, 1), got {share:g}", path="dormant")
    return np.asarray(candidates, bool) & (rng.random(len(candidates)) < share)


def add_dormant_alternatives(scenario: Scenario, share: float, seed: int = 0) -> tuple[Scenario, int]:
    """Give an imported network dormant alternatives; return the scenario and how many were added.

    The hubs and transit nodes picked by :func:`dormant_mask` (the generator's rule) each get a
    dormant twin: the same kind, jurisdiction, position and attributes, an in-edge from each of the
    original's predecessors and an out-edge to each of its successors (copies of the original's
    edges). An organisation that may use the original may use the twin. Organisations open a twin
    when losses make it worth the opening cost, as with the generator's dormant sites; nothing
    active is removed, so flows before any opening are unchanged.
    """
    rng = np.random.default_rng(seed)
    cand = np.array([n.kind in ("hub", "transit") and not n.dormant for n in scenario.nodes], dtype=bool)
    picked = dormant_mask(rng, cand, share)
    if not picked.any():
        return scenario, 0
    ids = {n.id for n in scenario.nodes}
    twin: dict[str, str] = {}
    new_nodes = list(scenario.nodes)
    for n, pick in zip(scenario.nodes, picked.tolist(), strict=True):
        if pick:
            tid, k = f"{n.id}_alt", 2
            while tid in ids:
                tid, k = f"{n.id}_alt{k}", k + 1
            ids.add(tid)
            twin[n.id] = tid
            new_nodes.append(replace(n, id=tid, name=f"{n.name or n.id} (dormant alternative)", dormant=True))
    new_edges = list(scenario.edges)
    for e in scenario.edges:
        if e.src in twin and e.dst in twin:
            continue  # twins link to the active network, not to each other
        if e.dst in twin:
            new_edges.append(replace(e, dst=twin[e.dst]))
        if e.src in twin:
            new_edges.append(replace(e, src=twin[e.src]))
    orgs = tuple(replace(o, nodes=o.nodes + tuple(twin[v] for v in o.nodes if v in twin))
                 if o.nodes is not None else o for o in scenario.organisations)
    return replace(scenario, nodes=tuple(new_nodes), edges=tuple(new_edges), organisations=orgs), len(twin)


def _haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _near(rng, u, n_b, size=None):
    """Indices into a layer of ``n_b`` nodes near relative positions ``u`` (in [0, 1])."""
    sd = max(1.0, 0.04 * n_b)
    x = np.rint(u * (n_b - 1) + rng.normal(0.0, sd, size=np.shape(u) if size is None else size))
    return np.clip(x, 0, n_b - 1).astype(np.int64)


def _layer_edges(rng, a_ids, a_act, b_ids, b_act, target):
    """Edges from layer ``a_ids`` to layer ``b_ids`` (global ids; ``*_act`` masks of active nodes)."""
    na, nb = len(a_ids), len(b_ids)
    ua, ub = np.linspace(0.0, 1.0, na), np.linspace(0.0, 1.0, nb)
    aa, ba = np.flatnonzero(a_act), np.flatnonzero(b_act)
    ad, bd = np.flatnonzero(~a_act), np.flatnonzero(~b_act)
    src, dst = [], []
    # backbone among active nodes, and links of dormant nodes to active neighbours
    src.append(aa[_near(rng, ub[ba], len(aa))]), dst.append(ba)
    src.append(aa), dst.append(ba[_near(rng, ua[aa], len(ba))])
    src.append(aa[_near(rng, ub[bd], len(aa))]), dst.append(bd)
    src.append(ad), dst.append(ba[_near(rng, ua[ad], len(ba))])
    s = np.concatenate(src)
    d = np.concatenate(dst)
    base = np.unique(s * nb + d)
    key = base
    target = min(int(target), na * nb)
    for _ in range(8):
        missing = target - len(key)
        if missing <= 0:
            break
        xs = rng.integers(0, na, size=missing)
        xd = _near(rng, ua[xs], nb)
        key = np.union1d(key, xs * nb + xd)
    if len(key) > target:  # trim extras only, never the backbone
        extra = np.setdiff1d(key, base)
        drop = rng.choice(extra, size=min(len(key) - target, len(extra)), replace=False)
        key = np.setdiff1d(key, drop)
    backbone = np.isin(key, base)
    return a_ids[key // nb], b_ids[key % nb], backbone


def generate_scenario(
    nodes: int,
    seed: int = 0,
    organisations: int | None = None,
    *,
    edges_per_node: float = 5.0,
    dormant_share: float = 0.1,
    markets: int | None = None,
    warmup: int | None = None,
    name: str | None = None,
) -> Scenario:
    """Generate a layered synthetic scenario.

    Parameters
    ----------
    nodes
        Total number of nodes (at least ``3 * organisations + 1``).
    seed
        Seed of the generator; the same seed gives the same scenario.
    organisations
        Number of organisations (default :func:`default_organisations`).
    edges_per_node
        Edges as a multiple of nodes (about 5 gives 50,000 edges on 10,000 nodes).
    dormant_share
        Share of hubs and transit nodes (and of non-backbone edges) that are dormant.
    markets
        Number of markets (default one per 400 nodes, between 1 and 50).
    warmup
        Sets ``parameters.warmup`` (steps simulated before step 0); default: the model's.
    name
        Scenario name (default ``synthetic-N-sS``).

    Raises
    ------
    InputError
        If the sizes are impossible (too few nodes for the organisations).

    Examples
    --------
    >>> s = generate_scenario(40, seed=3, organisations=2)
    >>> sorted({n.kind for n in s.nodes})
    ['hub', 'market', 'source', 'transit']
    """
    n_total = int(nodes)
    k_org = default_organisations(n_total) if organisations is None else int(organisations)
    if k_org < 1:
        raise InputError(f"organisations must be at least 1, got {k_org}", path="organisations")
    if n_total < min_nodes(k_org):
        raise InputError(f"{k_org} organisations need at least {min_nodes(k_org)} nodes, got {n_total}",
                         path="nodes")
    if edges_per_node < 1.0:
        raise InputError(f"edges_per_node must be at least 1, got {edges_per_node:g}", path="edges_per_node")
    if not 0.0 <= dormant_share < 1.0:
        raise InputError(f"dormant_share must be in [0, 1), got {dormant_share:g}", path="dormant_share")
    rng = np.random.default_rng(seed)
    n_mkt = int(markets) if markets else int(np.clip(round(n_total / 400), 1, 50))
    n_mkt = max(1, min(n_mkt, n_total - 3 * k_org + 1))
    n_src = max(1, min(4, round(n_total / k_org / 2500)))
    if k_org * (n_src + 2) + n_mkt > n_total:
        n_src = 1
    rest = n_total - n_mkt - k_org * n_src
    per_org = np.full(k_org, rest // k_org) + (np.arange(k_org) < rest % k_org)

    # ---------------------------------------------------------------- nodes
    kind_l, org_l = [], []
    layer_sizes: list[list[int]] = []
    for o in range(k_org):
        r = int(per_org[o])
        hubs = max(1, min(r - 1, round(0.2 * r)))
        transit = r - hubs
        n_layers = int(np.clip(transit // 60 + 1, 1, 5))
        t_sizes = np.full(n_layers, transit // n_layers) + (np.arange(n_layers) < transit % n_layers)
        t_sizes = t_sizes[t_sizes > 0]
        sizes = [n_src, hubs, *map(int, t_sizes)]
        layer_sizes.append(sizes)
        for li, sz in enumerate(sizes):
            kind_l.append(np.full(sz, 0 if li == 0 else (1 if li == 1 else 2), dtype=np.int8))
            org_l.append(np.full(sz, o))
    kind_l.append(np.full(n_mkt, 3, dtype=np.int8))
    org_l.append(np.full(n_mkt, -1))
    kind = np.concatenate(kind_l)
    org = np.concatenate(org_l)
    n = len(kind)
    assert n == n_total

    # geography: latitude by layer, longitude within the organisation's sector (sorted within a layer)
    lat = np.empty(n)
    lon = np.empty(n)
    width = (_LON[1] - _LON[0]) / k_org
    starts = np.cumsum([0] + [sum(s) for s in layer_sizes])
    for o in range(k_org):
        pos = starts[o]
        sizes = layer_sizes[o]
        n_t = len(sizes) - 2
        for li, sz in enumerate(sizes):
            if li == 0:
                lo, hi = _LAT_SOURCE
            elif li == 1:
                lo, hi = _LAT_HUB
            else:
                span = (_LAT_TRANSIT[1] - _LAT_TRANSIT[0]) / n_t
                lo = _LAT_TRANSIT[0] + (li - 2) * span
                hi = lo + span
            sl = slice(pos, pos + sz)
            lat[sl] = rng.uniform(lo, hi, sz)
            lon[sl] = np.sort(rng.uniform(_LON[0] + o * width, _LON[0] + (o + 1) * width, sz))
            pos += sz
    lat[-n_mkt:] = rng.uniform(*_LAT_MARKET, n_mkt)
    lon[-n_mkt:] = np.sort(rng.uniform(*_LON, n_mkt))

    dormant = dormant_mask(rng, (kind == 1) | (kind == 2), dormant_share)
    # keep at least one active node in every layer
    for o in range(k_org):
        pos = starts[o]
        for sz in layer_sizes[o]:
            if dormant[pos:pos + sz].all():
                dormant[pos] = False
            pos += sz

    # ----------------------------------------------------------- organisations
    prod_o = np.round(rng.uniform(1000.0, 3000.0, k_org), -1)
    total_prod = float(prod_o.sum())

    # ---------------------------------------------------------------- edges
    per_out = edges_per_node * n / max(n - n_mkt, 1)
    e_src, e_dst, e_back, e_pair, e_org = [], [], [], [], []
    mkt_ids = np.arange(n - n_mkt, n)
    for o in range(k_org):
        pos = starts[o]
        layers = []
        for sz in layer_sizes[o]:
            layers.append(np.arange(pos, pos + sz))
            pos += sz
        layers.append(mkt_ids)
        for li in range(len(layers) - 1):
            a, b = layers[li], layers[li + 1]
            s, d, bb = _layer_edges(rng, a, ~dormant[a], b, ~dormant[b], round(per_out * len(a)))
            e_src.append(s)
            e_dst.append(d)
            e_back.append(bb)
            pair_kind = ("source" if li == 0 else
                         ("hub" if li == 1 else ("market" if li == len(layers) - 2 else "transit")))
            e_pair.append(np.full(len(s), list(_MODES).index(pair_kind)))
            e_org.append(np.full(len(s), o))
            # edge capacity scale: production over the narrower active layer
            narrow = max(1, min(int((~dormant[a]).sum()), int((~dormant[b]).sum())))
            e_org[-1] = np.stack([e_org[-1], np.full(len(s), narrow)])
    src = np.concatenate(e_src)
    dst = np.concatenate(e_dst)
    backbone = np.concatenate(e_back)
    pair = np.concatenate(e_pair)
    eorg, narrow = np.concatenate(e_org, axis=1)
    m = len(src)
    u = rng.random(m)
    mode = np.zeros(m, dtype=np.int64)
    for pk, probs in enumerate(_MODES.values()):
        sel = pair == pk
        cum = np.cumsum(probs)
        mode[sel] = np.searchsorted(cum, u[sel] * cum[-1], side="right")
    mode = np.minimum(mode, 3)
    km = _haversine_km(lat[src], lon[src], lat[dst], lon[dst])
    per_km = np.array([_COST_PER_KM[x] for x in EDGE_MODES])[mode]
    cost = np.round(50.0 + per_km * km, 0)
    etime = 1 + (km > 1200).astype(np.int64) + (km > 2500).astype(np.int64)
    risk_lo = np.array([_RISK[x][0] for x in EDGE_MODES])[mode]
    risk_hi = np.array([_RISK[x][1] for x in EDGE_MODES])[mode]
    risk = np.round(rng.uniform(risk_lo, risk_hi), 4)
    cap = np.round(prod_o[eorg] * rng.uniform(1.5, 3.0, m) / narrow + 100.0, -1)
    edormant = (~backbone) & (rng.random(m) < dormant_share) & ~dormant[src] & ~dormant[dst]

    # --------------------------------------------------------- node attributes
    hubs_o = np.bincount(org[(kind == 1) & ~dormant], minlength=k_org)
    hub_cap = np.round(prod_o[np.maximum(org, 0)] * rng.uniform(1.5, 3.0, n) / np.maximum(hubs_o[np.maximum(org, 0)], 1)
                       + 200.0, -1)
    node_cap = np.where(kind == 1, hub_cap, np.inf)
    storage = np.where(kind == 1, 3.0 * hub_cap, np.inf)
    enf = np.where(kind == 1, rng.uniform(0.005, 0.03, n), np.where(kind == 2, rng.uniform(0.0, 0.02, n), 0.0))
    enf = np.round(enf, 4)
    occ = np.where(kind == 1, rng.integers(1, 9, n), np.where(kind == 2, rng.integers(0, 3, n), 0)).astype(float)

    # jurisdictions: latitude band x longitude sector
    n_sec = int(min(4, k_org)) if k_org > 1 else 2
    band = np.searchsorted(_LAT_BANDS, lat)
    sector = np.clip(((lon - _LON[0]) / (_LON[1] - _LON[0]) * n_sec).astype(np.int64), 0, n_sec - 1)
    jcode = band * n_sec + sector
    used = np.unique(jcode)
    band_names = ("production zone", "coastal zone", "southern transit zone", "northern transit zone",
                  "consumer zone")
    corr = rng.uniform(0.2, 0.6, len(used))
    police = rng.uniform(0.2, 0.5, len(used))
    juris = []
    for i, c in enumerate(used):
        bnd, sct = divmod(int(c), n_sec)
        consumer = bnd == len(_LAT_BANDS)
        juris.append(Jurisdiction(
            id=f"Z{bnd}{sct}", name=f"Synthetic {band_names[bnd]}, sector {sct + 1}",
            corruption=round(float(0.05 if consumer else corr[i]), 3), state_revenue=1.0,
            police_capacity=round(float(0.8 if consumer else police[i]), 3)))
    jid = {int(c): j.id for c, j in zip(used, juris, strict=True)}

    prefix = np.array(["src", "hub", "tr", "mkt"])
    layer_rank = np.zeros(n, dtype=np.int64)
    for kd in range(4):
        for o in range(-1, k_org):
            rank_at = np.flatnonzero((kind == kd) & (org == o))
            layer_rank[rank_at] = np.arange(len(rank_at))
    ids = [f"{prefix[kd]}{r}" if o < 0 else f"o{o + 1}_{prefix[kd]}{r}"
           for kd, o, r in zip(kind.tolist(), org.tolist(), layer_rank.tolist(), strict=True)]
    kinds = ("source", "hub", "transit", "market")
    node_recs = tuple(
        Node(id=ids[i], kind=kinds[kd], jurisdiction=jid[jc], lat=round(la, 4), lon=round(lo_, 4),
             capacity=cp, storage=st, enforcement=en, occupancy=oc, dormant=dm)
        for i, (kd, jc, la, lo_, cp, st, en, oc, dm) in enumerate(zip(
            kind.tolist(), jcode.tolist(), lat.tolist(), lon.tolist(), node_cap.tolist(), storage.tolist(),
            enf.tolist(), occ.tolist(), dormant.tolist(), strict=True))
    )
    edge_recs = tuple(
        Edge(src=ids[a], dst=ids[b], mode=EDGE_MODES[md], capacity=cp, cost=c, time=t, risk=r, dormant=dm)
        for a, b, md, cp, c, t, r, dm in zip(src.tolist(), dst.tolist(), mode.tolist(), cap.tolist(),
                                             cost.tolist(), etime.tolist(), risk.tolist(), edormant.tolist(),
                                             strict=True)
    )
    orgs = []
    ra = np.round(rng.uniform(0.8, 1.3, k_org), 2)
    tol = np.round(rng.uniform(0.08, 0.15, k_org), 3)
    for o in range(k_org):
        members = np.flatnonzero(org == o)
        srcs = members[kind[members] == 0]
        orgs.append(Organisation(
            id=f"org_{o + 1}", name=f"Synthetic organisation {o + 1} (fictional)",
            production={ids[v]: float(prod_o[o] / len(srcs)) for v in srcs},
            cash=float(np.round(1.0e4 * prod_o[o], -3)), risk_aversion=float(ra[o]),
            loss_tolerance=float(tol[o]), nodes=tuple([ids[v] for v in members] + [ids[v] for v in mkt_ids]),
        ))
    share = rng.dirichlet(np.full(n_mkt, 4.0))
    mkts = tuple(
        Market(node=ids[v], reference_price=float(np.round(rng.uniform(25000, 35000), -2)),
               reference_demand=float(np.round(0.95 * total_prod * share[i], 1)), elasticity=0.5)
        for i, v in enumerate(mkt_ids)
    )
    params = Parameters() if warmup is None else replace(Parameters(), warmup=int(warmup))
    strategies = {"hub-strikes": {
        "description": "A strike on the hub carrying the most observed flow every 4 weeks from week 4.",
        "levers": [{"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
                    "schedule": {"start": 4, "every": 4}, "intel_accuracy": 0.8, "unit_cost": 2.0e6}],
    }}
    return Scenario(
        name=name or f"synthetic-{n_total}-s{seed}",
        description=(f"Synthetic layered network (seed {seed}): {n_total} nodes, {m} edges, "
                     f"{k_org} organisations, {n_mkt} markets. Generated; illustrative numbers only."),
        steps=52, jurisdictions=tuple(juris), nodes=node_recs, edges=edge_recs, organisations=tuple(orgs),
        markets=mkts, parameters=params, strategies=strategies,
    )
