"""Sampling designs on the unit hypercube: SALib (Sobol, Morris) and ``scipy.stats.qmc`` (LHS).

Every design is a deterministic function of the experiment seed. For
``sobol`` and ``morris`` the sample count is SALib's base size N (Sobol
without second-order indices evaluates N·(D+2) points, Morris N·(D+1)); for
``lhs``, ``mc`` and ``grid`` it is the number of points (``grid`` needs a
whole D-th power: k levels per parameter give k**D points).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

__all__ = ["SAMPLERS", "design_size", "check_sample_count", "sample_design", "design_seed"]

SAMPLERS = {
    "lhs": "Latin hypercube (scipy.stats.qmc), samples = points",
    "sobol": "Saltelli/Sobol' design for Sobol' indices (SALib), samples = N, points = N·(D+2)",
    "morris": "Morris elementary-effects trajectories (SALib), samples = N trajectories, points = N·(D+1)",
    "grid": "full factorial grid, samples = points = levels**D",
    "mc": "independent uniform draws, samples = points",
}


def design_seed(seed: int) -> int:
    """The integer seed of the design (a stream apart from every run's stream)."""
    return int(np.random.SeedSequence([seed, 0x5A3D1E]).generate_state(1)[0])


def _grid_levels(samples: int, dims: int) -> int | None:
    k = round(samples ** (1.0 / dims))
    for cand in (k - 1, k, k + 1):
        if cand >= 1 and cand**dims == samples:
            return cand
    return None


def design_size(sampler: str, samples: int, dims: int) -> int:
    """Number of points the design evaluates."""
    if sampler == "sobol":
        return samples * (dims + 2)
    if sampler == "morris":
        return samples * (dims + 1)
    return samples


def check_sample_count(sampler: str, samples: int, dims: int, levels: int = 4) -> str | None:
    """A plain message when ``samples`` does not suit the sampler, else ``None``."""
    if sampler == "grid" and _grid_levels(samples, dims) is None:
        k = max(1, int(samples ** (1.0 / dims)))
        near = sorted({k**dims, (k + 1) ** dims})
        return (f"a grid over {dims} parameters needs levels**{dims} points; {samples} is not one "
                f"(try {' or '.join(map(str, near))})")
    if sampler == "sobol" and samples < 2:
        return "sobol needs a base size N of 2 or more (a power of two is best)"
    if sampler == "morris" and samples < 2:
        return "morris needs 2 or more trajectories"
    if sampler == "morris" and levels % 2:
        return f"morris needs an even number of levels, got {levels}"
    return None


def sample_design(sampler: str, samples: int, dims: int, seed: int, levels: int = 4) -> np.ndarray:
    """Points of the design in the unit hypercube, ``[design_size, dims]``.

    Examples
    --------
    >>> sample_design("sobol", 8, 2, seed=1).shape
    (32, 2)
    >>> sample_design("grid", 9, 2, seed=0)[:3].tolist()
    [[0.0, 0.0], [0.0, 0.5], [0.0, 1.0]]
    """
    s = design_seed(seed)
    problem = {"num_vars": dims, "names": [f"x{i}" for i in range(dims)], "bounds": [[0.0, 1.0]] * dims}
    if sampler == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():  # N need not be a power of two; balance is then approximate
            warnings.simplefilter("ignore")
            return np.asarray(sobol.sample(problem, samples, calc_second_order=False, seed=s), dtype=float)
    if sampler == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, samples, num_levels=levels, seed=s), dtype=float)
    if sampler == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=dims, seed=np.random.default_rng(s)).random(samples)
    if sampler == "mc":
        return np.random.default_rng(s).random((samples, dims))
    if sampler == "grid":
        k = _grid_levels(samples, dims)
        if k is None:
            raise ValueError(check_sample_count(sampler, samples, dims))
        axis = np.linspace(0.0, 1.0, k) if k > 1 else np.array([0.5])
        return np.array(list(itertools.product(axis, repeat=dims)), dtype=float)
    raise ValueError(f"unknown sampler '{sampler}'")
