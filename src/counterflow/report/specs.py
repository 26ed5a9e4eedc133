"""Vega-Lite specifications of the figures, shared by the web page and the HTML report.

Every figure is a Vega-Lite (v6) spec with its data inlined, drawn as SVG
by the Vega libraries the package ships in ``web/static/vendor`` (no CDN).
The web page serves them with the job's results; the report inlines the same
specs and the same libraries, so it opens offline. Numbers in tooltips and
captions are written with :mod:`counterflow.report.words`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..geo import outline_rings
from .effects import SERIES
from .words import delta, estimate, fmt, interval

__all__ = ["CONFIG", "strategy_colours", "time_spec", "map_spec", "clip_ring", "map_notes", "front_specs",
           "front_status", "robustness_words", "FRONT_STATUS", "sweep_spec"]

_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'
CONFIG = {
    "font": _FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "gridColor": "#e8e8e8",
             "titleColor": "#333", "labelColor": "#444"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "labelLimit": 320,
               "titleLimit": 420, "orient": "bottom", "direction": "horizontal", "titleOrient": "top"},
    "header": {"labelFontSize": 13, "titleFontSize": 13, "labelFontWeight": "bold"},
    "title": {"fontSize": 14, "subtitleFontSize": 12, "anchor": "start", "subtitleColor": "#444",
              "fontWeight": "bold", "offset": 8},
    "text": {"fontSize": 12},
    "view": {"stroke": "#ddd"},
    "concat": {"spacing": 18},
    "facet": {"spacing": 14},
}
_PALETTE = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#e6ab02", "#1f78b4"]
BASELINE_COLOUR = "#555555"
LESS, NEUTRAL, MORE = "#2166ac", "#9aa3a9", "#b2182b"


def strategy_colours(names: Sequence[str], baseline: str = "baseline") -> dict[str, str]:
    """A fixed colour per strategy, in order; the baseline is dark grey."""
    out, k = {}, 0
    for nm in names:
        if nm == baseline:
            out[nm] = BASELINE_COLOUR
        else:
            out[nm] = _PALETTE[k % len(_PALETTE)]
            k += 1
    return out


def _colour_scale(names: Sequence[str], colours: dict[str, str]) -> dict:
    return {"domain": list(names), "range": [colours[n] for n in names]}


def _r(x, digits: int = 3):
    """Round for JSON (keeps specs small); non-finite values become None."""
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


def time_spec(effects: dict, key: str, order: Sequence[str], colours: dict[str, str], runs: int,
              baseline: str = "baseline", step: str = "week", width: int = 960) -> dict:
    """One variable over time: the levels of every strategy, then one panel per strategy of its paired difference.

    ``effects`` is :func:`~counterflow.report.effects.series_effects`'s result.
    """
    _, how, label, unit = SERIES[key]
    smoothed = effects.get("_smooth", 1)
    unit = unit.format(step=step)
    per = effects[key]
    Step = step.capitalize()
    levels, diffs = [], []
    for name in order:
        e = per.get(name)
        if e is None:
            continue
        for i, t in enumerate(e["step"]):
            levels.append({"strategy": name, "step": t, "median": _r(e["p50"][i]),
                           "range": interval(e['p05'][i], e['p95'][i])})
            if "diff" in e:
                diffs.append({"strategy": name, "step": t, "diff": _r(e["diff"][i]), "lo": _r(e["lo"][i]),
                              "hi": _r(e["hi"][i]), "text": delta(e["diff"][i], e["lo"][i], e["hi"][i])})
    acting = [n for n in order if n != baseline and n in per]
    xdom = [min(r["step"] for r in levels), max(r["step"] for r in levels)] if levels else [0, 1]
    smooth = f", {smoothed}-{step} moving average" if smoothed > 1 and how != "cumsum" else ""
    colour = {"field": "strategy", "type": "nominal", "title": "Strategy",
              "scale": _colour_scale([n for n in order if n in per], colours),
              "legend": {"symbolType": "stroke", "symbolStrokeWidth": 3, "symbolOpacity": 1,
                         "symbolFillColor": None}}
    level_chart = {
        "title": {"text": f"{label} ({unit})",
                  "subtitle": f"Levels for context: median over {runs} runs of each strategy{smooth}"},
        "width": width, "height": 170,
        "data": {"values": levels},
        "mark": {"type": "line", "strokeWidth": 2, "interpolate": "monotone"},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": Step, "axis": {"tickMinStep": 1},
                  "scale": {"domain": xdom, "nice": False}},
            "y": {"field": "median", "type": "quantitative", "title": f"{label} ({unit})"},
            "color": colour,
            "tooltip": [{"field": "strategy", "title": "Strategy"}, {"field": "step", "title": Step},
                        {"field": "median", "title": f"median ({unit})", "format": ",.4~g"},
                        {"field": "range", "title": "90 % of runs"}],
        },
    }
    cols = min(3, max(len(acting), 1))
    panel_w = int((width - 80 - 16 * (cols - 1)) / cols)
    diff_chart = {
        "title": {"text": f"Change from no action ({unit})",
                  "subtitle": f"Mean paired difference over {runs} runs (same seeds){smooth}; shaded: its "
                              "95 % interval; above 0 = more than with no action"},
        "data": {"values": diffs},
        "facet": {"field": "strategy", "type": "nominal", "title": None, "sort": acting},
        "columns": cols,
        "spec": {
            "width": panel_w, "height": 140,
            "layer": [
                {"mark": {"type": "area", "opacity": 0.28},
                 "encoding": {"y": {"field": "lo", "type": "quantitative", "title": f"Change ({unit})"},
                              "y2": {"field": "hi"}, "color": colour}},
                {"mark": {"type": "line", "strokeWidth": 2},
                 "encoding": {"y": {"field": "diff", "type": "quantitative"}, "color": colour,
                              "tooltip": [{"field": "strategy", "title": "Strategy"},
                                          {"field": "step", "title": Step},
                                          {"field": "text", "title": f"change ({unit}): mean [95 % interval]"}]}},
                {"mark": {"type": "rule", "color": "#222", "strokeDash": [4, 3]},
                 "encoding": {"y": {"datum": 0}}},
            ],
            "encoding": {"x": {"field": "step", "type": "quantitative", "title": Step,
                               "scale": {"domain": xdom, "nice": False}}},
        },
        "resolve": {"scale": {"y": "shared"}},
    }
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "config": CONFIG,
            "vconcat": [level_chart, diff_chart] if acting else [level_chart]}


# ---------------------------------------------------------------------- map
def clip_ring(ring: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """Clip a closed lon/lat ring to a box (Sutherland-Hodgman); empty when nothing is inside."""
    lon0, lat0, lon1, lat1 = bbox
    pts = [tuple(p) for p in np.asarray(ring, float)[:-1]] if len(ring) > 1 and \
        np.allclose(ring[0], ring[-1]) else [tuple(p) for p in np.asarray(ring, float)]
    edges = [(0, lon0, True), (0, lon1, False), (1, lat0, True), (1, lat1, False)]
    for axis, bound, keep_above in edges:
        if not pts:
            break
        def inside(p, a=axis, b=bound, k=keep_above):
            return p[a] >= b if k else p[a] <= b

        out = []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(_cross(prev, cur, axis, bound))
                out.append(cur)
            elif inside(prev):
                out.append(_cross(prev, cur, axis, bound))
        pts = out
    if len(pts) < 3:
        return np.zeros((0, 2))
    arr = np.asarray(pts)
    return np.vstack([arr, arr[:1]])


def _cross(p, q, axis, bound):
    t = (bound - p[axis]) / (q[axis] - p[axis])
    return tuple(p[k] + t * (q[k] - p[k]) for k in (0, 1))


def _outlines(bbox) -> dict:
    feats = []
    for ring in outline_rings(bbox):
        c = clip_ring(ring, bbox)
        if len(c) >= 4:
            feats.append({"type": "Feature", "properties": {},
                          "geometry": {"type": "Polygon", "coordinates": [np.round(c, 2).tolist()]}})
    return {"type": "FeatureCollection", "features": feats}


def _mercator_y(lat: np.ndarray) -> np.ndarray:
    return np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85.0, 85.0)) / 2))


MAX_EDGES, MAX_NODES, MAX_LABELS = 600, 400, 60  # what a map draws at most (large generated networks)

_PLACEMENTS = {  # where a label goes relative to its point: (align, dx, dy, box offset in px)
    "right": ("left", 9, 4, (9, -8)),
    "left": ("right", -9, 4, (-9, -8)),
    "above": ("center", 0, -10, (0, -22)),
    "below": ("center", 0, 18, (0, 6)),
}
#: further places for a struck site's label when none of the above is free (a struck site is always labelled when
#: the map has room: one line further up or down, beside or centred on its point)
_STRUCK_PLACEMENTS = {
    "right-down": ("left", 9, 20, (9, 8)), "left-down": ("right", -9, 20, (-9, 8)),
    "right-up": ("left", 9, -12, (9, -24)), "left-up": ("right", -9, -12, (-9, -24)),
    "below2": ("center", 0, 34, (0, 22)), "above2": ("center", 0, -26, (0, -38)),
    "below3": ("center", 0, 50, (0, 38)), "above3": ("center", 0, -42, (0, -54)),
}


def _place_labels(nodes: list[dict], bbox, width: int, height: int) -> list[list[dict]]:
    """Layers of text labels placed without overlaps (greedy: struck sites, then markets, hubs, sources).

    Positions are estimated in the map's pixel space (Mercator fitted to
    ``bbox``); a label that fits nowhere is left out (its place keeps its tooltip).
    """
    lon0, lat0, lon1, lat1 = bbox
    y0, y1 = _mercator_y(np.array([lat0, lat1]))
    rank = {"market": 1, "hub": 2, "production site": 3}
    order = sorted((n for n in nodes if n["label"]), key=lambda n: (0 if n["struck"] else rank.get(n["kind"], 4)))
    def px(n):
        return ((n["lon"] - lon0) / (lon1 - lon0) * width,
                (y1 - _mercator_y(np.array([n["lat"]]))[0]) / (y1 - y0) * height)

    boxes = [(x - 5, y - 5, x + 5, y + 5) for x, y in map(px, nodes)]  # the points themselves
    chosen: dict[tuple[str, bool], list[dict]] = {}
    n_points = len(boxes)
    for n in order[:MAX_LABELS]:
        x, y = px(n)
        w, h = 6.9 * len(n["label"]), 15
        # struck sites may cover other points' markers when nothing else is free (never other labels), then go a line
        # further from their point
        tries = ((0, _PLACEMENTS), (n_points, _PLACEMENTS), (0, _STRUCK_PLACEMENTS), (n_points, _STRUCK_PLACEMENTS)) \
            if n["struck"] else ((0, _PLACEMENTS),)
        for skip, places in tries:
            placed = False
            for where, (align, _, _, (ox, oy)) in places.items():
                left = x + ox if align == "left" else x + ox - w if align == "right" else x - w / 2
                box = (left, y + oy, left + w, y + oy + h)
                if box[0] < 0 or box[2] > width + 60 or box[1] < -4 or box[3] > height + 4:
                    continue
                if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes[skip:]):
                    continue
                boxes.append(box)
                chosen.setdefault((where, bool(n["struck"])), []).append(n)
                placed = True
                break
            if placed:
                break
    layers = []
    pos = {"longitude": {"field": "lon", "type": "quantitative"}, "latitude": {"field": "lat", "type": "quantitative"}}
    for (where, bold), items in chosen.items():
        align, dx, dy, _ = {**_PLACEMENTS, **_STRUCK_PLACEMENTS}[where]
        group = []
        for halo in (True, False):
            mark = {"type": "text", "align": align, "dx": dx, "dy": dy, "fontSize": 12, "color": "#1d2226",
                    "fontWeight": "bold" if bold else "normal"}
            if halo:
                mark.update(stroke="white", strokeWidth=3.5, strokeOpacity=0.9, strokeJoin="round")
            group.append({"data": {"values": items}, "mark": mark, "encoding": {**pos, "text": {"field": "label"}}})
        layers.append(group)
    return layers


_KIND_SHAPE = {"source": "triangle-up", "hub": "square", "transit": "circle", "market": "diamond"}
_KIND_WORD = {"source": "production site", "hub": "hub", "transit": "transit point", "market": "market"}


def strike_text(name: str, tally: dict, runs: int) -> str:
    """How a struck site fared: "Main dock: hit in 14 of 20 runs" (and the strike count when several)."""
    hit_runs, aimed_runs = tally["hit_runs"], tally["runs"]
    if aimed_runs == runs:
        text = f"{name}: hit in {hit_runs} of {runs} runs"
    else:
        text = f"{name}: struck in {aimed_runs} of {runs} runs, hit in {hit_runs}"
    if tally["strikes"] > aimed_runs:
        text += f" ({tally['hits']} of {tally['strikes']} strikes hit)"
    return text


def map_notes(effect: dict, names: dict[str, str], runs: int) -> list[str]:
    """Plain sentences under a map: struck sites, and what it means when nothing changed clearly."""
    notes = []
    strikes = effect["strikes"]
    if strikes:
        ranked = sorted(strikes.items(), key=lambda kv: -kv[1]["strikes"])
        notes.append("Struck: " + "; ".join(strike_text(names.get(n, n), t, runs) for n, t in ranked) + ".")
    missed = [n for n, t in strikes.items() if t["hits"] == 0]
    clear = bool(effect["edges"]["clear"].any() or effect["nodes"]["clear"].any())
    if strikes and len(missed) == len(strikes):
        where = ", ".join(names.get(n, n) for n in missed)
        if clear:
            notes.append(f"Every strike on {where} missed in all {runs} runs, so no site was damaged: the changes "
                         "shown come from the strikes' casualties and backlash and from the strategy's other levers.")
        else:
            notes.append(f"Every strike on {where} missed in all {runs} runs: the strategy changed no flow.")
    elif missed:
        notes.append("Missed in every run: " + ", ".join(names.get(n, n) for n in missed) + ".")
    if runs < 2:
        notes.append("One run gives no interval, so no change is called clear: run at least 2 (20 by default).")
    elif not clear:
        notes.append(f"No route and no place carries clearly more or less than with no action "
                     f"(every 95 % interval over {runs} runs contains 0).")
    return notes


def map_spec(scenario, net, effect: dict, strategy: str, runs: int, step: str = "week",
             width: int = 640) -> dict:
    """The map of one strategy's paired effect on flow.

    Colour: mean paired difference in kg per step on each route and at each
    place (blue less, red more than with no action), grey where the 95 %
    interval contains 0. Width: the route's mean flow under the strategy.
    Markets and hubs are labelled with their names; struck sites say in how
    many runs the strike hit.
    """
    names = {n.id: (n.name or n.id) for n in scenario.nodes}
    kinds = {n.id: n.kind for n in scenario.nodes}
    lon, lat = np.asarray(net.lon, float), np.asarray(net.lat, float)
    pad = 3.0
    bbox = (max(float(lon.min()) - pad, -180.0), max(float(lat.min()) - pad, -85.0),
            min(float(lon.max()) + pad, 180.0), min(float(lat.max()) + pad, 85.0))
    ys = _mercator_y(np.array([bbox[1], bbox[3]]))
    height = int(np.clip(width * (ys[1] - ys[0]) / np.radians(bbox[2] - bbox[0]), 260, 900))
    unit = f"kg per {step}"
    ed, nd = effect["edges"], effect["nodes"]
    any_clear = bool(ed["clear"].any() or nd["clear"].any())
    vmax = float(max(np.abs(ed["diff"][ed["clear"]]).max(initial=0.0),
                     np.abs(nd["diff"][nd["clear"]]).max(initial=0.0), 1.0))
    modes = [e.mode for e in scenario.edges] if len(scenario.edges) == net.n_edges else ["" for _ in range(net.n_edges)]
    # on large networks: every route that changed clearly, then the busiest others, at most MAX_EDGES
    rank = np.lexsort((-ed["level"], ~ed["clear"]))
    shown_edges = np.sort(rank[:MAX_EDGES])
    struck = effect["strikes"]
    keep_node = nd["clear"] | np.isin(np.asarray(net.node_ids), list(struck)) | \
        np.array([kinds.get(i, "transit") != "transit" for i in net.node_ids])
    if keep_node.sum() < MAX_NODES:
        keep_node[np.argsort(-nd["level"], kind="stable")[:MAX_NODES - int(keep_node.sum())]] = True
    edges = []
    for k in shown_edges:
        a, b = int(net.edge_src[k]), int(net.edge_dst[k])
        ia, ib = net.node_ids[a], net.node_ids[b]
        edges.append({
            "lon": _r(lon[a]), "lat": _r(lat[a]), "lon2": _r(lon[b]), "lat2": _r(lat[b]),
            "route": f"{names.get(ia, ia)} to {names.get(ib, ib)}" + (f" ({modes[k]})" if modes[k] else ""),
            "level": _r(ed["level"][k], 1), "diff": _r(ed["diff"][k], 1), "clear": bool(ed["clear"][k]),
            "with": fmt(float(ed["level"][k])), "without": fmt(float(ed["baseline"][k])),
            "change": delta(ed["diff"][k], ed["lo"][k], ed["hi"][k]),
        })
    nodes = []
    for i in np.flatnonzero(keep_node):
        ident = net.node_ids[i]
        kind = kinds.get(ident, "transit")
        label = ""
        if ident in struck:
            label = strike_text(names.get(ident, ident), struck[ident], runs)
        elif kind in ("market", "hub", "source"):
            label = names.get(ident, ident)
        nodes.append({
            "lon": _r(lon[i]), "lat": _r(lat[i]), "name": names.get(ident, ident), "kind": _KIND_WORD.get(kind, kind),
            "clear": bool(nd["clear"][i]), "diff": _r(nd["diff"][i], 1), "label": label, "struck": ident in struck,
            "with": fmt(float(nd["level"][i])), "without": fmt(float(nd["baseline"][i])),
            "change": delta(nd["diff"][i], nd["lo"][i], nd["hi"][i]),
        })
    tip_e = [{"field": "route", "title": "Route"}, {"field": "with", "title": f"with the strategy ({unit}, mean)"},
             {"field": "without", "title": f"no action ({unit}, mean)"},
             {"field": "change", "title": "change: mean [95 % interval]"}]
    tip_n = [{"field": "name", "title": "Place"}, {"field": "kind", "title": "Kind"},
             {"field": "with", "title": f"throughput with the strategy ({unit}, mean)"},
             {"field": "without", "title": f"no action ({unit}, mean)"},
             {"field": "change", "title": "change: mean [95 % interval]"}]
    colour = {"field": "diff", "type": "quantitative",
              "title": f"Change vs no action ({unit}; mean of {runs} paired runs)",
              "scale": {"type": "linear", "domain": [-vmax, vmax], "range": [LESS, "#f2f2f2", MORE],
                        "interpolate": "lab"},
              "legend": {"type": "gradient", "gradientLength": 220, "format": ",.0f"} if any_clear else None}
    max_level = float(max(ed["level"].max(initial=0.0), 1.0))
    width_enc = {"field": "level", "type": "quantitative", "title": f"Flow with the strategy ({unit}, mean of runs)",
                 "scale": {"domain": [0, max_level], "range": [0.6, 9]},
                 "legend": {"values": [round(max_level / 10), round(max_level / 2), round(max_level)],
                            "format": ",.0f", "symbolType": "stroke"}}
    shape = {"field": "kind", "type": "nominal", "title": "Place",
             "scale": {"domain": [_KIND_WORD[k] for k in _KIND_SHAPE], "range": list(_KIND_SHAPE.values())},
             "legend": {"direction": "vertical"}}  # one column: beside the other two legends it fits the map's width
    pos = {"longitude": {"field": "lon", "type": "quantitative"}, "latitude": {"field": "lat", "type": "quantitative"}}
    pos2 = {**pos, "longitude2": {"field": "lon2"}, "latitude2": {"field": "lat2"}}
    layers = [
        {"data": {"values": _outlines(bbox), "format": {"type": "json", "property": "features"}},
         "mark": {"type": "geoshape", "fill": "#eeece4", "stroke": "#b9b4a3", "strokeWidth": 0.6}},
        {"data": {"values": [{"lon": bbox[0], "lat": bbox[1]}, {"lon": bbox[2], "lat": bbox[3]}]},
         "mark": {"type": "point", "opacity": 0}, "encoding": pos},
        {"data": {"values": [e for e in edges if not e["clear"]]},
         "mark": {"type": "rule", "color": NEUTRAL, "opacity": 0.75, "strokeCap": "round"},
         "encoding": {**pos2, "strokeWidth": width_enc, "tooltip": tip_e}},
        {"data": {"values": [e for e in edges if e["clear"]]},
         "mark": {"type": "rule", "opacity": 0.95, "strokeCap": "round"},
         "encoding": {**pos2, "strokeWidth": width_enc, "color": colour, "tooltip": tip_e}},
        {"data": {"values": [n for n in nodes if not n["clear"]]},
         "mark": {"type": "point", "filled": True, "size": 80, "color": NEUTRAL, "stroke": "white",
                  "strokeWidth": 1, "opacity": 1},
         "encoding": {**pos, "shape": shape, "tooltip": tip_n}},
        {"data": {"values": [n for n in nodes if n["clear"]]},
         "mark": {"type": "point", "filled": True, "size": 110, "stroke": "#333", "strokeWidth": 0.8, "opacity": 1},
         "encoding": {**pos, "shape": shape, "color": colour, "tooltip": tip_n}},
        {"data": {"values": [n for n in nodes if n["struck"]]},
         "mark": {"type": "point", "shape": "circle", "size": 420, "filled": False, "color": "#111",
                  "strokeWidth": 2},
         "encoding": pos},
    ]
    for group in _place_labels(nodes, bbox, width, height):
        layers.extend(group)
    subtitle = [f"Colour: mean paired change in flow against no action over {runs} runs (blue less, red more); "
                "grey: no clear change (the 95 % interval contains 0).",
                f"Line width: mean flow with the strategy ({unit}). Stylised geography."]
    if len(shown_edges) < net.n_edges or keep_node.sum() < net.n_nodes:
        subtitle.append(f"Drawn: {len(shown_edges):,} of {net.n_edges:,} routes (every clear change, then the "
                        f"busiest) and {int(keep_node.sum()):,} of {net.n_nodes:,} places.")
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json", "config": CONFIG,
        "title": {"text": f"{strategy}: where the flow changed", "subtitle": subtitle},
        "width": width, "height": height,
        "projection": {"type": "mercator"},
        "layer": layers,
        "resolve": {"legend": {"color": "shared"}},
    }


# ---------------------------------------------------------------------- search front
#: colours of a front member by its out-of-sample check
FRONT_STATUS = {"survives out of sample": "#1b7837", "dominated out of sample": "#b2182b",
                "not checked out of sample": "#777777"}


def front_status(p: dict) -> str:
    """A front member's out-of-sample status in words (a key of :data:`FRONT_STATUS`)."""
    s = p.get("survives_out_of_sample")
    return "survives out of sample" if s else ("dominated out of sample" if s is False
                                               else "not checked out of sample")


