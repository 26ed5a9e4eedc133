"""``counterflow run``, ``validate`` and ``scenarios``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import ResultsShown, app
from .common import (
    UNDEFINED_COST_NOTE,
    FormatOpt,
    JsonOpt,
    OutDirOpt,
    RunsOpt,
    ScenarioArg,
    SeedOpt,
    StepsOpt,
    StrategyOpt,
    TableData,
    TableFormat,
    dumps_json,
    emit_table,
    err,
    handles_errors,
    json_doc,
    out,
    output_format,
    progress_bar,
    summary_table,
)

# unit suffix of each per-step series in the wide step table written by ``run --out``
SERIES_UNITS = {"delivered": "kg", "price": "usd_per_kg", "seized": "kg", "destroyed": "kg", "produced": "kg",
                "stock": "kg", "in_transit": "kg", "active_nodes": "count", "active_edges": "count",
                "route_entropy": "nats", "harm": "casualties", "hardship": "index", "backlash": "index",
                "cost": "usd", "revenue": "usd", "cash": "usd",
                "protection_paid": "usd"}


def wide_steps(res):
    """One row per (strategy, replication, step); one column per series (and market or organisation).

    Column names carry the unit, e.g. ``delivered_kg[us_east]`` or ``cost_usd``.
    """
    import pandas as pd

    frames = []
    for r in res.records:
        f = r.steps_frame
        if f is None:
            continue
        col = f["variable"].map(lambda v: f"{v}_{SERIES_UNITS.get(v, '')}".rstrip("_"))
        col = col.where(f["entity"] == "", col + "[" + f["entity"] + "]")
        w = f.assign(column=col).pivot(index="step", columns="column", values="value")
        w = w[list(dict.fromkeys(col))]  # keep the series order
        w.columns.name = None
        w = w.reset_index()
        w.insert(0, "strategy", r.strategy)
        w.insert(1, "replication", r.replication)
        w.insert(2, "seed", res.seed)
        frames.append(w)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def averted_nothing(res) -> dict[str, tuple[int, int]]:
    """Per strategy but the baseline: the runs whose cost per kg averted is undefined (nothing averted) and all runs."""
    import numpy as np

    t = res.table()
    return {name: (int((~np.isfinite(v)).sum()), len(v)) for name in res.strategies if name != res.baseline
            for v in [t.loc[t.strategy == name, "cost_per_kg_averted"].astype(float).to_numpy()]}


def write_results(res, out_dir: Path, doc: dict) -> list[Path]:
    """``--out DIR`` of run and compare: runs.parquet, steps.parquet (when kept) and summary.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    runs = out_dir / "runs.parquet"
    res.table().to_parquet(runs, index=False)
    written.append(runs)
    steps = wide_steps(res)
    if len(steps):
        path = out_dir / "steps.parquet"
        steps.to_parquet(path, index=False)
        written.append(path)
    summary = out_dir / "summary.json"
    summary.write_text(dumps_json(doc) + "\n", encoding="utf-8")
    written.append(summary)
    return written


@app.command()
@handles_errors
def scenarios(fmt: FormatOpt = TableFormat.table, as_json: JsonOpt = False) -> None:
    """List the built-in scenarios."""
    from ..scenario import builtin_scenarios

    found = builtin_scenarios()
    fmt = output_format(fmt, as_json)
    if fmt == TableFormat.table:
        for name, desc in found.items():
            short = desc if len(desc) <= 100 else desc[:99].rsplit(" ", 1)[0] + "…"
            out.print(f"[bold]{name}[/]  {short}", highlight=False, soft_wrap=True)
        return
    data = TableData(["scenario", "description"])
    for name, desc in found.items():
        data.add_row(name, desc)
    emit_table(data, fmt, {"scenarios": found})


@app.command()
@handles_errors
def validate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A scenario or strategy YAML file.")],
    scenario: Annotated[str | None, typer.Option(metavar="SCENARIO",
                                                 help="Scenario to check a strategy's targets against.")] = None,
) -> None:
    """Check a scenario or strategy file.

    Exit 0 when valid; exit 2 with one clear message (file, field, line) when not.
    """
    from ..errors import InputError
    from ..scenario import Scenario, load_scenario
    from ..scenario_tables import uses_tables
    from ..schema import Checker
    from ..strategy import load_strategies
    from ..yamlio import load_yaml

    data, lines = load_yaml(file)
    Checker(str(file), lines).mapping(data, "", "a scenario or a strategy mapping at the top level")
    if {"scenario", "levers", "objectives"} <= set(data):  # a search file: not this command's kind
        raise InputError("is a search file; `counterflow validate` checks scenario and strategy files, and "
                         "`counterflow search FILE --store DIR` checks a search file before it runs anything",
                         file=str(file))
    if not {"steps", "jurisdictions", "nodes", "edges", "organisations", "markets", "parameters"} & set(data):
        sc = load_scenario(scenario) if scenario else None
        found = load_strategies(file, sc)
        for st in found:
            out.print(f"ok: strategy '{st.name}' ({len(st.levers)} lever{'' if len(st.levers) == 1 else 's'})", highlight=False)
        return
    s = load_scenario(file) if uses_tables(data) else Scenario.from_dict(data, file=str(file), lines=lines)
    out.print(f"ok: scenario '{s.name}' ({len(s.nodes)} nodes, {len(s.edges)} edges, "
              f"{len(s.organisations)} organisations, {len(s.strategies)} strategies)", highlight=False)


@app.command()
@handles_errors
def run(
    scenario: ScenarioArg,
    strategy: StrategyOpt = None,
    runs: RunsOpt = 20,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    out_dir: OutDirOpt = None,
    fmt: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Run replications of strategies on a scenario.

    Summarises each strategy and pairs it with the baseline run of the same seed.

    With --out DIR: runs.parquet (one row per strategy and replication), steps.parquet (one row per strategy, replication and step; a column per series, its unit in the name) and summary.json (what --json prints).
    """
    from ..outcomes import SUMMARY_OUTCOMES
    from ..runner import run_replications
    from ..scenario import load_scenario
    from ..strategy import resolve_strategies

    fmt = output_format(fmt, as_json)
    sc = load_scenario(scenario)
    strategies = resolve_strategies(sc, strategy or [])
    with progress_bar(runs * len(strategies), f"{sc.name}", enabled=True) as advance:
        res = run_replications(sc, strategies, runs=runs, seed=seed, steps=steps, progress=advance,
                               keep_steps=out_dir is not None)
    summary = res.summary()
    doc = json_doc(sc.name, summary, runs, seed, steps=steps or sc.steps, baseline=res.baseline)
    if out_dir is not None:
        written = write_results(res, out_dir, doc)
        doc["written"] = [str(p) for p in written]
        err.print(f"wrote {', '.join(map(str, written))}", highlight=False, markup=False, soft_wrap=True)
    nothing = averted_nothing(res)
    table = summary_table(summary, list(SUMMARY_OUTCOMES),  # the registry's, as compare, the report and the page
                          f"{sc.name}: {runs} replications, seed {seed} (median [5%, 95%])",
                          averted_nothing=nothing)
    table.notes.append("Flow reduction, recovery and displacement are paired with the baseline run of the same "
                       "seed. Harm and backlash are reported next to flow; numbers are illustrative, not forecasts.")
    if any(k for k, _ in nothing.values()):
        table.notes.append(UNDEFINED_COST_NOTE)
    emit_table(table, fmt, doc)
    raise ResultsShown()  # the results are out: the entry point may end the process without the teardown
