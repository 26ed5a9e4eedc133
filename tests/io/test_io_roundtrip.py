"""Every import round-trips: import -> export -> import gives the same network (and scenario)."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counterflow import load_scenario
from counterflow.generate import generate_scenario
from counterflow.io import (
    from_geojson,
    from_networkx,
    read_csv_tables,
    read_geojson,
    read_graphml,
    read_narcologic,
    to_geojson,
    to_networkx,
    write_csv_tables,
    write_geojson,
    write_graphml,
    write_scenario_yaml,
)


def network(s):
    """The network part of a scenario as comparable data."""
    d = s.to_dict()
    return d["nodes"], d["edges"]


def whole(s):
    d = s.to_dict()
    d.pop("description", None)
    return d


@pytest.fixture(scope="module")
def sources():
    return {
        "caribbean": load_scenario("caribbean"),
        "narcologic": read_narcologic()[0],
        "generated": generate_scenario(120, seed=5, organisations=3),
    }


@pytest.mark.parametrize("name", ["caribbean", "narcologic", "generated"])
def test_graphml_round_trip_keeps_the_whole_scenario(sources, name, tmp_path):
    """Scenario -> GraphML -> scenario: nodes, edges, organisations, markets, parameters and strategies unchanged."""
    s = sources[name]
    write_graphml(s, tmp_path / "g.graphml")
    back, report = read_graphml(tmp_path / "g.graphml")
    assert whole(back) == whole(s)
    write_graphml(back, tmp_path / "g2.graphml")
    again, _ = read_graphml(tmp_path / "g2.graphml")
    assert whole(again) == whole(back)


@pytest.mark.parametrize("name", ["caribbean", "narcologic", "generated"])
def test_geojson_round_trip_keeps_the_whole_scenario(sources, name, tmp_path):
    """Scenario -> GeoJSON file -> scenario is the identity (positions included)."""
    s = sources[name]
    write_geojson(s, tmp_path / "g.geojson")
    back, _ = read_geojson(tmp_path / "g.geojson")
    assert whole(back) == whole(s)
    assert whole(from_geojson(to_geojson(back))[0]) == whole(s)


@pytest.mark.parametrize("name", ["caribbean", "narcologic", "generated"])
def test_networkx_round_trip(sources, name):
    """Scenario -> networkx -> scenario is the identity; the graph has one edge per scenario edge."""
    s = sources[name]
    g = to_networkx(s)
    assert g.number_of_nodes() == len(s.nodes) and g.number_of_edges() == len(s.edges)
    assert whole(from_networkx(g)[0]) == whole(s)


@pytest.mark.parametrize("name", ["caribbean", "narcologic", "generated"])
def test_csv_round_trip_keeps_the_network(sources, name, tmp_path):
    """Scenario -> CSV tables -> scenario keeps every node and edge; a second pass keeps everything."""
    s = sources[name]
    write_csv_tables(s, tmp_path / "n.csv", tmp_path / "e.csv")
    back, report = read_csv_tables(tmp_path / "n.csv", tmp_path / "e.csv")
    assert network(back) == network(s)
    assert report.defaulted["organisations"] == 1   # tables carry no organisations: reported
    (tmp_path / "2").mkdir()
    write_csv_tables(back, tmp_path / "2" / "n.csv", tmp_path / "2" / "e.csv")
    again, _ = read_csv_tables(tmp_path / "2" / "n.csv", tmp_path / "2" / "e.csv")
    assert whole(again) == whole(back)


def test_yaml_export_reloads_identically(sources, tmp_path):
    """The scenario YAML written by the exporter loads back to the same scenario."""
    for s in sources.values():
        write_scenario_yaml(s, tmp_path / "s.yaml", header="provenance line")
        assert whole(load_scenario(tmp_path / "s.yaml")) == whole(s)


def test_narcologic_import_round_trips_through_every_format(tmp_path):
    """NarcoLogic import -> GraphML/GeoJSON/CSV -> import gives the same 163-node, 1,017-edge network."""
    s, _ = read_narcologic()
    write_graphml(s, tmp_path / "a.graphml")
    write_geojson(s, tmp_path / "a.geojson")
    write_csv_tables(s, tmp_path / "n.csv", tmp_path / "e.csv")
    for back in (read_graphml(tmp_path / "a.graphml")[0], read_geojson(tmp_path / "a.geojson")[0],
                 read_csv_tables(tmp_path / "n.csv", tmp_path / "e.csv")[0]):
        assert network(back) == network(s)
        assert len(back.nodes) == 163 and len(back.edges) == 1017


@st.composite
def digraphs(draw):
    n = draw(st.integers(3, 12))
    g = nx.DiGraph()
    for i in range(n):
        attrs = {}
        if draw(st.booleans()):
            attrs["lat"] = draw(st.floats(-60, 60, allow_nan=False))
            attrs["lon"] = draw(st.floats(-170, 170, allow_nan=False))
        g.add_node(f"v{i}", **attrs)
    # a DAG along the index order guarantees sources and markets
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=30))
    for a, b in pairs:
        if a < b:
            attrs = {}
            if draw(st.booleans()):
                attrs["capacity"] = draw(st.floats(1, 1e5, allow_nan=False))
            if draw(st.booleans()):
                attrs["risk"] = draw(st.floats(0, 1, allow_nan=False))
            g.add_edge(f"v{a}", f"v{b}", **attrs)
    g.add_edge("v0", f"v{n - 1}")
    return g


@given(digraphs())
@settings(max_examples=25)
def test_random_graphs_round_trip_and_report_defaults(g):
    """Any DAG imports; kinds are inferred from the edges; export -> import is the identity."""
    s, report = from_networkx(g)
    kinds = {n.id: n.kind for n in s.nodes}
    for v in g.nodes:
        if g.in_degree(v) == 0:
            assert kinds[v] == "source"
        elif g.out_degree(v) == 0:
            assert kinds[v] == "market"
    assert report.defaulted["nodes.kind"] == g.number_of_nodes()
    missing_risk = sum("risk" not in d for _, _, d in g.edges(data=True))
    assert report.defaulted.get("edges.risk", 0) == missing_risk
    for e in s.edges:
        assert math.isfinite(e.cost) and e.cost > 0
    back, _ = from_networkx(to_networkx(s))
    assert whole(back) == whole(s)


@pytest.mark.parametrize("name", ["caribbean", "transatlantic"])
def test_streamed_yaml_writer_reloads_identically(name, tmp_path, monkeypatch):
    """Large scenarios are written record by record; the file must be one valid YAML document
    that loads back to the same scenario (the streamed path once wrote ``{name: x}`` lines)."""
    import counterflow.io.export as export

    monkeypatch.setattr(export, "STREAM_RECORDS", 1)
    s = load_scenario(name)
    out = tmp_path / "streamed.yaml"
    write_scenario_yaml(s, out, header="streamed")
    assert whole(load_scenario(out)) == whole(s)


def test_graphml_blank_edge_time_keeps_the_default(tmp_path):
    """A blank ``time`` cell on a GraphML edge is read like a missing one (it once gave a TypeError)."""
    s = load_scenario("caribbean")
    write_graphml(s, tmp_path / "g.graphml")
    g = nx.read_graphml(tmp_path / "g.graphml")
    u, v, key = next(iter(g.edges(keys=True))) if g.is_multigraph() else (*next(iter(g.edges())), None)
    attrs = g.edges[u, v, key] if key is not None else g.edges[u, v]
    attrs["time"] = " "
    nx.write_graphml(g, tmp_path / "blank.graphml")
    back, _ = read_graphml(tmp_path / "blank.graphml")
    assert len(back.edges) == len(s.edges)


def test_geojson_blank_edge_time_keeps_the_default():
    """A blank ``time`` property on a GeoJSON line is read like a missing one (it once gave a TypeError)."""
    s = load_scenario("caribbean")
    fc = to_geojson(s)
    line = next(f for f in fc["features"] if f["geometry"]["type"] == "LineString")
    line["properties"]["time"] = " "
    back, report = from_geojson(fc)
    assert len(back.edges) == len(s.edges)
    assert report.defaulted["edges.time"] == 1