def robustness_words(o: dict) -> str:
    """What an objective's robust value is, in words: ``mean``, ``90th percentile``, ``regret``..."""
    kind = o["robustness"]
    if kind.startswith("p") and kind[1:].isdigit():
        return f"{kind[1:]}th percentile"
    if kind == "satisficing":
        return f"share of futures meeting {o.get('threshold')}"
    return {"max": "maximum", "min": "minimum"}.get(kind, kind)


def objective_sense(o: dict) -> str:
    """Which way is better for an objective's robust value: ``max`` or ``min``."""
    if o["robustness"] == "regret":
        return "min"
    if o["robustness"] == "satisficing":
        return "max"
    return o["direction"]


def _front_rows(data: dict) -> list[dict]:
    """One row per front member with what every tooltip shows."""
    rows = []
    for p in data["portfolios"]:
        row = {"portfolio": f"#{p['eval']}", "eval": p["eval"], "description": p["description"],
               "status": front_status(p), "cost": None if p["cost_usd"] is None else p["cost_usd"] * 1e-6,
               "cost_text": f"{fmt(p['cost_usd'])} USD"}  # cost drawn in USD millions, as the tables write it
        for o in data["objectives"]:
            e = p["objectives"][o["name"]]
            row[o["name"]] = e["value"]
            row[o["name"] + "_lo"], row[o["name"] + "_hi"] = e["lo"], e["hi"]
            row[o["name"] + "_text"] = estimate(e["value"], e["lo"], e["hi"])
        rows.append(row)
    return rows


