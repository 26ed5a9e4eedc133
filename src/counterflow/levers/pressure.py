"""Levers that press on states and money: ``blockade``, ``sanctions`` and ``arrests``."""

from __future__ import annotations

import numpy as np

from ..schema import Checker, Field
from ..strategy_types import Targets
from ..targeting import select_organisations
from .base import Lever, LeverReport, OnJurisdictions, Phase, check_jurisdiction_targets, register
from .strike import Strike

__all__ = ["Blockade", "Sanctions", "Arrests"]


@register
class Blockade(OnJurisdictions):
    """Cut a jurisdiction's state revenue by ``intensity`` while it lasts.

    The cut is a per-step modifier (``revenue_cut``); the society model turns
    it into hardship (rises) and corruption (falls slowly: less money to pay
    for protection) — see :func:`counterflow.engine.society.update_society`.
    """

    type = "blockade"
    doc = ("Cuts the jurisdiction's state revenue by 'intensity' while active: corruption "
           "falls slowly (less money for protection) and hardship rises.")
    params = (Field("intensity", lo=0.0, hi=1.0, default=0.5, unit="share", doc="share of state revenue cut"),)
    phase = Phase.PRESSURE
    example = {"type": "blockade", "jurisdiction": {"jurisdictions": ["VE"]}, "intensity": 0.5,
               "schedule": {"start": 2}, "unit_cost": 1.0e6}

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        js = self.chosen(state, rng)
        cut = self.p["intensity"]
        state.revenue_cut[js] = 1.0 - (1.0 - state.revenue_cut[js]) * (1.0 - cut)
        return self.report(state, targets=[self.net.juris_ids[j] for j in js], detail={"revenue_cut": cut})


@register
class Sanctions(Lever):
    """Freeze a share ``intensity`` of each targeted organisation's cash and tax its new revenue.

    Frozen cash (``RunState.frozen``) cannot pay for production, transport,
    rebuilding destroyed capacity or opening new sites; it stays frozen after
    the lever stops. Each firing freezes at least ``intensity`` of the cash
    held at that moment. From the first firing on, the organisation loses
    ``intensity x laundering_cost`` of its new revenue to laundering through
    costlier channels (``RunState.revenue_tax``; designations last). Both bite
    only when free cash binds: an organisation whose revenue pays for its
    shipments many times over is not slowed (see docs/levers.md).
    """

    type = "sanctions"
    doc = ("Freezes 'intensity' of each targeted organisation's cash and taxes its new revenue "
           "(laundering cost): less production, shipping, rebuilding and expansion when free cash binds.")
    params = (Field("intensity", lo=0.0, hi=1.0, default=0.5, unit="share", doc="share of cash frozen"),
              Field("laundering_cost", lo=0.0, hi=1.0, default=0.3, unit="share",
                    doc="share of new revenue lost to laundering at intensity 1 (scaled by intensity)"))
    targets_key = "organisations"
    targets_required = True
    targets_help = "[ID, ...], {organisations: [ID, ...]} or {rule: top_throughput, k: 1}"
    phase = Phase.PRESSURE
    example = {"type": "sanctions", "organisations": {"rule": "top_throughput", "k": 1}, "intensity": 1.0,
               "schedule": {"start": 2}, "unit_cost": 5.0e4}
    example_companions = (Strike.example,)

    @classmethod
    def check_targets(cls, ck: Checker, targets: Targets, path: str) -> None:
        check_jurisdiction_targets(ck, targets, path, key="organisations")

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        assert self.spec.targets is not None  # targets_required: validation refuses sanctions without them
        orgs = select_organisations(self.spec.targets, self.net, state, rng, lever=self)
        share = self.p["intensity"]
        before = state.frozen[orgs].copy()
        state.frozen[orgs] = np.maximum(state.frozen[orgs], share * np.maximum(state.cash[orgs], 0.0))
        state.revenue_tax[orgs] = np.maximum(state.revenue_tax[orgs], share * self.p["laundering_cost"])
        return self.report(state, targets=[self.net.org_ids[o] for o in orgs],
                           detail={"newly_frozen_usd": float((state.frozen[orgs] - before).sum())})


@register
class Arrests(OnJurisdictions):
    """Remove corrupt officials: corruption falls by ``intensity`` (relative) per firing.

    Corruption then drifts slowly back towards its base level as officials
    are replaced (``corruption_recovery`` in the society model).
    """

    type = "arrests"
    doc = "Removes corrupt officials: the jurisdiction's corruption falls by 'intensity' (relative) per firing."
    params = (Field("intensity", lo=0.0, hi=1.0, default=0.2, unit="share",
                    doc="relative fall in corruption per firing"),)
    phase = Phase.PRESSURE
    example = {"type": "arrests", "jurisdiction": {"jurisdictions": ["VE", "CO"]}, "intensity": 0.5,
               "schedule": {"start": 2, "every": 4}, "unit_cost": 2.0e5}

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        js = self.chosen(state, rng)
        before = state.corruption[js].copy()
        state.corruption[js] *= 1.0 - self.p["intensity"]
        return self.report(state, targets=[self.net.juris_ids[j] for j in js],
                           detail={"corruption_before": before.tolist(),
                                   "corruption_after": state.corruption[js].tolist()})
