"""Files drawn by other tools (no Counterflow metadata) import with documented, reported defaults."""

from __future__ import annotations

import json

import pytest

from counterflow import simulate
from counterflow.io import read_geojson, read_graphml

GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="lat" for="node" attr.name="latitude" attr.type="double"/>
  <key id="lon" for="node" attr.name="longitude" attr.type="double"/>
  <key id="lab" for="node" attr.name="label" attr.type="string"/>
  <key id="cap" for="edge" attr.name="capacity" attr.type="double"/>
  <graph edgedefault="directed">
    <node id="farm"><data key="lat">4.0</data><data key="lon">-74.0</data><data key="lab">Farm</data></node>
    <node id="port"><data key="lat">10.0</data><data key="lon">-75.0</data></node>
    <node id="city"><data key="lat">25.0</data><data key="lon">-80.0</data></node>
    <edge source="farm" target="port"><data key="cap">900</data></edge>
    <edge source="port" target="city"/>
  </graph>
</graphml>
"""


def test_foreign_graphml_gets_defaults_and_runs(tmp_path):
    """Aliased attributes are read; kinds, jurisdiction, risks, organisation and market are defaulted,
    reported, and the result runs and delivers."""
    p = tmp_path / "drawn.graphml"
    p.write_text(GRAPHML)
    s, report = read_graphml(p)
    assert [(n.id, n.kind, n.lat) for n in s.nodes] == [("farm", "source", 4.0), ("port", "transit", 10.0),
                                                          ("city", "market", 25.0)]
    assert s.nodes[0].name == "Farm" and s.edges[0].capacity == 900.0
    assert report.defaulted["nodes.kind"] == 3 and report.defaulted["edges.risk"] == 2
    assert report.defaulted["organisations"] == 1 and report.defaulted["markets"] == 1
    text = "\n".join(report.lines())
    assert "edges.cost" in text and "great-circle" in text
    # cost from distance: farm -> port is about 670 km
    assert 50 + 0.5 * 600 < s.edges[0].cost < 50 + 0.5 * 750
    tr = simulate(s, seed=1, steps=10, record_flows=False)
    assert tr.delivered_total.sum() > 0


def _fc(with_ends: bool) -> dict:
    pts = {"a": [-74.0, 4.0], "b": [-75.0, 10.0], "c": [-80.0, 25.0]}
    feats = [{"type": "Feature", "properties": {"id": k}, "geometry": {"type": "Point", "coordinates": v}}
             for k, v in pts.items()]
    for u, v in (("a", "b"), ("b", "c")):
        props = {"from": u, "to": v} if with_ends else {"mode": "sea"}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "LineString", "coordinates": [pts[u], [-76.0, 12.0], pts[v]]}})
    return {"type": "FeatureCollection", "features": feats}


@pytest.mark.parametrize("with_ends", [True, False])
def test_foreign_geojson_lines_join_points(tmp_path, with_ends):
    """Lines name their ends, or their first and last coordinates are matched to the points."""
    p = tmp_path / "drawn.geojson"
    p.write_text(json.dumps(_fc(with_ends), indent=1))
    s, report = read_geojson(p)
    assert [(e.src, e.dst) for e in s.edges] == [("a", "b"), ("b", "c")]
    assert [n.kind for n in s.nodes] == ["source", "transit", "market"]
    assert any("matched 4 line ends" in n for n in report.notes) == (not with_ends)
