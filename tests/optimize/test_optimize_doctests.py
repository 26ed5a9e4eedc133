"""The runnable examples in the optimiser's docstrings give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["graph", "evaluate", "maxflow", "shortest_path", "mincost", "stochastic", "instances"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    """Every example in counterflow.optimize.<name> runs and prints what its docstring says."""
    mod = importlib.import_module(f"counterflow.optimize.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