def _status_colour() -> dict:
    return {"field": "status", "type": "nominal", "title": "Out-of-sample check",
            "scale": {"domain": list(FRONT_STATUS), "range": list(FRONT_STATUS.values())}}


def _front_tooltip(data: dict) -> list[dict]:
    tip = [{"field": "portfolio", "title": "Portfolio"}, {"field": "description", "title": "Levers"}]
    tip += [{"field": o["name"] + "_text", "title": f"{o['label']}, {robustness_words(o)} [95 % interval]"}
            for o in data["objectives"]]
    if not any(o["outcome"] == "cost_usd" for o in data["objectives"]):
        tip.append({"field": "cost_text", "title": "Cost"})
    return tip + [{"field": "status", "title": "Out of sample"}]


def front_specs(data: dict, width: int = 860) -> dict:
    """The figures of a search front: parallel coordinates and 2-D trade-offs (Vega-Lite specs).

    ``data`` is :func:`counterflow.search.front.front`'s result (``counterflow front --json``). Returns
    ``{"parallel": spec, "tradeoffs": spec}`` (``{}`` when the front is empty). The trade-offs plot the
    first objective against every other one, and against cost when cost is not an objective; each point
    carries its 95 % bootstrap intervals as bars. Used by ``counterflow front --report`` and the web page.
    """
    ports, objs = data["portfolios"], data["objectives"]
    if not ports:
        return {}
    rows = _front_rows(data)
    schema = "https://vega.github.io/schema/vega-lite/v6.json"
    tip = _front_tooltip(data)
    # parallel coordinates: each axis scaled to the front's range, better always up
    axis_names = [f"{o['label']} | {robustness_words(o)}" for o in objs]  # two lines on the axis
    lines, ends, segments = [], [], []
    for k, o in enumerate(objs):
        vals = [r[o["name"]] for r in rows if r[o["name"]] is not None]
        lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
        up = objective_sense(o) == "max"
        for r in rows:
            v = r[o["name"]]
            u = 0.5 if v is None or hi <= lo else (v - lo) / (hi - lo)
            lines.append({**r, "axis": axis_names[k], "order": k, "pos": _r(u if up else 1 - u, 4)})
        if k:  # the segment from the previous axis: hovering or clicking anywhere along a line finds its portfolio
            prev = lines[-2 * len(rows):-len(rows)]
            segments += [{**a, "axis2": b["axis"], "pos2": b["pos"]} for a, b in zip(prev, lines[-len(rows):],
                                                                                       strict=True)]
        worst, best = (lo, hi) if up else (hi, lo)
        if hi <= lo:  # every portfolio the same on this axis: one label, not "best" and "worst" alike
            ends.append({"axis": axis_names[k], "pos": 1, "text": f"all {fmt(lo)}"})
        else:
            ends += [{"axis": axis_names[k], "pos": 0, "text": f"worst {fmt(worst)}"},
                     {"axis": axis_names[k], "pos": 1, "text": f"best {fmt(best)}"}]
    x = {"field": "axis", "type": "nominal", "sort": axis_names, "title": None,
         "axis": {"labelAngle": 0, "labelLimit": max(120, int((width - 60) / len(objs)) - 10), "orient": "bottom",
                  "domain": False, "ticks": False, "labelPadding": 6,
                  "labelExpr": "split(datum.label, ' | ')"}}
    parallel = {
        "$schema": schema, "config": CONFIG,
        "title": {"text": f"{data['scenario']}: the {len(ports)} non-dominated portfolios",
                  "subtitle": ["Each line is a portfolio; each axis an objective's robust value, scaled to the "
                              "front's range with the better end up.",
                              "Hover a line for its values; in the web page, click it to open its runs."]},
        "width": width, "height": 260,
        "layer": [
            {"data": {"values": [{"axis": a} for a in axis_names]}, "mark": {"type": "rule", "color": "#999"},
             "encoding": {"x": x, "y": {"datum": 0}, "y2": {"datum": 1}}},
            {"data": {"values": lines}, "mark": {"type": "line", "strokeWidth": 2.5, "opacity": 0.85, "cursor": "pointer",
                                                 "point": {"filled": True, "size": 40}},
             "encoding": {"x": x, "detail": {"field": "portfolio"}, "order": {"field": "order"},
                          "y": {"field": "pos", "type": "quantitative", "scale": {"domain": [0, 1]},
                                "title": "Scaled value (0 worst, 1 best on the front)",
                                "axis": {"values": [0, 0.5, 1], "format": ".1f"}},
                          "color": _status_colour(), "tooltip": tip}},
            # over each line a wide transparent band carrying its tooltip and click (a line mark shows a tooltip
            # only near its points)
            *([{"data": {"values": segments},
                "mark": {"type": "rule", "strokeWidth": 12, "strokeOpacity": 0, "cursor": "pointer"},
                "encoding": {"x": x, "x2": {"field": "axis2"},
                             "y": {"field": "pos", "type": "quantitative", "scale": {"domain": [0, 1]}},
                             "y2": {"field": "pos2"}, "detail": {"field": "portfolio"}, "tooltip": tip}}]
              if segments else []),
            *({"data": {"values": [e for e in ends if e["pos"] == end]},
               "mark": {"type": "text", "dx": 6, "align": "left", "fontSize": 12, "color": "#333",
                        "baseline": "bottom" if end == 0 else "top"},
               "encoding": {"x": x, "y": {"field": "pos", "type": "quantitative"}, "text": {"field": "text"}}}
              for end in (0, 1)),
        ],
    }
    first = objs[0]
    others = [(o["name"], f"{o['label']}, {robustness_words(o)}", True) for o in objs[1:]]
    if not any(o["outcome"] == "cost_usd" for o in objs):
        others.append(("cost", "Cost of the portfolio, largest over futures × runs (USD, millions)", False))
    cols = min(2, len(others)) or 1
    panel = int((width - 90 * cols - 20 * (cols - 1)) / cols)
    ytitle = f"{first['label']}, {robustness_words(first)}"
    panels = []
    for key, title, has_interval in others:
        xq = {"type": "quantitative", "title": title, "scale": {"zero": False},
              "axis": {"format": ",.6~r"}}  # no "0.000000" when every portfolio has one value
        yq = {"type": "quantitative", "title": ytitle, "scale": {"zero": False}}
        layer = [
            {"mark": {"type": "rule", "color": "#aaa"},
             "encoding": {"x": {"field": key, **xq}, "y": {"field": first["name"] + "_lo", **yq},
                          "y2": {"field": first["name"] + "_hi"}}},
        ]
        if has_interval:
            layer.append({"mark": {"type": "rule", "color": "#aaa"},
                          "encoding": {"y": {"field": first["name"], **yq},
                                       "x": {"field": key + "_lo", **xq}, "x2": {"field": key + "_hi"}}})
        layer += [
            {"mark": {"type": "point", "filled": True, "size": 80, "opacity": 0.9, "cursor": "pointer"},
             "encoding": {"x": {"field": key, **xq}, "y": {"field": first["name"], **yq},
                          "color": _status_colour(), "tooltip": tip}},
            {"mark": {"type": "text", "dx": 8, "dy": -8, "align": "left", "fontSize": 12, "color": "#333"},
             "encoding": {"x": {"field": key, **xq}, "y": {"field": first["name"], **yq},
                          "text": {"field": "portfolio"}}},
        ]
        panels.append({"width": panel, "height": 240, "layer": layer})
    tradeoffs = {
        "$schema": schema, "config": CONFIG, "data": {"values": rows},
        "title": {"text": f"Trade-offs: {first['label'].split(' (')[0].lower()} against the other objectives",
                  "subtitle": "Each point a portfolio (its number as in the table); bars: 95 % bootstrap "
                              "intervals over futures × runs."},
        "concat": panels, "columns": cols,
    }
    return {"parallel": parallel, "tradeoffs": tradeoffs}


