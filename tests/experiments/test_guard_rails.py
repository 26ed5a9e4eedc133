"""Guard rails: sensitivity warns on small samples and on intervals wider than the index, and shows SALib's
warnings; calibration labels its fit statistics exactly and warns on poorly identified parameters and poor fits."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from counterflow.experiments.sampling import sample_design
from counterflow.experiments.sensitivity import (
    MIN_MORRIS_TRAJECTORIES,
    MIN_SOBOL_N,
    indices,
    interval_warnings,
    sample_warnings,
)

PROBLEM = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


@pytest.mark.parametrize(("method", "per"), [("sobol", 5), ("morris", 4)])
def test_a_sample_too_small_for_the_method_warns_and_a_large_one_does_not(method, per):
    small = (MIN_SOBOL_N if method == "sobol" else MIN_MORRIS_TRAJECTORIES) - 1
    assert "sample more" in sample_warnings(method, small * per, 3)[0]
    assert sample_warnings(method, (small + 1) * per, 3) == []


def test_the_issue_example_n8_sobol_warns_on_size_and_on_intervals():
    """N = 8 on Ishigami: indices with intervals wider than themselves are flagged; the sample is too small."""
    X = sample_design("sobol", 8, 3, seed=0)
    res = indices("sobol", PROBLEM, X, Ishigami.evaluate(X), seed=0)
    wide = interval_warnings("sobol", res)
    assert wide and all("wider than the index" in w for w in wide)
    flagged = {(w.split(":")[0], w.split()[1]) for w in wide}
    expected = {(n, k) for n, v in res.items() for k in ("S1", "ST")
                if v[k] is not None and v[f"{k}_conf"] > abs(v[k])}
    assert flagged == expected
    assert sample_warnings("sobol", len(X), 3)


def test_a_large_sobol_sample_of_a_clear_driver_raises_no_interval_warning():
    X = sample_design("sobol", 1024, 3, seed=0)
    res = indices("sobol", PROBLEM, X, X[:, 0] + 0.1 * X[:, 1], seed=0)
    assert not [w for w in interval_warnings("sobol", res) if w.startswith("x1")]


def test_salib_warnings_are_shown_not_swallowed():
    """An outcome that is constant in most resamples makes SALib warn; the warning reaches the caller once."""
    X = sample_design("sobol", 16, 3, seed=0)
    Y = np.zeros(len(X))
    Y[1] = 1.0  # Saltelli blocks are [A, AB_1..AB_D, B]: only one AB row differs, so A and B are constant
    assert np.ptp(Y) > 0
    warn: list[str] = []
    indices("sobol", PROBLEM, X, Y, seed=0, warn=warn)
    assert warn == ["SALib: Constant values encountered, indicating model evaluations (or subset of "
                    "evaluations) produced identical values."]
    # the same call without a list keeps them away from the user's warning filters
    import warnings

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        indices("sobol", PROBLEM, X, Y, seed=0)
    assert leaked == []
