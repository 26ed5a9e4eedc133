"""Paths into a scenario's file form: ``organisations.org_a.risk_aversion``, ``strategies.s.levers[0].x``.

List entries are picked by id (``organisations.org_a``, ``nodes.port_main``,
``jurisdictions.VE``, ``markets.us_east``, ``edges.port_main->isl_east``) or by
index (``edges[3]``); strategies by name; model constants under ``parameters``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..params import PARAMETER_FIELDS
from ..scenario import (
    EDGE_FIELDS,
    JURISDICTION_FIELDS,
    MARKET_FIELDS,
    NODE_FIELDS,
    ORGANISATION_FIELDS,
    PRODUCTION_FIELD,
    SCENARIO_FIELDS,
)
from ..schema import Field
from ..strategy import SCHEDULE_FIELDS

__all__ = ["Uncertainty", "split_path", "resolve", "apply_values", "quote_paths"]

_RECORD_FIELDS = {
    "jurisdictions": JURISDICTION_FIELDS, "nodes": NODE_FIELDS, "edges": EDGE_FIELDS,
    "organisations": ORGANISATION_FIELDS, "markets": MARKET_FIELDS,
}
_ID_KEY = {"jurisdictions": "id", "nodes": "id", "organisations": "id", "markets": "node"}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_UNQUOTED_PATH = re.compile(r"(\bpath:[ \t]*)([^\s'\"{}\[\],#][^\s,{}#]*\[[^\s,{}#]*)")


def quote_paths(text: str) -> str:
    """Quote ``path:`` values holding ``[i]`` so that they parse inside YAML flow mappings.

    ``{path: a.levers[0].x, low: 0, high: 1}`` is not valid YAML as written
    (brackets end a plain scalar in a flow mapping); this keeps such lines working.

    >>> quote_paths("- {path: s.levers[0].x, low: 0}")
    "- {path: 's.levers[0].x', low: 0}"
    """
    return _UNQUOTED_PATH.sub(lambda m: f"{m.group(1)}'{m.group(2)}'", text)


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain number: where it lives in the scenario and its range."""

    path: str
    low: float
    high: float
    integer: bool = False

    def scale(self, unit: np.ndarray) -> np.ndarray:
        """Map points of [0, 1] onto [low, high] (rounded for whole-number fields)."""
        x = self.low + np.asarray(unit, dtype=float) * (self.high - self.low)
        return np.round(x) if self.integer else x


def split_path(path: str) -> list[str | int]:
    """Segments of a dotted path: ``a.b[2].c`` -> ``['a', 'b', 2, 'c']``."""
    out: list[str | int] = []
    pos = 0
    for m in _SEGMENT.finditer(path):
        gap = path[pos:m.start()]
        if gap not in ("", "."):
            raise ValueError(f"cannot read '{gap}'")
        out.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if pos != len(path) or not out or path.endswith("."):
        raise ValueError("expected dot-separated names with optional [index]")
    return out


def _pick(seq: list, seg: str | int, collection: str, where: str) -> Any:
    if isinstance(seg, int):
        if seg >= len(seq):
            raise ValueError(f"{where} has {len(seq)} entries; index {seg} is out of range")
        return seq[seg]
    if collection == "edges":
        ends = seg.split("->")
        hits = [e for e in seq if len(ends) == 2 and e.get("from") == ends[0] and e.get("to") == ends[1]]
        if len(hits) != 1:
            what = "no edge" if not hits else f"{len(hits)} edges (use edges[INDEX])"
            raise ValueError(f"{what} '{seg}' in {where} (write edges as FROM->TO)")
        return hits[0]
    key = _ID_KEY.get(collection, "id")
    for item in seq:
        if isinstance(item, dict) and item.get(key) == seg:
            return item
    names = ", ".join(str(i.get(key)) for i in seq if isinstance(i, dict))
    raise ValueError(f"no entry '{seg}' in {where} (known: {names})")


