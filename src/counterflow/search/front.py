"""Reading a search store back: the robust front, its out-of-sample check, plots and scenario discovery."""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError
from .engine import Evaluations
from .robust import BOOT, bootstrap, confident_dominance, statistic
from .spec import SearchSpec, label_of, parse_search
from .store import SearchStore
from .words import SHOWN_DECIMALS, describe_portfolio, shown

__all__ = ["open_search", "front", "merge_shown", "shown_key", "SHOWN_DECIMALS", "survival", "discover", "plot_front", "prim", "warm_start_genes",
           "DISCOVER_FUTURES"]


def open_search(store: str | Path) -> tuple[SearchSpec, SearchStore]:
    """The search a store holds (re-validated from its stored file and scenario) and the store."""
    st = SearchStore(store)
    meta = st.metadata()
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp) / "scenario.yaml"
        scen.write_text(yaml.safe_dump(meta["scenario_doc"], sort_keys=False))
        raw = copy.deepcopy(meta["search"])
        raw["scenario"] = str(scen)
        spec = parse_search(raw, file=None, text=meta.get("search_file", ""))
    # checked with the recipe the store records: a store made by an earlier optimiser is read as it is
    if spec.fingerprint(meta.get("first_generation")) != meta.get("fingerprint"):
        raise InputError("its stored search no longer validates to the same search (made by another version?)",
                         file=str(st.path))
    return spec, st


def _entry(value: float, lo: float, hi: float) -> dict:
    def f(x):
        return None if x is None or not np.isfinite(x) else float(x)

    return {"value": f(value), "lo": f(lo), "hi": f(hi)}


def survival(spec: SearchSpec, ev_oos: Evaluations, members: list[int], *, boot: int = BOOT) -> dict[int, bool]:
    """Out-of-sample survival of each member: no other member dominates it with 95 % confidence, constraints hold.

    Members are resampled on the same out-of-sample cells in every bootstrap draw (paired).
    """
    have = [m for m in members if m in ev_oos.cells and ev_oos.errors[m] is None]
    out = {m: False for m in members}
    if not have:
        return out
    bests = ev_oos.bests(have)
    n = ev_oos.F * ev_oos.R
    idx = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(0x0D0,))).integers(0, n, (boot, n))
    fut = np.repeat(np.arange(ev_oos.F), ev_oos.R)
    S = np.empty((boot, len(have), len(spec.objectives)))
    for m, eid in enumerate(have):
        for k, o in enumerate(spec.objectives):
            v = ev_oos.cells[eid][o.outcome].ravel()
            best = bests.get(o.outcome + ":" + o.direction)
            for b in range(boot):
                s = _flat(o.robustness, v[idx[b]], fut[idx[b]], o.direction, o.threshold, best, ev_oos.F)
                S[b, m, k] = -s if o.sense == "max" else s
    dominated = confident_dominance(S)
    for m, eid in enumerate(have):
        out[eid] = bool(not dominated[m] and ev_oos.feasible(eid, bests))
    return out


def _flat(kind, v, fut, direction, threshold, best, n_fut):
    from .robust import _stat_flat

    ok = np.isfinite(v)
    return _stat_flat(kind, v[ok], fut[ok], direction, threshold, best, n_fut)


def load_evaluations(store: str | Path):
    """``(spec, store, in-sample evaluations, front members, out-of-sample evaluations)`` of a search store."""
    spec, st = open_search(store)
    ev = Evaluations(spec, spec.futures, spec.replications)
    ev.add_frame(st.read("search"))
    ev_o = Evaluations(spec, spec.oos_futures, spec.oos_replications)
    ev_o.add_frame(st.read("oos"))
    return spec, st, ev, ev.front(), ev_o


