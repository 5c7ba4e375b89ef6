/**
 * The inbox's state for the whole console: what needs the signed-in user's action now
 * (GET /api/v1/inbox), and the count in the top bar. It is recomputed by the server whenever a
 * live event about requests, answers or deployments arrives (and after a resync), never polled:
 * the server alone decides what is mine to do, with the same need-to-know as every other read.
 */

import { get, ApiError } from "./api.js";
import * as live from "./live.js";
import { debounce } from "./util.js";

/** Event types after which the inbox may have changed (duty alerts will add "alert."). */
export const RELEVANT_EVENTS = ["request.", "answer.", "deployment.", "alert."];

const state = { items: [], loaded: false, running: false, listeners: new Set(), unsubscribe: [] };

export function items() {
  return state.items;
}

export function loaded() {
  return state.loaded;
}

/** fn(items) after every recomputation; returns an unsubscribe function. */
export function onChange(fn) {
  state.listeners.add(fn);
  return () => state.listeners.delete(fn);
}

function renderBadge() {
  const link = document.getElementById("inbox-link");
  const count = document.getElementById("inbox-count");
  if (!link || !count) return;
  const n = state.items.length;
  link.hidden = !state.running;
  count.textContent = String(n);
  count.dataset.count = String(n);
  link.classList.toggle("inbox-link--busy", n > 0);
  const label = n === 0 ? "Inbox: nothing needs your action" : `Inbox: ${n} ${n === 1 ? "item needs" : "items need"} your action`;
  link.setAttribute("aria-label", label);
  link.title = label;
}

/** Ask the server again; the badge and any open inbox view follow. */
export async function refresh() {
  if (!state.running) return;
  try {
    const body = await get("/api/v1/inbox");
    if (!state.running) return;
    state.items = body.items || [];
    state.loaded = true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return; // signed out or server away: the badge keeps its last count
  }
  renderBadge();
  for (const fn of state.listeners) fn(state.items);
}

const refreshSoon = debounce(() => refresh().catch((err) => console.error("inbox", err)), 250);

export function isRelevant(ev) {
  const type = String(ev?.type || "");
  return RELEVANT_EVENTS.some((prefix) => type.startsWith(prefix));
}

/** Start after sign-in: load once, then follow the live events. */
export function start() {
  if (state.running) return refresh();
  state.running = true;
  state.unsubscribe = [
    live.onEvent((ev) => {
      if (isRelevant(ev)) refreshSoon();
    }),
    live.onResync(() => refreshSoon()),
  ];
  renderBadge();
  return refresh();
}

/** Stop on sign-out: forget the items and hide the badge. */
export function stop() {
  state.running = false;
  state.items = [];
  state.loaded = false;
  refreshSoon.cancel();
  for (const off of state.unsubscribe) off();
  state.unsubscribe = [];
  renderBadge();
}
