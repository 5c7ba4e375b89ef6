/**
 * Planning conflicts as a planner under time pressure reads them: counts first (by kind, then by
 * state, then by capability), each group on one line with its capability names and one time range
 * in the viewer's zone, and the single conflicts only on demand (<details>). The grouping is the
 * server's (`summary` of POST /api/v1/trainings/check, a 409 `training_conflict`, an occurrence's
 * `conflict_summary`, a training's `override_summary`); this module only renders it.
 */

import { h } from "./dom.js";
import * as store from "./store.js";
import { minutes } from "./time.js";
import { timeRange } from "./time-range.js";

/** Nouns for the counts line ("83 coverage gaps"), by kind; readiness guards also count states. */
const KIND_NOUNS = {
  readiness_guard: ["readiness guard", "readiness guards"],
  coverage_threshold: ["coverage gap", "coverage gaps"],
  unit_deployed: ["unit deployed at the time", "units deployed at the time"],
  unit_overlap: ["unit in two trainings", "units in two trainings"],
};

/** A kind's groups are listed open when there are at most this many; else counts only. */
const OPEN_GROUPS = 12;
/** Places named on a group's line before "+N". */
const PLACES_SHOWN = 3;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const capitalise = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

function kindCount(kind) {
  const [one, many] = KIND_NOUNS[kind.kind] || [kind.label.toLowerCase(), `${kind.label.toLowerCase()}s`];
  const states = kind.kind === "readiness_guard" ? ` in ${plural(kind.states.length, "state", "states")}` : "";
  return `${plural(kind.count, one, many)}${states}`;
}

/** "9 readiness guards in 3 states, 83 coverage gaps": the counts line as plain text (chips, titles). */
export function countsText(summary) {
  return (summary?.kinds || []).map(kindCount).join(", ");
}

function unitNames(ids) {
  return ids.map((id) => store.unitName(id) || `unit ${id}`);
}

