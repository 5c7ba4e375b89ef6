/**
 * Duty rosters (issue 15): the list the user may read, and one roster with who is on duty now,
 * the gaps of the next seven days, its shifts and contact points, and CSV export and import
 * (all or nothing: a CSV with bad rows imports nothing and every bad row is listed).
 */

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { fmt } from "./time.js";

function table(caption, head, rows) {
  return h(
    "table",
    { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c ?? "—"))))),
  );
}

async function mountList(container) {
  const body = await api.get("/api/v1/rosters");
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Duty rosters")),
    h("p", { class: "muted" }, "Who answers for each organisation at any hour. Open one to see who is on duty, the gaps and the contact points."),
    body.items.length
      ? table(
          `${body.total} roster${body.total === 1 ? "" : "s"}`,
          ["Organisation", "Kind", "State", "Time zone", "Version"],
          body.items.map((r) => [h("a", { href: `#/rosters/${r.org}` }, r.org), r.kind.replace(/_/g, " "), r.state, r.timezone, String(r.version)]),
        )
      : h("p", {}, "No roster you may read yet. Import one as CSV on its page, e.g. #/rosters/ca-FR."),
  );
  return {};
}

function csvPanel(org, onImported) {
  const area = h("textarea", { rows: 10, class: "roster-csv", "aria-label": "Roster as CSV" });
  const errors = h("ul", { class: "form__errors", role: "alert" });
  const exportBtn = h("button", { type: "button", class: "btn btn--ghost btn--small" }, "Load current CSV");
  const importBtn = h("button", { type: "button", class: "btn btn--small" }, "Import CSV");
  exportBtn.addEventListener("click", async () => {
    const response = await fetch(`/api/v1/rosters/${org}/csv`, { credentials: "same-origin" });
    area.value = response.ok ? await response.text() : "record,day,start,end,primary,backup,officer,channel,address\n";
  });
  importBtn.addEventListener("click", async () => {
    replace(errors);
    try {
      await api.put(`/api/v1/rosters/${org}/csv`, { csv: area.value });
      await onImported();
    } catch (err) {
      const fields = err.fields || {};
      replace(errors, h("li", {}, err.message), ...Object.entries(fields).map(([k, v]) => h("li", {}, `${k}: ${v}`)));
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "CSV"), area, h("div", { class: "form__actions" }, exportBtn, importBtn), errors);
}

async function mountOne(container, org) {
  const slot = h("div");
  container.append(h("div", { class: "page-head" }, h("h1", {}, `Duty roster ${org}`)), slot);

  async function load() {
    let roster = null;
    try {
      roster = await api.get(`/api/v1/rosters/${org}`);
    } catch (err) {
      if (!(err instanceof api.ApiError) || err.status !== 404) throw err;
    }
    if (!roster) {
      replace(slot, h("p", {}, "No roster yet."), csvPanel(org, load));
      return;
    }
    const now = await api.get(`/api/v1/rosters/${org}/on-duty`);
    const from = new Date();
    const to = new Date(from.getTime() + 7 * 24 * 3600 * 1000);
    const gaps = await api.get(`/api/v1/rosters/${org}/gaps?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
    replace(
      slot,
      h(
        "p",
        { class: "roster-now", dataset: { onDuty: now.primary || "" } },
        now.primary ? `On duty now: ${now.primary}${now.backup ? ` (backup ${now.backup})` : ""}, until ${fmt(now.until)}` : "Nobody is on duty now.",
      ),
      h("p", { class: "muted" }, `Time zone ${roster.timezone}; fallback ${roster.fallback_email || "none"}; version ${roster.version}${roster.demo ? " (demo)" : ""}`),
      table(`${gaps.total} gap${gaps.total === 1 ? "" : "s"} in the next 7 days`, ["From", "To", "Minutes"], gaps.items.map((g) => [fmt(g.start), fmt(g.end), String(g.minutes)])),
      table("Weekly shifts (local time)", ["Day", "Start", "End", "Primary", "Backup"], roster.shifts.map((s) => [s.weekday, s.start, s.end, s.primary, s.backup])),
      table("Exceptions", ["Date", "Start", "End", "Primary", "Backup"], roster.exceptions.map((s) => [s.date, s.start, s.end, s.primary, s.backup])),
      table("Contact points (after the console)", ["Officer", "Channel", "Address"], roster.officers.flatMap((o) => o.contacts.map((c) => [o.user, c.channel, c.address]))),
      csvPanel(org, load),
    );
  }

  await load();
  return {};
}

export async function mount(container, { params }) {
  return params.org ? mountOne(container, params.org) : mountList(container);
}
