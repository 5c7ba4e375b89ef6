/**
 * Keeping every unit visible on the map: markers that would overlap at the current zoom are
 * spread on a small ring around their common place (recomputed on every zoom), a unit at a
 * crisis site is set beside the site's marker rather than under it, and from a close zoom on
 * each unit carries a permanent label (hover and keyboard focus show the tooltip at any zoom).
 *
 * The markers keep their true position in `marker.atlasHome`; only the drawn position moves.
 */

/* global L */

export const LABEL_ZOOM = 7; // from here on, units are labelled on the map
const UNIT_GAP_PX = 16; // two unit circles closer than this overlap
const SITE_GAP_PX = 24; // a unit closer than this to a crisis marker is hidden by it

function groupsOf(points, gap) {
  // Union-find over every pair (a few dozen units: quadratic is fine).
  const parent = points.map((_, i) => i);
  const find = (i) => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const limit = points[i].fixed || points[j].fixed ? SITE_GAP_PX : gap;
      if (points[i].p.distanceTo(points[j].p) < limit) parent[find(i)] = find(j);
    }
  }
  const groups = new Map();
  points.forEach((point, i) => {
    const root = find(i);
    if (!groups.has(root)) groups.set(root, []);
    groups.get(root).push(point);
  });
  return [...groups.values()];
}

function spreadGroup(map, group) {
  const movable = group.filter((g) => !g.fixed);
  const anchor = group.find((g) => g.fixed);
  if (!movable.length) return;
  if (!anchor && movable.length === 1) {
    movable[0].marker.setLatLng(movable[0].marker.atlasHome);
    return;
  }
  const centre = anchor ? anchor.p : movable.reduce((sum, g) => sum.add(g.p), L.point(0, 0)).divideBy(movable.length);
  const radius = Math.max(anchor ? SITE_GAP_PX : UNIT_GAP_PX * 0.75, (movable.length * UNIT_GAP_PX) / (2 * Math.PI));
  // A stable order (by unit id) so a unit does not jump around its ring on every redraw.
  movable.sort((a, b) => (a.marker.unit?.id ?? 0) - (b.marker.unit?.id ?? 0));
  movable.forEach((g, k) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * k) / movable.length + (anchor ? Math.PI / 4 : 0);
    const at = centre.add(L.point(Math.cos(angle) * radius, Math.sin(angle) * radius));
    g.marker.setLatLng(map.layerPointToLatLng(at));
  });
}

/**
 * Spread the unit markers (each with `atlasHome`, a LatLng) away from each other and from the
 * crisis markers (`sites`, L.Marker), at the map's current zoom.
 */
export function spreadMarkers(map, unitMarkers, sites = []) {
  const points = [
    ...unitMarkers.map((marker) => ({ marker, p: map.latLngToLayerPoint(marker.atlasHome), fixed: false })),
    ...sites.map((marker) => ({ marker, p: map.latLngToLayerPoint(marker.getLatLng()), fixed: true })),
  ];
  for (const group of groupsOf(points, UNIT_GAP_PX)) spreadGroup(map, group);
}

/** Permanent name labels beside the drawn unit markers, from {@link LABEL_ZOOM} on. */
export function drawLabels(map, layer, unitMarkers) {
  layer.clearLayers();
  if (map.getZoom() < LABEL_ZOOM) return;
  for (const marker of unitMarkers) {
    const text = document.createElement("span");
    text.className = "atlas-unit-label__text";
    text.textContent = marker.atlasLabel || marker.unit?.name || "";
    const icon = L.divIcon({ className: "atlas-unit-label", html: text, iconSize: null, iconAnchor: [-10, 8] });
    L.marker(marker.getLatLng(), { icon, interactive: false, keyboard: false }).addTo(layer);
  }
}
