/**
 * A request's overview tab: the summary with the requester's actions (submit, close, withdraw),
 * the answers of the addressed states (answers.js) and the deployments.
 *
 * `view` is the request view's context (view-request.js).
 */

import { deploymentCard } from "../deployments.js";
import { dl, field, formErrors, h, humanise, replace } from "../dom.js";
import * as store from "../store.js";
import { dualTime } from "../time.js";
import { DEADLINE_COUNTS, crisisLabel, kindLabel, num } from "../util.js";
import { answersPanel } from "./answers.js";

export function renderOverview(view) {
  replace(view.body, h("div", { class: "grid-2" }, h("div", {}, summaryPanel(view)), h("div", {}, answersPanel(view), deploymentsPanel(view))));
}

function summaryPanel(view) {
  const { request } = view;
  const c = request.crisis || {};
  const when = (at, options) => dualTime(at, view.zone(), { otherLabel: view.reqLabel(), ...options });
  return h(
    "section",
    { class: "panel", "aria-labelledby": "sum-title" },
    h("h2", { id: "sum-title" }, "The request"),
    dl([
      ["Crisis", `${crisisLabel(c.type)}${c.exercise ? " (exercise)" : ""}`],
      ["Place", `${c.place_name || "—"} · ${num(c.site?.lat, 4)}, ${num(c.site?.lon, 4)}`],
      ["Started", when(c.started_at, { showSame: true })],
      ["Kinds of assistance", (request.kinds || []).map(kindLabel).join(", ") || "—"],
      [
        "Capabilities",
        request.requirements?.length
          ? h("ul", { class: "plain" }, request.requirements.map((r) => h("li", {}, `${store.capabilityLabel(r.code)} × ${r.quantity} (${r.min_level} or better)`)))
          : "—",
      ],
      ["Needed by", when(request.needed_by, { showSame: true, relativeToo: true })],
      ["Duration", `${request.duration_hours} h`],
      [
        "Answer deadline",
        DEADLINE_COUNTS.has(request.status)
          ? when(request.answer_deadline, { showSame: true, relativeToo: true })
          : h("span", {}, when(request.answer_deadline, { showSame: true }), h("span", { class: "muted" }, ` · no answer awaited (${humanise(request.status)})`)),
      ],
      ["Addressed", request.address_all ? `All participating states (${request.addressed_states.length})` : request.addressed_states.join(", ") || "—"],
      ["Operational necessity", request.operational_necessity],
      c.description ? ["Description", c.description] : null,
      request.submitted_at ? ["Submitted", when(request.submitted_at)] : null,
      request.withdrawal_reason ? ["Withdrawal reason", request.withdrawal_reason] : null,
    ]),
    view.isRequester() ? requesterActions(view) : null,
  );
}

function requesterActions(view) {
  const { id, request } = view;
  return view.keep(`req-actions:${request.version}:${request.status}`, () => {
    const allowed = request.allowed || [];
    const box = h("div", { class: "action-panel", role: "group", "aria-label": "Requester actions" }, h("h4", {}, "Requester actions"));
    const buttons = h("div", { class: "form__actions" });
    const slot = h("div");
    box.append(buttons, slot);
    const actionButton = (action, cls, label) =>
      h(
        "button",
        {
          type: "button",
          class: `btn ${cls}`,
          dataset: { action },
          onClick: (ev) => view.act(ev.currentTarget, `/api/v1/requests/${id}/${action}`, { expected_version: view.request.version }, box),
        },
        label,
      );
    if (allowed.includes("submit")) buttons.append(actionButton("submit", "btn--primary", "Submit to the addressed states"));
    if (allowed.includes("close")) buttons.append(actionButton("close", "btn--secondary", "Close the request"));
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
          const payload = { expected_version: view.request.version };
          if (reason.value.trim()) payload.reason = reason.value;
          view.submit(form, `/api/v1/requests/${id}/withdraw`, payload);
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

function deploymentsPanel(view) {
  const { request } = view;
  const deps = request.deployments || [];
  return h(
    "section",
    { class: "panel", "aria-labelledby": "dep-title" },
    h("h2", { id: "dep-title" }, "Deployments"),
    deps.length
      ? deps.map((d) => view.keep(`dep:${d.id}:${d.version}:${store.unit(d.unit.id)?.readiness?.status}`, () => deploymentCard(d, request, { onChanged: view.reload })))
      : h("p", { class: "muted" }, "No unit alerted yet."),
  );
}
