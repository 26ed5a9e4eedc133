"""Exporters: scenario YAML, and a scenario with a run's flows per edge and node as GraphML or GeoJSON.

Flows are read from a run recorded with flows (:func:`counterflow.simulate`
with ``record_flows=True``; the exporters never run the engine themselves):
per edge ``flow_kg`` (kg sent over the horizon), ``flow_mean_kg`` (per step),
``flow_peak_kg`` and ``flow_steps`` (steps with flow); per node ``flow_kg``
(kg leaving or sold there) and ``flow_mean_kg``.

Examples
--------
>>> import tempfile, pathlib
>>> from counterflow import load_scenario, simulate
>>> scenario = load_scenario("caribbean")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "caribbean.geojson"
>>> traj = simulate(scenario, seed=1, steps=5, record_flows=True)
>>> export_flows(scenario, out, traj)
[...]
>>> out.stat().st_size > 0
True
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from ..errors import InputError
from ..scenario import Scenario, edge_record, node_record
from ..scenario_tables import TABLE_KEYS, table_paths
from .geojson import write_geojson
from .graph import write_graphml
from .tables import write_csv_tables

__all__ = ["write_scenario_yaml", "write_tables_form", "flow_attributes", "export_scenario", "export_flows",
           "EXPORT_FORMATS", "format_from_suffix"]

EXPORT_FORMATS = ("yaml", "parquet", "graphml", "geojson", "csv")
_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".graphml": "graphml", ".xml": "graphml", ".geojson": "geojson",
           ".json": "geojson", ".csv": "csv"}

if TYPE_CHECKING:
    from ..engine import Trajectory

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def format_from_suffix(path: str | Path, given: str | None = None) -> str:
    """The export format: ``given``, or from the file suffix."""
    if given:
        if given not in EXPORT_FORMATS:
            raise InputError(f"unknown format '{given}'; expected one of: {', '.join(EXPORT_FORMATS)}",
                             path="format")
        return given
    if str(path).lower().endswith(".parquet.yaml"):
        return "parquet"
    fmt = _SUFFIX.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the format from '{Path(path).name}'; use a suffix "
                         f"({', '.join(sorted(_SUFFIX))}) or --format", path="output")
    return fmt


def write_scenario_yaml(scenario: Scenario | dict, path: str | Path, header: str | None = None) -> None:
    """Write a scenario file (records one per line, as the built-in scenarios are written).

    ``header`` is written as ``#`` comment lines at the top (e.g. provenance and defaults).
    """
    head = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) if header else ""
    if isinstance(scenario, Scenario) and len(scenario.nodes) + len(scenario.edges) > STREAM_RECORDS:
        _write_streamed(scenario, Path(path), head)
        return
    data = scenario.to_dict() if isinstance(scenario, Scenario) else scenario
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=1 << 16,
                     allow_unicode=True)
    Path(path).write_text(head + text, encoding="utf-8")


#: Networks with more node and edge records than this are written record by record (bounded memory).
STREAM_RECORDS = 20_000


def _write_streamed(scenario: Scenario, path: Path, head: str) -> None:
    """Write a large scenario one record per line (JSON flow mappings, which YAML reads) without
    building the whole document in memory."""
    rest = dataclasses.replace(scenario, nodes=(), edges=()).to_dict()
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        for key, value in rest.items():
            if key in ("nodes", "edges"):
                fh.write(f"{key}:\n")
                records = scenario.nodes if key == "nodes" else scenario.edges
                make: Callable[[Any], dict] = node_record if key == "nodes" else edge_record
                for r in records:
                    fh.write("- " + json.dumps(make(r), ensure_ascii=False) + "\n")
            else:
                # a one-key mapping whose value holds only scalars would come out as one flow
                # mapping (``{name: x}``), and several of those in a row are not one YAML document:
                # only lists keep their records on one line each
                flow = None if isinstance(value, list) else False
                fh.write(yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, default_flow_style=flow,
                                   width=1 << 16, allow_unicode=True))


def write_tables_form(scenario: Scenario, path: str | Path, header: str | None = None) -> list[Path]:
    """Write ``scenario`` as a YAML file plus its node and edge tables; return the files written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = scenario.to_dict()
    paths = table_paths(path)
    written = []
    for key in TABLE_KEYS:
        records = data[key]
        cols: dict[str, list] = {}
        for r in records:
            for c in r:
                cols.setdefault(c, [])
        for c in cols:
            cols[c] = [r.get(c) for r in records]
        pq.write_table(pa.table(cols), paths[key], compression="zstd")
        data[key] = paths[key].name
        written.append(paths[key])
    write_scenario_yaml(data, path, header)
    return [Path(path), *written]


