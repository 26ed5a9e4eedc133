// Time-series charts: per strategy a median line and a 5-95 % band over runs, with a step cursor.
import { svg, fmt } from "./util.js";

const W = 380, H = 190, M = { l: 44, r: 8, t: 18, b: 20 };

function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

export class Charts {
  constructor(root) { this.root = root; this.cursors = []; }

  draw(series, strategies, colors) {
    this.root.replaceChildren();
    this.cursors = [];
    for (const [varName, label] of Object.entries(series.labels)) {
      const per = strategies.map((s) => (series.strategies[s] || {})[varName]).filter(Boolean);
      if (!per.length) continue;
      const T = per[0].p50.length;
      let lo = Infinity, hi = -Infinity;
      for (const b of per) for (const k of ["p05", "p95", "p50"]) for (const v of b[k]) {
        if (v === null) continue; if (v < lo) lo = v; if (v > hi) hi = v;
      }
      if (lo > 0 && lo < hi * 0.5) lo = 0;
      if (hi === lo) hi = lo + 1;
      const x = (t) => M.l + (T > 1 ? (t / (T - 1)) : 0) * (W - M.l - M.r);
      const y = (v) => H - M.b - ((v - lo) / (hi - lo)) * (H - M.t - M.b);
      const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, "data-series": varName });
      g.append(svg("text", { class: "title", x: M.l, y: 12 }, label));
      for (const v of niceTicks(lo, hi)) {
        g.append(svg("line", { class: "axis", x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), "stroke-opacity": 0.4 }));
        g.append(svg("text", { class: "tick", x: M.l - 4, y: y(v) + 3, "text-anchor": "end" }, fmt(v)));
      }
      for (const t of niceTicks(0, T - 1, 5)) {
        g.append(svg("text", { class: "tick", x: x(t), y: H - 6, "text-anchor": "middle" }, String(t)));
      }
      strategies.forEach((s, i) => {
        const b = (series.strategies[s] || {})[varName];
        if (!b) return;
        const c = colors[s];
        const up = b.p95.map((v, t) => `${x(t).toFixed(1)},${y(v ?? lo).toFixed(1)}`);
        const dn = b.p05.map((v, t) => `${x(t).toFixed(1)},${y(v ?? lo).toFixed(1)}`).reverse();
        g.append(svg("polygon", { points: up.concat(dn).join(" "), fill: c, "fill-opacity": 0.15, stroke: "none" }));
        const line = b.p50.map((v, t) => `${t ? "L" : "M"}${x(t).toFixed(1)} ${y(v ?? lo).toFixed(1)}`).join("");
        g.append(svg("path", { d: line, fill: "none", stroke: c, "stroke-width": i ? 1.6 : 1.3,
                               "data-strategy": s }));
      });
      const cur = svg("line", { class: "cursor", x1: x(0), x2: x(0), y1: M.t, y2: H - M.b });
      g.append(cur);
      this.cursors.push([cur, x]);
      this.root.append(g);
    }
  }

  cursor(t) {
    for (const [line, x] of this.cursors) { line.setAttribute("x1", x(t)); line.setAttribute("x2", x(t)); }
  }
}
