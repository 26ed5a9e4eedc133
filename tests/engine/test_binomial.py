"""The compiled binomial sampler against scipy.stats.binom."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from counterflow.engine._kernels import binomial_from_uniform


@pytest.mark.parametrize("n,p", [(1, 0.3), (7, 0.05), (40, 0.5), (300, 0.2), (1000, 0.02), (5000, 0.01),
                                 (5, 0.6), (1000, 0.9), (3000, 0.97)])
def test_exact_regime_is_the_binomial_quantile_function(n, p):
    """Where n p (1-p) <= 100 the draw is the exact inverse CDF: binom.ppf(u) for p <= 0.5, and for
    p > 0.5 n minus the failures' quantile at 1 - u (no underflow of (1-p)**n at large n)."""
    assert n * p * (1 - p) <= 100
    u = np.linspace(0.0005, 0.9995, 1999)
    got = np.array([binomial_from_uniform(n, p, x) for x in u])
    want = stats.binom.ppf(u, n, p) if p <= 0.5 else n - stats.binom.ppf(1 - u, n, 1 - p)
    # the two CDF sums differ in the last bits, so a draw may differ by one where u sits on a CDF step
    assert np.abs(got - want).max() <= 1
    assert (got != want).sum() <= 2


@pytest.mark.parametrize("n,p", [(2000, 0.3), (100000, 0.01), (50000, 0.5), (10500, 0.01), (1000, 0.9)])
def test_normal_regime_matches_the_binomial_distribution(n, p):
    """Where n p (1-p) > 100 the draws follow Binomial(n, p): chi-square over deciles, mean and variance.

    200,000 draws resolve the skew of the distribution near the threshold (n p (1-p) just above
    100, p far from 0.5), which a plain normal approximation misses (chi-square 72-125 here).
    """
    rng = np.random.default_rng(7)
    u = rng.random(200_000)
    draws = np.array([binomial_from_uniform(n, p, x) for x in u])
    assert draws.min() >= 0 and draws.max() <= n
    edges = stats.binom.ppf(np.linspace(0, 1, 11)[1:-1], n, p)
    counts = np.bincount(np.searchsorted(edges, draws, side="left"), minlength=10)
    probs = np.diff(np.r_[0.0, stats.binom.cdf(edges, n, p), 1.0])
    chi2 = ((counts - probs * draws.size) ** 2 / (probs * draws.size)).sum()
    assert chi2 < stats.chi2.ppf(0.999, 9)
    assert draws.mean() == pytest.approx(n * p, rel=0.01)
    assert draws.var() == pytest.approx(n * p * (1 - p), rel=0.05)


def test_edge_cases():
    assert binomial_from_uniform(0, 0.5, 0.5) == 0
    assert binomial_from_uniform(10, 0.0, 0.99) == 0
    assert binomial_from_uniform(10, 1.0, 0.01) == 10
