"""Paired effects of strategies, read from recorded runs (nothing is simulated here).

Every effect is a paired difference: a strategy's run minus the baseline run
with the same seed (common random numbers), averaged over all replications,
with a 95 % t-interval of the mean. An interval that contains 0 means "no
clear effect" and is drawn neutral. The report and the web page both take
their maps, time figures and event summaries from these functions.

Examples
--------
>>> from counterflow import load_scenario, resolve_strategies
>>> from counterflow.runner import run_replications
>>> s = load_scenario("caribbean")
>>> res = run_replications(s, resolve_strategies(s, ["port-strike"]), runs=2, steps=8,
...                        keep_steps=True, keep_flows=True)
>>> fx = flow_effects(res)
>>> sorted(fx["port-strike"])
['edges', 'nodes', 'runs', 'strikes']
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..labels import lever_label
from ..runner import Results

__all__ = ["t_interval", "flow_effects", "series_effects", "event_summary", "SERIES", "OPTIONAL_SERIES",
           "SERIES_SCALE", "steps_word"]


def steps_word(scenario=None, plural: bool = False) -> str:
    """The name of one step: the scenario's ``step_unit`` when it has one, else "week"."""
    word = str(getattr(scenario, "step_unit", "") or "week")
    return word + ("s" if plural and not word.endswith("s") else "")