def _leaf_field(segs: list, parent_chain: list) -> Field | None:
    """The declared field of a leaf, when the format declares one."""
    from ..levers import LEVERS

    leaf = segs[-1]
    top = segs[0]
    if top == "parameters" and len(segs) == 2:
        return next((f for f in PARAMETER_FIELDS if f.name == leaf), None)
    if top in _RECORD_FIELDS and len(segs) == 3:
        return next((f for f in _RECORD_FIELDS[top] if f.name == leaf), None)
    if top == "organisations" and len(segs) == 4 and segs[2] == "production":
        return PRODUCTION_FIELD
    if top == "strategies" and len(segs) >= 5 and segs[2] == "levers":
        lever = parent_chain[4] if len(parent_chain) > 4 else {}
        if len(segs) == 5:
            cls = LEVERS.get(lever.get("type", "")) if isinstance(lever, dict) else None
            fields = (Field("unit_cost", lo=0.0),) + (tuple(cls.params) if cls else ())
            return next((f for f in fields if f.name == leaf), None)
        if len(segs) == 6 and segs[4] == "schedule":
            return next((f for f in SCHEDULE_FIELDS if f.name == leaf), None)
    if segs == ["steps"]:
        return next(f for f in SCENARIO_FIELDS if f.name == "steps")
    return None


def resolve(doc: dict, path: str) -> tuple[Any, str | int, Field | None]:
    """The container and key of ``path`` in a scenario document, and the leaf's declared field.

    Raises ``ValueError`` with a plain explanation when the path does not lead to a number.
    """
    segs = split_path(path)
    node: Any = doc
    chain: list = [doc]
    for depth, seg in enumerate(segs[:-1]):
        where = ".".join(str(s) for s in segs[:depth]) or "the scenario"
        if isinstance(node, list):
            node = _pick(node, seg, str(segs[depth - 1]) if depth else "", where)
        elif isinstance(node, dict):
            if seg not in node:
                known = ", ".join(map(str, node)) or "nothing"
                raise ValueError(f"no '{seg}' under {where} (known: {known})")
            node = node[seg]
        else:
            raise ValueError(f"{where} is a single value, not a mapping or list")
        chain.append(node)
    leaf = segs[-1]
    fld = _leaf_field(segs, chain)
    if isinstance(node, list):
        picked = _pick(node, leaf, str(segs[-2]) if len(segs) > 1 else "", ".".join(map(str, segs[:-1])))
        del picked
        raise ValueError("addresses a whole record, not a number; add the field name")
    if not isinstance(node, dict):
        raise ValueError(f"{'.'.join(map(str, segs[:-1]))} is a single value, not a mapping")
    if leaf not in node and fld is None:
        known = ", ".join(k for k, v in node.items() if isinstance(v, int | float) and not isinstance(v, bool))
        raise ValueError(f"no number '{leaf}' there (numbers there: {known or 'none'})")
    cur = node.get(leaf)
    if isinstance(cur, str) and fld is not None and fld.kind in ("float", "int"):
        try:  # YAML 1.1 reads 2.0e6 as text; the scenario's checker accepts it as a number
            cur = float(cur)
        except ValueError:
            pass
    if cur is not None and (isinstance(cur, bool) or not isinstance(cur, int | float)):
        raise ValueError(f"'{leaf}' holds {type(cur).__name__}, not a number")
    if fld is not None and fld.kind not in ("float", "int"):
        raise ValueError(f"'{leaf}' is not a number field")
    return node, leaf, fld


def apply_values(doc: dict, uncertainties: tuple[Uncertainty, ...], values: np.ndarray) -> dict:
    """A deep copy of ``doc`` with each uncertainty's number set to its value."""
    out = copy.deepcopy(doc)
    for u, v in zip(uncertainties, values, strict=True):
        node, leaf, _ = resolve(out, u.path)
        node[leaf] = int(round(float(v))) if u.integer else float(v)
    return out
