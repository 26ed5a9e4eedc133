// Strategy composer: lever forms built from the lever declarations served at /api/levers.
import { el } from "./util.js";

const TARGET_KEYS = ["nodes", "edges", "jurisdictions", "organisations", "mode", "rule", "k", "kind"];

function allowedTargetKeys(help) {
  const keys = new Set();
  for (const m of (help || "").matchAll(/(\w+):/g)) if (TARGET_KEYS.includes(m[1])) keys.add(m[1]);
  if (keys.has("rule")) keys.add("k");
  return keys.size ? keys : new Set(TARGET_KEYS);
}

function numberInput(f, key, value) {
  return el("input", { type: "number", "data-key": key, "data-kind": f.kind, value: value ?? "",
                       min: f.lo ?? undefined, max: f.hi ?? undefined, step: f.kind === "int" ? 1 : "any",
                       title: f.doc || undefined });
}

function paramInput(f) {
  const key = f.name;
  if (f.kind === "bool") return el("input", { type: "checkbox", "data-key": key, "data-kind": "bool", checked: !!f.default });
  if (f.choices) {
    return el("select", { "data-key": key, "data-kind": "str" },
      f.choices.map((c) => el("option", { value: c, text: c, selected: c === f.default })));
  }
  if (f.kind === "int" || f.kind === "float") return numberInput(f, key, f.default);
  return el("input", { type: "text", "data-key": key, "data-kind": "str", value: f.default ?? "" });
}

function multi(key, options) {
  return el("select", { multiple: true, size: Math.min(4, Math.max(2, options.length)), "data-key": key,
                        "data-kind": "list" },
    options.map(([v, label]) => el("option", { value: v, text: label })));
}

export class Composer {
  constructor(catalog, root) {
    this.catalog = catalog;
    this.root = root;               // container of lever cards
    this.scenario = null;
  }

  setScenario(sc) { this.scenario = sc; this.root.replaceChildren(); }

  leverDecl(type) { return this.catalog.levers.find((l) => l.type === type); }

  addLever(type) {
    const decl = this.leverDecl(type);
    const sc = this.scenario;
    const card = el("div", { class: "lever", "data-type": type });
    const remove = el("button", { type: "button", text: "remove", onclick: () => { card.remove(); this.renumber(); } });
    card.append(el("div", { class: "lever-head" }, el("span", { text: type.replace(/_/g, " ") }), remove));
    card.append(el("p", { class: "hint", text: decl.doc }));

    const schedMode = el("select", { "data-key": "schedule.mode" },
      el("option", { value: "at", text: "at step(s)" }), el("option", { value: "repeat", text: "from step, repeating" }));
    const at = el("input", { type: "text", "data-key": "schedule.at", value: "4", title: "one step or a list: 4, 12, 20" });
    const start = el("input", { type: "number", "data-key": "schedule.start", value: 4, min: 0, step: 1 });
    const every = el("input", { type: "number", "data-key": "schedule.every", value: 1, min: 1, step: 1 });
    const until = el("input", { type: "number", "data-key": "schedule.until", value: "", min: 0, step: 1, placeholder: "end" });
    const atBox = el("div", {}, el("label", { text: "steps" }), at);
    const repBox = el("div", { class: "grid3", hidden: true },
      el("div", {}, el("label", { text: "start" }), start), el("div", {}, el("label", { text: "every" }), every),
      el("div", {}, el("label", { text: "until" }), until));
    schedMode.addEventListener("change", () => {
      atBox.hidden = schedMode.value !== "at"; repBox.hidden = schedMode.value === "at";
    });
    card.append(el("fieldset", { "data-key": "schedule" }, el("legend", { text: "schedule" }), schedMode, atBox, repBox));

    if (decl.targets_key) {
      const keys = allowedTargetKeys(decl.targets_help);
      const fs = el("fieldset", { "data-key": decl.targets_key, class: "targets" },
        el("legend", { text: `${decl.targets_key}${decl.targets_required ? "" : " (optional)"}: ${decl.targets_help}` }));
      const grid = el("div", { class: "grid2" });
      const add = (label, input) => grid.append(el("div", {}, el("label", {
        text: input.multiple ? `${label} (Ctrl/⌘-click for several)` : label }), input));
      if (keys.has("nodes")) add("nodes", multi("nodes", sc.nodes.map((n) => [n.id, `${n.id} (${n.kind})`])));
      if (keys.has("edges")) add("edges", multi("edges", sc.edges.map((e) => [`${e.from}|${e.to}`, `${e.from} → ${e.to}`])));
      if (keys.has("jurisdictions")) add("jurisdictions", multi("jurisdictions", sc.jurisdictions.map((j) => [j.id, `${j.id} ${j.name}`])));
      if (keys.has("organisations")) add("organisations", multi("organisations", sc.organisations.map((o) => [o.id, `${o.id} ${o.name}`])));
      if (keys.has("mode")) add("mode", el("select", { "data-key": "mode", "data-kind": "str" },
        ["", "land", "sea", "air", "river"].map((m) => el("option", { value: m, text: m || "(any)" }))));
      if (keys.has("rule")) {
        add("or a rule", el("select", { "data-key": "rule", "data-kind": "str" },
          ["", ...this.catalog.rules].map((r) => el("option", { value: r, text: r || "(named targets)" }))));
        add("k (how many)", numberInput({ kind: "int", lo: 1 }, "k", 1));
      }
      if (keys.has("kind")) add("kind", el("select", { "data-key": "kind", "data-kind": "str" },
        ["", "hub", "transit", "source", "market"].map((m) => el("option", { value: m, text: m || "(default)" }))));
      fs.append(grid);
      card.append(fs);
    }

    const params = el("fieldset", { "data-key": "" }, el("legend", { text: "parameters" }));
    const grid = el("div", { class: "grid2" });
    for (const f of decl.params) {
      const input = paramInput(f);
      const label = f.name + (f.lo !== null && f.hi !== null ? ` [${f.lo}–${f.hi}]` : "");
      grid.append(el("div", { title: f.doc }, el("label", { text: label }), input));
    }
    grid.append(el("div", {}, el("label", { text: "unit cost (USD per firing)" }),
      numberInput({ kind: "float", lo: 0 }, "unit_cost", 1000000)));
    params.append(grid);
    card.append(params);
    this.root.append(card);
    this.renumber();
    return card;
  }

