"""The simulation engine (one run = scenario + strategy + seed -> trajectory)."""

from .core import Engine, simulate
from .record import SERIES, Trajectory
from .state import RunState

__all__ = ["Engine", "simulate", "Trajectory", "RunState", "SERIES"]
