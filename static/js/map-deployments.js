/**
 * Where deployed units are now, for the map: a unit ON SCENE is at the crisis site; a unit
 * EN ROUTE is estimated along the way from its station to the site by the share of its travel
 * time already elapsed (departure → ETA); every other unit is at its station. Only deployments
 * of requests the viewer may see are known here (need-to-know), so other units stay home.
 *
 * Pure functions (no Leaflet) plus one helper that draws the route of a travelling unit.
 */

/* global L */

/** Statuses in which the unit has left its station. */
export const AWAY = new Set(["EN_ROUTE", "ON_SCENE"]);
// When one unit appears on several visible requests, the one that moves it wins.
const PRECEDENCE = { ON_SCENE: 3, EN_ROUTE: 2, MOBILISING: 1, ACCEPTED: 1, ALERTED: 0 };

/**
 * The current deployment of each unit across the loaded requests:
 * unit id → {deployment, request, site: {lat, lon}}.
 */
export function currentDeployments(requests) {
  const byUnit = new Map();
  for (const request of requests) {
    const site = request?.crisis?.site;
    if (!site) continue;
    for (const deployment of request.deployments || []) {
      const rank = PRECEDENCE[deployment.status];
      if (rank === undefined) continue;
      const seen = byUnit.get(deployment.unit.id);
      if (!seen || PRECEDENCE[seen.deployment.status] < rank) byUnit.set(deployment.unit.id, { deployment, request, site });
    }
  }
  return byUnit;
}

/** Share of the journey done at `now` (0 at departure, 1 at the ETA); null when unknown. */
export function travelled(deployment, now = Date.now()) {
  const start = Date.parse(deployment.departed_at || "");
  const end = Date.parse(deployment.eta || "");
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return null;
  return Math.min(1, Math.max(0, (now - start) / (end - start)));
}

/**
 * Where to draw the unit: {lat, lon, where: "station" | "en_route" | "on_scene", share?}.
 * `station` is the unit's base ({lat, lon}); `current` an entry of {@link currentDeployments}.
 */
export function placeOf(station, current, now = Date.now()) {
  const home = { lat: station.lat, lon: station.lon, where: "station" };
  if (!current) return home;
  const { deployment, site } = current;
  if (deployment.status === "ON_SCENE") return { lat: site.lat, lon: site.lon, where: "on_scene" };
  if (deployment.status !== "EN_ROUTE") return home;
  // Without a departure time the estimate is the half-way point, and says so (share null).
  const share = travelled(deployment, now);
  const f = share ?? 0.5;
  return {
    lat: station.lat + (site.lat - station.lat) * f,
    lon: station.lon + (site.lon - station.lon) * f,
    where: "en_route",
    share,
  };
}

/** A plain-words line for the unit's tooltip and label: "On scene since 10:05" / "En route, about 40 % of the way". */
export function placeText(place, current, formatTime) {
  if (!current || place.where === "station") return current ? `At its station (${statusWords(current.deployment.status)})` : "At its station";
  if (place.where === "on_scene") {
    const since = current.deployment.arrived_at ? ` since ${formatTime(current.deployment.arrived_at)}` : "";
    return `On scene${since} (request #${current.request.id})`;
  }
  const eta = current.deployment.eta ? `, ETA ${formatTime(current.deployment.eta)}` : "";
  const share = place.share === null || place.share === undefined ? "position estimated" : `about ${Math.round(place.share * 100)} % of the way`;
  return `En route to request #${current.request.id}: ${share}${eta}`;
}

function statusWords(status) {
  return String(status || "").replace(/_/g, " ").toLowerCase();
}

/** The route of a travelling unit, station to site: a thin solid line under the markers. */
export function routeLine(station, site, { renderer } = {}) {
  return L.polyline(
    [
      [station.lat, station.lon],
      [site.lat, site.lon],
    ],
    { color: "#7d3c98", weight: 2, opacity: 0.8, interactive: false, className: "atlas-route-line", ...(renderer ? { renderer } : {}) },
  );
}
