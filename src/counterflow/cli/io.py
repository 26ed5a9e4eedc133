"""``counterflow import``, ``export`` and ``generate``: networks from data and at scale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from . import app
from .common import MAX_STEPS, err, handles_errors, json_doc, print_json, progress_bar

__all__ = ["import_network", "export", "generate"]

IMPORT_FORMATS = ("csv", "graphml", "geojson", "narcologic")


def _mapping(items: list[str] | None) -> tuple[dict[str, str], dict[str, str]]:
    nodes: dict[str, str] = {}
    edges: dict[str, str] = {}
    for item in items or []:
        key, sep, column = item.partition("=")
        table, dot, fld = key.partition(".")
        if not sep or not dot or table not in ("node", "edge") or not fld or not column:
            raise InputError(f"--map expects node.FIELD=COLUMN or edge.FIELD=COLUMN, got '{item}'", path="--map")
        (nodes if table == "node" else edges)[fld] = column
    return nodes, edges


def _write(scenario, output: Path, fmt: str | None, report, header: str) -> list[Path]:
    from ..io import export_scenario
    from ..io.export import format_from_suffix

    kind = format_from_suffix(output, fmt)
    lines = [header]
    if report is not None:
        lines += report.lines()
    return export_scenario(scenario, output, kind, header="\n".join(lines))


@app.command("import")
@handles_errors
def import_network(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="csv, graphml, geojson or narcologic.")],
    inputs: Annotated[list[Path] | None, typer.Argument(
        metavar="[INPUT]...",
        help="csv: [NODES.csv] EDGES.csv; graphml/geojson: FILE; narcologic: NODES.csv EDGES.csv or a FOLDER "
             "holding NodeTable.csv and EdgeTable.csv (default: the shipped tables).")] = None,
    output: Annotated[Path, typer.Option("--out", "-o", "--output", metavar="FILE",
                      help="Scenario file to write (.yaml; or .graphml/.geojson/.csv).")] = Path("scenario.yaml"),
    mapping: Annotated[list[str] | None, typer.Option("--map", metavar="TABLE.FIELD=COLUMN",
                       help="CSV column mapping, e.g. node.id=ID or edge.from=src; repeatable.")] = None,
    name: Annotated[str | None, typer.Option(metavar="NAME", help="Scenario name.")] = None,
    dormant: Annotated[float, typer.Option("--dormant", min=0.0, max=0.9, metavar="SHARE",
                       help="Add dormant alternatives: this share of hubs and transit nodes gets a dormant twin "
                            "(the generator's dormant-share rule).")] = 0.0,
    seed: Annotated[int, typer.Option(min=0, metavar="SEED", help="Seed of the --dormant draw.")] = 0,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, metavar="N",
                        help="Most rows read from one CSV table.")] = 5_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON report on stdout.")] = False,
) -> None:
    """Import a network into a runnable scenario.

    Reports every attribute that took a default.
    """
    from ..io import read_csv_tables, read_geojson, read_graphml, read_narcologic
    fmt = fmt.lower()
    files = list(inputs or [])
    if fmt not in IMPORT_FORMATS:
        raise InputError(f"unknown import format '{fmt}'; expected one of: {', '.join(IMPORT_FORMATS)}", path="FORMAT")
    if fmt == "csv":
        if len(files) not in (1, 2):
            raise InputError("csv needs EDGES.csv or NODES.csv EDGES.csv", path="inputs")
        node_cols, edge_cols = _mapping(mapping)
        nodes = files[0] if len(files) == 2 else None
        scenario, report = read_csv_tables(nodes, files[-1], node_columns=node_cols, edge_columns=edge_cols,
                                           name=name, max_rows=max_rows)
    elif fmt in ("graphml", "geojson"):
        if len(files) != 1:
            raise InputError(f"{fmt} needs exactly one input file", path="inputs")
        reader = read_graphml if fmt == "graphml" else read_geojson
        scenario, report = reader(files[0], name=name)
    else:
        named: dict[str, Any] = {"name": name} if name else {}
        if len(files) == 2:
            scenario, report = read_narcologic(nodes=files[0], edges=files[1], **named)
        elif len(files) <= 1:
            if files and files[0].is_file():
                raise InputError("narcologic needs NODES.csv EDGES.csv (both tables) or a folder holding "
                                 "NodeTable.csv and EdgeTable.csv", path="inputs")
            scenario, report = read_narcologic(files[0] if files else None, **named)
        else:
            raise InputError("narcologic takes NODES.csv EDGES.csv or one folder", path="inputs")
    header = f"Imported by 'counterflow import {fmt}' from {report.source}."
    if dormant > 0:
        from ..generate import add_dormant_alternatives

        scenario, added = add_dormant_alternatives(scenario, dormant, seed)
        report.notes.append(f"added {added} dormant alternatives (share {dormant:g} of hubs and transit nodes, "
                            f"seed {seed})")
        report.nodes, report.edges = len(scenario.nodes), len(scenario.edges)
        header += f" Dormant alternatives: --dormant {dormant:g} --seed {seed}."
    written = _write(scenario, output, None, report, header)
    if as_json:
        print_json(json_doc(scenario.name, list(scenario.strategies), None, None,
                            written=[str(p) for p in written], **report.to_dict()))
        return
    for line in report.lines():
        err.print(line, highlight=False, markup=False, soft_wrap=True)
    err.print(f"wrote {', '.join(map(str, written))}", highlight=False, markup=False, soft_wrap=True)


@app.command()
@handles_errors
def export(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or scenario YAML path.")],
    output: Annotated[Path, typer.Option("--out", "-o", "--output", metavar="FILE|DIR",
                      help="File to write (.yaml, .parquet.yaml for the tables form, .graphml, .geojson, or a folder for csv).")],
    fmt: Annotated[str | None, typer.Option("--to", "--format", "-f", metavar="yaml|parquet|graphml|geojson|csv",
                   help="File format to write (default: from the suffix).")] = None,
    flows: Annotated[bool, typer.Option("--flows", help="Run one replication and add per-edge and per-node flows.")] = False,
    strategy: Annotated[str | None, typer.Option("--strategy", "-s", metavar="NAME|FILE",
                        help="Strategy for the flows run (default: baseline).")] = None,
    seed: Annotated[int, typer.Option(min=0, metavar="SEED", help="Seed of the flows run.")] = 0,
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, metavar="N", help="Steps of the flows run (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """Export a scenario to GraphML, GeoJSON, CSV or YAML.

    Optionally with a run's flows per edge and node.
    """
    from ..io import export_flows, export_scenario
    from ..io.export import format_from_suffix
    from ..scenario import load_scenario
    from ..strategy import resolve_strategies
    sc = load_scenario(scenario)
    kind = format_from_suffix(output, fmt)
    if not flows:
        written = export_scenario(sc, output, kind)
    else:
        if kind not in ("graphml", "geojson"):
            raise InputError(f"flows can be exported to graphml or geojson, not {kind}", path="--flows")
        from ..engine import Engine

        # the baseline (no action) unless -s names one, as --help and --json say
        chosen = resolve_strategies(sc, [strategy or "baseline"])[-1]
        horizon = sc.steps if steps is None else steps
        with progress_bar(horizon, f"{sc.name}: {chosen.name}", enabled=not as_json, unit="steps") as advance:
            traj = Engine(sc, chosen, seed, record_flows=True).run(horizon, progress=advance)
        written = export_flows(sc, output, traj, kind)
    if as_json:
        print_json(json_doc(sc.name, [strategy or "baseline"] if flows else [], 1 if flows else None,
                            seed if flows else None, format=kind, written=[str(p) for p in written], flows=flows))
        return
    err.print(f"wrote {', '.join(map(str, written))}", highlight=False, markup=False, soft_wrap=True)


@app.command()
@handles_errors
def generate(
    nodes: Annotated[int, typer.Option("--nodes", "-n", min=4, metavar="N", help="Number of nodes.")],
    output: Annotated[Path, typer.Option("--out", "-o", "--output", metavar="FILE",
                      help="Scenario file to write (.yaml; or .graphml/.geojson/.csv).")],
    seed: Annotated[int, typer.Option(min=0, metavar="SEED", help="Seed; the same seed gives the same network.")] = 0,
    organisations: Annotated[int | None, typer.Option("--organisations", "-k", min=1, metavar="N",
                             help="Organisations (default: one per 50 nodes, 1 to 5).")] = None,
    edges_per_node: Annotated[float, typer.Option(min=1.0, metavar="X", help="Edges as a multiple of nodes.")] = 5.0,
    dormant_share: Annotated[float, typer.Option(min=0.0, max=0.9, metavar="SHARE",
                             help="Share of dormant hubs, transit nodes and edges.")] = 0.1,
    warmup: Annotated[int | None, typer.Option(min=0, max=1000, metavar="STEPS",
                      help="Set parameters.warmup (steps before step 0).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """Generate a synthetic network.

    A layered source -> hub -> transit -> market network, stylised and illustrative.
    """
    from ..generate import generate_scenario
    sc = generate_scenario(nodes, seed, organisations, edges_per_node=edges_per_node,
                           dormant_share=dormant_share, warmup=warmup)
    written = _write(sc, output, None, None,
                     f"Generated by 'counterflow generate --nodes {nodes} --seed {seed}'. Synthetic, illustrative.")
    info = json_doc(sc.name, list(sc.strategies), None, seed, nodes=len(sc.nodes), edges=len(sc.edges),
                    organisations=len(sc.organisations), markets=len(sc.markets),
                    dormant_nodes=sum(n.dormant for n in sc.nodes), written=[str(p) for p in written])
    if as_json:
        print_json(info)
        return
    err.print(f"generated {info['nodes']} nodes, {info['edges']} edges, {info['organisations']} organisations, "
              f"{info['markets']} markets; wrote {', '.join(info['written'])}",
              highlight=False, markup=False, soft_wrap=True)
