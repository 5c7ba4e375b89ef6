/**
 * Offline basemap for the atlas-coord console.
 *
 * No tile server and no CDN: the land is drawn from Natural Earth country
 * polygons (world-atlas, vendored into /static/vendor by
 * scripts/vendor_assets.py) on a sea-coloured container background.
 *
 * Load order in the page (CSP `script-src 'self'`, so no inline scripts):
 *   <link rel="stylesheet" href="/static/vendor/leaflet.css">
 *   <link rel="stylesheet" href="/static/css/map.css">
 *   <script src="/static/vendor/leaflet.js"></script>            (global L)
 *   <script src="/static/vendor/topojson-client.min.js"></script> (global topojson)
 *   <script type="module" src="/static/js/your-page.js"></script>
 * and in your-page.js:
 *   import { createBasemap, unitMarker } from "/static/js/basemap.js";
 *
 * Every URL used here is same-origin.
 */

/* global L, topojson */

import { guardCanvasTeardown, guardZoomTeardown } from "./leaflet-guards.js";

export const BASEMAP_URL = "/static/vendor/countries-50m.json";
export const ATTRIBUTION = "Basemap: Natural Earth via world-atlas (offline)";

/** Panning is limited to Europe: lat 30–72, lon -30–45 ([[south, west], [north, east]]). */
export const EUROPE_BOUNDS = [[30, -30], [72, 45]];

/** Readiness palette (colour-blind-aware; the status is also always given as text). */
export const READINESS_COLOURS = Object.freeze({
  READY: "#1a7f37", // green
  LIMITED: "#e69f00", // amber
  TRAINING: "#0a63c9", // blue
  COMMITTED: "#7d3c98", // purple
  UNAVAILABLE: "#7a7a7a", // grey
});
export const READINESS_STATUSES = Object.freeze(Object.keys(READINESS_COLOURS));
const UNKNOWN_COLOUR = READINESS_COLOURS.UNAVAILABLE;

// Land polygons are kept only if they touch this padded box around the
// allowed bounds: less to project on every zoom, nothing visible lost.
const KEEP_BOX = { south: 15, north: 85, west: -60, east: 75 };

const MARKER_PANE = "atlasMarkers"; // SVG: focusable unit markers, above lines
const LAND_PANE = "atlasLand"; // canvas: land polygons, below everything

// Land style: read from CSS custom properties on the map container (see
// map.css) so high-contrast themes restyle the canvas too.
const LAND_DEFAULTS = {
  "--atlas-land": "#f3f1ea",
  "--atlas-border": "#8a8578",
  "--atlas-border-width": "0.8",
};

function requireGlobals() {
  if (typeof L === "undefined") {
    throw new Error("basemap.js: Leaflet (global L) must be loaded before this module");
  }
  if (typeof topojson === "undefined") {
    throw new Error("basemap.js: topojson-client (global topojson) must be loaded before this module");
  }
  guardCanvasTeardown();
  guardZoomTeardown();
}

function cssVar(el, name) {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || LAND_DEFAULTS[name];
}

function landStyle(container) {
  return {
    stroke: true,
    color: cssVar(container, "--atlas-border"),
    weight: Number.parseFloat(cssVar(container, "--atlas-border-width")) || 0.8,
    opacity: 1,
    fill: true,
    fillColor: cssVar(container, "--atlas-land"),
    fillOpacity: 1,
    lineJoin: "round",
  };
}

// world-atlas cuts nothing at the antimeridian: a ring such as Russia's
// jumps from lon 180 to -180, which a flat (Mercator) drawing fills straight
// across the map. Unwrap each ring so its longitudes are continuous
// (Chukotka then lies past 180, off the European view). A ring that does not
// close after unwrapping (one around a pole) is left as it is.
function unwrapRing(ring) {
  let offset = 0;
  let prev = ring[0][0];
  const out = [ring[0]];
  for (let i = 1; i < ring.length; i += 1) {
    const lon = ring[i][0];
    const step = lon - prev;
    if (step > 180) offset -= 360;
    else if (step < -180) offset += 360;
    prev = lon;
    out.push(offset ? [lon + offset, ring[i][1]] : ring[i]);
  }
  return offset === 0 ? out : ring;
}

function unwrapFeature(feature) {
  const g = feature.geometry;
  if (!g) return feature;
  if (g.type === "Polygon") g.coordinates = g.coordinates.map(unwrapRing);
  else if (g.type === "MultiPolygon") g.coordinates = g.coordinates.map((poly) => poly.map(unwrapRing));
  return feature;
}

