"""Mutation operators over parsed scenarios and import files (shared by the property tests and the fuzz benchmark).

Each operator takes the parsed document, a leaf or node path and a choice index, and returns the
mutated document (a deep copy); text operators work on the YAML text. Choices are indices so that
both hypothesis (``st.integers``) and a seeded ``random.Random`` can drive them.
"""

from __future__ import annotations

import copy
import math
from importlib import resources
from typing import Any

import yaml

from counterflow.yamlio import load_yaml_text

SHIPPED = ("caribbean", "transatlantic", "corridor")

EXTREMES = (0, -1, 1e-9, 0.5, 1, 2, 10, 1000, 1e6, 1e7, 1e9, 1e15, 1e30, 1e308, -1e308, 2 ** 63,
            float("nan"), float("inf"), float("-inf"))
FACTORS = (0.0, 0.01, 0.3, 0.5, 0.9, 1.1, 2.0, 3.0, 10.0, 100.0)
JUNK = ("text", "", None, True, [], {}, [1, 2], {"a": 1}, "1e3", "-5")


def shipped(name: str) -> dict:
    data, _ = load_yaml_text(resources.files("counterflow.data").joinpath(f"{name}.yaml").read_text())
    return data


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node path (mapping keys and list indices), parents before children."""
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths(v, prefix + (i,))
    return out


def get(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _set(data: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(data)
    if not path:
        return value
    get(out, path[:-1])[path[-1]] = value
    return out


def strings(data: Any) -> list[str]:
    return sorted({get(data, p) for p in paths(data) if isinstance(get(data, p), str) and len(get(data, p)) < 40})


# ---------------------------------------------------------------------------------------------- operators
def op_number(data, path, i):
    """A numeric leaf becomes an extreme value (zero, negative, tiny, huge, non-finite)."""
    return _set(data, path, EXTREMES[i % len(EXTREMES)])


def op_scale(data, path, i):
    """A numeric leaf is scaled by a plausible factor (most of these stay valid)."""
    v = get(data, path)
    f = FACTORS[i % len(FACTORS)]
    new = v * f
    return _set(data, path, int(new) if isinstance(v, int) and float(new).is_integer() else new)


def op_retype(data, path, i):
    """A value becomes text, nothing, a boolean, a list or a mapping."""
    return _set(data, path, copy.deepcopy(JUNK[i % len(JUNK)]))


def op_delete(data, path, i):
    """A key or a list entry is removed."""
    out = copy.deepcopy(data)
    parent = get(out, path[:-1])
    del parent[path[-1]]
    return out


def op_unknown_key(data, path, i):
    """A mapping gains a key the format does not know (or a near-miss of a known one)."""
    out = copy.deepcopy(data)
    target = get(out, path)
    keys = list(target)
    name = (keys[i % len(keys)] + "s") if keys and i % 2 else f"junk_{i}"
    target[name] = 1
    return out


def op_duplicate(data, path, i):
    """A list entry is repeated (duplicate ids and edges)."""
    out = copy.deepcopy(data)
    parent = get(out, path[:-1])
    parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
    return out


def op_swap_ref(data, path, i):
    """A text value is replaced by another id of the document or by an unknown one."""
    pool = strings(data) + ["nowhere", "baseline"]
    return _set(data, path, pool[i % len(pool)])


OPERATORS = {
    "number": (op_number, lambda v, p: is_number(v)),
    "scale": (op_scale, lambda v, p: is_number(v)),
    "retype": (op_retype, lambda v, p: bool(p)),
    "delete": (op_delete, lambda v, p: bool(p)),
    "unknown_key": (op_unknown_key, lambda v, p: isinstance(v, dict)),
    "duplicate": (op_duplicate, lambda v, p: bool(p) and isinstance(p[-1], int)),
    "swap_ref": (op_swap_ref, lambda v, p: isinstance(v, str) and bool(p)),
}


def candidates(data: Any, op: str) -> list[tuple]:
    ok = OPERATORS[op][1]
    return [p for p in paths(data) if ok(get(data, p), p)]


def mutate(data: Any, op: str, where: int, choice: int) -> Any:
    """Apply operator ``op`` at the ``where``-th eligible path (modulo their number)."""
    cands = candidates(data, op)
    if not cands:
        return copy.deepcopy(data)
    return OPERATORS[op][0](data, cands[where % len(cands)], choice)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------------- text operators
def text_mutants(text: str, i: int) -> str:
    """Parser-level damage: aliases, nesting, truncation, junk bytes, bad indentation, duplicate keys."""
    k = i % 8
    if k == 0:
        return text + "\nextra: &x [1, *x]\n"
    if k == 1:
        depth = 50 + 40 * (i % 5)
        return text + "\nextra: " + "[" * depth + "]" * depth + "\n"
    if k == 2:
        cut = (i * 7919) % max(len(text), 1)
        return text[:cut]
    if k == 3:
        pos = (i * 104729) % max(len(text), 1)
        return text[:pos] + "\x00\x07{[:" + text[pos:]
    if k == 4:
        return text.replace("  ", "\t", 1 + i % 3)
    if k == 5:
        first = text.split("\n", 1)[0]
        return text + "\n" + first + "\n"
    if k == 6:
        bomb = "a0: &a0 [x, x, x, x, x, x, x, x]\n" + "".join(
            f"a{j}: &a{j} [{', '.join(['*a' + str(j - 1)] * 8)}]\n" for j in range(1, 7))
        return bomb + text
    return text.replace(": ", ":", 1 + i % 4)


def finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
