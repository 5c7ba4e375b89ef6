/**
 * A candidate's journey on a map, leg by leg: the ranking's route legs (`eta.steps`, each with its
 * `points` as [lat, lon] from start to end) drawn as polylines, one style per kind of leg, so a
 * reader tells at a glance a convoy (solid) from a flight (dashed) from a crossing by sea (dotted):
 *   road, bridge, shuttle  solid
 *   flight                 dashed
 *   helicopter             dash-dot
 *   ferry, boat            dotted, sea blue
 * A `wait` leg (at an airfield) has one point and draws nothing. A candidate without legs (an
 * older snapshot) gets the straight dashed line from its station to the site, as before.
 *
 * Needs Leaflet (global L), like basemap.js. No state: the caller owns the layer it adds to.
 */
/* global L */

import { candidateLine, toLatLng } from "./basemap.js";

const INK = "#1d2b3a";
const SEA = "#1f6fb2";

/** Leaflet path options of a leg's mode (every line keeps the candidate-line class for tests). */
export const LEG_STYLES = {
  road: { color: INK, dashArray: null },
  bridge: { color: INK, dashArray: null },
  shuttle: { color: INK, dashArray: null },
  flight: { color: INK, dashArray: "10 7" },
  helicopter: { color: INK, dashArray: "12 5 2 5" },
  ferry: { color: SEA, dashArray: "2 6", lineCap: "round" },
  boat: { color: SEA, dashArray: "2 6", lineCap: "round" },
};

/** The legs of candidate `c` that can be drawn: two points or more, a known mode. */
export function drawableLegs(c) {
  const steps = c?.eta?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.filter((leg) => Array.isArray(leg.points) && leg.points.length >= 2 && LEG_STYLES[leg.mode]);
}

/**
 * A layer group with candidate `c`'s route to `site`: one polyline per leg, or the straight line
 * from `from` (its station) when the ranking gave no legs.
 */
export function routeLines(c, from, site, { renderer } = {}) {
  const group = L.layerGroup();
  const legs = drawableLegs(c);
  if (!legs.length) {
    if (from) candidateLine(from, site, { renderer }).addTo(group);
    return group;
  }
  for (const leg of legs) {
    const style = LEG_STYLES[leg.mode];
    L.polyline(
      leg.points.map((p) => toLatLng(p)),
      {
        color: style.color,
        weight: 2.5,
        opacity: 0.9,
        dashArray: style.dashArray,
        lineCap: style.lineCap || "butt",
        interactive: false,
        className: `atlas-candidate-line atlas-route-leg atlas-route-leg--${leg.mode}`,
        ...(renderer ? { renderer } : {}),
      },
    ).addTo(group);
  }
  return group;
}
