"""One vocabulary for every view: numbers, intervals, undefined values and strategies in words.

The report, the web page and ``compare`` write a number, an interval and an
undefined cost per kg the same way:

- numbers as :func:`fmt` (the same rule as the terminal tables);
- a paired difference as ``Δ -12.3 [-20.1, -4.5]``: mean over replications,
  then its 95 % interval in square brackets (:func:`delta`); a value with its
  95 % interval the same way (:func:`estimate`);
- an interval of no width (every run gave the same value: a strategy's cost,
  a strike that never fired) as the value alone followed by
  ``(no spread across runs)``, never ``14.20M [14.20M, 14.20M]``;
- an interval that cannot be stated (one run, or no finite value) as
  ``(no interval)``;
- a 5-95 % range of runs as ``[lo, hi]`` by the same rule (:func:`bounds`: ends
  that differ below the shown precision get the decimals that tell them apart),
  and one whose ends are one value as ``(5–95 % range: one value)``;
- a cost per kg when nothing was averted as ``nothing averted``;
- a recovery that did not happen within the horizon as ``never``, and the
  recovery of a set of runs as how many recovered, never did or were not
  affected (:func:`recovery_words`), never as a range of steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..labels import lever_label, param_format, param_label, rule_label

__all__ = ["fmt", "interval", "bounds", "ci", "estimate", "median_and_range", "delta", "NOTHING_AVERTED", "NEVER", "NO_SPREAD", "NO_INTERVAL", "INTERVAL_NOTE", "ONE_VALUE_RANGE", "RECOVERY_NOTE", "recovery_words", "lever_words", "strategy_words",
           "place_names", "target_names"]

NOTHING_AVERTED = "nothing averted"
NEVER = "never"
NO_SPREAD = "(no spread across runs)"
NO_INTERVAL = "(no interval)"
#: what the two words above mean, for the notes under every table that shows intervals
INTERVAL_NOTE = ("\"no spread across runs\": every run gave the same value (a fixed cost, a strike that never fired), "
                 "so its interval has no width; \"no interval\": one run, too few to state one.")


def fmt(x: float | None, none: str = "-", unit: str = "") -> str:
    """Compact number, the one rule of every table and view: ``none`` for a missing or undefined
    (NaN) value (e.g. ``'never'`` for a recovery), ``inf`` and ``-inf`` for infinite ones;
    ``unit`` follows after a space (``fmt(6500, unit="kg")`` gives ``'6500 kg'``)."""
    if x is None or math.isnan(x):
        return none
    ax = abs(x)
    if _rounds_to_zero(ax):
        x, ax = 0.0, 0.0  # a value that shows as zero shows without a sign ("-0.000" reads as a negative)
    if ax == math.inf:
        text = "inf" if x > 0 else "-inf"
    elif ax >= 1e9:
        text = f"{x / 1e9:.2f}B"
    elif ax >= 1e6:
        text = f"{x / 1e6:.2f}M"
    elif ax >= 1e4:
        text = f"{x:,.0f}"
    elif ax >= 100:
        text = f"{x:.0f}"
    elif ax >= 1:
        text = f"{x:.1f}"
    else:
        text = f"{x:.3f}"
    return f"{text} {unit}" if unit else text


def _rounds_to_zero(ax: float) -> bool:
    """True when :func:`fmt` writes the magnitude ``ax`` as zero (3 decimals below 1)."""
    return ax < 1 and f"{ax:.3f}" == "0.000"


#: a 5-95 % range of runs whose two ends are one value
ONE_VALUE_RANGE = "(5–95 % range: one value)"


def interval(lo: float | None, hi: float | None, none: str = "-") -> str:
    """The 5-95 % range of runs: ``[lo, hi]`` as :func:`bounds` writes it, so ends that differ below the shown
    precision get the decimals that tell them apart; ``(5–95 % range: one value)`` when both ends are one
    value (equal, or equal up to floating-point rounding; two missing or two infinite ends alike). A missing end
    is written ``none``, an infinite one ``inf``. (A 95 % interval of a mean is :func:`ci`.)

    >>> interval(2.71, 2.74), interval(5.0, 5.0), interval(0.5, None, none="never")
    ('[2.71, 2.74]', '(5–95 % range: one value)', '[0.500, never]')
    """
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        a, b = fmt(lo, none), fmt(hi, none)
        return ONE_VALUE_RANGE if a == b else f"[{a}, {b}]"
    text = bounds(lo, hi)
    return ONE_VALUE_RANGE if text is None else text


def _scale(x: float) -> tuple[float, str]:
    """The divisor and suffix :func:`fmt` writes a magnitude ``x`` with (``(1e6, "M")`` from a million)."""
    return next(((d, s) for d, s in ((1e9, "B"), (1e6, "M")) if x >= d), (1.0, ""))


def _scaled(x: float, div: float, suffix: str, k: int) -> str:
    """``x`` in units of ``div`` with ``k`` decimals and ``suffix``; a value that shows as zero without a sign."""
    text = f"{x / div:,.{k}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]
    return text + suffix


def _bounds(lo: float, hi: float) -> tuple[str, str, int] | None:
    """The two ends of :func:`bounds` as text and the decimals of a millions/billions scale (-1 for plain)."""
    if abs(hi - lo) <= 1e-9 * max(abs(lo), abs(hi)):  # equal up to the rounding of the sums behind them
        return None
    div, suffix = _scale(max(abs(lo), abs(hi)))
    if not suffix:  # both plain: fmt's form for each end
        a, b = fmt(lo), fmt(hi)
        if a != b:
            return a, b, -1
    first: tuple[str, str, int] | None = None
    for k in range(2, 17):
        a, b = _scaled(lo, div, suffix, k), _scaled(hi, div, suffix, k)
        if a == b:
            continue
        if first is None:
            first = (a, b, k)
        # one scale for both ends: a small end gets the decimals that show its first digit (and so its sign;
        # "[-6.03M, 0.00M]" would hide whether the interval contains 0), up to 4 (hundreds in millions); an end
        # still smaller than that is written in fmt's own form ("[-6.03M, 40.0]"): two forms, but its sign shows
        if not suffix or all(x == 0 or t.strip("-0.,MB") for x, t in ((lo, a), (hi, b))):
            return a, b, (k if suffix else -1)
        if k >= 4:
            return fmt(lo), fmt(hi), -1
    return first


def bounds(lo: float, hi: float) -> str | None:
    """Two finite bounds as ``[lo, hi]``, the one rule of ranges (:func:`interval`) and intervals (:func:`ci`):
    :func:`fmt`'s precision, and where the two bounds would read the same, the decimals that tell them apart.
    Both ends are written in one form: from a million on, both in the millions (or billions) of the larger end,
    ``[-6.03M, -0.05M]``, never ``[-6.03M, -53,371]``; a small end gets the decimals that show its first
    digit (``[-6.030M, 0.001M]``).
    ``None`` when they are one value: equal up to floating-point rounding (a relative difference under 1e-9)
    or equal at 16 decimals (so ``bounds(1e-12, 3e-10)`` is a range, written with the decimals it needs).

    >>> bounds(-6.03e6, -53371), bounds(-6.03e6, 1234), bounds(2.71, 2.74)
    ('[-6.03M, -0.05M]', '[-6.030M, 0.001M]', '[2.71, 2.74]')
    """
    parts = _bounds(lo, hi)
    return None if parts is None else f"[{parts[0]}, {parts[1]}]"


def ci(lo: float | None, hi: float | None, n: int | None = None) -> str:
    """A 95 % interval: ``[lo, hi]`` as :func:`bounds` writes it (bounds that differ by less than :func:`fmt`
    shows get the decimals that tell them apart); ``(no spread across runs)`` when it has no width (equal up to
    floating-point rounding, or at 16 decimals); ``(no interval)`` when it cannot be stated (a bound missing or
    not finite, or ``n``, the number of values behind it, is 1).

    >>> ci(-20.1, -4.5), ci(14.2e6, 14.2e6), ci(3.0, 3.0, n=1), ci(None, None)
    ('[-20.1, -4.5]', '(no spread across runs)', '(no interval)', '(no interval)')
    >>> ci(14.2e6, 14.2013e6)
    '[14.200M, 14.201M]'
    """
    if lo is None or hi is None or n == 1 or not (math.isfinite(lo) and math.isfinite(hi)):
        return NO_INTERVAL
    text = bounds(lo, hi)
    return NO_SPREAD if text is None else text


def _beside(value: float | None, lo: float | None, hi: float | None, text: str, none: str = "-") -> str:
    """``value`` followed by ``text``, the bounds ``lo``, ``hi`` as :func:`bounds` wrote them: in their millions
    (or billions) when they are written so, else as :func:`fmt` writes it."""
    if (text.startswith("[") and value is not None and math.isfinite(value) and lo is not None and hi is not None
            and math.isfinite(lo) and math.isfinite(hi)):
        parts = _bounds(lo, hi)
        if parts is not None and parts[2] >= 0:
            div, suffix = _scale(max(abs(lo), abs(hi)))
            shown = _scaled(value, div, suffix, parts[2])
            if value == 0 or shown.strip("-0.,MB"):  # a value the range's form would show as 0 keeps its own
                return f"{shown} {text}"
    return f"{fmt(value, none)} {text}"


def estimate(value: float | None, lo: float | None, hi: float | None, n: int | None = None) -> str:
    """A value with its 95 % interval: ``14.2 [12.0, 16.3]``, ``14.20M (no spread across runs)``; a value
    next to an interval written in millions (or billions) is written in them too: ``0.60M [-0.10M, 1.30M]``."""
    return _beside(value, lo, hi, ci(lo, hi, n))


def median_and_range(value: float | None, lo: float | None, hi: float | None, none: str = "-") -> str:
    """A median with the 5-95 % range of runs (:func:`interval`), the median in the range's form:
    ``0.60M [0.10M, 1.30M]`` (never ``600,000 [0.10M, 1.30M]``), ``never [0.500, never]``."""
    return _beside(value, lo, hi, interval(lo, hi, none), none)


def delta(mean: float | None, lo: float | None, hi: float | None, n: int | None = None) -> str:
    """A paired difference: ``Δ mean [lo, hi]`` (the interval as :func:`ci` writes it)."""
    return f"Δ {estimate(mean, lo, hi, n)}"


#: what a recovery cell says, for the notes under the tables that show one
RECOVERY_NOTE = ("Recovery: how many runs came back within the noise band of no action (and the median time "
                 "those took), never came back within the horizon, or were not affected at all.")


def recovery_words(rec: dict, step: str = "step") -> str:
    """How runs recovered, in words (``rec``: :func:`counterflow.analysis.recovery_counts`), instead of a range
    that mixes runs a strategy did not affect (0 steps) with runs that never recovered:
    ``18 of 20 recover, median 52 steps; 2 never`` (``; 3 no effect`` for runs whose deliveries never left the
    band of the baseline); ``no effect in any of 20 runs``.

    >>> recovery_words({"recovered": 18, "never": 2, "no_effect": 0, "median_steps": 52.0})
    '18 of 20 recover, median 52 steps; 2 never'
    >>> recovery_words({"recovered": 0, "never": 0, "no_effect": 20, "median_steps": None}, step="week")
    'no effect in any of 20 runs'
    """
    k, never, none = rec["recovered"], rec["never"], rec["no_effect"]
    n = k + never + none
    if n == 0:
        return "-"
    if none == n:
        return f"no effect in any of {n} runs" if n > 1 else "no effect in the one run"
    med = rec.get("median_steps")
    text = f"{k} of {n} recover"
    if k and med is not None:
        text += f", median {med:g} {step}" + ("" if med == 1 else "s")
    if never:
        text += f"; {never} never"
    if none:
        text += f"; {none} no effect"
    return text


def place_names(scenario) -> dict[str, str]:
    """Node id -> its name in the scenario (the id when it has none)."""
    return {n.id: (n.name or n.id) for n in scenario.nodes}


def target_names(scenario) -> dict[str, str]:
    """What a lever firing may target, id -> words: places, routes (``a->b``, as the levers record them),
    jurisdictions and organisations by their names in the scenario (a place's name wins a shared id)."""
    places = place_names(scenario)
    names = {o.id: (o.name or o.id) for o in scenario.organisations}
    names.update({j.id: (j.name or j.id) for j in scenario.jurisdictions})
    names.update({f"{e.src}->{e.dst}": f"{places.get(e.src, e.src)} to {places.get(e.dst, e.dst)}"
                  for e in scenario.edges})
    names.update(places)
    return names


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


def _targets(t, names: dict[str, str], juris: dict[str, str], orgs: dict[str, str] | None = None) -> str:
    if t is None:
        return ""
    bits = []
    if t.nodes:
        bits.append(_list([names.get(n, n) for n in t.nodes]))
    if t.edges:
        bits.append(_list([f"{names.get(a, a)} to {names.get(b, b)}" for a, b in t.edges]) + " routes")
    if t.rule:
        what = rule_label(t.rule)
        kind = t.kind or "place"
        bits.append(f"the {what} {kind} at the time" if t.k == 1 else f"the {t.k} {what} {kind}s at the time")
    if t.mode:
        bits.append(f"{t.mode} routes")
    if t.jurisdictions:
        bits.append("in " + _list([juris.get(j, j) for j in t.jurisdictions]))
    if t.organisations:
        bits.append(_list([(orgs or {}).get(o, o) for o in t.organisations]))
    return " ".join(bits)



def lever_words(lv, scenario=None, step: str = "week") -> str:
    """One lever in words, e.g. "strike on Main dock in week 4 (intelligence accuracy 80 %, USD 2.00M each)"."""
    names = place_names(scenario) if scenario is not None else {}
    juris = {j.id: (j.name or j.id) for j in scenario.jurisdictions} if scenario is not None else {}
    orgs = {o.id: (o.name or o.id) for o in scenario.organisations} if scenario is not None else {}
    text = lever_label(lv.type)
    where = _targets(lv.targets, names, juris, orgs)
    if where:
        text += (" " if where.startswith("in ") else " on ") + where
    text += " " + _schedule(lv.schedule, step)
    extra = []
    for key, value in lv.params.items():
        label, form = param_label(key), param_format(key)
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
