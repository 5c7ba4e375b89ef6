/**
 * The map of Europe: units coloured by readiness where they are now (at their station, along
 * the way when EN ROUTE, at the site when ON SCENE: map-deployments.js), spread apart when they
 * would overlap and labelled at close zoom (map-placement.js); the crisis sites of open requests,
 * and dashed lines from the candidate units to the site of a selected request that still awaits
 * units. Clicking the map picks a position from which a crisis centre raises a request.
 */

/* global L */

import { get, getAll, ApiError } from "./api.js";
import { createBasemap, unitMarker, siteMarker, candidateLine, readinessLegend, READINESS_STATUSES } from "./basemap.js";
import { routeLines } from "./route-lines.js";
import { h, replace, badge, humanise } from "./dom.js";
import { eventRequestId } from "./live.js";
import { currentDeployments, placeOf, placeText, routeLine } from "./map-deployments.js";
import { drawLabels, spreadMarkers } from "./map-placement.js";
import { renderReadiness as readinessPanel, renderUnit } from "./map-side.js";
import { loadCandidates } from "./matching.js";
import * as store from "./store.js";
import { dualTime, fmt, minutes } from "./time.js";
import { debounce, AWAITING_ANSWERS, OPEN_REQUEST, requestTitle, crisisLabel, markList } from "./util.js";

