// The page: scenario and strategy choice, job start/progress/cancel, and the results views. Uses only the JSON API.
import { api, el, fmt, COLORS, showFieldError, clearFieldErrors } from "./util.js";
import { Composer } from "./compose.js";
import { FlowMap, legendText } from "./map.js";
import { Charts } from "./charts.js";

const $ = (id) => document.getElementById(id);
const state = { scenario: null, ref: null, custom: [], job: null, poll: null, results: null, playing: null, config: null };
let composer, flowMap, charts;

const TABLE = [
  ["delivered_kg", "Delivered (kg)"], ["flow_reduction_pct", "Flow reduction (%)"],
  ["recovery_steps", "Recovery (steps)"], ["displacement_pct", "Displaced (%)"],
  ["seized_kg", "Seized (kg)"], ["civilian_harm", "Civilian harm (casualties)"],
  ["backlash", "Backlash (0–1)"], ["cost_usd", "Cost (USD)"], ["cost_per_kg_averted", "Cost per kg averted (USD)"],
];

async function init() {
  const [config, scenarios, catalog] = await Promise.all([api("/api/config"), api("/api/scenarios"), api("/api/levers")]);
  state.config = config;
  let outlines = null;
  if (config.outlines_available) { try { outlines = await api("/api/outlines"); } catch { outlines = null; } }
  composer = new Composer(catalog, $("compose-levers"));
  flowMap = new FlowMap($("map"), outlines);
  charts = new Charts($("charts"));
  $("map-legend").innerHTML = legendText();
  const sel = $("scenario-select");
  sel.replaceChildren(...scenarios.map((s) => el("option", { value: s.name, text: s.name, title: s.description })));
  sel.addEventListener("change", () => loadBuiltin(sel.value));
  $("scenario-file").addEventListener("change", uploadScenario);
  $("lever-type").replaceChildren(...catalog.levers.map((l) => el("option", { value: l.type, text: l.type.replace(/_/g, " ") })));
  const showDoc = () => { const d = composer.leverDecl($("lever-type").value); $("lever-doc").textContent = d ? d.doc : ""; };
  $("lever-type").addEventListener("change", showDoc); showDoc();
  $("add-lever").addEventListener("click", () => composer.addLever($("lever-type").value));
  $("compose-add").addEventListener("click", addComposed);
  $("start").addEventListener("click", start);
  $("cancel").addEventListener("click", cancel);
  $("step").addEventListener("input", () => showStep(Number($("step").value)));
  $("map-strategy").addEventListener("change", () => showStep(Number($("step").value)));
  $("play").addEventListener("click", togglePlay);
  await loadBuiltin(sel.value);
  await refreshJobs();
  const m = location.hash.match(/job=([0-9a-f]{16})/);
  if (m) {
    try {
      const job = await api(`/api/jobs/${m[1]}`);
      if (["queued", "running"].includes(job.status)) follow(job);
      else if (job.status === "done") await openJob(job.id);
      else progress(job);
    } catch (e) { $("status").textContent = e.message; }
  }
}

function setScenario(view, ref, label) {
  state.scenario = view; state.ref = ref; state.custom = [];
  $("scenario-desc").textContent = `${label}: ${view.description || ""} (${view.nodes.length} nodes, ${view.edges.length} edges, ${view.steps} steps)`;
  $("steps").value = Math.min(view.steps, 52);
  $("compose-actor").replaceChildren(el("option", { value: "", text: "(none: every strike counts as foreign)" }),
    ...view.jurisdictions.map((j) => el("option", { value: j.id, text: `${j.id} ${j.name}` })));
  composer.setScenario(view);
  renderStrategies();
}

async function loadBuiltin(name) {
  clearFieldErrors($("controls")); $("scenario-error").textContent = "";
  $("scenario-file").value = "";
  setScenario(await api(`/api/scenarios/${encodeURIComponent(name)}`), { scenario: name }, name);
}

async function uploadScenario() {
  const input = $("scenario-file");
  clearFieldErrors($("controls")); $("scenario-error").textContent = "";
  if (!input.files.length) return;
  const form = new FormData();
  form.append("file", input.files[0]);
  try {
    const res = await api("/api/uploads", { method: "POST", body: form });
    setScenario(res.scenario, { upload: res.upload }, res.filename);
  } catch (e) {
    const i = e.info || {};
    const where = [i.file, i.line ? `line ${i.line}` : null, i.field ? `field '${i.field}'` : null].filter(Boolean).join(", ");
    showFieldError($("controls"), { field: "file", message: where ? `${where}: ${i.detail || e.message}` : e.message }, $("scenario-error"));
  }
}

