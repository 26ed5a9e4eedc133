"""``counterflow search`` and ``counterflow front``: robust many-objective search over lever portfolios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from . import app
from .common import (
    AddressOpt,
    ExecutorOpt,
    MissingExtra,
    WorkersOpt,
    check_executor,
    check_report_path,
    err,
    handles_errors,
    out,
    pick_store,
    print_json,
    progress_bar,
    resumable,
    write_data,
)

ETHICS = ("Harm and backlash are reported next to flow; scenario numbers are illustrative, "
          "not forecasts or targeting advice.")


def _need_pymoo() -> None:
    """Exit 2 naming the extra when pymoo cannot be imported."""
    try:
        import pymoo  # noqa: F401
    except ImportError:
        raise MissingExtra("this needs the optional dependencies 'search' (pymoo missing); install them with: "
                           "pip install 'counterflow[search]'") from None


@app.command()
@handles_errors
def search(
    search_file: Annotated[Path, typer.Argument(metavar="SEARCH",
                                                help="Search YAML file (levers, objectives, futures...).")],
    store: Annotated[Path, typer.Option("--store", metavar="DIR",
                                        help="Store directory (created, or resumed if it exists).")],
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    warm_start: Annotated[Path | None, typer.Option("--warm-start", metavar="DIR",
                                                     help="An earlier search store: its front seeds the first generation.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON report on stdout.")] = False,
) -> None:
    """Search lever portfolios for the robust Pareto front of the file's objectives, under its constraints.

    Every portfolio runs on the same sampled futures and replication seeds. Interrupt it at any
    point and run the same command again: stored evaluations are replayed, only missing ones run.
    """
    _need_pymoo()
    from ..experiments import open_executor
    from ..search.engine import run_search
    from ..search.front import front as _front
    from ..search.front import warm_start_genes
    from ..search.spec import load_search
    from ..search.store import SearchStore

    check_executor(executor, workers, address)
    spec = load_search(search_file)
    warm = warm_start_genes(warm_start, spec) if warm_start else None
    # the executor first (it checks a Dask --address once): a refused address leaves no store behind
    with open_executor(executor, workers, address) as ex:
        st = SearchStore.create(store, spec, warm)  # takes the store's lock until the search ends
        try:
            for note in st.notes:
                err.print(f"[yellow]note:[/] {note}", highlight=False)
            if not as_json:
                err.print(f"{spec.evaluations} portfolios x {spec.futures} futures x {spec.replications} "
                          f"replications ({spec.algorithm}, population {spec.population}); {len(st.done())} "
                          f"already stored in {store}", highlight=False)
            with resumable(lambda: f"{len(st.done())} evaluations are stored"):
                report = run_search(spec, st, ex, warm=warm)
        finally:
            st.unlock()
    for note in report.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    data = _front(store)
    result = {"store": str(store), "evaluations": report.evaluations, "ran_now": report.ran,
              "replayed": report.replayed, "generations": report.generations,
              "out_of_sample_ran": report.oos_ran, "seconds": round(report.seconds, 3),
              "evaluations_per_second": round(report.evaluations_per_second, 4) if report.ran else None,
              "front": len(data["portfolios"]),
              "survive": sum(1 for p in data["portfolios"] if p["survives_out_of_sample"])}
    if as_json:
        print_json(result)
        return
    out.print(f"stored {report.evaluations} evaluations in {store} ({report.ran} now, {report.replayed} replayed); "
              f"front: {result['front']} portfolios, {result['survive']} survive out of sample", highlight=False)
    out.print(f"next: counterflow front {store} --report front.html", style="dim", highlight=False)


@app.command()
@handles_errors
def front(
    store_arg: Annotated[Path | None, typer.Argument(metavar="[STORE]", help="Search store directory (or --store).")] = None,
    store_opt: Annotated[Path | None, typer.Option("--store", metavar="DIR", help="Search store directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE",
                                                  help="Write the front as JSON (.json) or one row per portfolio (.csv).")] = None,
    report: Annotated[Path | None, typer.Option("--report", metavar="FILE.html",
                                                help="Write an HTML report (with its figures) here.")] = None,
    portfolio: Annotated[int | None, typer.Option("--portfolio", "-p", metavar="N",
                                                  help="Scenario discovery for this evaluation number.")] = None,
    futures: Annotated[int | None, typer.Option("--futures", metavar="N", min=0,
                                                help="Scenario discovery: run the portfolio on N fresh futures "
                                                     "first (default 64; 0: only the stored futures).")] = None,
) -> None:
    """The robust Pareto front of a search store: values with 95% intervals, out-of-sample survival, in words."""
    from ..search.front import DISCOVER_FUTURES, discover, front as _front  # noqa: I001

    check_report_path(report)
    if futures is not None and portfolio is None:
        raise InputError("--futures is for scenario discovery; give --portfolio N too")
    store = pick_store(store_arg, store_opt)
    data = _front(store)
    if portfolio is not None:
        n = DISCOVER_FUTURES if futures is None else futures
        with progress_bar(n, f"portfolio {portfolio} on fresh futures", enabled=n > 0 and not as_json,
                          unit="futures") as advance:  # discover() advances once per future
            data["discovery"] = discover(store, portfolio, n, progress=advance)
    if report is not None:
        _write_report(data, report)
        data["report"] = str(report)
    if out_file is not None:
        rows = [{"eval": p["eval"], "portfolio": p["description"], "cost_usd": p["cost_usd"],
                 "feasible": p["feasible"], "survives_out_of_sample": p["survives_out_of_sample"],
                 **{f"{k}_{part}": v[part] for k, v in p["objectives"].items() for part in ("value", "lo", "hi")},
                 # the evaluations the row stands for (same portfolio at the precision shown) and their ranges
                 "merged_evals": " ".join(map(str, p["merged"]["evals"])),  # every row has them (merge_shown)
                 **{f"{k}_merged_{end}": v for k, r in p["merged"]["ranges"].items()
                    for end, v in zip(("min", "max"), r, strict=True)}}
                for p in data["portfolios"]]
        write_data(out_file, data, rows)
    if as_json:
        print_json(data)
        return
    from rich.table import Table
    from rich.text import Text

    from ..report.front import discovery_words, front_table

    table = front_table(data)  # the cells the report and the page show
    t = Table(title=f"{data['scenario']}: robust front, {len(data['portfolios'])} portfolios of "
                    f"{data['evaluations']['stored']} evaluated ({data['futures']} futures x "
                    f"{data['replications']} replications); value [95% bootstrap interval]",
              title_justify="left")
    for i, col in enumerate(table["columns"]):
        t.add_column(Text(col), justify="left" if i in (1, len(table["columns"]) - 1) else "right")
    for row in table["rows"]:  # cells are data, not markup
        t.add_row(*(Text(str(cell)) for cell in row["cells"]))
    out.print(t)
    if not data["portfolios"]:
        out.print("no feasible portfolio was found (none meets the budget and constraints)", style="yellow")
    if portfolio is not None:
        out.print(f"portfolio {portfolio}: {discovery_words(data['discovery'])}", highlight=False)
    if report is not None:
        out.print(f"report: {report}", style="dim", highlight=False)
    out.print(ETHICS, style="dim", highlight=False)


def _write_report(data: dict, path: Path) -> None:
    from .. import __version__

    # the web page draws the same figures (report.specs.front_specs)
    from ..report.front import render_front_html

    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError("is a directory; give an .html file", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_front_html(data, __version__), encoding="utf-8")
