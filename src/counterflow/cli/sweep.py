"""``counterflow sweep``, ``analyze``, ``sensitivity`` and ``calibrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..report.words import fmt
from . import app
from .common import (
    AddressOpt,
    ExecutorOpt,
    FormatOpt,
    JsonOpt,
    MetricOpt,
    OutFileOpt,
    StoredStrategyOpt,
    StoreOpt,
    TableData,
    TableFormat,
    WorkersOpt,
    check_executor,
    check_out_is_not_outcome,
    emit_table,
    err,
    handles_errors,
    json_doc,
    out,
    output_format,
    pick_store,
    print_json,
    progress_bar,
    require_extra,
    resumable,
    write_data,
)

ETHICS = ("Harm and backlash are reported next to flow; scenario numbers are illustrative, "
          "not forecasts or targeting advice.")


@app.command()
@handles_errors
def sweep(
    experiment: Annotated[Path, typer.Argument(metavar="EXPERIMENT", help="Experiment YAML file.")],
    store: Annotated[Path, typer.Option("--store", metavar="DIR",
                                        help="Store directory (created, or resumed if it exists).")],
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Run failed runs' chunks again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON report on stdout.")] = False,
) -> None:
    """Run an experiment into a resumable store.

    Every (sample, strategy, replication) of the experiment is run into a Parquet store.

    Interrupt it at any point and run the same command again: only the missing runs are run.
    """
    from ..experiments import Store, load_experiment, open_executor, run_sweep

    check_executor(executor, workers, address)
    exp = load_experiment(experiment)
    if exp.sampler in ("sobol", "morris"):
        require_extra("analysis", "SALib")
    # the executor first (it checks a Dask --address once): a refused address leaves no store behind
    with open_executor(executor, workers, address) as ex:
        st = Store.create(store, exp, exp.design())  # takes the store's lock until the sweep ends
        try:
            for note in st.notes:
                err.print(f"[yellow]note:[/] {note}", highlight=False)
            done = st.done_chunks() - (st.failed_chunks() if retry_errors else set())
            done_runs = sum(len(c) for i, c in enumerate(exp.chunks()) if i in done) * len(exp.strategies) \
                * exp.replications
            if not as_json:
                err.print(f"{exp.n_runs} runs: {exp.n_points} points ({exp.sampler}) x {len(exp.strategies)} "
                          f"strategies x {exp.replications} replications; {done_runs} already stored in {store}",
                          highlight=False)
            with resumable(lambda: f"{len(st.done_chunks())} of {len(exp.chunks())} chunks are stored"), \
                    progress_bar(exp.n_runs, f"sweep {experiment.name}", not as_json, done=done_runs) as advance:
                report = run_sweep(exp, st, ex, progress=advance, retry_errors=retry_errors)
        finally:
            st.unlock()
    from ..experiments.analysis import run_counts

    counts = run_counts(st)
    result = json_doc(exp.scenario_doc.get("name"), list(exp.strategies), counts, exp.seed,
                      store=str(store), ran_now=report.ran_runs, seconds=round(report.seconds, 3),
                      runs_per_second=round(report.runs_per_second, 3) if report.ran_runs else None)
    if as_json:
        print_json(result)
        return
    out.print(f"stored {counts['stored']} of {counts['expected']} runs in {store} "
              f"({report.ran_runs} now, {fmt(result['runs_per_second'], unit='runs/s')}); "
              f"{counts['failed']} failed", highlight=False)
    for e in counts["errors"]:
        out.print(f"  {e['runs']} x {e['error']}", style="red", highlight=False)
    out.print(f"next: counterflow analyze --store {store}", style="dim", highlight=False)


StoreArg = Annotated[Path | None, typer.Argument(metavar="[STORE]", help="Sweep store directory (or --store).")]


@app.command()
@handles_errors
def analyze(
    store_arg: StoreArg = None,
    store: StoreOpt = None,
    metric: MetricOpt = None,
    strategy: StoredStrategyOpt = None,
    out_file: OutFileOpt = None,
    fmt_: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Summarise a sweep store per strategy.

    Quantiles of every outcome per strategy, and paired differences against the baseline.
    """
    from ..experiments.analysis import analyze as _analyze
    from ..report.front import sweep_table

    check_out_is_not_outcome(out_file)
    fmt_ = output_format(fmt_, as_json)
    res = _analyze(pick_store(store_arg, store), metric or None)
    base = next(iter(res["strategies"]), None)  # the store's first strategy, before any --strategy filter
    if strategy:
        unknown = [s for s in strategy if s not in res["strategies"]]
        if unknown:
            raise InputError(f"no strategy '{unknown[0]}' in the store (strategies: {', '.join(res['strategies'])})",
                             path="--strategy")
        res["strategies"] = {k: v for k, v in res["strategies"].items() if k in strategy}
    rows = [{"strategy": s, "outcome": o, **e} for s, per in res["strategies"].items() for o, e in per.items()]
    if out_file is not None:
        write_data(out_file, res, rows)
        err.print(f"wrote {out_file}", highlight=False, markup=False, soft_wrap=True)
    r = res["runs"]
    title = (f"{res['scenario']}: {r['stored']} of {r['expected']} runs ({res['points']} points x "
             f"{res['replications']} replications, {res['sampler']}, seed {res['seed']}), {r['failed']} failed — "
             "median [5%, 95%]; Δ = mean paired difference vs baseline [95 % CI]")
    table = sweep_table(res, baseline=base)  # the cells the page shows: here the value and the difference
    data = TableData(["outcome", *table["strategies"]], title=title)
    for row in table["rows"]:
        data.add_row(row["label"], *(c["value"] + (f"\n{c['delta']}" if "delta" in c else "")
                                     for c in row["cells"].values()))
    if r["missing"]:
        data.notes.append(f"{r['missing']} runs are missing: run the sweep command again to finish them")
    data.notes.append(ETHICS)
    emit_table(data, fmt_, res)


