"""The lever contract.

Every lever is a subclass of :class:`Lever` that declares, as class data:

* ``type`` — the name used in strategy files;
* ``params`` — its own parameters as :class:`~counterflow.schema.Field`
  records (type, default, range), validated centrally by
  :mod:`counterflow.strategy`;
* ``targets_key`` — the field that names what it acts on (``targets``,
  ``zone``...), or ``None``;
* ``order`` — when it acts within a step (enablers first, then modifiers,
  then kinetic actions);
* ``intensity`` — the parameter that scales its effect (0 means no effect);
* ``continuous`` — True when it is meant to fire every step while active
  (its ``unit_cost`` is then a cost per step);
* ``example`` — one working instance of the lever as a strategy-file dict,
  acting on the built-in ``caribbean`` scenario, and ``example_companions``
  — the levers it needs beside it to show an effect (intelligence sharing
  acts through strikes). :mod:`counterflow.engine.lever_checks` runs the
  generic checks of this contract on them.

The engine calls :meth:`Lever.fire` on every step the schedule fires. A lever
changes the run only through the :class:`~counterflow.engine.state.RunState`
(per-step modifiers such as ``edge_risk_add`` are reset before levers act;
lasting effects such as destroyed capacity are written directly), and
returns a :class:`LeverReport`. The engine charges ``unit_cost`` per firing,
so what a lever reports spending is exactly what it spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..schema import Checker, Field
from ..strategy_types import LeverSpec, Targets
from ..targeting import rules_for, select_jurisdictions

if TYPE_CHECKING:
    from ..engine.state import RunState
    from ..network import Network
    from ..strategy_types import Strategy

__all__ = ["Lever", "LeverReport", "LEVERS", "register", "check_jurisdiction_targets", "OnJurisdictions"]


@dataclass
class LeverReport:
    """What one firing of a lever did."""

    type: str
    step: int
    cost: float = 0.0
    harm: float = 0.0
    targets: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


class Lever:
    """Base class; see the module docstring for the contract."""

    type: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    params: ClassVar[tuple[Field, ...]] = ()
    targets_key: ClassVar[str | None] = None
    targets_required: ClassVar[bool] = False
    targets_help: ClassVar[str] = ""
    intensity: ClassVar[str | None] = "intensity"
    order: ClassVar[int] = 50
    continuous: ClassVar[bool] = False
    example: ClassVar[dict] = {}
    example_companions: ClassVar[tuple[dict, ...]] = ()

    def __init__(self, spec: LeverSpec, net: Network, strategy: Strategy | None = None) -> None:
        self.spec = spec
        self.net = net
        self.strategy = strategy
        self.p = spec.params

    @classmethod
    def check_targets(cls, ck: Checker, targets: Targets, path: str) -> None:
        """Extra checks on the targets field (override as needed)."""

    def fire(self, state: RunState, rng: np.random.Generator) -> LeverReport:
        raise NotImplementedError

    def report(self, state: RunState, **kw) -> LeverReport:
        return LeverReport(type=self.type, step=state.t, cost=self.spec.unit_cost, **kw)

    def cooperation(self, state: RunState, juris: np.ndarray | int) -> np.ndarray | float:
        """Local cooperation (1 - backlash) in ``juris``: what is left of the effect of cooperative levers."""
        return state.cooperation()[juris]

    def is_foreign(self, juris: int) -> bool:
        """True when acting in ``juris`` is acting on another state's soil."""
        actor = self.strategy.actor if self.strategy is not None else None
        return actor is None or self.net.juris_ids[juris] != actor


LEVERS: dict[str, type[Lever]] = {}


def register(cls: type[Lever]) -> type[Lever]:
    """Class decorator adding a lever to the registry."""
    LEVERS[cls.type] = cls
    return cls


def check_jurisdiction_targets(ck: Checker, targets: Targets, path: str, *, key: str = "jurisdictions") -> None:
    """Shared check for levers acting on jurisdictions (or organisations): names or a rule, nothing else."""
    named = getattr(targets, key)
    if not named and not targets.rule:
        raise ck.error(f"give '{key}' (a list of ids) or a 'rule'", path)
    others = [k for k in ("nodes", "edges", "jurisdictions", "organisations") if k != key and getattr(targets, k)]
    if others or targets.mode or targets.kind:
        raise ck.error(f"this lever acts on {key} only (got {', '.join(others) or 'mode/kind'})", path)
    if targets.rule and targets.rule not in rules_for(key):
        raise ck.error(f"the '{targets.rule}' rule does not select {key}; use {', '.join(rules_for(key))}", path)


class OnJurisdictions(Lever):
    """Base of the levers acting on jurisdictions named in ``jurisdiction:`` or chosen by a rule."""

    targets_key = "jurisdiction"
    targets_required = True
    targets_help = "ID, [ID, ...], {jurisdictions: [ID, ...]} or {rule: top_throughput, k: 1}"

    @classmethod
    def check_targets(cls, ck: Checker, targets: Targets, path: str) -> None:
        check_jurisdiction_targets(ck, targets, path, key="jurisdictions")

    def chosen(self, state, rng) -> np.ndarray:
        assert self.spec.targets is not None  # targets_required: validation refuses the lever without them
        return select_jurisdictions(self.spec.targets, self.net, state, rng, lever=self)
