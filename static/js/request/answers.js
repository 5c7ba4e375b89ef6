/**
 * The answers of the addressed states on a request's overview: each state's answer card, the
 * answer panel for that state's competent authority (accept with units, refuse, counter-propose)
 * and the requester's decision on a counter-proposal.
 *
 * `view` is the request view's context (view-request.js): the request, `keep` for forms that
 * must survive live re-renders, and `submit` to send a form and reload.
 */

import { badge, checkboxGroup, dl, field, formErrors, h, humanise, replace } from "../dom.js";
import * as store from "../store.js";
import { dualTime, fromLocalInput, toLocalInput } from "../time.js";
import { ASSISTANCE_KINDS, COUNTER_KINDS, counterKindLabel, kindLabel } from "../util.js";

const NOT_OFFERABLE = new Set(["COMMITTED", "UNAVAILABLE"]);

export function answersPanel(view) {
  const { request } = view;
  const answers = request.answers || [];
  // One answer form at a time: with several to give (an administrator), each is a collapsed
  // <details>, the first (the caller's own state, if any) open; opening one closes the others.
  const states = ordered(answers).filter((a) => canAnswer(request, a)).map((a) => a.state);
  // The one the operator opened (or closed: ""), else the first, once that one is answered.
  const open = view.openAnswer === "" || states.includes(view.openAnswer) ? view.openAnswer : states[0];
  const answerable = { states, open };
  return h(
    "section",
    { class: "panel", "aria-labelledby": "ans-title" },
    h(
      "div",
      { class: "panel__head" },
      h("h2", { id: "ans-title" }, "Answers of the addressed states"),
      h("span", { class: "muted" }, Object.entries(request.answers_by_status || {}).map(([k, v]) => `${humanise(k)}: ${v}`).join(" · ")),
    ),
    answers.length ? ordered(answers).map((a) => answerCard(view, a, answerable)) : h("p", { class: "muted" }, request.status === "DRAFT" ? "Not submitted yet." : "No state addressed."),
  );
}

/** The caller's own states first (an authority answering for several, or an administrator, reads
 * its own before the others'); otherwise the API's order. */
function ordered(answers) {
  const own = new Set(store.answerStates());
  return [...answers.filter((a) => own.has(a.state)), ...answers.filter((a) => !own.has(a.state))];
}

/** Whether the caller may answer for `a`'s state now. */
function canAnswer(request, a) {
  const mine = store.isAdmin() || store.answerStates().includes(a.state);
  return mine && a.status === "PENDING" && request.status !== "WITHDRAWN" && request.status !== "CLOSED";
}

function answerCard(view, a, answerable) {
  const { request } = view;
  const when = (at) => dualTime(at, view.zone(), { otherLabel: view.reqLabel() });
  const units = (ids) => ids.map((u) => store.unitName(u) || `unit ${u}`).join(", ");
  const card = h(
    "article",
    { class: "answer-card", dataset: { state: a.state, status: a.status } },
    h(
      "div",
      { class: "answer-card__head" },
      h("h3", {}, `${store.stateName(a.state)} (${a.state})`),
      badge(a.status),
      a.seen_at ? h("span", { class: "muted", dataset: { seen: "true" } }, "Seen ", when(a.seen_at)) : h("span", { class: "muted", dataset: { seen: "false" } }, "Not yet seen"),
    ),
    dl([
      a.answered_at ? ["Answered", when(a.answered_at)] : null,
      a.units?.length ? [a.status.startsWith("COUNTER") ? "Units proposed" : "Units offered", units(a.units)] : null,
      a.reason ? ["Reason", a.reason] : null,
      a.status === "LAPSED" ? ["Lapsed", `The request was ${humanise(request.status).toLowerCase()} before this was decided; nothing is awaited any more.`] : null,
    ]),
    a.counter ? counterDetails(view, a) : null,
  );
  if (canAnswer(request, a)) {
    const several = answerable.states.length > 1;
    const key = `answer-panel:${a.state}:${a.version}${several ? ":folded" : ""}`;
    card.append(view.keep(key, () => (several ? foldedPanel(view, a, a.state === answerable.open) : answerPanel(view, a))));
  }
  if (view.isRequester() && a.status === "COUNTER_PROPOSED") {
    card.append(view.keep(`counter-decision:${a.state}:${a.version}`, () => counterDecision(view, a)));
  }
  return card;
}

