"""`validate` ok => `run` works, at the edges of every declared range.

Every numeric field the scenario format declares (scenario sections, ``parameters``, each lever's
parameters, ``unit_cost`` and the schedule) is tried at its low bound and its high bound, where a
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
from counterflow.strategy import SCHEDULE_FIELDS
from counterflow.yamlio import load_yaml_text
from tests.levers.examples import EXAMPLES
from tests.robustness.harness import scenario_case, warm

SECTIONS = {"jurisdictions[]": "jurisdictions", "nodes[]": "nodes", "edges[]": "edges",
            "organisations[]": "organisations", "markets[]": "markets"}
UNIT_COST = Field("unit_cost", lo=0.0)


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


@pytest.mark.parametrize("label", [c[0] for c in CASES])
def test_ten_times_the_high_bound_is_refused(label):
    _, f, setter = next(c for c in CASES if c[0] == label)
    data = base()
    setter(data, value(f, "10x high"))
    with pytest.raises(InputError) as exc:
        Scenario.from_dict(data, file="s.yaml")
    assert "\n" not in str(exc.value)


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
