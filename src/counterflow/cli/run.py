"""``counterflow run``, ``validate`` and ``scenarios``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..runner import run_replications
from ..scenario import MAX_STEPS, Scenario, builtin_scenarios, load_scenario
from ..schema import Checker
from ..strategy import load_strategies, resolve_strategies
from ..yamlio import load_yaml
from . import app
from .common import err, handles_errors, out, print_json, progress_bar, summary_table

RUN_METRICS = ["delivered_kg", "seized_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct",
               "active_nodes", "route_entropy", "civilian_harm", "backlash", "cost_usd", "cost_per_kg_averted"]


@app.command()
@handles_errors
def scenarios() -> None:
    """List the built-in scenarios."""
    for name, desc in builtin_scenarios().items():
        short = desc if len(desc) <= 100 else desc[:99].rsplit(" ", 1)[0] + "…"
        out.print(f"[bold]{name}[/]  {short}", highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def validate(
    file: Annotated[Path, typer.Argument(help="A scenario or strategy YAML file.")],
    scenario: Annotated[str | None, typer.Option(help="Scenario to check a strategy's targets against.")] = None,
) -> None:
    """Check a scenario or strategy file; exit 0 when valid, 2 with a clear message when not."""
    data, lines = load_yaml(file)
    Checker(str(file), lines).mapping(data, "", "a scenario or a strategy mapping at the top level")
    if not {"steps", "jurisdictions", "nodes", "edges", "organisations", "markets", "parameters"} & set(data):
        sc = load_scenario(scenario) if scenario else None
        found = load_strategies(file, sc)
        for st in found:
            out.print(f"ok: strategy '{st.name}' ({len(st.levers)} levers)", highlight=False)
        return
    s = Scenario.from_dict(data, file=str(file), lines=lines)
    out.print(f"ok: scenario '{s.name}' ({len(s.nodes)} nodes, {len(s.edges)} edges, "
              f"{len(s.organisations)} organisations, {len(s.strategies)} strategies)", highlight=False)


@app.command()
@handles_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or scenario YAML path.")],
    strategy: Annotated[list[str] | None, typer.Option("--strategy", "-s",
                        help="Strategy carried by the scenario or a strategy file; repeatable. Default: all.")] = None,
    runs: Annotated[int, typer.Option(min=1, help="Replications per strategy.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Experiment seed (replication i uses the same seed under every strategy).")] = 0,
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, help="Horizon in steps (default: the scenario's).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write per-step trajectories and per-run metrics as Parquet here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON summary on stdout.")] = False,
) -> None:
    """Run replications of strategies on a scenario and summarise them against the baseline."""
    sc = load_scenario(scenario)
    strategies = resolve_strategies(sc, strategy or [])
    with progress_bar(runs * len(strategies), f"{sc.name}", enabled=True) as advance:
        res = run_replications(sc, strategies, runs=runs, seed=seed, steps=steps, progress=advance,
                               keep_steps=out_dir is not None)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        res.steps().to_parquet(out_dir / "steps.parquet", index=False)
        res.table().to_parquet(out_dir / "runs.parquet", index=False)
        if not as_json:
            err.print(f"wrote {out_dir / 'steps.parquet'} and {out_dir / 'runs.parquet'}", highlight=False)
    summary = res.summary()
    if as_json:
        print_json({"scenario": sc.name, "runs": runs, "seed": seed, "strategies": summary})
        return
    out.print(summary_table(summary, RUN_METRICS,
                            f"{sc.name}: {runs} replications, seed {seed} (median [5%, 95%])"))
    out.print("Flow reduction, recovery and displacement are paired with the baseline run of the same seed. "
              "Harm and backlash are reported next to flow; numbers are illustrative, not forecasts.",
              style="dim", highlight=False)
