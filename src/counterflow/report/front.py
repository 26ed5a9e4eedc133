"""A search front as a table and an HTML report (``counterflow front --report``), and a sweep's summaries as a table.

The figures are :func:`counterflow.report.specs.front_specs`, the same specs the
web page draws; the numbers are those of ``counterflow front --json`` and
``counterflow analyze --json``, written with :mod:`counterflow.report.words`.
"""

from __future__ import annotations

import html as _html
import json

from .specs import front_specs, front_status, robustness_words
from .words import INTERVAL_NOTE, delta, estimate, fmt, median_and_range, recovery_words

__all__ = ["front_table", "front_intro", "render_front_html", "sweep_table", "ETHICS"]

ETHICS = ("Harm and backlash are reported next to flow; scenario numbers are illustrative, "
          "not forecasts or targeting advice.")


def front_table(data: dict) -> dict:
    """The front as text cells: ``{"columns": [...], "rows": [{"eval", "cells": [...], "status", ...}]}``.

    One row per front member: its number, the portfolio in words, every objective's robust value
    with its 95 % bootstrap interval, the cost, feasibility and the out-of-sample check.
    """
    objs = data["objectives"]
    cost_is_objective = any(o["outcome"] == "cost_usd" for o in objs)
    columns = ["#", "Portfolio", *[f"{o['label']}: {robustness_words(o)} ({'higher' if o['direction'] == 'max' else 'lower'}"
                                   " is better)" for o in objs],
               *([] if cost_is_objective else ["Cost (USD)"]), "Feasible", "Out of sample"]
    rows = []
    for p in data["portfolios"]:
        cells = [str(p["eval"]), p["description"] or "no action"]
        cells += [estimate(e["value"], e["lo"], e["hi"]) for e in (p["objectives"][o["name"]] for o in objs)]
        cells += [] if cost_is_objective else [fmt(p["cost_usd"])]
        cells += ["yes" if p["feasible"] else "no", front_status(p)]
        rows.append({"eval": p["eval"], "cells": cells, "status": front_status(p)})
    return {"columns": columns, "rows": rows}


def discovery_words(d: dict) -> str:
    """Scenario discovery (``search.front.discover``) in words, as ``front --portfolio N`` and the page say it."""
    why = f" ({', '.join(d['reasons'])})" if d["reasons"] else ""
    text = (f"Scenario discovery: it breaks a constraint, a threshold or the budget in {d['failing']} of the "
            f"{d['futures']} futures evaluated{why}. ")
    if d["box"]:
        box = "; ".join(f"{k} from {fmt(lo)} to {fmt(hi)}" for k, (lo, hi) in d["box"]["box"].items())
        text += (f"{d['method']}: the failures concentrate where {box or 'anywhere'} (density "
                 f"{d['box']['density']:.2f}, coverage {d['box']['coverage']:.2f})"
                 + ("; with so few futures this is a pointer, not a finding." if d["futures"] < 50 else "."))
    else:
        text += d["note"][0].upper() + d["note"][1:] + "."
    return text


def front_intro(data: dict) -> str:
    """One paragraph saying what the front's numbers are."""
    ev, oos = data["evaluations"], data["out_of_sample"]
    budget = f"budget {fmt(data['budget_usd'])} USD" if data.get("budget_usd") is not None else "no budget"
    cons = "; ".join(data["constraints"]) or "none"
    return (f"{ev['stored']} portfolios evaluated ({ev['failed']} failed) on {data['futures']} futures × "
            f"{data['replications']} runs each, with the same seeds for every portfolio (seed {data['seed']}); "
            f"{budget}; constraints: {cons}. Each value is the objective's robust statistic over futures × runs "
            f"with its 95 % bootstrap interval in brackets. \"Survives out of sample\": on {oos['futures']} fresh "
            f"futures × {oos['replications']} fresh runs no other front member beats it with 95 % confidence "
            "and its constraints still hold. " + INTERVAL_NOTE)


