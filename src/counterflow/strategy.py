"""Strategy files: a named list of scheduled levers.

A strategy file holds either one strategy (a mapping with ``levers`` and
optionally ``name``, ``description``, ``actor``) or several named strategies
(a mapping ``name: {levers: [...]}``, the same shape as a scenario's
``strategies:`` block, optionally under a top-level ``strategies:`` key).
Each lever's own parameters are declared once on its class (see
:mod:`counterflow.levers`) and validated here, centrally.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .kinds import EDGE_MODES, MAX_STEPS, NODE_KINDS
from .schema import Checker, Field
from .strategy_types import (
    BASELINE,
    RESERVED_STRATEGY_NAMES,
    LeverSpec,
    Schedule,
    Strategy,
    Targets,
    check_strategy_name,
)
from .yamlio import join_path, load_yaml

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["Schedule", "Targets", "LeverSpec", "Strategy", "parse_strategy", "parse_strategies",
           "load_strategy", "load_strategies", "resolve_strategies", "BASELINE", "RESERVED_STRATEGY_NAMES",
           "check_strategy_name"]

TARGET_RULES = ("top_throughput", "betweenness", "random", "optimized", "criticality")
# what a plain name or list under a lever's targets field means
_SHORTHAND = {"jurisdiction": "jurisdictions", "jurisdictions": "jurisdictions",
              "organisations": "organisations", "targets": "nodes", "nodes": "nodes", "zone": "edges"}



#: Most a lever may cost per firing (USD): far above any national counter-narcotics budget per week.
MAX_UNIT_COST = 1.0e10
#: Most money an ``optimized`` rule's ``budget`` may give (USD).
MAX_BUDGET = 1.0e12
#: Most targets a rule may pick at one firing (a rule picks at most the candidates there are).
MAX_TARGETS = 100_000

LEVER_FIELDS = (
    Field("type", "str", required=True),
    Field("schedule", "any", required=True),
    Field("unit_cost", lo=0.0, hi=MAX_UNIT_COST, default=0.0, unit="USD",
          doc="cost of one firing on one target (a strike: per target struck)"),
)
#: one step a schedule names (``at``, or each item of a list under ``at``)
STEP_FIELD = Field("at", "int", lo=0, hi=MAX_STEPS, unit="step",
                   doc="a step or a list of steps at which the lever fires")
SCHEDULE_FIELDS = (
    Field("at", "any", doc="a step or a list of steps at which the lever fires (each in "
                           f"[0, {MAX_STEPS}])"),
    Field("start", "int", lo=0, hi=MAX_STEPS, unit="step", doc="first step at which the lever fires"),
    Field("every", "int", lo=1, hi=MAX_STEPS, default=1, unit="steps", doc="steps between firings"),
    Field("until", "int", lo=0, hi=MAX_STEPS, unit="step",
          doc="last step at which the lever may fire (default: the end of the run)"),
)
TARGET_FIELDS = (
    Field("nodes", "list"),
    Field("edges", "list"),
    Field("jurisdictions", "list"),
    Field("organisations", "list"),
    Field("mode", "str", choices=EDGE_MODES),
    Field("rule", "str", choices=TARGET_RULES),
    Field("k", "int", lo=1, hi=MAX_TARGETS, default=1, unit="targets",
          doc="how many targets the rule picks at each firing"),
    Field("kind", "str", choices=NODE_KINDS),
    Field("budget", lo=0.0, hi=MAX_BUDGET, unit="USD",
          doc="budget of the optimized rule per firing, each target costing the lever's unit_cost "
              "(counted in targets when unit_cost is 0)"),
)
STRATEGY_FIELDS = (
    Field("name", "str"),
    Field("description", "str", default=""),
    Field("actor", "str"),
    Field("levers", "list", default=[]),
)


def _schedule(ck: Checker, raw: Any, path: str) -> Schedule:
    d = ck.record(raw, path, SCHEDULE_FIELDS, what="a schedule ({at: STEP} or {start: STEP, every: N, until: STEP})")
    if d["at"] is not None:
        if d["start"] is not None:
            raise ck.error("give either 'at' or 'start', not both", path)
        at = d["at"] if isinstance(d["at"], list) else [d["at"]]
        steps = tuple(ck.value(v, STEP_FIELD, join_path(join_path(path, "at"), i))
                      for i, v in enumerate(at))
        return Schedule(at=steps)
    if d["start"] is None:
        raise ck.error("a schedule needs 'at' or 'start'", path)
    if d["until"] is not None and d["until"] < d["start"]:
        raise ck.error(f"'until' ({d['until']}) is before 'start' ({d['start']})", join_path(path, "until"))
    return Schedule(start=d["start"], every=d["every"], until=d["until"])


def _targets(ck: Checker, raw: Any, path: str, scenario: Scenario | None, what: str) -> Targets:
    d = ck.record(raw, path, TARGET_FIELDS, what=f"a target description ({what})")
    nodes = {n.id for n in scenario.nodes} if scenario else None
    juris = {j.id for j in scenario.jurisdictions} if scenario else None
    orgs = {o.id for o in scenario.organisations} if scenario else None

    def names(key: str, known: set | None) -> tuple[str, ...]:
        seq = d[key] or []
        for i, v in enumerate(seq):
            if not isinstance(v, str):
                raise ck.error(f"expected a name, got {v!r}", join_path(join_path(path, key), i))
            if known is not None and v not in known:
                raise ck.error(f"unknown {key[:-1]} '{v}'", join_path(join_path(path, key), i))
        return tuple(seq)

    edges = []
    for i, e in enumerate(d["edges"] or []):
        p = join_path(join_path(path, "edges"), i)
        if not (isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)):
            raise ck.error("an edge is written [from, to]", p)
        if scenario is not None and not any(ed.src == e[0] and ed.dst == e[1] for ed in scenario.edges):
            raise ck.error(f"no edge {e[0]} -> {e[1]} in the scenario", p)
        edges.append((e[0], e[1]))
    t = Targets(
        nodes=names("nodes", nodes), edges=tuple(edges), jurisdictions=names("jurisdictions", juris),
        organisations=names("organisations", orgs), mode=d["mode"], rule=d["rule"], k=d["k"],
        kind=d["kind"], budget=d["budget"],
    )
    return t


def parse_lever(ck: Checker, raw: Any, path: str, scenario: Scenario | None) -> LeverSpec:
    """Validate one lever mapping against its class's declaration."""
    from .levers import LEVERS

    raw = ck.mapping(raw, path, "a lever (a mapping with 'type' and 'schedule')")
    if "type" not in raw:
        raise ck.error("a lever needs a 'type'", path)
    typ = ck.value(raw["type"], Field("type", "str", choices=tuple(LEVERS)), join_path(path, "type"))
    cls = LEVERS[typ]
    common = LEVER_FIELDS
    tfield = (Field(cls.targets_key, "any", required=cls.targets_required),) if cls.targets_key else ()
    d = ck.record(raw, path, common + tfield + tuple(cls.params))
    targets = None
    if cls.targets_key and d[cls.targets_key] is not None:
        raw_targets = d[cls.targets_key]
        # shorthands: `jurisdiction: VE`, `organisations: [org_a]`, `targets: [port_main]`
        if isinstance(raw_targets, str):
            raw_targets = [raw_targets]
        if isinstance(raw_targets, list):
            raw_targets = {_SHORTHAND.get(cls.targets_key, "nodes"): raw_targets}
        targets = _targets(ck, raw_targets, join_path(path, cls.targets_key), scenario, cls.targets_help)
        cls.check_targets(ck, targets, join_path(path, cls.targets_key))
    params = {f.name: d[f.name] for f in cls.params}
    return LeverSpec(type=typ, schedule=_schedule(ck, d["schedule"], join_path(path, "schedule")),
                     unit_cost=d["unit_cost"], params=params, targets=targets, targets_key=cls.targets_key)


