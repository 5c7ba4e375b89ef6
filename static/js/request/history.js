/**
 * A request's history: the timeline tab (its steps, in the viewer's zone and the requester's)
 * and the audit tab (the append-only, hash-chained records that concern it).
 *
 * `view` is the request view's context (view-request.js).
 */

import { ApiError, get, getAll } from "../api.js";
import { h, humanise, replace } from "../dom.js";
import * as store from "../store.js";
import { dualTime } from "../time.js";

export async function renderTimeline(view) {
  const { body, id } = view;
  const { items } = await get(`/api/v1/requests/${id}/timeline`);
  replace(
    body,
    h(
      "section",
      { class: "panel", "aria-labelledby": "tl-title" },
      h("h2", { id: "tl-title" }, "Timeline"),
      h("p", { class: "muted" }, `Times in your zone and in ${store.stateName(view.request.requesting_state)}'s.`),
      items.length
        ? h(
            "ol",
            { class: "timeline", dataset: { timeline: "" } },
            items.map((s) =>
              h(
                "li",
                { class: "timeline__step", dataset: { action: s.action } },
                h("div", { class: "timeline__what" }, humanise(s.action.replace(/\./g, " ")), s.from || s.to ? ` · ${s.from || "—"} → ${s.to || "—"}` : ""),
                s.note ? h("div", { class: "timeline__note" }, s.note) : null,
                h("div", {}, dualTime(s.at, view.zone(), { otherLabel: view.reqLabel(), seconds: true })),
                h("div", { class: "muted" }, `${s.actor || "system"} · ${s.role || ""} · ${s.subject}`),
              ),
            ),
          )
        : h("p", { class: "muted" }, "Nothing recorded yet."),
    ),
  );
}

export async function renderAudit(view) {
  const { body, id } = view;
  const items = await getAll(`/api/v1/requests/${id}/audit`).catch(async (err) => {
    if (err instanceof ApiError && err.status === 422) return (await get(`/api/v1/requests/${id}/audit?limit=1000`)).items;
    throw err;
  });
  replace(
    body,
    h(
      "section",
      { class: "panel", "aria-labelledby": "au-title" },
      h("h2", { id: "au-title" }, "Audit trail"),
      h("p", { class: "muted" }, "Append-only and hash-chained: each record names the previous record's hash."),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data", dataset: { table: "audit" } },
          h("thead", {}, h("tr", {}, ["Seq", "When", "Who", "Role", "Action", "Subject", "Change", "Hash"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            items.map((r) =>
              h(
                "tr",
                { dataset: { seq: r.seq } },
                h("td", { class: "num" }, String(r.seq)),
                h("td", {}, dualTime(r.at, view.zone(), { otherLabel: view.reqLabel(), seconds: true })),
                h("td", {}, r.actor || "system"),
                h("td", {}, r.role || ""),
                h("td", {}, r.action),
                h("td", {}, r.subject),
                h(
                  "td",
                  {},
                  h(
                    "details",
                    {},
                    h("summary", {}, statusChange(r)),
                    h("pre", { class: "json" }, `before: ${JSON.stringify(r.before, null, 1)}\nafter: ${JSON.stringify(r.after, null, 1)}`),
                  ),
                ),
                h("td", {}, h("span", { class: "hash", title: `previous ${r.prev_hash || "—"}` }, String(r.hash || "").slice(0, 16))),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function statusChange(r) {
  const from = r.before && typeof r.before === "object" ? r.before.status : null;
  const to = r.after && typeof r.after === "object" ? r.after.status : null;
  return from || to ? `${from || "—"} → ${to || "—"}` : "details";
}
