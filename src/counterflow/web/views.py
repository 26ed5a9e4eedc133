"""JSON views of library objects for the web page (no model logic here).

Every function turns something the library computed — a scenario, the lever
declarations, :class:`~counterflow.runner.Results`, recorded trajectories —
into plain JSON-ready dicts. Aggregation is limited to presentation: medians
and 5-95 % bands of recorded series over replications.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..engine import simulate
from ..levers import LEVERS
from ..outcomes import LABELS
from ..runner import Results, network_for, replication_seed
from ..scenario import Scenario
from ..strategy import SCHEDULE_FIELDS, TARGET_FIELDS, TARGET_RULES, Strategy

__all__ = ["scenario_view", "lever_catalog", "results_view", "map_flows", "series_bands", "summary_rows", "clean",
           "TABLE_METRICS", "SERIES_SHOWN"]

TABLE_METRICS = ["delivered_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct", "seized_kg",
                 "civilian_harm", "backlash", "cost_usd", "cost_per_kg_averted", "active_nodes",
                 "route_entropy"]

# recorded series shown as time-series charts: name -> (how entities combine, label)
SERIES_SHOWN = {
    "delivered": ("sum", "Delivered to markets (kg per step)"),
    "price": ("mean", "Mean market price (USD/kg)"),
    "seized": ("sum", "Seized (kg per step)"),
    "active_nodes": ("sum", "Active nodes"),
    "harm": ("sum", "Civilian harm (expected casualties per step)"),
    "backlash": ("sum", "Backlash index 0-1"),
}


def clean(obj: Any) -> Any:
    """Recursively make ``obj`` JSON-safe: NumPy scalars to Python, non-finite floats to ``None``."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def scenario_view(sc: Scenario) -> dict:
    """What the page needs to show a scenario and build strategy forms for it."""
    strategies = [{"name": "baseline", "description": "No counter-narcotics action (always included).",
                   "levers": []}]
    for name, raw in sc.strategies.items():
        if name == "baseline":
            continue
        raw = raw if isinstance(raw, dict) else {}
        strategies.append({"name": name, "description": str(raw.get("description", "")),
                           "levers": clean(raw.get("levers", []))})
    return clean({
        "name": sc.name,
        "description": sc.description,
        "steps": sc.steps,
        "jurisdictions": [{"id": j.id, "name": j.name} for j in sc.jurisdictions],
        "nodes": [{"id": n.id, "name": n.name, "kind": n.kind, "jurisdiction": n.jurisdiction,
                   "lat": n.lat, "lon": n.lon, "dormant": n.dormant} for n in sc.nodes],
        "edges": [{"from": e.src, "to": e.dst, "mode": e.mode, "dormant": e.dormant} for e in sc.edges],
        "organisations": [{"id": o.id, "name": o.name} for o in sc.organisations],
        "markets": [m.node for m in sc.markets],
        "strategies": strategies,
    })


def _field(f) -> dict:
    return clean({"name": f.name, "kind": f.kind, "default": f.default, "lo": f.lo, "hi": f.hi,
                  "choices": list(f.choices) if f.choices else None, "doc": f.doc,
                  "required": f.required})


def lever_catalog() -> dict:
    """Lever declarations (the forms of the strategy composer are built from these)."""
    levers = []
    for typ, cls in sorted(LEVERS.items(), key=lambda kv: kv[1].order):
        levers.append({
            "type": typ, "doc": cls.doc, "targets_key": cls.targets_key,
            "targets_required": cls.targets_required, "targets_help": cls.targets_help,
            "intensity": cls.intensity, "params": [_field(f) for f in cls.params],
        })
    return {"levers": levers, "schedule": [_field(f) for f in SCHEDULE_FIELDS],
            "targets": [_field(f) for f in TARGET_FIELDS], "rules": list(TARGET_RULES)}


def series_bands(results: Results) -> dict:
    """Per strategy and shown series: median and 5/95 % quantiles over replications, per step."""
    steps = results.steps()
    out: dict = {"labels": {k: v[1] for k, v in SERIES_SHOWN.items()}, "strategies": {}}
    if steps.empty:
        return out
    for name in results.strategies:
        sub = steps[steps.strategy == name]
        per: dict = {}
        for var, (how, _) in SERIES_SHOWN.items():
            v = sub[sub.variable == var]
            if v.empty:
                continue
            agg = v.groupby(["replication", "step"], sort=True)["value"].agg(how).unstack("step")
            arr = agg.to_numpy(dtype=float)                       # [runs, T]
            q = np.nanquantile(arr, [0.05, 0.5, 0.95], axis=0)
            per[var] = {"p05": q[0].round(4), "p50": q[1].round(4), "p95": q[2].round(4)}
        out["strategies"][name] = per
    return clean(out)


def map_flows(sc: Scenario, strategies: Sequence[Strategy], seed: int, steps: int | None) -> dict:
    """Flow per edge and step of replication 0 under every strategy (for the map and its slider)."""
    net = network_for(sc)
    out: dict = {"replication": 0, "strategies": {},
                 "edges": [[net.node_ids[a], net.node_ids[b]] for a, b in zip(net.edge_src, net.edge_dst, strict=True)],
                 "nodes": list(net.node_ids)}
    for st in strategies:
        rng = np.random.default_rng(replication_seed(seed, 0))
        traj = simulate(net, st, rng, steps, record_flows=True)
        events = [{"step": r.step, "type": r.type, "targets": list(r.targets), "harm": r.harm,
                   "cost": r.cost, "hits": list(r.detail.get("hits", []))} for r in traj.reports]
        out["strategies"][st.name] = {
            "edge_flow": np.round(traj.edge_flow, 1),
            "node_flow": np.round(traj.node_flow, 1) if traj.node_flow is not None else None,
            "delivered": np.round(traj.delivered_total, 1),
            "events": events,
        }
    return clean(out)


def summary_rows(results: Results) -> list[dict]:
    """Comparison table: one row per strategy; each metric as median, 5/95 % and paired difference."""
    summ = results.summary(TABLE_METRICS, paired=True)
    rows = []
    for name in results.strategies:
        rows.append({"strategy": name, "metrics": summ.get(name, {})})
    return clean(rows)


def results_view(sc: Scenario, results: Results, flows: dict) -> dict:
    """Everything the page shows about a finished job."""
    table = results.table()
    recovered = {}
    if "recovery_steps" in table:
        for name, sub in table.groupby("strategy"):
            vals = pd.to_numeric(sub["recovery_steps"], errors="coerce")
            recovered[name] = int(vals.notna().sum())
    return {
        "scenario": sc.name, "runs": results.runs, "seed": results.seed, "strategies": results.strategies,
        "metrics": TABLE_METRICS, "labels": {m: LABELS[m] for m in TABLE_METRICS},
        "table": summary_rows(results), "recovered_runs": recovered,
        "series": series_bands(results), "map": flows, "network": scenario_view(sc),
    }
