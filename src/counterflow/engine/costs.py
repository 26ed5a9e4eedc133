"""The unit cost of an arc as an organisation plans it: the one formula the planners and adaptation share.

``arc_cost(money, risk_aversion, q, worth_tail)`` is ``money + risk_aversion * q * worth_tail``:
the edge's money cost per kilogram plus the organisation's risk aversion times the perceived
probability ``q`` of losing the load on it times what a kilogram at the edge's tail is worth to
the organisation (``_kernels.load_values``). The planners and adaptation's ranking of dormant
sites both use ``q`` = perceived edge risk plus fear of the head node. It works on scalars and,
element-wise, on NumPy arrays; the compiled kernels call the same function compiled by Numba
(``_kernels.arc_cost``).
"""

from __future__ import annotations

__all__ = ["arc_cost"]


def arc_cost(money, risk_aversion, q, worth_tail):
    """Unit cost of an arc: ``money + risk_aversion * q * worth_tail`` (see the module docstring)."""
    return money + risk_aversion * q * worth_tail
