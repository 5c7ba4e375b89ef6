/**
 * One assistance request: the summary, each addressed state's answer (with the answer panel for
 * that state's competent authority, and the requester's decision on a counter-proposal), the
 * deployments (with the commander's and requester's actions), the candidate ranking with its
 * explanations, exclusions and team proposal, the timeline and the audit trail.
 * Re-fetched whenever a live event concerns it; open forms survive unrelated updates.
 */

/* global L */

import { ApiError, get, getAll, post } from "./api.js";
import { candidateLine, createBasemap, siteMarker, unitMarker } from "./basemap.js";
import { deploymentCard } from "./deployments.js";
import { badge, checkboxGroup, clearErrors, dl, field, formErrors, h, humanise, replace, showErrors } from "./dom.js";
import * as live from "./live.js";
import { loadCandidates } from "./matching.js";
import * as store from "./store.js";
import { dualTime, fmt, fromLocalInput, minutes, toLocalInput } from "./time.js";
import { ASSISTANCE_KINDS, COUNTER_KINDS, counterKindLabel, crisisLabel, debounce, kindLabel, km, num, pct, requestTitle } from "./util.js";

const TABS = [
  ["", "Overview"],
  ["ranking", "Candidates"],
  ["timeline", "Timeline"],
  ["audit", "Audit"],
];

