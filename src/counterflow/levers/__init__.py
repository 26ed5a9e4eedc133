"""Levers: the counter-narcotics actions a strategy schedules.

``LEVERS`` maps each lever type to its class; importing this package
registers every built-in lever.
"""

from .base import LEVERS, Lever, LeverReport, register
from . import strike  # noqa: F401  (registers)

__all__ = ["LEVERS", "Lever", "LeverReport", "register"]
