"""CSV node and edge tables, with a column mapping.

A node table has one row per node and an edge table one row per directed
edge. Columns are named as the scenario's fields (``id, kind, jurisdiction,
name, lat, lon, capacity, storage, enforcement, occupancy, dormant`` and
``from, to, mode, capacity, cost, time, risk, dormant``) unless a mapping
says otherwise, e.g. ``{"id": "ID", "lat": "Latitude"}`` for nodes. Empty
cells and absent columns take the documented defaults
(:data:`counterflow.io.common.DEFAULTS`); other columns are ignored (and
reported). The node table is optional: without it, nodes are the edges' ends.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "edges.csv").write_text("from,to,capacity\\na,b,100\\nb,c,80\\n")
>>> s, report = read_csv_tables(None, d / "edges.csv")
>>> [n.kind for n in s.nodes]
['source', 'transit', 'market']
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..scenario import EDGE_FIELDS, NODE_FIELDS, Scenario
from ..schema import Field
from .common import (
    EDGE_KEYS,
    MAX_ROWS,
    NODE_KEYS,
    ImportReport,
    Lines,
    Origin,
    assemble,
    parse_bool,
    parse_number,
)

__all__ = ["read_csv_tables", "write_csv_tables"]

_NUMERIC_NODE = ("lat", "lon", "capacity", "storage", "enforcement", "occupancy")
_NUMERIC_EDGE = ("capacity", "cost", "risk")
_UNLIMITED = ("capacity", "storage")
_DECLARED = {"nodes": {f.name: f for f in NODE_FIELDS}, "edges": {f.name: f for f in EDGE_FIELDS}}
#: Longest cell accepted (characters); a longer one is refused naming its line and column.
MAX_CELL = 128 * 1024


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Stream ``(line, cells)`` from a CSV file without reading it whole; damage becomes an InputError."""
    file = str(path)
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=file) from None
    saved = csv.field_size_limit()
    csv.field_size_limit(max(saved, 16 * MAX_CELL))  # so that an oversized cell can be named by its column
    try:
        with fh:
            reader = csv.reader(fh)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise InputError("not a text file (UTF-8 expected)", file=file,
                                     line=reader.line_num + 1) from None
                except csv.Error as exc:
                    raise InputError(f"not a valid CSV row: {exc}", file=file, line=reader.line_num or 1) from None
                yield reader.line_num, row
    finally:
        csv.field_size_limit(saved)


def _read_rows(path: Path, mapping: dict[str, str], keys: tuple[str, ...], required: tuple[str, ...],
               report: ImportReport, section: str, max_rows: int) -> tuple[list[dict], Lines]:
    """Read, convert and check a table row by row (bounded memory: one small record per row)."""
    rows_iter = _rows(path)
    try:
        _, header = next(rows_iter)
    except StopIteration:
        raise InputError("the file is empty (a header row is required)", file=str(path)) from None
    header = [h.strip() for h in header]
    for key in mapping:
        if key not in keys:
            raise InputError(f"unknown field '{key}' in the column mapping; fields: {', '.join(keys)}",
                             file=str(path), path=key)
    columns = {k: mapping.get(k, k) for k in keys}
    for k in required:
        if columns[k] not in header:
            hint = f" (mapped from '{k}')" if columns[k] != k else ""
            raise InputError(f"required column '{columns[k]}'{hint} is missing; header: {', '.join(header)}",
                             file=str(path), path=columns[k], line=1)
    position = {k: header.index(c) for k, c in columns.items() if c in header}
    ignored = [h for h in header if h not in set(columns.values())]
    if ignored:
        report.notes.append(f"ignored columns of {path.name}: {', '.join(ignored)}")
    numeric = _NUMERIC_NODE if section == "nodes" else _NUMERIC_EDGE
    declared = _DECLARED[section]
    names: dict[str, str] = {}   # one copy of each id string
    rows: list[dict] = []
    lines = Lines(str(path), columns)
    for lineno, row in rows_iter:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise InputError(f"row has {len(row)} cells but the header has {len(header)}",
                             file=str(path), line=lineno)
        if len(rows) >= max_rows:
            raise InputError(f"more than {max_rows:,} rows; raise the limit with --max-rows if this is intended",
                             file=str(path), line=lineno)
        origin = Origin(file=str(path), line=lineno, columns=columns)
        rec: dict[str, str | float | bool] = {}
        for k, i in position.items():
            if i >= len(row):
                continue
            cell = row[i]
            if len(cell) > MAX_CELL:
                raise InputError(f"the cell holds {len(cell):,} characters; at most {MAX_CELL:,} are accepted",
                                 file=str(path), path=columns[k], line=lineno)
            if "\x00" in cell:
                raise InputError("the cell holds a NUL byte (is this a binary file?)", file=str(path),
                                 path=columns[k], line=lineno)
            value = _cell(cell.strip(), k, origin, numeric, declared)
            if isinstance(value, str) and k in ("id", "from", "to", "jurisdiction"):
                rec[k] = names.setdefault(value, value)
            elif value is not None:
                rec[k] = value
        for k in required:
            if k not in rec:
                raise InputError(f"'{columns[k]}' is empty", file=str(path), path=columns[k], line=lineno)
        rows.append(rec)
        lines.add(lineno)
    return rows, lines