  renumber() {
    [...this.root.querySelectorAll(".lever")].forEach((card, i) => {
      const base = `levers[${i}]`;
      card.setAttribute("data-field", base);
      card.querySelectorAll("[data-key]").forEach((n) => {
        const key = n.getAttribute("data-key");
        const parent = n.parentElement.closest("fieldset.targets");
        const prefix = parent && n !== parent ? `${base}.${parent.getAttribute("data-key")}` : base;
        n.setAttribute("data-field", key ? `${prefix}.${key}` : base);
      });
    });
  }

  // The strategy in strategy-file form.
  collect(name, actor) {
    const levers = [];
    for (const card of this.root.querySelectorAll(".lever")) {
      const type = card.getAttribute("data-type");
      const decl = this.leverDecl(type);
      const lv = { type };
      const q = (k) => card.querySelector(`[data-key="${k}"]`);
      if (q("schedule.mode").value === "at") {
        const parts = q("schedule.at").value.split(/[,\s]+/).filter(Boolean).map(Number);
        lv.schedule = { at: parts.length === 1 ? parts[0] : parts };
      } else {
        lv.schedule = { start: Number(q("schedule.start").value) };
        const every = q("schedule.every").value, until = q("schedule.until").value;
        if (every !== "") lv.schedule.every = Number(every);
        if (until !== "") lv.schedule.until = Number(until);
      }
      const tfs = card.querySelector("fieldset.targets");
      if (tfs) {
        const t = {};
        for (const input of tfs.querySelectorAll("[data-key]")) {
          if (input === tfs) continue;
          const key = input.getAttribute("data-key");
          if (input.multiple) {
            const vals = [...input.selectedOptions].map((o) => o.value);
            if (vals.length) t[key] = key === "edges" ? vals.map((v) => v.split("|")) : vals;
          } else if (input.value !== "") {
            t[key] = input.type === "number" ? Number(input.value) : input.value;
          }
        }
        if (!t.rule) { delete t.k; delete t.kind; }
        if (Object.keys(t).length) lv[decl.targets_key] = t;
      }
      for (const f of decl.params) {
        const input = q(f.name);
        if (f.kind === "bool") lv[f.name] = input.checked;
        else if (input.value === "") continue;
        else lv[f.name] = f.kind === "int" || f.kind === "float" ? Number(input.value) : input.value;
      }
      const cost = q("unit_cost").value;
      if (cost !== "") lv.unit_cost = Number(cost);
      levers.push(lv);
    }
    const out = { name, levers };
    if (actor) out.actor = actor;
    return out;
  }
}
