"""Helpers for the lever tests; the examples themselves are declared on the lever classes.

``EXAMPLES[type] = (lever, companions)`` reads ``example`` and
``example_companions`` from each registered lever (see
:mod:`counterflow.levers.base`).
"""

from __future__ import annotations

from counterflow.levers import LEVERS

EXAMPLES: dict[str, tuple[dict, list[dict]]] = {t: (cls.example, list(cls.example_companions))
                                                for t, cls in LEVERS.items()}
STRIKE = LEVERS["strike"].example
BLOCKADE = LEVERS["blockade"].example


def strategy_dict(name: str, levers: list[dict]) -> dict:
    return {"name": name, "actor": "US", "levers": levers}
