/** The requests I may know of: raised by my state, addressed to it, or asking my unit. */

import { ApiError, getAll } from "./api.js";
import { badge, h, humanise, replace, select, field } from "./dom.js";
import * as inbox from "./inbox.js";
import { eventRequestId } from "./live.js";
import { markList } from "./marking.js";
import * as store from "./store.js";
import { dualTime } from "./time.js";
import { DEADLINE_COUNTS, crisisLabel, debounce } from "./util.js";

const STATUSES = ["", "DRAFT", "SUBMITTED", "PARTIALLY_MET", "MET", "CLOSED", "WITHDRAWN"];

const MOVE_LABELS = { answer_due: "Answer", counter_to_decide: "Decide counter-proposal", deployment_step: "Report", alert_to_acknowledge: "Acknowledge alert" };

/** The viewer's inbox items by request: what awaits the viewer's answer on each row. */
function movesByRequest() {
  const moves = new Map();
  for (const item of inbox.items()) {
    if (!moves.has(item.request_id)) moves.set(item.request_id, []);
    moves.get(item.request_id).push(item);
  }
  return moves;
}

function yourMove(items) {
  if (!items?.length) return h("span", { class: "muted" }, "—");
  return items.map((item) =>
    h("a", { class: "tag tag--move", href: item.link, title: item.title }, `${MOVE_LABELS[item.kind] || "To do"}${item.state && item.kind !== "deployment_step" ? ` (${item.state})` : ""}`),
  );
}

export async function mount(container, { query, navigate }) {
  const statusSel = select(
    STATUSES.map((s) => ({ value: s, label: s ? humanise(s) : "Any status" })),
    { value: query.status || "" },
  );
  statusSel.addEventListener("change", () => navigate(`/requests${statusSel.value ? `?status=${statusSel.value}` : ""}`));
  const tableSlot = h("div", { class: "table-wrap" });
  container.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Assistance requests"),
      h("div", { class: "page-head__actions" }, store.canRaise() ? h("a", { href: "#/requests/new", class: "btn btn--primary" }, "Raise a request") : null),
    ),
    h("div", { class: "form__grid" }, field({ label: "Status", control: statusSel, field: "status" })),
    tableSlot,
  );
  const highlight = new Set();

  async function load() {
    let items;
    try {
      items = await getAll(`/api/v1/requests${query.status ? `?status=${query.status}` : ""}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(tableSlot, h("p", { class: "muted" }, "Requests are not available on this server."));
        return;
      }
      throw err;
    }
    const mineToAnswer = new Set(store.answerStates());
    const moves = movesByRequest();
    markList(container, items);
    replace(
      tableSlot,
      items.length
        ? h(
            "table",
            { class: "data", dataset: { table: "requests" } },
            h("caption", { class: "visually-hidden" }, "Requests, newest first"),
            h(
              "thead",
              {},
              h("tr", {}, ["Request", "Status", "Your move", "From", "Addressed", "Addressed to you", "Needed by", "Answer deadline"].map((t) => h("th", { scope: "col" }, t))),
            ),
            h(
              "tbody",
              {},
              items.map((r) => {
                const zone = store.stateZone(r.requesting_state);
                const mine = (r.addressed_states || []).filter((s) => mineToAnswer.has(s));
                return h(
                  "tr",
                  { dataset: { requestId: r.id }, class: highlight.has(r.id) ? "is-highlight" : null },
                  h(
                    "td",
                    {},
                    h("a", { href: `#/requests/${r.id}` }, `#${r.id} ${crisisLabel(r.crisis_type)}, ${r.place_name}`),
                    r.exercise ? h("span", { class: "tag tag--exercise" }, "Exercise") : null,
                    h("span", { class: "tag tag--classification" }, r.marking),
                  ),
                  h("td", {}, badge(r.status)),
                  h("td", { class: "your-move", dataset: { yourMove: (moves.get(r.id) || []).length } }, yourMove(moves.get(r.id))),
                  h("td", {}, r.requesting_state),
                  h("td", {}, (r.addressed_states || []).join(", ") || "—"),
                  h("td", {}, mine.length ? mine.join(", ") : "—"),
                  h("td", {}, dualTime(r.needed_by, zone, { otherLabel: r.requesting_state, relativeToo: true })),
                  h(
                    "td",
                    { dataset: { deadline: DEADLINE_COUNTS.has(r.status) ? "counting" : "over" } },
                    DEADLINE_COUNTS.has(r.status) ? dualTime(r.answer_deadline, zone, { otherLabel: r.requesting_state, relativeToo: true }) : h("span", { class: "muted" }, "No answer awaited"),
                  ),
                );
              }),
            ),
          )
        : h("p", { class: "muted" }, "No request."),
    );
  }

  await load();
  const reload = debounce(load, 150);
  // The inbox is recomputed on the same live events: redraw the "Your move" column when it is.
  const offInbox = inbox.onChange(() => reload());
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("request.") || type.startsWith("answer.") || type.startsWith("deployment.")) {
        const rid = eventRequestId(ev);
        if (rid) highlight.add(rid);
        reload();
      }
    },
    refresh: reload,
    unmount: () => {
      reload.cancel();
      offInbox();
    },
  };
}
