"""``counterflow search`` and ``counterflow front``: robust many-objective search over lever portfolios."""

from __future__ import annotations

import base64
import html
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
    check_report_path,
    err,
    fmt,
    handles_errors,
    out,
    pick_store,
    print_json,
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
    from concurrent.futures.process import BrokenProcessPool

    from ..experiments import EXECUTORS, open_executor
    from ..search.engine import run_search
    from ..search.front import front as _front
    from ..search.front import warm_start_genes
    from ..search.spec import load_search
    from ..search.store import SearchStore

    if executor not in EXECUTORS:
        raise InputError(f"unknown executor '{executor}'; expected one of: {', '.join(EXECUTORS)}")
    if address and executor != "dask":
        raise InputError("--address needs --executor dask")
    spec = load_search(search_file)
    warm = warm_start_genes(warm_start, spec) if warm_start else None
    st = SearchStore.create(store, spec, warm)
    if not as_json:
        err.print(f"{spec.evaluations} portfolios x {spec.futures} futures x {spec.replications} replications "
                  f"({spec.algorithm}, population {spec.population}); {len(st.done())} already stored in {store}",
                  highlight=False)
    try:
        with open_executor(executor, workers, address) as ex:
            report = run_search(spec, st, ex, warm=warm)
    except KeyboardInterrupt:
        err.print(f"interrupted: {len(st.done())} evaluations are stored; run the same command to resume",
                  highlight=False)
        raise typer.Exit(130) from None
    except BrokenProcessPool:
        err.print(f"error: a worker process died; {len(st.done())} evaluations are stored; run the same command "
                  "to resume", highlight=False)
        raise typer.Exit(1) from None
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
) -> None:
    """The robust Pareto front of a search store: values with 95% intervals, out-of-sample survival, in words."""
    from ..search.front import discover, front as _front  # noqa: I001

    check_report_path(report)
    store = pick_store(store_arg, store_opt)
    data = _front(store)
    if portfolio is not None:
        data["discovery"] = discover(store, portfolio)
    if report is not None:
        _write_report(data, report)
        data["report"] = str(report)
    if out_file is not None:
        rows = [{"eval": p["eval"], "portfolio": p["description"], "cost_usd": p["cost_usd"],
                 "feasible": p["feasible"], "survives_out_of_sample": p["survives_out_of_sample"],
                 **{f"{k}_{part}": v[part] for k, v in p["objectives"].items() for part in ("value", "lo", "hi")}}
                for p in data["portfolios"]]
        write_data(out_file, data, rows)
    if as_json:
        print_json(data)
        return
    objs = data["objectives"]
    from rich.table import Table

    t = Table(title=f"{data['scenario']}: robust front, {len(data['portfolios'])} portfolios of "
                    f"{data['evaluations']['stored']} evaluated ({data['futures']} futures x "
                    f"{data['replications']} replications); value [95% bootstrap interval]",
              title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("portfolio")
    for o in objs:
        t.add_column(f"{o['name']} ({o['robustness']}, {o['direction']})", justify="right")
    t.add_column("cost (USD)", justify="right")
    t.add_column("out of sample")
    for p in data["portfolios"]:
        cells = [f"{fmt(e['value'])} [{fmt(e['lo'])}, {fmt(e['hi'])}]" for e in
                 (p["objectives"][o["name"]] for o in objs)]
        s = p["survives_out_of_sample"]
        t.add_row(str(p["eval"]), p["description"], *cells, fmt(p["cost_usd"]),
                  "survives" if s else ("dominated" if s is False else "not checked"))
    out.print(t)
    if not data["portfolios"]:
        out.print("no feasible portfolio was found (none meets the budget and constraints)", style="yellow")
    if portfolio is not None:
        d = data["discovery"]
        out.print(f"portfolio {portfolio} fails in {d['failing']} of {d['futures']} futures", highlight=False)
        if d["box"]:
            out.print(f"  PRIM box (density {d['box']['density']:.2f}, coverage {d['box']['coverage']:.2f}): "
                      f"{d['box']['box']}", highlight=False)
        else:
            out.print(f"  {d['note']}", highlight=False)
    if report is not None:
        out.print(f"report: {report}", style="dim", highlight=False)
    out.print(ETHICS, style="dim", highlight=False)


def _write_report(data: dict, path: Path) -> None:
    import tempfile

    from ..search.front import plot_front

    path = Path(path)
    if path.exists() and path.is_dir():
        raise InputError("is a directory; give an .html file", file=str(path))
    with tempfile.TemporaryDirectory() as tmp:
        imgs = [(p.name, base64.b64encode(p.read_bytes()).decode()) for p in plot_front(data, tmp)]
    e = html.escape
    objs = data["objectives"]
    rows = []
    for p in data["portfolios"]:
        cells = "".join(f"<td>{fmt(v['value'])} <small>[{fmt(v['lo'])}, {fmt(v['hi'])}]</small></td>"
                        for v in (p["objectives"][o["name"]] for o in objs))
        s = p["survives_out_of_sample"]
        rows.append(f"<tr><td>{p['eval']}</td><td>{e(p['description'])}</td>{cells}<td>{fmt(p['cost_usd'])}</td>"
                    f"<td>{'survives' if s else ('dominated' if s is False else 'not checked')}</td></tr>")
    head = "".join(f"<th>{e(o['label'])}<br><small>{e(o['robustness'])}, {e(o['direction'])}</small></th>"
                   for o in objs)
    disc = ""
    if data.get("discovery"):
        d = data["discovery"]
        disc = (f"<h2>Scenario discovery: portfolio {d['eval']}</h2><p>It fails its thresholds in {d['failing']} "
                f"of {d['futures']} futures ({e(', '.join(d['reasons'])) or 'none'}).</p>")
        disc += (f"<p>{e(d['method'])}: box {e(str(d['box']['box']))}, density {d['box']['density']:.2f}, "
                 f"coverage {d['box']['coverage']:.2f}.</p>" if d["box"] else f"<p>{e(d['note'])}.</p>")
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>Search front: {e(data['scenario'])}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 6px;font-size:13px;vertical-align:top}}img{{max-width:100%}}</style>
</head><body><h1>Robust front: {e(data['scenario'])}</h1>
<p>{data['evaluations']['stored']} portfolios evaluated on {data['futures']} futures x {data['replications']}
replications (common random numbers, seed {data['seed']}); budget {fmt(data['budget_usd'])} USD;
constraints: {e('; '.join(data['constraints']) or 'none')}. Values are the robustness statistic with a 95 %
bootstrap interval over futures x replications. "Survives" means that on {data['out_of_sample']['futures']} fresh
futures x {data['out_of_sample']['replications']} fresh seeds no other front member dominates it with 95 %
confidence and its constraints still hold.</p>
<table><tr><th>#</th><th>portfolio</th>{head}<th>cost (USD)</th><th>out of sample</th></tr>{''.join(rows)}</table>
{''.join(f'<p><img alt="{e(n)}" src="data:image/png;base64,{b}"></p>' for n, b in imgs)}
{disc}<p><small>{e(ETHICS)}</small></p></body></html>"""
    path.write_text(body, encoding="utf-8")
