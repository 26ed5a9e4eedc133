"""The lever contract.

Every lever is a subclass of :class:`Lever` that declares, as class data:

* ``type`` — the name used in strategy files;
* ``params`` — its own parameters as :class:`~counterflow.schema.Field`
  records (type, default, range), validated centrally by
  :mod:`counterflow.strategy`;
* ``targets_key`` — the field that names what it acts on (``targets``,
  ``zone``...), or ``None``;
* ``phase`` — when it acts within a step, a :class:`Phase` (intelligence
  first, then pressure, enforcement and interdiction modifiers, then kinetic
  actions; levers of one phase act in the strategy's order);
* ``modifiers`` — any per-step modifier of its own it writes on the run
  state beyond the built-in ones (:class:`Modifier`; the state creates it and
  resets it before the levers act each step, as it does ``edge_risk_add``);
* ``intensity`` — the parameter that scales its effect (0 means no effect);
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
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from ..schema import Checker, Field
from ..strategy_types import LeverSpec, Targets
from ..targeting import rules_for, select_jurisdictions

if TYPE_CHECKING:
    from ..engine.state import RunState
    from ..network import Network
    from ..strategy_types import Strategy

__all__ = ["Lever", "LeverReport", "LEVERS", "Phase", "Modifier", "register", "check_jurisdiction_targets",
           "OnJurisdictions"]


class Phase(IntEnum):
    """When a lever acts within a step: the engine fires the step's levers in phase order.

    Levers of one phase fire in the order the strategy lists them. The phases
    follow what a lever needs from the others: intelligence first (what later
    levers know this step), then pressure on economies and societies, then the
    enforcement and interdiction modifiers (seizure risk and costs the
    organisations plan against), and kinetic actions last, so a strike acts
    with everything the step's intelligence gives it.
    """

    INTELLIGENCE = 10   #: sets what later levers know this step (``state.intel``): intel sharing
    PRESSURE = 20       #: revenue cuts, sanctions, arrests, aid: blockade, sanctions, arrests, humanitarian aid
    ENFORCEMENT = 30    #: node enforcement modifiers (``node_enf_add``): police support
    INTERDICTION = 40   #: edge risk and cost modifiers (``edge_risk_add``, ``edge_cost_add``): maritime interdiction
    DEFAULT = 50        #: a lever that declares no phase
    KINETIC = 80        #: destroy capacity and stock: strike


class Modifier(NamedTuple):
    """A per-step modifier a lever writes on the run state: reset to ``value`` before the levers act.

    ``axis`` is what it is indexed by: ``"edge"``, ``"node"``, ``"jurisdiction"``,
    ``"organisation"`` or ``"scalar"`` (a float). The built-in modifiers are
    :data:`counterflow.engine.state.MODIFIERS`; a lever that needs another
    declares it in its ``modifiers`` and reads and writes ``state.<name>``.
    """

    name: str
    axis: str
    doc: str = ""
    value: float = 0.0


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
    phase: ClassVar[int] = Phase.DEFAULT
    #: the phase as a plain number (read-only alias of ``phase``, kept for code that sorts by it)
    order: ClassVar[int] = int(Phase.DEFAULT)
    modifiers: ClassVar[tuple[Modifier, ...]] = ()
    example: ClassVar[dict] = {}
    example_companions: ClassVar[tuple[dict, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "order" in cls.__dict__ and "phase" not in cls.__dict__:  # a lever written before phases had names
            cls.phase = int(cls.__dict__["order"])
        cls.order = int(cls.phase)

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
