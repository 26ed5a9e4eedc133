"""`validate` ok => `run` works, at the edges of every declared range.

Every numeric field the scenario format declares (scenario sections, ``parameters``, each lever's
parameters, ``unit_cost``, the schedule and the targets' ``k`` and ``budget``) is tried at its low bound and its high bound, where a
short run must complete with finite outcomes (each run in a child process killed after a time
bound), and at ten times its high bound, which validation must refuse with one message.
The base is the shipped ``caribbean`` scenario carrying one example of every lever, with a short
warm-up to keep the test lean (``warmup`` and ``burn_in`` themselves are tried at their bounds).
"""

from __future__ import annotations

import copy
import functools
import math
from importlib import resources

import pytest

from counterflow import InputError
from counterflow.levers import LEVERS
from counterflow.scenario import DECLARATIONS, Scenario
from counterflow.schema import NUMBER_LIMIT, Field
from counterflow.strategy import LEVER_FIELDS, SCHEDULE_FIELDS, TARGET_FIELDS
from counterflow.yamlio import load_yaml_text
from tests.levers.examples import EXAMPLES
from tests.robustness.harness import scenario_case, warm

SECTIONS = {"jurisdictions[]": "jurisdictions", "nodes[]": "nodes", "edges[]": "edges",
            "organisations[]": "organisations", "markets[]": "markets"}
UNIT_COST = next(f for f in LEVER_FIELDS if f.name == "unit_cost")


@functools.cache
def _base() -> dict:
    data, _ = load_yaml_text(resources.files("counterflow.data").joinpath("caribbean.yaml").read_text())
    levers = []
    for lever, companions in EXAMPLES.values():
        levers += [copy.deepcopy(x) for x in companions + [lever]]
    data["strategies"] = {"probe": {"levers": levers}}
    data["parameters"] = {**(data.get("parameters") or {}), "warmup": 6, "burn_in": 2}
    return data


def base() -> dict:
    return copy.deepcopy(_base())


def numeric(f: Field) -> bool:
    return f.kind in ("float", "int")


def cases() -> list[tuple[str, Field, object]]:
    """(label, field, setter) for every declared numeric field; setter(data, value) edits one value."""
    out = []
    for section, fields in DECLARATIONS.items():
        for f in filter(numeric, fields):
            if section == "scenario":
                out.append((f"scenario.{f.name}", f, lambda d, v, n=f.name: d.__setitem__(n, v)))
            elif section == "parameters":
                out.append((f"parameters.{f.name}", f,
                            lambda d, v, n=f.name: d["parameters"].__setitem__(n, v)))
            elif section == "organisations[].production":
                out.append(("production", f, lambda d, v: d["organisations"][0]["production"].__setitem__(
                    next(iter(d["organisations"][0]["production"])), v)))
            else:
                key = SECTIONS[section]
                out.append((f"{key}[0].{f.name}", f, lambda d, v, k=key, n=f.name: d[k][0].__setitem__(n, v)))
    data = base()
    seen = set()
    for i, lever in enumerate(data["strategies"]["probe"]["levers"]):
        if lever["type"] in seen:   # companions repeat some lever types
            continue
        seen.add(lever["type"])
        cls = LEVERS[lever["type"]]
        for f in filter(numeric, (UNIT_COST, *cls.params)):
            out.append((f"{lever['type']}.{f.name}", f,
                        lambda d, v, i=i, n=f.name: d["strategies"]["probe"]["levers"][i].__setitem__(n, v)))
        for f in filter(numeric, SCHEDULE_FIELDS):
            def setter(d, v, i=i, n=f.name):
                sched = d["strategies"]["probe"]["levers"][i]["schedule"]
                sched.pop("at", None)
                sched["start"] = 0
                sched[n] = v
            out.append((f"{lever['type']}.schedule.{f.name}", f, setter))
        if lever["type"] == "strike":  # a rule-chosen target: k and the optimized rule's budget
            for f in filter(numeric, TARGET_FIELDS):
                def set_target(d, v, i=i, n=f.name):
                    d["strategies"]["probe"]["levers"][i]["targets"] = {
                        "rule": "optimized" if n == "budget" else "top_throughput", "k": 1, "kind": "hub", n: v}
                out.append((f"{lever['type']}.targets.{f.name}", f, set_target))
    return out


CASES = cases()


