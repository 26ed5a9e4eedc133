"""Malformed inputs give one InputError naming file, column and line; the CLI exits 2 without a traceback."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from counterflow import InputError, load_scenario
from counterflow.cli import app
from counterflow.io import (
    narcologic_dir,
    read_csv_tables,
    read_geojson,
    read_graphml,
    read_narcologic,
    write_geojson,
    write_graphml,
)

runner = CliRunner()

NODES = "id,kind,jurisdiction,lat,lon,capacity\na,source,X,1.0,2.0,\nb,transit,X,3.0,4.0,500\nc,market,X,5.0,6.0,\n"
EDGES = "from,to,capacity,cost,risk\na,b,100,10,0.01\nb,c,100,10,0.02\n"


def tables(tmp_path, nodes=NODES, edges=EDGES):
    (tmp_path / "n.csv").write_text(nodes)
    (tmp_path / "e.csv").write_text(edges)
    return tmp_path / "n.csv", tmp_path / "e.csv"


def test_well_formed_tables_import(tmp_path):
    """The reference tables import (so the failures below come from the one change each makes)."""
    s, report = read_csv_tables(*tables(tmp_path))
    assert [n.id for n in s.nodes] == ["a", "b", "c"]
    assert report.defaulted["edges.time"] == 2


@pytest.mark.parametrize("nodes, edges, file, column, line, words", [
    (NODES, EDGES.replace("from,", "src,"), "e.csv", "from", 1, "required column"),
    (NODES.replace("id,", "ident,"), EDGES, "n.csv", "id", 1, "required column"),
    (NODES, EDGES + "b,zz,100,10,0.01\n", "e.csv", "to", 4, "unknown node 'zz'"),
    (NODES, EDGES.replace("b,c,100", "b,c,lots"), "e.csv", "capacity", 3, "expected a number"),
    (NODES.replace("3.0,4.0,500", "3.0,north,500"), EDGES, "n.csv", "lon", 3, "expected a number"),
    (NODES, EDGES.replace("0.02", "1.5"), "e.csv", "risk", 3, "must be in [0, 1]"),
    (NODES.replace("transit,X", "depot,X"), EDGES, "n.csv", "kind", 3, "unknown value 'depot'"),
    (NODES + "b,hub,X,0,0,\n", EDGES, "n.csv", "id", 5, "duplicate node id"),
    (NODES, EDGES.replace("a,b,100", ",b,100"), "e.csv", "from", 2, "is empty"),
])
def test_malformed_csv_names_file_column_line(tmp_path, nodes, edges, file, column, line, words):
    """Missing columns, unknown ids, non-numeric and out-of-range values are located precisely."""
    with pytest.raises(InputError) as info:
        read_csv_tables(*tables(tmp_path, nodes, edges))
    e = info.value
    assert e.file.endswith(file) and e.path == column and e.line == line
    assert words in e.message


def test_mapped_column_errors_use_the_file_s_column_name(tmp_path):
    """With a column mapping, an error names the column as the file spells it."""
    n, e = tables(tmp_path, edges="src,dst,cap\na,b,100\nb,c,much\n")
    with pytest.raises(InputError) as info:
        read_csv_tables(n, e, edge_columns={"from": "src", "to": "dst", "capacity": "cap"})
    assert (info.value.path, info.value.line) == ("cap", 3)
    s, _ = read_csv_tables(n, tables(tmp_path / "..", edges="src,dst,cap\na,b,100\nb,c,50\n")[1],
                           edge_columns={"from": "src", "to": "dst", "capacity": "cap"})
    assert [e.capacity for e in s.edges] == [100.0, 50.0]


def test_malformed_narcologic_tables(tmp_path):
    """NarcoLogic tables with a bad value, a missing column or an unknown node id fail with file, column, line."""
    for f in ("NodeTable.csv", "EdgeTable.csv"):
        shutil.copy(narcologic_dir() / f, tmp_path / f)
    edges = (tmp_path / "EdgeTable.csv").read_text().splitlines()
    edges[5] = "0,999,1,1,32000"
    (tmp_path / "EdgeTable.csv").write_text("\n".join(edges) + "\n")
    with pytest.raises(InputError) as info:
        read_narcologic(tmp_path)
    assert (info.value.path, info.value.line) == ("EndNodes_2", 6) and "unknown node 999" in info.value.message
    nodes = (tmp_path / "NodeTable.csv").read_text().splitlines()
    nodes[3] = nodes[3].replace("93671", "x93671", 1)
    (tmp_path / "NodeTable.csv").write_text("\n".join(nodes) + "\n")
    with pytest.raises(InputError) as info:
        read_narcologic(tmp_path)
    assert (info.value.path, info.value.line) == ("DeptCode", 4)
    (tmp_path / "NodeTable.csv").write_text("\n".join(n.replace(",pintcpt,", ",p,") for n in nodes) + "\n")
    with pytest.raises(InputError) as info:
        read_narcologic(tmp_path)
    assert (info.value.path, info.value.line) == ("pintcpt", 1)


def test_malformed_graphml(tmp_path):
    """Broken XML gives its line; a bad attribute value names the node and its line."""
    p = tmp_path / "bad.graphml"
    p.write_text("<graphml>\n<graph>\n<node id='a'>\n</graph>")
    with pytest.raises(InputError) as info:
        read_graphml(p)
    assert "not valid XML" in info.value.message and info.value.line is not None
    write_graphml(load_scenario("caribbean"), p)
    text = p.read_text()
    key = re.search(r'<key id="(\w+)" for="node" attr.name="capacity"', text).group(1)
    bad = text.replace(f'<data key="{key}">6000.0</data>', f'<data key="{key}">six thousand</data>', 1)
    p.write_text(bad)
    with pytest.raises(InputError) as info:  # declared double: the XML reader rejects the value
        read_graphml(p)
    assert "six thousand" in info.value.message and "six thousand" in bad.splitlines()[info.value.line - 1]
    g = bad.replace(f'<key id="{key}" for="node" attr.name="capacity" attr.type="double"',
                    f'<key id="{key}" for="node" attr.name="capacity" attr.type="string"')
    p.write_text(g)
    with pytest.raises(InputError) as info:  # declared string: our check names node and line
        read_graphml(p)
    assert "expected a number" in info.value.message and "node '" in info.value.path
    assert info.value.line is not None and "<node" in g.splitlines()[info.value.line - 1]


def test_malformed_geojson(tmp_path):
    """Invalid JSON, an unsupported geometry and an unknown edge end are located."""
    p = tmp_path / "bad.geojson"
    p.write_text('{"type": "FeatureCollection",\n "features": [\n}')
    with pytest.raises(InputError) as info:
        read_geojson(p)
    assert info.value.line == 3
    write_geojson(load_scenario("caribbean"), p)
    lines = p.read_text().splitlines()
    lines[3] = lines[3].replace('"Point"', '"Polygon"')
    p.write_text("\n".join(lines))
    with pytest.raises(InputError) as info:
        read_geojson(p)
    assert info.value.line == 4 and "unsupported geometry" in info.value.message
    write_geojson(load_scenario("caribbean"), p)
    lines = p.read_text().splitlines()
    k = next(i for i, ln in enumerate(lines) if '"LineString"' in ln)
    lines[k] = lines[k].replace('"to": "', '"to": "nowhere_', 1)
    p.write_text("\n".join(lines))
    with pytest.raises(InputError) as info:
        read_geojson(p)
    assert info.value.line == k + 1 and "unknown node 'nowhere_" in info.value.message


@pytest.mark.parametrize("args", [
    ["import", "csv", "{e}", "-o", "{o}"],
    ["import", "graphml", "{d}/missing.graphml", "-o", "{o}"],
    ["import", "excel", "{e}", "-o", "{o}"],
    ["import", "csv", "{n}", "{e}", "--map", "nodes.id", "-o", "{o}"],
    ["generate", "--nodes", "5", "--organisations", "3", "-o", "{o}"],
    ["export", "caribbean", "-o", "{d}/x.txt"],
    ["export", "caribbean", "-o", "{d}/x.yaml", "--flows"],
])
def test_cli_bad_input_exits_2_without_traceback(tmp_path, args):
    """Every malformed import/export/generate call prints one error line and exits with status 2."""
    n, e = tables(tmp_path, edges=EDGES.replace("b,c,100", "b,c,lots"))
    argv = [a.format(n=n, e=e, d=tmp_path, o=tmp_path / "out.yaml") for a in args]
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "error" in res.output.lower()


def test_cli_json_report(tmp_path):
    """`import --json` prints only JSON with the defaults it applied."""
    n, e = tables(tmp_path)
    res = runner.invoke(app, ["import", "csv", str(n), str(e), "-o", str(tmp_path / "s.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["defaulted"]["edges.time"] == 2 and info["nodes"] == 3
    assert load_scenario(tmp_path / "s.yaml").name == "e"
