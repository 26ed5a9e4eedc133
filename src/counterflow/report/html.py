"""The HTML of the report: one file, no external resources (figures inlined as base64 PNG)."""

from __future__ import annotations

import html as _html

from ..outcomes import OUTCOMES, PAIRED_OUTCOMES, PLAIN_LABELS
from ..runner import Results
from ..scenario import Scenario

__all__ = ["render_html", "format_cell"]


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafaf7}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}
p.lead{font-size:1.05em;color:#444;max-width:60em}
.note{background:#fff7e0;border-left:4px solid #e6ab02;padding:8px 12px;font-size:.92em;max-width:62em}
table{border-collapse:collapse;font-size:.88em;background:white;margin:8px 0}
th,td{padding:6px 9px;border-bottom:1px solid #e4e4e4;text-align:right;vertical-align:top}
th{background:#f0efe9;font-weight:600;text-align:center;font-size:.92em}
td.name,th.name{text-align:left;white-space:nowrap}
td small{color:#777;display:block;font-size:.8em;white-space:nowrap}
.scroll{overflow-x:auto}h3{font-size:1.05em;margin-top:1.4em}
td.good{background:#eaf5ea}td.bad{background:#fbeaea}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:6px;vertical-align:-1px}
figure{margin:14px 0 26px}figure img{max-width:100%;border:1px solid #e2e2e2;background:white}
figcaption{font-size:.9em;color:#555;max-width:62em}
ul.strats li,ul.glance li{margin:.3em 0}ul.glance{font-size:1.05em;list-style:none;padding-left:0}footer{color:#888;font-size:.85em;margin-top:3em}
"""


def _fmt(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "never"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}" if digits else f"{x:.0f}"
    return f"{x:.2f}" if ax < 1 else f"{x:.1f}"


MAIN_COLUMNS = ["delivered_kg", "flow_reduction_pct", "recovery_steps", "displacement_pct", "seized_kg",
                "civilian_harm", "backlash", "hardship", "cost_usd", "cost_per_kg_averted"]
NETWORK_COLUMNS = ["active_nodes", "route_entropy", "displacement_pct"]


def format_cell(metric: str, entry: dict | None, is_baseline: bool) -> tuple[str, str]:
    """HTML of one table cell (median, 90 % range, paired difference) and its CSS class."""
    if entry is None:
        return "", ""
    if is_baseline and metric in PAIRED_OUTCOMES:
        return "&ndash;", ""
    k = OUTCOMES[metric].display_scale

    def sc(v):
        return None if v is None else v * k

    med, lo, hi = sc(entry.get("p50")), sc(entry.get("p05")), sc(entry.get("p95"))
    if metric == "cost_per_kg_averted" and med is None:
        text = "nothing averted"
    elif metric == "recovery_steps" and med is None:
        text = "not within horizon"
    else:
        text = f"<b>{_fmt(med)}</b>"
    small = ""
    if lo is not None and hi is not None and lo != hi:
        small += f"<small>{_fmt(lo)} &ndash; {_fmt(hi)}</small>"
    elif lo is not None and hi is None:
        small += f"<small>{_fmt(lo)} &ndash; never</small>"
    cls = ""
    if not is_baseline and metric not in PAIRED_OUTCOMES and entry.get("diff_mean") is not None:
        d, dlo, dhi = sc(entry["diff_mean"]), sc(entry["diff_lo"]), sc(entry["diff_hi"])
        small += f"<small>&Delta; {_fmt(d)} [{_fmt(dlo)}, {_fmt(dhi)}]</small>"
    if not is_baseline and entry.get("diff_lo") is not None and metric not in ("recovery_steps",):
        dlo, dhi, d = entry["diff_lo"], entry["diff_hi"], entry["diff_mean"]
        if (dlo > 0 or dhi < 0) and OUTCOMES[metric].judged:
            better = (d > 0) == OUTCOMES[metric].higher_is_better
            cls = "good" if better else "bad"
    return text + small, cls


def _table(results: Results, table: dict, colours: dict[str, str], metrics: list[str],
           beats: bool = True) -> str:
    head = "".join(f"<th>{_html.escape(PLAIN_LABELS[m])}</th>" for m in metrics)
    if beats:
        head += "<th>Runs in which less reached consumers than with no action (%)</th>"
    rows = []
    for name in results.strategies:
        per = table.get(name, {})
        label = "no action (baseline)" if name == results.baseline else name
        cells = [f'<td class="name"><span class="swatch" style="background:{colours[name]}"></span>'
                 f"{_html.escape(label)}</td>"]
        for m in metrics:
            text, cls = format_cell(m, per.get(m), name == results.baseline)
            cells.append(f'<td class="{cls}">{text}</td>')
        if beats:
            b = per.get("delivered_kg", {}).get("beats_pct")
            cells.append(f"<td><b>{'&ndash;' if name == results.baseline or b is None else f'{b:.0f}'}</b></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><thead><tr><th class="name">Strategy</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _glance(results: Results, table: dict, colours: dict[str, str]) -> str:
    """One plain sentence per strategy: flow, harm, backlash, cost."""
    items = []
    for name in results.strategies:
        if name == results.baseline:
            continue
        per = table.get(name, {})

        def med(m, k=1.0, per=per):
            v = per.get(m, {}).get("p50")
            return None if v is None else v * k

        fr, harm, back, cost = med("flow_reduction_pct"), med("civilian_harm"), med("backlash"), med("cost_usd", 1e-6)
        e = per.get("flow_reduction_pct", {})
        lo, hi, dlo, dhi = e.get("p05"), e.get("p95"), e.get("diff_lo"), e.get("diff_hi")
        if fr is None:
            continue

        def pct(x):
            return f"{x:.1f}" if abs(x) < 10 else f"{x:.0f}"

        if dlo is not None and dhi is not None and dlo <= 0 <= dhi:
            verb = "no clear change in what"
        else:
            verb = f"{pct(fr)} % less" if fr >= 0 else f"{pct(-fr)} % more"
        rng = f" (90 % of runs: {pct(lo)} to {pct(hi)} % less)" if lo is not None and hi is not None else ""
        items.append(f'<li><span class="swatch" style="background:{colours[name]}"></span><b>{_html.escape(name)}</b>: '
                     f"{verb} reaches consumers{rng}; {_fmt(harm)} expected civilian casualties, backlash "
                     f"{_fmt(back)}, cost USD {_fmt(cost)} million.</li>")
    return f'<ul class="glance">{"".join(items)}</ul>' if items else ""


def _lever_line(lv) -> str:
    d = lv.to_dict()
    d.pop("type", None)
    bits = ", ".join(f"{k}: {v}" for k, v in d.items())
    return f"<code>{_html.escape(lv.type)}</code> <small>({_html.escape(bits)})</small>"


def render_html(scenario: Scenario, results: Results, table: dict, strategies: dict, colours: dict[str, str],
                figures_b64: dict[str, str]) -> str:
    """The whole report as one HTML string."""
    esc = _html.escape
    items = []
    for name in results.strategies:
        st = strategies.get(name)
        desc = esc(st.description) if st is not None and st.description else ""
        levers = "".join(f"<li>{_lever_line(lv)}</li>" for lv in (st.levers if st is not None else ()))
        items.append(f'<li><span class="swatch" style="background:{colours[name]}"></span><b>{esc(name)}</b>: '
                     f"{desc}{f'<ul>{levers}</ul>' if levers else ''}</li>")
    fig_html = []
    captions = {
        "delivery": "Kilograms reaching each consumer market per week. Lines are medians over replications, "
                    "shaded bands hold 90 % of runs; dotted verticals mark each strategy's first action.",
        "indicators": "Seizures, prices, the number of places in use, civilian casualties (cumulative), "
                      "backlash and hardship, per week, same conventions.",
        "map": "Where the flow goes: mean kilograms per week on each route in the first replication, in the "
               "weeks before each strategy's first action and from it to the end of the horizon.",
    }
    for key in ("delivery", "indicators", "map"):
        if key in figures_b64:
            fig_html.append(f'<figure><img alt="{key}" src="data:image/png;base64,{figures_b64[key]}">'
                            f"<figcaption>{captions[key]}</figcaption></figure>")
    from .. import __version__

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Counterflow: {esc(scenario.name)} - comparing strategies</title>
<style>{CSS}</style></head>
<body><main>
<h1>{esc(scenario.name)}: what each strategy does to the flow, and at what cost</h1>
<p class="lead">{esc(scenario.description)}</p>
<p class="note">Stylised, illustrative model: regions and fictional groups, not intelligence and not a targeting aid.
Every strategy is run {results.runs} times with the same random seeds as the no-action baseline (seed {results.seed}),
so differences are paired. Civilian harm, backlash and cost are reported next to flow.</p>
<h2>At a glance</h2>
<p>Medians over runs, compared with doing nothing, over the whole horizon.</p>
{_glance(results, table, colours)}
<h2>The comparison</h2>
<p>Each cell: <b>the median over runs</b>, below it the range holding 90 % of runs, and (&Delta;) the mean paired
difference from no action with its 95 % interval. Green: clearly better than no action (the interval excludes zero);
red: clearly worse. Tonnes and US dollars are totals over the horizon.</p>
{_table(results, table, colours, MAIN_COLUMNS)}
<h3>How the network responds</h3>
<p>More places in use and more spread-out routes mean the traffic has dispersed rather than shrunk.</p>
{_table(results, table, colours, NETWORK_COLUMNS, beats=False)}
<h2>Over time</h2>
{''.join(fig_html[:2])}
<h2>On the map</h2>
{''.join(fig_html[2:])}
<h2>The strategies</h2>
<ul class="strats">{''.join(items)}</ul>
<footer>Counterflow {esc(__version__)} · scenario {esc(scenario.name)} · {results.runs} replications · seed
{results.seed}</footer>
</main></body></html>
"""