/** The answer form folded in a <details>; opening it closes the other states' forms. Which one is
 * open is kept on the view (`openAnswer`), so a live re-render with a new version opens the same. */
function foldedPanel(view, a, open) {
  const folded = h(
    "details",
    { class: "answer-fold", open, dataset: { answerFold: a.state } },
    h("summary", {}, `Answer for ${store.stateName(a.state)}`),
    answerPanel(view, a),
  );
  folded.addEventListener("toggle", () => {
    if (!folded.open) {
      if (view.openAnswer === a.state) view.openAnswer = "";
      return;
    }
    view.openAnswer = a.state;
    for (const other of view.body.querySelectorAll("details[data-answer-fold][open]")) if (other !== folded) other.open = false;
  });
  return folded;
}

function counterDetails(view, a) {
  const c = a.counter;
  return h(
    "div",
    { class: "notice notice--warn counter", dataset: { counter: a.state } },
    h("h4", {}, "Counter-proposal"),
    dl([
      ["What changes", (c.kinds || []).map(counterKindLabel).join(", ")],
      c.assistance_kinds?.length ? ["Assistance instead", c.assistance_kinds.map(kindLabel).join(", ")] : null,
      c.personnel ? ["Personnel", String(c.personnel)] : null,
      c.arrival_at ? ["Arrival", dualTime(c.arrival_at, view.zone(), { otherLabel: view.reqLabel() })] : null,
      ["Proposal", c.text],
      c.decision_reason ? ["Decision reason", c.decision_reason] : null,
    ]),
  );
}