def parse_strategy(data: Any, *, name: str | None = None, scenario: Scenario | None = None,
                   ck: Checker | None = None, path: str = "") -> Strategy:
    """Validate parsed strategy data (one strategy)."""
    ck = ck or Checker()
    d = ck.record(data, path, STRATEGY_FIELDS, what="a strategy (a mapping with 'levers')")
    sname = name or d["name"]
    if not sname:
        raise ck.error("a strategy needs a 'name'", path)
    check_strategy_name(sname, ck, join_path(path, "name") if name is None else path)
    if scenario is not None and d["actor"] is not None and d["actor"] not in {j.id for j in scenario.jurisdictions}:
        raise ck.error(f"unknown jurisdiction '{d['actor']}'", join_path(path, "actor"))
    levers = tuple(parse_lever(ck, lv, join_path(join_path(path, "levers"), i), scenario)
                   for i, lv in enumerate(d["levers"] or []))
    return Strategy(name=sname, levers=levers, description=d["description"], actor=d["actor"])


def parse_strategies(scenario: Scenario, ck: Checker) -> dict[str, Strategy]:
    """Validate the ``strategies:`` block a scenario carries."""
    out = {}
    for key, raw in scenario.strategies.items():
        out[key] = parse_strategy(raw, name=key, scenario=scenario, ck=ck, path=join_path("strategies", key))
    return out


