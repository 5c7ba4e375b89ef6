/**
 * The coverage layer of the map view (issue 17): each 50 km cell coloured by the minutes until the
 * first capable, READY unit can be there (GET /api/v1/coverage), with a capability and threshold
 * picker, a "when" (planned exercises take their units off), a legend, and the per-state and
 * per-region summary as a table (the accessible alternative to the colours). Kept live: a
 * `readiness.changed` event's `coverage` diff recolours the cells it lists (or refetches), a
 * training, deployment or directory change refetches. `exerciseWhatIf` says in words what a planned exercise does to the map.
 */

/* global L */

import { get, post, qs } from "./api.js";
import { h, replace, select } from "./dom.js";
import { onEvent } from "./live.js";
import * as store from "./store.js";

export const ANY_TIER1 = "ANY_TIER1";
const THRESHOLDS = [60, 120, 180, 240, 360, 480, 720];
/** Colour bands (minutes up to, colour, label); the last band is "nobody reaches it". */
const BANDS = [
  [60, "#1a9850", "≤ 1 h"],
  [120, "#91cf60", "1–2 h"],
  [240, "#fee08b", "2–4 h"],
  [480, "#fc8d59", "4–8 h"],
  [Infinity, "#d73027", "> 8 h"],
];
const NOBODY = "#5e3c99";

function colour(minutes) {
  if (minutes === null || minutes === undefined) return NOBODY;
  return BANDS.find(([upto]) => minutes <= upto)[1];
}

export function hours(minutes) {
  if (minutes === null || minutes === undefined) return "no unit";
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hrs = Math.floor(minutes / 60);
  const rest = Math.round(minutes - hrs * 60);
  return rest ? `${hrs} h ${String(rest).padStart(2, "0")}` : `${hrs} h`;
}

function capabilityOptions() {
  const caps = (store.capabilities() || []).map((c) => ({ value: c.code, label: c.name }));
  return [{ value: ANY_TIER1, label: "Any tier-1 unit" }, ...caps];
}

function legendList() {
  // colours by class (the CSP forbids inline styles): static/css/map.css .coverage-band--N
  const items = BANDS.map(([, , label], i) =>
    h("li", {}, h("span", { class: `atlas-legend__swatch coverage-band--${i}`, "aria-hidden": "true" }), label),
  );
  items.push(h("li", {}, h("span", { class: "atlas-legend__swatch coverage-band--none", "aria-hidden": "true" }), "no capable unit"));
  return h("ul", { class: "atlas-legend__list" }, ...items);
}

function pct(x) {
  return `${Math.round(x * 100)} %`;
}

