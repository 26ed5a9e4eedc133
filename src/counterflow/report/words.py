"""One vocabulary for every view: numbers, intervals, undefined values and strategies in words.

The report, the web page and ``compare`` write a number, an interval and an
undefined cost per kg the same way:

- numbers as :func:`fmt` (the same rule as the terminal tables);
- a paired difference as ``Δ -12.3 [-20.1, -4.5]``: mean over replications,
  then its 95 % interval in square brackets;
- a cost per kg when nothing was averted as ``nothing averted``;
- a recovery that did not happen within the horizon as ``never``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["fmt", "interval", "delta", "NOTHING_AVERTED", "NEVER", "lever_words", "strategy_words",
           "place_names"]

NOTHING_AVERTED = "nothing averted"
NEVER = "never"


def fmt(x: float | None, none: str = "-") -> str:
    """Compact number (the same rule as the terminal tables of ``run`` and ``compare``)."""
    if x is None:
        return none
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.2f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    return f"{x:.3f}"


def interval(lo: float | None, hi: float | None) -> str:
    """A 95 % interval, written ``[lo, hi]``."""
    return f"[{fmt(lo)}, {fmt(hi)}]"


def delta(mean: float | None, lo: float | None, hi: float | None) -> str:
    """A paired difference: ``Δ mean [lo, hi]``."""
    return f"Δ {fmt(mean)} {interval(lo, hi)}"


def place_names(scenario) -> dict[str, str]:
    """Node id -> its name in the scenario (the id when it has none)."""
    return {n.id: (n.name or n.id) for n in scenario.nodes}


def _list(items: Sequence[str], limit: int = 4) -> str:
    items = list(items)
    if len(items) <= limit:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _schedule(s, step: str) -> str:
    if s.at:
        return f"in {step} {_list([str(t) for t in s.at])}"
    text = f"from {step} {s.start}"
    if s.every > 1:
        text = f"every {s.every} {step}s " + text
    else:
        text = f"every {step} " + text
    if s.until is not None:
        text += f" to {s.until}"
    return text


def _targets(t, names: dict[str, str], juris: dict[str, str]) -> str:
    if t is None:
        return ""
    bits = []
    if t.nodes:
        bits.append(_list([names.get(n, n) for n in t.nodes]))
    if t.edges:
        bits.append(_list([f"{names.get(a, a)} to {names.get(b, b)}" for a, b in t.edges]) + " routes")
    if t.rule:
        what = {"top_throughput": "busiest", "betweenness": "most central", "random": "randomly chosen",
                "optimized": "optimally chosen"}.get(t.rule, t.rule)
        kind = t.kind or "place"
        bits.append(f"the {what} {kind} at the time" if t.k == 1 else f"the {t.k} {what} {kind}s at the time")
    if t.mode:
        bits.append(f"{t.mode} routes")
    if t.jurisdictions:
        bits.append("in " + _list([juris.get(j, j) for j in t.jurisdictions]))
    if t.organisations:
        bits.append(_list(list(t.organisations)))
    return " ".join(bits)


_PARAM_WORDS = {
    "intel_accuracy": ("intelligence accuracy", "{:.0%}"),
    "damage": ("damage", "{:.0%}"),
    "intensity": ("intensity", "{:g}"),
    "lethal": ("lethal force", None),
}


def lever_words(lv, scenario=None, step: str = "week") -> str:
    """One lever in words, e.g. "strike on Main dock in week 4 (intelligence accuracy 80 %, USD 2.00M each)"."""
    names = place_names(scenario) if scenario is not None else {}
    juris = {j.id: (j.name or j.id) for j in scenario.jurisdictions} if scenario is not None else {}
    text = lv.type.replace("_", " ")
    where = _targets(lv.targets, names, juris)
    if where:
        text += " on " + where if lv.type == "strike" else " - " + where
    text += " " + _schedule(lv.schedule, step)
    extra = []
    for key, value in lv.params.items():
        label, form = _PARAM_WORDS.get(key, (key.replace("_", " "), "{}"))
        if isinstance(value, bool):
            extra.append(label if value else f"no {label}")
        elif isinstance(value, int | float) and form is not None:
            extra.append(f"{label} {form.format(value).replace('%', ' %')}")
        elif value is not None:
            extra.append(f"{label} {value}")
    if lv.unit_cost:
        extra.append(f"USD {fmt(lv.unit_cost)} each time")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def strategy_words(strategy, scenario=None, step: str = "week") -> list[str]:
    """Each lever of a strategy in words (empty for the baseline)."""
    return [lever_words(lv, scenario, step) for lv in strategy.levers]
