/** Small shared helpers: debounced refresh, request labels, status groups. */

import { humanise } from "./dom.js";

// The classification banners of the views that list requests (marking.js).
export { markList } from "./marking.js";

/** Run `fn` at most once per `ms` burst (trailing), returning a promise-less trigger. */
export function debounce(fn, ms = 150) {
  let timer = null;
  let pending = false;
  let running = false;
  const run = async () => {
    timer = null;
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      await fn();
    } catch (err) {
      console.error(err);
    } finally {
      running = false;
      if (pending) {
        pending = false;
        trigger();
      }
    }
  };
  const trigger = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  trigger.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    pending = false;
  };
  return trigger;
}

export const OPEN_REQUEST = new Set(["DRAFT", "SUBMITTED", "PARTIALLY_MET", "MET"]);
/** Requests still waiting for answers and for units: their deadlines count down, their candidates are drawn. */
export const AWAITING_ANSWERS = new Set(["SUBMITTED", "PARTIALLY_MET"]);
/** Requests whose answer deadline still counts down ("in 26 minutes"); never MET, CLOSED or WITHDRAWN ones. */
export const DEADLINE_COUNTS = new Set(["DRAFT", ...AWAITING_ANSWERS]);

export const CRISIS_TYPES = [
  ["hostage_taking", "Hostage taking"],
  ["aircraft_hijacking", "Aircraft hijacking"],
  ["maritime_hijacking", "Maritime hijacking"],
  ["bus_hijacking", "Bus hijacking"],
  ["train_hijacking", "Train hijacking"],
  ["terrorist_siege", "Terrorist siege"],
  ["other", "Other"],
];

export const ASSISTANCE_KINDS = [
  ["EQUIPMENT", "Equipment"],
  ["EXPERTISE", "Expertise"],
  ["ACTION_ARMED", "Action on the territory, armed"],
  ["ACTION_UNARMED", "Action on the territory, unarmed"],
];

export const COUNTER_KINDS = [
  ["other_assistance_kind", "Another kind of assistance"],
  ["other_units", "Other units"],
  ["fewer_personnel", "Fewer personnel"],
  ["later_arrival", "A later arrival"],
];

export function crisisLabel(type) {
  return (CRISIS_TYPES.find(([v]) => v === type) || [null, humanise(type)])[1];
}

export function kindLabel(kind) {
  return (ASSISTANCE_KINDS.find(([v]) => v === kind) || [null, humanise(kind)])[1];
}

export function counterKindLabel(kind) {
  return (COUNTER_KINDS.find(([v]) => v === kind) || [null, humanise(kind)])[1];
}

/** "Request #12 · Aircraft hijacking, Brussels Airport" */
export function requestTitle(r) {
  const place = r.place_name || r.crisis?.place_name || "";
  const type = crisisLabel(r.crisis_type || r.crisis?.type);
  return `Request #${r.id} · ${type}${place ? `, ${place}` : ""}`;
}

export function km(metres) {
  if (metres === null || metres === undefined) return "—";
  return `${Math.round(Number(metres) / 1000).toLocaleString()} km`;
}

export function pct(x) {
  if (x === null || x === undefined) return "—";
  return `${Math.round(Number(x) * 100)} %`;
}

export function num(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
  return Number(x).toFixed(digits);
}