def t_interval(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 and the bounds of its 95 % t-interval (the same rule as ``compare``).

    With one replication, or when every difference is equal, the interval is the mean itself.
    """
    d = np.asarray(d, dtype=float)
    n = d.shape[0]
    mean = d.mean(axis=0)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    from scipy import stats

    half = stats.t.ppf(0.975, n - 1) * d.std(axis=0, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def _paired(results: Results, name: str, attr: str) -> tuple[np.ndarray, np.ndarray]:
    """``[runs, k]`` arrays of a per-run vector for strategy ``name`` and the baseline, paired by replication."""
    base = {r.replication: r for r in results.records if r.strategy == results.baseline}
    own = sorted((r for r in results.records if r.strategy == name), key=lambda r: r.replication)
    pairs = [(getattr(r, attr), getattr(base[r.replication], attr)) for r in own if r.replication in base]
    if not pairs or pairs[0][0] is None:
        raise InputError("maps of the paired difference need the flow totals of every run: "
                         "run the replications with keep_flows=True")
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def _effect(own: np.ndarray, base: np.ndarray, scale: float) -> dict:
    mean, lo, hi = t_interval((own - base) / scale)
    # one replication gives no interval: nothing is called clear
    clear = ((lo > 0) | (hi < 0)) if own.shape[0] > 1 else np.zeros(mean.shape, dtype=bool)
    return {"level": own.mean(axis=0) / scale, "baseline": base.mean(axis=0) / scale,
            "diff": mean, "lo": lo, "hi": hi, "clear": clear}


def flow_effects(results: Results, strategies: Sequence[str] | None = None) -> dict:
    """Per strategy: the paired difference in flow on every edge and at every node, and strike tallies.

    Flows are mean kg per step over the horizon (the run's total divided by
    its number of steps). ``edges`` and ``nodes`` hold arrays ``level``
    (the strategy's mean), ``baseline``, ``diff`` (mean paired difference),
    ``lo``/``hi`` (its 95 % interval) and ``clear`` (the interval excludes 0).
    ``strikes`` maps each struck node id to ``{"runs": runs in which it was
    aimed at, "hit_runs": runs with at least one hit, "strikes", "hits"}``.
    """
    names = list(strategies or results.strategies)
    first = next((r for r in results.records), None)
    steps = len(first.delivered) if first is not None else 1
    out: dict = {}
    for name in names:
        e_own, e_base = _paired(results, name, "edge_flow_total")
        n_own, n_base = _paired(results, name, "node_throughput")
        tally: dict = {}
        runs = sorted((r for r in results.records if r.strategy == name), key=lambda r: r.replication)
        for r in runs:
            for node, (aimed, hits) in r.strikes.items():
                t = tally.setdefault(node, {"runs": 0, "hit_runs": 0, "strikes": 0, "hits": 0})
                t["runs"] += 1
                t["hit_runs"] += hits > 0
                t["strikes"] += aimed
                t["hits"] += hits
        out[name] = {"edges": _effect(e_own, e_base, steps), "nodes": _effect(n_own, n_base, steps),
                     "strikes": tally, "runs": len(runs)}
    return out


# per-step series shown over time: name -> (recorded variable, how markets combine, label, unit)
SERIES = {
    "delivered": ("delivered", "sum", "Reaching consumers", "kg per {step}"),
    "seized": ("seized", "sum", "Seized", "kg per {step}"),
    "price": ("price", "index", "Price", "share of the reference price"),
    "active_nodes": ("active_nodes", "sum", "Places in use", "nodes carrying flow"),
    "harm": ("harm", "cumsum", "Civilian casualties, cumulative", "expected casualties"),
    "backlash": ("backlash", "sum", "Backlash", "index 0-1, highest state"),
    "protection_paid": ("protection_paid", "sum", "Protection paid to officials", "USD millions per {step}"),
}
#: series shown only where some run recorded a non-zero value (protection is paid only with a
#: ``protection_share`` above 0; a flat line at 0 would say nothing), and values scaled for display
OPTIONAL_SERIES = frozenset({"protection_paid"})
SERIES_SCALE = {"protection_paid": 1e-6}


def _wide(steps: pd.DataFrame, variable: str, how: str, reference: dict | None,
          smooth: int = 1) -> dict[str, pd.DataFrame]:
    """Per strategy, a ``[replication x step]`` table of one series (markets combined, smoothed per run)."""
    sub = steps[steps.variable == variable]
    if variable in SERIES_SCALE:
        sub = sub.assign(value=sub["value"] * SERIES_SCALE[variable])
    if how == "index":
        sub = sub.assign(value=sub["value"] / sub["entity"].map(reference))
        agg = "mean"
    else:
        agg = "sum"
    g = sub.groupby(["strategy", "replication", "step"], sort=True)["value"].agg(agg)
    out = {}
    for name, part in g.groupby(level="strategy", sort=False):
        wide = part.droplevel("strategy").unstack("step")
        if how == "cumsum":
            wide = wide.cumsum(axis=1)
        elif smooth > 1:
            wide = wide.T.rolling(smooth, min_periods=1).mean().T
        out[name] = wide
    return out


def series_effects(results: Results, reference_price: dict[str, float] | None = None,
                   series: Sequence[str] | None = None, smooth: int = 4) -> dict:
    """Per series and strategy, per step: the level (median, 5 % and 95 % of runs) and the paired difference.

    The difference is strategy minus baseline run by run (same seed), its
    mean over replications with the 95 % t-interval. ``reference_price``
    maps market ids to their reference price (for the price index). Each
    run's series is first smoothed by a trailing mean over ``smooth`` steps
    (not the cumulative ones; the difference of smoothed runs is the smoothed
    difference). Returns ``{series: {strategy: {"step", "p05", "p50", "p95",
    "diff", "lo", "hi"}}, "_smooth": smooth}`` of arrays. A series of
    :data:`OPTIONAL_SERIES` is left out where no run recorded it or every
    value is 0 (protection paid with protection off).
    """
    steps = results.steps()
    if steps.empty:
        raise InputError("the time figures need per-step results: run the replications with keep_steps=True")
    out: dict = {"_smooth": smooth}
    for key in series or SERIES:
        variable, how, _, _ = SERIES[key]
        if how == "index" and not reference_price:
            continue
        if key in OPTIONAL_SERIES:
            values = steps.loc[steps.variable == variable, "value"]
            if values.empty or not values.to_numpy(dtype=float).any():
                continue
        wide = _wide(steps, variable, how, reference_price, smooth)
        base = wide.get(results.baseline)
        per: dict = {}
        for name in results.strategies:
            w = wide.get(name)
            if w is None:
                continue
            arr = w.to_numpy(dtype=float)
            q = np.quantile(arr, [0.05, 0.5, 0.95], axis=0)
            entry = {"step": [int(s) for s in w.columns], "p05": q[0], "p50": q[1], "p95": q[2]}
            if base is not None and name != results.baseline:
                common = w.index.intersection(base.index)
                mean, lo, hi = t_interval(w.loc[common].to_numpy(float) - base.loc[common].to_numpy(float))
                entry.update(diff=mean, lo=lo, hi=hi)
            per[name] = entry
        out[key] = per
    return out


def _steps_text(steps: Sequence[int]) -> str:
    """Steps as short ranges: 4, 8-20 every 4, 30."""
    s = sorted(set(steps))
    if not s:
        return ""
    parts, i = [], 0
    while i < len(s):
        j = i
        if i + 1 < len(s):
            gap = s[i + 1] - s[i]
            while j + 1 < len(s) and s[j + 1] - s[j] == gap:
                j += 1
        if j - i >= 2:
            every = s[i + 1] - s[i]
            parts.append(f"{s[i]}-{s[j]}" + (f" every {every}" if every > 1 else ""))
            i = j + 1
        else:
            parts.append(str(s[i]))
            i += 1
    return ", ".join(parts)


def event_summary(results: Results, names: dict[str, str] | None = None) -> dict:
    """Per strategy and lever type, what the lever did over all replications.

    Returns ``{strategy: [{"type", "label" (its words), "firings" (mean per run), "steps" (text),
    "targets" (mean per firing), "detail": [{"step", "runs", "targets",
    "hits"}]}]}``; the detail lists, per step, in how many runs the lever
    fired, its most frequent targets (by name) and, for strikes, the hits
    over all runs.
    """
    names = names or {}
    out: dict = {}
    for name in results.strategies:
        runs = [r for r in results.records if r.strategy == name]
        n = max(len(runs), 1)
        per_type: dict = {}
        for r in runs:
            for step, typ, targets, hits in r.events:
                d = per_type.setdefault(typ, {"firings": 0, "targets": 0, "steps": {}})
                d["firings"] += 1
                d["targets"] += len(targets)
                st = d["steps"].setdefault(step, {"runs": 0, "targets": Counter(), "hits": 0, "aimed": 0})
                st["runs"] += 1
                st["targets"].update(targets)
                if typ == "strike":
                    st["hits"] += len(hits)
                    st["aimed"] += len(targets)
        rows = []
        for typ, d in per_type.items():
            detail = []
            for step in sorted(d["steps"]):
                st = d["steps"][step]
                common = [names.get(t, t) for t, _ in st["targets"].most_common(6)]
                more = len(st["targets"]) - len(common)
                item = {"step": step, "runs": st["runs"],
                        "targets": ", ".join(common) + (f" and {more} more" if more > 0 else "")}
                if typ == "strike":
                    item["hits"] = f"{st['hits']} of {st['aimed']} strikes hit"
                detail.append(item)
            rows.append({"type": typ, "label": lever_label(typ), "firings": d["firings"] / n, "steps": _steps_text(d["steps"]),
                         "targets": d["targets"] / max(d["firings"], 1), "detail": detail})
        out[name] = rows
    return out
