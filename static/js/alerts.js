/**
 * Alerts to the duty officer (issue 15): a bar over the console that rings until every alert is
 * acknowledged. The ring is a beep made with WebAudio (no sound file, nothing from a CDN) every
 * few seconds, plus a browser notification (the Notification API) when the page allows it.
 *
 * Sources: GET /api/v1/alerts on sign-in and after a resync (the alerts still ringing), the live
 * events `alert.raised` (to this person's own room) and `alert.acknowledged` (from anywhere:
 * another device, the link of an email). The content is the alert's own: reference, kind,
 * requesting state, deadline; the request itself opens in its view as usual.
 */

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { fmt } from "./time.js";

const RING_MS = 4000;
const LABELS = {
  request_submitted: "Request for assistance submitted",
  deadline_soon: "Answer deadline in 30 minutes",
  answer_overdue: "Answer overdue",
  counter_proposal: "Counter-proposal to decide",
  deployment_alerted: "Unit alerted for deployment",
  deployment_recalled: "Deployment recalled",
};

const state = { ringing: new Map(), timer: null, audio: null, beeps: 0, bar: null };

function bar() {
  if (!state.bar) {
    state.bar = h("section", { class: "alert-bar", id: "alert-bar", role: "alert", "aria-live": "assertive", hidden: true });
    document.body.prepend(state.bar);
  }
  return state.bar;
}

/** One short two-tone beep; the context is made on first use (browsers may hold it until a gesture). */
function beep() {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    state.audio = state.audio || new Context();
    const ctx = state.audio;
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    [880, 660].forEach((hz, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(ctx.destination);
      const start = ctx.currentTime + i * 0.25;
      osc.start(start);
      osc.stop(start + 0.2);
    });
    state.beeps += 1;
    bar().dataset.beeps = String(state.beeps);
  } catch (err) {
    console.warn("alert beep", err);
  }
}

function notify(alert) {
  if (!("Notification" in window)) return;
  const show = () => {
    try {
      const note = new Notification(`ATLAS ${alert.reference}: ${LABELS[alert.kind] || alert.kind}`, {
        body: `Requesting state ${alert.requesting_state || "-"}${alert.deadline ? `, deadline ${fmt(alert.deadline)}` : ""}`,
        tag: `atlas-alert-${alert.id}`,
        requireInteraction: true,
      });
      note.onclick = () => window.focus();
    } catch (err) {
      console.warn("notification", err);
    }
  };
  if (Notification.permission === "granted") show();
  else if (Notification.permission === "default") Notification.requestPermission().then((p) => p === "granted" && show());
}

async function acknowledge(alert, button) {
  button.disabled = true;
  try {
    await api.post(`/api/v1/alerts/${alert.id}/ack`, {});
    drop(alert.id);
  } catch (err) {
    button.disabled = false;
    console.error("acknowledge", err);
  }
}

function render() {
  const el = bar();
  const alerts = [...state.ringing.values()];
  el.hidden = alerts.length === 0;
  document.body.dataset.alertRinging = alerts.length ? "true" : "false";
  replace(
    el,
    ...alerts.map((alert) => {
      const button = h("button", { type: "button", class: "btn btn--small alert-bar__ack" }, "Acknowledge");
      button.addEventListener("click", () => acknowledge(alert, button));
      return h(
        "div",
        { class: "alert-bar__item", dataset: { alertId: alert.id, kind: alert.kind } },
        h("strong", {}, `${alert.reference}: ${LABELS[alert.kind] || alert.kind}`),
        h("span", {}, ` requesting state ${alert.requesting_state || "-"}`),
        alert.deadline ? h("span", {}, `, deadline ${fmt(alert.deadline)}`) : null,
        alert.request_id ? h("a", { href: `#/requests/${alert.request_id}`, class: "alert-bar__open" }, "Open") : null,
        button,
      );
    }),
  );
  if (alerts.length && !state.timer) {
    beep();
    state.timer = setInterval(beep, RING_MS);
  } else if (!alerts.length && state.timer) {
    clearInterval(state.timer);
    state.timer = null;
  }
}

function add(alert) {
  if (!alert || alert.status === "acknowledged" || state.ringing.has(alert.id)) return;
  state.ringing.set(alert.id, alert);
  notify(alert);
  render();
}

function drop(alertId) {
  if (state.ringing.delete(alertId)) render();
}

/** Load the alerts still ringing (sign-in, resync). */
export async function reload() {
  try {
    const body = await api.get("/api/v1/alerts", { quietAuth: true });
    state.ringing.clear();
    body.items.forEach((item) => state.ringing.set(item.id, { ...item, alert_id: item.id }));
    render();
  } catch (err) {
    if (!(err instanceof api.ApiError)) console.error(err);
  }
}

/**
 * The live events of alerts; other events are ignored. `me` is the signed-in user's id: an
 * `alert.raised` rings only for the person it was sent to (the support office sees it in its feed).
 */
export function onEvent(ev, me) {
  const d = ev?.data || {};
  if (ev?.type === "alert.raised" && d.for === me) add({ ...d, id: d.alert_id });
  else if (ev?.type === "alert.acknowledged") drop(d.alert_id);
}

export function stop() {
  state.ringing.clear();
  render();
}
