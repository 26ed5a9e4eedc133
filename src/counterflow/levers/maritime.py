"""``maritime_interdiction``: patrols that stop loads on sea routes."""

from __future__ import annotations

import numpy as np

from ..schema import Checker, Field
from ..strategy_types import Targets
from ..targeting import rules_for, select_edges
from .base import Lever, LeverReport, Phase, register

__all__ = ["MaritimeInterdiction"]


@register
class MaritimeInterdiction(Lever):
    """Raise the seizure probability per load on the sea edges of a zone.

    The added probability is ``intensity``, raised by intelligence sharing
    (``intensity * (1 + intel_gain * intel)``, at most 1). Loads stopped at
    sea are lost to the traffickers (counted as seized). With ``lethal: true``
    each stopped boat costs its crew: the lever reports the expected
    casualties of the boats it is expected to stop, from the flow observed on
    the zone's edges at the last step (``crew_per_boat`` per load), and
    deters: crews demand hazard pay on the edges where lethal force acts, so
    their money cost rises by ``crew_hazard_pay * added probability`` USD/kg
    while the lever acts (organisations re-route or ship less).
    """

    type = "maritime_interdiction"
    doc = ("Raises the seizure probability per load on sea edges in the zone by 'intensity' "
           "(more with intelligence sharing); loads are lost at sea; with 'lethal' each stopped "
           "boat's crew is harmed and crews demand hazard pay on those edges (deterrence).")
    params = (
        Field("intensity", lo=0.0, hi=1.0, default=0.1, unit="probability",
              doc="added seizure probability per load"),
        Field("lethal", "bool", default=False, doc="boats are destroyed with their crews rather than boarded"),
        Field("intel_gain", lo=0.0, hi=5.0, default=0.5, unit="ratio",
              doc="relative gain in interdiction effect at full intelligence sharing"),
    )
    targets_key = "zone"
    targets_required = False
    targets_help = "{mode: sea}, {edges: [[FROM, TO], ...]}, {jurisdictions: [ID, ...]} or {rule: top_throughput, k: 2}"
    intensity = "intensity"
    phase = Phase.INTERDICTION
    example = {"type": "maritime_interdiction", "zone": {"mode": "sea"}, "intensity": 0.2, "lethal": True,
               "schedule": {"start": 2}, "unit_cost": 1.5e6}

    @classmethod
    def check_targets(cls, ck: Checker, targets: Targets, path: str) -> None:
        if targets.organisations:
            raise ck.error("a maritime zone is made of edges, modes or jurisdictions, not organisations", path)
        if targets.kind:
            raise ck.error("'kind' selects nodes; a maritime zone selects edges", path)
        if targets.rule and targets.rule not in rules_for("edges"):
            raise ck.error(f"the '{targets.rule}' rule does not select edges; use {', '.join(rules_for('edges'))}",
                           path)

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        net = self.net
        targets = self.spec.targets if self.spec.targets is not None else Targets(mode="sea")
        edges = select_edges(targets, net, state, rng, default_mode="sea", lever=self)
        add = min(1.0, self.p["intensity"] * (1.0 + self.p["intel_gain"] * state.intel))
        harm = 0.0
        if edges.size and add > 0:
            state.edge_risk_add[edges] = 1.0 - (1.0 - state.edge_risk_add[edges]) * (1.0 - add)
            if self.p["lethal"]:
                loads = np.ceil(state.edge_flow[edges] / net.edge_load_kg[edges] - 1e-9)
                casualties = loads * add * net.scenario.parameters.crew_per_boat
                np.add.at(state.log.harm_by_juris, net.node_juris[net.edge_src[edges]], casualties)
                harm = float(casualties.sum())
                # deterrence: crews price the risk of death into the routes where lethal force acts
                state.edge_cost_add[edges] += net.scenario.parameters.crew_hazard_pay * add
        return self.report(state, harm=harm, targets=[f"{net.node_ids[net.edge_src[e]]}->{net.node_ids[net.edge_dst[e]]}"
                                                      for e in edges],
                           detail={"added_risk": add, "edges": int(edges.size)})