/** The per-state and per-region table: worst, median, share of area and of people beyond. */
export function summaryTable(body) {
  const rows = [...body.summaries].sort((a, b) => (a.kind === b.kind ? a.code.localeCompare(b.code) : a.kind === "region" ? -1 : 1));
  return h(
    "table",
    { class: "table coverage-table", "data-testid": "coverage-table" },
    h("caption", {}, `Time to the first ${body.capability === ANY_TIER1 ? "tier-1 unit" : store.capabilityName(body.capability) || body.capability}; beyond ${hours(body.threshold_min)}`),
    h("thead", {}, h("tr", {}, ...["Area", "Worst", "Median", "Area beyond", "People beyond"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((s) =>
        h(
          "tr",
          { "data-area": s.code },
          h("th", { scope: "row" }, s.kind === "state" ? store.stateName(s.code) || s.code : `${s.code} (region)`),
          h("td", {}, hours(s.worst_min)),
          h("td", {}, hours(s.median_min)),
          h("td", {}, pct(s.area_beyond)),
          h("td", {}, pct(s.population_beyond)),
        ),
      ),
    ),
  );
}

/** Mount the coverage layer and its control on a Leaflet map; removed with the map. */
export function mountCoverage(map, mapEl) {
  const state = { on: false, capability: ANY_TIER1, threshold: 240, at: "", body: null, layers: new Map(), seq: 0 };
  const layer = L.layerGroup();
  const status = h("p", { class: "coverage-status", role: "status", "aria-live": "polite" });
  const table = h("div", { class: "coverage-table-box" });
  const capSelect = select(capabilityOptions(), { value: state.capability, id: "coverage-capability", name: "capability" });
  const thrSelect = select(THRESHOLDS.map((m) => ({ value: m, label: hours(m) })), { value: state.threshold, id: "coverage-threshold", name: "threshold" });
  const when = h("input", { type: "datetime-local", id: "coverage-at", name: "at" });
  const toggle = h("input", { type: "checkbox", id: "coverage-on", name: "coverage" });
  const panel = h(
    "div",
    { class: "atlas-legend coverage-control", role: "group", "aria-label": "Coverage layer", "data-testid": "coverage-control" },
    h("label", { for: "coverage-on" }, toggle, " Coverage: time to the first capable unit"),
    h("div", { class: "coverage-fields", hidden: true },
      h("label", { for: "coverage-capability" }, "Capability"), capSelect,
      h("label", { for: "coverage-threshold" }, "Threshold"), thrSelect,
      h("label", { for: "coverage-at" }, "When (your time; empty: now)"), when,
      legendList(), status,
      h("details", {}, h("summary", {}, "Table by state and region"), table)),
  );
  const fields = panel.querySelector(".coverage-fields");
  L.DomEvent.disableClickPropagation(panel);
  L.DomEvent.disableScrollPropagation(panel);
  const control = L.control({ position: "topright" });
  control.onAdd = () => panel;
  control.addTo(map);

  function cellStyle(minutes) {
    return { stroke: false, fillColor: colour(minutes), fillOpacity: 0.45 };
  }

  function draw(body) {
    layer.clearLayers();
    state.layers.clear();
    const renderer = L.canvas({ padding: 0.2 });
    for (const f of body.features) {
      const ring = f.geometry.coordinates[0].map(([lon, lat]) => [lat, lon]);
      const poly = L.polygon(ring, { ...cellStyle(f.properties.minutes), renderer });
      poly.bindTooltip(`${store.stateName(f.properties.state) || f.properties.state}: ${hours(f.properties.minutes)}`);
      poly.minutes = f.properties.minutes;
      state.layers.set(f.id, poly);
      layer.addLayer(poly);
    }
    describe();
  }

  function describe() {
    const minutes = [...state.layers.values()].map((p) => p.minutes);
    const beyond = minutes.filter((m) => m === null || m > state.threshold).length;
    mapEl.dataset.coverageBeyond = String(beyond);
    mapEl.dataset.coverageCells = String(minutes.length);
    replace(status, `${beyond} of ${minutes.length} cells beyond ${hours(state.threshold)}`);
    if (state.body) replace(table, summaryTable(state.body));
  }

  async function load() {
    if (!state.on) return;
    const seq = ++state.seq;
    const at = state.at ? new Date(state.at).toISOString() : undefined;
    replace(status, "Loading coverage…");
    try {
      const body = await get(`/api/v1/coverage${qs({ capability: state.capability, threshold: state.threshold, at })}`);
      if (seq !== state.seq || !state.on) return;
      state.body = body;
      draw(body);
      mapEl.dataset.coverage = "loaded";
    } catch (err) {
      replace(status, `Coverage unavailable: ${err.message}`);
      mapEl.dataset.coverage = "failed";
    }
  }

  /** Recolour the cells a readiness change's coverage diff lists; true if it could (else refetch). */
  function patch(data) {
    if (!(data?.capabilities || []).includes(state.capability)) return true; // not this capability
    const pairs = !state.at && data.cells ? data.cells[state.capability] : null;
    if (!pairs) return false; // no diff here (cold model, too many cells, or a future "when")
    for (const [cell, minutes] of pairs) {
      const poly = state.layers.get(cell);
      if (!poly) return false;
      poly.minutes = minutes;
      poly.setStyle(cellStyle(minutes));
    }
    state.body = null; // the summaries are stale: refetched on the next load
    describe();
    return true;
  }

  let timer = null;
  const refetch = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };

  toggle.addEventListener("change", () => {
    state.on = toggle.checked;
    fields.hidden = !state.on;
    if (state.on) {
      layer.addTo(map);
      load();
    } else {
      layer.remove();
      delete mapEl.dataset.coverage;
    }
  });
  capSelect.addEventListener("change", () => { state.capability = capSelect.value; load(); });
  thrSelect.addEventListener("change", () => { state.threshold = Number(thrSelect.value); load(); });
  when.addEventListener("change", () => { state.at = when.value; load(); });

  const off = onEvent((ev) => {
    if (!state.on) return;
    const type = String(ev.type || "");
    if (type === "readiness.changed") {
      if (!patch(ev.data?.coverage)) refetch();
    } else if (type.startsWith("training") || type.startsWith("directory.") || type.startsWith("deployment.")) {
      refetch();
    }
  });
  map.on("unload", () => { off(); clearTimeout(timer); });
  return { load, control };
}

/** The what-if of a planned exercise in words ("For 1 day the Baltic has no …"), for the training view. */
export async function exerciseWhatIf(trainingId, capability = ANY_TIER1, threshold = 240) {
  const body = await post("/api/v1/coverage/what-if", { training_id: trainingId, capability, threshold });
  return { sentence: body.sentence, changed: body.changed, lost: body.lost_regions };
}
