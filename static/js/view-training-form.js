/**
 * Plan (or change) a training or exercise. Times are the venue's wall time in its IANA zone; the
 * viewer's time is shown beside them. Every change runs the dry-run check
 * (POST /api/v1/trainings/check) and shows the conflicts inline (state, capability, window,
 * figure); saving a blocked plan needs an override reason, which is recorded.
 */

import { ApiError, get, patch, post } from "./api.js";
import { checkboxGroup, field, formErrors, h, replace, select, showErrors } from "./dom.js";
import { sendForm } from "./forms.js";
import * as store from "./store.js";
import { fieldName } from "./plain.js";
import { fmt, viewerZone, zonedToUtc } from "./time.js";
import { conflictSummary } from "./conflict-summary.js";
import { TRAINING_KINDS, warningList } from "./trainings.js";
import { debounce } from "./util.js";

const RRULE_PRESETS = [
  { value: "", label: "Once" },
  { value: "FREQ=WEEKLY", label: "Every week" },
  { value: "FREQ=MONTHLY;BYDAY=+3WE", label: "Every third Wednesday of the month" },
  { value: "FREQ=MONTHLY", label: "Every month (same date)" },
  { value: "FREQ=YEARLY", label: "Every year" },
  { value: "custom", label: "Custom RRULE…" },
];

