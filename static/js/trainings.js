/** Shared bits of the training views: labels, warnings, the occurrence's time range. */

import { badge, h, humanise } from "./dom.js";
import { dualRange } from "./time.js";

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