function renderStrategies() {
  const list = $("strategy-list");
  const rows = state.scenario.strategies.map((s, i) => el("label", { class: "strategy" },
    el("input", { type: "checkbox", value: s.name, checked: i === 0 || i === 1, disabled: s.name === "baseline",
                  "data-kind": "carried" }),
    el("span", {}, s.name, el("span", { class: "desc", text: s.description }))));
  const custom = state.custom.map((s, i) => el("label", { class: "strategy" },
    el("input", { type: "checkbox", value: s.name, checked: true, "data-kind": "custom" }),
    el("span", {}, `${s.name} (composed)`, el("span", { class: "desc", text: `${s.levers.length} lever(s): ${s.levers.map((l) => l.type).join(", ")}` })),
    el("button", { type: "button", class: "remove", text: "×", title: "remove",
                   onclick: (ev) => { ev.preventDefault(); state.custom.splice(i, 1); renderStrategies(); } })));
  list.replaceChildren(...rows, ...custom);
}

async function addComposed() {
  const box = $("composer");
  clearFieldErrors(box); $("compose-error").textContent = "";
  const strategy = composer.collect($("compose-name").value.trim(), $("compose-actor").value);
  if (!strategy.levers.length) { $("compose-error").textContent = "add at least one lever"; return; }
  try {
    const res = await api("/api/strategies/check", { method: "POST", json: { ...state.ref, strategy } });
    state.custom.push(res.strategy);
    renderStrategies();
    $("compose-error").textContent = `added '${res.strategy.name}'`;
    $("compose-name").value = `${res.strategy.name}-2`;
  } catch (e) {
    showFieldError(box, e.info || { message: e.message }, $("compose-error"));
  }
}

async function start() {
  const panel = $("controls");
  clearFieldErrors(panel); $("run-error").textContent = "";
  const checked = [...$("strategy-list").querySelectorAll("input:checked")];
  const carried = checked.filter((c) => c.dataset.kind === "carried" && c.value !== "baseline").map((c) => c.value);
  const names = new Set(checked.filter((c) => c.dataset.kind === "custom").map((c) => c.value));
  const body = { ...state.ref, strategies: carried, custom: state.custom.filter((s) => names.has(s.name)),
                 runs: Number($("runs").value), seed: Number($("seed").value) };
  if ($("steps").value !== "") body.steps = Number($("steps").value);
  try {
    const job = await api("/api/jobs", { method: "POST", json: body });
    follow(job);
  } catch (e) {
    showFieldError(panel, e.info || { message: e.message }, $("run-error"));
  }
}

function follow(job) {
  state.job = job;
  history.replaceState(null, "", `#job=${job.id}`);
  $("start").disabled = true; $("cancel").disabled = false;
  progress(job);
  clearInterval(state.poll);
  state.poll = setInterval(async () => {
    try {
      const j = await api(`/api/jobs/${job.id}`);
      progress(j);
      if (!["queued", "running"].includes(j.status)) {
        clearInterval(state.poll);
        $("start").disabled = false; $("cancel").disabled = true;
        refreshJobs();
        if (j.status === "done") await openJob(j.id);
      }
    } catch (e) { $("status").textContent = e.message; }
  }, 400);
}

function progress(j) {
  const pct = j.total ? Math.round((100 * j.done) / j.total) : 0;
  $("progress").querySelector(".bar").style.width = `${pct}%`;
  $("progress").setAttribute("aria-valuenow", pct);
  const msg = { queued: "queued", running: `running (${j.phase}): ${j.done} / ${j.total} simulations`,
                done: `done: ${j.total} simulations`, cancelled: "cancelled",
                failed: `failed: ${(j.error || {}).message || ""}`, interrupted: (j.error || {}).message || "interrupted" };
  $("status").textContent = `${j.scenario} — ${msg[j.status] || j.status}`;
  $("status").dataset.status = j.status;
}

async function cancel() {
  if (!state.job) return;
  try { progress(await api(`/api/jobs/${state.job.id}/cancel`, { method: "POST" })); }
  catch (e) { $("status").textContent = e.message; }
}

async function refreshJobs() {
  const jobs = await api("/api/jobs");
  $("jobs").replaceChildren(...jobs.slice(0, 20).map((j) => el("li", {},
    j.status === "done" ? el("a", { text: `${j.scenario}: ${j.strategies.join(", ")}`, onclick: () => openJob(j.id) })
                        : el("span", { text: `${j.scenario}: ${j.strategies.join(", ")}` }),
    el("span", { class: "st", text: `${j.request.runs} runs · ${j.status}` }))));
}