def sweep_table(res: dict, baseline: str | None = None) -> dict:
    """A sweep's summaries (``analyze``'s dict) as text: per outcome, per strategy the median [5 %, 95 %] of the
    runs, then the mean paired difference from the baseline with its 95 % interval and "better in N %" (for the
    outcomes ``compare`` gives it, :func:`counterflow.report.tables.share_better`: not for a cost).

    The one writing of these cells: the page's sweep view shows them all, ``counterflow analyze`` the value
    and the difference. ``baseline`` defaults to the first strategy (a sweep's first strategy is its
    baseline); name it when ``res`` holds only some of the strategies.
    """
    from ..outcomes import LABELS
    from .tables import share_better

    strategies = list(res["strategies"])
    base = baseline if baseline is not None else strategies[0] if strategies else None
    outcomes = list(next(iter(res["strategies"].values()), {}))
    rows = []
    for o in outcomes:
        cells = {}
        for s in strategies:
            e = res["strategies"][s][o]
            if o == "recovery_steps" and e.get("recovery"):  # how the runs recovered, not a range of steps
                c = {"value": "n/a" if s == base else recovery_words(e["recovery"]), "mean": "", "n": e.get("n")}
                cells[s] = c
                continue
            c = {"value": median_and_range(e["p50"], e["p05"], e["p95"]), "mean": fmt(e["mean"]), "n": e.get("n")}
            if s != base and e.get("diff_mean") is not None:
                c["delta"] = delta(e["diff_mean"], e["diff_lo"], e["diff_hi"])
                share = share_better(e, o)  # as compare's cells: not for costs, not when every pair ties
                if share is not None:
                    c["better"] = f"better in {share:.0f}%"
            cells[s] = c
        rows.append({"outcome": o, "label": LABELS.get(o, o), "cells": cells})
    return {"strategies": strategies, "baseline": base, "rows": rows}


def render_front_html(data: dict, version: str) -> str:
    """The front's HTML report: intro, table, parallel coordinates, trade-offs (and scenario discovery)."""
    from .html import EMBED_SCRIPT, vendor_scripts

    e = _html.escape
    table = front_table(data)
    head = "".join(f"<th>{e(c)}</th>" for c in table["columns"])
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r["cells"]) + "</tr>" for r in table["rows"])
    specs = front_specs(data, width=960)
    charts = "".join(f'<div class="chart" id="{k}" role="img" aria-label="{k}"></div>' for k in specs)
    disc = ""
    if data.get("discovery"):
        d = data["discovery"]
        disc = (f"<h2>Scenario discovery: portfolio {d['eval']}</h2><p>It fails its thresholds in {d['failing']} "
                f"of {d['futures']} futures ({e(', '.join(d['reasons'])) or 'none'}).</p>")
        disc += (f"<p>{e(d['method'])}: box {e(str(d['box']['box']))}, density {d['box']['density']:.2f}, "
                 f"coverage {d['box']['coverage']:.2f}.</p>" if d["box"] else f"<p>{e(d['note'])}.</p>")
    empty = "" if table["rows"] else "<p>No feasible portfolio was found (none meets the budget and constraints).</p>"
    spec_json = json.dumps(specs, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Search front: {e(data['scenario'])}</title>
<style>body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;max-width:1060px;
margin:0 auto;padding:20px 24px 60px;color:#1d2226;background:#fafaf7;font-size:15px;line-height:1.45}}
table{{border-collapse:collapse;background:#fff;width:100%}}
td,th{{border-bottom:1px solid #e4e4e4;padding:5px 7px;font-size:13px;vertical-align:top;text-align:left}}
th{{background:#f0efe9}}.chart{{margin:14px 0 22px}}footer{{color:#666;font-size:13px;margin-top:3em}}</style>
{vendor_scripts()}</head><body><h1>Robust front: {e(data['scenario'])}</h1>
<p>{e(front_intro(data))}</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{empty}
{charts}
{disc}<footer>{e(ETHICS)} Counterflow {e(version)}; charts drawn with Vega-Lite (BSD-3-Clause), inlined.</footer>
<script type="application/json" id="specs">{spec_json}</script>
{EMBED_SCRIPT}</body></html>
"""
