"""Declarative field checks shared by every file format.

A format declares its fields once as :class:`Field` records;
:class:`Checker` validates a parsed mapping against them and raises one
:class:`~counterflow.errors.InputError` naming file, field path and line.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .yamlio import LineMap, join_path

__all__ = ["Field", "Checker", "NUMBER_LIMIT"]

#: Upper bound of a number whose declaration gives no ``hi`` (and lower bound, negated, without ``lo``):
#: every number a file holds is finite and bounded, so arithmetic in the engine stays finite.
NUMBER_LIMIT = 1e15

_TYPE_NAMES = {
    "str": "a string",
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
    "any": "a value",
}


@dataclass(frozen=True)
class Field:
    """One declared field: its type, whether it is required, default and range.

    Numbers (``kind`` ``float`` or ``int``) are always finite and lie in
    ``[lo, hi]`` (``(lo, hi]`` when ``lo_open``: zero refused where the engine
    divides by the value); a missing ``lo``/``hi`` means ``-/+`` :data:`NUMBER_LIMIT`.
    A default of ``inf`` means "unlimited" and is given by leaving the field out.
    """

    name: str
    kind: str = "float"
    required: bool = False
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    doc: str = ""
    lo_open: bool = False
    unit: str = ""

    @property
    def low(self) -> float:
        """The lowest accepted value (exclusive when ``lo_open``)."""
        return -NUMBER_LIMIT if self.lo is None else self.lo

    @property
    def high(self) -> float:
        """The highest accepted value."""
        return NUMBER_LIMIT if self.hi is None else self.hi

    def describe_range(self) -> str:
        """The declared range, e.g. ``in [0, 1]``, ``in (0, 1e+07]`` or ``>= 1`` (then capped at NUMBER_LIMIT)."""
        if self.lo is not None and self.hi is not None:
            return f"in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}]"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        if self.hi is not None:
            return f"<= {self.hi:g}"
        return ""


def _number(value: float) -> str:
    """A value as a message quotes it: whole numbers in full (``5000000``, not ``5e+06``)."""
    if isinstance(value, int) and abs(value) < 10**16:
        return str(value)
    return f"{value:g}"


class Checker:
    """Validates parsed YAML/JSON data and reports the first problem precisely."""

    def __init__(self, file: str | None = None, lines: LineMap | None = None) -> None:
        self.file = file
        self.lines = lines if lines is not None else LineMap()

    def error(self, message: str, path: str | None) -> InputError:
        return InputError(message, file=self.file, path=path or None, line=self.lines.line(path))

    def mapping(self, data: Any, path: str, what: str = "a mapping") -> dict:
        if not isinstance(data, dict):
            kind = type(data).__name__ if data is not None else "nothing"
            raise self.error(f"expected {what}, got {kind}", path)
        return data

    def sequence(self, data: Any, path: str) -> list:
        if not isinstance(data, list):
            kind = type(data).__name__ if data is not None else "nothing"
            raise self.error(f"expected a list, got {kind}", path)
        return data

    def value(self, value: Any, field: Field, path: str) -> Any:
        """Check one value against a field declaration and return it normalised."""
        kind = field.kind
        if kind in ("float", "int"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                if isinstance(value, str):
                    try:
                        value = float(value)
                    except ValueError:
                        raise self.error(
                            f"expected {_TYPE_NAMES[kind]}, got the text '{value}'", path
                        ) from None
                else:
                    raise self.error(f"expected {_TYPE_NAMES[kind]}, got {_kind(value)}", path)
            if isinstance(value, float) and math.isnan(value):
                raise self.error("is NaN; a finite number is required", path)
            if isinstance(value, float) and math.isinf(value):
                unlimited = isinstance(field.default, float) and math.isinf(field.default)
                if unlimited:  # leaving this field out is what 'unlimited' means
                    hint = "leave the field out for 'unlimited'"
                elif field.required:
                    hint = "this field has no unlimited value"
                else:
                    shown = f" ({_number(field.default)})" if isinstance(field.default, int | float) else ""
                    hint = f"leaving the field out gives its default{shown}, not unlimited"
                raise self.error(f"is infinite; give a finite number ({hint})", path)
            if kind == "int":
                if float(value) != int(value):
                    raise self.error(f"expected a whole number, got {value}", path)
                value = int(value)
            else:
                value = float(value)
            low, high = field.low, field.high
            unit = f" {field.unit}" if field.unit else ""
            if (field.hi is None and value > high) or (field.lo is None and value < low):
                rng = f"{field.describe_range()}{unit} and " if field.describe_range() else ""
                raise self.error(f"must be {rng}at most {NUMBER_LIMIT:g} in size, got {_number(value)}", path)
            if value < low or value > high or (field.lo_open and value == low):
                raise self.error(f"must be {field.describe_range()}{unit}, got {_number(value)}", path)
            return value
        if kind == "str":
            if isinstance(value, bool) or value is None or isinstance(value, list | dict):
                raise self.error(f"expected a string, got {_kind(value)}", path)
            value = str(value)
            if field.choices is not None and value not in field.choices:
                options = ", ".join(map(str, field.choices))
                raise self.error(f"unknown value '{value}'; expected one of: {options}", path)
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.error(f"expected true or false, got {_kind(value)}", path)
            return value
        if kind == "list":
            return self.sequence(value, path)
        if kind == "dict":
            return self.mapping(value, path)
        return value

    def record(
        self,
        data: Any,
        path: str,
        fields: Sequence[Field],
        *,
        what: str = "a mapping",
        extra: Iterable[str] = (),
    ) -> dict:
        """Validate a mapping against ``fields``; fill defaults; reject unknown keys."""
        data = self.mapping(data, path, what)
        known = {f.name for f in fields} | set(extra)
        for key in data:
            if key not in known:
                hint = difflib.get_close_matches(key, sorted(known), n=1)
                tip = f" (did you mean '{hint[0]}'?)" if hint else ""
                allowed = ", ".join(sorted(known))
                raise self.error(f"unknown field '{key}'{tip}; allowed: {allowed}", join_path(path, key))
        out: dict = {}
        for f in fields:
            p = join_path(path, f.name)
            if f.name not in data or data[f.name] is None:
                if f.required:
                    raise self.error(f"required field '{f.name}' is missing", p if f.name in data else path or None)
                out[f.name] = f.default
                continue
            out[f.name] = self.value(data[f.name], f, p)
        for key in extra:
            if key in data:
                out[key] = data[key]
        return out

    def unique_ids(self, items: list[dict], key: str, path: str) -> None:
        seen: dict = {}
        for i, item in enumerate(items):
            ident = item[key]
            if ident in seen:
                raise self.error(
                    f"duplicate id '{ident}' (first used at {path}[{seen[ident]}])",
                    join_path(join_path(path, i), key),
                )
            seen[ident] = i


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
