"""Global sensitivity analysis of a sweep with SALib: Sobol' indices or Morris elementary effects.

The outcome of a sampled point is its mean over replications (per strategy),
so the indices describe how the uncertain parameters drive the expected
outcome; the replication noise goes into what no parameter explains.
``sobol`` needs a store sampled with ``sampler: sobol`` and ``morris`` one
sampled with ``sampler: morris``.

Guard rails: the result carries ``warnings`` (also printed by the command)
when the sample is too small for the method (Sobol' base size N below
:data:`MIN_SOBOL_N`, Morris trajectories below :data:`MIN_MORRIS_TRAJECTORIES`),
when an index's 95 % interval is wider than the index itself (the index is not
distinguishable from zero at this sample size), and whatever SALib warned about
while computing them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from .store import Store

__all__ = ["sensitivity", "indices", "plot_indices", "sample_warnings", "interval_warnings", "METHODS",
           "MIN_SOBOL_N", "MIN_MORRIS_TRAJECTORIES"]

METHODS = ("sobol", "morris")
#: Below this Saltelli base size N, Sobol' indices and their bootstrap intervals are unreliable
#: (Saltelli et al. 2010 use N in the hundreds to thousands; SALib's examples use 1024).
MIN_SOBOL_N = 64
#: Below this many trajectories, Morris' mu* ranks are unreliable (Campolongo et al. 2007 use 10 to 50).
MIN_MORRIS_TRAJECTORIES = 10


def _clean(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def sample_warnings(method: str, points: int, dims: int) -> list[str]:
    """A warning when ``points`` design points are too few for ``method`` with ``dims`` parameters."""
    if method == "sobol":
        n = points // (dims + 2)
        if n < MIN_SOBOL_N:
            return [f"the Sobol' base size is N = {n} ({points} points for {dims} parameters); below "
                    f"N = {MIN_SOBOL_N} the indices and their intervals are unreliable: sample more"]
    elif method == "morris":
        r = points // (dims + 1)
        if r < MIN_MORRIS_TRAJECTORIES:
            return [f"only {r} Morris trajectories ({points} points for {dims} parameters); below "
                    f"{MIN_MORRIS_TRAJECTORIES} the elementary effects are unreliable: sample more"]
    return []


def interval_warnings(method: str, result: dict, where: str = "") -> list[str]:
    """A warning per index whose 95 % interval half-width exceeds the index's absolute value."""
    pairs = (("S1", "S1_conf"), ("ST", "ST_conf")) if method == "sobol" else (("mu_star", "mu_star_conf"),)
    out = []
    for name, v in result.items():
        for key, conf in pairs:
            x, c = v.get(key), v.get(conf)
            if x is not None and c is not None and c > abs(x):
                out.append(f"{where}{name}: {key} = {x:.3g} ± {c:.3g}, the interval is wider than the index "
                           "(not distinguishable from 0 at this sample size)")
    return out


