"""``Parameters`` is a declared dataclass that stays in step with ``PARAMETER_FIELDS``."""

from __future__ import annotations

import dataclasses

import pytest

from counterflow import params
from counterflow.params import PARAMETER_FIELDS, Parameters
from counterflow.schema import Field


def test_one_attribute_per_declaration_with_its_default_and_type():
    attrs = dataclasses.fields(Parameters)
    assert [a.name for a in attrs] == [f.name for f in PARAMETER_FIELDS]
    defaults = Parameters()
    for f in PARAMETER_FIELDS:
        value = getattr(defaults, f.name)
        assert value == f.default and isinstance(value, int if f.kind == "int" else float | int), f.name


@pytest.mark.parametrize("change", ["extra field", "int as float"])
def test_a_declaration_without_its_attribute_stops_the_import(monkeypatch, change):
    if change == "extra field":
        fields = (*PARAMETER_FIELDS, Field("new_constant", lo=0.0, hi=1.0, default=0.5, doc="x"))
    else:
        i = next(i for i, f in enumerate(PARAMETER_FIELDS) if f.kind == "int")
        fields = tuple(dataclasses.replace(f, kind="float") if j == i else f for j, f in enumerate(PARAMETER_FIELDS))
    monkeypatch.setattr(params, "PARAMETER_FIELDS", fields)
    with pytest.raises(RuntimeError, match="class Parameters must declare"):
        params._check_declarations()
