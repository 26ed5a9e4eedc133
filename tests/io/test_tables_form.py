"""The tables form: a small scenario YAML naming Parquet tables for its nodes and edges."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from counterflow import load_scenario
from counterflow.errors import InputError
from counterflow.generate import generate_scenario
from counterflow.io.parquet_form import write_tables_form
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
