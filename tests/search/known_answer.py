"""A synthetic portfolio evaluator whose Pareto front is known by exhaustive evaluation."""

from __future__ import annotations

import itertools
import math

import numpy as np

KNOWN_SEARCH = """\
scenario: caribbean
budget_usd: 6.0e7
levers:
  - {type: strike, damage: {low: 0.0, high: 1.0, step: 0.25}, targets: {rule: [top_throughput, betweenness]},
     schedule: {start: 4, every: [4, 8, 12]}, unit_cost: 2.0e6}
  - {type: maritime_interdiction, intensity: {low: 0.0, high: 0.5, step: 0.1}, zone: {mode: sea},
     lethal: [false, true], schedule: {start: 4}, unit_cost: 1.0e5}
  - {type: humanitarian_aid, intensity: {low: 0.0, high: 1.0, step: 0.5}, jurisdiction: VE,
     schedule: {start: 4}, unit_cost: 2.0e5}
objectives:
  - {outcome: flow_reduction_pct, direction: max, robustness: mean}
  - {outcome: cost_usd, direction: min}
constraints:
  - {outcome: civilian_harm, max: 40, robustness: p90}
uncertainties:
  - {path: parameters.learning_rate, low: 0.05, high: 0.5}
futures: 3
replications: 2
evaluations: EVALS
seed: SEED
"""


def synthetic(levers: list[dict], future: np.ndarray, f: int, r: int) -> dict:
    """Outcomes of a portfolio in one cell: smooth, conflicting, and cheap (no simulation)."""
    u = float(future[0])  # learning rate 0.05..0.5: adaptive networks blunt every lever
    noise = 1.0 + 0.02 * math.sin(7.0 * f + 3.0 * r)  # the same in a cell whatever the portfolio
    keep, harm, cost = 1.0, 0.0, 0.0
    for lv in levers:
        if lv["type"] == "strike":
            firings = 100 // lv["schedule"]["every"]
            hit = lv["damage"] * (1.0 if lv["targets"]["rule"] == "top_throughput" else 0.7)
            keep *= 1.0 - 0.45 * hit * (firings / 25.0) ** 0.5 * (1.0 - u)
            harm += 1.2 * firings * lv["damage"] ** 0.5
            cost += 2.0e6 * firings
        elif lv["type"] == "maritime_interdiction":
            keep *= 1.0 - lv["intensity"] * (1.1 if lv["lethal"] else 0.8) * (1.0 - 0.5 * u)
            harm += 60.0 * lv["intensity"] if lv["lethal"] else 0.0
            cost += 1.0e5 * 100 * (0.5 + lv["intensity"])
        else:
            keep *= 1.0 - 0.08 * lv["intensity"]
            harm *= 1.0 - 0.3 * lv["intensity"]
            cost += 2.0e5 * 100 * lv["intensity"]
    return {"flow_reduction_pct": 100.0 * (1.0 - keep) * noise, "civilian_harm": harm * noise, "cost_usd": cost,
            "delivered_kg": 1e5 * keep, "backlash": 0.0, "hardship": 0.0}


def all_portfolios(spec) -> dict[str, np.ndarray]:
    """Every distinct portfolio of the (discrete) decision space: key -> genes."""
    lo, hi = spec.bounds
    out: dict[str, np.ndarray] = {}
    for combo in itertools.product(*[range(int(a), int(b) + 1) for a, b in zip(lo, hi, strict=True)]):
        x = np.array(combo, dtype=float)
        out.setdefault(spec.key(x), x)
    return out
