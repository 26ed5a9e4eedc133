"""One working example of every lever on the caribbean scenario, with the levers it needs beside it.

``EXAMPLES[type] = (lever, companions)``: ``companions`` are levers the
example needs to show an effect (intelligence sharing acts through strikes
and interdiction); the generic checks compare "companions + lever" with
"companions alone".
"""

from __future__ import annotations

STRIKE = {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
          "schedule": {"start": 3, "every": 5}, "intel_accuracy": 0.6, "unit_cost": 2.0e6}
BLOCKADE = {"type": "blockade", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.5,
            "schedule": {"start": 2}, "unit_cost": 1.0e6}

EXAMPLES: dict[str, tuple[dict, list[dict]]] = {
    "strike": (STRIKE, []),
    "maritime_interdiction": ({"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.2,
                               "lethal": True, "schedule": {"start": 2}, "unit_cost": 1.5e6}, []),
    "blockade": (BLOCKADE, []),
    "sanctions": ({"type": "sanctions", "organisations": {"rule": "top_throughput", "k": 1}, "intensity": 1.0,
                   "schedule": {"start": 2}, "unit_cost": 5.0e4}, [STRIKE]),
    "arrests": ({"type": "arrests", "jurisdiction": {"jurisdictions": ["VE", "CO"]}, "intensity": 0.5,
                 "schedule": {"start": 2, "every": 4}, "unit_cost": 2.0e5}, []),
    "police_support": ({"type": "police_support", "jurisdiction": {"rule": "top_throughput", "k": 2},
                        "intensity": 0.3, "ramp_steps": 4, "schedule": {"start": 2}, "unit_cost": 3.0e5}, []),
    "intel_sharing": ({"type": "intel_sharing", "intensity": 0.9, "schedule": {"start": 2}, "unit_cost": 1.0e5},
                      [STRIKE]),
    "humanitarian_aid": ({"type": "humanitarian_aid", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.4,
                          "schedule": {"start": 2}, "unit_cost": 5.0e5}, [BLOCKADE]),
}


def strategy_dict(name: str, levers: list[dict]) -> dict:
    return {"name": name, "actor": "US", "levers": levers}
