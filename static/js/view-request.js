/**
 * One assistance request: its head, tabs and live presence line, and the tab being shown:
 * the overview (request/overview.js: summary, answers with request/answers.js, deployments),
 * the candidate ranking (request/candidates.js), the timeline and the audit trail
 * (request/history.js). Re-fetched whenever a live event concerns it; open forms survive
 * unrelated updates (forms.js: kept nodes, focus and caret handed back).
 */

import { get, post } from "./api.js";
import { badge, h, replace } from "./dom.js";
import { keepingFocus, keptNodes, sendAction, sendForm } from "./forms.js";
import * as live from "./live.js";
import { rankingTab } from "./request/candidates.js";
import { renderAudit, renderTimeline } from "./request/history.js";
import { markPage } from "./marking.js";
import { renderOverview } from "./request/overview.js";
import * as store from "./store.js";
import { debounce, requestTitle } from "./util.js";

const TABS = [
  ["", "Overview"],
  ["ranking", "Candidates"],
  ["timeline", "Timeline"],
  ["audit", "Audit"],
];

export async function mount(container, { params, setTitle }) {
  const id = Number(params.id);
  const tab = params.tab === "answers" || params.tab === "deployments" ? "" : params.tab || "";
  let request = await get(`/api/v1/requests/${id}`);
  setTitle(`Request #${id}`);

  const head = h("div", { class: "page-head" });
  const presenceEl = h("p", { class: "presence", "aria-live": "polite", dataset: { presence: "" } });
  const tabs = h(
    "ul",
    { class: "tabs", role: "list" },
    TABS.map(([key, label]) =>
      h("li", {}, h("a", { href: `#/requests/${id}${key ? `/${key}` : ""}`, "aria-current": key === tab ? "page" : null, dataset: { tab: key || "overview" } }, label)),
    ),
  );
  const body = h("div", { class: "request-body", dataset: { requestId: id } });
  container.append(head, presenceEl, h("nav", { "aria-label": "Request sections" }, tabs), body);

  const { keep, prune } = keptNodes(); // so that open forms survive re-renders
  /** What the tabs share: the request as now known, and how to act on it. */
  const view = {
    id,
    body,
    get request() {
      return request;
    },
    keep,
    reload,
    /** With several answer forms (an administrator), the state whose form is open (request/answers.js). */
    openAnswer: undefined,
    zone: () => store.stateZone(request.requesting_state),
    reqLabel: () => request.requesting_state,
    isRequester: () => store.isAdmin() || store.raiseStates().includes(request.requesting_state),
    /** Send a form's payload to `path`, then reload; an API error shows in the form. */
    submit: (form, path, payload) =>
      sendForm(form, async () => {
        await post(path, payload);
        await reload();
      }),
    /** An action button: post to `path`, then reload; an API error shows at the top of `box`. */
    act: (button, path, payload, box) =>
      sendAction(button, box, async () => {
        await post(path, payload);
        await reload();
      }),
  };
  const ranking = rankingTab(view);

  function renderHead() {
    replace(
      head,
      h("h1", {}, requestTitle(request)),
      badge(request.status),
      request.exercise ? h("span", { class: "tag tag--exercise" }, "Exercise") : null,
      h("span", { class: "tag tag--classification" }, request.marking),
      h("span", { class: "muted" }, `Requested by ${store.stateName(request.requesting_state)}`),
    );
    markPage(container, request.marking, { exercise: request.exercise });
  }

  // ---------------------------------------------------------------- live

  function renderPresence(summary) {
    if (!summary || summary.request_id !== id) return;
    const roles = Object.entries(summary.roles || {}).map(([label, n]) => `${n} ${grantLabel(label)}`);
    presenceEl.textContent = `Viewing now: ${summary.count} ${summary.count === 1 ? "person" : "people"}${roles.length ? ` (${roles.join(", ")})` : ""}`;
    presenceEl.dataset.count = String(summary.count);
  }

  function grantLabel(label) {
    const [role, scope] = String(label).split(":");
    const unitName = role === "unit_commander" && scope ? store.unitName(Number(scope)) : null;
    return store.roleLabel({ role, state: unitName ? null : scope || null, unit_id: unitName ? Number(scope) : null });
  }

  async function render() {
    // A live update may re-render while someone is typing in a kept form: keep the keyboard there.
    await keepingFocus(body, async () => {
      renderHead();
      if (tab === "ranking") await ranking.render();
      else if (tab === "timeline") await renderTimeline(view);
      else if (tab === "audit") await renderAudit(view);
      else renderOverview(view);
      body.dataset.version = String(request.version);
      body.dataset.status = request.status;
    });
  }

  // Reloads overlap (an action's own reload, and those its events trigger): only the latest
  // one may render, so a slow, older answer never paints over a newer state.
  let reloadTicket = 0;
  async function reload() {
    const ticket = ++reloadTicket;
    const fresh = await get(`/api/v1/requests/${id}`);
    if (ticket !== reloadTicket) return;
    request = fresh;
    await render();
    // Drop kept nodes that are no longer shown (their keys carry versions).
    prune(body);
  }

  const reloadSoon = debounce(reload, 120);
  const offPresence = live.onPresence(renderPresence);
  live.watchRequest(id);
  await render();

  // An addressed state's authority acknowledges receipt when it opens the request.
  const unseen = (request.answers || []).filter((a) => store.answerStates().includes(a.state) && !a.seen_at);
  if (unseen.length) {
    const reply = await live.ackRequest(id);
    if (!reply || !reply.ok) {
      await post(`/api/v1/requests/${id}/seen`, {}).catch(() => null);
    }
    reloadSoon();
  }

  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (live.eventRequestId(ev) === id) reloadSoon();
      else if (type.startsWith("readiness.") && tab === "") renderOverview(view);
    },
    refresh() {
      reloadSoon();
    },
    unmount() {
      reloadSoon.cancel();
      offPresence();
      live.unwatchRequest(id);
      ranking.unmount();
    },
  };
}
