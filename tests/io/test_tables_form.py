"""The tables form: a small scenario YAML naming Parquet tables for its nodes and edges."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow import load_scenario
from counterflow.errors import InputError
from counterflow.generate import generate_scenario
from counterflow.io import write_tables_form
from counterflow.scenario_tables import table_paths


def _same(a, b) -> bool:
    return dataclasses.replace(a, source=None) == dataclasses.replace(b, source=None)


@pytest.mark.parametrize("make", [lambda: load_scenario("caribbean"),
                                  lambda: generate_scenario(300, seed=3, organisations=2)])
def test_round_trip(tmp_path, make):
    """Written as tables and read back, the scenario is the same (unlimited capacities included)."""
    s = make()
    files = write_tables_form(s, tmp_path / "net.yaml")
    assert [f.name for f in files] == ["net.yaml", "net.nodes.parquet", "net.edges.parquet"]
    assert _same(load_scenario(tmp_path / "net.yaml"), s)


def _broken(tmp_path, key, column, values):
    s = load_scenario("caribbean")
    write_tables_form(s, tmp_path / "net.yaml")
    p = table_paths(tmp_path / "net.yaml")[key]
    t = pq.read_table(p)
    if column in t.column_names:
        t = t.set_column(t.column_names.index(column), column, pa.array(values(t.num_rows)))
    else:
        t = t.append_column(column, pa.array(values(t.num_rows)))
    pq.write_table(t, p)
    return tmp_path / "net.yaml", p


@pytest.mark.parametrize("key,column,values,message", [
    ("nodes", "capacity", lambda n: [-1.0] + [None] * (n - 1), "row 1, column 'capacity': must be in [0, 1e+09]"),
    ("nodes", "kind", lambda n: ["source"] * (n - 1) + ["harbour"], "column 'kind': unknown value 'harbour'"),
    ("edges", "time", lambda n: [1] * 3 + [0] + [1] * (n - 4), "row 4, column 'time'"),
    ("edges", "cost", lambda n: ["cheap"] * n, "row 1, column 'cost': expected a number, got the text 'cheap'"),
    ("edges", "colour", lambda n: ["red"] * n, "unknown field 'colour'"),
])
def test_bad_cells_are_named_by_file_row_and_column(tmp_path, key, column, values, message):
    yaml_path, table = _broken(tmp_path, key, column, values)
    with pytest.raises(InputError) as err:
        load_scenario(yaml_path)
    assert str(table) in str(err.value) and message in str(err.value)


def test_missing_or_damaged_table(tmp_path):
    yaml_path = tmp_path / "net.yaml"
    write_tables_form(load_scenario("caribbean"), yaml_path)
    p = table_paths(yaml_path)["edges"]
    p.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot read the edges table"):
        load_scenario(yaml_path)
    p.unlink()
    with pytest.raises(InputError, match="does not exist"):
        load_scenario(yaml_path)


def test_generate_and_export_write_the_tables_form(tmp_path):
    """`generate -o X.parquet.yaml` and `export --format parquet` write it; `run` reads it."""
    from typer.testing import CliRunner

    from counterflow.cli import app

    r = CliRunner().invoke(app, ["generate", "--nodes", "60", "--seed", "2", "-o", str(tmp_path / "g.parquet.yaml")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "g.nodes.parquet").is_file() and (tmp_path / "g.edges.parquet").is_file()
    r = CliRunner().invoke(app, ["export", str(tmp_path / "g.parquet.yaml"), "--format", "parquet",
                                 "-o", str(tmp_path / "h.yaml")])
    assert r.exit_code == 0, r.output
    assert _same(load_scenario(tmp_path / "h.yaml"), load_scenario(tmp_path / "g.parquet.yaml"))
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "h.yaml")])
    assert r.exit_code == 0 and "ok: scenario" in r.output, r.output
    r = CliRunner().invoke(app, ["run", str(tmp_path / "h.yaml"), "--runs", "1", "--steps", "3", "--json"])
    assert r.exit_code == 0, r.output
