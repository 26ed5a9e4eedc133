"""``counterflow sweep``, ``analyze``, ``sensitivity`` and ``calibrate``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import InputError
from ..metrics import METRIC_LABELS
from . import app
from .common import err, fmt, handles_errors, out, print_json

ETHICS = ("Harm and backlash are reported next to flow; scenario numbers are illustrative, "
          "not forecasts or targeting advice.")


@contextmanager
def _progress(total: int, done: int, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled or not err.is_terminal:
        yield lambda n=1: None
        return
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), TextColumn("{task.fields[rate]} runs/s"), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=err) as prog:
        task = prog.add_task(description, total=total, completed=done, rate="-")
        start = prog.get_time()

        def advance(n: int = 1) -> None:
            t = prog.tasks[task]
            elapsed = prog.get_time() - start
            ran = t.completed + n - done
            prog.update(task, advance=n, rate=f"{ran / elapsed:.2f}" if elapsed > 0 else "-")

        yield advance


@app.command()
@handles_errors
def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment YAML file.")],
    store: Annotated[Path, typer.Option("--store", help="Store directory (created, or resumed if it exists).")],
    executor: Annotated[str, typer.Option(help="local (process pool), dask, or sequential.")] = "local",
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: CPU count; dask: 2).")] = None,
    address: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://HOST:8786.")] = None,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Run failed runs' chunks again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON report on stdout.")] = False,
) -> None:
    """Run every (sample, strategy, replication) of an experiment into a resumable Parquet store.

    Interrupt it at any point and run the same command again: only the missing runs are run.
    """
    from concurrent.futures.process import BrokenProcessPool

    from ..experiments import EXECUTORS, Store, load_experiment, open_executor, run_sweep

    if executor not in EXECUTORS:
        raise InputError(f"unknown executor '{executor}'; expected one of: {', '.join(EXECUTORS)}")
    if address and executor != "dask":
        raise InputError("--address needs --executor dask")
    exp = load_experiment(experiment)
    st = Store.create(store, exp, exp.design())  # takes the store's lock until the sweep ends
    try:
        for note in st.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        done = st.done_chunks() - (st.failed_chunks() if retry_errors else set())
        done_runs = sum(len(c) for i, c in enumerate(exp.chunks()) if i in done) * len(exp.strategies) \
            * exp.replications
        if not as_json:
            err.print(f"{exp.n_runs} runs: {exp.n_points} points ({exp.sampler}) x {len(exp.strategies)} strategies "
                      f"x {exp.replications} replications; {done_runs} already stored in {store}", highlight=False)
        try:
            with open_executor(executor, workers, address) as ex, \
                    _progress(exp.n_runs, done_runs, f"sweep {experiment.name}", not as_json) as advance:
                report = run_sweep(exp, st, ex, progress=advance, retry_errors=retry_errors)
        except KeyboardInterrupt:
            err.print(f"interrupted: {len(st.done_chunks())} of {len(exp.chunks())} chunks are stored; "
                      "run the same command to finish the rest", highlight=False)
            raise typer.Exit(130) from None
        except BrokenProcessPool:
            err.print(f"[bold red]error:[/] a worker process died; {len(st.done_chunks())} of {len(exp.chunks())} "
                      "chunks are stored; run the same command to finish the rest", highlight=False)
            raise typer.Exit(1) from None
    finally:
        st.unlock()
    from ..experiments.analysis import run_counts

    counts = run_counts(st)
    result = {"store": str(store), "runs": counts, "ran_now": report.ran_runs, "seconds": round(report.seconds, 3),
              "runs_per_second": round(report.runs_per_second, 3) if report.ran_runs else None}
    if as_json:
        print_json(result)
        return
    out.print(f"stored {counts['stored']} of {counts['expected']} runs in {store} "
              f"({report.ran_runs} now, {fmt(result['runs_per_second'])} runs/s); "
              f"{counts['failed']} failed", highlight=False)
    for e in counts["errors"]:
        out.print(f"  {e['runs']} x {e['error']}", style="red", highlight=False)
    out.print(f"next: counterflow analyze {store}", style="dim", highlight=False)


@app.command()
@handles_errors
def analyze(
    store: Annotated[Path, typer.Argument(help="Sweep store directory.")],
    outcome: Annotated[list[str] | None, typer.Option("--outcome", "-o", help="Outcome to report; repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """Quantiles of every outcome per strategy, and paired differences against the baseline."""
    from ..experiments.analysis import analyze as _analyze

    res = _analyze(store, outcome or None)
    if as_json:
        print_json(res)
        return
    r = res["runs"]
    title = (f"{res['scenario']}: {r['stored']} of {r['expected']} runs ({res['points']} points x "
             f"{res['replications']} replications, {res['sampler']}), {r['failed']} failed — "
             "median [5%, 95%]; Δ = mean paired difference vs baseline (95% CI)")
    table = Table(title=title, title_justify="left")
    table.add_column("outcome", style="bold")
    for name in res["strategies"]:
        table.add_column(name, justify="right")
    outcomes = list(next(iter(res["strategies"].values())))
    for o in outcomes:
        cells = []
        for per in res["strategies"].values():
            e = per[o]
            text = f"{fmt(e['p50'])} [{fmt(e['p05'])}, {fmt(e['p95'])}]"
            if e.get("diff_mean") is not None:
                text += f"\nΔ {fmt(e['diff_mean'])} ({fmt(e['diff_lo'])}..{fmt(e['diff_hi'])})"
            cells.append(text)
        table.add_row(METRIC_LABELS.get(o, o), *cells)
    out.print(table)
    if r["missing"]:
        out.print(f"{r['missing']} runs are missing: run the sweep command again to finish them", style="yellow")
    out.print(ETHICS, style="dim", highlight=False)


@app.command()
@handles_errors
def sensitivity(
    store: Annotated[Path, typer.Argument(help="Sweep store directory (sampled with sobol or morris).")],
    method: Annotated[str, typer.Option(help="sobol or morris (must match the store's sampler).")] = "sobol",
    outcome: Annotated[list[str] | None, typer.Option("--outcome", "-o", help="Outcome; repeatable.")] = None,
    strategy: Annotated[list[str] | None, typer.Option("--strategy", "-s", help="Strategy; repeatable.")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG bar chart path (default: STORE/sensitivity-METHOD.png).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the bootstrap confidence intervals.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """SALib sensitivity indices with 95% confidence intervals, per strategy and outcome, and a bar chart."""
    from ..experiments.sensitivity import plot_indices
    from ..experiments.sensitivity import sensitivity as _sens

    res = _sens(store, method, outcome or None, strategy or None, seed=seed)
    png = plot_indices(res, plot or Path(store) / f"sensitivity-{method}.png") if any(
        "error" not in v for per in res["strategies"].values() for v in per.values()) else None
    res["plot"] = str(png) if png else None
    if as_json:
        print_json(res)
        return
    cols = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "sigma", "mu")
    for s, per in res["strategies"].items():
        for o, v in per.items():
            t = Table(title=f"{METRIC_LABELS.get(o, o)} — {s}", title_justify="left")
            t.add_column("parameter", style="bold")
            if "error" in v:
                out.print(f"{o} — {s}: {v['error']}", style="yellow", highlight=False)
                continue
            for c in cols:
                t.add_column(c.replace("_conf", " ±"), justify="right")
            for p in res["parameters"]:
                t.add_row(p, *("-" if v[p][c] is None else f"{v[p][c]:.3f}" for c in cols))
            out.print(t)
    if png:
        out.print(f"bar chart: {png}", style="dim", highlight=False)


def _parse_param(text: str) -> tuple[str, float, float]:
    path, eq, rng = text.partition("=")
    lo, colon, hi = rng.partition(":")
    try:
        if not (eq and colon and path.strip()):
            raise ValueError
        return path.strip(), float(lo), float(hi)
    except ValueError:
        raise InputError(f"--param '{text}': write PATH=LOW:HIGH, e.g. "
                         "organisations.org_a.risk_aversion=0.5:2") from None


@app.command()
@handles_errors
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or scenario YAML path.")],
    observed: Annotated[Path, typer.Argument(help="CSV: a 'step' column and observed series (e.g. price:us_east).")],
    param: Annotated[list[str], typer.Option("--param", "-p", help="PATH=LOW:HIGH to fit; repeatable.")],
    strategy: Annotated[str, typer.Option(help="Strategy in force while the data were observed.")] = "baseline",
    samples: Annotated[int, typer.Option(min=2, help="Prior draws (Latin hypercube).")] = 200,
    accept: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of draws kept (closest to the data).")] = 0.1,
    replications: Annotated[int, typer.Option(min=1, help="Runs per draw (averaged).")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the prior draws and runs.")] = 0,
    store: Annotated[Path | None, typer.Option(help="Keep the calibration sweep here (resumable).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Fitted scenario YAML (default: NAME-fitted.yaml).")] = None,
    executor: Annotated[str, typer.Option(help="local, dask or sequential.")] = "local",
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    address: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """Fit parameters to an observed series by approximate Bayesian computation (rejection)."""
    import yaml

    from ..experiments import EXECUTORS, open_executor
    from ..experiments.calibrate import calibrate as _calibrate

    params = [_parse_param(p) for p in param]
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor '{executor}'; expected one of: {', '.join(EXECUTORS)}")
    with open_executor(executor, workers, address) as ex, \
            _progress(samples * replications * (1 if strategy == "baseline" else 2), 0, "calibrate",
                      not as_json) as advance:
        res = _calibrate(scenario, observed, params, strategy=strategy, samples=samples, accept=accept,
                         replications=replications, seed=seed, store=store, executor=ex, progress=advance)
    target = out_file or Path(f"{res.scenario.name}-fitted.yaml")
    target.write_text(yaml.safe_dump(res.scenario.to_dict(), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    data = res.to_json() | {"fitted_scenario": str(target)}
    if as_json:
        print_json(data)
        return
    t = Table(title=f"ABC rejection: {res.accepted} of {res.samples} draws kept (distance <= {res.epsilon:.3g})",
              title_justify="left")
    for c in ("parameter", "estimate (median)", "90% interval", "prior"):
        t.add_column(c, justify="left" if c == "parameter" else "right")
    for p, v in res.parameters.items():
        t.add_row(p, fmt(v["estimate"]), f"{fmt(v['lo'])} .. {fmt(v['hi'])}",
                  f"{fmt(v['prior_low'])} .. {fmt(v['prior_high'])}")
    out.print(t)
    f = Table(title="Fit of the posterior-predictive mean", title_justify="left")
    for c in ("series", "RMSE", "RMSE / sd", "R²"):
        f.add_column(c, justify="left" if c == "series" else "right")
    for c, v in res.fit.items():
        f.add_row(c, fmt(v["rmse"]), f"{v['nrmse']:.3f}", "-" if v["r2"] is None else f"{v['r2']:.3f}")
    out.print(f)
    out.print(f"fitted scenario: {target}", style="dim", highlight=False)
