/**
 * Raise an assistance request (Art. 3(1)): the crisis and its site (picked on the map or typed),
 * the kinds of assistance, the capabilities with quantity and minimum level, the addressed states
 * (or all), when help is needed and for how long, the answer deadline and the operational
 * necessity. POST /api/v1/requests; API errors are shown next to their fields.
 */

import { post } from "./api.js";
import { createBasemap, siteMarker } from "./basemap.js";
import { checkboxGroup, field, formErrors, h, replace, select } from "./dom.js";
import { sendForm } from "./forms.js";
import { MARKINGS, markPage } from "./marking.js";
import { whatIfPreview } from "./request-preview.js";
import { siteFinder } from "./site-finder.js";
import * as store from "./store.js";
import { fmt, fromLocalInput, toLocalInput, viewerZone } from "./time.js";
import { ASSISTANCE_KINDS, CRISIS_TYPES } from "./util.js";

export async function mount(container, { query, navigate }) {
  if (!store.canRaise()) {
    container.append(
      h("section", { class: "panel" }, h("h1", {}, "Raise a request"), h("p", {}, "Your role does not raise assistance requests. Crisis centres and competent authorities do.")),
    );
    return {};
  }
  const now = new Date();
  const hours = (n) => new Date(now.getTime() + n * 3600_000);
  const myStates = store.isAdmin() ? store.states().map((s) => s.code) : store.raiseStates();
  const defaultState = myStates[0];

  // ---- controls
  const requestingState = select(
    myStates.map((c) => ({ value: c, label: `${c} · ${store.stateName(c)}` })),
    { value: defaultState, name: "requesting_state" },
  );
  const crisisType = select(CRISIS_TYPES.map(([value, label]) => ({ value, label })), { value: "hostage_taking", name: "crisis_type" });
  const placeName = h("input", { type: "text", name: "place_name", autocomplete: "off", required: true });
  const lat = h("input", { type: "number", name: "lat", step: "any", min: "-90", max: "90", inputmode: "decimal", value: query.lat || "" });
  const lon = h("input", { type: "number", name: "lon", step: "any", min: "-180", max: "180", inputmode: "decimal", value: query.lon || "" });
  const startedAt = h("input", { type: "datetime-local", name: "started_at", value: toLocalInput(new Date(now.getTime() - 10 * 60_000)) });
  const description = h("textarea", { name: "description", rows: "2", class: "textarea--short" });
  const exercise = h("input", { type: "checkbox", name: "exercise" });
  const classification = select(MARKINGS, { value: "RESTREINT UE/EU RESTRICTED", name: "classification" });
  const kinds = checkboxGroup({
    legend: "Kinds of assistance (Art. 3(2))",
    name: "kinds",
    field: "kinds",
    options: ASSISTANCE_KINDS.map(([value, label]) => ({ value, label })),
    checked: ["ACTION_ARMED"],
  });
  const necessity = h("textarea", { name: "operational_necessity", rows: "4" });
  const neededBy = h("input", { type: "datetime-local", name: "needed_by", value: toLocalInput(hours(4)) });
  const duration = h("input", { type: "number", name: "duration_hours", min: "1", max: "2160", step: "1", value: "48" });
  const deadline = h("input", { type: "datetime-local", name: "answer_deadline", value: toLocalInput(hours(1)) });
  const addressAll = h("input", { type: "checkbox", name: "address_all" });
  const neededHint = h("p", { class: "field__hint", "aria-live": "polite" });
  const deadlineHint = h("p", { class: "field__hint", "aria-live": "polite" });

  const reqRows = h("div", { class: "req-rows" });
  const addReq = h("button", { type: "button", class: "btn btn--secondary btn--small" }, "Add a capability");
  const capabilityOptions = store.capabilities().map((c) => ({ value: c.code, label: `${c.name} (${c.code})` }));
  let reqCount = 0;
  let preview = () => {}; // replaced by the debounced what-if preview below
  function addRequirement(code = "", quantity = 1, level = "full") {
    const i = reqRows.children.length;
    reqCount += 1;
    const capSel = select(capabilityOptions, { value: code, placeholder: "Choose a capability", name: `req-code-${reqCount}` });
    const qty = h("input", { type: "number", min: "1", max: "1000", step: "1", value: String(quantity), name: `req-qty-${reqCount}` });
    const lvl = select(
      [
        { value: "full", label: "Full" },
        { value: "limited", label: "Limited or better" },
      ],
      { value: level, name: `req-level-${reqCount}` },
    );
    const remove = h("button", { type: "button", class: "btn btn--danger btn--small" }, "Remove");
    const row = h(
      "div",
      { class: "req-row", dataset: { row: i } },
      field({ label: "Capability", control: capSel, field: `requirements.${i}.code` }),
      field({ label: "Quantity", control: qty, field: `requirements.${i}.quantity` }),
      field({ label: "Minimum level", control: lvl, field: `requirements.${i}.min_level` }),
      remove,
    );
    remove.setAttribute("aria-label", `Remove capability row ${i + 1}`);
    remove.addEventListener("click", () => {
      row.remove();
      renumber();
      preview();
      addReq.focus();
    });
    for (const c of [capSel, qty, lvl]) c.addEventListener("change", () => preview());
    reqRows.append(row);
    return capSel;
  }
  function renumber() {
    [...reqRows.children].forEach((row, i) => {
      row.dataset.row = String(i);
      const wrappers = row.querySelectorAll("[data-field]");
      const names = ["code", "quantity", "min_level"];
      wrappers.forEach((w, j) => {
        w.dataset.field = `requirements.${i}.${names[j]}`;
      });
      row.querySelector("button").setAttribute("aria-label", `Remove capability row ${i + 1}`);
    });
  }
  addReq.addEventListener("click", () => addRequirement().focus());
  addRequirement("ENV_BUILDING", 1, "full");

  const others = () => store.states().filter((s) => s.code !== requestingState.value);
  const addressees = h("div");
  let addresseeGroup = null;
  function renderAddressees(checked = []) {
    addresseeGroup = checkboxGroup({
      legend: "Addressed states",
      name: "addressees",
      field: "addressees",
      columns: true,
      options: others().map((s) => ({ value: s.code, label: `${s.code} · ${s.name}`, title: s.timezone })),
      checked,
    });
    addresseeGroup.element.classList.add("fieldset--dense");
    replace(addressees, addresseeGroup.element);
    addresseeGroup.element.disabled = addressAll.checked;
  }
  renderAddressees();
  addressAll.addEventListener("change", () => {
    addresseeGroup.element.disabled = addressAll.checked;
  });
  requestingState.addEventListener("change", () => {
    renderAddressees(addresseeGroup.values());
    updateHints();
  });

  // ---- hints: the same instants in the requesting state's zone
  function updateHints() {
    const zone = store.stateZone(requestingState.value);
    const mine = viewerZone();
    for (const [input, hint] of [
      [neededBy, neededHint],
      [deadline, deadlineHint],
    ]) {
      const iso = fromLocalInput(input.value);
      if (!iso) {
        hint.textContent = `Your time (${mine}).`;
        continue;
      }
      hint.textContent =
        zone && zone !== mine ? `Your time (${mine}); in ${requestingState.value}: ${fmt(iso, zone)}.` : `Your time (${mine}).`;
    }
  }
  neededBy.addEventListener("input", updateHints);
  deadline.addEventListener("input", updateHints);
  updateHints();

  // ---- the map: click to pick the site; candidate lines from the what-if ranking
  const mapEl = h("div", { id: "request-map", class: "mini-map mini-map--short", role: "region", "aria-label": "Map: click to pick the crisis site", tabindex: "0" });
  const previewBox = h("div", { class: "preview", "aria-live": "polite" });
  const candidates = whatIfPreview(previewBox, {
    read: () => whatIfBody(),
    onSuggest(states) {
      addressAll.checked = false;
      renderAddressees([...new Set([...addresseeGroup.values(), ...states])]);
    },
  });
  preview = candidates.preview;
  const submitBtn = h("button", { type: "submit", class: "btn btn--primary", dataset: { submit: "true" } }, "Submit the request");
  const draftBtn = h("button", { type: "submit", class: "btn btn--secondary", dataset: { submit: "false" } }, "Save as draft");

  // ---- "Find the site": the resolved point moves the marker; its name fills an empty (or found) place name
  let foundName = "";
  const finder = siteFinder({
    onPick(place) {
      lat.value = String(place.point.lat);
      lon.value = String(place.point.lon);
      if (!placeName.value || placeName.value === foundName) placeName.value = foundName = place.name;
      setSite(place.point.lat, place.point.lon);
      map.setView([place.point.lat, place.point.lon], 9);
    },
  });

  const oneState = myStates.length <= 1;
  const marking = field({ label: "Classification marking", control: classification, field: "crisis.classification" });
  // Compact for an operator's laptop (#16): the crisis's fields three abreast beside a short map
  // (the likely candidates listed under it), the needs beside the necessity, the states dense.
  const form = h(
    "form",
    { class: "form", novalidate: true, "aria-labelledby": "new-title" },
    formErrors(),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "The crisis"),
      h(
        "div",
        { class: "request-form__crisis" },
        h(
          "div",
          { class: "form__grid form__grid--3" },
          oneState ? null : field({ label: "Requesting state", control: requestingState, field: "requesting_state" }),
          field({ label: "Crisis type", control: crisisType, field: "crisis.type" }),
          field({ label: "Started at", control: startedAt, field: "crisis.started_at" }),
          oneState ? marking : null, // the requesting state's place on the first row
          finder.element,
          field({ label: "Place name", control: placeName, field: "crisis.place_name", hint: "e.g. Brussels Airport, Terminal A" }),
          field({ label: "Latitude", control: lat, field: "crisis.site.lat", hint: "Decimal degrees, north +" }),
          field({ label: "Longitude", control: lon, field: "crisis.site.lon", hint: "Decimal degrees, east +" }),
          oneState ? null : marking,
          field({ label: "This is an exercise", control: exercise, field: "crisis.exercise", inline: true }),
          field({ label: "Description", control: description, field: "crisis.description" }),
        ),
        h("div", {}, mapEl, h("p", { class: "field__hint" }, "Click the map to place the crisis site (WGS84); typing coordinates moves the marker."), previewBox),
      ),
    ),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "The assistance needed"),
      h(
        "div",
        { class: "request-form__needs" },
        h("div", {}, kinds.element, h("h3", { class: "form__subhead" }, "Capabilities"), h("div", { dataset: { field: "requirements" } }, reqRows, h("p", { class: "field__error", hidden: true })), h("p", {}, addReq)),
        field({ label: "Operational necessity (Art. 3(1))", control: necessity, field: "operational_necessity", hint: "Why the state's own means do not suffice." }),
      ),
    ),
    h(
      "fieldset",
      { class: "form__section" },
      h("legend", {}, "When, and who is asked"),
      h(
        "div",
        { class: "form__grid form__grid--4" },
        h("div", {}, field({ label: "Needed by", control: neededBy, field: "needed_by" }), neededHint),
        field({ label: "Duration (hours)", control: duration, field: "duration_hours" }),
        h("div", {}, field({ label: "Answer deadline", control: deadline, field: "answer_deadline" }), deadlineHint),
        field({ label: "Address every participating state", control: addressAll, field: "address_all", inline: true }),
      ),
      addressees,
    ),
    h("div", { class: "form__actions" }, submitBtn, draftBtn, h("a", { href: "#/map", class: "btn btn--secondary" }, "Cancel")),
  );

  container.append(
    h("div", { class: "page-head" }, h("h1", { id: "new-title" }, "Raise an assistance request"), h("span", { class: "muted" }, "Council Decision 2008/617/JHA, Art. 3(1)")),
    form,
  );
  // The banners follow the marking being chosen: the page shows what the request will carry.
  const markForm = () => markPage(container, classification.value, { exercise: exercise.checked });
  classification.addEventListener("change", markForm);
  exercise.addEventListener("change", markForm);
  markForm();

  const map = createBasemap("request-map", { center: [50, 8], zoom: 4, onClick: (pos) => setSite(pos.lat, pos.lon, true) });
  window.atlasRequestMap = map;
  candidates.attach(map);
  let marker = null;
  function setSite(la, lo, fromMap = false) {
    if (!Number.isFinite(la) || !Number.isFinite(lo)) return;
    if (fromMap) {
      lat.value = (Math.round(la * 10000) / 10000).toString();
      lon.value = (Math.round(lo * 10000) / 10000).toString();
    }
    if (marker) marker.remove();
    marker = siteMarker(la, lo, placeName.value || "Crisis site").addTo(map);
    mapEl.dataset.site = `${la},${lo}`;
    preview();
  }
  for (const input of [lat, lon]) input.addEventListener("change", () => setSite(Number.parseFloat(lat.value), Number.parseFloat(lon.value)));
  if (query.lat && query.lon) {
    setSite(Number(query.lat), Number(query.lon));
    map.setView([Number(query.lat), Number(query.lon)], 5);
  }
  let alive = true;
  setTimeout(() => alive && map.invalidateSize(), 50);

  function collect(submit) {
    const requirements = [...reqRows.children].map((row) => {
      const [code, qty, lvl] = row.querySelectorAll("select, input");
      return { code: code.value, quantity: Number.parseInt(qty.value, 10) || qty.value, min_level: lvl.value };
    });
    const num = (v) => (v === "" ? null : Number(v));
    const body = {
      crisis: {
        type: crisisType.value,
        site: { lat: num(lat.value), lon: num(lon.value) },
        place_name: placeName.value,
        started_at: fromLocalInput(startedAt.value),
        description: description.value,
        exercise: exercise.checked,
        classification: classification.value,
      },
      kinds: kinds.values(),
      operational_necessity: necessity.value,
      requirements,
      needed_by: fromLocalInput(neededBy.value),
      duration_hours: Number.parseInt(duration.value, 10) || null,
      address_all: addressAll.checked,
      addressees: addressAll.checked ? [] : addresseeGroup.values(),
      answer_deadline: fromLocalInput(deadline.value),
      submit,
    };
    if (myStates.length > 1 || store.isAdmin()) body.requesting_state = requestingState.value;
    return body;
  }

  // ---- the what-if preview's body (request-preview.js): null until the site is known
  function whatIfBody() {
    const la = Number.parseFloat(lat.value);
    const lo = Number.parseFloat(lon.value);
    if (!Number.isFinite(la) || !Number.isFinite(lo)) return null;
    const body = collect(false);
    const requirements = body.requirements
      .filter((r) => r.code)
      .map((r) => ({ code: r.code, quantity: Number.isInteger(r.quantity) && r.quantity > 0 ? r.quantity : 1, min_level: r.min_level }));
    const payload = { site: { lat: la, lon: lo }, requirements, kinds: body.kinds, requesting_state: requestingState.value };
    if (body.needed_by) payload.needed_by = body.needed_by;
    return payload;
  }
  kinds.element.addEventListener("change", () => preview());
  if (query.lat && query.lon) preview();

  // ---- submit
  let submitting = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (submitting) return;
    const submit = (ev.submitter?.dataset.submit ?? "true") === "true";
    submitting = true;
    try {
      await sendForm(
        form,
        async () => {
          const created = await post("/api/v1/requests", collect(submit));
          navigate(`/requests/${created.id}`);
        },
        { buttons: [submitBtn, draftBtn] },
      );
    } finally {
      submitting = false;
    }
  });

  setTimeout(() => (query.lat ? placeName : crisisType).focus(), 0);

  return {
    unmount() {
      preview.cancel();
      alive = false;
      map.remove();
      if (window.atlasRequestMap === map) delete window.atlasRequestMap;
    },
  };
}
