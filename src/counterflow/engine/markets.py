"""Markets: prices respond to deliveries against demand, smoothed."""

from __future__ import annotations

import numpy as np

from ..network import Network
from .state import RunState

__all__ = ["update_prices"]


def update_prices(net: Network, state: RunState, delivered_by_market: np.ndarray) -> None:
    """Move each price towards the price at which demand equals smoothed supply.

    Demand is iso-elastic, ``Q = Q_ref (P / P_ref) ** -elasticity``; the target
    price clears the market for the smoothed deliveries. Shortfalls raise the
    price, gluts lower it, within ``[price_floor, price_cap] * P_ref``.
    """
    p = net.scenario.parameters
    a = p.delivery_smoothing
    state.supply_smooth = (1 - a) * state.supply_smooth + a * delivered_by_market
    ratio = np.maximum(state.supply_smooth, 1e-9) / net.market_demand
    target = net.market_price * ratio ** (-1.0 / net.market_elasticity)
    target = np.clip(target, p.price_floor * net.market_price, p.price_cap * net.market_price)
    state.price = (1 - p.price_smoothing) * state.price + p.price_smoothing * target