export async function mount(container, { params, query, navigate }) {
  if (!store.isPlanner()) {
    container.append(h("section", { class: "panel" }, h("h1", {}, "Plan a training"), h("p", {}, "Training planners plan trainings and exercises.")));
    return {};
  }
  const editing = params.id ? await get(`/api/v1/trainings/${params.id}`) : null;
  const plannerStates = store.grantsOf("training_planner").map((g) => g.state);
  const networkPlanner = store.isAdmin() || plannerStates.includes(null) || plannerStates.includes(undefined);
  const hostUnits = store.units().filter((u) => networkPlanner || plannerStates.includes(u.state));

  const day = query.date || new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const kind = select(TRAINING_KINDS.map(([value, label]) => ({ value, label })), { value: editing?.kind || "field_exercise" });
  const title = h("input", { type: "text", value: editing?.title || "", autocomplete: "off" });
  const description = h("textarea", { rows: "2" });
  description.value = editing?.description || "";
  const host = select(
    hostUnits.map((u) => ({ value: String(u.id), label: `${u.name} (${u.state})` })),
    { value: String(editing?.host_unit?.id || query.host || hostUnits[0]?.id || ""), placeholder: "Choose the host unit" },
  );
  const venueName = h("input", { type: "text", value: editing?.venue?.name || "" });
  const venueLat = h("input", { type: "number", step: "any", value: editing?.venue?.lat ?? "" });
  const venueLon = h("input", { type: "number", step: "any", value: editing?.venue?.lon ?? "" });
  const zones = [...new Set(store.states().map((s) => s.timezone).filter(Boolean))].sort();
  const timezone = select(zones.map((z) => ({ value: z, label: z })), { value: editing?.timezone || "Europe/Brussels" });
  const start = h("input", { type: "datetime-local", value: editing?.start_local || `${day}T09:00` });
  const end = h("input", { type: "datetime-local", value: editing?.end_local || `${day}T17:00` });
  const startHint = h("p", { class: "field__hint", "aria-live": "polite" });
  const endHint = h("p", { class: "field__hint", "aria-live": "polite" });
  const presetValue = editing?.rrule ? (RRULE_PRESETS.some((p) => p.value === editing.rrule) ? editing.rrule : "custom") : "";
  const rrulePreset = select(RRULE_PRESETS, { value: presetValue });
  const rrule = h("input", { type: "text", value: editing?.rrule || "", placeholder: "FREQ=MONTHLY;BYDAY=+3WE;COUNT=6", spellcheck: "false" });
  const rruleField = field({ label: "RRULE (RFC 5545)", control: rrule, field: "rrule" });
  const environments = checkboxGroup({
    legend: "Environments trained",
    name: "environments",
    field: "environments",
    columns: true,
    options: store.capabilities().filter((c) => c.family === "environment").map((c) => ({ value: c.code, label: c.name })),
    checked: editing?.environments || [],
  });
  const capabilities = checkboxGroup({
    legend: "Capabilities trained",
    name: "capabilities",
    field: "capabilities",
    columns: true,
    options: store.capabilities().filter((c) => c.family !== "environment").map((c) => ({ value: c.code, label: c.name })),
    checked: editing?.capabilities || [],
  });
  const capacity = h("input", { type: "number", min: "1", max: "1000", step: "1", value: editing?.capacity ?? "" });
  const breakOff = h("input", { type: "number", min: "0", max: "10080", step: "5", value: editing?.break_off_min ?? 120 });
  const offDuty = select(
    [
      { value: "", label: "Default for the kind" },
      { value: "true", label: "Yes: participants are off duty" },
      { value: "false", label: "No: participants stay on call" },
    ],
    { value: editing ? String(editing.units_off_duty) : "" },
  );
  const funding = h("input", { type: "text", value: editing?.funding_note || "" });
  const inviteBox = h("div");
  let invites = null;
  function renderInvites() {
    invites = checkboxGroup({
      legend: "Invite units (in this order: the waiting-list order)",
      name: "invite",
      field: "invite_unit_ids",
      columns: true,
      options: store
        .units()
        .filter((u) => String(u.id) !== host.value)
        .map((u) => ({ value: String(u.id), label: `${u.name} (${u.state})` })),
      checked: invites ? invites.values() : [],
    });
    invites.element.classList.add("check-list");
    replace(inviteBox, invites.element);
  }
  if (!editing) renderInvites();
  const overrideReason = h("textarea", { rows: "2" });
  const overrideField = field({
    label: "Override reason (recorded in the audit trail)",
    control: overrideReason,
    field: "override_reason",
    wide: true,
    hint: "Only to save a plan despite its conflicts; at least 10 characters.",
  });
  overrideField.hidden = true;
  const overrideBox = h("div", { class: "override-box" }, overrideField);
  const checkSlot = h("div", { class: "check-result", "aria-live": "polite", dataset: { check: "pending" } });
  const save = h("button", { type: "submit", class: "btn btn--primary", dataset: { save: "" } }, editing ? "Save the changes" : "Plan the training");
  const saveAnyway = h("button", { type: "submit", class: "btn btn--danger", dataset: { override: "" }, hidden: true }, "Save despite the conflicts");
  overrideBox.append(saveAnyway);

  const form = h(
    "form",
    { class: "form training-form", novalidate: true, "aria-labelledby": "tf-title" },
    formErrors(),
    // The check sits at the top: the counts, and beside them the override reason and its button.
    h("section", { class: "form__section check-section", "aria-labelledby": "check-title" }, h("h2", { id: "check-title" }, "Planning check"), checkSlot),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "What and who"),
      h(
        "div",
        { class: "form__grid" },
        field({ label: "Kind", control: kind, field: "kind" }),
        field({ label: "Title", control: title, field: "title" }),
        field({ label: "Host unit", control: host, field: "host_unit_id" }),
        field({ label: "Funding note", control: funding, field: "funding_note" }),
        field({ label: "Description", control: description, field: "description", wide: true }),
      ),
    ),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "Where and when (the venue's local time)"),
      h(
        "div",
        { class: "form__grid" },
        field({ label: "Venue", control: venueName, field: "venue.name" }),
        field({ label: "Venue latitude", control: venueLat, field: "venue.lat" }),
        field({ label: "Venue longitude", control: venueLon, field: "venue.lon" }),
        field({ label: "Venue time zone", control: timezone, field: "timezone" }),
        h("div", {}, field({ label: "Starts (venue time)", control: start, field: "start_local" }), startHint),
        h("div", {}, field({ label: "Ends (venue time)", control: end, field: "end_local" }), endHint),
        field({ label: "Repeats", control: rrulePreset, field: "rrule_preset" }),
        rruleField,
      ),
    ),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "Content and participation"),
      h("div", { class: "training-form__caps" }, environments.element, capabilities.element),
      h(
        "div",
        { class: "form__grid" },
        field({ label: "Places for guest units", control: capacity, field: "capacity" }),
        field({ label: "Break-off time during the training (minutes)", control: breakOff, field: "break_off_min" }),
        field({ label: "Participants off duty", control: offDuty, field: "units_off_duty" }),
      ),
      inviteBox,
    ),
    h("div", { class: "form__actions" }, save, h("a", { href: editing ? `#/trainings/${editing.id}` : "#/trainings", class: "btn btn--secondary" }, "Cancel")),
  );
  // A one-line summary of the check at the top; the details sit beside the save buttons.
  const summary = h("button", { type: "button", class: "linkish check-summary", dataset: { checkSummary: "" }, hidden: true });
  summary.addEventListener("click", () => {
    checkSlot.scrollIntoView({ block: "center" });
    checkSlot.querySelector("h3, p")?.setAttribute("tabindex", "-1");
    checkSlot.querySelector("h3, p")?.focus();
  });
  container.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", { id: "tf-title" }, editing ? `Change “${editing.title}”` : "Plan a training or exercise"),
      h("span", { class: "muted" }, "Council Decision 2008/617/JHA, Art. 5"),
      h("p", { class: "page-head__actions", role: "status" }, summary),
    ),
    form,
  );

  // ---- defaults from the host unit
  function hostChanged(initial = false) {
    const u = store.unit(host.value);
    if (!u) return;
    if (!initial || !venueName.value) venueName.value = `${u.base_city} (${u.name})`;
    if (!initial || venueLat.value === "") venueLat.value = String(u.base.lat);
    if (!initial || venueLon.value === "") venueLon.value = String(u.base.lon);
    const zone = store.stateZone(u.state);
    if (zone && (!initial || !editing)) timezone.value = zone;
    if (!editing) renderInvites();
    updateHints();
  }
  host.addEventListener("change", () => {
    hostChanged(false);
    check();
  });
  if (!editing) hostChanged(true);

  function syncRrule() {
    rruleField.hidden = rrulePreset.value !== "custom";
    if (rrulePreset.value !== "custom") rrule.value = rrulePreset.value;
  }
  rrulePreset.addEventListener("change", () => {
    syncRrule();
    check();
  });
  syncRrule();

  function updateHints() {
    const mine = viewerZone();
    for (const [input, hint] of [
      [start, startHint],
      [end, endHint],
    ]) {
      const utc = zonedToUtc(input.value, timezone.value);
      hint.textContent = utc ? (mine === timezone.value ? `Same in your zone (${mine}).` : `Your time: ${fmt(utc, mine)}`) : "";
    }
  }
  for (const c of [start, end, timezone]) c.addEventListener("input", updateHints);
  updateHints();

  function collect() {
    const nOrNull = (v) => (v === "" ? null : Number(v));
    const body = {
      kind: kind.value,
      title: title.value,
      description: description.value || null,
      host_unit_id: nOrNull(host.value),
      venue: { name: venueName.value, lat: nOrNull(venueLat.value), lon: nOrNull(venueLon.value) },
      timezone: timezone.value,
      start_local: start.value,
      end_local: end.value,
      rrule: rrule.value.trim() || null,
      environments: environments.values(),
      capabilities: capabilities.values(),
      capacity: nOrNull(capacity.value),
      funding_note: funding.value || null,
      break_off_min: nOrNull(breakOff.value) ?? 120,
    };
    if (offDuty.value) body.units_off_duty = offDuty.value === "true";
    if (!editing) body.invite_unit_ids = invites.values().map(Number);
    return body;
  }

  /** The label a planner sees for an API field path: the form's own label, else plain.js's name
   * for it ("venue.lat" -> "Venue latitude"), never the path itself. */
  function fieldLabel(path) {
    const parts = String(path).split(".");
    while (parts.length) {
      const wrapper = [...form.querySelectorAll("[data-field]")].find((el) => el.dataset.field === parts.join("."));
      const label = wrapper?.querySelector("label, legend")?.textContent;
      if (label) return label;
      parts.pop();
    }
    return fieldName(path);
  }

  // ---- the dry-run check, inline
  let lastConflicts = [];
  const check = debounce(async () => {
    if (!title.value.trim() || !host.value) {
      checkSlot.dataset.check = "pending";
      replace(checkSlot, h("p", { class: "muted" }, "Give a title and a host unit to check the plan."));
      return;
    }
    checkSlot.dataset.check = "running";
    const body = { ...collect() };
    if (editing) {
      body.training_id = editing.id;
      body.invite_unit_ids = [];
    }
    let result;
    try {
      result = await post("/api/v1/trainings/check", body);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      checkSlot.dataset.check = "invalid";
      replace(
        checkSlot,
        h("p", { class: "notice notice--warn" }, `The plan cannot be checked yet: ${err.message}`),
        Object.keys(err.fields || {}).length ? h("ul", {}, Object.entries(err.fields).map(([k, v]) => h("li", { title: err.raw?.[k] || k }, `${fieldLabel(k)}: ${v}`))) : null,
      );
      return;
    }
    lastConflicts = result.conflicts || [];
    checkSlot.dataset.check = result.ok ? "ok" : "conflicts";
    checkSlot.dataset.conflicts = lastConflicts.length;
    summary.hidden = false;
    summary.classList.toggle("check-summary--bad", !result.ok);
    summary.textContent = result.ok ? "Planning check: no conflict" : `Planning check: ${lastConflicts.length} conflict${lastConflicts.length === 1 ? "" : "s"} (show)`;
    replace(
      checkSlot,
      result.ok
        ? h("p", { class: "notice notice--ok" }, `No planning conflict (${result.occurrences_checked} occurrence${result.occurrences_checked === 1 ? "" : "s"} checked).`)
        : conflictSummary(result.summary, lastConflicts, { title: "This plan would break planning rules", aside: overrideBox, role: "status" }),
      warningList(result.warnings),
    );
    overrideField.hidden = result.ok;
    saveAnyway.hidden = result.ok;
  }, 450);
  form.addEventListener("input", (ev) => {
    if (ev.target !== overrideReason) check();
  });
  form.addEventListener("change", (ev) => {
    if (ev.target !== overrideReason) check();
  });
  check();

  // ---- save
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const override = ev.submitter?.dataset.override !== undefined;
    const body = collect();
    if (override) body.override_reason = overrideReason.value;
    const onError = (err) => {
      const conflicts = err.body?.error?.conflicts;
      if (err.status === 409 && conflicts) {
        lastConflicts = conflicts;
        checkSlot.dataset.check = "conflicts";
        replace(checkSlot, conflictSummary(err.body.error.summary, conflicts, { title: "Not saved: the plan breaks planning rules", aside: overrideBox }), warningList(err.body.error.warnings));
        overrideField.hidden = false;
        saveAnyway.hidden = false;
        showErrors(form, { message: err.message, fields: { override_reason: "give a reason to save despite the conflicts, or change the plan" } });
      } else {
        showErrors(form, err);
      }
    };
    await sendForm(
      form,
      async () => {
        const saved = editing ? await patch(`/api/v1/trainings/${editing.id}`, { ...body, expected_version: editing.version }) : await post("/api/v1/trainings", body);
        navigate(`/trainings/${saved.id}`);
      },
      { buttons: [save, saveAnyway], onError },
    );
  });

  setTimeout(() => title.focus(), 0);
  return { unmount: () => check.cancel() };
}
