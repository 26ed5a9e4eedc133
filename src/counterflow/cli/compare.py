"""``counterflow compare``: paired differences of strategies against a baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..outcomes import LABELS
from ..report.tables import COMPARE_METRICS, comparison
from ..runner import run_replications
from ..scenario import MAX_STEPS, load_scenario
from ..strategy import resolve_strategies
from . import app
from .common import err, fmt, handles_errors, out, print_json, progress_bar

__all__ = ["compare", "compare_json"]

# metrics where "better than the baseline in N % of runs" says something (not costs, not already-paired ones)
_BEATS = {"delivered_kg", "seized_kg", "flow_reduction_pct", "civilian_harm", "hardship", "backlash"}


def compare_json(results, metrics=None) -> dict:
    """The JSON document of ``compare``: baseline, runs, seed and per strategy and metric the comparison."""
    return {"baseline": results.baseline, "runs": results.runs, "seed": results.seed,
            "strategies": comparison(results, metrics)}


def _table(doc: dict, title: str, metrics: list[str]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric", style="bold")
    names = list(doc["strategies"])
    for nm in names:
        table.add_column(nm + (" (baseline)" if nm == doc["baseline"] else ""), justify="right")
    for m in metrics:
        cells = []
        for nm in names:
            e = doc["strategies"][nm].get(m)
            if e is None:
                cells.append("")
                continue
            value = e["mean"] if e["mean"] is not None else e["p50"]
            if value is None:
                text = "never" if m == "recovery_steps" else "-"
            else:
                text = fmt(value)
                if e["mean"] is None and m == "recovery_steps":
                    text += " (median; some never)"
            if nm != doc["baseline"] and e.get("diff_mean") is not None:
                text += f"\nΔ {fmt(e['diff_mean'])} [{fmt(e['diff_lo'])}, {fmt(e['diff_hi'])}]"
                if e.get("beats_pct") is not None and m in _BEATS:
                    text += f"\nbetter in {e['beats_pct']:.0f}%"
            cells.append(text)
        table.add_row(LABELS.get(m, m), *cells)
    return table


@app.command()
@handles_errors
def compare(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or scenario YAML path.")],
    strategies: Annotated[list[str] | None, typer.Argument(
        help="Strategies carried by the scenario or strategy files (default: all the scenario carries).")] = None,
    baseline: Annotated[str, typer.Option(help="Strategy to compare against (default: no action).")] = "baseline",
    runs: Annotated[int, typer.Option(min=1, help="Replications (paired: the same seeds for every strategy).")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Experiment seed.")] = 0,
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, help="Horizon in steps (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the comparison as JSON on stdout.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the HTML report (and PNG figures) here.")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", "-m",
                      help=f"Only these metrics (repeatable; default: all of {', '.join(COMPARE_METRICS)}).")] = None,
) -> None:
    """Compare strategies with a baseline under common random numbers.

    Per metric: the strategy's mean and 5/50/95 % quantiles, the mean paired
    difference from the baseline with a 95 % interval, and the share of
    replications in which the strategy did better than the baseline.
    """
    metrics = list(metric or COMPARE_METRICS)
    unknown = [m for m in metrics if m not in COMPARE_METRICS]
    if unknown:
        raise InputError(f"unknown metric '{unknown[0]}'; expected one of: {', '.join(COMPARE_METRICS)}")
    sc = load_scenario(scenario)
    names = list(strategies or []) or sc.strategy_names()
    wanted = ([baseline] if baseline != "baseline" else []) + names
    resolved = resolve_strategies(sc, wanted)
    if baseline not in {s.name for s in resolved}:
        raise InputError(f"baseline '{baseline}' is not among the strategies run")
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report should name an .html file, got '{report}'")
    with progress_bar(runs * len(resolved), f"{sc.name}", enabled=True) as advance:
        res = run_replications(sc, resolved, runs=runs, seed=seed, steps=steps, progress=advance,
                               keep_steps=report is not None)
    res.baseline = baseline
    doc = compare_json(res, metrics)
    if report is not None:
        from ..report import write_report

        path = write_report(sc, res, report, resolved)
        err.print(f"wrote {path}", highlight=False)
    if as_json:
        print_json(doc)
        return
    out.print(_table(doc, f"{sc.name}: {runs} paired replications, seed {seed}, against '{baseline}' "
                          "(mean; Δ = mean paired difference [95 % CI])", metrics))
    out.print("'better in N%': share of paired runs in which the strategy did better than the baseline "
              "(less delivered, more seized, fewer casualties...). Where some runs averted nothing (infinite cost "
              "per kg) or never recovered, the cell shows the median and Δ averages the other runs. Harm, hardship and backlash are reported next to flow; numbers are illustrative, "
              "not forecasts.", style="dim", highlight=False)
