"""Networks from data: importers and exporters.

Importers return ``(Scenario, ImportReport)``; the report lists every
attribute that took a documented default (:data:`DEFAULTS`).

* CSV node and edge tables with a column mapping: :func:`read_csv_tables`
* GraphML: :func:`read_graphml` / :func:`write_graphml`
* GeoJSON (points for nodes, lines for edges): :func:`read_geojson` / :func:`write_geojson`
* networkx graphs: :func:`from_networkx` / :func:`to_networkx`
* the NarcoLogic tables (shipped): :func:`read_narcologic`
* scenario YAML and a run's flows: :func:`write_scenario_yaml`, :func:`export_scenario`, :func:`export_flows`

Examples
--------
>>> from counterflow.io import read_narcologic
>>> scenario, report = read_narcologic()
>>> scenario.name
'narcologic'
"""

from .common import DEFAULTS, ImportReport
from .export import (
    EXPORT_FORMATS,
    export_flows,
    export_scenario,
    flow_attributes,
    write_scenario_yaml,
    write_tables_form,
)
from .geojson import from_geojson, read_geojson, to_geojson, write_geojson
from .graph import from_networkx, read_graphml, to_networkx, write_graphml
from .narcologic import narcologic_dir, read_narcologic
from .tables import read_csv_tables, write_csv_tables

__all__ = [
    "DEFAULTS", "ImportReport", "EXPORT_FORMATS", "export_flows", "export_scenario", "flow_attributes",
    "write_scenario_yaml", "write_tables_form", "from_geojson", "read_geojson", "to_geojson", "write_geojson", "from_networkx",
    "read_graphml", "to_networkx", "write_graphml", "narcologic_dir", "read_narcologic", "read_csv_tables",
    "write_csv_tables",
]