function listed(names, shown = PLACES_SHOWN) {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} +${names.length - shown}`;
}

function worstText(kind, group) {
  const f = group.worst_figure;
  if (f === null || f === undefined) return null;
  if (typeof f === "string") return f;
  if (kind === "coverage_threshold") return `up to ${minutes(f)} to reach`;
  if (kind === "unit_overlap" || kind === "unit_deployed") return `up to ${minutes(f)} overlap`;
  return null;
}

/** One conflict inside an opened group: where or who, its figure, its range if the group's differs. */
function entry(kind, c, group) {
  const who = c.point || (c.unit_id ? store.unitName(c.unit_id) || `unit ${c.unit_id}` : null) || store.stateName(c.state) || "";
  const threshold = c.details?.threshold_min;
  let figure = null;
  if (kind === "coverage_threshold") figure = typeof c.figure === "number" ? `${minutes(c.figure)} to the first capable unit${threshold ? ` (limit ${minutes(threshold)})` : ""}` : c.figure;
  else if (kind === "readiness_guard") figure = `no READY unit left (${plural(c.details?.holders ?? 0, "unit holds", "units hold")} it)`;
  else if (typeof c.figure === "number") figure = `${minutes(c.figure)} overlap`;
  const sameRange = c.window_start === group.window_start && c.window_end === group.window_end;
  return h(
    "li",
    { dataset: { kind, state: c.state || "", capability: c.capability || "" } },
    h("strong", {}, who),
    figure ? ` — ${figure}` : "",
    sameRange ? "" : h("span", { class: "muted" }, ` · ${timeRange(c.window_start, c.window_end)}`),
  );
}

/** One group's line: capability (count) · range · places or units · worst figure; opens to its entries. */
function groupLine(kind, group, conflicts, rangeShown = false) {
  const name = group.capability_name || (group.unit_ids.length ? listed(unitNames(group.unit_ids)) : "Conflicts");
  const where = group.points.length ? listed(group.points) : group.capability_name && group.unit_ids.length && kind !== "coverage_threshold" ? listed(unitNames(group.unit_ids)) : null;
  const worst = worstText(kind, group);
  const items = (group.conflicts || []).map((i) => conflicts?.[i]).filter(Boolean);
  const line = [
    h("span", { class: "conflict-group__name" }, name),
    rangeShown && group.count === 1 ? "" : h("span", { class: "conflict-group__count" }, ` (${group.count})`),
    rangeShown ? "" : [" · ", h("span", { class: "conflict-group__range", dataset: { fact: "window" } }, timeRange(group.window_start, group.window_end))],
    where ? ` · ${where}` : "",
    worst ? h("span", { class: "conflict-figure" }, ` · ${worst}`) : "",
  ];
  return h(
    "li",
    { class: "conflict-group", dataset: { capability: group.capability || "", count: group.count } },
    items.length ? h("details", {}, h("summary", {}, line), h("ul", { class: "conflict-entries" }, items.map((c) => entry(kind, c, group)))) : line,
  );
}

/** The one span every group shares, or null. */
function sharedWindow(groups) {
  const [first] = groups;
  return first && groups.every((g) => g.window_start === first.window_start && g.window_end === first.window_end) ? first : null;
}

function stateBlock(kind, state, conflicts, kindRange) {
  // When every group of the state covers the same span (a readiness guard per capability over
  // the whole exercise), the range is written once (here, or for the whole kind) and the
  // capabilities follow on one line.
  const shared = kind.kind !== "coverage_threshold" && (kindRange || sharedWindow(state.groups));
  return h(
    "li",
    { class: ["conflict-state", shared && "conflict-state--inline"], dataset: { state: state.state || "" } },
    h("span", { class: "conflict-state__name" }, `${capitalise(state.name)} (${state.count})`),
    shared && !kindRange ? h("span", { class: "conflict-group__range", dataset: { fact: "window" } }, ` · ${timeRange(shared.window_start, shared.window_end)}`) : null,
    shared ? ":" : null,
    h("ul", { class: "conflict-groups" }, state.groups.map((g) => groupLine(kind.kind, g, conflicts, Boolean(shared)))),
  );
}

function kindBlock(kind, conflicts, collapsed) {
  const groups = kind.states.reduce((n, s) => n + s.groups.length, 0);
  const kindRange = kind.kind !== "coverage_threshold" && kind.states.length > 1 ? sharedWindow(kind.states.flatMap((s) => s.groups)) : null;
  const top = kind.states.flatMap((s) => s.groups).slice(0, 3).map((g) => `${g.capability_name || listed(unitNames(g.unit_ids), 1)} (${g.count})`);
  return h(
    "details",
    { class: "conflict-kind", open: !collapsed && groups <= OPEN_GROUPS, dataset: { kind: kind.kind, count: kind.count } },
    h(
      "summary",
      {},
      h("strong", {}, `${kind.label}: ${kind.count}`),
      kindRange ? h("span", { class: "conflict-group__range", dataset: { fact: "window" } }, ` · ${timeRange(kindRange.window_start, kindRange.window_end)}`) : null,
      collapsed || groups > OPEN_GROUPS ? h("span", { class: "muted" }, ` — most: ${top.join(", ")}; ${plural(groups, "group", "groups")} in all`) : null,
    ),
    h("ul", { class: "conflict-states" }, kind.states.map((s) => stateBlock(kind, s, conflicts, kindRange))),
  );
}

/**
 * The summary block. `summary` as the API sends it; `conflicts` the list its groups point into
 * (for the entries on demand). `aside` (e.g. the override reason) is placed beside the counts;
 * `collapsed` shows every kind's counts only (e.g. in a list of trainings).
 */
export function conflictSummary(summary, conflicts, { title = "Planning conflicts", aside = null, role = "alert", collapsed = false } = {}) {
  if (!summary || !summary.total) return null;
  const counts = summary.kinds.map((k) => h("li", { dataset: { kind: k.kind } }, kindCount(k)));
  return h(
    "section",
    { class: "notice notice--danger conflicts conflict-summary", role, dataset: { conflicts: summary.total } },
    h(
      "div",
      { class: "conflict-summary__head" },
      h(
        "div",
        { class: "conflict-summary__counts" },
        h("h3", {}, `${title}: ${plural(summary.total, "conflict", "conflicts")}`),
        h("ul", { class: "conflict-summary__kinds" }, counts),
        summary.not_listed ? h("p", { class: "muted" }, `${summary.not_listed} more are counted but not listed.`) : null,
        summary.kinds.map((k) => kindBlock(k, conflicts, collapsed)),
      ),
      aside ? h("div", { class: "conflict-summary__aside" }, aside) : null,
    ),
  );
}
