"""``counterflow compare``: paired differences of strategies against a baseline."""

from __future__ import annotations

from typing import Annotated

import typer

from . import app
from .common import (
    FormatOpt,
    JsonOpt,
    MetricOpt,
    OutDirOpt,
    ReportOpt,
    RunsOpt,
    ScenarioArg,
    SeedOpt,
    StepsOpt,
    StrategyOpt,
    TableData,
    TableFormat,
    check_report_path,
    emit_table,
    err,
    handles_errors,
    output_format,
    progress_bar,
)

__all__ = ["compare", "compare_json", "compare_table"]

def compare_json(results, metrics=None, scenario: str | None = None) -> dict:
    """The JSON document of ``compare``: scenario, strategies, runs, seed, baseline and the comparison."""
    from ..comparison import COMPARE_METRICS, METRIC_UNITS
    from ..report.tables import comparison

    metrics = list(metrics or COMPARE_METRICS)
    return {"scenario": scenario or results.scenario, "strategies": comparison(results, metrics),
            "runs": results.runs, "seed": results.seed, "baseline": results.baseline, "metrics": metrics,
            "units": {m: METRIC_UNITS.get(m, "") for m in metrics}}


def compare_table(doc: dict, title: str, metrics: list[str]) -> TableData:
    """The printed comparison: a row per metric, a column per strategy (the cells of the report and the page)."""
    from ..report.tables import cell, label

    names = list(doc["strategies"])
    data = TableData(["metric", *(nm + (" (baseline)" if nm == doc["baseline"] and nm != "baseline" else "")
                                  for nm in names)],
                     title=title)
    for m in metrics:
        cells = []
        for nm in names:
            c = cell(doc, nm, m)
            cells.append("\n".join(x for x in (c["value"] + (f" ({c['note']})" if c["note"] else ""),
                                                 c["delta"], c["better"]) if x))
        data.add_row(label(m), *cells)
    return data


@app.command()
@handles_errors
def compare(
    scenario: ScenarioArg,
    strategies: Annotated[list[str] | None, typer.Argument(
        metavar="STRATEGY", help="Strategies, as with -s (kept for compatibility).")] = None,
    strategy: StrategyOpt = None,
    baseline: Annotated[str, typer.Option(metavar="NAME|FILE", help="Strategy to compare against: carried by the "
                                          "scenario, or a strategy YAML file (default: no action).")] = "baseline",
    runs: RunsOpt = 20,
    seed: SeedOpt = 0,
    steps: StepsOpt = None,
    metric: MetricOpt = None,
    out_dir: OutDirOpt = None,
    report: ReportOpt = None,
    fmt_: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Compare strategies with a baseline (paired runs).

    Replication i uses the same random numbers under every strategy (common random numbers).

    Per metric: the strategy's mean, the mean paired difference from the baseline with a 95 % interval (Δ), and the share of replications in which the strategy did better than the baseline. Strategies are chosen with -s (or given after the scenario, as before).
    """
    from ..comparison import COMPARE_METRICS
    from ..comparison import compare as _compare
    from ..report.words import INTERVAL_NOTE, RECOVERY_NOTE
    from ..scenario import load_scenario
    from .run import write_results

    fmt_ = output_format(fmt_, as_json)
    check_report_path(report)
    metrics = list(metric or COMPARE_METRICS)
    sc = load_scenario(scenario)
    names = [*(strategies or []), *(strategy or [])]
    n = len(names or sc.strategy_names()) + 1 + (baseline != "baseline" and baseline not in names)
    with progress_bar(runs * n, f"{sc.name}", enabled=True) as advance:
        comp = _compare(sc, names or None, runs=runs, seed=seed, baseline=baseline, steps=steps, metrics=metrics,
                        progress=advance, keep_steps=report is not None or out_dir is not None,
                        keep_flows=report is not None)
    doc = comp.to_dict()
    if out_dir is not None:
        written = write_results(comp.results, out_dir, doc)
        doc["written"] = [str(p) for p in written]
        err.print(f"wrote {', '.join(map(str, written))}", highlight=False, markup=False, soft_wrap=True)
    if report is not None:
        path = comp.report(report)
        doc["report"] = str(path)
        err.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
    table = compare_table(doc, f"{sc.name}: {runs} paired replications, seed {seed}, against '{doc['baseline']}' "
                               "(mean; Δ = mean paired difference [95 % CI])", metrics)
    table.notes.append(
        "'better in N%': share of paired runs in which the strategy did better than the baseline (less delivered, "
        "more seized, fewer casualties...). Where some runs averted nothing (infinite cost per kg), the cell "
        "shows the median and Δ averages the other runs. " + RECOVERY_NOTE + " Harm, hardship and backlash are "
        "reported next to flow; numbers are illustrative, not forecasts.")
    table.notes.append(INTERVAL_NOTE)
    emit_table(table, fmt_, doc)
