// Small helpers shared by the page's modules: API calls, DOM building, number formats, field errors.

export const COLORS = ["#5f6b73", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"];
const SVGNS = "http://www.w3.org/2000/svg";

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed (HTTP ${status})`);
    this.status = status;
    this.info = e;
  }
}

export async function api(path, options = {}) {
  // X-Counterflow: the header the server asks of every request that changes something (a form on another
  // site cannot send it); sent on every call, harmless on reads.
  const opts = { ...options, headers: { "X-Counterflow": "1", ...(options.headers || {}) } };
  if (opts.json !== undefined) {
    opts.body = JSON.stringify(opts.json);
    opts.headers["Content-Type"] = "application/json";
    delete opts.json;
  }
  // a header no form on another site can send: the server refuses changes without it
  if (opts.method && opts.method !== "GET") opts.headers["X-Counterflow"] = "1";
  const res = await fetch(path, opts);
  if (res.status === 204) return null;
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function fmt(x) {
  // The one number rule of every table and view, the same as the command line's (counterflow.report.words.fmt):
  // "-" for a missing or undefined value, inf / -inf, 2.20M, 1.05B, 53,371, 250, 12.5, 0.125; a value that
  // shows as zero has no sign
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  let a = Math.abs(x);
  if (a < 1 && a.toFixed(3) === "0.000") { x = 0; a = 0; }
  if (a === Infinity) return x > 0 ? "inf" : "-inf";
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(1);
  return x.toFixed(3);
}

// Show an API error next to the input whose data-field matches the error's field (or a prefix of it).
export function showFieldError(container, info, fallback) {
  clearFieldErrors(container);
  const field = info && info.field;
  let target = null;
  if (field) {
    let f = field;
    while (f && !target) {
      target = container.querySelector(`[data-field="${CSS.escape(f)}"]`);
      const cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
      f = cut > 0 ? f.slice(0, cut) : "";
    }
  }
  const msg = (info && info.message) || "error";
  if (target) {
    target.classList.add("invalid");
    target.insertAdjacentElement("afterend", el("div", { class: "err-msg", role: "alert", text: msg }));
    if (fallback) fallback.textContent = "";
    target.scrollIntoView({ block: "nearest" });
  } else if (fallback) {
    fallback.textContent = msg;
  }
}

export function clearFieldErrors(container) {
  container.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  container.querySelectorAll(".err-msg").forEach((n) => n.remove());
}