function featureTouchesBox(feature) {
  let west = Infinity;
  let east = -Infinity;
  let south = Infinity;
  let north = -Infinity;
  const walk = (coords) => {
    if (typeof coords[0] === "number") {
      const [lon, lat] = coords;
      if (lon < west) west = lon;
      if (lon > east) east = lon;
      if (lat < south) south = lat;
      if (lat > north) north = lat;
      return;
    }
    for (const c of coords) walk(c);
  };
  if (!feature.geometry) return false;
  walk(feature.geometry.coordinates);
  return !(east < KEEP_BOX.west || west > KEEP_BOX.east || north < KEEP_BOX.south || south > KEEP_BOX.north);
}

/** Accepts [lat, lon], {lat, lon}, {lat, lng} or an L.LatLng. */
export function toLatLng(value) {
  requireGlobals();
  if (Array.isArray(value)) return L.latLng(value[0], value[1]);
  if (value && typeof value === "object") {
    if ("lon" in value && !("lng" in value)) return L.latLng(value.lat, value.lon);
    return L.latLng(value);
  }
  throw new TypeError(`not a position: ${String(value)}`);
}

/**
 * Create the offline basemap in element `elementId`.
 *
 * Returns the Leaflet map at once; the land layer arrives asynchronously:
 * `map.basemapReady` is a promise of the GeoJSON layer (null if the data
 * could not be loaded), and the map fires `atlas:basemapload` or
 * `atlas:basemaperror`.
 *
 * `onClick({lat, lon}, leafletEvent)` is called for clicks on the map
 * (land or sea; not on markers).
 */
export function createBasemap(elementId, { center = [50, 10], zoom = 4, onClick, dataUrl = BASEMAP_URL } = {}) {
  requireGlobals();
  const bounds = L.latLngBounds(EUROPE_BOUNDS);
  const map = L.map(elementId, {
    preferCanvas: true,
    center,
    zoom,
    minZoom: 3,
    maxZoom: 12,
    maxBounds: bounds,
    maxBoundsViscosity: 1.0,
    worldCopyJump: false,
    zoomSnap: 0.5,
    attributionControl: true,
  });

  const container = map.getContainer();
  container.classList.add("atlas-basemap");
  if (!container.hasAttribute("aria-label")) {
    container.setAttribute("aria-label", "Map of Europe: units and crisis sites");
  }

  // The default prefix links to an external site; keep it plain text.
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(ATTRIBUTION);

  // Land under the overlay pane (400, lines), unit markers above it and
  // below Leaflet's marker pane (600, crisis sites) and tooltips (650).
  const landPane = map.createPane(LAND_PANE);
  landPane.classList.add("atlas-land-pane");
  landPane.style.zIndex = "200";
  const markerPane = map.createPane(MARKER_PANE);
  markerPane.classList.add("atlas-marker-pane");
  markerPane.style.zIndex = "450";
  // Unit markers are SVG (each a focusable element with a tooltip); the land
  // and the lines stay on canvas (preferCanvas).
  map.atlasMarkerRenderer = L.svg({ pane: MARKER_PANE });

  if (typeof onClick === "function") {
    map.on("click", (e) => {
      const ll = e.latlng.wrap();
      onClick({ lat: ll.lat, lon: ll.lng }, e);
    });
  }

  map.basemapLayer = null;
  // The view may be left (map.remove()) before the land data arrives: then add nothing.
  let removed = false;
  map.on("unload", () => {
    removed = true;
  });
  map.basemapReady = fetch(dataUrl, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`${dataUrl}: HTTP ${response.status}`);
      return response.json();
    })
    .then((topology) => {
      if (removed) return null;
      const collection = topojson.feature(topology, topology.objects.countries);
      collection.features = collection.features.map(unwrapFeature).filter(featureTouchesBox);
      const layer = L.geoJSON(collection, {
        pane: LAND_PANE,
        interactive: false,
        style: () => landStyle(container),
      });
      layer.addTo(map);
      map.basemapLayer = layer;
      watchContrast(map, layer, container);
      map.fire("atlas:basemapload", { layer });
      return layer;
    })
    .catch((error) => {
      if (removed) return null;
      console.error("basemap: land data unavailable", error);
      container.classList.add("atlas-basemap--failed");
      const note = L.control({ position: "topright" });
      note.onAdd = () => {
        const div = L.DomUtil.create("div", "atlas-basemap-error");
        div.setAttribute("role", "status");
        div.textContent = "Basemap data unavailable (run scripts/vendor_assets.py); positions are still shown.";
        return div;
      };
      note.addTo(map);
      map.fire("atlas:basemaperror", { error });
      return null;
    });
  return map;
}

