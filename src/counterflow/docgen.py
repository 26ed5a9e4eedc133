"""The file formats, described from the declarations the validator uses.

:func:`formats_markdown` writes the formats reference page (``docs/formats.md``) and
:func:`json_schema` the JSON Schema of each file kind (``counterflow schema KIND``). Both
read the same :class:`~counterflow.schema.Field` declarations as the checks that run when a
file is loaded (scenario, parameters, strategy and levers, experiment, search), so the
reference follows the code: a field added, removed or given a new range shows up here.

A declared field without its own ``doc`` takes its meaning from :data:`MEANINGS`; a test
fails when a field has neither, so every key in every format is explained.

Regenerate the page with ``python -m counterflow.docgen docs/formats.md``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schema import NUMBER_LIMIT, Field

__all__ = ["KINDS", "sections", "formats_markdown", "json_schema", "missing_meanings", "unused_meanings", "MEANINGS"]

KINDS = ("scenario", "strategy", "experiment", "search")

#: Meanings of declared fields that carry no ``doc`` of their own, by "section.field".
MEANINGS: dict[str, str] = {
    # scenario, top level
    "scenario.name": "name of the scenario (used in outputs and as the built-in name)",
    "scenario.description": "one or two sentences shown by `counterflow scenarios` and in reports",
    "scenario.jurisdictions": "the countries or regions whose police, courts and people the levers act in",
    "scenario.nodes": "the sites of the network (or the path of a Parquet table, the tables form)",
    "scenario.edges": "the directed links between sites (or the path of a Parquet table, the tables form)",
    "scenario.organisations": "the trafficking organisations that plan flows over the network",
    "scenario.markets": "the retail markets at market nodes: reference price, demand and elasticity",
    "scenario.parameters": "model-wide constants overriding their defaults (see Parameters below)",
    "scenario.strategies": "named strategies carried by the scenario, each a strategy (see Strategy files)",
    "jurisdictions.id": "identifier that nodes and strategies refer to",
    "jurisdictions.name": "readable name",
    "nodes.id": "identifier, unique among nodes",
    "nodes.kind": "role of the site: where drugs are produced, consolidated, moved through or sold",
    "nodes.jurisdiction": "id of the jurisdiction the site lies in",
    "nodes.name": "readable name",
    "nodes.lat": "latitude (for maps and the GeoJSON export)",
    "nodes.lon": "longitude (for maps and the GeoJSON export)",
    "edges.from": "id of the node the edge leaves",
    "edges.to": "id of the node the edge enters",
    "edges.mode": "how loads travel (selects the levers that act on the edge, e.g. maritime interdiction)",
    "organisations.id": "identifier that strategies and production refer to",
    "organisations.name": "readable (fictional) name",
    "organisations.cash": "money held at the start",
    "markets.node": "id of the market node",
    # strategy
    "strategy.name": "name of the strategy (a file holding one strategy; several are written as NAME: {...})",
    "strategy.description": "what the strategy does, in words (shown in reports)",
    "strategy.actor": "id of the jurisdiction carrying out the strategy (levers on other soil count as foreign)",
    "strategy.levers": "the scheduled actions (see Levers)",
    "lever.type": "which lever (one of the lever types below)",
    "lever.schedule": "when it fires: a step, a list of steps, or a mapping with start/every/until (see Schedule)",
    "targets.nodes": "node ids",
    "targets.edges": "edges written [from, to]",
    "targets.jurisdictions": "jurisdiction ids",
    "targets.organisations": "organisation ids",
    "targets.mode": "only edges of this mode",
    "targets.rule": "choose the targets each time the lever fires: the busiest, the most central, at random, "
                    "or by the interdiction optimiser",
    "targets.kind": "only nodes of this kind",
    # experiment
    "experiment.scenario": "built-in scenario name or a scenario file path (relative to the experiment file)",
    "experiment.description": "what the experiment asks",
    "experiment.strategies": "strategies to run at every design point (default: all the scenario carries); "
                             "the baseline is always run",
    "experiment.uncertainties": "the parameters varied and their ranges (see Uncertainties)",
    "experiment.sampler": "how the design points are drawn: Latin hypercube, Monte Carlo, Sobol (Saltelli) "
                          "or Morris; Sobol and Morris need the `analysis` extra",
    "experiment.samples": "number of design points (the Sobol and Morris samplers multiply it by their design)",
    "experiment.replications": "runs per design point and strategy",
    "experiment.seed": "seed of the design and of the runs",
    "experiment.outcomes": "outcomes stored per run besides delivered_kg, flow_reduction_pct, civilian_harm and backlash, which are always kept (default: only those four)",
    "experiment.steps": "horizon of every run (default: the scenario's)",
    "uncertainties.path": "dotted path of the value to vary, e.g. organisations.org_a.risk_aversion or "
                          "strategies.port-strike.levers[0].intel_accuracy",
    "uncertainties.low": "lowest value drawn",
    "uncertainties.high": "highest value drawn",
    "uncertainties.integer": "draw whole numbers (default: when the field is a whole number)",
    # search
    "search.scenario": "built-in scenario name or a scenario file path",
    "search.description": "what the search asks",
    "search.budget_usd": "most a portfolio may cost over the horizon (portfolios above are infeasible)",
    "search.levers": "the levers the search may combine, each with the ranges of its settings",
    "search.objectives": "what the portfolios are judged on (see Objectives)",
    "search.constraints": "bounds an acceptable portfolio must meet (see Constraints)",
    "search.uncertainties": "the futures the portfolios are tested over, as in an experiment",
    "search.futures": "number of futures every portfolio is evaluated in (the same futures for all)",
    "search.replications": "runs per future",
    "search.evaluations": "number of portfolio evaluations the search may spend",
    "search.seed": "seed of the search, the futures and the runs",
    "search.steps": "horizon of every run (default: the scenario's)",
    "search.population": "population size of the evolutionary algorithm (default: chosen from the objectives)",
    "search.algorithm": "NSGA-II, NSGA-III, or chosen by the number of objectives",
    "search.out_of_sample": "re-evaluate the final portfolios on new futures (a mapping of futures and seed)",
    "objectives.outcome": "the outcome judged",
    "objectives.direction": "min or max (default: the outcome's own better direction)",
    "objectives.robustness": "how an outcome over the futures is reduced to one number (e.g. mean, a "
                             "percentile, regret or the share of futures meeting a threshold)",
    "objectives.name": "label of the objective in outputs",
    "constraints.outcome": "the outcome bounded",
    "constraints.max": "highest acceptable value",
    "constraints.min": "lowest acceptable value",
    "constraints.robustness": "how the outcome over the futures is reduced before the bound is applied",
    "constraints.threshold": "the value a future must meet when the robustness is a satisficing share",
    "oos.futures": "number of new futures",
    "oos.replications": "runs per new future",
}

_TYPES = {"str": "text", "float": "number", "int": "whole number", "bool": "true/false", "list": "list",
          "dict": "mapping", "any": "value"}


@dataclass
class Section:
    """A group of keys in one place of a file."""

    key: str            # e.g. "nodes" (the MEANINGS prefix)
    title: str
    where: str          # where the keys go, in words
    fields: Sequence[Field]
    intro: str = ""


def _lever_sections() -> list[Section]:
    from .levers import LEVERS

    out = []
    for name, cls in LEVERS.items():
        fields = list(cls.params)
        if cls.targets_key:
            fields.insert(0, Field(cls.targets_key, "any", required=cls.targets_required,
                                   doc=cls.targets_help or "what the lever acts on (see Targets)"))
        doc = " ".join((cls.doc or (cls.__doc__ or "").strip().split("\n\n")[0]).split())
        out.append(Section(f"lever:{name}", f"Lever `{name}`", f"a lever with `type: {name}`", fields, doc))
    return out


def sections(kind: str) -> list[Section]:
    """The sections of one file kind, each with its declared fields."""
    if kind == "scenario":
        from .params import PARAMETER_FIELDS
        from .scenario import (
            EDGE_FIELDS,
            JURISDICTION_FIELDS,
            MARKET_FIELDS,
            NODE_FIELDS,
            ORGANISATION_FIELDS,
            PRODUCTION_FIELD,
            SCENARIO_FIELDS,
        )

        return [
            Section("scenario", "Top level", "the top level of a scenario file", SCENARIO_FIELDS),
            Section("jurisdictions", "Jurisdictions", "each item of `jurisdictions:`", JURISDICTION_FIELDS),
            Section("nodes", "Nodes", "each item of `nodes:` (or each row of the nodes table)", NODE_FIELDS),
            Section("edges", "Edges", "each item of `edges:` (or each row of the edges table)", EDGE_FIELDS),
            Section("organisations", "Organisations", "each item of `organisations:`",
                    (*ORGANISATION_FIELDS, PRODUCTION_FIELD)),
            Section("markets", "Markets", "each item of `markets:`", MARKET_FIELDS),
            Section("parameters", "Parameters", "the `parameters:` mapping (every key optional)",
                    PARAMETER_FIELDS),
        ]
    if kind == "strategy":
        from .strategy import LEVER_FIELDS as common
        from .strategy import SCHEDULE_FIELDS, STRATEGY_FIELDS, TARGET_FIELDS

        return [
            Section("strategy", "Strategy", "the top level of a strategy file, or each entry of a scenario's "
                    "`strategies:` mapping", STRATEGY_FIELDS),
            Section("lever", "Every lever", "each item of `levers:`", common),
            Section("schedule", "Schedule", "the `schedule:` mapping of a lever", SCHEDULE_FIELDS),
            Section("targets", "Targets", "the targets field of a lever, as a mapping (a name or a list of "
                    "names is a shorthand for the usual kind of target)", TARGET_FIELDS),
            *_lever_sections(),
        ]
    if kind == "experiment":
        from .experiments.spec import EXPERIMENT_FIELDS, UNCERTAINTY_FIELDS

        return [
            Section("experiment", "Top level", "the top level of an experiment file", EXPERIMENT_FIELDS),
            Section("uncertainties", "Uncertainties", "each item of `uncertainties:`", UNCERTAINTY_FIELDS),
        ]
    if kind == "search":
        try:
            from .search.spec import CONSTRAINT_FIELDS, OBJECTIVE_FIELDS, OOS_FIELDS, SEARCH_FIELDS
        except ImportError:  # pragma: no cover - the search module is optional in older trees
            return []
        return [
            Section("search", "Top level", "the top level of a search file", SEARCH_FIELDS),
            Section("objectives", "Objectives", "each item of `objectives:`", OBJECTIVE_FIELDS),
            Section("constraints", "Constraints", "each item of `constraints:`", CONSTRAINT_FIELDS),
            Section("oos", "Out-of-sample check", "the `out_of_sample:` mapping", OOS_FIELDS),
        ]
    raise ValueError(f"unknown kind '{kind}'; expected one of: {', '.join(KINDS)}")


def _meaning(section: Section, f: Field) -> str:
    if f.doc:
        return f.doc
    return MEANINGS.get(f"{section.key}.{f.name}", "")


def missing_meanings() -> list[str]:
    """Declared fields with neither a ``doc`` nor an entry in :data:`MEANINGS`."""
    return [f"{s.key}.{f.name}" for kind in KINDS for s in sections(kind) for f in s.fields
            if not _meaning(s, f)]


def unused_meanings() -> list[str]:
    """Entries of :data:`MEANINGS` that no field reads (the field carries its own ``doc``, or is gone)."""
    used = {f"{s.key}.{f.name}" for kind in KINDS for s in sections(kind) for f in s.fields if not f.doc}
    used |= set(_READ_DIRECTLY)
    return [k for k in MEANINGS if k not in used]


#: MEANINGS entries read by name rather than through a field
_READ_DIRECTLY = ("lever.type", "strategy.levers")


def _num(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "unlimited"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:g}"


def _type(f: Field) -> str:
    if f.choices:
        return " \\| ".join(f"`{c}`" for c in f.choices)
    return _TYPES.get(f.kind, f.kind)


def _range(f: Field) -> str:
    if f.kind not in ("float", "int"):
        return ""
    if f.lo is None and f.hi is None:
        return f"finite, |x| <= {NUMBER_LIMIT:g}"
    return f.describe_range()


def _default(f: Field) -> str:
    if f.required:
        return "**required**"
    d = f.default
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "`true`" if d else "`false`"
    if isinstance(d, float | int):
        return _num(float(d)) if isinstance(d, float) else str(d)
    if d == [] or d == ():
        return "empty"
    if d == "":
        return '""'
    return f"`{d}`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(section: Section) -> list[str]:
    rows = ["| key | type | unit | range | default | meaning |", "|---|---|---|---|---|---|"]
    for f in section.fields:
        rows.append(f"| `{f.name}` | {_type(f)} | {_cell(f.unit) or ''} | {_cell(_range(f))} | {_default(f)} | "
                    f"{_cell(_meaning(section, f))} |")
    return rows


_INTROS = {
    "scenario": (
        "A scenario is one YAML file: the network (jurisdictions, nodes, edges), the organisations that "
        "traffic over it, the markets, optional model parameters and the strategies it carries. "
        "`counterflow validate FILE` checks it; `counterflow schema scenario` prints its JSON Schema. "
        "Large networks may keep their nodes and edges in Parquet tables named by the YAML file "
        "(`nodes: big.nodes.parquet`): one column per field below, an empty cell for the default."
    ),
    "strategy": (
        "A strategy is a list of scheduled levers. It lives in a scenario's `strategies:` mapping or in "
        "its own file (one strategy, or several written as `NAME: {levers: [...]}`), and is chosen with "
        "`-s NAME|FILE`. `counterflow schema strategy` prints its JSON Schema."
    ),
    "experiment": (
        "An experiment file describes a sweep: the scenario and strategies, the uncertain parameters with "
        "their ranges, the design and the outcomes stored. `counterflow sweep FILE --store DIR` runs it "
        "(resumable); `counterflow schema experiment` prints its JSON Schema."
    ),
    "search": (
        "A search file describes a many-objective robust search over lever portfolios: the levers and "
        "their ranges, the objectives and constraints, the futures. `counterflow search FILE --store DIR` "
        "runs it (needs the `search` extra); `counterflow schema search` prints its JSON Schema."
    ),
}

_TITLES = {"scenario": "Scenario files", "strategy": "Strategy files", "experiment": "Experiment files",
           "search": "Search files"}


def formats_markdown() -> str:
    """The formats reference page (Markdown)."""
    lines = [
        "# File formats",
        "",
        "<!-- Generated by `python -m counterflow.docgen docs/formats.md` from the declarations the "
        "validator uses; do not edit by hand (a test checks that this page is current). -->",
        "",
        "Every key of every file Counterflow reads, with its type, unit, accepted range, default and "
        "meaning. The same declarations check the files when they are loaded: a value outside its range, "
        "an unknown key or a missing required key stops the command with one message naming the file, "
        "the key and the line (exit status 2).",
        "",
        "Numbers are always finite. *unlimited* means: leave the key out. Ranges are written "
        "`[lo, hi]` (both included) or `(lo, hi]` (lo excluded).",
        "",
    ]
    for kind in KINDS:
        secs = sections(kind)
        if not secs:
            continue
        lines += [f"## {_TITLES[kind]}", "", _INTROS[kind], ""]
        for s in secs:
            lines += [f"### {s.title}", "", f"Where: {s.where}.", ""]
            if s.intro:
                lines += [s.intro, ""]
            lines += _table(s) + [""]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- JSON Schema

def _field_schema(f: Field) -> dict:
    s: dict[str, Any] = {}
    if f.choices:
        s["enum"] = list(f.choices)
    elif f.kind in ("float", "int"):
        s["type"] = "number" if f.kind == "float" else "integer"
        if f.lo_open:
            s["exclusiveMinimum"] = f.low
        else:
            s["minimum"] = f.low
        s["maximum"] = f.high
    elif f.kind == "str":
        s["type"] = "string"
    elif f.kind == "bool":
        s["type"] = "boolean"
    elif f.kind == "list":
        s["type"] = "array"
    elif f.kind == "dict":
        s["type"] = "object"
    if f.default is not None and not (isinstance(f.default, float) and math.isinf(f.default)) and not f.required:
        s["default"] = list(f.default) if isinstance(f.default, tuple) else f.default
    return s


def _object(section: Section, closed: bool = True, skip: Sequence[str] = ()) -> dict:
    props = {}
    for f in section.fields:
        if f.name in skip or "." in f.name:
            continue
        p = _field_schema(f)
        meaning = _meaning(section, f)
        if meaning or f.unit:
            p["description"] = meaning + (f" ({f.unit})" if f.unit else "")
        props[f.name] = p
    out: dict[str, Any] = {"type": "object", "properties": props}
    req = [f.name for f in section.fields if f.required and f.name not in skip]
    if req:
        out["required"] = req
    if closed:
        out["additionalProperties"] = False
    return out


def _strategy_defs() -> dict:
    secs = {s.key: s for s in sections("strategy")}
    schedule = _object(secs["schedule"])
    schedule["properties"]["at"] = {"anyOf": [{"type": "integer", "minimum": 0},
                                              {"type": "array", "items": {"type": "integer", "minimum": 0}}]}
    targets = _object(secs["targets"])
    targets["properties"]["edges"] = {"type": "array", "items": {"type": "array", "items": {"type": "string"},
                                                                 "minItems": 2, "maxItems": 2}}
    for k in ("nodes", "jurisdictions", "organisations"):
        targets["properties"][k] = {"type": "array", "items": {"type": "string"}}
    target_ref = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                            {"$ref": "#/$defs/targets"}]}
    lever = _object(secs["lever"], closed=False)
    lever["properties"]["schedule"] = {"anyOf": [{"type": "integer", "minimum": 0},
                                                 {"type": "array", "items": {"type": "integer", "minimum": 0}},
                                                 {"$ref": "#/$defs/schedule"}]}
    names = [s.key.split(":", 1)[1] for s in secs.values() if s.key.startswith("lever:")]
    lever["properties"]["type"] = {"enum": names, "description": MEANINGS["lever.type"]}
    branches = []
    for s in secs.values():
        if not s.key.startswith("lever:"):
            continue
        name = s.key.split(":", 1)[1]
        body = _object(s, closed=False)
        for f in s.fields:
            if f.kind == "any":
                body["properties"][f.name] = {**target_ref, "description": _meaning(s, f)}
        props = {**lever["properties"], **body["properties"]}
        then: dict[str, Any] = {"properties": props, "additionalProperties": False}
        if body.get("required"):
            then["required"] = body["required"]
        branches.append({"if": {"properties": {"type": {"const": name}}, "required": ["type"]}, "then": then})
    lever["allOf"] = branches
    strategy = _object(secs["strategy"])
    strategy["properties"]["levers"] = {"type": "array", "items": {"$ref": "#/$defs/lever"},
                                        "description": MEANINGS["strategy.levers"]}
    return {"strategy": strategy, "lever": lever, "schedule": schedule, "targets": targets}


def json_schema(kind: str) -> dict:
    """The JSON Schema (draft 2020-12) of a file kind, for editors that complete and check YAML."""
    base = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"Counterflow {kind} file", "description": _INTROS.get(kind, "")}
    secs = {s.key: s for s in sections(kind)}
    if kind == "scenario":
        top = _object(secs["scenario"])
        for key in ("jurisdictions", "nodes", "edges", "markets"):
            top["properties"][key] = {"anyOf": [{"type": "array", "items": {"$ref": f"#/$defs/{key}"}}]
                                      + ([{"type": "string", "description": "path of a Parquet table"}]
                                         if key in ("nodes", "edges") else []),
                                      "description": _meaning(secs["scenario"], next(
                                          f for f in secs["scenario"].fields if f.name == key))}
        top["properties"]["organisations"] = {"type": "array", "items": {"$ref": "#/$defs/organisations"}}
        top["properties"]["parameters"] = {"$ref": "#/$defs/parameters"}
        top["properties"]["strategies"] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/strategy"}}
        orgs = _object(secs["organisations"])
        prod = next(f for f in secs["organisations"].fields if f.name == "production.<source>")
        orgs["properties"]["production"] = {"type": "object", "additionalProperties": _field_schema(prod),
                                            "description": _meaning(secs["organisations"], next(
                                                f for f in secs["organisations"].fields if f.name == "production"))}
        orgs["properties"]["nodes"] = {"type": "array", "items": {"type": "string"}}
        defs = {k: _object(secs[k]) for k in ("jurisdictions", "nodes", "edges", "markets", "parameters")}
        defs["organisations"] = orgs
        defs.update(_strategy_defs())
        return {**base, **top, "$defs": defs}
    if kind == "strategy":
        defs = _strategy_defs()
        one = {"$ref": "#/$defs/strategy"}
        many = {"type": "object", "additionalProperties": {"$ref": "#/$defs/strategy"},
                "description": "several strategies, NAME: {levers: [...]}"}
        return {**base, "anyOf": [one, many], "$defs": defs}
    if kind == "experiment":
        top = _object(secs["experiment"])
        top["properties"]["uncertainties"] = {"type": "array", "items": {"$ref": "#/$defs/uncertainty"}}
        top["properties"]["strategies"] = {"type": "array", "items": {"type": "string"}}
        top["properties"]["outcomes"] = {"type": "array", "items": {"type": "string"}}
        return {**base, **top, "$defs": {"uncertainty": _object(secs["uncertainties"])}}
    if kind == "search" and secs:
        top = _object(secs["search"], closed=False)
        top["properties"]["objectives"] = {"type": "array", "items": {"$ref": "#/$defs/objective"}}
        top["properties"]["constraints"] = {"type": "array", "items": {"$ref": "#/$defs/constraint"}}
        top["properties"]["out_of_sample"] = {"$ref": "#/$defs/out_of_sample"}
        return {**base, **top, "$defs": {"objective": _object(secs["objectives"]),
                                         "constraint": _object(secs["constraints"]),
                                         "out_of_sample": _object(secs["oos"])}}
    raise ValueError(f"unknown kind '{kind}'; expected one of: {', '.join(KINDS)}")


def dumps_schema(kind: str) -> str:
    """The JSON Schema of ``kind`` as indented JSON text."""
    return json.dumps(json_schema(kind), indent=2)


def main(argv: list[str] | None = None) -> int:
    """``python -m counterflow.docgen [PATH]``: write the formats page (default: print it)."""
    argv = sys.argv[1:] if argv is None else argv
    text = formats_markdown()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
