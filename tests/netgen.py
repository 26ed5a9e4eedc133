"""Random valid scenarios for property tests (hypothesis strategies and a seeded builder)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def random_scenario_dict(seed: int, *, n_hubs: int = 3, n_transit: int = 3, n_markets: int = 2,
                         n_orgs: int = 2, steps: int = 20, dormant_share: float = 0.3,
                         times: tuple[int, int] = (1, 3)) -> dict:
    """A layered source -> hub -> transit -> market scenario, valid by construction."""
    rng = np.random.default_rng(seed)
    n_src = int(rng.integers(1, 3))
    nodes, edges = [], []
    juris = [{"id": f"J{k}", "corruption": float(rng.uniform(0, 0.7)), "police_capacity": 0.5} for k in range(3)]
    layers = {
        "source": [f"s{i}" for i in range(n_src)],
        "hub": [f"h{i}" for i in range(n_hubs)],
        "transit": [f"t{i}" for i in range(n_transit)],
        "market": [f"m{i}" for i in range(n_markets)],
    }
    for kind, ids in layers.items():
        for i, nid in enumerate(ids):
            node = {"id": nid, "kind": kind, "jurisdiction": f"J{int(rng.integers(0, 3))}",
                    "lat": float(rng.uniform(0, 30)), "lon": float(rng.uniform(-100, -60))}
            if kind in ("hub", "transit"):
                node["capacity"] = float(rng.integers(500, 5000))
                node["enforcement"] = float(rng.uniform(0, 0.05))
                node["occupancy"] = float(rng.uniform(0, 5))
                node["storage"] = float(rng.integers(2000, 20000))
                if kind == "hub" and i > 0 and rng.random() < dormant_share:
                    node["dormant"] = True
            nodes.append(node)
    order = ["source", "hub", "transit", "market"]
    for a, b in zip(order[:-1], order[1:], strict=True):
        for u in layers[a]:
            targets = rng.choice(layers[b], size=min(len(layers[b]), int(rng.integers(1, 3))), replace=False)
            for v in targets:
                edges.append({"from": u, "to": str(v), "mode": str(rng.choice(["land", "sea", "air"])),
                              "capacity": float(rng.integers(500, 6000)), "cost": float(rng.integers(50, 2000)),
                              "time": int(rng.integers(times[0], times[1] + 1)), "risk": float(rng.uniform(0, 0.08))})
        # every node of the next layer gets an in-edge so markets are reachable
        for v in layers[b]:
            if not any(e["to"] == v for e in edges):
                u = str(rng.choice(layers[a]))
                edges.append({"from": u, "to": v, "mode": "land", "capacity": 3000.0, "cost": 300.0,
                              "time": 1, "risk": 0.02})
    # hub -> transit reachability for every hub (so no hub is a dead end)
    for h in layers["hub"]:
        if not any(e["from"] == h for e in edges):
            edges.append({"from": h, "to": layers["transit"][0], "mode": "sea", "capacity": 2000.0,
                          "cost": 500.0, "time": 1, "risk": 0.03})
    for t in layers["transit"]:
        if not any(e["from"] == t for e in edges):
            edges.append({"from": t, "to": layers["market"][0], "mode": "sea", "capacity": 2000.0,
                          "cost": 500.0, "time": 1, "risk": 0.03})
    orgs = []
    for k in range(n_orgs):
        src = layers["source"][k % n_src]
        orgs.append({"id": f"org{k}", "production": {src: float(rng.integers(500, 3000))},
                     "cash": float(rng.uniform(1e5, 1e7)), "risk_aversion": float(rng.uniform(0.2, 2.0)),
                     "loss_tolerance": float(rng.uniform(0.02, 0.3))})
    markets = [{"node": m, "reference_price": float(rng.integers(10000, 40000)),
                "reference_demand": float(rng.integers(500, 3000)), "elasticity": float(rng.uniform(0.3, 1.5))}
               for m in layers["market"]]
    return {"name": f"random{seed}", "steps": steps, "jurisdictions": juris, "nodes": nodes, "edges": edges,
            "organisations": orgs, "markets": markets, "parameters": {"warmup": int(rng.integers(0, 10))}}


@st.composite
def scenario_dicts(draw, max_steps: int = 25):
    seed = draw(st.integers(0, 2**31 - 1))
    return random_scenario_dict(
        seed, n_hubs=draw(st.integers(1, 4)), n_transit=draw(st.integers(1, 4)),
        n_markets=draw(st.integers(1, 3)), n_orgs=draw(st.integers(1, 3)),
        steps=draw(st.integers(5, max_steps)),
    )
