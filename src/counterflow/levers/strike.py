"""``strike``: destroy a node's capacity and the stock held there."""

from __future__ import annotations

import numpy as np

from ..schema import Checker, Field
from ..strategy_types import Targets
from ..targeting import select_nodes
from .base import Lever, LeverReport, Phase, register


@register
class Strike(Lever):
    type = "strike"
    doc = ("Destroys a node's capacity (rebuilt over time) and the stock held there; "
           "misses (an empty or wrong site) with probability 1 - intel_accuracy; "
           "harms occupancy x collateral factor, less with better intelligence.")
    params = (
        Field("intel_accuracy", lo=0.0, hi=1.0, default=0.8, unit="probability",
              doc="probability the strike hits the intended, occupied facility"),
        Field("damage", lo=0.0, hi=1.0, default=1.0, unit="share",
              doc="share of the node's capacity destroyed by a hit"),
    )
    targets_key = "targets"
    targets_required = True
    targets_help = "{nodes: [ID, ...]} or {rule: top_throughput, k: 1, kind: hub}"
    intensity = "damage"
    phase = Phase.KINETIC
    example = {"type": "strike", "targets": {"rule": "top_throughput", "k": 1, "kind": "hub"},
               "schedule": {"start": 3, "every": 5}, "intel_accuracy": 0.6, "unit_cost": 2.0e6}

    @classmethod
    def check_targets(cls, ck: Checker, targets: Targets, path: str) -> None:
        if not targets.nodes and not targets.rule:
            raise ck.error("a strike needs 'nodes' or a 'rule'", path)
        if targets.edges or targets.jurisdictions:
            raise ck.error("a strike targets nodes only", path)

    def fire(self, state, rng: np.random.Generator) -> LeverReport:
        net, prm = self.net, self.net.scenario.parameters
        if self.p["damage"] <= 0:
            return self.report(state, detail={"hits": [], "destroyed_kg": 0.0, "accuracy": None})
        assert self.spec.targets is not None  # targets_required: validation refuses a strike without them
        chosen = select_nodes(self.spec.targets, net, state, rng, default_kind="hub", lever=self)
        acc = float(np.clip(self.p["intel_accuracy"] + state.intel * (1.0 - self.p["intel_accuracy"]), 0.0, 1.0))
        harm = 0.0
        hits, destroyed = [], 0.0
        for v in chosen:
            hit = rng.random() < acc
            casualties = net.node_occ[v] * prm.collateral_factor * (1.0 - prm.intel_harm_reduction * acc)
            harm += casualties
            j = net.node_juris[v]
            state.log.harm_by_juris[j] += casualties
            if self.is_foreign(j):
                state.log.foreign_strikes[j] += 1
            if not hit or self.p["damage"] <= 0:
                continue
            hits.append(net.node_ids[v])
            lost = state.stock[:, v].copy()
            users = (lost > 0) | (state.last_used[:, v] >= state.t - 1) & (state.last_used[:, v] > 0)
            state.stock[:, v] = 0.0
            destroyed += float(lost.sum())
            state.log.destroyed_by_org += lost
            state.cap_factor[v] = max(0.0, state.cap_factor[v] - self.p["damage"])
            lr = prm.learning_rate
            state.node_fear[users, v] += lr * (1.0 - state.node_fear[users, v])
        state.log.destroyed += destroyed
        report = self.report(
            state, harm=harm, targets=[net.node_ids[v] for v in chosen],
            detail={"hits": hits, "destroyed_kg": destroyed, "accuracy": acc},
        )
        report.cost = self.spec.unit_cost * len(chosen)  # unit_cost is per strike (one target)
        return report