/** The competent authority's answer: accept with units, refuse with a reason, or counter-propose. */
function answerPanel(view, a) {
  const path = `/api/v1/requests/${view.id}/answers/${a.state}`;
  // Only units free to go are offered (the server refuses a COMMITTED or UNAVAILABLE one).
  const myUnits = store.units().filter((u) => u.state === a.state);
  const offerable = myUnits.filter((u) => !NOT_OFFERABLE.has(u.readiness?.status));
  const unitOptions = offerable.map((u) => ({ value: String(u.id), label: `${u.name} · ${humanise(u.readiness?.status || "unknown")}` }));
  const held = myUnits.filter((u) => NOT_OFFERABLE.has(u.readiness?.status));
  const heldNote = () => (held.length
    ? h("p", { class: "muted", dataset: { notOffered: "" } }, `Not offered (committed or unavailable): ${held.map((u) => `${u.name} · ${humanise(u.readiness.status)}`).join(", ")}`)
    : null);
  const panel = h("div", { class: "action-panel", role: "group", "aria-labelledby": `answer-title-${a.state}`, dataset: { answerPanel: a.state } });
  const choiceName = `answer-choice-${a.state}`;
  const choices = [
    ["accept", "Accept, with units"],
    ["refuse", "Refuse"],
    ["counter", "Counter-propose"],
  ];
  const choiceRow = h(
    "fieldset",
    { class: "choice-row fieldset" },
    h("legend", {}, "Your answer (Art. 3(1))"),
    choices.map(([value, label], i) => {
      const rid = `${choiceName}-${value}`;
      const input = h("input", { type: "radio", name: choiceName, id: rid, value, checked: i === 0 });
      input.addEventListener("change", () => show(value));
      return h("div", { class: "check" }, input, h("label", { for: rid }, label));
    }),
  );
  const slot = h("div");
  panel.append(h("h4", { id: `answer-title-${a.state}` }, `Answer for ${store.stateName(a.state)}`), choiceRow, slot);

  function show(which) {
    if (which === "accept") replace(slot, acceptForm());
    else if (which === "refuse") replace(slot, refuseForm());
    else replace(slot, counterForm());
  }

  function acceptForm() {
    const group = checkboxGroup({ legend: "Units offered", name: `accept-units-${a.state}`, field: "units", options: unitOptions, columns: true });
    const form = h("form", { class: "form", novalidate: true, dataset: { form: "accept" } }, formErrors(), group.element, heldNote(), h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--ok" }, "Accept the request")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      view.submit(form, `${path}/accept`, { units: group.values().map(Number), expected_version: a.version });
    });
    return form;
  }

  function refuseForm() {
    const reason = h("textarea", { rows: "3" });
    const form = h("form", { class: "form", novalidate: true, dataset: { form: "refuse" } }, formErrors(), field({ label: "Reason for refusing (required)", control: reason, field: "reason" }), h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--danger" }, "Refuse the request")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      view.submit(form, `${path}/refuse`, { reason: reason.value, expected_version: a.version });
    });
    return form;
  }

  function counterForm() {
    const kinds = checkboxGroup({ legend: "What the proposal changes", name: `counter-kinds-${a.state}`, field: "counter.kinds", options: COUNTER_KINDS.map(([value, label]) => ({ value, label })) });
    const assist = checkboxGroup({ legend: "Kinds of assistance offered instead", name: `counter-assist-${a.state}`, field: "counter.assistance_kinds", options: ASSISTANCE_KINDS.map(([value, label]) => ({ value, label })) });
    const units = checkboxGroup({ legend: "Units that would provide it", name: `counter-units-${a.state}`, field: "counter.units", options: unitOptions, columns: true });
    const personnel = h("input", { type: "number", min: "1", max: "5000", step: "1" });
    const arrival = h("input", { type: "datetime-local", value: toLocalInput(new Date(Date.now() + 8 * 3600_000)) });
    const text = h("textarea", { rows: "3" });
    const personnelField = field({ label: "Personnel offered", control: personnel, field: "counter.personnel" });
    const arrivalField = field({ label: "Arrival at the scene (your time)", control: arrival, field: "counter.arrival_at" });
    const sync = () => {
      const chosen = kinds.values();
      assist.element.hidden = !chosen.includes("other_assistance_kind");
      personnelField.hidden = !chosen.includes("fewer_personnel");
      arrivalField.hidden = !chosen.includes("later_arrival");
    };
    kinds.element.addEventListener("change", sync);
    const form = h(
      "form",
      { class: "form", novalidate: true, dataset: { form: "counter" } },
      formErrors(),
      kinds.element,
      assist.element,
      units.element,
      heldNote(),
      h("div", { class: "form__grid" }, personnelField, arrivalField),
      field({ label: "The proposal, in words", control: text, field: "counter.text", wide: true }),
      h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--primary" }, "Send the counter-proposal")),
    );
    sync();
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const chosen = kinds.values();
      const counter = { kinds: chosen, units: units.values().map(Number), text: text.value };
      if (chosen.includes("other_assistance_kind")) counter.assistance_kinds = assist.values();
      if (chosen.includes("fewer_personnel")) counter.personnel = personnel.value === "" ? null : Number.parseInt(personnel.value, 10);
      if (chosen.includes("later_arrival")) counter.arrival_at = fromLocalInput(arrival.value);
      view.submit(form, `${path}/counter-propose`, { counter, expected_version: a.version });
    });
    return form;
  }

  show("accept");
  return panel;
}

/** The requester accepts or rejects a counter-proposal. */
function counterDecision(view, a) {
  const reason = h("textarea", { rows: "2" });
  const form = h(
    "form",
    { class: "form action-panel", novalidate: true, dataset: { form: "counter-decision", state: a.state } },
    h("h4", {}, `Your decision on ${a.state}'s counter-proposal`),
    formErrors(),
    field({ label: "Reason (optional)", control: reason, field: "reason" }),
    h(
      "div",
      { class: "form__actions" },
      h("button", { type: "submit", class: "btn btn--ok", dataset: { decision: "accept" } }, "Accept the counter-proposal"),
      h("button", { type: "submit", class: "btn btn--danger", dataset: { decision: "reject" } }, "Reject it"),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const decision = ev.submitter?.dataset.decision || "accept";
    const payload = { expected_version: a.version };
    if (reason.value.trim()) payload.reason = reason.value;
    view.submit(form, `/api/v1/requests/${view.id}/answers/${a.state}/counter/${decision}`, payload);
  });
  return form;
}
