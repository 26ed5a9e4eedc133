"""GeoJSON: points for nodes, lines for edges.

Export writes a ``FeatureCollection``: one ``Point`` per node (properties:
the node's fields) and one ``LineString`` per edge from its start to its end
(properties: ``from``, ``to`` and the edge's fields), plus optional flows of
a run, and the rest of the scenario in the foreign member ``counterflow``.

Import reads ``Point`` features as nodes (id from ``properties.id`` or the
feature's ``id``; position from the coordinates) and ``LineString``
features as edges (ends from ``properties.from``/``to``, or else matched to
the node at the line's first and last coordinates). Other properties named
as scenario fields are used; missing ones take the documented defaults.

Examples
--------
>>> from counterflow import load_scenario
>>> scenario = load_scenario("caribbean")
>>> s, report = from_geojson(to_geojson(scenario))
>>> s.to_dict() == scenario.to_dict()
True
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..scenario import Scenario
from ..yamlio import MAX_DEPTH, check_depth, read_text
from .common import EDGE_KEYS, NODE_KEYS, ImportReport, Origin, assemble, parse_bool, parse_number
from .graph import scenario_meta

__all__ = ["to_geojson", "from_geojson", "read_geojson", "write_geojson"]


def _props(d: dict) -> dict:
    return {k: v for k, v in d.items() if not (isinstance(v, float) and math.isinf(v))}


def to_geojson(scenario: Scenario, node_flows: dict[str, dict] | None = None,
               edge_flows: list[dict] | None = None) -> dict:
    """The scenario as a GeoJSON ``FeatureCollection`` (a dict)."""
    pos = {n.id: [n.lon, n.lat] for n in scenario.nodes}
    feats: list[dict] = []
    for n in scenario.nodes:
        props = _props({k: getattr(n, k) for k in NODE_KEYS})
        props.pop("lat"), props.pop("lon")
        props.update((node_flows or {}).get(n.id, {}))
        feats.append({"type": "Feature", "id": n.id, "geometry": {"type": "Point", "coordinates": pos[n.id]},
                      "properties": props})
    for i, e in enumerate(scenario.edges):
        props = _props({"from": e.src, "to": e.dst, "mode": e.mode, "capacity": e.capacity, "cost": e.cost,
                        "time": e.time, "risk": e.risk, "dormant": e.dormant})
        if edge_flows is not None:
            props.update(edge_flows[i])
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [pos[e.src], pos[e.dst]]},
                      "properties": props})
    return {"type": "FeatureCollection", "name": scenario.name, "counterflow": scenario_meta(scenario),
            "features": feats}


def write_geojson(scenario: Scenario, path: str | Path, node_flows: dict[str, dict] | None = None,
                  edge_flows: list[dict] | None = None) -> None:
    """Write the scenario (and optional flows) as a GeoJSON file, one feature per line."""
    fc = to_geojson(scenario, node_flows, edge_flows)
    feats = fc.pop("features")
    head = json.dumps(fc, sort_keys=True)[:-1]
    body = ",\n".join(json.dumps(f, sort_keys=True) for f in feats)
    Path(path).write_text(f'{head}, "features": [\n{body}\n]}}\n', encoding="utf-8")


def _coords(geom: Any, kind: str, where: Origin) -> list:
    """The coordinates of a Point ``[lon, lat]`` or a LineString ``[[lon, lat], ...]``, checked to be numbers."""
    c = geom.get("coordinates") if isinstance(geom, dict) else None
    if not isinstance(c, list):
        c = None
    points: list = [] if c is None else [c] if kind == "Point" else c
    if c is None or (kind != "Point" and len(c) < 2) or not all(
            isinstance(p, list) and len(p) >= 2 for p in points):
        shape = "[lon, lat]" if kind == "Point" else "[[lon, lat], [lon, lat], ...]"
        raise InputError(f"{kind} has malformed coordinates (expected {shape})", file=where.file,
                         path=f"{where.label}.geometry.coordinates", line=where.line)
    for j, p in enumerate(points):
        for axis, x in zip(("lon", "lat"), p[:2], strict=True):
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                at = "" if kind == "Point" else f"[{j}]"
                shown = "null" if x is None else repr(x)[:40]
                raise InputError(f"{kind} coordinate {axis} must be a finite number, got {shown}", file=where.file,
                                 path=f"{where.label}.geometry.coordinates{at}", line=where.line)
    return c


def from_geojson(data: Any, *, file: str | None = None, name: str | None = None,
                 text: str | None = None) -> tuple[Scenario, ImportReport]:
    """Build a scenario from a parsed GeoJSON ``FeatureCollection``."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError("expected a GeoJSON FeatureCollection", file=file, path="type", line=1)
    feats = data.get("features")
    if not isinstance(feats, list):
        raise InputError("'features' must be a list", file=file, path="features")
    flines = _feature_lines(text) if text else []
    report = ImportReport(source=file or "GeoJSON")
    nodes, n_orig, edges, e_orig, lines_at = [], [], [], [], []
    at: dict[tuple[float, float], str] = {}
    for i, f in enumerate(feats):
        label = f"features[{i}].properties"
        line = flines[i] if i < len(flines) else None
        if not isinstance(f, dict) or not isinstance(f.get("geometry"), dict):
            raise InputError("a feature needs a geometry", file=file, path=f"features[{i}]", line=line)
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError("properties must be an object", file=file, path=label, line=line)
        gtype = f["geometry"].get("type")
        o = Origin(file=file, line=line, label=label)
        if gtype == "Point":
            ident = props.get("id", f.get("id"))
            if ident is None or ident == "":
                raise InputError("a point feature needs an id (properties.id or the feature's id)", file=file,
                                 path=label, line=line)
            lon, lat = (float(x) for x in _coords(f["geometry"], "Point", o)[:2])  # finite numbers, checked
            rec: dict[str, str | float | bool | None] = {"id": str(ident), "lat": lat, "lon": lon}
            for k in NODE_KEYS[1:]:
                if k in ("lat", "lon") or props.get(k) in (None, ""):
                    continue
                if k == "dormant":
                    rec[k] = parse_bool(props[k], o, k)
                elif k in ("capacity", "storage", "enforcement", "occupancy"):
                    rec[k] = parse_number(props[k], o, k, unlimited=k in ("capacity", "storage"))
                else:
                    rec[k] = str(props[k])
            nodes.append(rec)
            n_orig.append(o)
            at.setdefault((round(lon, 7), round(lat, 7)), str(ident))
        elif gtype == "LineString":
            rec = {}
            for k in EDGE_KEYS:
                if props.get(k) in (None, ""):
                    continue
                if k == "dormant":
                    rec[k] = parse_bool(props[k], o, k)
                elif k in ("capacity", "cost", "risk"):
                    rec[k] = parse_number(props[k], o, k, unlimited=k == "capacity")
                elif k == "time":
                    t = parse_number(props[k], o, k, integer=True)
                    if t is not None:  # a blank cell keeps the default, as for the other numbers
                        rec[k] = int(t)
                else:
                    rec[k] = str(props[k])
            edges.append(rec)
            e_orig.append(o)
            lines_at.append(_coords(f["geometry"], "LineString", o))
        else:
            raise InputError(f"unsupported geometry '{gtype}' (Point for nodes, LineString for edges)",
                             file=file, path=f"features[{i}].geometry.type", line=line)
    matched = 0
    for rec, coords, o in zip(edges, lines_at, e_orig, strict=True):
        for end, c in (("from", coords[0]), ("to", coords[-1])):
            if end in rec:
                continue
            key = (round(float(c[0]), 7), round(float(c[1]), 7))
            if key not in at:
                raise InputError(f"line {end} point {c[:2]} matches no node; give properties.{end}",
                                 file=file, path=o.label, line=o.line)
            rec[end] = at[key]
            matched += 1
    if matched:
        report.notes.append(f"matched {matched} line ends to nodes by position")
    if not edges:
        raise InputError("no LineString features (edges)", file=file, path="features")
    given = data.get("counterflow")
    meta = given if isinstance(given, dict) else {}
    gname = name or meta.get("name") or data.get("name") or (Path(file).stem if file else "imported")
    s = assemble(nodes, edges, report, name=str(gname), description=f"Imported from {report.source}.",
                 meta=meta, node_origins=n_orig, edge_origins=e_orig, file=file)
    return s, report


def _feature_lines(text: str) -> list[int]:
    """Line of each feature's ``"type": "Feature"`` (matches files written one feature per line)."""
    out = []
    line = 1
    idx = 0
    needle = '"Feature"'
    while True:
        j = text.find(needle, idx)
        if j < 0:
            break
        line += text.count("\n", idx, j)
        out.append(line)
        idx = j + len(needle)
    return out


def read_geojson(path: str | Path, *, name: str | None = None) -> tuple[Scenario, ImportReport]:
    """Import a GeoJSON file (see :func:`from_geojson`)."""
    p = Path(path)
    text = read_text(p)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(p), line=exc.lineno) from None
    except RecursionError:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels of objects and lists", file=str(p)) from None
    check_depth(data, str(p))
    return from_geojson(data, file=str(p), name=name, text=text)
