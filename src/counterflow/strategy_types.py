"""A strategy in its validated form: plain, frozen data.

:class:`Strategy`, :class:`LeverSpec`, :class:`Schedule` and :class:`Targets`
are what :mod:`counterflow.strategy` builds from a strategy file (and
re-exports). They live in this small module so that the levers and the
targeting rules, which read them, do not import the parser — the parser
validates each lever against its class's declaration, so it sits above the
levers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .schema import Checker

__all__ = ["Schedule", "Targets", "LeverSpec", "Strategy", "BASELINE", "RESERVED_STRATEGY_NAMES",
           "check_strategy_name"]

#: Name of the no-action reference every comparison is paired with; no strategy may take it.
RESERVED_STRATEGY_NAMES = ("baseline",)


@dataclass(frozen=True)
class Schedule:
    """When a lever fires: at listed steps, or from ``start`` every ``every`` steps until ``until``."""

    at: tuple[int, ...] = ()
    start: int | None = None
    every: int = 1
    until: int | None = None

    def fires(self, t: int) -> bool:
        if t in self.at:
            return True
        if self.start is None or t < self.start:
            return False
        if self.until is not None and t > self.until:
            return False
        return (t - self.start) % self.every == 0

    def firings(self, steps: int) -> int:
        """How many times the lever fires in a run of ``steps`` steps (steps 0 to ``steps - 1``)."""
        return sum(self.fires(t) for t in range(steps))

    def first(self) -> int | None:
        firsts = list(self.at) + ([self.start] if self.start is not None else [])
        return min(firsts) if firsts else None

    @classmethod
    def from_dict(cls, d: dict) -> Schedule:
        """The schedule of a mapping in the strategy-file form (``{at: STEP}`` or ``{start, every,
        until}``), taken as it is: no checks (the strategy parser checks a file's schedules)."""
        at = d.get("at")
        return cls(at=tuple(at if isinstance(at, list) else [] if at is None else [at]), start=d.get("start"),
                   every=int(d.get("every", 1) or 1), until=d.get("until"))

    def to_dict(self) -> dict:
        if self.at:
            return {"at": self.at[0] if len(self.at) == 1 else list(self.at)}
        d: dict = {"start": self.start}
        if self.every != 1:
            d["every"] = self.every
        if self.until is not None:
            d["until"] = self.until
        return d


@dataclass(frozen=True)
class Targets:
    """Named targets or a rule chosen each time the lever fires."""

    nodes: tuple[str, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()
    jurisdictions: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    mode: str | None = None
    rule: str | None = None
    k: int = 1
    kind: str | None = None
    budget: float | None = None

    def to_dict(self) -> dict:
        d: dict = {}
        for key in ("nodes", "jurisdictions", "organisations"):
            if getattr(self, key):
                d[key] = list(getattr(self, key))
        if self.edges:
            d["edges"] = [list(e) for e in self.edges]
        if self.mode:
            d["mode"] = self.mode
        if self.rule:
            d["rule"] = self.rule
            d["k"] = self.k
            if self.kind:
                d["kind"] = self.kind
            if self.budget is not None:
                d["budget"] = self.budget
        return d


@dataclass(frozen=True)
class LeverSpec:
    """One scheduled lever as written in a strategy file, validated."""

    type: str
    schedule: Schedule
    unit_cost: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    targets: Targets | None = None
    #: the strategy-file field the targets were written under (the lever's ``targets_key``)
    targets_key: str | None = None

    def to_dict(self) -> dict:
        d: dict = {"type": self.type}
        if self.targets is not None and self.targets_key:
            d[self.targets_key] = self.targets.to_dict()
        d.update(self.params)
        d["schedule"] = self.schedule.to_dict()
        d["unit_cost"] = self.unit_cost
        return d


@dataclass(frozen=True)
class Strategy:
    """A named, validated list of levers. ``Strategy('baseline')`` does nothing."""

    name: str
    levers: tuple[LeverSpec, ...] = ()
    description: str = ""
    actor: str | None = None

    def first_action(self) -> int | None:
        steps = [s for s in (lv.schedule.first() for lv in self.levers) if s is not None]
        return min(steps) if steps else None

    def to_dict(self) -> dict:
        d: dict = {"name": self.name}
        if self.description:
            d["description"] = self.description
        if self.actor:
            d["actor"] = self.actor
        d["levers"] = [lv.to_dict() for lv in self.levers]
        return d


BASELINE = Strategy("baseline", (), "No counter-narcotics action: the reference every strategy is compared with.")


def check_strategy_name(name: Any, ck: Checker, path: str) -> None:
    """Refuse a reserved strategy name (``baseline``): a strategy so named would replace the reference."""
    if str(name).strip().lower() in RESERVED_STRATEGY_NAMES:
        raise ck.error(f"'{name}' is reserved for the no-action reference every strategy is compared with; "
                       "give this strategy another name", path)