export async function mount(container, { query, navigate }) {
  const mapEl = h("div", { id: "atlas-map", class: "atlas-map-fill map-layout__canvas", role: "region", "aria-label": "Map of Europe: units by readiness and crisis sites", tabindex: "0" });
  const pickBox = h("section", { class: "side-section", "aria-labelledby": "pick-title" });
  const requestsBox = h("section", { class: "side-section", "aria-labelledby": "open-title" });
  const selectedBox = h("section", { class: "side-section", "aria-labelledby": "sel-title", hidden: true });
  const readinessBox = h("section", { class: "side-section", "aria-labelledby": "ready-title" });
  const unitBox = h("section", { class: "side-section", "aria-live": "polite" });
  container.append(
    h(
      "div",
      { class: "map-layout" },
      h("div", { class: "map-layout__map" }, mapEl),
      h(
        "aside",
        { class: "map-layout__side", "aria-label": "Map details" },
        h("h1", { class: "side-title" }, "Europe: units and crises"),
        pickBox,
        requestsBox,
        selectedBox,
        unitBox,
        readinessBox,
      ),
    ),
  );

  let picked = null;
  let pickedMarker = null;
  let selectedId = query.request ? Number(query.request) : null;
  let openRequests = [];
  const details = new Map();
  const unitMarkers = new Map();
  const hiddenStatuses = new Set();
  let deployed = new Map(); // unit id → its current deployment on a visible request

  const map = createBasemap("atlas-map", {
    center: [50, 10],
    zoom: 4,
    onClick: (pos) => pick(pos),
  });
  // Europe fills the map whatever the screen (laptop or wall display).
  map.fitBounds([
    [36, -11],
    [66, 32],
  ]);
  const markerRadius = window.matchMedia("(min-width: 2200px)").matches ? 11 : 7;
  const unitLayer = L.layerGroup().addTo(map);
  const siteLayer = L.layerGroup().addTo(map);
  const lineLayer = L.layerGroup().addTo(map);
  const routeLayer = L.layerGroup().addTo(map);
  const labelLayer = L.layerGroup().addTo(map);
  const lineRenderer = L.svg({ pane: "overlayPane" }); // lines as SVG paths (styled, findable)
  readinessLegend().addTo(map);
  import("./coverage-layer.js").then((m) => alive && m.mountCoverage(map, mapEl)); // issue 17: its own module
  map.basemapReady.then((layer) => {
    mapEl.dataset.basemap = layer ? "loaded" : "failed";
  });
  window.atlasMap = map; // for tests and the browser console
  let alive = true; // false once the view is left: Leaflet throws on a removed map
  setTimeout(() => {
    if (!alive) return;
    map.invalidateSize();
    if (!selectedId && !picked) map.fitBounds([[36, -11], [66, 32]]);
  }, 50);
  // ---------------------------------------------------------------- units

  function drawUnit(u) {
    const old = unitMarkers.get(u.id);
    if (old) unitLayer.removeLayer(old);
    const status = String(u.readiness?.status || "UNKNOWN").toUpperCase();
    if (hiddenStatuses.has(status)) {
      unitMarkers.delete(u.id);
      return;
    }
    const current = deployed.get(u.id);
    const place = placeOf(u.base, current);
    const marker = unitMarker({ ...u, base: place });
    marker.atlasHome = marker.getLatLng();
    marker.atlasLabel = place.where === "station" ? u.name : `${u.name} · ${place.where === "on_scene" ? "on scene" : "en route"}`;
    marker.atlasWhere = placeText(place, current, (at) => fmt(at, undefined, "time"));
    const tooltip = marker.getTooltip()?.getContent(); // the name, state and status (basemap.js), then where
    if (tooltip instanceof HTMLElement) tooltip.append(h("div", { class: "atlas-tooltip__where" }, marker.atlasWhere));
    marker.setRadius(markerRadius);
    marker.on("click", () => showUnit(u.id));
    marker.on("add", () => {
      const el = marker.getElement();
      if (el) {
        el.dataset.status = status;
        el.dataset.where = place.where;
        el.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            showUnit(u.id);
          }
        });
      }
    });
    marker.addTo(unitLayer);
    unitMarkers.set(u.id, marker);
    if (place.where === "en_route") routeLine(u.base, current.site, { renderer: lineRenderer }).addTo(routeLayer);
  }

  function drawUnits() {
    unitLayer.clearLayers();
    routeLayer.clearLayers();
    unitMarkers.clear();
    for (const u of store.units()) drawUnit(u);
    renderReadiness();
    arrange();
  }

  /** Spread overlapping markers, keep units clear of crisis markers, label at close zoom. */
  function arrange() {
    if (!alive) return;
    const markers = [...unitMarkers.values()];
    spreadMarkers(map, markers, siteLayer.getLayers());
    drawLabels(map, labelLayer, markers);
  }
  map.on("zoomend", arrange);

  function showUnit(id) {
    const u = store.unit(id);
    if (u) renderUnit(unitBox, u, unitMarkers.get(id)?.atlasWhere);
  }

  function renderReadiness() {
    readinessPanel(readinessBox, hiddenStatuses, drawUnits);
  }

  // ---------------------------------------------------------------- picking a site

  function pick(pos) {
    picked = { lat: Math.round(pos.lat * 10000) / 10000, lon: Math.round(pos.lon * 10000) / 10000 };
    if (pickedMarker) pickedMarker.remove();
    pickedMarker = siteMarker(picked.lat, picked.lon, "Picked position").addTo(map);
    renderPick();
    const button = pickBox.querySelector("[data-action=raise-here]");
    if (button) button.focus();
  }

  function renderPick() {
    const canRaise = store.canRaise();
    const children = [h("h2", { class: "side-section__title", id: "pick-title" }, canRaise ? "Raise a request from the map" : "Position")];
    if (!picked) {
      children.push(h("p", { class: "muted" }, canRaise ? "Click the map at the crisis site, or type the coordinates in the request form." : "Click the map to read a position."));
      if (canRaise) children.push(h("p", {}, h("a", { href: "#/requests/new", class: "btn btn--secondary" }, "Raise a request")));
    } else {
      children.push(
        h("p", { class: "position", dataset: { lat: picked.lat, lon: picked.lon } }, `Picked ${picked.lat.toFixed(4)}, ${picked.lon.toFixed(4)}`),
      );
      if (canRaise) {
        children.push(
          h(
            "p",
            {},
            h(
              "button",
              {
                type: "button",
                class: "btn btn--primary",
                dataset: { action: "raise-here" },
                onClick: () => navigate(`/requests/new?lat=${picked.lat}&lon=${picked.lon}`),
              },
              "Raise a request here",
            ),
          ),
        );
      }
    }
    replace(pickBox, children);
  }

  // ---------------------------------------------------------------- requests and sites

  async function loadRequests() {
    let items;
    try {
      items = await getAll("/api/v1/requests");
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(requestsBox, h("h2", { class: "side-section__title", id: "open-title" }, "Open requests"), h("p", { class: "muted" }, "Requests are not available on this server."));
        return;
      }
      throw err;
    }
    openRequests = items.filter((r) => OPEN_REQUEST.has(r.status));
    await Promise.all(
      openRequests.slice(0, 40).map(async (r) => {
        const cached = details.get(r.id);
        if (cached && cached.version === r.version) return;
        try {
          details.set(r.id, await get(`/api/v1/requests/${r.id}`));
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }),
    );
    drawSites();
    deployed = currentDeployments(openRequests.map((r) => details.get(r.id)).filter(Boolean));
    drawUnits();
    renderRequests();
    if (selectedId) await showCandidates(selectedId);
  }

  function drawSites() {
    siteLayer.clearLayers();
    for (const r of openRequests) {
      const d = details.get(r.id);
      const site = d?.crisis?.site;
      if (!site) continue;
      const marker = siteMarker(site.lat, site.lon, `${requestTitle(r)} (${r.status})`);
      marker.on("click", () => select(r.id)); // Leaflet also fires click on Enter (keyboard: true)
      marker.on("add", () => {
        const el = marker.getElement();
        if (!el) return;
        el.dataset.requestId = String(r.id);
        el.addEventListener("keydown", (ev) => {
          if (ev.key === " ") {
            ev.preventDefault();
            select(r.id);
          }
        });
      });
      marker.addTo(siteLayer);
    }
  }

  function renderRequests() {
    const list = openRequests.length
      ? h(
          "ul",
          { class: "request-list" },
          openRequests.map((r) =>
            h(
              "li",
              { class: ["request-list__item", r.id === selectedId && "is-selected"], dataset: { requestId: r.id } },
              h(
                "button",
                { type: "button", class: "linkish", "aria-pressed": r.id === selectedId ? "true" : "false", onClick: () => select(r.id) },
                requestTitle(r),
              ),
              h("div", { class: "request-list__meta" }, badge(r.status), ` ${r.requesting_state} → ${(r.addressed_states || []).join(", ") || "—"}`,
                r.exercise ? h("span", { class: "tag tag--exercise" }, "Exercise") : null,
                h("span", { class: "tag tag--classification" }, r.marking)),
              h("div", { class: "request-list__meta" }, "Needed by ", dualTime(r.needed_by, store.stateZone(r.requesting_state), { otherLabel: r.requesting_state })),
            ),
          ),
        )
      : h("p", { class: "muted" }, "No open request.");
    replace(requestsBox, h("h2", { class: "side-section__title", id: "open-title" }, `Open requests (${openRequests.length})`), list);
    markList(container, openRequests);
  }

  async function select(id) {
    selectedId = id === selectedId ? null : id;
    renderRequests();
    if (selectedId) await showCandidates(selectedId);
    else {
      lineLayer.clearLayers();
      selectedBox.hidden = true;
    }
  }

  /** The station a candidate would leave from, when it is not the unit's home base. */
  function stationOf(c) {
    const u = store.unit(c.unit_id);
    if (!u || !Array.isArray(c.from_station)) return null;
    const [la, lo] = c.from_station;
    const near = (a, b) => Math.abs(a - b) < 1e-4;
    if (near(u.base.lat, la) && near(u.base.lon, lo)) return null;
    return (u.stations || []).find((s) => near(s.lat, la) && near(s.lon, lo)) || { name: "forward station", lat: la, lon: lo };
  }

  async function showCandidates(id) {
    const d = details.get(id);
    lineLayer.clearLayers();
    if (!d) return;
    const site = d.crisis.site;
    selectedBox.hidden = false;
    replace(selectedBox, h("h2", { class: "side-section__title", id: "sel-title" }, requestTitle(d)), h("p", { class: "muted" }, "Loading candidates…"));
    let ranking = null;
    try {
      ranking = await loadCandidates(id);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    if (selectedId !== id || !alive) return;
    // Once MET (or closed), the units are chosen: no candidate lines, the deployed units show.
    const candidates = AWAITING_ANSWERS.has(d.status) ? ranking?.candidates || [] : [];
    for (const c of candidates.slice(0, 12)) {
      const from = c.from_station || store.unit(c.unit_id)?.base;
      routeLines(c, from, site, { renderer: lineRenderer }).addTo(lineLayer); // along its legs
      const station = stationOf(c);
      if (station) {
        // The unit would come from one of its stations, not its home base: mark where.
        L.circleMarker([station.lat, station.lon], { radius: 4, color: "#111111", weight: 2, fillColor: "#ffffff", fillOpacity: 1, renderer: lineRenderer, className: "atlas-station-marker" })
          .bindTooltip(`${c.name}: ${station.name}`, { direction: "top", className: "atlas-tooltip-wrap" })
          .addTo(lineLayer);
      }
    }
    const bounds = L.latLngBounds([[site.lat, site.lon]]);
    for (const c of candidates.slice(0, 6)) {
      const from = c.from_station || store.unit(c.unit_id)?.base;
      if (from) bounds.extend(Array.isArray(from) ? from : [from.lat, from.lon]);
    }
    // fitBounds, not flyToBounds: Leaflet 1.9.4's flight divides by the distance to fly, so
    // selecting a request already in view (a MET one, its site alone) threw "Invalid LatLng (NaN, NaN)".
    if (alive) map.fitBounds(bounds.pad(0.2), { maxZoom: 6 });
    replace(
      selectedBox,
      h("h2", { class: "side-section__title", id: "sel-title" }, requestTitle(d)),
      h("p", {}, `${crisisLabel(d.crisis.type)} · ${d.crisis.place_name} · `, badge(d.status)),
      candidates.length
        ? h(
            "ol",
            { class: "candidate-mini", "aria-label": "Best candidates" },
            candidates.slice(0, 6).map((c) =>
              h("li", {}, h("strong", {}, c.name), ` (${c.state}) · ETA ${minutes(c.eta?.total_min)} · score ${Number.isFinite(c.score) ? Math.round(c.score) : "—"}`, stationOf(c) ? h("span", { class: "muted" }, ` · from ${stationOf(c).name}`) : null),
            ),
          )
        : h("p", { class: "muted" }, !AWAITING_ANSWERS.has(d.status) ? "The request awaits no more units: its deployed units are drawn where they are." : ranking ? "No candidate unit." : "The ranking is not available for this request."),
      h("p", {}, h("a", { href: `#/requests/${id}`, class: "btn btn--secondary" }, "Open the request")),
    );
  }

  // ---------------------------------------------------------------- lifecycle

  drawUnits();
  renderPick();
  if (query.lat && query.lon) pick({ lat: Number(query.lat), lon: Number(query.lon) });
  await loadRequests();

  const refreshRequests = debounce(loadRequests, 200);
  // A unit EN ROUTE moves along its route as time passes: redraw from what is loaded (no fetch).
  const moving = setInterval(() => [...deployed.values()].some((c) => c.deployment.status === "EN_ROUTE") && drawUnits(), 60_000);

  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("readiness.") || type.startsWith("directory.")) {
        drawUnits();
        if (selectedId) refreshRequests();
      }
      if (type.startsWith("request.") || type.startsWith("answer.") || type.startsWith("deployment.") || type.startsWith("crisis.")) {
        const rid = eventRequestId(ev);
        if (rid) details.delete(rid);
        refreshRequests();
      }
    },
    refresh() {
      drawUnits();
      refreshRequests();
    },
    unmount() {
      refreshRequests.cancel();
      clearInterval(moving);
      alive = false;
      map.stop();
      map.remove();
      if (window.atlasMap === map) delete window.atlasMap;
    },
  };
}

