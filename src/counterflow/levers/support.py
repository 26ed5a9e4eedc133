"""Cooperative levers: ``police_support``, ``intel_sharing`` and ``humanitarian_aid``.

Police support and intelligence sharing work through local cooperation,
which backlash erodes (:func:`counterflow.engine.society.cooperation`).
"""

from __future__ import annotations

import numpy as np

from ..kinds import MAX_STEPS
from ..schema import Field
from .base import Lever, LeverReport, OnJurisdictions, Phase, register
from .pressure import Blockade
from .strike import Strike

__all__ = ["PoliceSupport", "IntelSharing", "HumanitarianAid"]


@register
class PoliceSupport(OnJurisdictions):
    """Raise enforcement at every node of a jurisdiction.

    The added seizure probability per load ramps linearly up to
    ``intensity`` over ``ramp_steps`` firings, and is scaled by local
    cooperation (1 - backlash), by what corruption leaves of it
    (``1 - corruption``) and by the state's ``police_capacity`` (0-1: the
    police able to use the support): arrests and blockades make police support work
    better, backlash makes it work worse.
    """

    type = "police_support"
    doc = ("Raises enforcement in the jurisdiction up to 'intensity' over 'ramp_steps', scaled by "
           "cooperation (falls with backlash), by 1 - corruption and by the state's police capacity.")
    params = (
        Field("intensity", lo=0.0, hi=1.0, default=0.1, unit="probability",
              doc="added seizure probability per load at full ramp"),
        Field("ramp_steps", "int", lo=1, hi=MAX_STEPS, default=12, unit="firings",
              doc="firings to reach full strength"),
    )
    phase = Phase.ENFORCEMENT
    example = {"type": "police_support", "jurisdiction": {"rule": "top_throughput", "k": 2}, "intensity": 0.3,
               "ramp_steps": 4, "schedule": {"start": 2}, "unit_cost": 3.0e5}

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        net = self.net
        js = self.chosen(state, rng)
        key = ("police_ramp", id(self))
        count = state.lever_memory[key] = state.lever_memory.get(key, 0) + 1
        level = self.p["intensity"] * min(1.0, count / self.p["ramp_steps"])
        added = {}
        for j in js:
            add = (level * float(self.cooperation(state, j)) * (1.0 - float(state.corruption[j]))
                   * float(net.juris_police[j]))
            if add <= 0:
                continue
            nodes = net.node_juris == j
            state.node_enf_add[nodes] = 1.0 - (1.0 - state.node_enf_add[nodes]) * (1.0 - add)
            added[net.juris_ids[j]] = add
        return self.report(state, targets=[net.juris_ids[j] for j in js],
                           detail={"ramp_level": level, "added_enforcement": added})


@register
class IntelSharing(Lever):
    """Share intelligence: ``state.intel`` = ``intensity`` x mean cooperation of the non-market states.

    Strikes read ``intel`` to raise their accuracy (and so hit the intended
    site and harm fewer bystanders); maritime interdiction reads it to focus
    patrols (``intel_gain``).
    """

    type = "intel_sharing"
    doc = "Raises strike accuracy and the precision of interdiction targeting, scaled by cooperation."
    params = (Field("intensity", lo=0.0, hi=1.0, default=0.5, unit="share",
                    doc="share of the intelligence gap closed"),)
    targets_key = None
    phase = Phase.INTELLIGENCE
    example = {"type": "intel_sharing", "intensity": 0.9, "schedule": {"start": 2}, "unit_cost": 1.0e5}
    example_companions = (Strike.example,)

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        net = self.net
        local = np.unique(net.node_juris[~net.kind_mask("market")])
        coop = float(np.mean(self.cooperation(state, local))) if local.size else 1.0
        intel = self.p["intensity"] * coop
        state.intel = max(state.intel, intel)
        return self.report(state, detail={"intel": intel, "cooperation": coop})


@register
class HumanitarianAid(OnJurisdictions):
    """Aid to a jurisdiction: lowers hardship, recruitment and backlash while it lasts.

    Writes the per-step ``aid`` modifier; the society model subtracts it from
    hardship, from the recruitment pressure and from backlash.
    """

    type = "humanitarian_aid"
    doc = "Lowers hardship, recruitment into organisations and backlash in the jurisdiction."
    params = (Field("intensity", lo=0.0, hi=1.0, default=0.3, unit="hardship/step",
                    doc="aid level (hardship units removed per step)"),)
    phase = Phase.PRESSURE
    example = {"type": "humanitarian_aid", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.4,
               "schedule": {"start": 2}, "unit_cost": 5.0e5}
    example_companions = (Blockade.example,)

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        js = self.chosen(state, rng)
        state.aid[js] += self.p["intensity"]
        return self.report(state, targets=[self.net.juris_ids[j] for j in js], detail={"aid": self.p["intensity"]})
