"""Levers: the counter-narcotics actions a strategy schedules.

``LEVERS`` maps each lever type to its class; importing this package
registers every built-in lever.
"""

from . import maritime, pressure, strike, support  # noqa: F401  (registers)
from .base import LEVERS, Lever, LeverReport, Modifier, Phase, register

__all__ = ["LEVERS", "Lever", "LeverReport", "Modifier", "Phase", "register"]