@app.command()
@handles_errors
def sensitivity(
    store_arg: StoreArg = None,
    store: StoreOpt = None,
    method: Annotated[str, typer.Option(metavar="sobol|morris",
                                        help="sobol or morris (must match the store's sampler).")] = "sobol",
    metric: MetricOpt = None,
    strategy: StoredStrategyOpt = None,
    plot: Annotated[Path | None, typer.Option(metavar="FILE.png",
                    help="PNG bar chart path (default: STORE/sensitivity-METHOD.png).")] = None,
    seed: Annotated[int, typer.Option(min=0, metavar="SEED", help="Seed of the bootstrap confidence intervals.")] = 0,
    out_file: OutFileOpt = None,
    fmt_: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Sensitivity indices of a sweep store.

    SALib indices (Sobol or Morris) with 95% confidence intervals, per strategy and outcome, and a bar chart.
    """
    check_out_is_not_outcome(out_file)
    require_extra("analysis", "SALib")
    from ..experiments.sensitivity import plot_indices
    from ..experiments.sensitivity import sensitivity as _sens
    from ..experiments.store import Store
    from ..outcomes import LABELS

    fmt_ = output_format(fmt_, as_json)
    path = pick_store(store_arg, store)
    res = _sens(path, method, metric or None, strategy or None, seed=seed)
    meta = Store(path).metadata()
    res = json_doc(meta.get("scenario"), res.pop("strategies"), meta.get("n_runs"), meta.get("seed"),
                   bootstrap_seed=seed, **res)
    png = plot_indices(res, plot or Path(path) / f"sensitivity-{method}.png") if any(
        "error" not in v for per in res["strategies"].values() for v in per.values()) else None
    res["plot"] = str(png) if png else None
    cols = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf", "sigma", "mu")
    rows = [{"strategy": s, "outcome": o, "parameter": p, **v[p]}
            for s, per in res["strategies"].items() for o, v in per.items() if "error" not in v
            for p in res["parameters"]]
    if out_file is not None:
        write_data(out_file, res, rows)
        err.print(f"wrote {out_file}", highlight=False, markup=False, soft_wrap=True)
    if fmt_ == TableFormat.json:
        print_json(res)
        return
    tables = []
    for s, per in res["strategies"].items():
        for o, v in per.items():
            if "error" in v:
                err.print(f"{o} — {s}: {v['error']}", style="yellow", highlight=False)
                continue
            t = TableData(["parameter", *(c.replace("_conf", " ±") for c in cols)],
                          title=f"{LABELS.get(o, o)} — {s} (indices are unitless)")
            for p in res["parameters"]:
                t.add_row(p, *("-" if v[p][c] is None else f"{v[p][c]:.3f}" for c in cols))
            tables.append(t)
    for w in res.get("warnings", []):
        err.print(f"warning: {w}", style="yellow", highlight=False, soft_wrap=True)
    if png and tables:
        tables[-1].notes.append(f"bar chart: {png}")
    emit_table(tables, fmt_, res)


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
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="Built-in scenario name or scenario YAML path.")],
    observed: Annotated[Path, typer.Argument(metavar="OBSERVED.csv",
                        help="CSV: a 'step' column and observed series (e.g. price:us_east).")],
    param: Annotated[list[str], typer.Option("--param", "-p", metavar="PATH=LOW:HIGH",
                                             help="Parameter to fit and its prior range; repeatable.")],
    strategy: Annotated[str, typer.Option("--strategy", "-s", metavar="NAME|FILE",
                                          help="Strategy in force while the data were observed.")] = "baseline",
    samples: Annotated[int, typer.Option(min=2, metavar="N", help="Prior draws (Latin hypercube).")] = 200,
    accept: Annotated[float, typer.Option(min=0.0, max=1.0, metavar="SHARE",
                                          help="Share of draws kept (closest to the data).")] = 0.1,
    replications: Annotated[int, typer.Option(min=1, metavar="N", help="Runs per draw (averaged).")] = 1,
    seed: Annotated[int, typer.Option(min=0, metavar="SEED", help="Seed of the prior draws and runs.")] = 0,
    store: Annotated[Path | None, typer.Option(metavar="DIR",
                                               help="Keep the calibration sweep here (resumable).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE.yaml",
                        help="Fitted scenario YAML (default: NAME-fitted.yaml).")] = None,
    plot: Annotated[Path | None, typer.Option(metavar="FILE.png",
                    help="Posterior plot PNG (default: next to the fitted scenario).")] = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    fmt_: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Fit parameters to observed series.

    Approximate Bayesian computation (rejection) over a Latin-hypercube prior.
    """
    import yaml

    from ..experiments import open_executor
    from ..experiments.calibrate import calibrate as _calibrate

    check_executor(executor, workers, address)
    params = [_parse_param(p) for p in param]
    with open_executor(executor, workers, address) as ex, \
            progress_bar(samples * replications * (1 if strategy == "baseline" else 2), "calibrate",
                         not as_json) as advance:
        res = _calibrate(scenario, observed, params, strategy=strategy, samples=samples, accept=accept,
                         replications=replications, seed=seed, store=store, executor=ex, progress=advance)
    target = out_file or Path(f"{res.scenario.name}-fitted.yaml")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(res.scenario.to_dict(), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    from ..experiments.calibrate import plot_posterior

    png = plot_posterior(res, plot or target.with_name(target.stem + "-posterior.png"))
    data = res.to_json() | {"fitted_scenario": str(target), "plot": str(png)}
    data = json_doc(res.scenario.name, [strategy], samples * replications, seed,
                    **{k: v for k, v in data.items() if k not in ("scenario", "strategies", "runs", "seed")})
    t = TableData(["parameter", "estimate (median)", "90% interval", "prior", "width ratio"],
                  title=f"ABC rejection: {res.accepted} of {res.samples} draws kept (distance <= {res.epsilon:.3g})")
    for p, v in res.parameters.items():
        t.add_row(p, fmt(v["estimate"]), f"{fmt(v['lo'])} .. {fmt(v['hi'])}",
                  f"{fmt(v['prior_low'])} .. {fmt(v['prior_high'])}",
                  "-" if v["width_ratio"] is None else f"{v['width_ratio']:.2f}")
    f = TableData(["series", "RMSE", "RMSE / mean |observed|", "R²"],
                  title="Fit of the posterior-predictive mean (RMSE in the series' unit)")
    for c, v in res.fit.items():
        f.add_row(c, fmt(v["rmse"]), f"{v['nrmse']:.3f}", "-" if v["r2"] is None else f"{v['r2']:.3f}")
    fmt_ = output_format(fmt_, as_json)
    if fmt_ != TableFormat.json:
        for w in res.warnings:
            err.print(f"warning: {w}", style="yellow", highlight=False, soft_wrap=True)
    f.notes += [f"posterior plot: {png}", f"fitted scenario: {target}"]
    emit_table([t, f], fmt_, data)
