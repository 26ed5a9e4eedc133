// Stores in the page: a search store's front (table, parallel coordinates, trade-offs) and a sweep store's
// summaries, read from the folders the server was given (`counterflow serve --stores DIR`). A portfolio opens its
// evaluations (future × run) and can be run as a strategy against no action: a normal page job.
// Numbers and text come from the server: the front is `counterflow front --json`, the summaries `counterflow analyze`.
import { api, el, fmt } from "./util.js";

const $ = (id) => document.getElementById(id);
let hooks = null;
let current = null;   // the open store's view

export async function initStores(h) {
  hooks = h;
  if (!h.config.stores_available) return;
  $("stores-section").hidden = false;
  $("stores-refresh").addEventListener("click", listStores);
  $("portfolio-run").addEventListener("click", comparePortfolio);
  $("portfolio-future").addEventListener("change", futureLink);
  await listStores();
  const m = location.hash.match(/store=([0-9a-f]{16})/);
  if (m) await openStore(m[1]);
}

async function listStores() {
  $("stores-error").textContent = "";
  let res;
  try { res = await api("/api/stores"); } catch (e) { $("stores-error").textContent = e.message; return; }
  $("stores-folders").textContent = res.stores.length
    ? `Stores found under ${res.folders.join(", ")}:`
    : `No search or sweep store under ${res.folders.join(", ")} yet (make one with counterflow search or counterflow sweep --store DIR).`;
  $("stores").replaceChildren(...res.stores.map((s) => el("li", { "data-store": s.id },
    s.kind === "damaged" ? el("span", { text: s.name })
      : el("a", { text: s.name, href: `#store=${s.id}`, onclick: (ev) => { ev.preventDefault(); openStore(s.id); } }),
    el("span", { class: "st", text: s.kind === "damaged" ? `damaged: ${s.problem}`
      : `${s.kind} · ${s.scenario || ""}${s.in_use ? " · being written" : ""}` }))));
}

function showMode(on) {
  const main = $("results");
  main.classList.toggle("store-mode", on);
  if (on) main.classList.remove("empty");
}

export function leaveStore() { showMode(false); current = null; }

async function openStore(id) {
  $("stores-error").textContent = "";
  let view;
  try { view = await api(`/api/stores/${id}`); } catch (e) { $("stores-error").textContent = e.message; return; }
  current = { id, view };
  history.replaceState(null, "", `#store=${id}`);
  showMode(true);
  $("portfolio-panel").hidden = true;
  $("store-panel").dataset.kind = view.kind;
  if (view.kind === "search") renderFront(view); else renderSweep(view);
  $("store-panel").scrollIntoView({ block: "start" });
}

function renderFront(view) {
  const f = view.front;
  $("store-title").textContent = `Search store ${view.name}: the robust front of ${f.scenario} (${f.portfolios.length} portfolios)`;
  $("store-intro").textContent = view.intro;
  $("store-hint").textContent = "Open a portfolio for its runs in every future, and to compare it with no action.";
  const t = view.table;
  $("store-table").querySelector("thead").replaceChildren(el("tr", {}, ...t.columns.map((c, i) =>
    el("th", { class: i === 1 ? "name" : null, text: c })), el("th", { text: "" })));
  $("store-table").querySelector("tbody").replaceChildren(...t.rows.map((r) => el("tr", { "data-eval": r.eval },
    ...r.cells.map((c, i) => el("td", { class: i === 1 ? "name" : (i === r.cells.length - 1 ? `status ${r.status.split(" ")[0]}` : null), text: c })),
    el("td", {}, el("button", { type: "button", text: "Open runs", onclick: () => openPortfolio(r.eval) })))));
  $("store-sweep").hidden = true;
  $("store-charts").hidden = !view.specs.parallel;
  if (view.specs.parallel) {
    // a click on a portfolio's line or point opens its runs, as its row's button does
    const clickable = (res) => res && res.view.addEventListener("click", (_, item) => {
      const d = item && item.datum;
      if (d && Number.isInteger(d.eval)) openPortfolio(d.eval);
    });
    hooks.embed($("store-parallel"), view.specs.parallel).then(clickable);
    hooks.embed($("store-tradeoffs"), view.specs.tradeoffs).then(clickable);
  }
}