# ---------------------------------------------------------------------- sweep summaries
def _in_millions(outcome: str) -> bool:
    """Whether a chart draws this outcome in millions: the USD totals the tables write as "2.20M"."""
    from ..outcomes import OUTCOMES

    o = OUTCOMES.get(outcome)
    return o is not None and o.display_unit == "M USD"


def _millions_label(outcome: str, label: str) -> str:
    """An outcome's label with the unit a chart draws it in: "Cost of the strategy (USD, millions)"."""
    return label.replace("(USD)", "(USD, millions)") if _in_millions(outcome) else label


def sweep_spec(res: dict, width: int = 860) -> dict:
    """A sweep's paired effects: per outcome, each strategy's mean paired difference from the baseline with its
    95 % interval (``analyze``'s ``diff_mean``, ``diff_lo``, ``diff_hi``), one small panel per outcome.

    ``res`` is :func:`counterflow.experiments.analysis.analyze`'s result. ``{}`` when only the baseline ran.
    """
    from ..outcomes import LABELS
    from .tables import share_better

    names = list(res["strategies"])
    acting = names[1:]
    if not acting:
        return {}
    outcomes = list(res["strategies"][names[0]])
    titles = {o: _millions_label(o, LABELS.get(o, o)) for o in outcomes}
    rows = []
    for o in outcomes:
        scale = 1e-6 if _in_millions(o) else 1.0  # USD outcomes in millions, as the tables write them ("2.20M")
        for s in acting:
            e = res["strategies"][s][o]
            if e.get("diff_mean") is None:
                continue
            rows.append({"outcome": titles[o], "strategy": s, "diff": _r(e["diff_mean"] * scale, 6),
                         "lo": _r(e["diff_lo"] * scale, 6), "hi": _r(e["diff_hi"] * scale, 6),
                         "text": delta(e["diff_mean"], e["diff_lo"], e["diff_hi"]),
                         "better": "" if (share := share_better(e, o)) is None else f"{share:.0f}%"})
    cols = min(3, len(outcomes))
    panel = int((width - 150 - 30 * (cols - 1)) / cols)
    colours = strategy_colours(names, names[0])
    colour = {"field": "strategy", "type": "nominal", "title": "Strategy", "legend": None,
              "scale": _colour_scale(acting, colours)}
    y = {"field": "strategy", "type": "nominal", "title": None, "sort": acting}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json", "config": CONFIG,
        "title": {"text": f"Change from {names[0]}, per outcome",
                  "subtitle": [f"Mean paired difference over {res['points']} sampled points × "
                               f"{res['replications']} replications (same point, same seed), with its 95 % interval;",
                               "0 (dashed) = no change. Hover a point for the numbers."]},
        "data": {"values": rows},
        "facet": {"field": "outcome", "type": "nominal", "title": None, "sort": [titles[o] for o in outcomes],
                  "header": {"labelLimit": panel + 100}},
        "columns": cols,
        "spec": {
            "width": panel, "height": max(40, 26 * len(acting)),
            "layer": [
                {"mark": {"type": "rule", "color": "#222", "strokeDash": [4, 3]}, "encoding": {"x": {"datum": 0}}},
                {"mark": {"type": "rule", "strokeWidth": 2},
                 "encoding": {"y": y, "x": {"field": "lo", "type": "quantitative", "title": "Change (the panel's unit)"},
                              "x2": {"field": "hi"}, "color": colour}},
                {"mark": {"type": "point", "filled": True, "size": 70},
                 "encoding": {"y": y, "x": {"field": "diff", "type": "quantitative", "title": "Change (the panel's unit)"},
                              "color": colour,
                              "tooltip": [{"field": "strategy", "title": "Strategy"},
                                          {"field": "outcome", "title": "Outcome"},
                                          {"field": "text", "title": "change: mean [95 % interval]"},
                                          {"field": "better", "title": "better than the baseline in"}]}},
            ],
        },
        "resolve": {"scale": {"x": "independent"}},
    }