def front(store: str | Path) -> dict:
    """The non-dominated feasible portfolios of a search store, with robust values, intervals and survival."""
    spec, st, ev, members, ev_o = load_evaluations(store)
    oos_done = bool(members) and all(m in ev_o.cells for m in members)
    surv = survival(spec, ev_o, members) if oos_done else {}
    bests = ev.bests()
    bests_o = ev_o.bests([m for m in members if m in ev_o.cells]) if ev_o.cells else {}
    portfolios = []
    for eid in members:
        levers = spec.decode(ev.genes[eid])
        objs = {}
        for o in spec.objectives:
            cells = ev.cells[eid][o.outcome]
            best = bests.get(o.outcome + ":" + o.direction)
            v = statistic(o.robustness, cells, o.direction, o.threshold, best)
            lo, hi = bootstrap(o.robustness, cells, o.direction, o.threshold, best, seed=spec.seed * 1_000_003 + eid)
            objs[o.key] = _entry(v, lo, hi)
        oos = None
        if eid in ev_o.cells:
            oos = {}
            for o in spec.objectives:
                cells = ev_o.cells[eid][o.outcome]
                best = bests_o.get(o.outcome + ":" + o.direction)
                v = statistic(o.robustness, cells, o.direction, o.threshold, best)
                lo, hi = bootstrap(o.robustness, cells, o.direction, o.threshold, best, seed=spec.seed + eid)
                oos[o.key] = _entry(v, lo, hi)
        portfolios.append({
            "eval": eid, "levers": levers, "description": describe_portfolio(levers), "objectives": objs,
            "cost_usd": ev.cost(eid), "feasible": ev.feasible(eid, bests),
            "survives_out_of_sample": surv.get(eid) if oos_done else None,
            "out_of_sample": oos,
        })
    first = spec.objectives[0]
    portfolios.sort(key=lambda p: -(p["objectives"][first.key]["value"] or 0) if first.sense == "max"
                    else (p["objectives"][first.key]["value"] or 0))
    portfolios = merge_shown(portfolios, [o.key for o in spec.objectives], first.sense)
    meta = st.metadata()
    return {
        "scenario": meta["scenario"], "seed": spec.seed, "futures": spec.futures, "replications": spec.replications,
        "objectives": [{"name": o.key, "outcome": o.outcome, "label": label_of(o.outcome), "direction": o.direction,
                        "robustness": o.robustness, "threshold": o.threshold} for o in spec.objectives],
        "constraints": [c.describe() for c in spec.constraints], "budget_usd": spec.budget_usd,
        "evaluations": {"stored": len(ev.cells), "planned": spec.evaluations,
                        "failed": sum(1 for e in ev.errors.values() if e is not None)},
        "out_of_sample": {"futures": spec.oos_futures, "replications": spec.oos_replications, "done": oos_done},
        "algorithm": spec.algorithm, "store": str(st.path),
        "resolution": SHOWN_RESOLUTION,
        "portfolios": portfolios,
    }


#: how portfolios are merged in the front shown to users (:func:`merge_shown`)
SHOWN_RESOLUTION = {"decimals": SHOWN_DECIMALS,
                    "rule": f"portfolios whose levers are equal once every number is rounded as their descriptions "
                            f"write it ({SHOWN_DECIMALS} decimals below 100, whole numbers from 100) are one row"}