function renderSweep(view) {
  const a = view.analysis, t = view.table, r = a.runs;
  $("store-title").textContent = `Sweep store ${view.name}: ${a.scenario}, ${r.stored} of ${r.expected} runs`;
  $("store-intro").textContent = `${a.points} sampled points (${a.sampler}, seed ${a.seed}) × ${a.replications} replications per strategy; ` +
    `${r.failed} failed${r.missing ? `, ${r.missing} missing (run the same sweep command again to finish them)` : ""}. ` +
    `Uncertain: ${a.uncertainties.map((u) => `${u.path} from ${u.low} to ${u.high}`).join("; ")}.`;
  $("store-hint").textContent = "Each cell: the median over sampled points and runs with the 5–95 % range in brackets; " +
    "Δ: the mean paired difference from the baseline (same point, same seed) with its 95 % interval; \"better in N%\": " +
    "the share of pairs in which the strategy did better. The same numbers as counterflow analyze.";
  $("store-table").querySelector("thead").replaceChildren(el("tr", {}, el("th", { class: "name", text: "Outcome" }),
    ...t.strategies.map((s) => el("th", { "data-strategy": s, text: s + (s === t.baseline && s !== "baseline" ? " (baseline)" : "") }))));
  $("store-table").querySelector("tbody").replaceChildren(...t.rows.map((row) => el("tr", { "data-outcome": row.outcome },
    el("td", { class: "name", text: row.label }),
    ...t.strategies.map((s) => {
      const c = row.cells[s];
      return el("td", { "data-strategy": s }, el("b", { class: "v", text: c.value }),
        el("span", { class: "n", text: `mean ${c.mean}` }),
        c.delta ? el("span", { class: "d", text: c.delta }) : null,
        c.better ? el("span", { class: "b", text: c.better }) : null);
    }))));
  $("store-charts").hidden = true;
  $("store-sweep").hidden = !view.specs.effects;
  if (view.specs.effects) hooks.embed($("store-sweep"), view.specs.effects);
}

async function openPortfolio(evalId) {
  $("portfolio-error").textContent = "";
  let p;
  try { p = await api(`/api/stores/${current.id}/portfolios/${evalId}`); }
  catch (e) { $("stores-error").textContent = e.message; return; }
  current.portfolio = p;
  $("portfolio-panel").hidden = false;
  $("portfolio-title").textContent = `Portfolio ${p.eval}: its runs`;
  $("portfolio-desc").textContent = p.description;
  $("portfolio-note").textContent = p.compare.note;
  $("portfolio-discovery").textContent = p.discovery || "";
  $("portfolio-yaml").textContent = p.strategy_yaml;
  $("portfolio-runs").value = p.compare.runs; $("portfolio-seed").value = p.compare.seed;
  $("portfolio-steps").value = p.compare.steps;
  $("portfolio-future").replaceChildren(el("option", { value: "", text: "the scenario as written (nominal values)" }),
    ...p.futures.map((f) => el("option", { value: `${f.sample}:${f.future}`, text: f.label })));
  futureLink();
  $("portfolio-table").querySelector("thead").replaceChildren(el("tr", {},
    ...["Sample", "Future", "Run", "Uncertain values"].map((t) => el("th", { class: t === "Uncertain values" ? "name" : null, text: t })),
    ...p.outcomes.map((o) => el("th", { text: o.label })), el("th", { text: "Status" })));
  $("portfolio-table").querySelector("tbody").replaceChildren(...p.rows.map((r) => el("tr", {},
    el("td", { text: r.stage }), el("td", { text: String(r.future) }), el("td", { text: String(r.replication) }),
    el("td", { class: "name", text: p.uncertainties.map((u, i) => `${u} ${fmt(r.future_values[i])}`).join("; ") }),
    ...r.outcomes.map((v) => el("td", { text: fmt(v) })),
    el("td", { text: r.status === "ok" ? "ok" : `${r.status}: ${r.error || ""}` }))));
  $("portfolio-panel").scrollIntoView({ block: "start" });
}

function chosenFuture() {
  // the future chosen for the comparison: {sample, future}, or null for the nominal scenario
  const v = $("portfolio-future").value;
  if (!v) return null;
  const [sample, future] = v.split(":");
  return { sample, future: Number(future) };
}

function futureLink() {
  const f = chosenFuture();
  const q = f ? `?future=${f.future}&sample=${f.sample}` : "";
  $("portfolio-scenario").href = `/api/stores/${current.id}/scenario.yaml${q}`;
  $("portfolio-scenario").textContent = f ? "Download this future's scenario (YAML)" : "Download the scenario (YAML)";
}

async function comparePortfolio() {
  const p = current && current.portfolio;
  if (!p) return;
  $("portfolio-error").textContent = "";
  const body = { runs: Number($("portfolio-runs").value), seed: Number($("portfolio-seed").value),
                 steps: Number($("portfolio-steps").value), ...(chosenFuture() || {}) };
  try {
    const job = await api(`/api/stores/${current.id}/portfolios/${p.eval}/compare`, { method: "POST", json: body });
    $("portfolio-error").textContent = "Started: progress on the left; the comparison opens here when it is done.";
    hooks.follow(job);
  } catch (e) { $("portfolio-error").textContent = e.message; }
}
