"""Counterflow: illicit supply networks under layered counter-narcotics strategies.

The public API:

>>> from counterflow import load_scenario, simulate
>>> scenario = load_scenario("caribbean")
>>> trajectory = simulate(scenario, seed=0, steps=10)

Names are imported on first use, so ``import counterflow`` stays light (the compiled
engine, pandas and the solvers load only when a command or function needs them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "Engine": "engine", "Trajectory": "engine", "simulate": "engine",
    "InputError": "errors",
    "Network": "network", "compile_network": "network",
    "Scenario": "scenario", "builtin_scenarios": "scenario", "load_scenario": "scenario",
    "BASELINE": "strategy", "Strategy": "strategy", "load_strategy": "strategy",
    "parse_strategy": "strategy", "resolve_strategies": "strategy",
    "compare": "comparison", "Comparison": "comparison",
    "Results": "runner", "run_replications": "runner",
}

__all__ = [*_LAZY, "__version__"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .comparison import Comparison, compare  # noqa: F401
    from .engine import Engine, Trajectory, simulate  # noqa: F401
    from .errors import InputError  # noqa: F401
    from .network import Network, compile_network  # noqa: F401
    from .runner import Results, run_replications  # noqa: F401
    from .scenario import Scenario, builtin_scenarios, load_scenario  # noqa: F401
    from .strategy import BASELINE, Strategy, load_strategy, parse_strategy, resolve_strategies  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'counterflow' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
