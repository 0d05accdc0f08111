// The doctors' page: ask only what can still change the answer, and show the answer with its sections.
// The engine decides what is relevant: after each answer, the questions shown are the facts the
// eligibility answer (and the price) list as missing, plus those already answered. The server writes
// every Danish date, amount and sentence (/page/answer, ivrules.web.doctor); this file only places them.
// No libraries, no network but this server.
"use strict";

const ALWAYS = ["date", "municipality", "start_date", "end_date"];
const JOINED = "municipality_joined"; // asked as Ja / Nej / Ved ikke, with the server's question as its legend
const DEBOUNCE_MS = 200; // typing: ask once the doctor pauses, not at every key
const WORDS = JSON.parse(document.getElementById("words").textContent); // the site's Danish words
const VERDICT_CLASS = { true: "ja", false: "nej", null: "uafklaret" };
const MARK = { passed: "✓", failed: "✗", unknown: "?" };
const OUTCOME = WORDS.outcomes;

// seq: the newest question sent; shown: the question whose answer is on the page (older answers are dropped).
const state = { region: "", facts: [], byName: {}, missing: [], showAll: false, seq: 0, shown: 0, timer: 0 };

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

function radio(name, value, text) {
  const id = `f-${name}-${value || "ved-ikke"}`;
  const input = el("input", { type: "radio", id, name, value });
  if (!value) input.checked = true;
  return el("label", { for: id, class: "choice" }, input, ` ${text}`);
}

// Whether the municipality has joined: Ja, Nej or Ved ikke (not sent, so the answer says what each would give).
function joinedQuestion(fact) {
  return el("fieldset", { class: "question", "data-fact": fact.name, hidden: "", "aria-describedby": `e-${fact.name}` },
    el("legend", { text: fact.label }),
    el("p", { class: "help", text: fact.question }),
    radio(fact.name, "true", "Ja"), radio(fact.name, "false", "Nej"), radio(fact.name, "", "Ved ikke"),
    el("p", { class: "error", id: `e-${fact.name}`, role: "alert" }));
}

function question(fact) {
  if (fact.name === JOINED) return joinedQuestion(fact);
  const unit = fact.unit && fact.type === "number" ? el("span", { class: "unit", text: ` ${fact.unit}` }) : "";
  return el("div", { class: "question", "data-fact": fact.name, hidden: "" },
    el("label", { for: `f-${fact.name}`, text: fact.label }),
    el("p", { class: "help", text: fact.question }),
    field(fact), unit,
    el("p", { class: "error", id: `e-${fact.name}`, role: "alert" }));
}

function rawValue(fact) {
  if (fact.name === JOINED) return document.querySelector(`input[name="${JOINED}"]:checked`)?.value || "";
  return document.getElementById(`f-${fact.name}`).value.trim();
}

