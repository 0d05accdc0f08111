// The doctors' page: ask only what can still change the answer, and show the answer with its sections.
// The engine decides what is relevant: after each answer, the questions shown are the facts the
// eligibility answer lists as missing, plus those already answered. No libraries, no network but /v1.
"use strict";

const ALWAYS = ["date", "municipality"];
const WORDS = JSON.parse(document.getElementById("words").textContent); // the site's Danish words
const VERDICT_CLASS = { true: "ja", false: "nej", null: "uafklaret" };
const MARK = { passed: "✓", failed: "✗", unknown: "?" };
const OUTCOME = WORDS.outcomes;

const state = { region: "", facts: [], byName: {}, missing: [], showAll: false, seq: 0 };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function field(fact) {
  const id = `f-${fact.name}`;
  if (fact.type === "bool") {
    return el("select", { id, name: fact.name },
      el("option", { value: "", text: "– ikke oplyst –" }),
      el("option", { value: "true", text: "Ja" }), el("option", { value: "false", text: "Nej" }));
  }
  if (fact.values) {
    const select = el("select", { id, name: fact.name }, el("option", { value: "", text: "– ikke oplyst –" }));
    for (const v of fact.values) select.append(el("option", { value: v.value, text: v.label }));
    return select;
  }
  if (fact.type === "date") return el("input", { id, name: fact.name, type: "date" });
  if (fact.type === "number") return el("input", { id, name: fact.name, type: "number", min: "0", step: "any", inputmode: "decimal" });
  return el("input", { id, name: fact.name, type: "text", placeholder: "fx 07:00, 15:00, 23:00" });
}

function question(fact) {
  const unit = fact.unit && fact.type === "number" ? el("span", { class: "unit", text: ` ${fact.unit}` }) : "";
  return el("div", { class: "question", "data-fact": fact.name, hidden: "" },
    el("label", { for: `f-${fact.name}`, text: fact.label }),
    el("p", { class: "help", text: fact.question }),
    field(fact), unit,
    el("p", { class: "error", id: `e-${fact.name}`, role: "alert" }));
}

function value(fact) {
  const raw = document.getElementById(`f-${fact.name}`).value.trim();
  if (raw === "") return undefined;
  if (fact.type === "bool") return raw === "true";
  if (fact.type === "number") return Number(raw.replace(",", "."));
  if (fact.type === "times") return raw.split(/[\s,;]+/).filter(Boolean);
  return raw;
}

function answers() {
  const out = {};
  for (const fact of state.facts) {
    const v = value(fact);
    if (v !== undefined) out[fact.name] = v;
  }
  return out;
}

// A derived fact (doses per day from the dose times) is not asked while a fact it follows from is.
function visible(given) {
  const pending = new Set(state.missing.concat(ALWAYS).filter((name) => !(name in given)));
  const shown = new Set(ALWAYS.concat(Object.keys(given)));
  for (const name of state.missing) {
    const derivedFrom = (state.byName[name] || {}).derived_from || [];
    if (!derivedFrom.some((source) => pending.has(source))) shown.add(name);
  }
  return shown;
}

function showQuestions(given) {
  const shown = visible(given);
  for (const node of document.querySelectorAll("#facts .question")) {
    node.hidden = !(state.showAll || shown.has(node.dataset.fact));
  }
}

