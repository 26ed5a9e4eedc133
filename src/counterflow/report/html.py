"""The HTML of the report: one file that opens offline.

The charts are the Vega-Lite specs of :mod:`counterflow.report.specs`, drawn
as SVG by the Vega libraries inlined from ``web/static/vendor`` (the same
files the web page serves); the table and the text come from
:func:`~counterflow.report.content.build_content`.
"""

from __future__ import annotations

import html as _html
import json
from importlib import resources

__all__ = ["render_html", "vendor_scripts", "VENDOR_FILES"]

VENDOR_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2226;
background:#fafaf7;font-size:15px;line-height:1.45}
main{max-width:1060px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:1.05em;margin:1.3em 0 .4em}
p.lead{color:#333;max-width:62em}
.note{background:#fff7e0;border-left:4px solid #e6ab02;padding:8px 12px;max-width:62em}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:14px;width:100%}
th,td{padding:6px 8px;border-bottom:1px solid #e4e4e4;text-align:right;vertical-align:top}
th{background:#f0efe9;font-weight:600;font-size:13px}
td.name,th.name{text-align:left}
td .d,td .b,td .n{display:block;color:#444;font-size:12px;white-space:nowrap}td .n{white-space:normal}
td.name{min-width:11em}
td.good{background:#e8f4e8}td.bad{background:#fbeaea}
.swatch{display:inline-block;width:.85em;height:.85em;border-radius:2px;margin-right:6px;vertical-align:-1px}
.chart{margin:10px 0 22px}.maps .chart{margin-bottom:6px}
ul.notes{margin:0 0 24px;padding-left:1.2em;color:#333}
ul.glance{list-style:none;padding-left:0}ul.glance li{margin:.45em 0}
details{margin:4px 0 12px}summary{cursor:pointer;color:#1f6f8b}
table.events td,table.events th{text-align:left;font-size:13px}
footer{color:#666;font-size:13px;margin-top:3em}
#vg-tooltip-element{pointer-events:none}
"""


#: draws every Vega-Lite spec of the page's ``<script id="specs">`` into the element of the same id
EMBED_SCRIPT = """<script>
(function () {
  var specs = JSON.parse(document.getElementById("specs").textContent);
  Object.keys(specs).forEach(function (id) {
    vegaEmbed("#" + id, specs[id], {renderer: "svg", actions: false}).catch(function (e) {
      document.getElementById(id).textContent = "This chart could not be drawn: " + e.message;
    });
  });
})();
</script>"""


def vendor_scripts() -> str:
    """The vendored Vega, Vega-Lite and vega-embed builds, as inline ``<script>`` elements."""
    # located from the package root: importing counterflow.web would need the `web` extra (FastAPI)
    base = resources.files("counterflow").joinpath("web", "static", "vendor")
    return "".join(f"<script>{base.joinpath(f).read_text(encoding='utf-8')}</script>\n" for f in VENDOR_FILES)


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


def _table(c: dict) -> str:
    esc = _html.escape
    names = c["strategies"]
    head = "".join(f'<th>{_swatch(c["colours"][n])}{esc(n)}{" (baseline)" if n == c["baseline"] else ""}</th>'
                   for n in names)
    rows = []
    for row in c["table"]:
        cells = []
        for n in names:
            x = row["cells"][n]
            inner = f"<b>{esc(x['value'])}</b>"
            if x["note"]:
                inner += f'<span class="n">({esc(x["note"])})</span>'
            if x["delta"]:
                inner += f'<span class="d">{esc(x["delta"])}</span>'
            if x["better"]:
                inner += f'<span class="b">{esc(x["better"])}</span>'
            cells.append(f'<td class="{x["cls"]}" data-strategy="{esc(n)}" data-metric="{row["metric"]}">{inner}</td>')
        rows.append(f'<tr><td class="name">{esc(row["label"])}</td>{"".join(cells)}</tr>')
    return (f'<table class="compare"><thead><tr><th class="name">Metric</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _events(c: dict) -> str:
    esc = _html.escape
    step = c["step_word"]
    parts = []
    for name in c["strategies"]:
        lv = c["levers"].get(name, {})
        parts.append(f"<h3>{_swatch(c['colours'][name])}{esc(name)}</h3>")
        if lv.get("description"):
            parts.append(f"<p>{esc(lv['description'])}</p>")
        if lv.get("levers"):
            parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lv["levers"]) + "</ul>")
        rows = c["events"].get(name) or []
        if not rows:
            continue
        body = "".join(
            f"<tr><td>{esc(r['label'])}</td><td>{r['firings']:.1f}</td>"
            f"<td>{esc(r['steps'])}</td><td>{r['targets']:.1f}</td></tr>" for r in rows)
        parts.append(f'<table class="events"><thead><tr><th>Lever</th><th>Firings per run (mean)</th>'
                     f"<th>{step.capitalize()}s it fired</th><th>Targets per firing (mean)</th></tr></thead>"
                     f"<tbody>{body}</tbody></table>")
        for r in rows:
            det = "".join(
                f"<tr><td>{d['step']}</td><td>{d['runs']}</td><td>{esc(d['targets'])}</td>"
                f"<td>{esc(d.get('hits', ''))}</td></tr>" for d in r["detail"])
            parts.append(f"<details><summary>{esc(r['label'])}: every firing, {step} by {step}"
                         f"</summary><table class=\"events\"><thead><tr><th>{step.capitalize()}</th>"
                         f"<th>Runs in which it fired</th><th>Most frequent targets</th><th>Hits</th></tr></thead>"
                         f"<tbody>{det}</tbody></table></details>")
    return "".join(parts)


def render_html(c: dict, version: str) -> str:
    """The whole report as one HTML string, from :func:`~counterflow.report.content.build_content`."""
    esc = _html.escape
    step = c["step_word"]
    glance = "".join(f'<li>{_swatch(c["colours"][g["strategy"]])}<b>{esc(g["strategy"])}</b>: {esc(g["text"])}</li>'
                     for g in c["glance"])
    specs = {f"time-{k}": v for k, v in c["time"].items()}
    specs.update({f"map-{i}": c["maps"][n] for i, n in enumerate(c["maps"])})
    time_html = "".join(f'<div class="chart" id="time-{k}" role="img" aria-label="{esc(c["time_labels"][k])}"></div>'
                        for k in c["time"])
    map_html = []
    for i, name in enumerate(c["maps"]):
        notes = "".join(f"<li>{esc(x)}</li>" for x in c["map_notes"].get(name, []))
        map_html.append(f'<div class="chart" id="map-{i}" role="img" aria-label="map: {esc(name)}"></div>'
                        + (f'<ul class="notes">{notes}</ul>' if notes else ""))
    data = json.dumps(specs, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Counterflow: {esc(c["scenario"])} - comparing strategies</title>
<style>{CSS}</style>
{vendor_scripts()}</head>
<body><main>
<h1>{esc(c["scenario"])}: what each strategy does to the flow, and at what cost</h1>
<p class="lead">{esc(c["description"])}</p>
<p class="note">Stylised, illustrative model: regions and fictional groups, not intelligence and not a targeting aid.
Every strategy was run {c["runs"]} times over {c["horizon"]} {step}s with the same random seeds as the no-action baseline
(seed {c["seed"]}), so every effect below is a paired difference: a run minus the baseline run with the same seed,
averaged over all {c["runs"]} runs, with its 95 % interval. Civilian harm, backlash and cost are reported next to flow.</p>
<h2>At a glance</h2>
<ul class="glance">{glance}</ul>
<h2>The comparison</h2>
<p>The same numbers as <code>counterflow compare</code>. Each cell: <b>the mean over {c["runs"]} runs</b>;
below it Δ, the mean paired difference from no action, and its 95 % interval in brackets; "better in N%": the share
of paired runs in which the strategy did better than no action. Green: clearly better (the interval excludes 0);
red: clearly worse. Totals are over the whole horizon. {esc(c["interval_note"])} {esc(c["recovery_note"])}</p>
{_table(c)}
<h2>Over time</h2>
<p>For each quantity: first the levels of every strategy (median over runs, for context), then one small panel
per strategy with its change from no action, {step} by {step}: the mean paired difference and, shaded, its 95 % interval.</p>
{time_html}
<h2>On the map</h2>
<p>Each route and place coloured by the mean paired change in its flow over the {c["runs"]} runs; grey where the
95 % interval contains 0. Struck sites say in how many runs the strike hit. Hover for the numbers.</p>
<div class="maps">{"".join(map_html)}</div>
<h2>The strategies and what their levers did</h2>
<p>Counts over all {c["runs"]} runs; open a lever's detail for every firing.</p>
{_events(c)}
<footer>Counterflow {esc(version)} · scenario {esc(c["scenario"])} · {c["runs"]} runs · seed {c["seed"]} ·
charts drawn with Vega-Lite (BSD-3-Clause), inlined.</footer>
</main>
<script type="application/json" id="specs">{data}</script>
{EMBED_SCRIPT}
</body></html>
"""
