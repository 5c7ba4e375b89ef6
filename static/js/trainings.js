/** Shared bits of the training views: labels, conflict lists, the venue-time display. */

import { badge, h, humanise } from "./dom.js";
import * as store from "./store.js";
import { dualRange, dualTime, minutes } from "./time.js";

export const TRAINING_KINDS = [
  ["meeting", "Meeting"],
  ["workshop", "Workshop"],
  ["table_top", "Table-top exercise"],
  ["command_post", "Command-post exercise"],
  ["field_exercise", "Field exercise"],
  ["common_challenge", "Network-wide common challenge"],
];

export function kindName(kind) {
  return (TRAINING_KINDS.find(([k]) => k === kind) || [null, humanise(kind)])[1];
}

const CONFLICT_TITLES = {
  unit_overlap: "Unit in two trainings at once",
  unit_deployed: "Unit deployed",
  readiness_guard: "Readiness guard",
  coverage_threshold: "Coverage threshold",
};

function figureText(c) {
  const f = c.figure;
  if (f === null || f === undefined) return null;
  if (c.kind === "readiness_guard") return `${f} READY unit${f === 1 ? "" : "s"} left`;
  if (c.kind === "coverage_threshold") {
    const threshold = c.details?.threshold_min;
    return typeof f === "number" ? `${minutes(f)} to the first capable unit${threshold ? ` (limit ${minutes(threshold)})` : ""}` : String(f);
  }
  if (c.kind === "unit_overlap" || c.kind === "unit_deployed") return typeof f === "number" ? `${minutes(f)} overlap` : String(f);
  return String(f);
}

/**
 * A list of planning conflicts: each names the state, the capability, the window (in the
 * viewer's and the venue's zone) and the figure, then the server's sentence.
 */
export function conflictList(conflicts, venueZone, { title = "Planning conflicts" } = {}) {
  if (!conflicts || !conflicts.length) return null;
  return h(
    "section",
    { class: "notice notice--danger conflicts", role: "alert", dataset: { conflicts: conflicts.length } },
    h("h3", {}, `${title} (${conflicts.length})`),
    h(
      "ul",
      { class: "conflict-list" },
      conflicts.map((c) =>
        h(
          "li",
          { dataset: { kind: c.kind, state: c.state || "", capability: c.capability || "" } },
          h("strong", {}, CONFLICT_TITLES[c.kind] || humanise(c.kind)),
          ": ",
          c.message,
          h(
            "dl",
            { class: "kv conflict-facts" },
            c.state ? [h("dt", {}, "State"), h("dd", { dataset: { fact: "state" } }, `${store.stateName(c.state)} (${c.state})`)] : null,
            c.capability ? [h("dt", {}, "Capability"), h("dd", { dataset: { fact: "capability" } }, `${store.capabilityName(c.capability)} (${c.capability})`)] : null,
            c.unit_id ? [h("dt", {}, "Unit"), h("dd", {}, store.unitName(c.unit_id) || `unit ${c.unit_id}`)] : null,
            c.point ? [h("dt", {}, "Where"), h("dd", {}, c.point)] : null,
            [
              h("dt", {}, "Window"),
              h("dd", { dataset: { fact: "window" } }, dualTime(c.window_start, venueZone, { otherLabel: "venue" }), " – ", c.window_end ? dualTime(c.window_end, venueZone, { otherLabel: "venue" }) : "open-ended"),
            ],
            figureText(c) ? [h("dt", {}, "Figure"), h("dd", { class: "conflict-figure", dataset: { fact: "figure" } }, figureText(c))] : null,
          ),
        ),
      ),
    ),
  );
}

export function warningList(warnings) {
  if (!warnings || !warnings.length) return null;
  return h("div", { class: "notice notice--warn", dataset: { warnings: warnings.length } }, h("strong", {}, "Warnings"), h("ul", { class: "conflict-list" }, warnings.map((w) => h("li", {}, w))));
}

/** "09 Dec, 08:00 – 11 Dec, 18:00 CET" for an occurrence (both dates when they differ), the venue's zone beside. */
export function occurrenceTime(occ, zone) {
  return dualRange(occ.start_utc, occ.end_utc, zone, { otherLabel: "venue" });
}

export function statusBadge(t) {
  return badge(t.status === "cancelled" ? "CANCELLED" : "PLANNED");
}
