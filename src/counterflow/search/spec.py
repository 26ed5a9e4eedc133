"""Search files: a scenario, a decision space of levers, objectives, constraints and futures.

A search file is YAML::

    scenario: caribbean
    budget_usd: 6.0e7                      # total over the horizon; portfolios above it are infeasible
    levers:                                # the decision space: a list is a choice, {low, high} a range
      - {type: strike, damage: {low: 0.0, high: 1.0}, targets: {rule: [top_throughput, betweenness], k: [1, 2]},
         schedule: {start: 4, every: [4, 8, 12]}, unit_cost: 2.0e6}
      - {type: humanitarian_aid, intensity: {low: 0.0, high: 1.0}, jurisdiction: VE,
         schedule: {start: 4}, unit_cost: 2.0e5}
    objectives:
      - {outcome: flow_reduction_pct, direction: max, robustness: mean}
      - {outcome: civilian_harm, direction: min, robustness: p90}
      - {outcome: cost_usd, direction: min}
    constraints:
      - {outcome: civilian_harm, max: 200}
    uncertainties:                         # the same syntax as experiment files
      - {path: parameters.learning_rate, low: 0.05, high: 0.5}
    futures: 4
    replications: 2
    evaluations: 60
    seed: 1

Every listed lever has an on/off gene; each ``{low, high}`` (optionally with
``step``) is a number gene and each list of values a choice gene. A lever
that is off, or whose intensity (the parameter that scales its effect)
decodes to 0, is left out of the portfolio and costs nothing. Lists that
are values in their own right (``jurisdictions: [VE, CO]``, ``nodes: [...]``)
stay values; a choice between such lists is a list of lists.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..schema import Checker, Field
from ..strategy import Schedule, Strategy, parse_strategy
from ..yamlio import join_path, load_yaml_text

__all__ = ["Gene", "Objective", "Constraint", "SearchSpec", "load_search", "parse_search", "search_from_text",
           "direction_of", "label_of", "ALGORITHMS", "FIRST_GENERATION", "EARLIER_RECIPE", "recipe_change"]

#: How the optimiser makes its portfolios (part of a search's identity: a store made with another
#: recipe replays other portfolios, so it is not resumed). 2: warm start, corners, uniform draws;
#: 3: the same, and portfolios over the budget are repaired to it (:meth:`SearchSpec.fit_budget`).
FIRST_GENERATION = 3
#: why a store made by an earlier recipe is not replayed, in the words of every message that says so
EARLIER_RECIPE = ("it was made by an earlier counterflow whose optimiser asked for other portfolios "
                  "(no corners in the first generation, or no repair of portfolios over the budget)")

ALGORITHMS = ("auto", "nsga2", "nsga3", "random")
#: fields whose value is itself a list: a list there is the value, a list of lists a choice
LIST_VALUED = {"nodes", "edges", "jurisdictions", "organisations", "at"}
INT_FIELDS = {"start", "every", "until", "k", "ramp_steps", "at"}
_QUANTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


def _experiment_fields() -> dict[str, Field]:
    from ..experiments.spec import EXPERIMENT_FIELDS

    return {f.name: f for f in EXPERIMENT_FIELDS}


_EXP = _experiment_fields()
#: samplers whose sample count is the number of points (the futures); the experiment's list and descriptions
FUTURE_SAMPLERS = tuple(s for s in (_EXP["sampler"].choices or ()) if s not in ("sobol", "morris"))

# the futures' keys are the experiment file's (same declarations, same checks and messages);
# `futures` is the experiment's `samples` under the search's name
SEARCH_FIELDS = (
    Field("scenario", "str", required=True),
    Field("description", "str", default=""),
    Field("actor", "str", default=None, doc="jurisdiction acting (levers on other soil count as foreign)"),
    Field("budget_usd", lo=0.0, default=None),
    Field("levers", "list", required=True),
    Field("objectives", "list", required=True),
    Field("constraints", "list", default=[]),
    _EXP["uncertainties"],
    Field("sampler", "str", default="lhs", choices=FUTURE_SAMPLERS,
          doc="how the futures are drawn (the experiment file's samplers whose count is the number of points)"),
    Field("futures", "int", lo=1, required=True),
    _EXP["replications"],
    Field("evaluations", "int", lo=1, required=True),
    _EXP["seed"],
    _EXP["steps"],
    Field("population", "int", lo=4, default=None),
    Field("algorithm", "str", default="auto", choices=ALGORITHMS),
    Field("out_of_sample", "dict", default=None),
)
OBJECTIVE_FIELDS = (
    Field("outcome", "str", required=True),
    Field("direction", "str", choices=("min", "max"), default=None),
    Field("robustness", "str", default=None),
    Field("threshold", default=None, doc="the value a future must meet (satisficing)"),
    Field("name", "str", default=None),
)
CONSTRAINT_FIELDS = (
    Field("outcome", "str", required=True),
    Field("max", default=None),
    Field("min", default=None),
    Field("robustness", "str", default="mean"),
    Field("threshold", default=None),
)
OOS_FIELDS = (
    Field("futures", "int", lo=8, default=8),
    Field("replications", "int", lo=2, default=2),
)


def direction_of(outcome: str) -> str:
    """``'max'`` or ``'min'``: which way is better for ``outcome`` (from the outcomes registry)."""
    from ..outcomes import OUTCOMES as REGISTRY

    return REGISTRY[outcome].direction


def label_of(outcome: str) -> str:
    """The outcome's label for axes and tables (from the outcomes registry)."""
    from ..outcomes import OUTCOMES as REGISTRY

    return REGISTRY[outcome].label if outcome in REGISTRY else outcome


