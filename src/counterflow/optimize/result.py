"""What every interdiction optimiser returns, and the checks they share."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .graph import MAX_VALUE, Arcs, InterdictionNetwork

__all__ = ["InterdictionResult", "check_budget", "plan_items", "make_result"]


@dataclass
class InterdictionResult:
    """A plan and what it does.

    ``value_before`` and ``value_after`` are the evader's optimum without and
    with the plan, both evaluated independently of the MILP; ``bound`` is the
    solver's best bound on the optimal ``value_after`` and ``gap`` its relative
    gap (0 when proven optimal). ``method`` says how the answer was obtained. ``status`` is
    ``optimal`` only when the plan is proven optimal for the stated problem; ``saa`` marks a
    sample-average answer with statistical bounds (``detail["saa"]``). ``detail["considered"]``
    says what could be interdicted (:meth:`InterdictionNetwork.considered`).
    """

    objective: str
    value_before: float
    value_after: float
    edges: list[tuple[str, str]]
    nodes: list[str]
    edge_indices: list[int]
    node_indices: list[int]
    status: str
    gap: float
    bound: float
    seconds: float
    budget: float
    spent: float
    method: str = "milp"
    certificate: dict | None = None
    detail: dict = field(default_factory=dict)

    @property
    def reduction_pct(self) -> float:
        """Relative change in the evader's optimum, in percent (positive: the plan hurts the evader)."""
        b, a = self.value_before, self.value_after
        if not math.isfinite(b) or b == 0:
            return 0.0 if a == b else (100.0 if self.objective in ("max-flow", "expected-max-flow") else math.nan)
        sign = 1.0 if self.objective in ("max-flow", "expected-max-flow") else -1.0
        return 100.0 * sign * (b - a) / abs(b)

    def to_dict(self) -> dict:
        """The JSON form the CLI prints."""
        d = {
            "objective": self.objective,
            "value_before": self.value_before,
            "value_after": self.value_after,
            "plan": {"edges": [list(e) for e in self.edges], "nodes": list(self.nodes)},
            "status": self.status,
            "gap": self.gap,
            "seconds": round(self.seconds, 4),
            "bound": self.bound,
            "budget": self.budget,
            "spent": self.spent,
            "method": self.method,
        }
        if self.certificate is not None:
            d["certificate"] = self.certificate
        d.update(self.detail)
        return d


def check_budget(budget: float) -> float:
    try:
        b = float(budget)
    except (TypeError, ValueError):
        raise InputError(f"budget must be a number, got {budget!r}", path="budget") from None
    if not math.isfinite(b) or b < 0 or b > MAX_VALUE:
        raise InputError(f"budget must be a finite number in [0, {MAX_VALUE:g}], got {budget!r}", path="budget")
    return b


def plan_items(net: InterdictionNetwork, arcs: Arcs, chosen: np.ndarray) -> tuple[list[int], list[int]]:
    """Edge and node indices of the interdicted arcs ``chosen`` (arc indices)."""
    items = arcs.item[np.asarray(chosen, dtype=np.int64)]
    return sorted(int(i) for i in items if i >= 0), sorted(int(-i - 1) for i in items if i < 0)


def make_result(objective: str, net: InterdictionNetwork, edges: list[int], nodes: list[int], *,
                before: float, after: float, status: str, gap: float, bound: float, seconds: float,
                budget: float, method: str = "milp", certificate: dict | None = None,
                detail: dict | None = None) -> InterdictionResult:
    arcs = net.arcs()
    spent = float(np.sum(arcs.icost[net.plan_arcs(arcs, edges, nodes)]))
    detail = dict(detail or {})
    detail.setdefault("considered", net.considered(budget))
    return InterdictionResult(objective, before, after, [net.edge_label(e) for e in edges],
                              [net.node_ids[v] for v in nodes], list(edges), list(nodes), status,
                              gap, bound, seconds, budget, spent, method, certificate, detail)
