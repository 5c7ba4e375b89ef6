/**
 * The map of Europe: unit bases coloured by readiness, the crisis sites of open requests, and
 * dashed lines from the candidate units to the site of the selected request. Clicking the map
 * picks a position from which a crisis centre raises a request.
 */

/* global L */

import { get, getAll, ApiError } from "./api.js";
import { createBasemap, unitMarker, siteMarker, readinessLegend, READINESS_STATUSES } from "./basemap.js";
import { routeLines } from "./route-lines.js";
import { h, replace, badge, humanise } from "./dom.js";
import { eventRequestId } from "./live.js";
import { loadCandidates } from "./matching.js";
import * as store from "./store.js";
import { dualTime, minutes } from "./time.js";
import { debounce, OPEN_REQUEST, requestTitle, crisisLabel, markList } from "./util.js";

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
  const lineRenderer = L.svg({ pane: "overlayPane" }); // lines as SVG paths (styled, findable)
  readinessLegend().addTo(map);
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
    const marker = unitMarker(u);
    marker.setRadius(markerRadius);
    marker.on("click", () => showUnit(u.id));
    marker.on("add", () => {
      const el = marker.getElement();
      if (el) {
        el.dataset.status = status;
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
  }

  function drawUnits() {
    unitLayer.clearLayers();
    unitMarkers.clear();
    for (const u of store.units()) drawUnit(u);
    renderReadiness();
  }

  function showUnit(id) {
    const u = store.unit(id);
    if (!u) return;
    const r = u.readiness || {};
    replace(
      unitBox,
      h("h2", { class: "side-section__title" }, u.name),
      h(
        "p",
        {},
        `${store.stateName(u.state)} · ${u.base_city || ""} · tier ${u.tier || "—"} · `,
        badge(r.status || "UNKNOWN", "status"),
      ),
      r.reason ? h("p", { class: "muted" }, `Reason: ${r.reason}`) : null,
      r.status === "TRAINING" && r.break_off_min != null ? h("p", {}, `Can break off within ${r.break_off_min} min`) : null,
      h("p", { class: "muted" }, `Personnel ${r.personnel || "—"} · equipment ${r.equipment || "—"} · transport ${r.transport || "—"}`),
      h("p", {}, h("a", { href: `#/units/${u.id}` }, `Open ${u.name}`)),
    );
  }

  function renderReadiness() {
    const counts = Object.fromEntries(READINESS_STATUSES.map((s) => [s, 0]));
    for (const u of store.units()) {
      const s = String(u.readiness?.status || "").toUpperCase();
      if (s in counts) counts[s] += 1;
    }
    replace(
      readinessBox,
      h("h2", { class: "side-section__title", id: "ready-title" }, "Readiness across the network"),
      h(
        "fieldset",
        { class: "readiness-filter" },
        h("legend", { class: "visually-hidden" }, "Show units by readiness"),
        READINESS_STATUSES.map((status) => {
          const id = `show-${status.toLowerCase()}`;
          const input = h("input", { type: "checkbox", id, checked: !hiddenStatuses.has(status), dataset: { status } });
          input.addEventListener("change", () => {
            if (input.checked) hiddenStatuses.delete(status);
            else hiddenStatuses.add(status);
            drawUnits();
          });
          return h(
            "div",
            { class: "check readiness-filter__item" },
            input,
            h(
              "label",
              { for: id },
              h("span", { class: `atlas-legend__swatch atlas-status-${status.toLowerCase()}`, "aria-hidden": "true" }),
              ` ${humanise(status)} `,
              h("strong", { class: "count", dataset: { count: status } }, String(counts[status])),
            ),
          );
        }),
      ),
    );
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
    const candidates = ranking?.candidates || [];
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
    if (alive) map.flyToBounds(bounds.pad(0.2), { maxZoom: 6, duration: 0.6 });
    replace(
      selectedBox,
      h("h2", { class: "side-section__title", id: "sel-title" }, requestTitle(d)),
      h("p", {}, `${crisisLabel(d.crisis.type)} · ${d.crisis.place_name} · `, badge(d.status)),
      candidates.length
        ? h(
            "ol",
            { class: "candidate-mini", "aria-label": "Best candidates" },
            candidates.slice(0, 6).map((c) =>
              h("li", {}, h("strong", {}, c.name), ` (${c.state}) · ETA ${minutes(c.eta?.total_min)} · score ${Number(c.score).toFixed(1)}`, stationOf(c) ? h("span", { class: "muted" }, ` · from ${stationOf(c).name}`) : null),
            ),
          )
        : h("p", { class: "muted" }, ranking ? "No candidate unit." : "The ranking is not available for this request."),
      h("p", {}, h("a", { href: `#/requests/${id}`, class: "btn btn--secondary" }, "Open the request")),
    );
  }

  // ---------------------------------------------------------------- lifecycle

  drawUnits();
  renderPick();
  if (query.lat && query.lon) pick({ lat: Number(query.lat), lon: Number(query.lon) });
  await loadRequests();

  const refreshRequests = debounce(loadRequests, 200);

  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      const unitId = ev.data?.unit_id ?? ev.data?.unit?.id;
      if (type.startsWith("readiness.") || type.startsWith("directory.")) {
        const u = unitId && store.unit(unitId);
        if (u) drawUnit(u);
        else drawUnits();
        renderReadiness();
        if (selectedId) refreshRequests();
      }
      if (type.startsWith("request.") || type.startsWith("answer.") || type.startsWith("deployment.") || type.startsWith("crisis.")) {
        const rid = eventRequestId(ev);
        if (rid) details.delete(rid);
        if (type.startsWith("deployment.") && unitId && store.unit(unitId)) drawUnit(store.unit(unitId));
        refreshRequests();
      }
    },
    refresh() {
      drawUnits();
      refreshRequests();
    },
    unmount() {
      refreshRequests.cancel();
      alive = false;
      map.stop();
      map.remove();
      if (window.atlasMap === map) delete window.atlasMap;
    },
  };
}

