/**
 * "What needs my action now": the inbox, soonest deadline first. Each item says what to do in
 * plain words, names the request, shows the deadline in the viewer's zone beside the zone of
 * the State concerned, and links to where it is done. It follows the live events (inbox.js).
 */

import { post } from "./api.js";
import { h, replace } from "./dom.js";
import * as inbox from "./inbox.js";
import { markList } from "./marking.js";
import * as store from "./store.js";
import { dualTime } from "./time.js";

const KIND_LABELS = {
  answer_due: "Answer due",
  counter_to_decide: "Counter-proposal to decide",
  deployment_step: "Deployment report",
  alert_to_acknowledge: "Duty alert",
};

/** A duty alert is done here: acknowledging it stops the ring and the escalation. */
function acknowledgeButton(item) {
  const button = h("button", { type: "button", class: "btn btn--small" }, "Acknowledge");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await post(`/api/v1/alerts/${item.alert_id}/ack`, {});
      await inbox.refresh();
    } catch (err) {
      button.disabled = false;
      button.title = err.message;
    }
  });
  return button;
}

function deadlineOf(item) {
  if (!item.deadline) return h("span", { class: "muted" }, "No deadline");
  const overdue = new Date(item.deadline).getTime() < Date.now();
  const zoneState = item.requesting_state;
  return h(
    "span",
    { class: ["inbox-item__deadline", overdue && "is-overdue"] },
    overdue ? h("strong", {}, "Overdue: ") : null,
    dualTime(item.deadline, zoneState ? store.stateZone(zoneState) : null, { otherLabel: zoneState || "", relativeToo: true }),
  );
}

function itemRow(item) {
  return h(
    "li",
    { class: "inbox-item", dataset: { kind: item.kind, requestId: item.request_id, deploymentId: item.deployment_id ?? undefined, alertId: item.alert_id ?? undefined } },
    h("span", { class: `tag inbox-item__kind inbox-item__kind--${item.kind}` }, KIND_LABELS[item.kind] || "To do"),
    h("a", { class: "inbox-item__title", href: item.link }, item.title),
    h("span", { class: "inbox-item__ref" }, item.reference, item.alert_id ? [" ", acknowledgeButton(item)] : null),
    deadlineOf(item),
  );
}

export async function mount(container) {
  const listSlot = h("div", { class: "inbox", "aria-live": "polite" });
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Your inbox: what needs your action now")),
    h("p", { class: "muted" }, "Soonest deadline first. Items leave the list as soon as they are done, here or elsewhere."),
    listSlot,
  );

  function render(items) {
    markList(container, items); // the highest marking among the requests listed
    replace(
      listSlot,
      items.length
        ? h("ol", { class: "inbox-list", dataset: { count: items.length } }, items.map(itemRow))
        : h("p", { class: "muted inbox-empty", dataset: { count: 0 } }, "Nothing needs your action now."),
    );
  }

  render(inbox.items());
  const off = inbox.onChange(render);
  await inbox.refresh();
  return {
    refresh: () => inbox.refresh(),
    unmount: off,
  };
}