def indices(method: str, problem: dict, X: np.ndarray, Y: np.ndarray, *, seed: int = 0,
            levels: int = 4, num_resamples: int = 200, warn: list[str] | None = None) -> dict:
    """SALib indices of one outcome ``Y`` over the design ``X``, per parameter.

    Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (first-order and total
    indices with 95 % bootstrap half-widths). Morris: ``mu_star``,
    ``mu_star_conf``, ``sigma``, ``mu``. Values that cannot be computed (an
    outcome that does not vary) are ``None``. Warnings SALib raises while
    computing them are appended to ``warn`` when a list is given.

    Examples
    --------
    >>> from counterflow.experiments.sampling import sample_design
    >>> X = sample_design("sobol", 256, 2, seed=0)
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> res = indices("sobol", problem, X, X[:, 0] ** 2)
    >>> res["a"]["ST"] > 0.9 and res["b"]["ST"] < 0.05
    True
    """
    Y = np.asarray(Y, dtype=float)
    if not np.isfinite(Y).all():
        raise ValueError("the outcome has missing or infinite values")
    constant = bool(np.ptp(Y) == 0)
    names = problem["names"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method == "sobol":
            from SALib.analyze import sobol

            if constant:
                return {n: {"S1": None, "S1_conf": None, "ST": None, "ST_conf": None} for n in names}
            r = sobol.analyze(problem, Y, calc_second_order=False, num_resamples=num_resamples,
                              conf_level=0.95, seed=seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        elif method == "morris":
            from SALib.analyze import morris

            r = morris.analyze(problem, np.asarray(X, dtype=float), Y, num_resamples=num_resamples,
                               conf_level=0.95, num_levels=levels, seed=seed)
            keys = ("mu_star", "mu_star_conf", "sigma", "mu")
        else:
            raise ValueError(f"unknown method '{method}'")
    if warn is not None:
        for w in caught:
            text = f"SALib: {w.message}"
            if text not in warn:
                warn.append(text)
    return {n: {k: _clean(r[k][j]) for k in keys} for j, n in enumerate(names)}


def sensitivity(store: str | Path | Store, method: str = "sobol", outcomes: list[str] | None = None,
                strategies: list[str] | None = None, *, seed: int = 0) -> dict:
    """Indices of every outcome and strategy of a store.

    Returns ``{"method", "parameters", "strategies": {name: {outcome: {parameter: {...}}}}, "warnings"}``;
    an outcome that cannot be analysed carries ``{"error": message}`` instead. ``warnings`` lists the
    guard rails that fired (see the module docstring).
    """
    st = store if isinstance(store, Store) else Store(store)
    meta = st.metadata()
    if method not in METHODS:
        raise InputError(f"unknown method '{method}'; expected one of {', '.join(METHODS)}")
    if meta["sampler"] != method:
        raise InputError(f"{method} indices need a store sampled with 'sampler: {method}'; "
                         f"this one used '{meta['sampler']}'", file=str(st.path))
    names = [u["path"] for u in meta["uncertainties"]]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[u["low"], u["high"]] if u["high"] > u["low"] else [u["low"], u["low"] + 1e-12]
                          for u in meta["uncertainties"]]}
    X = np.asarray(meta["design"], dtype=float)
    outcomes = outcomes or meta["outcomes"]
    for o in outcomes:
        if o not in meta["kept_outcomes"]:
            raise InputError(f"unknown outcome '{o}'; the store holds: {', '.join(meta['kept_outcomes'])}")
    strategies = strategies or meta["strategies"]
    for s in strategies:
        if s not in meta["strategies"]:
            raise InputError(f"unknown strategy '{s}'; the store holds: {', '.join(meta['strategies'])}")
    cols = ", ".join(f'avg("{o}") AS "{o}"' for o in outcomes)
    means = st.connect().execute(
        f"SELECT strategy, sample, {cols} FROM runs WHERE status = 'ok' GROUP BY strategy, sample").df()
    out: dict = {}
    warn = sample_warnings(method, len(X), len(names))
    for s in strategies:
        sub = means[means.strategy == s].set_index("sample").reindex(range(len(X)))
        out[s] = {}
        for o in outcomes:
            y = sub[o].to_numpy(dtype=float)
            missing = int(np.isnan(y).sum())
            if missing:
                out[s][o] = {"error": f"{missing} of {len(y)} points have no successful run or no value"}
                continue
            if not np.isfinite(y).all():
                out[s][o] = {"error": "the outcome is infinite at some points"}
                continue
            salib: list[str] = []
            out[s][o] = indices(method, problem, X, y, seed=seed, levels=meta["levels"], warn=salib)
            warn += [f"{o} — {s}: {w}" for w in salib]
            warn += interval_warnings(method, out[s][o], f"{o} — {s}: ")
    return {"store": str(st.path), "method": method, "parameters": names, "points": len(X),
            "replications": meta["replications"], "strategies": out, "warnings": warn}


def plot_indices(result: dict, path: str | Path) -> Path:
    """Bar chart of the indices (one panel per strategy and outcome), saved as PNG."""
    from matplotlib.figure import Figure

    panels = [(s, o, v) for s, per in result["strategies"].items() for o, v in per.items() if "error" not in v]
    if not panels:
        raise InputError("nothing to plot: no outcome could be analysed")
    names = result["parameters"]
    sobol = result["method"] == "sobol"
    ncol = min(3, len(panels))
    nrow = -(-len(panels) // ncol)
    fig = Figure(figsize=(4.2 * ncol, 0.5 + 0.45 * len(names) * nrow + 1.2 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    y = np.arange(len(names))
    for ax, (s, o, v) in zip(axes.flat, panels, strict=False):
        pairs = (("S1", "S1_conf"), ("ST", "ST_conf")) if sobol else (("mu_star", "mu_star_conf"), ("sigma", None))
        for k, (key, conf) in enumerate(pairs):
            vals = [v[n][key] if v[n][key] is not None else 0.0 for n in names]
            err = [v[n][conf] or 0.0 for n in names] if conf else None
            ax.barh(y + (k - 0.5) * 0.38, vals, height=0.38, xerr=err, label=key, capsize=2)
        ax.set_yticks(y, [n if len(n) < 34 else "…" + n[-33:] for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.set_title(f"{o} — {s}", fontsize=9)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{'Sobol indices (95% CI)' if sobol else 'Morris mu* (95% CI) and sigma'}", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
