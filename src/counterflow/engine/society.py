"""Society: hardship and backlash, driven by harm, foreign strikes, blockades and aid."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .state import RunState

__all__ = ["update_society", "cooperation"]


def cooperation(state: RunState) -> np.ndarray:
    """Local cooperation per jurisdiction [J]: what backlash leaves of it."""
    return 1.0 - state.backlash


def update_society(net: Network, state: RunState) -> None:
    """Hardship follows revenue cuts less aid; backlash rises with harm, foreign strikes and hardship, and decays."""
    p = net.scenario.parameters
    log = state.log
    state.hardship = np.maximum(0.0, 0.8 * state.hardship + state.revenue_cut - state.aid)
    rise = (
        p.backlash_per_harm * log.harm_by_juris
        + p.backlash_per_foreign_strike * log.foreign_strikes
        + p.backlash_per_hardship * state.hardship
    )
    state.backlash = np.clip(state.backlash * (1.0 - p.backlash_decay) + rise * (1.0 - state.backlash), 0.0, 1.0)