export async function mount(container, { params, setTitle }) {
  const id = Number(params.id);
  const tab = params.tab === "answers" || params.tab === "deployments" ? "" : params.tab || "";
  let request = await get(`/api/v1/requests/${id}`);
  setTitle(`Request #${id}`);

  const head = h("div", { class: "page-head" });
  const presenceEl = h("p", { class: "presence", "aria-live": "polite", dataset: { presence: "" } });
  const tabs = h(
    "ul",
    { class: "tabs", role: "list" },
    TABS.map(([key, label]) =>
      h("li", {}, h("a", { href: `#/requests/${id}${key ? `/${key}` : ""}`, "aria-current": key === tab ? "page" : null, dataset: { tab: key || "overview" } }, label)),
    ),
  );
  const body = h("div", { class: "request-body", dataset: { requestId: id } });
  container.append(head, presenceEl, h("nav", { "aria-label": "Request sections" }, tabs), body);

  const kept = new Map(); // key -> node, so that open forms survive re-renders
  function keep(key, build) {
    if (kept.has(key)) return kept.get(key);
    const node = build();
    kept.set(key, node);
    return node;
  }

  const zone = () => store.stateZone(request.requesting_state);
  const reqLabel = () => request.requesting_state;
  const isRequester = () => store.isAdmin() || store.raiseStates().includes(request.requesting_state);

  function renderHead() {
    replace(
      head,
      h("h1", {}, requestTitle(request)),
      badge(request.status),
      request.exercise ? h("span", { class: "tag tag--exercise" }, "Exercise") : null,
      request.classification ? h("span", { class: "tag tag--classification" }, request.classification) : null,
      h("span", { class: "muted" }, `Requested by ${store.stateName(request.requesting_state)}`),
    );
  }

  // ---------------------------------------------------------------- overview

  function summaryPanel() {
    const c = request.crisis || {};
    return h(
      "section",
      { class: "panel", "aria-labelledby": "sum-title" },
      h("h2", { id: "sum-title" }, "The request"),
      dl([
        ["Crisis", `${crisisLabel(c.type)}${c.exercise ? " (exercise)" : ""}`],
        ["Place", `${c.place_name || "—"} · ${num(c.site?.lat, 4)}, ${num(c.site?.lon, 4)}`],
        ["Started", dualTime(c.started_at, zone(), { otherLabel: reqLabel(), showSame: true })],
        ["Kinds of assistance", (request.kinds || []).map(kindLabel).join(", ") || "—"],
        [
          "Capabilities",
          request.requirements?.length
            ? h("ul", { class: "plain" }, request.requirements.map((r) => h("li", {}, `${store.capabilityName(r.code)} × ${r.quantity} (${r.min_level} or better)`)))
            : "—",
        ],
        ["Needed by", dualTime(request.needed_by, zone(), { otherLabel: reqLabel(), showSame: true, relativeToo: true })],
        ["Duration", `${request.duration_hours} h`],
        ["Answer deadline", dualTime(request.answer_deadline, zone(), { otherLabel: reqLabel(), showSame: true, relativeToo: true })],
        ["Addressed", request.address_all ? `All participating states (${request.addressed_states.length})` : request.addressed_states.join(", ") || "—"],
        ["Operational necessity", request.operational_necessity],
        c.description ? ["Description", c.description] : null,
        request.submitted_at ? ["Submitted", dualTime(request.submitted_at, zone(), { otherLabel: reqLabel() })] : null,
        request.withdrawal_reason ? ["Withdrawal reason", request.withdrawal_reason] : null,
      ]),
      isRequester() ? requesterActions() : null,
    );
  }

  function requesterActions() {
    return keep(`req-actions:${request.version}:${request.status}`, () => {
      const allowed = request.allowed || [];
      const box = h("div", { class: "action-panel", role: "group", "aria-label": "Requester actions" }, h("h4", {}, "Requester actions"));
      const buttons = h("div", { class: "form__actions" });
      const slot = h("div");
      box.append(buttons, slot);
      if (allowed.includes("submit")) {
        buttons.append(
          h(
            "button",
            {
              type: "button",
              class: "btn btn--primary",
              dataset: { action: "submit" },
              onClick: (ev) => act(ev.currentTarget, `/api/v1/requests/${id}/submit`, { expected_version: request.version }, box),
            },
            "Submit to the addressed states",
          ),
        );
      }
      if (allowed.includes("close")) {
        buttons.append(
          h(
            "button",
            {
              type: "button",
              class: "btn btn--secondary",
              dataset: { action: "close" },
              onClick: (ev) => act(ev.currentTarget, `/api/v1/requests/${id}/close`, { expected_version: request.version }, box),
            },
            "Close the request",
          ),
        );
      }
      if (allowed.includes("withdraw")) {
        const open = h("button", { type: "button", class: "btn btn--danger", dataset: { action: "withdraw" } }, "Withdraw…");
        open.addEventListener("click", () => {
          const reason = h("textarea", { rows: "2" });
          const form = h(
            "form",
            { class: "form", novalidate: true },
            formErrors(),
            field({ label: "Reason for withdrawing", control: reason, field: "reason" }),
            h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--danger" }, "Withdraw the request")),
          );
          form.addEventListener("submit", (ev) => {
            ev.preventDefault();
            const payload = { expected_version: request.version };
            if (reason.value.trim()) payload.reason = reason.value;
            submitForm(form, `/api/v1/requests/${id}/withdraw`, payload);
          });
          replace(slot, form);
          reason.focus();
        });
        buttons.append(open);
      }
      if (!buttons.children.length) return h("span");
      return box;
    });
  }

  async function act(button, path, payload, box) {
    button.disabled = true;
    let errorBox = box.querySelector(".form-errors");
    if (!errorBox) {
      errorBox = formErrors();
      box.prepend(errorBox);
    }
    try {
      await post(path, payload);
      await reload();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errorBox.replaceChildren(h("p", {}, err.message));
      errorBox.hidden = false;
      errorBox.focus();
    } finally {
      button.disabled = false;
    }
  }

  async function submitForm(form, path, payload) {
    clearErrors(form);
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((b) => {
      b.disabled = true;
    });
    try {
      await post(path, payload);
      await reload();
      return true;
    } catch (err) {
      if (err instanceof ApiError) showErrors(form, err);
      else throw err;
      return false;
    } finally {
      buttons.forEach((b) => {
        b.disabled = false;
      });
    }
  }

  function answersPanel() {
    const answers = request.answers || [];
    return h(
      "section",
      { class: "panel", "aria-labelledby": "ans-title" },
      h(
        "div",
        { class: "panel__head" },
        h("h2", { id: "ans-title" }, "Answers of the addressed states"),
        h("span", { class: "muted" }, Object.entries(request.answers_by_status || {}).map(([k, v]) => `${humanise(k)}: ${v}`).join(" · ")),
      ),
      answers.length ? answers.map(answerCard) : h("p", { class: "muted" }, request.status === "DRAFT" ? "Not submitted yet." : "No state addressed."),
    );
  }

  function answerCard(a) {
    const units = (ids) => ids.map((u) => store.unitName(u) || `unit ${u}`).join(", ");
    const mine = store.isAdmin() || store.answerStates().includes(a.state);
    const card = h(
      "article",
      { class: "answer-card", dataset: { state: a.state, status: a.status } },
      h(
        "div",
        { class: "answer-card__head" },
        h("h3", {}, `${store.stateName(a.state)} (${a.state})`),
        badge(a.status),
        a.seen_at ? h("span", { class: "muted", dataset: { seen: "true" } }, "Seen ", dualTime(a.seen_at, zone(), { otherLabel: reqLabel() })) : h("span", { class: "muted", dataset: { seen: "false" } }, "Not yet seen"),
      ),
      dl([
        a.answered_at ? ["Answered", dualTime(a.answered_at, zone(), { otherLabel: reqLabel() })] : null,
        a.units?.length ? [a.status.startsWith("COUNTER") ? "Units proposed" : "Units offered", units(a.units)] : null,
        a.reason ? ["Reason", a.reason] : null,
      ]),
      a.counter ? counterDetails(a) : null,
    );
    if (mine && a.status === "PENDING" && request.status !== "WITHDRAWN" && request.status !== "CLOSED") {
      card.append(keep(`answer-panel:${a.state}:${a.version}`, () => answerPanel(a)));
    }
    if (isRequester() && a.status === "COUNTER_PROPOSED") {
      card.append(keep(`counter-decision:${a.state}:${a.version}`, () => counterDecision(a)));
    }
    return card;
  }

  function counterDetails(a) {
    const c = a.counter;
    return h(
      "div",
      { class: "notice notice--warn counter", dataset: { counter: a.state } },
      h("h4", {}, "Counter-proposal"),
      dl([
        ["What changes", (c.kinds || []).map(counterKindLabel).join(", ")],
        c.assistance_kinds?.length ? ["Assistance instead", c.assistance_kinds.map(kindLabel).join(", ")] : null,
        c.personnel ? ["Personnel", String(c.personnel)] : null,
        c.arrival_at ? ["Arrival", dualTime(c.arrival_at, zone(), { otherLabel: reqLabel() })] : null,
        ["Proposal", c.text],
        c.decision_reason ? ["Decision reason", c.decision_reason] : null,
      ]),
    );
  }

  /** The competent authority's answer: accept with units, refuse with a reason, or counter-propose. */
  function answerPanel(a) {
    const myUnits = store.units().filter((u) => u.state === a.state);
    const unitOptions = myUnits.map((u) => ({ value: String(u.id), label: `${u.name} · ${u.readiness?.status || "?"}` }));
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
      const form = h("form", { class: "form", novalidate: true, dataset: { form: "accept" } }, formErrors(), group.element, h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--ok" }, "Accept the request")));
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        submitForm(form, `/api/v1/requests/${id}/answers/${a.state}/accept`, { units: group.values().map(Number), expected_version: a.version });
      });
      return form;
    }

    function refuseForm() {
      const reason = h("textarea", { rows: "3" });
      const form = h("form", { class: "form", novalidate: true, dataset: { form: "refuse" } }, formErrors(), field({ label: "Reason for refusing (required)", control: reason, field: "reason" }), h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--danger" }, "Refuse the request")));
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        submitForm(form, `/api/v1/requests/${id}/answers/${a.state}/refuse`, { reason: reason.value, expected_version: a.version });
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
        submitForm(form, `/api/v1/requests/${id}/answers/${a.state}/counter-propose`, { counter, expected_version: a.version });
      });
      return form;
    }

    show("accept");
    return panel;
  }

  /** The requester accepts or rejects a counter-proposal. */
  function counterDecision(a) {
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
      submitForm(form, `/api/v1/requests/${id}/answers/${a.state}/counter/${decision}`, payload);
    });
    return form;
  }

  function deploymentsPanel() {
    const deps = request.deployments || [];
    return h(
      "section",
      { class: "panel", "aria-labelledby": "dep-title" },
      h("h2", { id: "dep-title" }, "Deployments"),
      deps.length
        ? deps.map((d) => keep(`dep:${d.id}:${d.version}:${store.unit(d.unit.id)?.readiness?.status}`, () => deploymentCard(d, request, { onChanged: reload })))
        : h("p", { class: "muted" }, "No unit alerted yet."),
    );
  }

  function renderOverview() {
    replace(body, h("div", { class: "grid-2" }, h("div", {}, summaryPanel()), h("div", {}, answersPanel(), deploymentsPanel())));
  }

  // ---------------------------------------------------------------- candidates

  let rankingMap = null;
  const rankingOptions = { redundancy: false, snapshot: false };

  function rankingToolbar() {
    const redundancy = h("input", { type: "checkbox", id: "rank-redundancy", checked: rankingOptions.redundancy });
    redundancy.addEventListener("change", () => {
      rankingOptions.redundancy = redundancy.checked;
      renderRanking().then(() => document.getElementById("rank-redundancy")?.focus());
    });
    const asOf = h(
      "select",
      { id: "rank-as-of" },
      h("option", { value: "now", selected: !rankingOptions.snapshot }, "now (live directory)"),
      h("option", { value: "snapshot", selected: rankingOptions.snapshot, disabled: !request.has_ranking_snapshot }, "at submission (frozen)"),
    );
    asOf.addEventListener("change", () => {
      rankingOptions.snapshot = asOf.value === "snapshot";
      renderRanking().then(() => document.getElementById("rank-as-of")?.focus());
    });
    return h(
      "div",
      { class: "form__grid ranking-toolbar" },
      h("div", { class: "field" }, h("label", { for: "rank-as-of" }, "Ranking as of"), asOf),
      h(
        "div",
        { class: "field field--inline" },
        redundancy,
        h("label", { for: "rank-redundancy" }, "Team covers each requirement twice (redundancy)"),
      ),
    );
  }

  async function renderRanking() {
    if (!body.querySelector(".ranking-toolbar")) replace(body, h("p", { class: "loading" }, "Ranking the units…"));
    let ranking = null;
    let failure = null;
    try {
      ranking = await loadCandidates(id, rankingOptions);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failure = err;
    }
    if (!ranking) {
      replace(
        body,
        rankingToolbar(),
        h(
          "section",
          { class: "panel" },
          h("h2", {}, "Candidates"),
          h("p", { class: "muted" }, failure ? `The ranking is not available: ${failure.message}` : "No ranking was frozen for this request (it is taken when the request is submitted)."),
        ),
      );
      return;
    }
    const site = request.crisis.site;
    const mapEl = h("div", { id: "ranking-map", class: "mini-map", role: "region", "aria-label": "Map of the candidates and the site" });
    replace(
      body,
      rankingToolbar(),
      h(
        "section",
        { class: "panel", "aria-labelledby": "cand-title" },
        h(
          "div",
          { class: "panel__head" },
          h("h2", { id: "cand-title" }, `Candidate ranking (${ranking.candidates_total})`),
          h("span", { class: "muted", dataset: { rankingSource: ranking.source } }, ranking.source === "snapshot" ? "Frozen at submission" : "Computed now", ranking.computed_at ? ` · ${fmt(ranking.computed_at)}` : ""),
        ),
        candidatesTable(ranking),
      ),
      h("section", { class: "panel grid-2", "aria-label": "Map and proposed team" }, mapEl, teamPanel(ranking.team)),
      excludedPanel(ranking),
    );
    if (rankingMap) rankingMap.remove();
    rankingMap = null;
    if (!body.isConnected) return;
    rankingMap = createBasemap("ranking-map", { center: [site.lat, site.lon], zoom: 5 });
    siteMarker(site.lat, site.lon, request.crisis.place_name).addTo(rankingMap);
    const lineRenderer = L.svg({ pane: "overlayPane" });
    for (const c of ranking.candidates.slice(0, 15)) {
      if (c.from_station) candidateLine(c.from_station, site, { renderer: lineRenderer }).addTo(rankingMap);
      const u = store.unit(c.unit_id);
      if (u) unitMarker(u).addTo(rankingMap);
    }
    const shown = rankingMap;
    setTimeout(() => shown === rankingMap && rankingMap && rankingMap.invalidateSize(), 50);
  }

  function scoreBar(parts) {
    const entries = Object.entries(parts || {});
    const positive = entries.filter(([, v]) => v > 0);
    const total = positive.reduce((s, [, v]) => s + v, 0) || 1;
    const bar = h("div", { class: "score-bar", role: "img", "aria-label": entries.map(([k, v]) => `${k} ${num(v)}`).join(", ") });
    for (const [k, v] of positive) {
      const part = h("span", { class: `score-bar__part score-bar__part--${k}`, title: `${k}: ${num(v)}` });
      part.style.width = `${(100 * v) / total}%`; // CSSOM, allowed by the CSP
      bar.append(part);
    }
    return bar;
  }

  function candidatesTable(ranking) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data candidates", dataset: { table: "candidates" } },
        h("caption", {}, "Best first; open a row for the unit's explanation"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "#"), h("th", { scope: "col" }, "Unit"), h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col" }, "Score parts"), h("th", { scope: "col", class: "num" }, "ETA"), h("th", { scope: "col" }, "Cover"))),
        h(
          "tbody",
          {},
          ranking.candidates.map((c) =>
            h(
              "tr",
              { dataset: { unitId: c.unit_id } },
              h("td", { class: "num" }, String(c.rank)),
              h(
                "td",
                {},
                h("strong", {}, c.name),
                ` (${c.state}) `,
                c.readiness?.limited ? badge("LIMITED") : null,
                h(
                  "details",
                  {},
                  h("summary", {}, "Why"),
                  h("ul", { class: "explain" }, (c.explanation || []).map((line) => h("li", {}, line))),
                  c.eta
                    ? dl([
                        ["Mode", humanise(c.eta.mode)],
                        ["Distance", `${num(c.eta.distance_km, 0)} km (route ${num(c.eta.route_km, 0)} km)`],
                        ["Mobilisation", minutes(c.eta.mobilisation_min)],
                        c.eta.break_off_min ? ["Break-off", minutes(c.eta.break_off_min)] : null,
                        ["Transfer", minutes(c.eta.transfer_min)],
                        ["Overheads", minutes(c.eta.overhead_min)],
                        ["Travel", minutes(c.eta.travel_min)],
                        c.eta.refuel_stops ? ["Refuelling stops", String(c.eta.refuel_stops)] : null,
                        ["Total", minutes(c.eta.total_min)],
                        c.eta.arrival ? ["Arrival", dualTime(c.eta.arrival, zone(), { otherLabel: reqLabel() })] : null,
                      ])
                    : null,
                  c.capability_fit?.length
                    ? h(
                        "ul",
                        { class: "explain" },
                        c.capability_fit.map((f) =>
                          h("li", {}, `${store.capabilityName(f.code)}: ${f.covered === true ? "covered" : f.covered === "partial" ? "partly covered" : "not covered"}`, f.held_level ? ` (holds ${f.held_level}${f.held_quantity ? ` × ${f.held_quantity}` : ""})` : ""),
                        ),
                      )
                    : null,
                  c.readiness?.note ? h("p", { class: "muted" }, c.readiness.note) : null,
                ),
              ),
              h("td", { class: "num" }, num(c.score, 3)),
              h("td", { class: "score-cell" }, scoreBar(c.score_parts), h("span", { class: "muted score-parts" }, Object.entries(c.score_parts || {}).map(([k, v]) => `${k} ${num(v)}`).join(" · "))),
              h("td", { class: "num nowrap" }, minutes(c.eta?.total_min), h("br"), h("span", { class: "muted" }, `${km(c.distance_m)} · ${humanise(c.eta?.mode || "")}`)),
              h("td", {}, pct(c.cover)),
            ),
          ),
        ),
      ),
    );
  }

  function teamPanel(team) {
    if (!team) return h("div", { class: "notice" }, "No team proposal is available.");
    const members = team.members || [];
    return h(
      "section",
      { class: "team", "aria-labelledby": "team-title", dataset: { team: "" } },
      h("h3", { id: "team-title" }, "Proposed team"),
      members.length
        ? h(
            "ol",
            { class: "team__members" },
            members.map((m) =>
              h(
                "li",
                { dataset: { unitId: m.unit_id } },
                h("strong", {}, `${m.name} (${m.state})`),
                ` · ETA ${minutes(m.eta_min)} by ${humanise(m.mode)}`,
                m.arrival ? [" · arrives ", dualTime(m.arrival, zone(), { otherLabel: reqLabel() })] : null,
                h("br"),
                h("span", { class: "muted" }, m.why),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No unit can be proposed."),
      team.latest_eta_min != null ? h("p", {}, `Latest arrival: ${minutes(team.latest_eta_min)} after the alert.`) : null,
      (team.uncovered || []).length
        ? h("div", { class: "notice notice--danger" }, h("strong", {}, "Needs nobody can meet: "), h("ul", {}, team.uncovered.map((u) => h("li", {}, u.message))))
        : h("p", { class: "notice notice--ok" }, "The team covers every need."),
      (team.notes || []).length ? h("ul", { class: "explain" }, team.notes.map((n) => h("li", {}, n))) : null,
    );
  }

  function excludedPanel(ranking) {
    const rows = ranking.excluded || [];
    return h(
      "section",
      { class: "panel", "aria-labelledby": "excl-title" },
      h("h2", { id: "excl-title" }, `Excluded units (${ranking.excluded_total})`),
      h("p", { class: "muted" }, Object.entries(ranking.excluded_counts || {}).map(([k, v]) => `${humanise(k)}: ${v}`).join(" · ")),
      rows.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "data", dataset: { table: "excluded" } },
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Unit"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "Why"))),
              h("tbody", {}, rows.map((e) => h("tr", { dataset: { unitId: e.unit_id } }, h("td", {}, e.name), h("td", {}, e.state), h("td", {}, badge(humanise(e.reason))), h("td", {}, e.message)))),
            ),
          )
        : h("p", { class: "muted" }, "No unit was excluded."),
    );
  }

  // ---------------------------------------------------------------- timeline and audit

  async function renderTimeline() {
    const { items } = await get(`/api/v1/requests/${id}/timeline`);
    replace(
      body,
      h(
        "section",
        { class: "panel", "aria-labelledby": "tl-title" },
        h("h2", { id: "tl-title" }, "Timeline"),
        h("p", { class: "muted" }, `Times in your zone and in ${store.stateName(request.requesting_state)}'s.`),
        items.length
          ? h(
              "ol",
              { class: "timeline", dataset: { timeline: "" } },
              items.map((s) =>
                h(
                  "li",
                  { class: "timeline__step", dataset: { action: s.action } },
                  h("div", { class: "timeline__what" }, humanise(s.action.replace(/\./g, " ")), s.from || s.to ? ` · ${s.from || "—"} → ${s.to || "—"}` : ""),
                  h("div", {}, dualTime(s.at, zone(), { otherLabel: reqLabel(), seconds: true })),
                  h("div", { class: "muted" }, `${s.actor || "system"} · ${s.role || ""} · ${s.subject}`),
                ),
              ),
            )
          : h("p", { class: "muted" }, "Nothing recorded yet."),
      ),
    );
  }

  async function renderAudit() {
    const items = await getAll(`/api/v1/requests/${id}/audit`).catch(async (err) => {
      if (err instanceof ApiError && err.status === 422) return (await get(`/api/v1/requests/${id}/audit?limit=1000`)).items;
      throw err;
    });
    replace(
      body,
      h(
        "section",
        { class: "panel", "aria-labelledby": "au-title" },
        h("h2", { id: "au-title" }, "Audit trail"),
        h("p", { class: "muted" }, "Append-only and hash-chained: each record names the previous record's hash."),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "data", dataset: { table: "audit" } },
            h("thead", {}, h("tr", {}, ["Seq", "When", "Who", "Role", "Action", "Subject", "Change", "Hash"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              items.map((r) =>
                h(
                  "tr",
                  { dataset: { seq: r.seq } },
                  h("td", { class: "num" }, String(r.seq)),
                  h("td", {}, dualTime(r.at, zone(), { otherLabel: reqLabel(), seconds: true })),
                  h("td", {}, r.actor || "system"),
                  h("td", {}, r.role || ""),
                  h("td", {}, r.action),
                  h("td", {}, r.subject),
                  h(
                    "td",
                    {},
                    h(
                      "details",
                      {},
                      h("summary", {}, statusChange(r)),
                      h("pre", { class: "json" }, `before: ${JSON.stringify(r.before, null, 1)}\nafter: ${JSON.stringify(r.after, null, 1)}`),
                    ),
                  ),
                  h("td", {}, h("span", { class: "hash", title: `previous ${r.prev_hash || "—"}` }, String(r.hash || "").slice(0, 16))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function statusChange(r) {
    const from = r.before && typeof r.before === "object" ? r.before.status : null;
    const to = r.after && typeof r.after === "object" ? r.after.status : null;
    return from || to ? `${from || "—"} → ${to || "—"}` : "details";
  }

  // ---------------------------------------------------------------- live

  function renderPresence(summary) {
    if (!summary || summary.request_id !== id) return;
    const roles = Object.entries(summary.roles || {}).map(([label, n]) => `${n} ${grantLabel(label)}`);
    presenceEl.textContent = `Viewing now: ${summary.count} ${summary.count === 1 ? "person" : "people"}${roles.length ? ` (${roles.join(", ")})` : ""}`;
    presenceEl.dataset.count = String(summary.count);
  }

  function grantLabel(label) {
    const [role, scope] = String(label).split(":");
    const unitName = role === "unit_commander" && scope ? store.unitName(Number(scope)) : null;
    return store.roleLabel({ role, state: unitName ? null : scope || null, unit_id: unitName ? Number(scope) : null });
  }

  async function render() {
    // A live update re-renders while someone may be typing in a kept form: moving its nodes into
    // the new tree drops their focus, and the next keystrokes would go nowhere. Give it back.
    const typing = body.contains(document.activeElement) ? document.activeElement : null;
    const caret = typing && typeof typing.selectionStart === "number" ? [typing.selectionStart, typing.selectionEnd] : null;
    renderHead();
    if (tab === "ranking") await renderRanking();
    else if (tab === "timeline") await renderTimeline();
    else if (tab === "audit") await renderAudit();
    else renderOverview();
    body.dataset.version = String(request.version);
    body.dataset.status = request.status;
    if (typing && typing !== document.activeElement && body.contains(typing)) {
      typing.focus({ preventScroll: true });
      if (caret) typing.setSelectionRange(caret[0], caret[1]);
    }
  }

  // Reloads overlap (an action's own reload, and those its events trigger): only the latest
  // one may render, so a slow, older answer never paints over a newer state.
  let reloadTicket = 0;
  async function reload() {
    const ticket = ++reloadTicket;
    const fresh = await get(`/api/v1/requests/${id}`);
    if (ticket !== reloadTicket) return;
    request = fresh;
    await render();
    // Drop kept nodes that are no longer shown (their keys carry versions).
    for (const key of [...kept.keys()]) if (!body.contains(kept.get(key))) kept.delete(key);
  }

  const reloadSoon = debounce(reload, 120);
  const offPresence = live.onPresence(renderPresence);
  live.watchRequest(id);
  await render();

  // An addressed state's authority acknowledges receipt when it opens the request.
  const unseen = (request.answers || []).filter((a) => store.answerStates().includes(a.state) && !a.seen_at);
  if (unseen.length) {
    const reply = await live.ackRequest(id);
    if (!reply || !reply.ok) {
      await post(`/api/v1/requests/${id}/seen`, {}).catch(() => null);
    }
    reloadSoon();
  }

  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (live.eventRequestId(ev) === id) reloadSoon();
      else if (type.startsWith("readiness.") && tab === "") renderOverview();
    },
    refresh() {
      reloadSoon();
    },
    unmount() {
      reloadSoon.cancel();
      offPresence();
      live.unwatchRequest(id);
      if (rankingMap) rankingMap.remove();
      rankingMap = null;
    },
  };
}

