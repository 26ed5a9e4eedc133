"""The outcomes registry: every number a run is summarised into, declared once.

Each :class:`Outcome` says what it is called (``label`` for tables and axes,
``plain`` for the report's readers), its unit, which direction is better, how a
run is reduced to it, and how a paired difference from the baseline is taken.
``run``, ``compare``, the sweep store, ``analyze``, ``sensitivity``,
calibration, the report, the web page and the search all read this table, so
adding an outcome means adding one entry here (and, for a new kind of
reduction, a line in :func:`reduce_run`).

Two kinds of numeric outcome, and categorical ones:

- **per-run** outcomes (``paired=False``) are computed from one run's own series
  (delivered kg, civilian harm...). Their paired difference is the strategy's
  value minus the value of the baseline run with the same seed.
- **paired** outcomes (``paired=True``) are defined against the baseline run with
  the same seed (flow reduction, recovery, displacement, cost per kg averted).
  Their baseline value is 0 by definition, and their "difference" is the value.

- **categorical** outcomes (``categories`` not empty; ``recovery_status``) take
  one of a few named values per run; summaries give the share of runs per value.
  They are kept out of :data:`PAIRED_OUTCOMES` (sweep stores hold numbers only).

``direction`` is ``"max"`` when more is better for the strategy's goal (seized kg,
flow reduction), ``"min"`` when less is better (delivered kg, harm, cost).
``judged`` says whether a view may colour a significant difference good or bad;
it is false where the direction is a convention more than a verdict (active
nodes, route entropy, displacement, cost: every strategy costs more than none).

Examples
--------
>>> from counterflow.outcomes import OUTCOMES, better
>>> OUTCOMES["civilian_harm"].direction
'min'
>>> better("flow_reduction_pct", 3.0)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Outcome", "OUTCOMES", "RUN_OUTCOMES", "PAIRED_OUTCOMES", "CATEGORICAL_OUTCOMES", "SUMMARY_OUTCOMES",
           "LABELS",
           "PLAIN_LABELS", "get", "better", "reduce_run", "check_names"]


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run (see the module docstring)."""

    name: str
    label: str
    plain: str
    unit: str
    direction: Literal["min", "max"]
    paired: bool = False
    judged: bool = True
    series: str | None = None          # per-run outcomes: the recorded series it reduces
    reduce: Literal["sum", "mean", "price_index"] | None = None
    display_scale: float = 1.0         # views: value x scale ...
    display_unit: str = ""             # ... in this unit
    infinite_when: str = ""            # what a non-finite value means, in words ("" when it cannot be)
    categories: tuple[str, ...] = ()   # a categorical outcome: its possible values (summarised as shares)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "max"


_ALL = [
    Outcome("delivered_kg", "Delivered to markets (kg)", "Drugs reaching consumers (tonnes)", "kg", "min",
       series="delivered", reduce="sum", display_scale=1e-3, display_unit="t"),
    Outcome("seized_kg", "Seized (kg)", "Seized (tonnes)", "kg", "max",
       series="seized", reduce="sum", display_scale=1e-3, display_unit="t"),
    Outcome("destroyed_kg", "Destroyed (kg)", "Destroyed in strikes (tonnes)", "kg", "max",
       series="destroyed", reduce="sum", display_scale=1e-3, display_unit="t"),
    Outcome("flow_reduction_pct", "Flow reduction vs baseline (%)", "Less reaching consumers than with no action (%)",
       "%", "max", paired=True),
    Outcome("recovery_steps", "Steps to recover (back in the band of baseline)",
       "Weeks until supply is back to no-action levels (within the noise band)",
       "steps", "min", paired=True, infinite_when="not within the horizon"),
    Outcome("recovery_status", "Recovery status (share of runs, %)", "Supply back to no-action levels? (share of runs)",
       "%", "max", paired=True, judged=False, categories=("recovered", "never", "no_effect")),
    Outcome("displacement_pct", "Flow displaced to other places (%)", "Flow pushed to other places (%)", "%", "min",
       paired=True, judged=False),
    Outcome("active_nodes", "Active nodes (mean per step)", "Places in use (mean)", "nodes", "min",
       judged=False, series="active_nodes", reduce="mean"),
    Outcome("route_entropy", "Route diversity (entropy, nats)", "Spread of routes (entropy)", "nats", "min",
       judged=False, series="route_entropy", reduce="mean"),
    Outcome("civilian_harm", "Civilian harm (expected casualties)", "Civilian casualties (expected)", "casualties",
       "min", series="harm", reduce="sum"),
    Outcome("hardship", "Hardship index (mean)", "Hardship (index, mean)", "index", "min",
       series="hardship", reduce="mean"),
    Outcome("backlash", "Backlash index 0-1 (mean)", "Backlash (0 to 1, mean)", "index 0-1", "min",
       series="backlash", reduce="mean"),
    Outcome("cost_usd", "Cost of the strategy (USD)", "Cost (USD millions)", "USD", "min", judged=False,
       series="cost", reduce="sum", display_scale=1e-6, display_unit="M USD"),
    Outcome("cost_per_kg_averted", "Cost per kg averted (USD)", "Cost per kg kept off the market (USD)", "USD/kg",
       "min", paired=True, infinite_when="nothing averted"),
    Outcome("mean_price", "Mean price / reference price", "Street price against the reference (ratio, mean)",
       "ratio", "max", series="price", reduce="price_index"),
    Outcome("revenue_usd", "Trafficker revenue (USD)", "Trafficker revenue (USD millions)", "USD", "min",
       series="revenue", reduce="sum", display_scale=1e-6, display_unit="M USD"),
    Outcome("protection_paid", "Protection paid to officials (USD)",
       "Paid by traffickers to officials for protection (USD millions)", "USD", "min",
       series="protection_paid", reduce="sum", display_scale=1e-6, display_unit="M USD"),
]