function value(fact) {
  const raw = rawValue(fact);
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

// Questions appear at once, but go only when an answer says they no longer matter, and never while
// the doctor is in them: a field emptied to be typed again stays where it is.
function showQuestions(given, hide = true) {
  const shown = visible(given);
  for (const node of document.querySelectorAll("#facts .question")) {
    const keep = state.showAll || shown.has(node.dataset.fact) || node.contains(document.activeElement);
    if (keep) node.hidden = false;
    else if (hide) node.hidden = true;
  }
}

function clearErrors() {
  for (const node of document.querySelectorAll("#facts .error")) node.textContent = "";
  for (const node of document.querySelectorAll("#facts [aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    if (node.getAttribute("aria-describedby") === `e-${node.name}`) node.removeAttribute("aria-describedby");
  }
}

// A bad value: its message under the field, and the field marked invalid and pointing at the message.
function markInvalid(name, message) {
  const target = document.getElementById(`e-${name}`);
  if (!target) return false;
  target.textContent = message;
  const input = document.getElementById(`f-${name}`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", target.id);
  }
  return true;
}

function showProblems(problems) {
  const general = [];
  for (const problem of problems) {
    const name = problem.loc[problem.loc.length - 1];
    const allowed = problem.allowed ? ` Tilladt: ${problem.allowed.join(", ")}.` : "";
    const label = (state.byName[name] || { label: name }).label;
    if (!markInvalid(name, problem.msg + allowed)) general.push(`${label}: ${problem.msg}${allowed}`);
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

function trace(text) {
  return el("p", { class: "trace", text });
}

function accession(texts) {
  if (!texts.accession) return "";
  return el("p", { class: "accession", id: "accession", text: texts.accession });
}

// The verdict with what decided the revision; the price goes right under it, the grounds after both.
function verdictSection(data, texts) {
  const key = JSON.stringify(data.eligible);
  return el("section", { class: "eligibility", "aria-labelledby": "verdict" },
    el("p", { id: "verdict", class: `verdict ${VERDICT_CLASS[key]}`, text: WORDS.answers[key] }),
    accession(texts),
    trace(texts.revision));
}

function groundsSection(data) {
  const labels = data.missing.map((name) => (state.byName[name] || { label: name }).label);
  return el("section", { class: "grounds", "aria-label": "Begrundelse" },
    list("Mangler", "missing", labels),
    el("h3", { text: "Begrundelse" }),
    el("ul", { class: "reasons" }, ...data.reasons.map((r) => reasonItem(data, r))),
    list("Betingelser, der skal aftales", "conditions", data.conditions),
    list("Det siger aftalen ikke", "unknowns", data.unknowns));
}

function amounts(price) {
  const rows = [["Pris i alt", price.total], ["Regionen betaler", price.region_share],
    ["Kommunen betaler", price.municipality_share]];
  return el("dl", { class: "amounts" }, ...rows.flatMap(([label, amount]) =>
    [el("dt", { text: label }), el("dd", { text: amount })]));
}

function priceLines(price) {
  const rows = price.lines.map((line) => el("tr", {}, el("td", { text: line.label }), el("td", { class: "amount", text: line.value })));
  return el("table", { class: "lines" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Linje" }), el("th", { scope: "col", class: "amount", text: "Beløb" }))),
    el("tbody", {}, ...rows));
}

// The price, as /v1/tariff gives it, with the amounts the server wrote in kroner.
function priceSection(tariff, price) {
  if (!tariff) return "";
  const status = WORDS.quote_statuses[tariff.status] || tariff.status;
  const computed = tariff.status === "computed";
  return el("section", { class: `price ${tariff.status}`, id: "price", "aria-labelledby": "price-title" },
    el("h3", { id: "price-title", text: `Pris: ${status}` }),
    computed ? amounts(price) : "",
    computed && price.lines.length ? priceLines(price) : "",
    list(computed ? "Bemærkninger" : "Derfor", "price-reasons", tariff.reasons.concat(tariff.flags)),
    trace(price.revision));
}

function summaryList(items) {
  return el("dl", { class: "given" }, ...items.flatMap((i) => [el("dt", { text: i.label }), el("dd", { text: i.value })]));
}

// The printable summary for the patient record ("Gem svaret"): no name, no CPR, only what was asked.
function renderSummary(data, texts) {
  const eligibility = data.eligibility;
  const key = JSON.stringify(eligibility.eligible);
  const reasons = eligibility.reasons.map((r) => el("li", { class: r.outcome },
    `${MARK[r.outcome]} ${r.text}${r.section ? ` (afsnit ${r.section})` : ""} – ${OUTCOME[r.outcome]}`));
  document.getElementById("summary").replaceChildren(
    el("h1", { text: "Svar om IV-behandling i kommunalt regi" }),
    el("p", { class: "trace", text: `Udskrevet ${texts.today}. Indeholder ingen personoplysninger.` }),
    el("h2", { text: "Spørgsmålet" }), summaryList(texts.question),
    el("h2", { text: "Svaret" }),
    el("p", { class: `verdict ${VERDICT_CLASS[key]}`, text: WORDS.answers[key] }),
    texts.accession ? el("p", { text: texts.accession }) : "",
    list("Mangler", "missing", eligibility.missing.map((name) => (state.byName[name] || { label: name }).label)),
    el("h3", { text: "Begrundelse" }), el("ul", { class: "summary-reasons" }, ...reasons),
    list("Betingelser, der skal aftales", "conditions", eligibility.conditions),
    priceSection(data.tariff, texts.price),
    el("p", { class: "trace", text: texts.revision }));
}

function saveButton() {
  const button = el("button", { type: "button", id: "save", text: "Gem svaret" });
  button.addEventListener("click", () => window.print());
  return el("p", { class: "save" }, button, el("span", { class: "help", text: " Udskriv eller gem som PDF til journalen." }));
}

function renderAnswer(data) {
  const texts = data.texts;
  setAnswer(verdictSection(data.eligibility, texts), priceSection(data.tariff, texts.price),
    groundsSection(data.eligibility), saveButton());
  renderSummary(data, texts);
  const legend = document.querySelector(`.question[data-fact="${JOINED}"] legend`);
  if (legend && texts.joined_question) legend.textContent = texts.joined_question;
}

function notice(text, cls = "notice") {
  state.shown = ++state.seq; // an answer still on its way belongs to an older question
  document.getElementById("summary").replaceChildren();
  setAnswer(el("p", { class: cls, text }));
}

async function ask(given) {
  const response = await fetch("/page/answer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ region: state.region, facts: given }),
  });
  return [response, await response.json()];
}

function show(response, data, given) {
  clearErrors();
  if (response.status === 422) return showProblems(data.detail);
  document.getElementById("summary").replaceChildren();
  if (!response.ok) return setAnswer(el("p", { class: "notice no-agreement", id: "no-agreement", text: data.detail }));
  state.missing = data.eligibility.missing.concat(data.tariff ? data.tariff.missing : []);
  showQuestions(given);
  renderAnswer(data);
}

// The previous answer stays on the page until the next one arrives; an answer overtaken by a newer one is dropped.
async function evaluate() {
  clearTimeout(state.timer);
  const given = answers();
  showQuestions(given, false);
  if (!state.region || !(given.date || given.start_date)) return notice("Angiv startdatoen for at få et svar.");
  const seq = ++state.seq;
  const panel = document.getElementById("answer");
  panel.setAttribute("aria-busy", "true");
  let result;
  try {
    result = await ask(given);
  } catch {
    result = null;
  }
  if (seq <= state.shown) return;
  state.shown = seq;
  if (seq === state.seq) panel.removeAttribute("aria-busy");
  if (!result) return notice("Svaret kunne ikke hentes. Prøv igen.");
  show(...result, given);
}

function typed() {
  clearTimeout(state.timer);
  state.timer = setTimeout(evaluate, DEBOUNCE_MS);
}

async function chooseRegion() {
  state.region = document.getElementById("region").value;
  const holder = document.getElementById("facts");
  holder.replaceChildren();
  document.querySelector(".toggle").hidden = !state.region;
  if (!state.region) return evaluate();
  const response = await fetch(`/page/facts/${encodeURIComponent(state.region)}`);
  state.facts = response.ok ? await response.json() : [];
  state.byName = Object.fromEntries(state.facts.map((f) => [f.name, f]));
  state.missing = [];
  holder.append(...state.facts.map(question));
  evaluate();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("region").addEventListener("change", chooseRegion);
  const facts = document.getElementById("facts");
  facts.addEventListener("input", typed);
  facts.addEventListener("change", evaluate);
  document.getElementById("show-all").addEventListener("change", (event) => {
    state.showAll = event.target.checked;
    showQuestions(answers());
  });
  document.getElementById("questions").addEventListener("submit", (event) => event.preventDefault());
  if (document.getElementById("region").value) chooseRegion();
});
