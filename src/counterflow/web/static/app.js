// The page: scenario and strategy choice, job start/progress/cancel, and the results views. Uses only the JSON API.
// Results are drawn from the job's view: the comparison as `compare` gives it, and Vega-Lite specs built by the
// server (the same specs as the HTML report), drawn as SVG by the vendored Vega libraries.
import { api, el, fmt, showFieldError, clearFieldErrors } from "./util.js";
import { Composer } from "./compose.js";
import { initStores, leaveStore } from "./stores.js";

const $ = (id) => document.getElementById(id);
const state = { scenario: null, ref: null, custom: [], job: null, poll: null, results: null, config: null };
let composer;

// Vega under the page's Content-Security-Policy (no eval): expressions run in the vendored interpreter.
const EMBED = { renderer: "svg", actions: false, ast: true, expr: window.vegaInterpreter.expressionInterpreter };

async function embed(target, spec) {
  try { return await window.vegaEmbed(target, spec, EMBED); }
  catch (e) { target.textContent = `This chart could not be drawn: ${e.message}`; return null; }
}

async function init() {
  const [config, scenarios, catalog] = await Promise.all([api("/api/config"), api("/api/scenarios"), api("/api/levers")]);
  state.config = config;
  composer = new Composer(catalog, $("compose-levers"));
  const lim = config.limits;
  $("runs").max = lim.max_runs; $("steps").max = lim.max_steps;
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
  $("series-select").addEventListener("change", showSeries);
  $("map-strategy").addEventListener("change", showMap);
  await loadBuiltin(sel.value);
  await refreshJobs();
  await initStores({ config, embed, follow });
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
  const unit = view.step_word || "week";
  $("scenario-desc").textContent = `${label}: ${view.description || ""} (${view.nodes.length} places, ${view.edges.length} routes, ${view.steps} ${unit}s; one step = one ${unit})`;
  $("steps").value = view.steps;
  $("steps-label").textContent = `${unit[0].toUpperCase()}${unit.slice(1)}s`;
  const lim = state.config.limits;
  $("caps").textContent = `Defaults as the command line: 20 runs, seed 0, the scenario's ${view.steps} ${unit}s. ` +
    `Caps on this server: at most ${lim.max_runs} runs, ${lim.max_steps} ${unit}s, ${lim.max_strategies} strategies ` +
    `and ${lim.max_run_steps.toLocaleString("en")} simulated ${unit}s per job (runs × ${unit}s × strategies).`;
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
    el("span", {}, s.name, el("span", { class: "desc", text: s.description }),
      (s.words || []).length ? el("details", { class: "words" }, el("summary", { text: "levers in words" }),
        el("ul", {}, ...s.words.map((w) => el("li", { text: w })))) : null)));
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
  const n = (j.strategies || []).length, reps = (j.request || {}).runs;
  const of = n && reps ? ` (${reps} replications × ${n} strategies)` : "";
  const msg = { queued: "queued", running: `running: ${j.done} of ${j.total} runs simulated${of}`,
                done: `done: ${j.total} runs simulated${of}`, cancelled: `cancelled after ${j.done} of ${j.total} runs`,
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
  leaveStore();
  $("results").classList.remove("empty");
  const unit = res.step_word;
  $("results-title").textContent = `Results: ${res.scenario}, ${res.runs} runs of ${res.horizon} ${unit}s, seed ${res.seed}`;
  api(`/api/jobs/${id}`).then((job) => {  // a stored portfolio compared in one of its search's futures says which
    const f = (job.request || {}).future;
    if (f) $("results-title").textContent += ` — in the ${f.sample === "oos" ? "out-of-sample" : "in-sample"} future ` +
      `${f.future} (${Object.entries(f.values).map(([k, v]) => `${k} ${fmt(v)}`).join("; ")})`;
  }).catch(() => {});
  $("results-note").textContent = `Every strategy ran ${res.runs} times with the same seeds as no action (the baseline), ` +
    "so each effect is a paired difference: a run minus the baseline run with the same seed, averaged over all runs, " +
    "with its 95 % interval. Illustrative numbers from a stylised model, not forecasts; harm and backlash sit next to flow.";
  $("glance").replaceChildren(...res.glance.map((g) => el("li", {}, swatch(res.colours[g.strategy]),
    el("b", { text: g.strategy }), `: ${g.text}`)));
  renderTable(res);
  const ss = $("series-select");
  ss.replaceChildren(...Object.entries(res.time_labels).map(([k, label]) => el("option", { value: k, text: label })));
  $("charts-note").textContent = `First the levels of every strategy (median over runs, for context), then one panel ` +
    `per strategy: its change from no action ${unit} by ${unit}, the mean paired difference with its 95 % interval shaded. ` +
    "Hover a line for the numbers.";
  const ms = $("map-strategy");
  ms.replaceChildren(...Object.keys(res.maps).map((s) => el("option", { value: s, text: s })));
  renderEvents(res);
  renderDownloads(id);
  await Promise.all([showSeries(), showMap()]);
}

