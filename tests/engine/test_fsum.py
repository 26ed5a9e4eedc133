"""The kernels' correctly rounded sum (``_kernels.fsum``) gives :func:`math.fsum`'s result bit for bit: the engine's
totals (delivered, produced, seized per step) were summed by ``math.fsum`` in Python before the step moved into
compiled code, and the pinned trajectories depend on every last bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow.engine._kernels import fsum

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, max_size=12))
def test_fsum_is_math_fsum(values):
    assert fsum(np.array(values, dtype=np.float64)) == math.fsum(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=40),
       st.integers(0, 2**32 - 1))
def test_fsum_of_kilograms(values, seed):
    """The engine's case: non-negative kilograms of very different sizes, shuffled."""
    x = np.array(values) * np.random.default_rng(seed).random(len(values)) ** 8
    assert fsum(x) == math.fsum(x.tolist())


def test_fsum_needs_the_half_even_correction():
    """Cases where a naive or a merely compensated sum is one ulp off, and the last partials decide the rounding."""
    for values in ([1e-16, 1.0, 1e16], [1.0, 1e100, 1.0, -1e100], [0.1] * 10, [1e308, -1e308, 1e-300], [],
                   [2.0**53, 1.0, 2.0**-60], [-0.0]):
        assert fsum(np.array(values, dtype=np.float64)) == math.fsum(values), values
    assert sum([1e-16, 1.0, 1e16]) != math.fsum([1e-16, 1.0, 1e16])  # the case is a real test of the rounding
