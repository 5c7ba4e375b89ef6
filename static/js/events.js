/**
 * Human text for live events (the feed and the screen-reader live region). Unknown types fall
 * back to a readable form of the type, so a new back-end event never disappears silently.
 */

import { eventRequestId, eventUnitId, subjectId } from "./live.js";
import * as store from "./store.js";

function unitLabel(ev) {
  const d = ev.data || {};
  const id = eventUnitId(ev);
  return d.name || d.unit?.name || d.unit_name || (id && store.unitName(id)) || (id ? `unit ${id}` : "a unit");
}

function words(type) {
  return String(type || "event")
    .replace(/[._]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function describeEvent(ev) {
  const type = String(ev?.type || "");
  const d = ev?.data || {};
  const requestId = eventRequestId(ev);
  const requestHref = requestId ? `#/requests/${requestId}` : null;
  const state = d.state || d.state_code || d.requesting_state || d.request?.requesting_state || "";

  if (type.startsWith("alert.")) {
    const what = type === "alert.acknowledged" ? d.summary || "alert acknowledged" : `${d.reference || "alert"} ${words(type.split(".")[1])}`;
    return { text: `Duty: ${what}`, href: d.request_id ? `#/requests/${d.request_id}` : null };
  }
  if (type === "readiness.changed") {
    const status = d.readiness?.status || d.status || "";
    return { text: `${unitLabel(ev)} (${d.state || store.unit(eventUnitId(ev))?.state || ""}) is now ${status}`, href: eventUnitId(ev) ? `#/units/${eventUnitId(ev)}` : null };
  }
  if (type.startsWith("directory.")) {
    return { text: `Directory: ${unitLabel(ev)} ${type.endsWith("created") ? "added" : "updated"}`, href: null };
  }
  if (type.startsWith("deployment.")) {
    const status = d.status || d.deployment?.status || type.split(".").pop().toUpperCase();
    return { text: `Request #${requestId ?? "?"}: ${unitLabel(ev)} ${String(status).replace(/_/g, " ")}`, href: requestHref };
  }
  if (type === "answer.given") {
    return { text: `Request #${requestId ?? "?"}: ${d.state || "a state"} answered ${String(d.status || "").replace(/_/g, " ")}`, href: requestHref };
  }
  if (type === "answer.counter_accepted" || type === "answer.counter_rejected") {
    return { text: `Request #${requestId ?? "?"}: ${d.state || "a"} counter-proposal ${type.endsWith("accepted") ? "accepted" : "rejected"}`, href: requestHref };
  }
  if (type === "answer.lapsed") {
    // The request was withdrawn or closed before this state answered (services/requests/lifecycle.py).
    const who = d.state ? store.stateName(d.state) || d.state : "an addressed state";
    return { text: `Request #${requestId ?? "?"}: the answer of ${who} is no longer awaited (the request has ended)`, href: requestHref };
  }
  if (type === "request.seen") {
    return { text: `Request #${requestId ?? "?"}: seen by ${d.state || "an addressed state"}`, href: requestHref };
  }
  if (type === "request.status_changed") {
    return { text: `Request #${requestId ?? "?"} is now ${String(d.status || d.to || "").replace(/_/g, " ")}`, href: requestHref };
  }
  if (type.startsWith("request.") || type.startsWith("answer.") || type.startsWith("counter") || type.startsWith("arrangement.") || type.startsWith("cost")) {
    const what = words(type.replace(/^request\./, "").replace(/^answer\./, "answer "));
    const who = d.state && d.state !== state ? ` by ${d.state}` : state ? ` (${state})` : "";
    return { text: `Request #${requestId ?? "?"}: ${what}${who}`, href: requestHref };
  }
  if (type.startsWith("training.") || type.startsWith("trainings.")) {
    const id = d.training_id ?? d.training?.id ?? subjectId(ev.subject, "training");
    const title = d.title || d.training?.title || (id ? `training ${id}` : "a training");
    return { text: `Training: ${title} ${words(type.split(".").slice(1).join(" "))}`, href: id ? `#/trainings/${id}` : "#/trainings" };
  }
  return { text: `${words(type)}${ev.subject ? ` (${ev.subject})` : ""}`, href: requestHref };
}
