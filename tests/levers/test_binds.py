"""Each lever, acting alone on a scenario where it binds, moves delivered or seized kg (50 paired seeds).

The scenarios and settings are those named in docs/levers.md ("Where each lever binds"). Intelligence
sharing only amplifies strikes and interdiction, so it is compared with interdiction alone.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from counterflow import compile_network, load_scenario, simulate
from counterflow.strategy import parse_strategy

pytestmark = pytest.mark.slow

SEEDS = 50
STEPS = 52
BOATS = {"type": "maritime_interdiction", "zone": {"mode": "sea", "jurisdictions": ["VE", "CB"]},
         "intensity": 0.15, "schedule": {"start": 4}}
CASES = {
    "strike": ("transatlantic", [{"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
                                  "schedule": {"start": 4, "every": 4}}], None),
    "maritime_interdiction": ("caribbean", [BOATS], None),
    "blockade": ("caribbean", [{"type": "blockade", "jurisdiction": "VE", "intensity": 0.5,
                                "schedule": {"start": 4}}], None),
    "sanctions": ("transatlantic", [{"type": "sanctions", "organisations": ["org_atl"], "intensity": 1.0,
                                     "laundering_cost": 1.0, "schedule": {"start": 4, "every": 4}}], None),
    "arrests": ("caribbean", [{"type": "arrests", "jurisdiction": "VE", "intensity": 0.3,
                               "schedule": {"start": 4, "every": 4}}], None),
    "police_support": ("caribbean", [{"type": "police_support", "jurisdiction": "VE", "intensity": 0.1,
                                      "schedule": {"start": 4}}], None),
    "intel_sharing": ("caribbean", [BOATS, {"type": "intel_sharing", "intensity": 0.7, "schedule": {"start": 4}}],
                      [BOATS]),
    "humanitarian_aid": ("transatlantic", [{"type": "humanitarian_aid", "jurisdiction": "SA", "intensity": 0.3,
                                            "schedule": {"start": 4}}], None),
}


@cache
def _net(name):
    sc = load_scenario(name)
    return sc, compile_network(sc)


def _totals(net, strategy, seed):
    tr = simulate(net, strategy, seed=seed, steps=STEPS, record_flows=False)
    return tr.delivered_total.sum(), tr.series["seized"].sum()


@cache
def lever_diffs(lever: str) -> np.ndarray:
    """Per seed, (delivered, seized) kg summed over the horizon: the lever minus its reference (the baseline)."""
    name, levers, reference = CASES[lever]
    sc, net = _net(name)
    strat = parse_strategy({"name": lever, "levers": levers}, scenario=sc)
    ref = parse_strategy({"name": "ref", "levers": reference}, scenario=sc) if reference else None
    return np.array([np.subtract(_totals(net, strat, i), _totals(net, ref, i)) for i in range(SEEDS)])


def _interval(diff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    half = 1.96 * diff.std(axis=0, ddof=1) / np.sqrt(SEEDS)
    return diff.mean(axis=0) - half, diff.mean(axis=0) + half


@pytest.mark.parametrize("lever", sorted(CASES))
def test_lever_alone_moves_delivered_or_seized(lever):
    diff = lever_diffs(lever)
    lo, hi = _interval(diff)
    excludes_zero = (lo > 0) | (hi < 0)
    assert excludes_zero.any(), (lever, diff.mean(axis=0), lo, hi)


def table() -> str:
    """The numbers of docs/levers.md ("Where each lever binds"): ``PYTHONPATH=src:. python -m tests.levers.test_binds``."""
    rows = ["| lever | delivered kg | seized kg |", "|---|---|---|"]
    for lever in CASES:
        diff = lever_diffs(lever)
        lo, hi = _interval(diff)
        cells = [f"{m:+,.0f} [{a:+,.0f}, {b:+,.0f}]" for m, a, b in zip(diff.mean(axis=0), lo, hi, strict=True)]
        rows.append(f"| `{lever}` | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
