/**
 * The raise-a-request form's what-if preview: the likely candidates for the needs typed so far,
 * drawn on the form's map (lines from their stations, their bases) and listed beside it, with a
 * button to address their states. Only when the server offers matching to the caller.
 */

/* global L */

import { ApiError } from "./api.js";
import { candidateLine, unitMarker } from "./basemap.js";
import { h, replace } from "./dom.js";
import { whatIf } from "./matching.js";
import * as store from "./store.js";
import { minutes } from "./time.js";
import { debounce } from "./util.js";

/**
 * The list goes into `box`. `read()` returns the what-if body ({site, requirements, kinds,
 * requesting_state, needed_by?}) or null while the site is unknown; `onSuggest(states)` addresses
 * the candidates' states. Returns a debounced `preview()` (with `cancel()`) and `attach(map)`,
 * called once the form's map exists.
 */
export function whatIfPreview(box, { read, onSuggest }) {
  let lines = null;
  let candidatesLayer = null;
  let lineRenderer = null;
  let available = store.canWhatIf();

  const clear = () => {
    lines?.clearLayers();
    candidatesLayer?.clearLayers();
  };
  function attach(map) {
    lines = L.layerGroup().addTo(map);
    lineRenderer = L.svg({ pane: "overlayPane" });
    candidatesLayer = L.layerGroup().addTo(map);
  }

  const preview = debounce(async () => {
    if (!available || !lines) return;
    const payload = read();
    if (!payload) return;
    if (!payload.requirements.length) {
      clear();
      replace(box, h("p", { class: "muted" }, "Add a capability to see the likely candidates."));
      return;
    }
    let ranking;
    try {
      ranking = await whatIf(payload);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 403)) {
        available = false;
        return;
      }
      replace(box, h("p", { class: "muted" }, `Candidate preview unavailable: ${err.message}`));
      return;
    }
    if (!box.isConnected) return;
    clear();
    const { lat, lon } = payload.site;
    const candidates = ranking?.candidates || [];
    for (const c of candidates.slice(0, 8)) {
      if (c.from_station) candidateLine(c.from_station, [lat, lon], { renderer: lineRenderer }).addTo(lines);
      const u = store.unit(c.unit_id);
      if (u) unitMarker(u).addTo(candidatesLayer);
    }
    const suggested = [...new Set(candidates.slice(0, 8).map((c) => c.state))].filter((s) => s !== payload.requesting_state);
    replace(
      box,
      h("h3", {}, "Likely candidates (what-if ranking)"),
      candidates.length
        ? h("ol", { class: "candidate-mini" }, candidates.slice(0, 5).map((c) => h("li", {}, `${c.name} (${c.state}) · ETA ${minutes(c.eta?.total_min)}`)))
        : h("p", { class: "muted" }, "No unit matches these needs."),
      suggested.length
        ? h("button", { type: "button", class: "btn btn--secondary btn--small", onClick: () => onSuggest(suggested) }, `Address the candidates' states (${suggested.join(", ")})`)
        : null,
    );
  }, 400);
  return { preview, attach };
}
