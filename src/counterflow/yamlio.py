"""YAML loading that remembers where every value came from.

:func:`load_yaml` returns plain Python data plus a :class:`LineMap` from field
paths (``nodes[2].capacity``) to 1-based line numbers, so validation errors
can point at the offending line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

__all__ = [
    "LineMap", "load_yaml", "load_yaml_text", "join_path", "read_text", "check_document_size", "check_depth",
    "MAX_DEPTH", "MAX_ALIAS_NODES", "UPLOAD_MAX_BYTES",
]

#: Deepest nesting of mappings and lists a document may have (scenarios need about 8 levels).
MAX_DEPTH = 64
#: Most values that aliases (``*name``) may add to a document when expanded; beyond it the
#: document is refused before it is built (a few hundred bytes of nested aliases can expand to gigabytes).
MAX_ALIAS_NODES = 10_000
#: Largest document the web page accepts (:func:`check_document_size`); files given on the command
#: line have no size limit, so large networks stay welcome there.
UPLOAD_MAX_BYTES = 8 * 1024 * 1024


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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml's C parser when available
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


def check_document_size(text: str | bytes, file: str | None = None, limit: int = UPLOAD_MAX_BYTES) -> None:
    """Refuse a document larger than ``limit`` bytes (for uploads; the web layer calls it before parsing).

    Raises
    ------
    InputError
        Naming the size and the limit.
    """
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > limit:
        raise InputError(
            f"the document is {size:,} bytes; uploads are limited to {limit:,} bytes "
            "(run large files from the command line)", file=file,
        )


def _check_structure(text: str, file: str | None) -> None:
    """Refuse, before anything is built, nesting deeper than :data:`MAX_DEPTH`, recursive aliases
    and aliases that would add more than :data:`MAX_ALIAS_NODES` values (one pass over the parser's events)."""
    depth = 0
    total = 0                                   # values built so far, aliases expanded
    open_: list[tuple[str | None, int, int]] = []  # (anchor, total at start, depth at start)
    size: dict[str, tuple[int, int]] = {}      # anchor -> (values, levels) of its node
    deepest: list[int] = [0]
    added = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, yaml.AliasEvent):
            line = ev.start_mark.line + 1 if ev.start_mark else None
            if any(a == ev.anchor for a, _, _ in open_):
                raise InputError(f"the alias '*{ev.anchor}' refers to a value that contains it "
                                 "(a recursive alias cannot be expanded)", file=file, line=line)
            values, levels = size.get(ev.anchor, (1, 0))
            total += values
            added += values
            if added > MAX_ALIAS_NODES:
                raise InputError(f"aliases expand to more than {MAX_ALIAS_NODES:,} values; write the values "
                                 "out or use fewer aliases", file=file, line=line)
            if depth + levels > MAX_DEPTH:
                raise InputError(f"nesting deeper than {MAX_DEPTH} levels (through the alias '*{ev.anchor}')",
                                 file=file, line=line)
            deepest[-1] = max(deepest[-1], depth + levels)
        elif isinstance(ev, yaml.ScalarEvent):
            total += 1
            if ev.anchor:
                size[ev.anchor] = (1, 0)
        elif isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            total += 1
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"nesting deeper than {MAX_DEPTH} levels of mappings and lists", file=file,
                                 line=ev.start_mark.line + 1 if ev.start_mark else None)
            open_.append((ev.anchor, total, depth))
            deepest.append(depth)
        elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            anchor, start, d0 = open_.pop()
            deep = deepest.pop()
            deepest[-1] = max(deepest[-1], deep)
            if anchor:
                size[anchor] = (total - start + 1, deep - d0 + 1)
            depth -= 1


def load_yaml_text(text: str, file: str | None = None, *, max_bytes: int | None = None) -> tuple[Any, LineMap]:
    """Parse YAML text; return ``(data, line_map)``.

    Nesting is limited to :data:`MAX_DEPTH` levels and alias expansion to
    :data:`MAX_ALIAS_NODES` values everywhere; ``max_bytes`` (for uploads, e.g.
    :data:`UPLOAD_MAX_BYTES`) also limits the document's size.

    Raises
    ------
    InputError
        If the text is empty, too large, too deep, expands too far or is not valid YAML.
    """
    if max_bytes is not None:
        check_document_size(text, file, max_bytes)
    if not text.strip():
        raise InputError("the file is empty", file=file)
    try:
        _check_structure(text, file)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("the file holds no YAML document", file=file)
        lines = LineMap()
        data = _construct(node, "", lines, loader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    except InputError as exc:
        exc.file = file
        raise InputError(exc.message, file=file, path=exc.path, line=exc.line) from None
    finally:
        loader.dispose()
    return data, lines


def check_depth(data: Any, file: str | None = None, limit: int = MAX_DEPTH) -> None:
    """Refuse parsed data (e.g. JSON) nested deeper than ``limit`` levels (an iterative walk: no recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                raise InputError(f"nesting deeper than {limit} levels of objects and lists", file=file)
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))


def _yaml_error(exc: yaml.YAMLError, file: str | None) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return InputError(f"not valid YAML: {problem}", file=file, line=(mark.line + 1) if mark is not None else None)


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
