"""``counterflow facts``: the stylised facts and seed claims, PASS/FAIL with paired 95 % intervals."""

from __future__ import annotations

from typing import Annotated

import typer

from . import app
from .common import ScenarioArg, SeedOpt, handles_errors, out, print_json, progress_bar


@app.command()
@handles_errors
def facts(
    scenario: ScenarioArg,
    seeds: Annotated[int, typer.Option("--runs", "--seeds", min=2, metavar="N",
                                       help="Paired replications (seeds) per strategy.")] = 50,
    seed: SeedOpt = 0,
    steps: Annotated[int | None, typer.Option(min=14, metavar="N",
                                              help="Horizon in steps (default: the scenario's, at most 52).")] = None,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes (results do not depend on it).")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON document on stdout.")] = False,
) -> None:
    """Check the five stylised facts and the seed claims on a scenario: PASS when the paired 95 % interval lies on
    the claimed side. What is struck, interdicted and blockaded is read from the network (see docs/model.md)."""
    from rich.table import Table
    from rich.text import Text

    from ..facts import FACTS, check_facts
    from ..scenario import load_scenario

    sc = load_scenario(scenario)
    with progress_bar(seeds, f"{sc.name} facts", enabled=not as_json) as advance:
        if workers > 1:
            from ..experiments import open_executor

            with open_executor("local", workers) as ex:
                res = check_facts(sc, seeds, seed=seed, steps=steps, executor=ex, progress=advance)
        else:
            res = check_facts(sc, seeds, seed=seed, steps=steps, progress=advance)
    doc = res.to_json()
    if as_json:
        print_json(doc)
        return
    s = res.setup
    out.print(f"{sc.name}: {seeds} paired seeds (seed {seed}), {s.steps} steps, first action at step {s.first}. "
              f"Main hub {s.main_hub} ({s.jurisdiction}); {len(s.routes)} routes carry flow; "
              f"{len(s.alternatives)} alternatives; position rule {s.position_rule}.", highlight=False, soft_wrap=True)
    t = Table(title="Stylised facts and seed claims: mean [95 % paired interval]; PASS when the interval lies on "
                    "the claimed side", title_justify="left")
    for heading in ("fact", "result", "effect", "claim (PASS when ...)"):
        t.add_column(heading, justify="right" if heading == "effect" else "left", overflow="fold")
    for f in FACTS:
        for c in (c for c in res.claims if c.fact == f):
            colour = "green" if c.passed else "red"
            t.add_row(Text(f), Text("PASS" if c.passed else "FAIL", style=colour),  # data, not markup
                      Text(f"{c.mean:.3g} [{c.lo:.3g}, {c.hi:.3g}] {c.unit}"),
                      Text(f"{c.claim} ({c.quantity}: {c.rule})"))
    out.print(t)
    passed = [f for f in doc["facts"] if doc["facts"][f] == "PASS"]
    out.print(f"{len(passed)} of {len(doc['facts'])} facts and claims pass. Harm and backlash are reported next to "
              "flow; the numbers are illustrative, not forecasts.", style="dim", highlight=False)
