"""Imports refuse what would crash or lie, with one message naming file, line and column; they stream large
tables in bounded memory; `--dormant SHARE --seed S` adds dormant alternatives by the generator's rule."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from counterflow import InputError, load_scenario
from counterflow.cli import app
from counterflow.generate import add_dormant_alternatives, dormant_mask
from counterflow.io import read_csv_tables, read_geojson, read_graphml, write_geojson, write_graphml
from counterflow.io.tables import MAX_CELL

runner = CliRunner()
EDGES = "from,to,capacity,cost,time,risk\na,b,100,10,1,0.01\nb,c,100,10,1,0.02\n"


def cli_refuses(args: list[str], *needles: str) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def csv_refuses(tmp_path, text: str | bytes, *needles: str) -> str:
    f = tmp_path / "edges.csv"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    return cli_refuses(["import", "csv", str(f), "-o", str(tmp_path / "out.yaml")], str(f), *needles)


@pytest.mark.parametrize("cell, column, words", [
    ("time", "time", "infinite"),
    ("cost", "cost", "infinite"),
    ("risk", "risk", "infinite"),
])
def test_csv_inf_is_refused_where_it_means_nothing(tmp_path, cell, column, words):
    text = EDGES.replace("a,b,100,10,1,0.01", {"time": "a,b,100,10,inf,0.01", "cost": "a,b,100,inf,1,0.01",
                                                 "risk": "a,b,100,10,1,inf"}[cell])
    csv_refuses(tmp_path, text, "line 2", f"field '{column}'", words)


def test_csv_inf_capacity_still_means_unlimited(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text(EDGES.replace("a,b,100,", "a,b,inf,"))
    s, _ = read_csv_tables(None, f)
    assert s.edges[0].capacity == float("inf")


@pytest.mark.parametrize("row, column, words", [
    ("a,b,100,-5,1,0.01", "cost", "in [0, 1e+06]"),
    ("a,b,100,1e308,1,0.01", "cost", "in [0, 1e+06]"),
    ("a,b,100,nan,1,0.01", "cost", "NaN"),
    ("a,b,-1,10,1,0.01", "capacity", "in [0, 1e+09]"),
    ("a,b,100,10,1e7,0.01", "time", "in [1, 104]"),
    ("a,b,100,10,1.5,0.01", "time", "whole number"),
    ("a,b,100,10,1,2", "risk", "in [0, 1]"),
    ("a,b,100,ten,1,0.01", "cost", "expected a number"),
])
def test_every_malformed_cell_names_file_line_and_column(tmp_path, row, column, words):
    csv_refuses(tmp_path, EDGES.replace("a,b,100,10,1,0.01", row), "line 2", f"field '{column}'", words)


def test_mapped_column_is_named_as_in_the_file(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text("src,dst,Cost\na,b,-3\nb,c,1\n")
    cli_refuses(["import", "csv", str(f), "--map", "edge.from=src", "--map", "edge.to=dst", "--map",
                 "edge.cost=Cost", "-o", str(tmp_path / "o.yaml")], "line 2", "field 'Cost'")


def test_cell_over_128_kib_is_refused_with_its_column(tmp_path):
    big = "x" * (MAX_CELL + 1)
    csv_refuses(tmp_path, f"from,to,mode\na,b,{big}\nb,c,land\n", "line 2", "field 'mode'", "characters")
    huge = "y" * (40 * MAX_CELL)   # beyond the reader's own limit: still one message with the line
    csv_refuses(tmp_path, f"from,to,mode\na,b,land\nb,c,{huge}\n", "line 3")


def test_non_utf8_and_nul_bytes_are_refused(tmp_path):
    csv_refuses(tmp_path, b"from,to\na,b\n\xff\xfe,c\n", "UTF-8")
    csv_refuses(tmp_path, b"from,to\na,b\x00\nb,c\n", "line 2")


def test_row_limit_is_configurable(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text(EDGES)
    with pytest.raises(InputError, match="more than 1 rows"):
        read_csv_tables(None, f, max_rows=1)
    cli_refuses(["import", "csv", str(f), "--max-rows", "1", "-o", str(tmp_path / "o.yaml")], "--max-rows")
    from counterflow.io.common import MAX_ROWS
    assert MAX_ROWS >= 2_000_000


@pytest.fixture()
def small(tmp_path):
    return load_scenario("corridor")


def geojson_with(tmp_path, small, edit) -> Path:
    f = tmp_path / "n.geojson"
    write_geojson(small, f)
    data = json.loads(f.read_text())
    edit(data)
    f.write_text(json.dumps(data))
    return f


def first(data, geom):
    return next(ft for ft in data["features"] if ft["geometry"]["type"] == geom)


@pytest.mark.parametrize("coords", [[None, 1.0], ["ten", 1.0], [1.0], None, "1,2", [True, 1.0]])
def test_geojson_point_coordinates_must_be_numbers(tmp_path, small, coords):
    f = geojson_with(tmp_path, small, lambda d: first(d, "Point")["geometry"].__setitem__("coordinates", coords))
    with pytest.raises(InputError, match="coordinate") as exc:
        read_geojson(f)
    assert exc.value.file == str(f) and exc.value.line is not None


@pytest.mark.parametrize("coords", [[[None, 1.0], [2.0, 3.0]], [[1.0, 2.0], ["x", 3.0]], [[1.0, 2.0]]])
def test_geojson_line_coordinates_must_be_numbers(tmp_path, small, coords):
    def edit(d):
        line = first(d, "LineString")
        line["geometry"]["coordinates"] = coords
        line["properties"].pop("from", None)
    f = geojson_with(tmp_path, small, edit)
    with pytest.raises(InputError, match="coordinate"):
        read_geojson(f)


def test_geojson_time_inf_is_refused(tmp_path, small):
    f = geojson_with(tmp_path, small, lambda d: first(d, "LineString")["properties"].__setitem__("time", "inf"))
    cli_refuses(["import", "geojson", str(f), "-o", str(tmp_path / "o.yaml")], str(f), "time", "infinite")


def test_graphml_time_inf_is_refused(tmp_path, small):
    f = tmp_path / "n.graphml"
    write_graphml(small, f)
    text = f.read_text()
    key = next(ln for ln in text.splitlines() if 'attr.name="time"' in ln)
    kid = key.split('id="')[1].split('"')[0]
    text = text.replace(f'<data key="{kid}">1</data>', f'<data key="{kid}">inf</data>', 1)
    text = text.replace(key, key.replace('attr.type="long"', 'attr.type="double"').replace(
        'attr.type="int"', 'attr.type="double"'))
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        read_graphml(f)
    assert "time" in str(exc.value) and ("infinite" in str(exc.value) or "GraphML" in str(exc.value))
    cli_refuses(["import", "graphml", str(f), "-o", str(tmp_path / "o.yaml")], str(f))


def test_100k_deep_nesting_is_refused_in_every_format(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    g = tmp_path / "deep.geojson"
    g.write_text('{"type": "FeatureCollection", "features": ' + deep + "}")
    cli_refuses(["import", "geojson", str(g), "-o", str(tmp_path / "o.yaml")], str(g), "nesting")
    g.write_text('{"type": "FeatureCollection", "features": [], "counterflow": ' + "[" * 500 + "]" * 500 + "}")
    cli_refuses(["import", "geojson", str(g), "-o", str(tmp_path / "o.yaml")], str(g), "nesting")
    y = tmp_path / "deep.yaml"
    y.write_text("name: " + deep + "\n")
    cli_refuses(["validate", str(y)], str(y), "nesting")


def test_graphml_meta_nesting_is_refused(tmp_path, small):
    import networkx as nx

    from counterflow.io import to_networkx
    g = to_networkx(small)
    g.graph["counterflow"] = "[" * 100_000 + "]" * 100_000
    f = tmp_path / "d.graphml"
    nx.write_graphml(g, str(f))
    cli_refuses(["import", "graphml", str(f), "-o", str(tmp_path / "o.yaml")], str(f), "nest")


def test_dormant_alternatives_follow_the_generators_rule(tmp_path):
    s = load_scenario("caribbean")
    out, added = add_dormant_alternatives(s, 0.5, seed=3)
    cand = np.array([n.kind in ("hub", "transit") and not n.dormant for n in s.nodes])
    expected = dormant_mask(np.random.default_rng(3), cand, 0.5)
    assert added == int(expected.sum()) > 0
    twins = [n for n in out.nodes if n.id.endswith("_alt")]
    assert len(twins) == added and all(t.dormant for t in twins)
    by_id = {n.id: n for n in s.nodes}
    for t in twins:
        orig = by_id[t.id[:-4]]
        assert (t.kind, t.jurisdiction, t.capacity) == (orig.kind, orig.jurisdiction, orig.capacity)
        assert any(e.dst == t.id for e in out.edges) and any(e.src == t.id for e in out.edges)
    again, _ = add_dormant_alternatives(s, 0.5, seed=3)
    assert again == out                                      # same seed, same network
    assert add_dormant_alternatives(s, 0.0, seed=3) == (s, 0)   # inert at share 0


def test_import_dormant_option(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text("from,to\na,b\nb,c\nc,d\nb,e\ne,d\n")
    out = tmp_path / "o.yaml"
    r = runner.invoke(app, ["import", "csv", str(f), "--dormant", "0.9", "--seed", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    s = load_scenario(out)
    assert any(n.dormant for n in s.nodes) and "dormant alternatives" in r.stderr
    r = runner.invoke(app, ["import", "csv", str(f), "--dormant", "1.5", "-o", str(out)])
    assert r.exit_code == 2 and "--dormant" in r.output


@pytest.mark.slow
def test_million_row_edge_csv_imports_in_bounded_memory(tmp_path):
    """1,000,000 edges (110,000 nodes) import and are written with a peak resident memory under 2 GiB."""
    f = tmp_path / "edges.csv"
    with f.open("w") as fh:
        fh.write("from,to,capacity,cost,time,risk\n")
        for layer in range(10):
            for i in range(10_000):
                for k in range(10):
                    fh.write(f"n{layer}_{i},n{layer + 1}_{(i * 7 + k * 131) % 10_000},500,{1 + k},1,0.01\n")
    script = textwrap.dedent(f"""
        import resource, sys
        from counterflow.cli import app
        sys.argv = ["counterflow", "import", "csv", {str(f)!r}, "-o", {str(tmp_path / 'o.yaml')!r}]
        try:
            app()
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=3000)
    assert r.returncode == 0, r.stderr[-2000:]
    peak_kib = int(r.stdout.strip().splitlines()[-1])
    assert peak_kib < 2 * 1024 * 1024, f"peak {peak_kib / 1024:.0f} MiB"
    assert "imported 110000 nodes and 1000000 edges" in r.stderr
