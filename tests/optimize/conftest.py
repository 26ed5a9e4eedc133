"""The path cover's compiled kernels are made ready once per test session, before the first test: a
solve then takes the same steps whether or not numba's disk cache was warm (on a fresh checkout the
path cover would otherwise use HiGHS and scipy until a background compile finished). The first-use
path itself is tested in fresh processes (``test_kernel_warm.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _path_cover_kernels_ready():
    from counterflow.optimize import _warm

    _warm.warm_up()
