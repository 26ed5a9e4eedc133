// The network map: country outlines (GeoJSON from /api/outlines), edges sized by flow at one step, nodes by kind.
import { svg, fmt } from "./util.js";

const KIND_COLOR = { source: "#2e7d32", hub: "#e65100", transit: "#607d8b", market: "#6a1b9a" };
const MODE_COLOR = { sea: "#1565c0", land: "#8d6e63", air: "#8e24aa", river: "#00897b" };
const W = 800;

export class FlowMap {
  constructor(root, outlines) {
    this.root = root;
    this.outlines = outlines;   // GeoJSON FeatureCollection or null
  }

  // network: scenario view (nodes with lat/lon); flows: results.map
  draw(network, flows) {
    this.network = network;
    this.flows = flows;
    const lats = network.nodes.map((n) => n.lat), lons = network.nodes.map((n) => n.lon);
    const pad = 4;
    this.home = [Math.min(...lons) - pad, Math.min(...lats) - pad, Math.max(...lons) + pad, Math.max(...lats) + pad];
    this.view = [...this.home];
    this.kx = Math.cos(((this.home[1] + this.home[3]) / 2) * Math.PI / 180);
    const widthDeg = (this.home[2] - this.home[0]) * this.kx;
    const extra = 0.6 * widthDeg - (this.home[3] - this.home[1]);   // keep the map at least 0.6 as tall as wide
    if (extra > 0) { this.home[1] -= extra / 2; this.home[3] += extra / 2; this.view = [...this.home]; }
    this.H = Math.round((this.home[3] - this.home[1]) * W / widthDeg);
    this.svgEl = svg("svg", { viewBox: `0 0 ${W} ${this.H}`, role: "img", "aria-label": "network map" });
    this.interact(this.svgEl);
    this.root.replaceChildren(this.svgEl);
    this.shown = null;
    let maxFlow = 1;
    for (const s of Object.values(flows.strategies))
      for (const row of s.edge_flow) for (const v of row) if (v > maxFlow) maxFlow = v;
    this.maxFlow = maxFlow;
    this.render();
  }

  // Build the SVG for the current view [lon0, lat0, lon1, lat1] (wheel zooms, drag pans, double-click resets).
  render() {
    const { network, flows } = this;
    const [lon0, lat0, lon1, lat1] = this.view;
    const kx = this.kx, H = this.H;
    const scale = W / ((lon1 - lon0) * kx);
    const top = (lat0 + lat1) / 2 + H / scale / 2;
    this.project = (lon, lat) => [(lon - lon0) * kx * scale, (top - lat) * scale];
    this.unproject = (x, y) => [lon0 + x / (kx * scale), top - y / scale];
    this.view = [lon0, top - H / scale, lon1, top];
    const root = this.svgEl;
    root.replaceChildren(this.countries(this.view));
    this.pos = {};
    for (const n of network.nodes) this.pos[n.id] = this.project(n.lon, n.lat);
    this.edgeLayer = svg("g", { class: "edges" });
    this.nodeLayer = svg("g", { class: "nodes" });
    this.markLayer = svg("g", { class: "marks" });
    root.append(this.edgeLayer, this.nodeLayer, this.markLayer);
    this.edgeEls = flows.edges.map(([a, b], i) => {
      const mode = (network.edges[i] || {}).mode || "land";
      const path = svg("path", { class: "edge", d: this.curve(a, b), "data-edge": `${a}->${b}`,
                                 "data-mode": mode });
      path.append(svg("title"));
      this.edgeLayer.append(path);
      return path;
    });
    const labels = svg("g", { class: "labels" });
    for (const n of network.nodes) {
      const [x, y] = this.pos[n.id];
      const c = svg("circle", { class: "node" + (n.dormant ? " dormant" : ""), cx: x, cy: y,
                                r: n.kind === "market" || n.kind === "source" ? 6 : 4.5,
                                fill: KIND_COLOR[n.kind] || "#333", "data-node": n.id });
      c.append(svg("title", {}, `${n.name || n.id} (${n.kind}, ${n.jurisdiction})`));
      this.nodeLayer.append(c);
    }
    // labels by priority, skipping any that would overlap one already placed
    const rank = { market: 0, source: 1, hub: 2, transit: 3 };
    const placed = [];
    const order = [...network.nodes].sort((a, b) => (rank[a.kind] ?? 4) + a.dormant - (rank[b.kind] ?? 4) - b.dormant);
    for (const n of order) {
      const [x, y] = this.pos[n.id];
      const box = [x + 6, y - 14, x + 8 + 5.6 * n.id.length, y - 3];
      if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      placed.push(box);
      labels.append(svg("text", { x: x + 7, y: y - 5 }, n.id));
    }
    this.nodeLayer.append(labels);
    if (this.shown) this.show(...this.shown);
  }

