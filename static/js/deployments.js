/**
 * A deployment card with the actions the signed-in user may take on it: the unit's commander
 * (accept/decline, mobilise, depart with ETA, arrive naming the on-scene commander, stand down,
 * return), the requester (arrive, stand down, extend) and the sending state's authority (recall).
 */

import { post } from "./api.js";
import { badge, dl, field, formErrors, h, humanise, replace, select } from "./dom.js";
import { sendForm } from "./forms.js";
import * as store from "./store.js";
import { dualTime, fromLocalInput, toLocalInput } from "./time.js";

const TRANSPORT = [
  { value: "", label: "Not stated" },
  { value: "road", label: "Road" },
  { value: "air", label: "Air" },
  { value: "rail", label: "Rail" },
  { value: "sea", label: "Sea" },
];

/** action → {path, label, who, fields(), body(controls), danger} */
const ACTIONS = {
  unit_accept: { path: "accept", label: "Accept the deployment", who: "commander", kind: "ok", fields: ["headcount", "transport_mode"] },
  unit_decline: { path: "decline", label: "Decline", who: "commander", kind: "danger", fields: ["reason"] },
  mobilise: { path: "mobilise", label: "Report MOBILISING", who: "commander", fields: ["headcount", "transport_mode"] },
  depart: { path: "depart", label: "Report EN ROUTE (with ETA)", who: "commander", fields: ["eta", "transport_mode"] },
  arrive: { path: "arrive", label: "Report ON SCENE", who: "commander|requester", kind: "ok", fields: ["on_scene_commander"] },
  stand_down: { path: "stand-down", label: "Stand down", who: "commander|requester", fields: ["reason_optional"] },
  return: { path: "return", label: "Report RETURNED home", who: "commander", fields: [] },
  recall: { path: "recall", label: "Recall the unit", who: "sending", kind: "danger", fields: ["reason"] },
  extend: { path: "extend", label: "Extend the deployment", who: "requester", fields: ["until", "reason_optional"] },
};

function partiesOf(dep, request) {
  const parties = new Set();
  if (store.isAdmin()) ["commander", "requester", "sending"].forEach((p) => parties.add(p));
  if (store.commandedUnitIds().includes(dep.unit.id)) parties.add("commander");
  if (request && store.raiseStates().includes(request.requesting_state)) parties.add("requester");
  if (store.answerStates().includes(dep.unit.state)) parties.add("sending");
  return parties;
}

function controlsFor(action, dep) {
  const controls = {};
  const fields = [];
  for (const name of ACTIONS[action].fields) {
    if (name === "headcount") {
      controls.headcount = h("input", { type: "number", min: "1", max: "5000", step: "1", value: dep.headcount ?? "" });
      fields.push(field({ label: "Headcount", control: controls.headcount, field: "headcount" }));
    } else if (name === "transport_mode") {
      controls.transport_mode = select(TRANSPORT, { value: dep.transport_mode || "" });
      fields.push(field({ label: "Transport", control: controls.transport_mode, field: "transport_mode" }));
    } else if (name === "eta") {
      controls.eta = h("input", { type: "datetime-local", value: toLocalInput(dep.eta || new Date(Date.now() + 2 * 3600_000)) });
      fields.push(field({ label: "ETA at the scene (your time)", control: controls.eta, field: "eta" }));
    } else if (name === "on_scene_commander") {
      controls.on_scene_commander = h("input", { type: "text", value: dep.on_scene_commander || "", autocomplete: "off" });
      fields.push(field({ label: "On-scene commander (requesting state, Art. 3(3))", control: controls.on_scene_commander, field: "on_scene_commander" }));
    } else if (name === "reason" || name === "reason_optional") {
      controls.reason = h("textarea", { rows: "2" });
      fields.push(field({ label: name === "reason" ? "Reason" : "Reason (optional)", control: controls.reason, field: "reason", wide: true }));
    } else if (name === "until") {
      controls.until = h("input", { type: "datetime-local", value: toLocalInput(dep.extended_until || new Date(Date.now() + 48 * 3600_000)) });
      fields.push(field({ label: "New end (your time)", control: controls.until, field: "until" }));
    }
  }
  return { controls, fields };
}

function bodyFrom(controls, dep) {
  const body = { expected_version: dep.version };
  if (controls.headcount && controls.headcount.value !== "") body.headcount = Number.parseInt(controls.headcount.value, 10);
  if (controls.transport_mode && controls.transport_mode.value) body.transport_mode = controls.transport_mode.value;
  if (controls.eta) body.eta = fromLocalInput(controls.eta.value);
  if (controls.on_scene_commander) body.on_scene_commander = controls.on_scene_commander.value;
  if (controls.reason && controls.reason.value.trim()) body.reason = controls.reason.value;
  if (controls.until) body.until = fromLocalInput(controls.until.value);
  return body;
}