def _cell(v: str, k: str, origin: Origin, numeric: tuple[str, ...],
          declared: dict[str, Field]) -> str | float | bool | None:
    """One cell converted and checked against its field's declaration (``None`` when empty)."""
    if k in numeric or k == "time":
        f = declared[k]
        try:  # fast path for a plain in-range number; anything else gets the precise message below
            fast = float(v)
            in_range = f.low <= fast <= f.high and not (f.lo_open and fast == f.low)
            if in_range and (k != "time" or fast == int(fast)):
                return int(fast) if k == "time" else fast
        except ValueError:
            pass
        col = origin.columns.get(k, k)
        if k == "time":
            x = parse_number(v, origin, col, integer=True, field=f)
            return None if x is None else int(x)
        x = parse_number(v, origin, col, unlimited=k in _UNLIMITED, field=f)
        return None if x is None or math.isinf(x) else x
    if k == "dormant":
        return parse_bool(v, origin, origin.columns.get(k, k))
    if v == "":
        return None
    choice = declared.get(k)
    if choice is not None and choice.choices is not None and v not in choice.choices:
        raise InputError(f"unknown value '{v[:40]}'; expected one of: {', '.join(choice.choices)}", file=origin.file,
                         path=origin.columns.get(k, k), line=origin.line)
    return v


def read_csv_tables(
    nodes: str | Path | None,
    edges: str | Path,
    *,
    node_columns: dict[str, str] | None = None,
    edge_columns: dict[str, str] | None = None,
    name: str | None = None,
    max_rows: int = MAX_ROWS,
) -> tuple[Scenario, ImportReport]:
    """Import CSV node and edge tables into a scenario.

    The tables are streamed row by row and every cell is checked against its field's declaration
    as it is read, so that a problem names the file, the line and the column, and memory stays
    bounded (one small record per row); ``max_rows`` limits the rows of each table.

    Parameters
    ----------
    nodes
        Node table, or ``None`` to take the nodes from the edges' ends.
    edges
        Edge table (``from`` and ``to`` columns required).
    node_columns, edge_columns
        Column mapping: scenario field -> column name in the file.
    name
        Scenario name (default: the edge file's stem).

    Returns
    -------
    (Scenario, ImportReport)
        The validated scenario and what was defaulted.

    Raises
    ------
    InputError
        Missing required columns, unknown node ids, non-numeric values or
        invalid values, naming the file, the column and the line.
    """
    epath = Path(edges)
    report = ImportReport(source=str(epath) if nodes is None else f"{nodes} and {epath}")
    node_recs: list[dict] = []
    node_origins: Lines | None = None
    if nodes is not None:
        npath = Path(nodes)
        node_recs, node_origins = _read_rows(npath, node_columns or {}, NODE_KEYS, ("id",), report, "nodes",
                                             max_rows)
        seen: dict[str, int] = {}
        for r, line in zip(node_recs, node_origins.lines, strict=True):
            if r["id"] in seen:
                raise InputError(f"duplicate node id '{r['id']}' (first on line {seen[r['id']]})",
                                 file=str(npath), path=node_origins.columns["id"], line=line)
            seen[r["id"]] = line
        del seen
    edge_recs, edge_origins = _read_rows(epath, edge_columns or {}, EDGE_KEYS, ("from", "to"), report, "edges",
                                         max_rows)
    if not edge_recs:
        raise InputError("the edge table has no rows", file=str(epath))
    validated = ("nodes", "edges") if nodes is not None else ("edges",)
    return assemble(node_recs, edge_recs, report, name=name or epath.stem,
                    description=f"Imported from CSV tables ({report.source}).",
                    node_origins=node_origins, edge_origins=edge_origins, file=str(epath),
                    validated=validated), report


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_csv_tables(scenario: Scenario, nodes: str | Path, edges: str | Path) -> None:
    """Write a scenario's network as CSV node and edge tables (empty cell = unlimited).

    Organisations, markets and parameters are not part of the tables; export
    the scenario YAML (or GraphML/GeoJSON) to keep them.
    """
    with Path(nodes).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(NODE_KEYS)
        for n in scenario.nodes:
            w.writerow([_text(getattr(n, k)) for k in NODE_KEYS])
    with Path(edges).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(EDGE_KEYS)
        attr = {"from": "src", "to": "dst"}
        for e in scenario.edges:
            w.writerow([_text(getattr(e, attr.get(k, k))) for k in EDGE_KEYS])
