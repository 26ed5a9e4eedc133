"""Writing the tables form of a scenario (see :mod:`counterflow.scenario_tables`)."""

from __future__ import annotations

from pathlib import Path

from ..scenario import Scenario
from ..scenario_tables import TABLE_KEYS, table_paths
from .export import write_scenario_yaml

__all__ = ["write_tables_form"]


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