_STRATEGY_KEYS = frozenset(f.name for f in STRATEGY_FIELDS)
_EXPECTED = ("a strategy file: one strategy (a mapping with 'levers', and optionally 'name', 'description', "
             "'actor') or several named strategies (a mapping name: {levers: [...]}, as in a scenario's "
             "'strategies:' block)")


def _strategy_documents(data: Any, ck: Checker, stem: str) -> list[tuple[str | None, Any, str]]:
    """``(name, body, path)`` of each strategy a parsed strategy file holds; a clear error when it holds none."""
    data = ck.mapping(data, "", _EXPECTED)
    if "levers" in data or (data and set(data) <= _STRATEGY_KEYS - {"levers"}):
        return [(data.get("name") or stem, data, "")]
    if set(data) == {"strategies"} and isinstance(data["strategies"], dict):
        block, base = data["strategies"], "strategies"
    else:
        block, base = data, ""
    if "nodes" in block or "edges" in block:
        raise ck.error(f"this looks like a scenario, not a strategy; expected {_EXPECTED}", None)
    if not block:
        raise ck.error(f"holds no strategy; expected {_EXPECTED}", base or None)
    out: list[tuple[str | None, Any, str]] = []
    for key, body in block.items():
        p = join_path(base, key)
        if not isinstance(key, str):
            raise ck.error(f"a strategy name must be text, got {key!r}; expected {_EXPECTED}", p)
        if not isinstance(body, dict):
            kind = type(body).__name__ if body is not None else "nothing"
            raise ck.error(f"'{key}' is not a strategy (got {kind}); expected {_EXPECTED}", p)
        out.append((key, body, p))
    return out


def load_strategies(path: str | Path, scenario: Scenario | None = None) -> list[Strategy]:
    """Every strategy a strategy file holds (one or several), validating targets against ``scenario`` when given.

    A single strategy without a ``name`` is named after the file.
    """
    data, lines = load_yaml(path)
    ck = Checker(str(path), lines)
    return [parse_strategy(body, name=name, scenario=scenario, ck=ck, path=p)
            for name, body, p in _strategy_documents(data, ck, Path(path).stem)]


def load_strategy(path: str | Path, scenario: Scenario | None = None) -> Strategy:
    """Read a strategy file holding one strategy, validating targets against ``scenario`` when given.

    A file of several named strategies is refused with their names (use :func:`load_strategies`).
    """
    found = load_strategies(path, scenario)
    if len(found) != 1:
        names = ", ".join(s.name for s in found)
        raise InputError(f"holds {len(found)} strategies ({names}); expected one here", file=str(path))
    return found[0]


def resolve_strategies(scenario: Scenario, names: list[str] | None, *, allow_files: bool = True) -> list[Strategy]:
    """Strategies by name (carried by the scenario) or by file path; all carried ones if ``names`` is empty.

    ``baseline`` always exists and always comes first. With ``allow_files=False``
    (for fronts that take names from clients) only carried names are accepted.
    """
    carried = parse_strategies(scenario, Checker(scenario.source))
    carried.setdefault("baseline", BASELINE)
    if not names:
        names = scenario.strategy_names()
    out: dict[str, Strategy] = {"baseline": carried["baseline"]}
    for nm in names:
        if nm in carried:
            out[nm] = carried[nm]
        elif allow_files and Path(nm).is_file():
            for st in load_strategies(nm, scenario):
                out[st.name] = st
        else:
            known = ", ".join(carried)
            raise InputError(f"no strategy '{nm}' in scenario '{scenario.name}' and no such file (strategies: {known})")
    return list(out.values())
