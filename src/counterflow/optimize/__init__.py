"""Interdiction optimisation: exact MILPs (HiGHS) over a plain network or a scenario's.

The ``optimized`` targeting rule that calls it during a run is
:mod:`counterflow.targeting.optimized`.
"""

from .evaluate import max_flow_value, min_cost_flow_value, min_cut, shortest_path_value
from .graph import InterdictionNetwork
from .maxflow import max_flow_interdiction
from .mincost import min_cost_flow_interdiction
from .result import InterdictionResult
from .shortest_path import shortest_path_interdiction
from .stochastic import expected_max_flow_interdiction, expected_max_flow_value

__all__ = ["InterdictionNetwork", "InterdictionResult", "max_flow_interdiction", "shortest_path_interdiction",
           "min_cost_flow_interdiction", "expected_max_flow_interdiction", "expected_max_flow_value",
           "max_flow_value", "min_cut", "shortest_path_value",
           "min_cost_flow_value"]
