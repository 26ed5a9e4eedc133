"""recovery_steps and recovery_status against the paired baseline with a noise band; displacement_pct."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import load_scenario
from counterflow.metrics import RECOVERY_STATUSES, _smooth, displacement_pct, recovery
from counterflow.runner import run_replications
from counterflow.strategy import BASELINE, parse_strategy


def brute_force(delivered, baseline, first, window, band):
    """The definition read literally, one step at a time."""
    s, b = _smooth(delivered, window), _smooth(baseline, window)
    inside = [abs(s[t] - b[t]) <= band * max(b[t], 0.0) for t in range(len(s))]
    if first is None or first >= len(s):
        return 0.0, "no_effect"
    out = [t for t in range(first, len(s)) if not inside[t]]
    if not out:
        return 0.0, "no_effect"
    for r in range(out[0] + 1, len(s) - window + 1):
        if all(inside[r:r + window]):
            return float(r - first), "recovered"
    return None, "never"


series = st.lists(st.floats(0.0, 1000.0), min_size=3, max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.data(), series, st.integers(0, 45), st.integers(1, 6), st.sampled_from([0.0, 0.02, 0.1, 0.5]))
def test_recovery_matches_the_definition(data, base, first, window, band):
    base = np.array(base)
    noise = data.draw(st.lists(st.floats(-300.0, 300.0), min_size=len(base), max_size=len(base)))
    run = np.maximum(base + np.array(noise), 0.0)
    got = recovery(run, base, first, window, band)
    assert got == brute_force(run, base, first, window, band)
    steps, status = got
    assert status in RECOVERY_STATUSES
    assert (steps is None) == (status == "never")  # null steps are never ambiguous
    if status == "no_effect":
        assert steps == 0.0


@settings(max_examples=50, deadline=None)
@given(series, st.integers(0, 10), st.integers(1, 6))
def test_a_run_identical_to_its_baseline_has_no_effect(base, first, window):
    base = np.array(base)
    assert recovery(base, base.copy(), first, window, 0.0) == (0.0, "no_effect")


def test_a_dip_inside_the_band_is_no_effect_and_one_outside_recovers_after_it():
    base = np.full(30, 1000.0)
    small = base.copy()
    small[10] = 1000.0 * (1 - 0.02 * 4)  # smoothed over 4 steps: exactly 2 % below for four steps
    assert recovery(small, base, 4, window=4, band=0.02) == (0.0, "no_effect")
    big = base.copy()
    big[10:12] = 0.0  # smoothed: outside the band at steps 10..14, back inside from 15
    assert recovery(big, base, 4, window=4, band=0.02) == (11.0, "recovered")
    assert recovery(big, base, 4, window=4, band=0.6) == (0.0, "no_effect")


def test_a_shift_that_lasts_never_recovers_in_either_direction():
    base = np.full(30, 1000.0)
    for k in (0.9, 1.1):
        moved = base.copy()
        moved[8:] *= k
        assert recovery(moved, base, 4, window=4, band=0.02) == (None, "never")


def test_back_too_late_to_stay_a_window_is_never():
    base = np.full(20, 1000.0)
    late = base.copy()
    late[4:17] = 0.0
    assert recovery(late, base, 4, window=4, band=0.02)[1] == "never"


def test_displacement_counts_only_flow_above_the_paired_baseline():
    base = np.array([10.0, 0.0, 5.0])
    moved = np.array([0.0, 10.0, 5.0])
    assert displacement_pct(moved, base) == pytest.approx(100 * 10 / 15)
    assert displacement_pct(base, base) == 0.0


def test_an_inert_lever_gives_no_effect_and_null_means_never_on_the_model(caribbean):
    """A zero-intensity interdiction leaves the trajectory bit-identical: every run is no_effect with 0 steps.
    A one-off strike is scored per run: steps are null exactly for the runs whose status is never."""
    inert = parse_strategy({"name": "inert", "levers": [{"type": "maritime_interdiction", "zone": {"mode": "sea"},
                                                          "intensity": 0.0, "schedule": {"start": 2}}]},
                           scenario=caribbean)
    strike = parse_strategy({"name": "strike", "levers": [{"type": "strike", "targets": {"nodes": ["port_main"]},
                                                           "schedule": {"at": 2}, "intel_accuracy": 1.0}]},
                            scenario=caribbean)
    res = run_replications(caribbean, [BASELINE, inert, strike], runs=4, seed=5, steps=30)
    t = res.table()
    i = t[t.strategy == "inert"]
    assert (i.recovery_status == "no_effect").all() and (i.recovery_steps == 0).all()
    assert (i.flow_reduction_pct == 0).all()
    s = t[t.strategy == "strike"]
    assert (s.recovery_status != "no_effect").all()  # a sure hit on the main port moves delivery
    assert (s.recovery_steps.isna() == (s.recovery_status == "never")).all()
    shares = res.summary(["recovery_status"])["strike"]["recovery_status"]["shares"]
    assert sum(shares.values()) == pytest.approx(100.0)
    assert shares["recovered"] == pytest.approx(100 * (s.recovery_status == "recovered").mean())
    assert load_scenario("caribbean").parameters.recovery_band == 0.02
