"""The vocabulary of a network: node kinds and edge modes.

Kept apart from :mod:`counterflow.scenario` (which re-exports both) so that
targeting rules and levers can read them without importing scenario parsing.
"""

from __future__ import annotations

__all__ = ["NODE_KINDS", "EDGE_MODES"]

#: Kinds of node, in the order of the compiled network's ``node_kind`` codes.
NODE_KINDS = ("source", "hub", "transit", "market")
#: Transport modes of an edge, in the order of the compiled network's ``edge_mode`` codes.
EDGE_MODES = ("land", "sea", "air", "river")
