"""What the report and the web page show about a comparison, built once from the recorded runs.

:func:`build_content` turns :class:`~counterflow.runner.Results` (run with
``keep_steps=True`` and ``keep_flows=True``) into plain data: the comparison
exactly as ``compare --json`` gives it, its table as text, Vega-Lite specs of
the time figures and maps, notes under the maps, event summaries and the
strategies in words. Nothing is simulated here.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..runner import Results
from ..scenario import Scenario
from ..strategy import Strategy, resolve_strategies
from .effects import SERIES, event_summary, flow_effects, series_effects, steps_word
from .specs import map_notes, map_spec, strategy_colours, time_spec
from .tables import COMPARE_METRICS, comparison, comparison_doc, table_rows
from .words import (
    INTERVAL_NOTE,
    RECOVERY_NOTE,
    ci,
    delta,
    fmt,
    place_names,
    strategy_words,
    target_names,
)

__all__ = ["build_content", "compare_doc", "glance"]


def compare_doc(results: Results, metrics: Sequence[str] | None = None, steps: int | None = None) -> dict:
    """The document ``compare --json`` prints for these runs (``steps``: their horizon)."""
    metrics = list(metrics or COMPARE_METRICS)
    if steps is None:
        steps = len(results.records[0].delivered) if results.records else None
    return comparison_doc(results.scenario, results.baseline, results.runs, results.seed, steps, metrics,
                          comparison(results, metrics))


def glance(doc: dict, order: Sequence[str]) -> list[dict]:
    """One plain sentence per strategy from the comparison: flow, harm, backlash, cost and, where any is paid,
    protection paid to officials (means, paired)."""
    out = []
    runs = doc["runs"]
    for name in order:
        if name == doc["baseline"]:
            continue
        per = doc["strategies"][name]
        fr = per.get("flow_reduction_pct")
        if fr is None or fr.get("diff_mean") is None:
            continue
        m, lo, hi = fr["diff_mean"], fr["diff_lo"], fr["diff_hi"]

        def iv(a: float | None, b: float | None) -> str:  # "95 % interval [a, b]", or ci's words for no width
            text = ci(a, b, runs)
            return f"95 % interval {text}" if text.startswith("[") else text[1:-1]

        if lo is not None and hi is not None and lo <= 0 <= hi:
            flow = f"no clear change in what reaches consumers (mean {fmt(m)} % less, {iv(lo, hi)})"
        elif m >= 0:
            flow = f"{fmt(m)} % less reaches consumers than with no action ({iv(lo, hi)})"
        else:
            flow = f"{fmt(-m)} % more reaches consumers than with no action ({iv(-hi, -lo)})"
        bits = []
        for key, what in (("civilian_harm", "civilian casualties"), ("backlash", "backlash")):
            e = per.get(key)
            if e and e.get("diff_mean") is not None:
                bits.append(f"{what} {delta(e['diff_mean'], e['diff_lo'], e['diff_hi'], runs)}")
        cost = per.get("cost_usd", {}).get("mean")
        if cost is not None:
            bits.append(f"cost USD {fmt(cost)}")
        paid, paid_base = per.get("protection_paid"), doc["strategies"].get(doc["baseline"], {}).get("protection_paid")
        if paid and paid.get("diff_mean") is not None and (paid.get("mean") or (paid_base or {}).get("mean")):
            # where protection is paid at all (a protection_share above 0): how the strategy changed it
            bits.append(f"protection paid to officials USD {delta(paid['diff_mean'], paid['diff_lo'], paid['diff_hi'], runs)}")
        out.append({"strategy": name, "text": f"{flow}; " + "; ".join(bits) + f" (means over {runs} paired runs)."})
    return out


def build_content(scenario: Scenario, results: Results, strategies: Sequence[Strategy] | None = None,
                  metrics: Sequence[str] | None = None, *, width: int = 900) -> dict:
    """Everything the report and the page show, as JSON-ready data (see the module docstring).

    ``metrics`` chooses and orders the rows of the comparison table (default:
    all of ``compare``'s). The figures need per-step results and flow totals:
    run the replications with ``keep_steps=True, keep_flows=True``.
    """
    from ..runner import network_for

    metrics = list(metrics or COMPARE_METRICS)
    unknown = [m for m in metrics if m not in COMPARE_METRICS]
    if unknown:
        raise InputError(f"unknown metric '{unknown[0]}'; expected one of: {', '.join(COMPARE_METRICS)}")
    order = list(results.strategies)
    if strategies is None:
        known = resolve_strategies(scenario, [n for n in order if n in scenario.strategies])
        strategies = [s for s in known if s.name in order]
    by_name = {s.name: s for s in strategies}
    step = steps_word(scenario)
    colours = strategy_colours(order, results.baseline)
    names = place_names(scenario)
    net = network_for(scenario)
    doc = compare_doc(results, COMPARE_METRICS)
    reference = {net.node_ids[i]: float(p) for i, p in zip(net.market_node, net.market_price, strict=True)}
    effects = series_effects(results, reference)
    time = {key: time_spec(effects, key, order, colours, results.runs, results.baseline, step, width)
            for key in effects if not key.startswith("_")}
    acting = [n for n in order if n != results.baseline]
    flows = flow_effects(results, acting) if acting else {}
    maps, notes = {}, {}
    for name in acting:
        maps[name] = map_spec(scenario, net, flows[name], name, results.runs, step, width=min(width, 860))
        notes[name] = map_notes(flows[name], names, results.runs)
    levers = {}
    for name in order:
        st = by_name.get(name)
        levers[name] = {"description": (st.description if st is not None else "") or
                        ("No counter-narcotics action." if name == results.baseline else ""),
                        "levers": strategy_words(st, scenario, step) if st is not None else []}
    first = results.records[0] if results.records else None
    return {
        "scenario": scenario.name, "description": scenario.description, "runs": results.runs,
        "seed": results.seed, "horizon": len(first.delivered) if first is not None else scenario.steps,
        "step_word": step, "baseline": results.baseline, "strategies": order, "colours": colours,
        "compare": doc, "metrics": metrics, "table": table_rows(doc, metrics, step),
        "interval_note": INTERVAL_NOTE,
        "recovery_note": RECOVERY_NOTE if "recovery_steps" in metrics else "",
        "glance": glance(doc, order),
        "time": time, "time_labels": {k: SERIES[k][2] for k in time},
        "maps": maps, "map_notes": notes,
        "events": event_summary(results, target_names(scenario)), "levers": levers,
    }