function watchContrast(map, layer, container) {
  if (typeof window.matchMedia !== "function") return;
  const restyle = () => layer.setStyle(landStyle(container));
  for (const query of ["(prefers-contrast: more)", "(forced-colors: active)"]) {
    const mql = window.matchMedia(query);
    if (typeof mql.addEventListener === "function") {
      mql.addEventListener("change", restyle);
      map.on("unload", () => mql.removeEventListener("change", restyle));
    }
  }
}

/** Colour for a readiness status (case-insensitive); grey when unknown. */
export function readinessColour(status) {
  const key = String(status ?? "").trim().toUpperCase();
  return READINESS_COLOURS[key] ?? UNKNOWN_COLOUR;
}

function statusOf(unit) {
  const raw = unit?.readiness?.status;
  return raw ? String(raw).trim().toUpperCase() : "UNKNOWN";
}

/** Plain-text description of a unit, as read by a screen reader. */
export function unitLabel(unit) {
  return `${unit.name}, ${unit.state}: ${statusOf(unit)}`;
}

function tooltipContent(title, rows, className) {
  // Built with textContent: names come from the API and are never parsed as HTML.
  const root = document.createElement("div");
  root.className = className;
  const heading = document.createElement("strong");
  heading.textContent = title;
  root.append(heading);
  for (const [label, value] of rows) {
    const line = document.createElement("div");
    const key = document.createElement("span");
    key.className = "atlas-tooltip__key";
    key.textContent = `${label}: `;
    line.append(key, document.createTextNode(value));
    root.append(line);
  }
  return root;
}

let UnitCircleMarker = null;
function unitMarkerClass() {
  if (!UnitCircleMarker) {
    UnitCircleMarker = L.CircleMarker.extend({
      beforeAdd(map) {
        // Draw in the map's SVG marker renderer when there is one (maps from
        // createBasemap), else fall back to the map's default renderer.
        this.options.renderer = map.atlasMarkerRenderer || undefined;
        this.options.pane = map.atlasMarkerRenderer ? MARKER_PANE : "overlayPane";
        return L.CircleMarker.prototype.beforeAdd.call(this, map);
      },
    });
  }
  return UnitCircleMarker;
}

/**
 * A circle marker for a unit `{id, name, state, base: {lat, lon}, readiness: {status}}`,
 * filled with its readiness colour, with a tooltip (name, state, status) that
 * also opens on keyboard focus.
 */
export function unitMarker(unit) {
  requireGlobals();
  const status = statusOf(unit);
  const Marker = unitMarkerClass();
  const marker = new Marker(toLatLng(unit.base), {
    radius: 7,
    color: "#111111",
    weight: 2,
    opacity: 1,
    fillColor: readinessColour(status),
    fillOpacity: 1,
    className: `atlas-unit-marker atlas-status-${status.toLowerCase()}`,
  });
  const label = unitLabel(unit);
  marker.bindTooltip(
    tooltipContent(
      unit.name,
      [
        ["State", String(unit.state ?? "")],
        ["Status", status],
      ],
      "atlas-tooltip atlas-tooltip--unit",
    ),
    { direction: "top", offset: [0, -8], className: "atlas-tooltip-wrap" },
  );
  marker.unit = unit;
  marker.on("add", () => {
    const el = marker.getElement();
    if (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", `Unit ${label}`);
      if (unit.id !== undefined) el.setAttribute("data-unit-id", String(unit.id));
    }
  });
  return marker;
}

/** A distinct crisis-site marker (red diamond, keyboard-focusable) with its label as tooltip. */
export function siteMarker(lat, lon, label = "Crisis site") {
  requireGlobals();
  const glyph = document.createElement("span");
  glyph.className = "atlas-site-marker__glyph";
  glyph.setAttribute("aria-hidden", "true");
  glyph.textContent = "!";
  const icon = L.divIcon({
    className: "atlas-site-marker",
    html: glyph,
    iconSize: [26, 26],
    iconAnchor: [13, 13],
    tooltipAnchor: [0, -14],
  });
  const marker = L.marker(L.latLng(lat, lon), {
    icon,
    keyboard: true,
    riseOnHover: true,
    zIndexOffset: 1000,
    autoPanOnFocus: false,
  });
  marker.bindTooltip(tooltipContent(String(label), [["Position", `${Number(lat).toFixed(4)}, ${Number(lon).toFixed(4)}`]], "atlas-tooltip atlas-tooltip--site"), {
    direction: "top",
    className: "atlas-tooltip-wrap",
  });
  marker.on("add", () => {
    const el = marker.getElement();
    if (el) el.setAttribute("aria-label", `Crisis site: ${label}`);
  });
  return marker;
}