/**
 * Where the unit is in time: EN ROUTE shows the ETA (counting down); ON SCENE shows the arrival
 * ("On scene since"), never an ETA; afterwards the arrival stays as a fact.
 */
function whenRows(dep, zone, label) {
  const at = (value, options = {}) => dualTime(value, zone, { otherLabel: label, ...options });
  if (dep.status === "ON_SCENE") return [["On scene since", dep.arrived_at ? at(dep.arrived_at, { relativeToo: true }) : "—"]];
  if (dep.status === "EN_ROUTE") {
    return [
      ["ETA at the scene", dep.eta ? at(dep.eta, { relativeToo: true }) : "—"],
      dep.departed_at ? ["Left", at(dep.departed_at)] : null,
    ];
  }
  if (dep.arrived_at) return [["Arrived on scene", at(dep.arrived_at)]];
  return [];
}

/**
 * The card. `request` is the request (for the requesting state's zone and the requester check);
 * `onChanged(updatedDeployment)` runs after a successful action.
 */
export function deploymentCard(dep, request, { onChanged, showRequest = false } = {}) {
  const zone = request ? store.stateZone(request.requesting_state) : null;
  const label = request?.requesting_state || "";
  const unit = store.unit(dep.unit.id);
  const card = h(
    "article",
    { class: "deployment-card", dataset: { deploymentId: dep.id, unitId: dep.unit.id, status: dep.status } },
    h(
      "div",
      { class: "deployment-card__head" },
      h("h3", {}, `${dep.unit.name} (${dep.unit.state})`),
      badge(dep.status),
      dep.recalled ? badge("RECALLED") : null,
      showRequest && request ? h("a", { href: `#/requests/${request.id}` }, `Request #${request.id}`) : null,
    ),
    dl([
      showRequest && request ? ["Crisis", `${humanise(request.crisis_type)} · ${request.place_name} (${request.requesting_state})`] : null,
      ...whenRows(dep, zone, label),
      ["On-scene commander", dep.on_scene_commander || "—"],
      ["Headcount", dep.headcount ?? "—"],
      ["Transport", dep.transport_mode ? humanise(dep.transport_mode) : "—"],
      dep.extended_until ? ["Extended until", dualTime(dep.extended_until, zone, { otherLabel: label })] : null,
      dep.status_reason ? ["Reason", dep.status_reason] : null,
      unit ? ["Unit readiness", badge(unit.readiness?.status || "UNKNOWN")] : null,
    ]),
  );
  const parties = partiesOf(dep, request);
  const allowed = (dep.allowed || []).filter((a) => ACTIONS[a] && ACTIONS[a].who.split("|").some((p) => parties.has(p)));
  if (!allowed.length) return card;

  const panel = h("div", { class: "action-panel", role: "group", "aria-label": `Actions for ${dep.unit.name}` });
  const buttons = h("div", { class: "form__actions" });
  const formSlot = h("div");
  for (const action of allowed) {
    const spec = ACTIONS[action];
    const btn = h(
      "button",
      {
        type: "button",
        class: ["btn", spec.kind === "ok" ? "btn--ok" : spec.kind === "danger" ? "btn--danger" : "btn--secondary"],
        dataset: { action },
        "aria-expanded": "false",
      },
      spec.label,
    );
    btn.addEventListener("click", () => {
      for (const b of buttons.querySelectorAll("button")) b.setAttribute("aria-expanded", String(b === btn));
      openForm(action);
    });
    buttons.append(btn);
  }
  panel.append(h("h4", {}, "Report"), buttons, formSlot);
  card.append(panel);

  function openForm(action) {
    const spec = ACTIONS[action];
    const { controls, fields } = controlsFor(action, dep);
    const confirm = h("button", { type: "submit", class: ["btn", spec.kind === "danger" ? "btn--danger" : "btn--primary"], dataset: { confirm: action } }, `Confirm: ${spec.label}`);
    const cancel = h("button", { type: "button", class: "btn btn--secondary" }, "Cancel");
    const form = h("form", { class: "form", novalidate: true, dataset: { form: action } }, formErrors(), fields.length ? h("div", { class: "form__grid" }, fields) : null, h("div", { class: "form__actions" }, confirm, cancel));
    cancel.addEventListener("click", () => {
      formSlot.replaceChildren();
      buttons.querySelector(`[data-action="${action}"]`)?.focus();
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      return sendForm(
        form,
        async () => {
          const updated = await post(`/api/v1/requests/${dep.request_id}/deployments/${dep.id}/${spec.path}`, bodyFrom(controls, dep));
          if (onChanged) await onChanged(updated);
        },
        { buttons: [confirm] },
      );
    });
    replace(formSlot, form);
    const first = form.querySelector("input, select, textarea") || confirm;
    first.focus();
  }
  return card;
}
