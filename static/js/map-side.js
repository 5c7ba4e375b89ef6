/**
 * The map view's side panel parts that do not touch the map: a unit's details (where it is
 * now, in plain words) and the readiness filter with its counts.
 */

import { READINESS_STATUSES } from "./basemap.js";
import { badge, h, humanise, replace } from "./dom.js";
import * as store from "./store.js";

/** The selected unit, with where it is now (`where`: a sentence from map-deployments.js). */
export function renderUnit(box, u, where) {
  const r = u.readiness || {};
  replace(
    box,
    h("h2", { class: "side-section__title" }, u.name),
    h("p", {}, `${store.stateName(u.state)} · ${u.base_city || ""} · tier ${u.tier || "—"} · `, badge(r.status || "UNKNOWN", "status")),
    where ? h("p", { class: "unit-place", dataset: { unitPlace: u.id } }, where) : null,
    r.reason ? h("p", { class: "muted" }, `Reason: ${r.reason}`) : null,
    r.status === "TRAINING" && r.break_off_min != null ? h("p", {}, `Can break off within ${r.break_off_min} min`) : null,
    h("p", { class: "muted" }, `Personnel ${r.personnel || "—"} · equipment ${r.equipment || "—"} · transport ${r.transport || "—"}`),
    h("p", {}, h("a", { href: `#/units/${u.id}` }, `Open ${u.name}`)),
  );
}

/** The readiness filter: one checkbox per status with its count; `onToggle()` after a change. */
export function renderReadiness(box, hiddenStatuses, onToggle) {
  const counts = Object.fromEntries(READINESS_STATUSES.map((s) => [s, 0]));
  for (const u of store.units()) {
    const s = String(u.readiness?.status || "").toUpperCase();
    if (s in counts) counts[s] += 1;
  }
  replace(
    box,
    h("h2", { class: "side-section__title", id: "ready-title" }, "Readiness across the network"),
    h(
      "fieldset",
      { class: "readiness-filter" },
      h("legend", { class: "visually-hidden" }, "Show units by readiness"),
      READINESS_STATUSES.map((status) => {
        const id = `show-${status.toLowerCase()}`;
        const input = h("input", { type: "checkbox", id, checked: !hiddenStatuses.has(status), dataset: { status } });
        input.addEventListener("change", () => {
          if (input.checked) hiddenStatuses.delete(status);
          else hiddenStatuses.add(status);
          onToggle();
        });
        return h(
          "div",
          { class: "check readiness-filter__item" },
          input,
          h(
            "label",
            { for: id },
            h("span", { class: `atlas-legend__swatch atlas-status-${status.toLowerCase()}`, "aria-hidden": "true" }),
            ` ${humanise(status)} `,
            h("strong", { class: "count", dataset: { count: status } }, String(counts[status])),
          ),
        );
      }),
    ),
  );
}
