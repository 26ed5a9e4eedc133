"""Networks the stylised-facts tier runs on that are not shipped as scenario files.

``narcologic_dormant`` is the NarcoLogic import with dormant alternatives, as
``counterflow import narcologic --dormant 0.1 --seed 1`` writes it
(:func:`counterflow.generate.add_dormant_alternatives`, the generator's dormant-share rule).
"""

from __future__ import annotations

from functools import cache


@cache
def narcologic_dormant(share: float = 0.1, seed: int = 1):
    from counterflow.generate import add_dormant_alternatives
    from counterflow.io.narcologic import read_narcologic

    sc, _ = read_narcologic()
    sc, _ = add_dormant_alternatives(sc, share, seed)
    return sc