def value(f: Field, which: str) -> float:
    lo = f.low if not f.lo_open else (f.low + 1e-6 if f.kind == "float" else f.low + 1)
    v = {"low": lo, "high": f.high, "10x high": 10 * f.high if f.high > 0 else f.high + 1}[which]
    return int(v) if f.kind == "int" and math.isfinite(v) else v


def test_every_numeric_declaration_is_finite_and_documented():
    """Every declared number has a finite range and a meaning (the format reference is made from these)."""
    for label, f, _ in CASES:
        assert math.isfinite(f.low) and math.isfinite(f.high) and f.high <= NUMBER_LIMIT, label
    for section, fields in DECLARATIONS.items():
        for f in filter(numeric, fields):
            assert f.lo is not None and f.hi is not None, f"{section}.{f.name} lacks a declared range"
            if section != "scenario" and f.name not in ("lat", "lon", "cash"):
                assert f.doc, f"{section}.{f.name} lacks a meaning (doc)"


def strategy_fields() -> list[tuple[str, Field]]:
    """Every numeric field a strategy file declares: the lever's common keys, the schedule, the targets and
    each lever's own parameters."""
    out = [(f"{where}.{f.name}", f) for where, fields in (("lever", LEVER_FIELDS), ("schedule", SCHEDULE_FIELDS),
                                                           ("targets", TARGET_FIELDS)) for f in fields]
    out += [(f"{name}.{f.name}", f) for name, cls in LEVERS.items() for f in cls.params]
    return [(label, f) for label, f in out if numeric(f)]


def test_every_strategy_number_declares_its_own_range_unit_and_meaning():
    """Lever and schedule numbers do not lean on the generic size cap: each has a declared finite range, a
    unit and a meaning."""
    fields = strategy_fields()
    assert {"lever.unit_cost", "schedule.start", "schedule.every", "schedule.until", "targets.k",
            "targets.budget", "police_support.ramp_steps"} <= {label for label, _ in fields}
    for label, f in fields:
        assert f.lo is not None and f.hi is not None, f"{label} lacks a declared range"
        assert f.hi < NUMBER_LIMIT, f"{label}: its bound is the generic cap, not its own"
        assert f.unit and f.doc, f"{label} lacks a unit or a meaning"


@pytest.mark.parametrize("label", [c[0] for c in CASES])
def test_ten_times_the_high_bound_is_refused(label):
    _, f, setter = next(c for c in CASES if c[0] == label)
    data = base()
    setter(data, value(f, "10x high"))
    with pytest.raises(InputError) as exc:
        Scenario.from_dict(data, file="s.yaml")
    assert "\n" not in str(exc.value)
    if "." in label and label.split(".")[0] in LEVERS:  # names the file, the strategy and the field
        msg = str(exc.value)
        assert "s.yaml" in msg and "strategies.probe.levers[" in msg and f.name in msg, msg


@pytest.mark.parametrize("label", [c[0] for c in CASES if c[0].split(".")[0] in LEVERS])
def test_a_lever_number_at_its_bounds_validates(label):
    """The declared bounds themselves are accepted (the slow test below runs them)."""
    _, f, setter = next(c for c in CASES if c[0] == label)
    for which in ("low", "high"):
        data = base()
        setter(data, value(f, which))
        Scenario.from_dict(data, file="s.yaml")


@pytest.fixture(scope="module")
def warmed():
    warm()


@pytest.mark.slow
@pytest.mark.parametrize("which", ["low", "high"])
def test_bounds_validate_and_run(warmed, which):
    """At its low and at its high bound each field validates and a short run completes with finite outcomes."""
    bad = []
    for label, f, setter in CASES:
        data = base()
        setter(data, value(f, which))
        out = scenario_case(data, timeout=120, run_steps=2)
        # an in-range value may only be refused by a rule across fields (e.g. no production at all), cleanly
        cross_field = out.status == "refused" and " must be " not in out.detail
        if out.status != "completed" and not cross_field:
            bad.append(f"{label} = {value(f, which)}: {out.status}: {out.detail[-600:]}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("at", "ok"), [(0, True), ([1, 2000], True), (2001, False), ([3, 20000], False), (-1, False)])
def test_a_scheduled_step_lies_in_the_longest_horizon(at, ok):
    data = base()
    data["strategies"]["probe"]["levers"][0]["schedule"] = {"at": at}
    if ok:
        Scenario.from_dict(data, file="s.yaml")
        return
    with pytest.raises(InputError) as exc:
        Scenario.from_dict(data, file="s.yaml")
    assert "schedule.at" in str(exc.value) and "2000" in str(exc.value) and "\n" not in str(exc.value)
