/**
 * Times for people in different states: every instant is shown in the viewer's zone and, beside
 * it, in the requesting state's zone (Intl.DateTimeFormat with timeZone; zones come from
 * GET /api/v1/states).
 */

import { h } from "./dom.js";

export const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const formatters = new Map();
function formatter(timeZone, style) {
  const key = `${timeZone}|${style}`;
  if (!formatters.has(key)) {
    const options =
      style === "time"
        ? { hour: "2-digit", minute: "2-digit", timeZone, timeZoneName: "short" }
        : style === "date"
          ? { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone }
          : style === "daytime"
            ? { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", timeZone, timeZoneName: "short" }
            : style === "seconds"
            ? { day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone, timeZoneName: "short" }
            : { day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone, timeZoneName: "short" };
    let fmt;
    try {
      fmt = new Intl.DateTimeFormat(undefined, options);
    } catch {
      fmt = new Intl.DateTimeFormat(undefined, { ...options, timeZone: "UTC" });
    }
    formatters.set(key, fmt);
  }
  return formatters.get(key);
}

export function toDate(value) {
  if (value instanceof Date) return value;
  if (value === null || value === undefined || value === "") return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "28 Nov 2026, 14:05 CET" in `timeZone` (default: the viewer's). */
export function fmt(value, timeZone = viewerZone(), style = "datetime") {
  const d = toDate(value);
  return d ? formatter(timeZone, style).format(d) : "—";
}

/** Relative "in 3 h" / "12 min ago". */
export function relative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "";
  const diff = d.getTime() - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 48 * 3_600_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

/**
 * A <time> showing the instant in the viewer's zone and in `otherZone` side by side
 * (only once when both zones give the same wall time).
 */
export function dualTime(value, otherZone, { otherLabel = "", relativeToo = false, showSame = false, seconds = false } = {}) {
  const d = toDate(value);
  if (!d) return h("span", { class: "time time--none" }, "—");
  const mine = viewerZone();
  const style = seconds ? "seconds" : "datetime";
  const local = fmt(d, mine, style);
  const el = h("time", { class: "time", datetime: d.toISOString() }, h("span", { class: "time__mine", title: `Your time zone: ${mine}` }, local));
  if (otherZone && fmt(d, otherZone, style) !== local) {
    el.append(
      h(
        "span",
        { class: "time__other", title: `${otherLabel ? `${otherLabel} time` : "Requesting state's time"}: ${otherZone}` },
        `${otherLabel ? `${otherLabel} ` : ""}${fmt(d, otherZone, style)}`,
      ),
    );
  } else if (otherZone && otherLabel && showSame) {
    el.append(h("span", { class: "time__other time__other--same" }, `same in ${otherLabel}`));
  }
  if (relativeToo) el.append(h("span", { class: "time__rel" }, relative(d)));
  return el;
}

/** Value for <input type="datetime-local"> of an instant in the viewer's zone. */
export function toLocalInput(value) {
  const d = toDate(value);
  if (!d) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** ISO instant (with offset) from a datetime-local value read in the viewer's zone; null if empty. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value); // datetime-local without offset is read as local time
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** The wall-clock parts of an instant in a zone: {year, month, day, hour, minute, weekday}. */
export function partsIn(value, timeZone) {
  const d = toDate(value);
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    weekday: "short",
  }).formatToParts(d);
  const get = (type) => parts.find((p) => p.type === type)?.value;
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    hour: Number(get("hour")),
    minute: Number(get("minute")),
    weekday: get("weekday"),
  };
}

/** YYYY-MM-DD of a Date in the viewer's zone. */
export function isoDay(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Parse YYYY-MM-DD as a local date (midnight, viewer's zone). */
export function parseDay(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || "");
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export function addDays(d, n) {
  const out = new Date(d);
  out.setDate(out.getDate() + n);
  return out;
}

/** Monday of the week containing d (local). */
export function startOfWeek(d) {
  const out = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const dow = (out.getDay() + 6) % 7;
  out.setDate(out.getDate() - dow);
  return out;
}

export function startOfMonth(d) {
  return new Date(d.getFullYear(), d.getMonth(), 1);
}

/** Minutes as "2 h 05 min". */
export function minutes(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  const total = Math.round(Number(value));
  const hours = Math.floor(total / 60);
  const mins = total % 60;
  if (!hours) return `${mins} min`;
  return `${hours} h ${String(mins).padStart(2, "0")} min`;
}

/**
 * The UTC instant of a wall time ("2027-03-10T09:00") in an IANA zone (for hints beside
 * venue-local inputs). DST gaps resolve forward, like the server's reading.
 */
export function zonedToUtc(localValue, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(localValue || "");
  if (!m) return null;
  const wanted = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let guess = wanted;
  for (let i = 0; i < 3; i += 1) {
    const p = partsIn(new Date(guess), timeZone);
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    const diff = wanted - seen;
    if (diff === 0) break;
    guess += diff;
  }
  return new Date(guess);
}

/** "2027-03-10T09:00" wall time of an instant in a zone (for datetime-local inputs). */
export function toZonedInput(value, timeZone) {
  const d = toDate(value);
  if (!d) return "";
  const p = partsIn(d, timeZone);
  const pad = (n) => String(n).padStart(2, "0");
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/**
 * A range in one zone, both dates when they differ: "09 Dec 08:00 – 11 Dec 18:00 CET", or
 * "09 Dec 2026, 08:00 – 18:00 CET" within one day.
 */
export function fmtRange(start, end, timeZone = viewerZone()) {
  const a = toDate(start);
  const b = toDate(end);
  if (!a) return "—";
  if (!b) return `${fmt(a, timeZone)} – open-ended`;
  const pa = partsIn(a, timeZone);
  const pb = partsIn(b, timeZone);
  const sameDay = pa.year === pb.year && pa.month === pb.month && pa.day === pb.day;
  // The zone once, at the end.
  const startText = withoutZone(formatter(timeZone, sameDay ? "datetime" : "daytime"), a);
  return `${startText} – ${fmt(b, timeZone, sameDay ? "time" : "daytime")}`;
}

function withoutZone(dateFormat, d) {
  return dateFormat
    .formatToParts(d)
    .filter((p) => p.type !== "timeZoneName")
    .map((p) => p.value)
    .join("")
    .replace(/[\s,]+$/, "");
}

/** A range shown in the viewer's zone, and in `otherZone` beside it when that reads differently. */
export function dualRange(start, end, otherZone, { otherLabel = "" } = {}) {
  const mine = fmtRange(start, end);
  const el = h("span", { class: "time time--range" }, h("span", { class: "time__mine", title: `Your time zone: ${viewerZone()}` }, mine));
  const other = otherZone ? fmtRange(start, end, otherZone) : null;
  if (other && other !== mine) el.append(h("span", { class: "time__other", title: `${otherLabel || "Other"} time: ${otherZone}` }, `${otherLabel ? `${otherLabel} ` : ""}${other}`));
  return el;
}

const UTC_IN_TEXT = /\b(?:(\d{4}-\d{2}-\d{2}) )?(\d{2}):(\d{2}) UTC\b/g;

/**
 * A server sentence that names instants in UTC ("arrives 10:05 UTC, needed by 09:00 UTC",
 * "at the earliest 2026-12-09 08:00 UTC") rewritten in the viewer's zone, with `otherZone`
 * beside it. A bare "HH:MM UTC" is matched to one of `instants` (ISO times the sentence is
 * about, e.g. the arrival and the deadline) to know its day; one that matches none stays as is.
 */
export function localiseUtcText(text, { instants = [], otherZone = null, otherLabel = "" } = {}) {
  const known = instants.map(toDate).filter(Boolean);
  return String(text ?? "").replace(UTC_IN_TEXT, (match, day, hh, mm) => {
    const d = day ? toDate(`${day}T${hh}:${mm}:00Z`) : known.find((k) => k.getUTCHours() === Number(hh) && k.getUTCMinutes() === Number(mm));
    if (!d) return match;
    const style = day ? "datetime" : "time";
    const mine = fmt(d, viewerZone(), style);
    const other = otherZone ? fmt(d, otherZone, style) : null;
    return other && other !== mine ? `${mine} (${otherLabel ? `${otherLabel} ` : ""}${other})` : mine;
  });
}
