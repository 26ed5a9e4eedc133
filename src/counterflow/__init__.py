"""Counterflow: illicit supply networks under layered counter-narcotics strategies.

The public API:

>>> from counterflow import load_scenario, simulate
>>> scenario = load_scenario("caribbean")
>>> trajectory = simulate(scenario, seed=0, steps=10)
"""

from .engine import Engine, Trajectory, simulate
from .errors import InputError
from .network import Network, compile_network
from .scenario import Scenario, builtin_scenarios, load_scenario
from .strategy import BASELINE, Strategy, load_strategy, parse_strategy, resolve_strategies

__version__ = "0.1.0"

__all__ = [
    "Engine", "Trajectory", "simulate", "InputError", "Network", "compile_network", "Scenario",
    "builtin_scenarios", "load_scenario", "BASELINE", "Strategy", "load_strategy", "parse_strategy",
    "resolve_strategies", "__version__",
]
