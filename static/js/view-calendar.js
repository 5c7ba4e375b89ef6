/**
 * The training calendar: month and week views in the viewer's zone (the venue's time beside it),
 * each occurrence marked when it adds a planning conflict (readiness guard, coverage, overlaps),
 * with the conflicts listed inline.
 */

import { ApiError, get, getAll } from "./api.js";
import { h, replace } from "./dom.js";
import * as store from "./store.js";
import { addDays, fmt, isoDay, parseDay, startOfMonth, startOfWeek } from "./time.js";
import { conflictSummary, countsText } from "./conflict-summary.js";
import { kindName, occurrenceTime, warningList } from "./trainings.js";
import { debounce } from "./util.js";

const DOW = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export async function mount(container, { query, navigate }) {
  const mode = query.view === "week" ? "week" : "month";
  const anchor = parseDay(query.date) || new Date();
  const today = isoDay(new Date());
  let from;
  let to;
  if (mode === "week") {
    from = startOfWeek(anchor);
    to = addDays(from, 7);
  } else {
    const first = startOfMonth(anchor);
    from = startOfWeek(first);
    const nextMonth = new Date(first.getFullYear(), first.getMonth() + 1, 1);
    to = addDays(startOfWeek(addDays(nextMonth, -1)), 7);
  }
  const go = (m, d) => navigate(`/trainings?view=${m}&date=${isoDay(d)}`);
  const prev = mode === "week" ? addDays(anchor, -7) : new Date(anchor.getFullYear(), anchor.getMonth() - 1, 1);
  const next = mode === "week" ? addDays(anchor, 7) : new Date(anchor.getFullYear(), anchor.getMonth() + 1, 1);
  const title =
    mode === "week"
      ? `Week of ${fmt(from, undefined, "date")}`
      : new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }).format(anchor);

  const gridSlot = h("div", { class: "cal-slot", "aria-live": "polite", "aria-busy": "true" });
  const listSlot = h("div");
  container.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Trainings and exercises"),
      h("div", { class: "page-head__actions" }, store.isPlanner() ? h("a", { href: `#/trainings/new?date=${isoDay(anchor < new Date() ? new Date() : anchor)}`, class: "btn btn--primary" }, "Plan a training") : null),
    ),
    h(
      "div",
      { class: "cal-toolbar", role: "toolbar", "aria-label": "Calendar" },
      h("button", { type: "button", class: "btn btn--secondary btn--small", onClick: () => go(mode, prev), "aria-label": mode === "week" ? "Previous week" : "Previous month" }, "‹ Previous"),
      h("button", { type: "button", class: "btn btn--secondary btn--small", onClick: () => go(mode, new Date()) }, "Today"),
      h("button", { type: "button", class: "btn btn--secondary btn--small", onClick: () => go(mode, next), "aria-label": mode === "week" ? "Next week" : "Next month" }, "Next ›"),
      h("h2", { class: "cal-toolbar__title", dataset: { calTitle: "" } }, title),
      h("button", { type: "button", class: "btn btn--small", "aria-pressed": String(mode === "month"), onClick: () => go("month", anchor), dataset: { mode: "month" } }, "Month"),
      h("button", { type: "button", class: "btn btn--small", "aria-pressed": String(mode === "week"), onClick: () => go("week", anchor), dataset: { mode: "week" } }, "Week"),
    ),
    gridSlot,
    listSlot,
  );

  async function load() {
    const window = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    let trainings;
    try {
      trainings = await getAll(`/api/v1/trainings?${window}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(gridSlot, h("p", { class: "muted" }, "Trainings are not available on this server."));
        return;
      }
      throw err;
    }
    const details = await Promise.all(
      trainings.slice(0, 60).map((t) =>
        get(`/api/v1/trainings/${t.id}?${window}`).catch((err) => {
          if (err instanceof ApiError) return { ...t, occurrences: [], warnings: [] };
          throw err;
        }),
      ),
    );
    const occurrences = [];
    for (const t of details) {
      for (const occ of t.occurrences || []) occurrences.push({ t, occ });
    }
    occurrences.sort((a, b) => a.occ.start_utc.localeCompare(b.occ.start_utc));
    const byDay = new Map();
    for (const item of occurrences) {
      const start = new Date(item.occ.start_utc);
      const end = new Date(item.occ.end_utc);
      for (let d = new Date(start.getFullYear(), start.getMonth(), start.getDate()); d < end; d = addDays(d, 1)) {
        const key = isoDay(d);
        if (!byDay.has(key)) byDay.set(key, []);
        byDay.get(key).push(item);
      }
    }
    gridSlot.setAttribute("aria-busy", "false");
    replace(gridSlot, mode === "week" ? weekGrid(byDay) : monthGrid(byDay));
    renderList(details);
  }

  function chip({ t, occ }, long = false) {
    const conflicted = (occ.conflicts || []).length > 0;
    const warned = !conflicted && (t.warnings || []).length > 0;
    const cancelled = t.status === "cancelled";
    const counts = countsText(occ.conflict_summary);
    return h(
      "a",
      {
        href: `#/trainings/${t.id}`,
        class: ["cal-event", conflicted && "cal-event--conflict", warned && "cal-event--warning", cancelled && "cal-event--cancelled"],
        title: `${t.title} (${kindName(t.kind)})${conflicted ? ` · ${occ.conflicts.length} planning conflicts: ${counts}` : ""}`,
        dataset: { trainingId: t.id, conflicts: (occ.conflicts || []).length },
      },
      conflicted ? h("span", { "aria-hidden": "true" }, "⚠ ") : null,
      `${fmt(occ.start_utc, undefined, "time").replace(/\s*\S+$/, "")} ${occ.title || t.title}`,
      conflicted ? h("span", { class: "visually-hidden" }, ` (${occ.conflicts.length} planning conflicts)`) : null,
      long
        ? h(
            "span",
            { class: "cal-event__more" },
            h("br"),
            occurrenceTime(occ, t.timezone),
            h("br"),
            `${kindName(t.kind)} · ${t.host_unit?.name || ""}`,
            conflicted ? [h("br"), h("span", { class: "cal-event__conflict" }, `${occ.conflicts.length} conflicts: ${counts}`)] : null,
          )
        : null,
    );
  }

  function monthGrid(byDay) {
    const month = anchor.getMonth();
    const cells = [];
    for (let d = new Date(from); d < to; d = addDays(d, 1)) {
      const key = isoDay(d);
      const items = byDay.get(key) || [];
      cells.push(
        h(
          "div",
          {
            class: ["cal-day", d.getMonth() !== month && "cal-day--other", key === today && "cal-day--today"],
            role: "gridcell",
            dataset: { day: key },
            "aria-label": `${fmt(d, undefined, "date")}: ${items.length} training${items.length === 1 ? "" : "s"}`,
          },
          h("span", { class: "cal-day__num" }, String(d.getDate())),
          items.slice(0, 4).map((item) => chip(item)),
          items.length > 4 ? h("a", { href: `#/trainings?view=week&date=${key}`, class: "muted" }, `+${items.length - 4} more`) : null,
        ),
      );
    }
    const rows = [];
    for (let i = 0; i < cells.length; i += 7) rows.push(h("div", { role: "row", class: "cal-row" }, cells.slice(i, i + 7)));
    return h(
      "div",
      { class: "cal-month", role: "grid", "aria-label": title },
      h("div", { role: "row", class: "cal-row" }, DOW.map((d) => h("div", { class: "cal-month__dow", role: "columnheader" }, d))),
      rows,
    );
  }

  function weekGrid(byDay) {
    const days = [];
    for (let d = new Date(from); d < to; d = addDays(d, 1)) {
      const key = isoDay(d);
      const items = byDay.get(key) || [];
      days.push(
        h(
          "section",
          { class: ["cal-week__day", key === today && "cal-day--today"], dataset: { day: key }, "aria-label": fmt(d, undefined, "date") },
          h("h2", {}, fmt(d, undefined, "date")),
          items.length ? items.map((item) => chip(item, true)) : h("p", { class: "muted" }, "—"),
        ),
      );
    }
    return h("div", { class: "cal-week" }, days);
  }

  function renderList(details) {
    const troubled = details.filter((t) => (t.occurrences || []).some((o) => (o.conflicts || []).length) || (t.warnings || []).length);
    replace(
      listSlot,
      troubled.length
        ? h(
            "section",
            { class: "panel", "aria-labelledby": "cal-conflicts" },
            h("h2", { id: "cal-conflicts" }, "Conflicts and warnings in this period"),
            troubled.map((t) => {
              const conflicted = (t.occurrences || []).filter((o) => (o.conflicts || []).length);
              return h(
                "article",
                { class: "answer-card", dataset: { trainingId: t.id } },
                h("h3", {}, h("a", { href: `#/trainings/${t.id}` }, t.title), ` · ${kindName(t.kind)} · ${t.host_unit?.name || ""}`),
                t.override ? h("p", { class: "notice" }, `Saved despite conflicts: “${t.override.reason}”`) : null,
                conflicted.slice(0, 3).map((o) =>
                  h("div", { class: "cal-occurrence", dataset: { recurrenceId: o.recurrence_id } }, occurrenceTime(o, t.timezone), conflictSummary(o.conflict_summary, o.conflicts, { title: "This occurrence adds", role: null, collapsed: true })),
                ),
                conflicted.length > 3 ? h("p", { class: "muted" }, h("a", { href: `#/trainings/${t.id}` }, `${conflicted.length - 3} more occurrences with conflicts`)) : null,
                warningList(t.warnings),
              );
            }),
          )
        : h("p", { class: "muted" }, "No planning conflict in this period."),
    );
  }

  await load();
  const reload = debounce(load, 200);
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("training") || type.startsWith("readiness.") || type.startsWith("deployment.")) reload();
    },
    refresh: reload,
    unmount: () => reload.cancel(),
  };
}