def flow_attributes(traj: Trajectory) -> tuple[dict[str, dict], list[dict]]:
    """Per-node and per-edge flow summaries of a run recorded with flows."""
    if traj.edge_flow is None:
        raise ValueError("the trajectory has no per-edge flows; run with record_flows=True")
    ef = np.asarray(traj.edge_flow, dtype=float)
    steps = max(ef.shape[0], 1)
    total = ef.sum(axis=0)
    edge = [{"flow_kg": round(float(t), 3), "flow_mean_kg": round(float(t) / steps, 3),
             "flow_peak_kg": round(float(p), 3), "flow_steps": int(c)}
            for t, p, c in zip(total, ef.max(axis=0, initial=0.0), (ef > 1e-9).sum(axis=0), strict=True)]
    nf = np.asarray(traj.node_flow_total, dtype=float)
    node = {nid: {"flow_kg": round(float(v), 3), "flow_mean_kg": round(float(v) / steps, 3)}
            for nid, v in zip(traj.node_ids, nf, strict=True)}
    return node, edge


def export_scenario(scenario: Scenario, path: str | Path, fmt: str | None = None, *,
                    node_flows: dict[str, dict] | None = None, edge_flows: list[dict] | None = None,
                    header: str | None = None) -> list[Path]:
    """Write ``scenario`` as yaml, parquet (the tables form), graphml, geojson or csv; return the files written.

    ``header`` is written as comment lines at the top of a YAML file (yaml and parquet).

    For ``csv``, ``path`` is a folder (created) receiving ``nodes.csv`` and ``edges.csv``.
    """
    fmt = format_from_suffix(path, fmt)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("yaml", "parquet"):
        if node_flows or edge_flows:
            raise InputError(f"flows can be exported to graphml or geojson, not {fmt}", path="format")
        if fmt == "parquet":
            return write_tables_form(scenario, p, header)
        write_scenario_yaml(scenario, p, header)
        return [p]
    if fmt == "graphml":
        write_graphml(scenario, p, node_flows, edge_flows)
        return [p]
    if fmt == "geojson":
        write_geojson(scenario, p, node_flows, edge_flows)
        return [p]
    if node_flows or edge_flows:
        raise InputError("flows can be exported to graphml or geojson, not csv", path="format")
    folder = p.with_suffix("") if p.suffix.lower() == ".csv" else p
    folder.mkdir(parents=True, exist_ok=True)
    write_csv_tables(scenario, folder / "nodes.csv", folder / "edges.csv")
    return [folder / "nodes.csv", folder / "edges.csv"]


def export_flows(scenario: Scenario, path: str | Path, traj: Trajectory, fmt: str | None = None) -> list[Path]:
    """Write the scenario with the per-edge and per-node flows of ``traj``, a run recorded with flows.

    ``traj`` is what :func:`counterflow.simulate` returns with ``record_flows=True``
    (any object with ``edge_flow``, ``node_flow_total`` and ``node_ids``). Returns the files written.
    """
    fmt = format_from_suffix(path, fmt)
    if fmt not in ("graphml", "geojson"):
        raise InputError(f"flows can be exported to graphml or geojson, not {fmt}", path="format")
    node, edge = flow_attributes(traj)
    return export_scenario(scenario, path, fmt, node_flows=node, edge_flows=edge)
