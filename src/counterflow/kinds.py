"""The vocabulary of a network and the longest run: node kinds, edge modes, ``MAX_STEPS``.

Kept apart from :mod:`counterflow.scenario` (which re-exports them) so that
targeting rules, levers and strategy files can use them without importing
scenario parsing.
"""

from __future__ import annotations

__all__ = ["NODE_KINDS", "EDGE_MODES", "MAX_STEPS"]

#: Kinds of node, in the order of the compiled network's ``node_kind`` codes.
NODE_KINDS = ("source", "hub", "transit", "market")
#: Transport modes of an edge, in the order of the compiled network's ``edge_mode`` codes.
EDGE_MODES = ("land", "sea", "air", "river")
#: Longest horizon a scenario or ``--steps`` may ask for (about 38 years of weekly steps);
#: also the bound of every step a strategy's schedule names.
MAX_STEPS = 2000