function clearErrors() {
  for (const node of document.querySelectorAll("#facts .error")) node.textContent = "";
  for (const input of document.querySelectorAll("#facts [aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

// A field with a bad value says so to a screen reader too, and points to its message.
function markInvalid(name, message) {
  const target = document.getElementById(`e-${name}`);
  const input = document.getElementById(`f-${name}`);
  if (!target || !input) return false;
  target.textContent = message;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", target.id);
  return true;
}

function showProblems(problems) {
  const general = [];
  for (const problem of problems) {
    const name = problem.loc[problem.loc.length - 1];
    const allowed = problem.allowed ? ` Tilladt: ${problem.allowed.join(", ")}.` : "";
    if (!markInvalid(name, problem.msg + allowed)) general.push(`${name}: ${problem.msg}${allowed}`);
  }
  setAnswer(el("p", { class: "notice", text: general.join(" ") || "Besvar eller ret de markerede spørgsmål." }));
}

function setAnswer(...nodes) {
  document.getElementById("answer").replaceChildren(...nodes);
}

function sectionLink(data, section) {
  const site = document.querySelector("main").dataset.site;
  const anchor = `afsnit-${section.replace(/\./g, "-")}`;
  return el("a", { href: `${site}/${data.region}/${data.revision}/#${anchor}`, text: `afsnit ${section}` });
}

function reasonItem(data, reason) {
  return el("li", { class: reason.outcome, "data-rule": reason.rule, title: OUTCOME[reason.outcome] },
    el("span", { class: "mark", "aria-label": OUTCOME[reason.outcome], text: MARK[reason.outcome] }),
    el("span", { class: "text", text: reason.text + " " }),
    reason.section ? sectionLink(data, reason.section) : "");  // the party check belongs to no section
}

function list(title, cls, items) {
  if (!items.length) return "";
  return el("div", { class: cls }, el("h3", { text: title }), el("ul", {}, ...items.map((i) => el("li", { text: i }))));
}

function renderAnswer(data) {
  const key = JSON.stringify(data.eligible);
  const [cls, text] = [VERDICT_CLASS[key], WORDS.answers[key]];
  const labels = data.missing.map((name) => (state.byName[name] || { label: name }).label);
  setAnswer(
    el("p", { id: "verdict", class: `verdict ${cls}`, text }),
    list("Mangler", "missing", labels),
    el("h3", { text: "Begrundelse" }),
    el("ul", { class: "reasons" }, ...data.reasons.map((r) => reasonItem(data, r))),
    list("Betingelser, der skal aftales", "conditions", data.conditions),
    list("Det siger aftalen ikke", "unknowns", data.unknowns),
    el("p", { class: "trace", text: `Beregnet efter aftalen for ${WORDS.regions[data.region] || data.region} af ${data.revision} ` +
      `(indholds-hash ${data.content_hash}).` }));
}

async function evaluate() {
  const given = answers();
  clearErrors();
  showQuestions(given);
  if (!state.region || !given.date) {
    setAnswer(el("p", { class: "notice", text: "Angiv startdatoen for at få et svar." }));
    return;
  }
  const seq = ++state.seq;
  const response = await fetch("/v1/eligibility", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ region: state.region, facts: given }),
  });
  const data = await response.json();
  if (seq !== state.seq) return; // a newer answer is on its way
  if (response.status === 422) return showProblems(data.detail);
  if (!response.ok) return setAnswer(el("p", { class: "notice", text: data.detail }));
  state.missing = data.missing;
  showQuestions(given);
  renderAnswer(data);
}

async function chooseRegion() {
  state.region = document.getElementById("region").value;
  const holder = document.getElementById("facts");
  holder.replaceChildren();
  document.querySelector(".toggle").hidden = !state.region;
  if (!state.region) return evaluate();
  const response = await fetch(`/v1/agreements/${encodeURIComponent(state.region)}/facts`);
  state.facts = response.ok ? await response.json() : [];
  state.byName = Object.fromEntries(state.facts.map((f) => [f.name, f]));
  state.missing = [];
  holder.append(...state.facts.map(question));
  evaluate();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("region").addEventListener("change", chooseRegion);
  document.getElementById("facts").addEventListener("change", evaluate);
  document.getElementById("show-all").addEventListener("change", (event) => {
    state.showAll = event.target.checked;
    showQuestions(answers());
  });
  document.getElementById("questions").addEventListener("submit", (event) => event.preventDefault());
  if (document.getElementById("region").value) chooseRegion();
});
