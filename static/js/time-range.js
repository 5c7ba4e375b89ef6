/**
 * One time range in one zone, both dates written: "09 Dec 08:00 – 11 Dec 18:00 CET", or
 * "09 Dec 08:00 – 18:00 CET" within a day. The zone's name is written once, at the end; the year
 * only when the range is not in the current year. (time.js's `fmt` writes the zone after every
 * instant, which doubles the text of every range in a list.)
 */

import { partsIn, toDate, viewerZone } from "./time.js";

// One formatter per zone (building one is the costly part); the name is read for each instant,
// since it changes within a month at a daylight-saving change (CET before 28 March, CEST after).
const zoneFormatters = new Map();

function zoneName(d, timeZone) {
  if (!zoneFormatters.has(timeZone)) {
    zoneFormatters.set(timeZone, new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "short" }));
  }
  const part = zoneFormatters.get(timeZone).formatToParts(d).find((p) => p.type === "timeZoneName");
  return part ? part.value : timeZone;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

function dayText(p, withYear) {
  return `${pad(p.day)} ${MONTHS[p.month - 1]}${withYear ? ` ${p.year}` : ""}`;
}

/** The range from `start` to `end` (null: open-ended) in `timeZone` (default: the viewer's). */
export function timeRange(start, end, timeZone = viewerZone()) {
  const from = toDate(start);
  if (!from) return "—";
  const to = toDate(end);
  const a = partsIn(from, timeZone);
  const thisYear = partsIn(new Date(), timeZone).year;
  const b = to ? partsIn(to, timeZone) : null;
  const withYear = a.year !== thisYear || (b && b.year !== a.year);
  const first = `${dayText(a, withYear)} ${pad(a.hour)}:${pad(a.minute)}`;
  if (!b) return `from ${first} ${zoneName(from, timeZone)}, open-ended`;
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  const last = `${sameDay ? "" : `${dayText(b, withYear)} `}${pad(b.hour)}:${pad(b.minute)}`;
  const zoneA = zoneName(from, timeZone);
  const zoneB = zoneName(to, timeZone);
  return zoneA === zoneB ? `${first} – ${last} ${zoneB}` : `${first} ${zoneA} – ${last} ${zoneB}`;
}