function swatch(color) { return el("span", { class: "swatch", style: `--c:${color}` }); }

async function showSeries() {
  const res = state.results;
  if (!res) return;
  await embed($("chart"), res.time[$("series-select").value]);
}

async function showMap() {
  const res = state.results;
  if (!res) return;
  const name = $("map-strategy").value;
  $("map-notes").replaceChildren(...(res.map_notes[name] || []).map((t) => el("li", { text: t })));
  if (!name) { $("map").textContent = "Only the baseline ran: there is no effect to map."; return; }
  await embed($("map"), res.maps[name]);
}

function renderTable(res) {
  const thead = $("compare-table").querySelector("thead");
  const tbody = $("compare-table").querySelector("tbody");
  thead.replaceChildren(el("tr", {}, el("th", { class: "name", text: "Metric" }),
    ...res.strategies.map((s) => el("th", { "data-strategy": s }, swatch(res.colours[s]),
      s + (s === res.baseline ? " (baseline)" : "")))));
  tbody.replaceChildren(...res.table.map((row) => el("tr", { "data-metric": row.metric },
    el("td", { class: "name", text: row.label }),
    ...res.strategies.map((s) => {
      const c = row.cells[s];
      return el("td", { class: c.cls || null, "data-strategy": s },
        el("b", { class: "v", text: c.value }),
        c.note ? el("span", { class: "n", text: `(${c.note})` }) : null,
        c.delta ? el("span", { class: "d", text: c.delta }) : null,
        c.better ? el("span", { class: "b", text: c.better }) : null);
    }))));
  $("table-note").textContent = `Each cell: the mean over ${res.runs} runs; Δ: the mean paired difference from no ` +
    "action and its 95 % interval in brackets; \"better in N%\": the share of paired runs in which the strategy did " +
    "better than no action. Green: clearly better (the interval excludes 0); red: clearly worse. Totals over the horizon. " +
    (res.interval_note || "") + (res.recovery_note ? " " + res.recovery_note : "");
}

function renderEvents(res) {
  const unit = res.step_word;
  const cap = `${unit[0].toUpperCase()}${unit.slice(1)}`;
  $("events-note").textContent = `Counts over all ${res.runs} runs; open a lever's detail for every firing, ${unit} by ${unit}.`;
  const blocks = res.strategies.map((name) => {
    const lv = res.levers[name] || {};
    const rows = res.events[name] || [];
    const parts = [el("h3", {}, swatch(res.colours[name]), name)];
    if (lv.description) parts.push(el("p", { class: "desc", text: lv.description }));
    if ((lv.levers || []).length) parts.push(el("ul", {}, ...lv.levers.map((t) => el("li", { text: t }))));
    if (rows.length) {
      parts.push(el("table", { class: "events" },
        el("thead", {}, el("tr", {}, ...["Lever", "Firings per run (mean)", `${cap}s it fired`, "Targets per firing (mean)"]
          .map((t) => el("th", { text: t })))),
        el("tbody", {}, ...rows.map((r) => el("tr", {}, el("td", { text: r.label || r.type.replace(/_/g, " ") }),
          el("td", { text: r.firings.toFixed(1) }), el("td", { text: r.steps }), el("td", { text: r.targets.toFixed(1) }))))));
      for (const r of rows) {
        parts.push(el("details", {}, el("summary", { text: `${r.label || r.type.replace(/_/g, " ")}: every firing, ${unit} by ${unit}` }),
          el("table", { class: "events" },
            el("thead", {}, el("tr", {}, ...[cap, "Runs in which it fired", "Most frequent targets", "Hits"].map((t) => el("th", { text: t })))),
            el("tbody", {}, ...r.detail.map((d) => el("tr", {}, el("td", { text: String(d.step) }), el("td", { text: String(d.runs) }),
              el("td", { text: d.targets }), el("td", { text: d.hits || "" })))))));
      }
    }
    return el("div", { class: "strategy-events", "data-strategy": name }, ...parts);
  });
  $("events").replaceChildren(...blocks);
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
