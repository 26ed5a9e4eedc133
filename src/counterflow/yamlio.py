"""YAML loading that remembers where every value came from.

:func:`load_yaml` returns plain Python data plus a :class:`LineMap` from field
paths (``nodes[2].capacity``) to 1-based line numbers, so validation errors
can point at the offending line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

__all__ = ["LineMap", "load_yaml", "load_yaml_text", "join_path", "read_text"]


def join_path(base: str, key: str | int) -> str:
    """Append a mapping key or list index to a dotted field path."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else str(key)


class LineMap(dict):
    """Mapping from field path to line number, with fallback to parents."""

    def line(self, path: str | None) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self:
                return self[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return self.get(path or "", None)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's C parser when available
    pass


# YAML 1.2 floats: PyYAML (YAML 1.1) reads `2.0e6` or `1e-3` as text; users mean numbers
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def _construct(node: yaml.Node, path: str, lines: LineMap, loader: _Loader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise InputError(
                    "mapping keys must be plain strings", path=path or None,
                    line=key_node.start_mark.line + 1,
                )
            key = str(key)
            if key in out:
                raise InputError(
                    f"duplicate key '{key}'", path=join_path(path, key),
                    line=key_node.start_mark.line + 1,
                )
            out[key] = _construct(value_node, join_path(path, key), lines, loader)
            lines[join_path(path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, join_path(path, i), lines, loader) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml_text(text: str, file: str | None = None) -> tuple[Any, LineMap]:
    """Parse YAML text; return ``(data, line_map)``.

    Raises
    ------
    InputError
        If the text is empty or is not valid YAML.
    """
    if not text.strip():
        raise InputError("the file is empty", file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("the file holds no YAML document", file=file)
        lines = LineMap()
        data = _construct(node, "", lines, loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            f"not valid YAML: {problem}", file=file,
            line=(mark.line + 1) if mark is not None else None,
        ) from None
    except InputError as exc:
        exc.file = file
        raise InputError(exc.message, file=file, path=exc.path, line=exc.line) from None
    finally:
        loader.dispose()
    return data, lines


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """Read a user's text file; a missing file, a folder or non-UTF-8 bytes become one clear InputError."""
    try:
        return Path(path).read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a text file (UTF-8 expected)", file=str(path)) from None


def load_yaml(path: str | Path) -> tuple[Any, LineMap]:
    """Read and parse a YAML file; see :func:`load_yaml_text`."""
    return load_yaml_text(read_text(path), file=str(path))


def is_finite_number(x: Any) -> bool:
    """True for int/float values that are finite (bools excluded)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