/**
 * Dashed line from a candidate unit to the site. Positions as [lat, lon] or {lat, lon}.
 * `renderer` (e.g. L.svg()) draws it as an SVG path (with its class, so it can be styled and
 * found in the DOM); by default it goes to the map's renderer (canvas for createBasemap maps).
 */
export function candidateLine(unitLatLon, siteLatLon, { colour = "#1d2b3a", renderer } = {}) {
  requireGlobals();
  return L.polyline([toLatLng(unitLatLon), toLatLng(siteLatLon)], {
    color: colour,
    weight: 2.5,
    opacity: 0.9,
    dashArray: "8 6",
    lineCap: "butt",
    interactive: false,
    className: "atlas-candidate-line",
    ...(renderer ? { renderer } : {}),
  });
}

/** A legend control listing the readiness colours (and the crisis marker). */
export function readinessLegend({ position = "bottomleft", showSite = true } = {}) {
  requireGlobals();
  const legend = L.control({ position });
  legend.onAdd = () => {
    const box = L.DomUtil.create("div", "atlas-legend");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Map legend");
    const title = document.createElement("div");
    title.className = "atlas-legend__title";
    title.textContent = "Readiness";
    const list = document.createElement("ul");
    list.className = "atlas-legend__list";
    for (const status of READINESS_STATUSES) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `atlas-legend__swatch atlas-status-${status.toLowerCase()}`;
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, document.createTextNode(status));
      list.append(item);
    }
    if (showSite) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "atlas-legend__swatch atlas-legend__swatch--site";
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, document.createTextNode("Crisis site"));
      list.append(item);
    }
    box.append(title, list);
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  return legend;
}

// Standalone check page: static/basemap-demo.html loads this module as
// "basemap.js?demo" (the CSP forbids inline scripts). Illustrative data only.
function runDemo() {
  const units = [
    { id: 1, name: "Demo Unit Alpha", state: "AT", base: { lat: 48.21, lon: 16.37 }, readiness: { status: "READY" } },
    { id: 2, name: "Demo Unit Bravo", state: "BE", base: { lat: 50.85, lon: 4.35 }, readiness: { status: "LIMITED" } },
    { id: 3, name: "Demo Unit Charlie", state: "ES", base: { lat: 40.42, lon: -3.7 }, readiness: { status: "TRAINING" } },
    { id: 4, name: "Demo Unit Delta", state: "FI", base: { lat: 60.17, lon: 24.94 }, readiness: { status: "COMMITTED" } },
    { id: 5, name: "Demo Unit Echo", state: "IT", base: { lat: 41.9, lon: 12.5 }, readiness: { status: "UNAVAILABLE" } },
    { id: 6, name: "Demo Unit Foxtrot", state: "PL", base: { lat: 52.23, lon: 21.01 }, readiness: { status: "READY" } },
  ];
  const lines = L.layerGroup();
  let site = null;
  const place = ({ lat, lon }) => {
    if (site) site.remove();
    lines.clearLayers();
    site = siteMarker(lat, lon, "Demo crisis site").addTo(map);
    for (const unit of units.filter((u) => ["READY", "LIMITED"].includes(u.readiness.status))) {
      candidateLine(unit.base, [lat, lon]).addTo(lines);
    }
    const out = document.getElementById("demo-click");
    if (out) out.textContent = `Site at ${lat.toFixed(3)}, ${lon.toFixed(3)}`;
  };
  const map = createBasemap("map", { onClick: place });
  lines.addTo(map);
  for (const unit of units) unitMarker(unit).addTo(map);
  readinessLegend().addTo(map);
  place({ lat: 48.86, lon: 2.35 });
  map.basemapReady.then((layer) => {
    document.body.dataset.basemap = layer ? "loaded" : "failed";
  });
  window.atlasDemoMap = map;
}

if (typeof document !== "undefined" && new URL(import.meta.url).searchParams.has("demo")) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", runDemo, { once: true });
  } else {
    runDemo();
  }
}
