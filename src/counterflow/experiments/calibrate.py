"""Calibration by approximate Bayesian computation (ABC rejection) over a sweep.

Method
------
1. Draw ``samples`` parameter points from the uniform prior over the given
   ranges (a Latin hypercube) and run the scenario under the chosen strategy
   at each point, ``replications`` times, through the ordinary sweep machinery
   (so calibration runs in parallel, on Dask if wanted, and resumes).
2. For each point, average the simulated series over replications and
   compute its distance to the observed series: the root mean square over
   observed columns and steps of ``(simulated − observed) / scale``, where
   ``scale`` is the column's mean absolute observed value (a relative error,
   so kilograms and dollars weigh the same; 1 for an all-zero column).
3. Keep the ``accept`` fraction of points closest to the observations. Their
   parameter values are a sample of the approximate posterior: the point
   estimate is their median, the interval their 5 % and 95 % quantiles (a
   90 % credible interval).
4. Fit statistics compare the observations with the posterior-predictive mean
   series (the mean over accepted points), per column: ``rmse`` (root mean
   square error, in the column's unit), ``nrmse`` (RMSE divided by the mean
   absolute observed value of the column — not by its standard deviation) and
   ``r2`` (1 − mean squared error / variance of the observations; below 0 the
   fit is worse than a flat line at the observed mean). The fitted scenario
   sets each parameter to its estimate.
5. Identifiability: per parameter, ``width_ratio`` is the width of the 90 %
   posterior interval over the width of the prior range. A uniform prior's own
   90 % interval has ratio 0.9, so a ratio near it means the data say little
   about the parameter; above :data:`WIDTH_RATIO_WARN` (0.7) the result carries
   a warning. Poor fits (R² < 0) are warned about too. :func:`plot_posterior`
   draws the accepted draws against the prior.

Observations are a CSV with a ``step`` column (0 = the first simulated
step) and one column per series, named as in the store's steps table:
``delivered``, ``seized``, ``price:us_east``, ``delivered:eu_west``,
``revenue:org_a``...
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.record import SERIES
from ..errors import InputError
from ..scenario import Scenario
from .execute import run_sweep
from .spec import apply_values, parse_experiment
from .store import Store

__all__ = ["calibrate", "read_observations", "series_names", "Calibration", "plot_posterior", "WIDTH_RATIO_WARN",
           "FIT_STATISTICS"]

#: Posterior-to-prior width ratio above which a parameter is reported as poorly identified.
WIDTH_RATIO_WARN = 0.7
#: What each fit statistic computes (the labels tables and JSON use).
FIT_STATISTICS = {
    "rmse": "RMSE: root mean square of (posterior-predictive mean - observed), in the series' unit",
    "nrmse": "RMSE / mean |observed|: the RMSE relative to the series' mean absolute level (not its sd)",
    "r2": "R²: 1 - mean squared error / variance of the observed series (< 0: worse than the observed mean)",
}


def series_names(scenario: Scenario) -> list[str]:
    """Column names a calibration target may use (those of the steps table)."""
    markets = [m.node for m in scenario.markets]
    orgs = [o.id for o in scenario.organisations]
    out = []
    for name, (kind, _) in SERIES.items():
        if kind == "scalar":
            out.append(name)
            continue
        if name != "price":
            out.append(name)
        out += [f"{name}:{i}" for i in (markets if kind == "market" else orgs)]
    return out


def read_observations(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """Read and check an observations CSV; return it indexed by step."""
    p = Path(path)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise InputError("file not found", file=str(p)) from None
    if not rows or not rows[0]:
        raise InputError("the file is empty", file=str(p))
    header = [h.strip() for h in rows[0]]
    if "step" not in header:
        raise InputError("needs a 'step' column (0 = first simulated step)", file=str(p), line=1)
    known = series_names(scenario)
    cols = [h for h in header if h != "step"]
    if not cols:
        raise InputError("needs at least one observed series next to 'step'", file=str(p), line=1)
    for h in cols:
        if h not in known:
            raise InputError(f"unknown series '{h}'; known: {', '.join(known)}", file=str(p), path=h, line=1)
    data: dict[str, list[float]] = {h: [] for h in header}
    for ln, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} values, got {len(row)}", file=str(p), line=ln)
        for h, c in zip(header, row, strict=True):
            c = c.strip()
            try:
                v = float(c) if c else math.nan
            except ValueError:
                raise InputError(f"expected a number, got '{c}'", file=str(p), path=h, line=ln) from None
            if h == "step" and (not c or v != int(v) or v < 0):
                raise InputError(f"a step is a whole number >= 0, got '{c}'", file=str(p), path=h, line=ln)
            if h != "step" and not (math.isnan(v) or math.isfinite(v)):
                raise InputError(f"'{c}' is not a finite number", file=str(p), path=h, line=ln)
            data[h].append(v)
    df = pd.DataFrame(data)
    if df.empty:
        raise InputError("holds no observations", file=str(p))
    df["step"] = df["step"].astype(int)
    dup = df["step"].duplicated()
    if dup.any():
        raise InputError(f"step {int(df['step'][dup].iloc[0])} appears twice", file=str(p), path="step")
    return df.set_index("step").sort_index()


@dataclass
class Calibration:
    """Result of :func:`calibrate`."""

    parameters: dict[str, dict]          # path -> {estimate, lo, hi, mean, sd, prior_low, prior_high, width_ratio}
    fit: dict[str, dict]                 # column -> {rmse, nrmse, r2} (see FIT_STATISTICS)
    accepted: int
    samples: int
    epsilon: float
    scenario: Scenario
    posterior: pd.DataFrame = field(repr=False)
    predicted: pd.DataFrame = field(repr=False)
    store: str = ""
    draws: pd.DataFrame | None = field(default=None, repr=False)  # every prior draw with its distance
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"method": "ABC rejection (uniform prior, Latin hypercube, scaled RMS distance)",
                "parameters": self.parameters, "fit": self.fit, "fit_statistics": dict(FIT_STATISTICS),
                "warnings": list(self.warnings), "accepted": self.accepted,
                "samples": self.samples, "epsilon": self.epsilon, "store": self.store}


def _warnings(parameters: dict[str, dict], fit: dict[str, dict]) -> list[str]:
    out = []
    for p, v in parameters.items():
        if v["width_ratio"] is not None and v["width_ratio"] > WIDTH_RATIO_WARN:
            out.append(f"'{p}' is poorly identified: its 90 % posterior interval covers "
                       f"{100 * v['width_ratio']:.0f} % of the prior range (above {100 * WIDTH_RATIO_WARN:.0f} %; "
                       "a uniform prior's own 90 % interval covers 90 %): these data say little about it")
    for c, v in fit.items():
        if v["r2"] is not None and v["r2"] < 0:
            out.append(f"the fit of '{c}' is worse than its observed mean (R² = {v['r2']:.3f}): "
                       "the posterior-predictive series explains less than a flat line would")
    return out


def plot_posterior(cal: Calibration, path: str | Path) -> Path:
    """Histogram per parameter of the accepted draws (posterior) over every draw (prior), saved as PNG.

    Each panel marks the estimate (median) and the 90 % interval and gives the width ratio.
    """
    from matplotlib.figure import Figure

    names = list(cal.parameters)
    fig = Figure(figsize=(4.2 * min(3, len(names)), 3.0 * -(-len(names) // 3)))
    axes = fig.subplots(-(-len(names) // 3), min(3, len(names)), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        v = cal.parameters[name]
        bins = np.linspace(v["prior_low"], v["prior_high"], 21) if v["prior_high"] > v["prior_low"] else 10
        if cal.draws is not None:
            ax.hist(cal.draws[name], bins=bins, density=True, color="0.82", label=f"prior draws ({cal.samples})")
        ax.hist(cal.posterior[name], bins=bins, density=True, alpha=0.75, color="tab:blue",
                label=f"accepted ({cal.accepted})")
        ax.axvline(v["estimate"], color="tab:red", lw=1.5, label="estimate (median)")
        ax.axvspan(v["lo"], v["hi"], color="tab:red", alpha=0.12, label="90 % interval")
        ratio = v["width_ratio"]
        flag = " — poorly identified" if ratio is not None and ratio > WIDTH_RATIO_WARN else ""
        ax.set_title(f"{name if len(name) < 40 else '…' + name[-39:]}\nwidth ratio "
                     f"{'-' if ratio is None else f'{ratio:.2f}'}{flag}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle("ABC posterior (accepted draws) against the uniform prior", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def calibrate(
    scenario: str,
    observed: str | Path,
    params: list[tuple[str, float, float]],
    *,
    strategy: str = "baseline",
    samples: int = 200,
    accept: float = 0.1,
    replications: int = 1,
    seed: int = 0,
    store: str | Path | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Fit ``params`` (``(path, low, high)``) of ``scenario`` to an observed series by ABC rejection.

    See the module docstring for the method. ``store`` keeps the calibration
    sweep (resumable); by default it goes to a temporary directory.
    """
    if not params:
        raise InputError("give at least one parameter to fit (--param PATH=LOW:HIGH)")
    if not 0 < accept <= 1:
        raise InputError(f"accept must be a share in (0, 1], got {accept}")
    uncs = [{"path": p, "low": lo, "high": hi} for p, lo, hi in params]
    draft = parse_experiment({"scenario": scenario, "strategies": [strategy] if strategy != "baseline" else [],
                              "uncertainties": uncs, "sampler": "lhs", "samples": 2})
    base = Scenario.from_dict(draft.scenario_doc)
    obs = read_observations(observed, base)
    exp = parse_experiment({
        "scenario": scenario, "strategies": list(draft.strategies[1:]), "uncertainties": uncs, "sampler": "lhs",
        "samples": samples, "replications": replications, "seed": seed, "steps": int(obs.index.max()) + 1,
        "outcomes": ["delivered_kg"], "store_steps": True,
        "description": f"ABC calibration against {Path(observed).name}",
    })
    folder = Path(store) if store is not None else Path(tempfile.mkdtemp(prefix="counterflow-calibrate-"))
    run_sweep(exp, str(folder), executor, progress=progress)
    st = Store(folder)
    cols = list(obs.columns)
    sel = ", ".join(f'avg("{c}") AS "{c}"' for c in cols)
    steps_list = ", ".join(str(int(s)) for s in obs.index)
    sim = st.connect().execute(
        f"SELECT sample, step, {sel} FROM steps WHERE strategy = ? AND step IN ({steps_list}) "
        "GROUP BY sample, step ORDER BY sample, step", [strategy]).df()
    design = exp.design()
    o = obs.to_numpy(dtype=float)
    scale = np.nanmean(np.abs(o), axis=0)
    flat = ~(scale > 0)
    scale[flat] = 1.0
    dist = np.full(len(design), np.inf)
    series: dict[int, np.ndarray] = {}
    for sample, grp in sim.groupby("sample"):
        g = grp.set_index("step").reindex(obs.index)[cols].to_numpy(dtype=float)
        series[int(sample)] = g
        z = ((g - o) / scale) ** 2
        if np.isfinite(z).any():
            dist[int(sample)] = math.sqrt(np.nanmean(z))
    finite = np.flatnonzero(np.isfinite(dist))
    if finite.size < 2:
        raise InputError("fewer than 2 calibration runs succeeded; see the store's runs table for errors")
    k = max(2, int(round(accept * finite.size)))
    keep = finite[np.argsort(dist[finite], kind="stable")[:k]]
    post = pd.DataFrame(design[keep], columns=exp.names)
    post.insert(0, "sample", keep)
    post["distance"] = dist[keep]
    estimates = post[exp.names].median().to_numpy()
    par = {}
    for j, u in enumerate(exp.uncertainties):
        v = post[u.path].to_numpy()
        lo, hi = float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))
        par[u.path] = {"estimate": float(estimates[j]), "lo": lo, "hi": hi, "mean": float(v.mean()),
                       "sd": float(v.std(ddof=1)), "prior_low": u.low, "prior_high": u.high,
                       "width_ratio": (hi - lo) / (u.high - u.low) if u.high > u.low else None}
    pred = np.nanmean(np.stack([series[i] for i in keep]), axis=0)
    fit = {}
    for j, c in enumerate(cols):
        ok = ~np.isnan(o[:, j]) & ~np.isnan(pred[:, j])
        err = pred[ok, j] - o[ok, j]
        rmse = float(np.sqrt(np.mean(err**2))) if ok.any() else math.nan
        var = float(np.var(o[ok, j])) if ok.any() else 0.0
        fit[c] = {"rmse": rmse, "nrmse": rmse / scale[j],
                  "r2": 1.0 - float(np.mean(err**2)) / var if var > 0 else None}
    fitted = Scenario.from_dict(apply_values(exp.scenario_doc, exp.uncertainties, estimates))
    draws = pd.DataFrame(design, columns=exp.names)
    draws["distance"] = dist
    return Calibration(par, fit, int(k), int(len(design)), float(dist[keep].max()), fitted, post,
                       pd.DataFrame(pred, index=obs.index, columns=cols), str(folder), draws, _warnings(par, fit))