  interact(root) {
    const toMap = (ev) => {
      const r = root.getBoundingClientRect();
      const vb = root.viewBox.baseVal;
      return this.unproject((ev.clientX - r.left) * vb.width / r.width, (ev.clientY - r.top) * vb.height / r.height);
    };
    root.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const [lon, lat] = toMap(ev);
      const f = ev.deltaY > 0 ? 1.25 : 0.8;
      const [a, b, c, d] = this.view;
      if (f < 1 && (c - a) < 3) return;
      this.view = [lon - (lon - a) * f, lat - (lat - b) * f, lon + (c - lon) * f, lat + (d - lat) * f];
      this.render();
    }, { passive: false });
    let drag = null;
    root.addEventListener("pointerdown", (ev) => { drag = toMap(ev); root.setPointerCapture(ev.pointerId); });
    root.addEventListener("pointerup", () => { drag = null; });
    root.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const [lon, lat] = toMap(ev);
      const [a, b, c, d] = this.view;
      const dx = drag[0] - lon, dy = drag[1] - lat;
      if (Math.abs(dx) + Math.abs(dy) < 0.05) return;
      this.view = [a + dx, b + dy, c + dx, d + dy];
      this.render();
      drag = toMap(ev);
    });
    root.addEventListener("dblclick", () => { this.view = [...this.home]; this.render(); });
  }

  countries(bbox) {
    const g = svg("g", { class: "countries" });
    if (!this.outlines) return g;
    const [x0, y0, x1, y1] = bbox;
    for (const f of this.outlines.features || []) {
      const geom = f.geometry || {};
      const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates || [];
      let d = "";
      for (const poly of polys) {
        for (const ring of poly) {
          let inside = false;
          for (const [lon, lat] of ring) if (lon >= x0 - 10 && lon <= x1 + 10 && lat >= y0 - 10 && lat <= y1 + 10) { inside = true; break; }
          if (!inside) continue;
          d += ring.map(([lon, lat], i) => {
            const [x, y] = this.project(lon, lat);
            return (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
          }).join("") + "Z";
        }
      }
      if (d) {
        const p = svg("path", { class: "country", d });
        p.append(svg("title", {}, (f.properties && f.properties.name) || ""));
        g.append(p);
      }
    }
    return g;
  }

  curve(a, b) {
    const [x1, y1] = this.pos[a], [x2, y2] = this.pos[b];
    const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1;
    const bend = Math.min(40, len * 0.12);
    const cx = mx - (dy / len) * bend, cy = my + (dx / len) * bend;
    return `M${x1.toFixed(1)} ${y1.toFixed(1)} Q${cx.toFixed(1)} ${cy.toFixed(1)} ${x2.toFixed(1)} ${y2.toFixed(1)}`;
  }

  // Show flow of strategy `name` at step t; returns the events of that strategy up to t.
  show(name, t) {
    this.shown = [name, t];
    const s = this.flows.strategies[name];
    if (!s) return [];
    const row = s.edge_flow[Math.min(t, s.edge_flow.length - 1)] || [];
    this.edgeEls.forEach((p, i) => {
      const v = row[i] || 0;
      const mode = p.getAttribute("data-mode");
      if (v > 0.5) {
        p.setAttribute("class", "edge active");
        p.setAttribute("stroke", MODE_COLOR[mode] || "#333");
        p.setAttribute("stroke-width", (0.8 + 9 * Math.sqrt(v / this.maxFlow)).toFixed(2));
        p.setAttribute("stroke-opacity", "0.8");
      } else {
        p.setAttribute("class", "edge idle");
        p.removeAttribute("stroke"); p.removeAttribute("stroke-width"); p.removeAttribute("stroke-opacity");
      }
      p.firstChild.textContent = `${p.getAttribute("data-edge").replace("->", " → ")} (${mode}): ${fmt(v)} kg at step ${t}`;
    });
    this.markLayer.replaceChildren();
    const past = s.events.filter((e) => e.step <= t);
    for (const e of past) {
      if (e.type !== "strike") continue;
      for (const id of e.hits.length ? e.hits : e.targets) {
        const pos = this.pos[id];
        if (!pos) continue;
        const recent = t - e.step < 3;
        this.markLayer.append(svg("circle", { class: "struck", cx: pos[0], cy: pos[1], r: recent ? 11 : 8,
                                              "stroke-opacity": recent ? 1 : 0.45 }));
      }
    }
    return past;
  }
}

export function legendText() {
  const kinds = Object.entries(KIND_COLOR).map(([k, c]) => `<b style="color:${c}">●</b> ${k}`).join("  ");
  const modes = Object.entries(MODE_COLOR).map(([k, c]) => `<b style="color:${c}">━</b> ${k}`).join("  ");
  return `${kinds} &nbsp;|&nbsp; ${modes} &nbsp;|&nbsp; width ∝ √kg per step; dashed = idle; red ring = struck | wheel: zoom, drag: pan, double-click: reset`;
}