#: Every outcome by name, in a fixed order (the order of tables).
OUTCOMES: Mapping[str, Outcome] = {o.name: o for o in _ALL}
#: Outcomes computed from one run alone, in the order runs store them.
RUN_OUTCOMES: tuple[str, ...] = tuple(o.name for o in _ALL if not o.paired)
#: Outcomes defined against the same-seed baseline run.
PAIRED_OUTCOMES: tuple[str, ...] = tuple(o.name for o in _ALL if o.paired and not o.categories)
#: Outcomes that take one of a few named values per run (summaries give the share of runs per value).
CATEGORICAL_OUTCOMES: tuple[str, ...] = tuple(o.name for o in _ALL if o.categories)
#: The outcomes a comparison shows by default (``compare``, the report, the web page).
SUMMARY_OUTCOMES: tuple[str, ...] = ("delivered_kg", "seized_kg", "flow_reduction_pct", "recovery_steps",
                                     "displacement_pct", "active_nodes", "route_entropy", "civilian_harm",
                                     "hardship", "backlash", "cost_usd", "cost_per_kg_averted", "protection_paid")
LABELS: Mapping[str, str] = {o.name: o.label for o in _ALL}
PLAIN_LABELS: Mapping[str, str] = {o.name: o.plain for o in _ALL}


def get(name: str) -> Outcome:
    """The outcome called ``name``; a ``KeyError`` naming the known ones otherwise."""
    try:
        return OUTCOMES[name]
    except KeyError:
        raise KeyError(f"unknown outcome '{name}'; known: {', '.join(OUTCOMES)}") from None


def check_names(names, allowed=None) -> list[str]:
    """``names`` as a list, or ``ValueError`` naming the first unknown one and what is allowed."""
    allowed = list(allowed if allowed is not None else OUTCOMES)
    names = list(names)
    for n in names:
        if n not in allowed:
            raise ValueError(f"unknown metric '{n}'; expected one of: {', '.join(allowed)}")
    return names


def better(name: str, difference):
    """Whether a paired difference (strategy - baseline; the value itself for paired outcomes) is better."""
    d = np.asarray(difference)
    out = d > 0 if OUTCOMES[name].higher_is_better else d < 0
    return bool(out) if out.ndim == 0 else out


def reduce_run(series: Mapping[str, np.ndarray], reference_price: np.ndarray | None = None) -> dict[str, float]:
    """The per-run outcomes of one run from its recorded series (``Trajectory.series``)."""
    out: dict[str, float] = {}
    for name in RUN_OUTCOMES:
        o = OUTCOMES[name]
        assert o.series is not None, f"per-run outcome '{name}' names no series"
        x = series[o.series]
        if o.reduce == "sum":
            out[name] = float(x.sum())
        elif o.reduce == "mean":
            out[name] = float(x.mean())
        elif o.reduce == "price_index":
            out[name] = float((x / reference_price).mean()) if reference_price is not None else float("nan")
        else:  # pragma: no cover - guarded by the declarations above
            raise AssertionError(o.reduce)
    return out
