"""JSON views of library objects for the web page (no model logic here).

Every function turns something the library computed — a scenario, the lever
declarations, :class:`~counterflow.runner.Results`, recorded trajectories —
into plain JSON-ready dicts. The results of a job are the report's content
(:mod:`counterflow.report.content`), read from the recorded runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..levers import LEVERS
from ..runner import Results
from ..scenario import Scenario
from ..strategy import SCHEDULE_FIELDS, TARGET_FIELDS, TARGET_RULES, Strategy

__all__ = ["scenario_view", "lever_catalog", "results_view", "clean", "WIDTH"]

WIDTH = 860  # pixels of the results' charts: they fit the page's results column at 1366 x 768


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
    from ..report.effects import steps_word
    from ..report.words import strategy_words
    from ..strategy import resolve_strategies

    resolved = {st.name: st for st in resolve_strategies(sc, [n for n in sc.strategies if n != "baseline"],
                                                          allow_files=False)}
    for name, raw in sc.strategies.items():
        if name == "baseline":
            continue
        raw = raw if isinstance(raw, dict) else {}
        words = strategy_words(resolved[name], sc, steps_word(sc)) if name in resolved else []
        strategies.append({"name": name, "description": str(raw.get("description", "")),
                           "levers": clean(raw.get("levers", [])), "words": words})
    return clean({
        "name": sc.name,
        "description": sc.description,
        "steps": sc.steps,
        "step_word": steps_word(sc),
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


def results_view(sc: Scenario, results: Results, strategies: Sequence[Strategy] | None = None) -> dict:
    """Everything the page shows about a finished job: the report's content (same numbers, same specs).

    See :func:`counterflow.report.content.build_content`: the comparison
    exactly as ``compare --json`` (``compare``), its table as text, Vega-Lite
    specs of the time figures and maps, map notes, event summaries and the
    strategies in words; nothing is simulated again.
    """
    from ..report.content import build_content

    view = build_content(sc, results, strategies, width=WIDTH)
    view["network"] = scenario_view(sc)
    return clean(view)