def shown_key(levers: list[dict]) -> str:
    """A portfolio's levers as shown: every number as the descriptions write it (:func:`~.words.shown`)."""
    import json

    def rnd(v):
        if isinstance(v, dict):
            return {k: rnd(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rnd(x) for x in v]
        if isinstance(v, float):
            return shown(v)  # as search.words writes it
        return v

    return json.dumps(rnd(levers), sort_keys=True, default=str)


def merge_shown(portfolios: list[dict], objective_keys: list[str], first_sense: str | None = None) -> list[dict]:
    """Merge front members that are the same portfolio at the precision shown (intensities 0.001 apart).

    The search keeps and reports every distinct portfolio it evaluated; two that differ only
    beyond the 2 decimals their descriptions show (``strikes (damage 1) ... interdiction
    0.50`` twice) would be two rows that read the same. They become one row: the member best
    on the first objective (``first_sense`` ``"max"`` or ``"min"``; ties, or no sense given:
    one that survives out of sample, then the first in ``portfolios``' order), with its own
    objectives, interval and survival — values measured for that evaluation, not averaged —
    so the row keeps the group's best first-objective value; the other objectives' best
    values may belong to another member, and ``merged`` gives them: how many evaluations the
    row stands for, their numbers, each objective's range over them (the spread the rounding
    hides) and the members that survive out of sample. This is a resolution in the decision
    space, the precision at which portfolios are shown; the store keeps every evaluation.
    """
    keys = [shown_key(p["levers"]) for p in portfolios]
    groups: dict[str, list[dict]] = {}
    for key, p in zip(keys, portfolios, strict=True):
        groups.setdefault(key, []).append(p)
    # each group's row, chosen once (min keeps the first of equals: the first in ``portfolios``' order)
    keep = {key: min(group, key=lambda q: (_first_rank(q, objective_keys, first_sense), not q["survives_out_of_sample"]))
            for key, group in groups.items()}
    out = []
    for key, p in zip(keys, portfolios, strict=True):
        if p is not keep[key]:
            continue
        group = groups[key]
        row = dict(p)
        row["merged"] = {
            "evaluations": len(group), "evals": sorted(q["eval"] for q in group),
            "ranges": {k: [min(v), max(v)] for k in objective_keys
                       if (v := [q["objectives"][k]["value"] for q in group
                                 if q["objectives"][k]["value"] is not None])},
            "surviving": sorted(q["eval"] for q in group if q["survives_out_of_sample"]),
        }
        if len(group) > 1:
            others = ", ".join(f"#{e}" for e in row["merged"]["evals"] if e != p["eval"])
            row["description"] = (f"{p['description'] or 'no action'} (stands for {len(group)} evaluations: "
                                  f"also {others}, the same at the precision shown)")
        out.append(row)
    return out


def _first_rank(p: dict, objective_keys: list[str], sense: str | None) -> float:
    """Sort key of a portfolio on the first objective: lower is better (no value or no sense: all equal)."""
    v = p["objectives"][objective_keys[0]]["value"] if objective_keys and sense else None
    if v is None:
        return np.inf if sense else 0.0
    return -v if sense == "max" else v


def warm_start_genes(store: str | Path, spec: SearchSpec) -> np.ndarray | None:
    """The encoded front portfolios of an earlier store, to seed a search with the same decision space."""
    st = SearchStore(store)
    meta = st.metadata()
    if meta.get("layout") != spec.layout():
        raise InputError("its decision space (levers, ranges, choices) differs from this search file's; "
                         "a warm start needs the same levers", file=str(st.path))
    old, _ = open_search(store)
    ev = Evaluations(old, old.futures, old.replications)
    ev.add_frame(st.read("search"))
    ids = ev.front()
    return np.array([ev.genes[i] for i in ids], dtype=float) if ids else None


# ----------------------------------------------------------------- scenario discovery
def prim(X: np.ndarray, y: np.ndarray, names: list[str], *, alpha: float = 0.1, min_mass: float = 0.1) -> dict:
    """Patient rule induction (peeling): a box of the input space where ``y`` (0/1) is dense.

    Peels, one side of one input at a time, the ``alpha`` share of points whose removal
    raises the share of ``y = 1`` in the box most, until the box holds ``min_mass`` of the
    points; returns the box on that path with the highest density (ties: more coverage).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    inside = np.ones(n, dtype=bool)
    box = np.column_stack([X.min(axis=0), X.max(axis=0)])
    total = max(y.sum(), 1e-12)
    path = [(box.copy(), inside.copy())]
    while inside.sum() > max(min_mass * n, 2):
        best = None
        for j in range(d):
            xs = X[inside, j]
            for side, q in ((0, np.quantile(xs, alpha)), (1, np.quantile(xs, 1 - alpha))):
                keep = inside & ((X[:, j] >= q) if side == 0 else (X[:, j] <= q))
                if keep.sum() == inside.sum() or keep.sum() < 1:
                    keep = inside.copy()
                    order = np.argsort(X[inside, j])
                    drop = np.flatnonzero(inside)[order[0] if side == 0 else order[-1]]
                    keep[drop] = False
                dens = y[keep].mean() if keep.any() else -1
                if best is None or dens > best[0]:
                    best = (dens, j, side, keep)
        if best is None:  # no input to peel (d == 0)
            break
        _, j, side, keep = best
        inside = keep
        box = box.copy()
        box[j, side] = X[inside, j].min() if side == 0 else X[inside, j].max()
        path.append((box.copy(), inside.copy()))
    scored = [(y[i].mean() if i.any() else 0.0, y[i].sum() / total, b, i) for b, i in path]
    dens, cov, b, i = max(scored, key=lambda t: (round(t[0], 12), t[1]))
    limits = {names[j]: [float(b[j, 0]), float(b[j, 1])] for j in range(d)
              if b[j, 0] > X[:, j].min() or b[j, 1] < X[:, j].max()}
    return {"density": float(dens), "coverage": float(cov), "mass": float(i.mean()), "box": limits,
            "points": int(n), "failing": int(y.sum())}


#: fresh futures scenario discovery evaluates the chosen portfolio on by default (`front --portfolio N`)
DISCOVER_FUTURES = 64


def discover(store: str | Path, eval_id: int, futures: int = 0, *,
             progress: Callable[[int], None] | None = None, evaluator=None) -> dict:
    """Scenario discovery for one portfolio: the futures where it fails, and the PRIM box where failures concentrate.

    The futures are the search's and the out-of-sample check's stored ones, plus ``futures``
    fresh ones (a Latin hypercube of the search's uncertainties with its own seed, each run
    with the search's number of replications and their own seeds; run now, not stored;
    ``progress(1)`` after each). A search's few futures give PRIM little to peel; 64 fresh
    ones give it a box worth reading.

    A future fails when the portfolio's mean over replications there breaks a constraint
    (``max``/``min``), misses a satisficing threshold, or exceeds the budget.
    """
    from .engine import context
    from .evaluate import evaluate_portfolio

    spec, st = open_search(store)
    fut = st.futures()
    names = spec.experiment.names
    rows, fails = [], []
    fresh = max(0, int(futures))
    ev_search = Evaluations(spec, spec.futures, spec.replications)
    ev_search.add_frame(st.read("search", {eval_id}))
    if eval_id not in ev_search.cells:
        raise InputError(f"no evaluation {eval_id} in the store (there are {len(st.done())})", file=str(st.path))
    stages = [("search", ev_search, fut[fut.stage == "search"].sort_values("future")[names].to_numpy(float))]
    ev_oos = Evaluations(spec, spec.oos_futures, spec.oos_replications)
    ev_oos.add_frame(st.read("oos", {eval_id}))
    if eval_id in ev_oos.cells:
        stages.append(("oos", ev_oos, fut[fut.stage == "oos"].sort_values("future")[names].to_numpy(float)))
    if fresh:
        xs = spec.discover_values(fresh)
        ctx = dataclasses.replace(context(spec), stage="discover")
        genes = ev_search.genes[eval_id]
        _, table, _ = evaluate_portfolio(ctx, eval_id, ev_search.keys[eval_id], genes, spec.decode(genes), xs,
                                         evaluator, progress)
        ev_new = Evaluations(spec, fresh, spec.replications)
        ev_new.add_frame(table)
        stages.append(("discover", ev_new, xs))
    for _stage, ev, xs in stages:
        cells = ev.cells[eval_id]
        for f in range(ev.F):
            bad = []
            for c in spec.constraints:
                m = float(np.nanmean(cells[c.outcome][f]))
                if c.max is not None and m > c.max:
                    bad.append(f"{c.outcome} {m:.3g} > {c.max:g}")
                if c.min is not None and m < c.min:
                    bad.append(f"{c.outcome} {m:.3g} < {c.min:g}")
            for o in spec.objectives:
                if o.robustness == "satisficing" and o.threshold is not None:
                    m = float(np.nanmean(cells[o.outcome][f]))
                    if (m < o.threshold) if o.direction == "max" else (m > o.threshold):
                        bad.append(f"{o.outcome} {m:.3g} misses {o.threshold:g}")
            if spec.budget_usd is not None and np.nanmax(cells["cost_usd"][f]) > spec.budget_usd:
                bad.append("over budget")
            rows.append(xs[f])
            fails.append(bad)
    X = np.array(rows)
    y = np.array([1.0 if b else 0.0 for b in fails])
    stored = len(y) - fresh
    result = {"eval": eval_id, "futures": len(y), "fresh_futures": fresh, "stored_futures": stored,
              "failing": int(y.sum()),
              "reasons": sorted({r.split(" ")[0] for b in fails for r in b}),
              "method": (f"PRIM (peeling, alpha 0.1) on {len(y)} futures: {stored} of the search and its "
                         f"out-of-sample check, {fresh} fresh")}
    if 0 < y.sum() < len(y):
        result["box"] = prim(X, y, names)
    else:
        result["box"] = None
        result["note"] = ("it fails in every future evaluated" if y.sum() else "it meets its thresholds in every "
                          "future evaluated") + "; there is no box to find"
    return result


# ----------------------------------------------------------------- plots
def plot_front(data: dict, folder: str | Path) -> list[Path]:
    """Parallel coordinates of the front and 2-D trade-offs of the first objective against the others (PNG).

    Uses :class:`matplotlib.figure.Figure` directly: no pyplot, no backend switching.
    """
    return _plots(data, Path(folder))


def _plots(data: dict, folder: Path) -> list[Path]:
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    ports = data["portfolios"]
    objs = data["objectives"]
    paths: list[Path] = []
    if not ports:
        return paths
    colours = ["#1b7837" if p["survives_out_of_sample"] else ("#b2182b" if p["survives_out_of_sample"] is False
                                                               else "#555555") for p in ports]
    # parallel coordinates: each axis scaled to the front's range, better always up
    V = np.array([[p["objectives"][o["name"]]["value"] or 0.0 for o in objs] for p in ports], dtype=float)
    lo, hi = V.min(axis=0), V.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    U = (V - lo) / span
    for k, o in enumerate(objs):
        sense = "min" if o["robustness"] == "regret" else ("max" if o["robustness"] == "satisficing"
                                                           else o["direction"])
        if sense == "min":
            U[:, k] = 1 - U[:, k]
    fig = Figure(figsize=(max(5, 2.2 * len(objs)), 4))
    ax = fig.subplots()
    for u, c in zip(U, colours, strict=True):
        ax.plot(range(len(objs)), u, color=c, alpha=0.8, lw=1.5)
    ax.set_xticks(range(len(objs)))
    ax.set_xticklabels([f"{o['label']}\n({o['robustness']})" for o in objs], fontsize=7)
    for k in range(len(objs)):
        ax.axvline(k, color="#999999", lw=0.5)
        ax.annotate(f"{lo[k]:.3g}..{hi[k]:.3g}", (k, -0.08), ha="center", fontsize=6, annotation_clip=False)
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["worse", "better"])
    ax.set_title(f"{data['scenario']}: {len(ports)} non-dominated portfolios "
                 "(green: survive out of sample, red: do not)", fontsize=8)
    fig.tight_layout()
    p = folder / "front-parallel.png"
    fig.savefig(p, dpi=120)
    paths.append(p)
    for k in range(1, len(objs)):
        fig = Figure(figsize=(4.5, 3.6))
        ax = fig.subplots()
        ax.scatter(V[:, k], V[:, 0], c=colours, s=30)
        for p_, v in zip(ports, V, strict=True):
            e0, ek = p_["objectives"][objs[0]["name"]], p_["objectives"][objs[k]["name"]]
            if e0["lo"] is not None and ek["lo"] is not None:
                ax.errorbar(v[k], v[0], yerr=[[v[0] - e0["lo"]], [e0["hi"] - v[0]]],
                            xerr=[[v[k] - ek["lo"]], [ek["hi"] - v[k]]], color="#bbbbbb", lw=0.8, zorder=0)
        ax.set_xlabel(f"{objs[k]['label']} ({objs[k]['robustness']})", fontsize=8)
        ax.set_ylabel(f"{objs[0]['label']} ({objs[0]['robustness']})", fontsize=8)
        ax.set_title("trade-off (95 % bootstrap intervals)", fontsize=8)
        fig.tight_layout()
        p = folder / f"front-{objs[0]['name']}-vs-{objs[k]['name']}.png"
        fig.savefig(p, dpi=120)
        paths.append(p)
    return paths