async function openJob(id) {
  let res;
  try { res = await api(`/api/jobs/${id}/results`); } catch (e) { $("status").textContent = e.message; return; }
  state.results = res; state.job = state.job || { id };
  history.replaceState(null, "", `#job=${id}`);
  const colors = {};
  res.strategies.forEach((s, i) => { colors[s] = COLORS[i % COLORS.length]; });
  state.colors = colors;
  $("results").classList.remove("empty");
  flowMap.draw(res.network, res.map);
  const ms = $("map-strategy");
  ms.replaceChildren(...res.strategies.map((s) => el("option", { value: s, text: s })));
  ms.value = res.strategies[1] || res.strategies[0];
  const T = res.map.strategies[res.strategies[0]].edge_flow.length;
  $("step").max = T - 1;
  const first = Math.min(...Object.values(res.map.strategies).flatMap((s) => s.events.map((e) => e.step)), T - 1);
  charts.draw(res.series, res.strategies, colors);
  $("legend").replaceChildren(...res.strategies.map((s) => el("span", { style: `--c:${colors[s]}`, text: s })));
  renderTable(res);
  renderDownloads(id);
  $("step").value = Math.min(T - 1, first + 1);
  showStep(Number($("step").value));
}

function showStep(t) {
  if (!state.results) return;
  const name = $("map-strategy").value;
  const events = flowMap.show(name, t);
  charts.cursor(t);
  const s = state.results.map.strategies[name];
  $("step-label").textContent = `step ${t} · delivered ${fmt(s.delivered[t])} kg`;
  const recent = events.slice(-4).map((e) => `step ${e.step}: ${e.type.replace(/_/g, " ")}` +
    (e.targets.length ? ` on ${e.targets.join(", ")}` : "") + (e.type === "strike" ? (e.hits.length ? " (hit)" : " (missed)") : ""));
  $("events").textContent = events.length ? `Actions so far (replication 0): ${recent.join("; ")}${events.length > 4 ? ` … ${events.length} in all` : ""}` : "No action yet at this step.";
}

function togglePlay() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "▶"; return; }
  $("play").textContent = "❚❚";
  const slider = $("step");
  if (Number(slider.value) >= Number(slider.max)) slider.value = 0;
  state.playing = setInterval(() => {
    const t = Number(slider.value) + 1;
    if (t > Number(slider.max)) { togglePlay(); return; }
    slider.value = t; showStep(t);
  }, 180);
}

function cell(e, key, isBaseline) {
  if (!e) return el("td", { text: "—" });
  if (isBaseline && ["flow_reduction_pct", "recovery_steps", "displacement_pct", "cost_per_kg_averted"].includes(key)) {
    return el("td", { text: "reference" });
  }
  let main = fmt(e.p50);
  if (e.p50 === null) main = key === "recovery_steps" ? "never" : key === "cost_per_kg_averted" ? "nothing averted" : "—";
  const inf = key === "recovery_steps" ? "never" : "∞";
  const q = e.p05 === null && e.p95 === null ? null : `${e.p05 === null ? inf : fmt(e.p05)} – ${e.p95 === null ? inf : fmt(e.p95)}`;
  return el("td", { "data-metric": key }, main, q ? el("span", { class: "q", text: q }) : null);
}

function renderTable(res) {
  const thead = $("compare-table").querySelector("thead");
  const tbody = $("compare-table").querySelector("tbody");
  thead.replaceChildren(el("tr", {}, el("th", { text: "Strategy" }), ...TABLE.map(([, label]) => el("th", { text: label }))));
  tbody.replaceChildren(...res.table.map((row) => el("tr", { "data-strategy": row.strategy },
    el("td", {}, el("span", { class: "swatch", style: `--c:${state.colors[row.strategy]}` }), row.strategy),
    ...TABLE.map(([key]) => cell(row.metrics[key], key, row.strategy === "baseline")))));
  $("table-note").textContent = `Median over ${res.runs} runs (seed ${res.seed}), 5–95 % range below. ` +
    "Flow reduction, recovery and displacement pair each run with the baseline run of the same seed. " +
    "Map and slider show replication 0. Illustrative numbers from a stylised model, not forecasts.";
}

function renderDownloads(id) {
  const base = `/api/jobs/${id}/download`;
  const links = [["runs.csv", "Per-run metrics (CSV)"], ["runs.parquet", "Per-run metrics (Parquet)"],
                 ["steps.csv", "Per-step series (CSV)"], ["steps.parquet", "Per-step series (Parquet)"]]
    .map(([f, label]) => el("a", { href: `${base}/${f}`, download: "", text: label }));
  const report = state.config.report_available
    ? el("a", { href: `${base}/report.html`, target: "_blank", text: "HTML report" })
    : el("span", { class: "na hint", text: "HTML report: not available in this installation" });
  $("downloads").replaceChildren(...links, report);
}

init().catch((e) => { $("status").textContent = `could not start the page: ${e.message}`; });