def known_outcomes() -> tuple[str, ...]:
    from ..outcomes import OUTCOMES as REGISTRY

    return tuple(REGISTRY)


@dataclass(frozen=True)
class Gene:
    """One decision variable. ``kind``: ``on`` (0/1), ``real``, ``int`` (whole numbers or steps), ``choice``."""

    lever: int
    path: tuple  # key path inside the lever's mapping (empty for the on gene)
    kind: str
    low: float = 0.0
    high: float = 1.0
    step: float | None = None
    options: tuple = ()

    @property
    def integer(self) -> bool:
        return self.kind != "real"

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds of the encoded value."""
        if self.kind == "on":
            return 0.0, 1.0
        if self.kind == "choice":
            return 0.0, float(len(self.options) - 1)
        if self.step:
            return 0.0, float(round((self.high - self.low) / self.step))
        return float(self.low), float(self.high)

    def value(self, x: float) -> Any:
        """The lever value an encoded number stands for."""
        if self.kind == "on":
            return bool(round(x))
        if self.kind == "choice":
            return _copy(self.options[int(round(x))])
        if self.step:
            v = self.low + int(round(x)) * self.step
            v = min(v, self.high)
            return int(round(v)) if self.kind == "int" and float(v).is_integer() else round(float(v), 10)
        if self.kind == "int":
            return int(round(x))
        return float(x)

    @property
    def name(self) -> str:
        return ".".join(map(str, self.path)) if self.path else "on"

    def describe(self) -> dict:
        d: dict = {"lever": self.lever, "field": self.name, "kind": self.kind}
        if self.kind == "choice":
            d["options"] = list(self.options)
        elif self.kind != "on":
            d.update(low=self.low, high=self.high, step=self.step)
        return d


@dataclass(frozen=True)
class Objective:
    """An objective: an outcome, which way is better, and the robustness statistic over futures."""

    outcome: str
    direction: str
    robustness: str
    threshold: float | None = None
    name: str = ""

    @property
    def sense(self) -> str:
        """Which way the *statistic* is better: regret is minimised, a satisficing share maximised."""
        if self.robustness == "regret":
            return "min"
        if self.robustness == "satisficing":
            return "max"
        return self.direction

    @property
    def key(self) -> str:
        return self.name or self.outcome


@dataclass(frozen=True)
class Constraint:
    """A constraint on an outcome's robust value: ``max`` and/or ``min``."""

    outcome: str
    robustness: str
    max: float | None = None
    min: float | None = None
    threshold: float | None = None

    @property
    def direction(self) -> str:
        return direction_of(self.outcome)

    def describe(self) -> str:
        parts = []
        if self.max is not None:
            parts.append(f"{self.outcome} ({self.robustness}) <= {self.max:g}")
        if self.min is not None:
            parts.append(f"{self.outcome} ({self.robustness}) >= {self.min:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class SearchSpec:
    """A validated search file. Build with :func:`load_search` or :func:`parse_search`."""

    scenario_ref: str
    scenario_doc: dict
    levers: tuple[dict, ...]
    genes: tuple[Gene, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    experiment: Any  # experiments.spec.Experiment holding the futures (uncertainties, sampler, seed, steps)
    futures: int
    replications: int
    evaluations: int
    seed: int
    steps: int
    population: int
    algorithm: str
    budget_usd: float | None = None
    actor: str | None = None
    oos_futures: int = 8
    oos_replications: int = 2
    description: str = ""
    source: str | None = None
    text: str = ""
    raw: dict = field(default_factory=dict)

    # ------------------------------------------------------------- decision space
    @property
    def n_var(self) -> int:
        return len(self.genes)

    @cached_property
    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        b = np.array([g.bounds for g in self.genes], dtype=float)
        return b[:, 0], b[:, 1]

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._bounds
        return lo.copy(), hi.copy()

    @cached_property
    def _mask(self) -> np.ndarray:
        return np.array([g.integer for g in self.genes], dtype=bool)

    @property
    def integer_mask(self) -> np.ndarray:
        return self._mask.copy()

    def repair(self, x: np.ndarray) -> np.ndarray:
        """Clip to bounds and round the integer genes."""
        lo, hi = self._bounds
        x = np.clip(np.asarray(x, dtype=float), lo, hi)
        m = self._mask
        x[..., m] = np.round(x[..., m])
        return x

    def decode(self, x: np.ndarray) -> list[dict]:
        """The concrete levers (strategy-file mappings) an encoded portfolio uses, in file order."""
        from ..levers import LEVERS

        x = self.repair(x)
        out = []
        for i, template in enumerate(self.levers):
            lever = _copy(template)
            on = True
            for g, v in zip(self.genes, x, strict=True):
                if g.lever != i:
                    continue
                if g.kind == "on":
                    on = g.value(v)
                    continue
                node = lever
                for k in g.path[:-1]:
                    node = node[k]
                node[g.path[-1]] = g.value(v)
            if not on:
                continue
            key = LEVERS[lever["type"]].intensity
            if key and isinstance(lever.get(key), int | float) and not isinstance(lever.get(key), bool) \
                    and lever[key] <= 0:
                continue  # at intensity 0 a lever does nothing and costs nothing
            out.append(lever)
        return out

    def planned_cost(self, levers: list[dict]) -> float:
        """What decoded levers cost over the horizon, known before any run.

        The engine charges a lever's ``unit_cost`` each time its schedule fires
        (:meth:`~counterflow.strategy.Schedule.firings` over the search's ``steps``), and a strike's
        per target (at most ``k`` when a rule chooses them, each named node otherwise), whatever the
        future; so this is the most a portfolio can cost (a strike that finds fewer than ``k`` sites
        costs less).
        """
        total = 0.0
        for lever in levers:
            n = Schedule.from_dict(lever.get("schedule") or {}).firings(self.steps)
            per = float(lever.get("unit_cost", 0.0) or 0.0)
            if lever["type"] == "strike":
                t = lever.get("targets")
                if isinstance(t, dict):
                    per *= len(t["nodes"]) if t.get("nodes") else int(t.get("k", 1) or 1)
                elif isinstance(t, list):
                    per *= len(t)
            total += n * per
        return total

    def fit_budget(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Repair an encoded portfolio over the budget: switch its levers off one at a time, at random.

        A portfolio whose :meth:`planned_cost` is above ``budget_usd`` would be infeasible
        whatever the future, so an evaluation spent on it is lost; the optimiser repairs it
        instead of rejecting it (the repair keeps the other levers' genes). Without a budget,
        or within it, ``x`` is returned rounded and clipped.
        """
        x = self.repair(x)
        if self.budget_usd is None:
            return x
        on = [j for j, g in enumerate(self.genes) if g.kind == "on"]
        while self.planned_cost(self.decode(x)) > self.budget_usd:
            live = [j for j in on if x[j] >= 0.5]
            if not live:
                break
            x[live[int(rng.integers(len(live)))]] = 0.0
        return x

    def key(self, x: np.ndarray) -> str:
        """A canonical text of the portfolio (equal for encodings that decode to the same levers)."""
        return json.dumps(self.decode(x), sort_keys=True, default=str)

    def strategy(self, levers: list[dict], scenario=None, name: str = "portfolio") -> Strategy:
        """The :class:`~counterflow.strategy.Strategy` of decoded levers."""
        body = {"name": name, "levers": levers}
        if self.actor:
            body["actor"] = self.actor
        return parse_strategy(body, scenario=scenario)

    # ------------------------------------------------------------- identity
    def fingerprint(self, first_generation: int | None | str = "current") -> str:
        """Hash of everything that determines the stored evaluations (to refuse resuming another search).

        The evaluation budget is left out: a search resumed with a larger ``evaluations`` replays
        the stored ones and continues (give ``population`` explicitly, since its default depends
        on the budget). ``first_generation`` is the optimiser's recipe the hash is taken with: a
        store records the one it was made with, so that reading it checks the search itself, and
        resuming decides separately whether the recipe changes its portfolios
        (:func:`recipe_change`). ``"current"`` is :data:`FIRST_GENERATION`; ``None`` leaves the
        recipe out (stores made before it was recorded).
        """
        if first_generation == "current":
            first_generation = FIRST_GENERATION
        body = {
            "scenario_doc": self.scenario_doc, "levers": list(self.levers),
            "genes": [g.describe() for g in self.genes], "actor": self.actor,
            "futures": self.futures, "replications": self.replications, "seed": self.seed,
            "steps": self.steps, "experiment": self.experiment.fingerprint(),
            "oos": [self.oos_futures, self.oos_replications],
            "objectives": [o.__dict__ for o in self.objectives],
            "constraints": [c.__dict__ for c in self.constraints], "budget_usd": self.budget_usd,
            "population": self.population, "algorithm": self.algorithm,
        }  # not `evaluations`: raising it continues a stored search
        if first_generation is not None:
            body["first_generation"] = first_generation
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def layout(self) -> str:
        """Hash of the decision space alone (a warm start needs the same one)."""
        body = [g.describe() for g in self.genes] + [list(self.levers)]
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def future_values(self) -> np.ndarray:
        """The sampled futures ``[futures, n_uncertainties]``."""
        return self.experiment.design()

    def oos_values(self) -> np.ndarray:
        """Fresh futures for the out-of-sample check (a design seed apart from the search's)."""
        import dataclasses

        s = int(np.random.SeedSequence([self.seed, 0x0005, 0x5EA]).generate_state(1)[0])
        return dataclasses.replace(self.experiment, sampler="lhs", samples=self.oos_futures, seed=s).design()

    def discover_values(self, n: int) -> np.ndarray:
        """``n`` fresh futures for scenario discovery (a Latin hypercube with a seed apart from the others')."""
        import dataclasses

        s = int(np.random.SeedSequence([self.seed, 0xD15C, n]).generate_state(1)[0])
        return dataclasses.replace(self.experiment, sampler="lhs", samples=n, seed=s).design()

    def describe_portfolio(self, levers: list[dict]) -> str:
        """A portfolio in words."""
        from .words import describe_portfolio

        return describe_portfolio(levers)


def _copy(obj: Any) -> Any:
    """A deep copy of plain YAML data (faster than copy.deepcopy for small mappings)."""
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_copy(v) for v in obj]
    return obj


# ----------------------------------------------------------------- parsing
def _is_range(v: Any) -> bool:
    return isinstance(v, dict) and "low" in v and "high" in v and set(v) <= {"low", "high", "step", "integer"}


def _walk(ck: Checker, node: Any, lever: int, path: tuple, file_path: str, genes: list[Gene],
          list_valued: set[str]) -> Any:
    """Find the genes in one lever mapping; return the template (genes replaced by their first value)."""
    if isinstance(node, dict) and _is_range(node):
        name = str(path[-1])
        for end in ("low", "high"):
            ck.value(node[end], Field(end), join_path(file_path, end))
        lo, hi = float(node["low"]), float(node["high"])
        if lo > hi:
            raise ck.error(f"low ({lo:g}) is above high ({hi:g})", join_path(file_path, "low"))
        integer = node.get("integer")
        if integer is None:
            integer = name in INT_FIELDS
        elif not isinstance(integer, bool):
            raise ck.error("expected true or false", join_path(file_path, "integer"))
        step = node.get("step")
        if step is not None:
            step = ck.value(step, Field("step", lo=0.0), join_path(file_path, "step"))
            if step <= 0:
                raise ck.error("must be above 0", join_path(file_path, "step"))
        if integer and (not float(lo).is_integer() or not float(hi).is_integer()):
            raise ck.error(f"'{name}' is a whole number; give whole low and high", file_path)
        g = Gene(lever, path, "int" if integer else "real", lo, hi, step)
        genes.append(g)
        return g.value(g.bounds[0])
    if isinstance(node, dict):
        return {k: _walk(ck, v, lever, path + (k,), join_path(file_path, k), genes, list_valued)
                for k, v in node.items()}
    if isinstance(node, list):
        name = str(path[-1]) if path else ""
        if name in list_valued and not (node and all(isinstance(v, list) for v in node)):
            return node
        if not node:
            raise ck.error("an empty list offers no choice", file_path)
        if len(node) == 1:
            return node[0]
        g = Gene(lever, path, "choice", options=tuple(node))
        genes.append(g)
        return node[0]
    return node


def _robustness(ck: Checker, value: str | None, path: str, default: str) -> str:
    r = default if value is None else value
    if r in ("mean", "max", "min", "regret", "satisficing") or _QUANTILE.match(r):
        if _QUANTILE.match(r) and float(r[1:]) > 100:
            raise ck.error(f"a quantile is p0 to p100, got '{r}'", path)
        return r
    raise ck.error(f"unknown robustness '{r}'; expected mean, max, min, a quantile such as p90, regret "
                   "or satisficing", path)


def parse_search(data: Any, *, file: str | None = None, lines: Any = None, text: str = "") -> SearchSpec:
    """Validate parsed search data.

    Raises
    ------
    InputError
        Naming the file, the field and the line of the first problem.
    """
    from ..experiments.spec import parse_experiment
    from ..levers import LEVERS

    ck = Checker(file, lines)
    top = ck.record(data, "", SEARCH_FIELDS, what="a search (a mapping with scenario, levers, objectives...)")
    # the futures: the experiment machinery validates the scenario, the uncertainties and the sampler
    exp_body = {"scenario": top["scenario"], "strategies": [], "uncertainties": top["uncertainties"],
                "sampler": top["sampler"], "samples": top["futures"], "replications": top["replications"],
                "seed": top["seed"], "store_steps": False}
    if top["steps"] is not None:
        exp_body["steps"] = top["steps"]
    try:  # one set of checks: the experiment's validators judge the uncertainties and the sampling
        exp = parse_experiment(exp_body, file=file, lines=lines)
    except InputError as exc:
        if exc.path == "samples":  # the experiment's samples are the search's futures
            raise ck.error(exc.message, "futures") from None
        raise
    from ..scenario import Scenario

    scenario = Scenario.from_dict(exp.scenario_doc)

    if not top["levers"]:
        raise ck.error("list at least one lever", "levers")
    genes: list[Gene] = []
    templates: list[dict] = []
    for i, raw in enumerate(top["levers"]):
        p = join_path("levers", i)
        raw = ck.mapping(raw, p, "a lever (a mapping with 'type', its ranges and choices)")
        if "type" not in raw:
            raise ck.error("a lever needs a 'type'", p)
        typ = ck.value(raw["type"], Field("type", "str", choices=tuple(LEVERS)), join_path(p, "type"))
        if "schedule" not in raw:
            raise ck.error("a lever needs a 'schedule' ({start: STEP} or {at: STEP})", p)
        cls = LEVERS[typ]
        lv = set(LIST_VALUED)
        if cls.targets_key and isinstance(raw.get(cls.targets_key), list) \
                and not all(isinstance(v, list) for v in raw[cls.targets_key]):
            lv.add(cls.targets_key)  # shorthand `jurisdiction: [VE, CO]` is the value
        genes.append(Gene(i, (), "on"))
        templates.append(_walk(ck, {k: v for k, v in raw.items()}, i, (), p, genes, lv))
    # every value a gene can take must make a valid lever (checked at each bound and option)
    for g in genes:
        if g.kind == "on":
            continue
        lo, hi = g.bounds
        for x in sorted({lo, hi} | ({float(k) for k in range(int(hi) + 1)} if g.kind == "choice" else set())):
            lever = copy.deepcopy(templates[g.lever])
            node = lever
            for k in g.path[:-1]:
                node = node[k]
            node[g.path[-1]] = g.value(x)
            body = {"name": "check", "levers": [lever]}
            if top["actor"]:
                body["actor"] = top["actor"]
            try:
                parse_strategy(body, scenario=scenario, ck=Checker(file, lines))
            except InputError as exc:
                where = exc.path.replace("levers[0]", join_path("levers", g.lever), 1) if exc.path else None
                if exc.path and exc.path.startswith("actor"):
                    where = "actor"
                raise InputError(f"{exc.message} (value {g.value(x)!r} of '{g.name}')", file=file, path=where,
                                 line=ck.lines.line(where)) from None
    if not any(g.kind != "on" for g in genes):
        body = {"name": "check", "levers": templates}
        if top["actor"]:
            body["actor"] = top["actor"]
        try:
            parse_strategy(body, scenario=scenario, ck=Checker(file, lines))
        except InputError as exc:
            raise InputError(exc.message, file=file, path=exc.path, line=ck.lines.line(exc.path)) from None

    outcomes = known_outcomes()

    def outcome(v: str, path: str) -> str:
        if v not in outcomes:
            raise ck.error(f"unknown outcome '{v}'; known: {', '.join(outcomes)}", path)
        return v

    if not top["objectives"]:
        raise ck.error("list at least one objective", "objectives")
    objectives: list[Objective] = []
    for i, raw in enumerate(top["objectives"]):
        p = join_path("objectives", i)
        d = ck.record(raw, p, OBJECTIVE_FIELDS, what="an objective {outcome: ..., direction: min|max}")
        o = outcome(d["outcome"], join_path(p, "outcome"))
        rob = _robustness(ck, d["robustness"], join_path(p, "robustness"), "max" if o == "cost_usd" else "mean")
        if rob == "satisficing" and d["threshold"] is None:
            raise ck.error("satisficing needs a 'threshold' (the value a future must meet)", p)
        obj = Objective(o, d["direction"] or direction_of(o), rob, d["threshold"], d["name"] or "")
        if obj.key in (x.key for x in objectives):
            raise ck.error(f"'{obj.key}' is an objective twice; give the second one a 'name'", p)
        objectives.append(obj)
    constraints: list[Constraint] = []
    for i, raw in enumerate(top["constraints"] or []):
        p = join_path("constraints", i)
        d = ck.record(raw, p, CONSTRAINT_FIELDS, what="a constraint {outcome: ..., max: ...}")
        o = outcome(d["outcome"], join_path(p, "outcome"))
        if d["max"] is None and d["min"] is None:
            raise ck.error("a constraint needs 'max' or 'min'", p)
        if d["max"] is not None and d["min"] is not None and d["min"] > d["max"]:
            raise ck.error(f"min ({d['min']:g}) is above max ({d['max']:g})", join_path(p, "min"))
        rob = _robustness(ck, d["robustness"], join_path(p, "robustness"), "mean")
        if rob == "satisficing" and d["threshold"] is None:
            raise ck.error("satisficing needs a 'threshold'", p)
        constraints.append(Constraint(o, rob, d["max"], d["min"], d["threshold"]))
    oos = ck.record(top["out_of_sample"] or {}, "out_of_sample", OOS_FIELDS,
                    what="{futures: N, replications: N} (at least 8 and 2)")
    n_obj = len(objectives)
    algorithm = top["algorithm"]
    if algorithm == "auto":
        algorithm = "nsga3" if n_obj >= 4 else "nsga2"
    # default: about 15 generations' worth of evaluations (more generations find fronts better
    # than larger generations at a fixed evaluation budget), an even number from 8 to 40
    pop = top["population"] or int(min(40, max(8, 2 * round(top["evaluations"] / 30))))
    if top["population"] is None and top["evaluations"] < pop:
        pop = max(4, top["evaluations"] - top["evaluations"] % 2)
    return SearchSpec(
        scenario_ref=exp.scenario_ref, scenario_doc=exp.scenario_doc, levers=tuple(templates), genes=tuple(genes),
        objectives=tuple(objectives), constraints=tuple(constraints), experiment=exp, futures=top["futures"],
        replications=top["replications"], evaluations=top["evaluations"], seed=top["seed"], steps=exp.steps,
        population=pop, algorithm=algorithm, budget_usd=top["budget_usd"], actor=top["actor"],
        oos_futures=oos["futures"], oos_replications=oos["replications"], description=top["description"],
        source=file, text=text, raw=copy.deepcopy(data),
    )


def load_search(path: str | Path) -> SearchSpec:
    """Read and validate a search YAML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise InputError("not a readable text file", file=str(path)) from None
    return search_from_text(text, str(path))


def search_from_text(text: str, file: str | None = None) -> SearchSpec:
    """Parse search YAML text (also used when reopening a store)."""
    from ..experiments.paths import quote_paths

    data, lines = load_yaml_text(quote_paths(text), file)
    return parse_search(data, file=file, lines=lines, text=text)


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(x)


def recipe_change(spec: SearchSpec, stored: int | None) -> str | None:
    """Why a store made with the optimiser's recipe ``stored`` would not replay under this version.

    ``None`` when the current recipe (:data:`FIRST_GENERATION`) asks ``spec``'s search for the same
    portfolios in the same order, so that its stored evaluations can be replayed. Recipe 3 only
    added the repair of portfolios over the budget inside the optimiser: a random search, or a
    search without ``budget_usd``, asks for the same portfolios under 2 and 3. Earlier recipes
    (none recorded) had no corners in the optimiser's first generation.
    """
    if stored == FIRST_GENERATION:
        return None
    if stored == 2:
        if spec.budget_usd is None or spec.algorithm == "random":
            return None
        return ("its optimiser did not yet repair portfolios over budget_usd, and this version does, "
                "so it would now ask for other portfolios than the stored ones")
    return EARLIER_RECIPE
