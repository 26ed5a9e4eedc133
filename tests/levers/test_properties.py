"""Properties of all levers together on random networks (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import Scenario, simulate
from counterflow.strategy import parse_strategy
from tests.netgen import scenario_dicts

unit = st.floats(0.0, 1.0, allow_nan=False)


def _all_levers(i) -> dict:
    """Every lever at once, targets chosen by rules (the random networks have no fixed names but J0..J2)."""
    return {"name": "everything", "actor": "J0", "levers": [
        {"type": "intel_sharing", "intensity": i[0], "schedule": {"start": 1}},
        {"type": "strike", "targets": {"rule": i[8], "k": 1}, "damage": i[1], "schedule": {"start": 2, "every": 3}},
        {"type": "maritime_interdiction", "zone": {"rule": i[8], "k": 2}, "intensity": i[2], "lethal": True,
         "schedule": {"start": 1}},
        {"type": "blockade", "jurisdiction": {"jurisdictions": ["J1"]}, "intensity": i[3], "schedule": {"start": 1}},
        {"type": "sanctions", "organisations": {"rule": i[8], "k": 1}, "intensity": i[4], "schedule": {"start": 1}},
        {"type": "arrests", "jurisdiction": {"rule": i[8], "k": 1}, "intensity": i[5], "schedule": {"start": 1,
                                                                                                    "every": 2}},
        {"type": "police_support", "jurisdiction": {"rule": i[8], "k": 2}, "intensity": i[6], "ramp_steps": 3,
         "schedule": {"start": 1}},
        {"type": "humanitarian_aid", "jurisdiction": {"jurisdictions": ["J1", "J2"]}, "intensity": i[7],
         "schedule": {"start": 1}},
    ]}


@given(scenario_dicts(max_steps=15), st.tuples(*[unit] * 8, st.sampled_from(["top_throughput", "betweenness",
                                                                              "random"])),
       st.integers(0, 1000))
@settings(max_examples=25)
def test_all_levers_keep_mass_and_bounds(data, intensities, seed):
    """With every lever active at random intensities: mass balance holds and society indices stay in range."""
    scenario = Scenario.from_dict(data)
    strategy = parse_strategy(_all_levers(intensities), scenario=scenario)
    traj = simulate(scenario, strategy, seed=seed)
    b = traj.balance
    np.testing.assert_allclose(b[:, 1:].sum(axis=1), b[:, 0], rtol=1e-9, atol=1e-6)
    assert (b >= -1e-6).all()
    s = traj.series
    assert ((s["backlash"] >= 0) & (s["backlash"] <= 1)).all()
    assert (s["hardship"] >= 0).all() and (s["harm"] >= 0).all()
