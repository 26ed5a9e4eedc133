"""Shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from counterflow import compile_network, load_scenario

settings.register_profile("ci", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def caribbean():
    return load_scenario("caribbean")


@pytest.fixture(scope="session")
def caribbean_net(caribbean):
    return compile_network(caribbean)
