/**
 * A request's candidates tab: the ranking of the units (live, or frozen at submission, with or
 * without redundancy) with each unit's explanation, a map of the candidates and the site, the
 * proposed team and the excluded units.
 *
 * `view` is the request view's context (view-request.js). The tab keeps its options and its map
 * for the life of the view: `render()` draws it into `view.body`, `unmount()` drops the map.
 */

/* global L */

import { ApiError } from "../api.js";
import { createBasemap, siteMarker, unitMarker } from "../basemap.js";
import { routeLines } from "../route-lines.js";
import { badge, dl, h, humanise, replace } from "../dom.js";
import { loadCandidates } from "../matching.js";
import * as store from "../store.js";
import { dualTime, fmt, localiseUtcText, minutes } from "../time.js";
import { km, num, pct } from "../util.js";

/** Candidates listed before "Show all". */
const TOP = 10;

export function rankingTab(view) {
  const { body, id } = view;
  const zone = () => view.zone();
  const reqLabel = () => view.reqLabel();
  // The ranking's sentences name instants in UTC: shown in the viewer's zone, the requester's beside it.
  const inZones = (text, ...instants) =>
    localiseUtcText(store.withCapabilityNames(text), { instants: [...instants, view.request.needed_by], otherZone: zone(), otherLabel: reqLabel() });
  let rankingMap = null;
  const rankingOptions = { redundancy: false, snapshot: false };
  // What the operator unfolded stays unfolded when a live update re-renders the tab.
  const listOptions = { showAll: false, excludedOpen: false };

  function rankingToolbar() {
    const redundancy = h("input", { type: "checkbox", id: "rank-redundancy", checked: rankingOptions.redundancy });
    redundancy.addEventListener("change", () => {
      rankingOptions.redundancy = redundancy.checked;
      renderRanking().then(() => document.getElementById("rank-redundancy")?.focus());
    });
    const asOf = h(
      "select",
      { id: "rank-as-of" },
      h("option", { value: "now", selected: !rankingOptions.snapshot }, "now (live directory)"),
      h("option", { value: "snapshot", selected: rankingOptions.snapshot, disabled: !view.request.has_ranking_snapshot }, "at submission (frozen)"),
    );
    asOf.addEventListener("change", () => {
      rankingOptions.snapshot = asOf.value === "snapshot";
      renderRanking().then(() => document.getElementById("rank-as-of")?.focus());
    });
    return h(
      "div",
      { class: "form__grid ranking-toolbar" },
      h("div", { class: "field" }, h("label", { for: "rank-as-of" }, "Ranking as of"), asOf),
      h(
        "div",
        { class: "field field--inline" },
        redundancy,
        h("label", { for: "rank-redundancy" }, "Team covers each requirement twice (redundancy)"),
      ),
    );
  }

  async function renderRanking() {
    if (!body.querySelector(".ranking-toolbar")) replace(body, h("p", { class: "loading" }, "Ranking the units…"));
    let ranking = null;
    let failure = null;
    try {
      ranking = await loadCandidates(id, rankingOptions);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failure = err;
    }
    if (!ranking) {
      replace(
        body,
        rankingToolbar(),
        h(
          "section",
          { class: "panel" },
          h("h2", {}, "Candidates"),
          h("p", { class: "muted" }, failure ? `The ranking is not available: ${failure.message}` : "No ranking was frozen for this request (it is taken when the request is submitted)."),
        ),
      );
      return;
    }
    const { request } = view;
    const site = request.crisis.site;
    const mapEl = h("div", { id: "ranking-map", class: "mini-map mini-map--short", role: "region", "aria-label": "Map of the candidates and the site" });
    replace(
      body,
      rankingToolbar(),
      h(
        "section",
        { class: "panel", "aria-labelledby": "cand-title" },
        h(
          "div",
          { class: "panel__head" },
          h("h2", { id: "cand-title" }, `Candidate ranking (${ranking.candidates_total})`),
          h("span", { class: "muted", dataset: { rankingSource: ranking.source } }, ranking.source === "snapshot" ? "Frozen at submission" : "Computed now", ranking.computed_at ? ` · ${fmt(ranking.computed_at)}` : ""),
        ),
        candidatesTable(ranking),
      ),
      h("section", { class: "panel grid-2", "aria-label": "Map and proposed team" }, mapEl, teamPanel(ranking.team)),
      excludedPanel(ranking),
    );
    if (rankingMap) rankingMap.remove();
    rankingMap = null;
    if (!body.isConnected) return;
    rankingMap = createBasemap("ranking-map", { center: [site.lat, site.lon], zoom: 5 });
    siteMarker(site.lat, site.lon, request.crisis.place_name).addTo(rankingMap);
    const lineRenderer = L.svg({ pane: "overlayPane" });
    for (const c of ranking.candidates.slice(0, 15)) {
      if (c.from_station) routeLines(c, c.from_station, site, { renderer: lineRenderer }).addTo(rankingMap);
      const u = store.unit(c.unit_id);
      if (u) unitMarker(u).addTo(rankingMap);
    }
    const shown = rankingMap;
    setTimeout(() => shown === rankingMap && rankingMap && rankingMap.invalidateSize(), 50);
  }

  function scoreBar(parts) {
    const entries = Object.entries(parts || {});
    const positive = entries.filter(([, v]) => v > 0);
    const total = positive.reduce((s, [, v]) => s + v, 0) || 1;
    const bar = h("div", { class: "score-bar", role: "img", "aria-label": entries.map(([k, v]) => `${humanise(k)} ${num(v, 0)}`).join(", ") });
    for (const [k, v] of positive) {
      const part = h("span", { class: `score-bar__part score-bar__part--${k}`, title: `${humanise(k)}: ${num(v, 1)}` });
      part.style.width = `${(100 * v) / total}%`; // CSSOM, allowed by the CSP
      bar.append(part);
    }
    return bar;
  }

  /** The top candidates (all of them once asked for), each row one line with its explanation on demand. */
  function candidatesTable(ranking) {
    const all = ranking.candidates || [];
    const shown = listOptions.showAll ? all : all.slice(0, TOP);
    const more = all.length - shown.length;
    const toggle = all.length > TOP
      ? h(
          "button",
          { type: "button", class: "btn btn--secondary btn--small", id: "rank-show-all", dataset: { showAll: String(listOptions.showAll) } },
          listOptions.showAll ? `Show the top ${TOP} only` : `Show all ${all.length}`,
        )
      : null;
    toggle?.addEventListener("click", () => {
      listOptions.showAll = !listOptions.showAll;
      renderRanking().then(() => document.getElementById("rank-show-all")?.focus());
    });
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data candidates", dataset: { table: "candidates" } },
        h("caption", {}, "Best first: units that make the deadline, by effective minutes (ETA less capped credits, lower is better), then late units by lateness; open “Why” for the unit's explanation"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "#"), h("th", { scope: "col" }, "Unit"), h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col" }, "Score parts"), h("th", { scope: "col", class: "num" }, "ETA"), h("th", { scope: "col" }, "Cover"))),
        h("tbody", {}, shown.map(candidateRow)),
      ),
      toggle ? h("p", { class: "candidates__more" }, more ? `${more} more ranked below. ` : "", toggle) : null,
    );
  }

  function candidateRow(c) {
    const parts = Object.entries(c.score_parts || {}).map(([k, v]) => `${humanise(k)} ${num(v, 0)}`).join(" · ");
    return h(
      "tr",
      { dataset: { unitId: c.unit_id } },
      h("td", { class: "num" }, String(c.rank)),
      h(
        "td",
        {},
        h("strong", {}, c.name),
        ` (${c.state}) `,
        c.readiness?.limited ? badge("LIMITED") : null,
        c.on_time === false ? badge(`late by ${minutes(c.late_by_min)}`, "late") : null,
        h("details", { class: "candidate-why" }, h("summary", {}, "Why"), explanation(c, parts)),
      ),
      h("td", { class: "num", title: `effective minutes ${num(c.score, 1)}` }, num(c.score, 0)),
      h("td", { class: "score-cell", title: parts }, scoreBar(c.score_parts)),
      h("td", { class: "num nowrap" }, minutes(c.eta?.total_min), h("span", { class: "muted" }, ` · ${km(c.distance_m)}`)),
      h("td", {}, pct(c.cover)),
    );
  }

  function explanation(c, parts) {
    return [
      h("ul", { class: "explain" }, (c.explanation || []).map((line) => h("li", {}, inZones(line, c.eta?.arrival)))),
      parts ? h("p", { class: "muted score-parts" }, `Score parts: ${parts}`) : null,
      c.eta
        ? dl([
            ["Mode", humanise(c.eta.mode)],
            c.eta.route_summary ? ["Route", c.eta.route_summary] : null,
            ...(c.eta.steps || []).map((leg, k) => [
              `Leg ${k + 1}`,
              `${leg.mode} ${leg.from_name} → ${leg.to_name}: ${minutes(leg.minutes)}` + (leg.km ? ` (${num(leg.km, 0)} km)` : ""),
            ]),
            ["Distance", `${num(c.eta.distance_km, 0)} km (route ${num(c.eta.route_km, 0)} km)`],
            ["Mobilisation", minutes(c.eta.mobilisation_min)],
            c.eta.break_off_min ? ["Break-off", minutes(c.eta.break_off_min)] : null,
            ["Transfer", minutes(c.eta.transfer_min)],
            ["Overheads", minutes(c.eta.overhead_min)],
            ["Travel", minutes(c.eta.travel_min)],
            c.eta.refuel_stops ? ["Refuelling stops", String(c.eta.refuel_stops)] : null,
            ["Total", minutes(c.eta.total_min)],
            c.eta.arrival ? ["Arrival", dualTime(c.eta.arrival, zone(), { otherLabel: reqLabel() })] : null,
          ])
        : null,
      c.capability_fit?.length
        ? h(
            "ul",
            { class: "explain" },
            c.capability_fit.map((f) =>
              h("li", {}, `${store.capabilityLabel(f.code)}: ${f.covered === true ? "covered" : f.covered === "partial" ? "partly covered" : "not covered"}`, f.held_level ? ` (holds ${f.held_level}${f.held_quantity ? ` × ${f.held_quantity}` : ""})` : ""),
            ),
          )
        : null,
      c.readiness?.note ? h("p", { class: "muted" }, c.readiness.note) : null,
    ];
  }

  function teamPanel(team) {
    if (!team) return h("div", { class: "notice" }, "No team proposal is available.");
    const members = team.members || [];
    return h(
      "section",
      { class: "team", "aria-labelledby": "team-title", dataset: { team: "" } },
      h("h3", { id: "team-title" }, "Proposed team"),
      members.length
        ? h(
            "ol",
            { class: "team__members" },
            members.map((m) =>
              h(
                "li",
                { dataset: { unitId: m.unit_id } },
                h("strong", {}, `${m.name} (${m.state})`),
                ` · ETA ${minutes(m.eta_min)} by ${humanise(m.mode)}`,
                m.arrival ? [" · arrives ", dualTime(m.arrival, zone(), { otherLabel: reqLabel() })] : null,
                h("br"),
                h("span", { class: "muted" }, store.withCapabilityNames(m.why)),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No unit can be proposed."),
      team.latest_eta_min != null ? h("p", {}, `Latest arrival: ${minutes(team.latest_eta_min)} after the alert.`) : null,
      (team.uncovered || []).length
        ? h("div", { class: "notice notice--danger" }, h("strong", {}, "Needs nobody can meet: "), h("ul", {}, team.uncovered.map((u) => h("li", {}, inZones(u.message)))))
        : h("p", { class: "notice notice--ok" }, "The team covers every need."),
      (team.late_needs || []).length
        ? h("div", { class: "notice" }, h("strong", {}, "Needs met only after the deadline: "), h("ul", {}, team.late_needs.map((n) => h("li", {}, inZones(n.message, n.earliest_arrival)))))
        : null,
      (team.notes || []).length ? h("ul", { class: "explain" }, team.notes.map((n) => h("li", {}, inZones(n)))) : null,
    );
  }

  /** The excluded units folded: the counts by reason in the summary, the units by reason inside. */
  function excludedPanel(ranking) {
    const rows = ranking.excluded || [];
    const counts = Object.entries(ranking.excluded_counts || {}).sort((a, b) => b[1] - a[1]);
    const reasons = [...new Set([...counts.map(([k]) => k), ...rows.map((e) => e.reason)])];
    const folded = h(
      "details",
      { class: "panel excluded", open: listOptions.excludedOpen, dataset: { excluded: "" } },
      h(
        "summary",
        {},
        h("h2", { id: "excl-title" }, `Excluded units (${ranking.excluded_total})`),
        h("span", { class: "muted" }, counts.map(([k, v]) => `${humanise(k)}: ${v}`).join(" · ")),
      ),
      rows.length
        ? reasons.map((reason) => {
            const group = rows.filter((e) => e.reason === reason);
            if (!group.length) return null;
            return h(
              "section",
              { class: "excluded__group", dataset: { reason } },
              h("h3", {}, `${humanise(reason)} (${(ranking.excluded_counts || {})[reason] ?? group.length})`),
              h(
                "div",
                { class: "table-wrap" },
                h(
                  "table",
                  { class: "data", dataset: { table: "excluded" } },
                  h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Unit"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Why"))),
                  h("tbody", {}, group.map((e) => h("tr", { dataset: { unitId: e.unit_id } }, h("td", {}, e.name), h("td", {}, e.state), h("td", {}, inZones(e.message))))),
                ),
              ),
            );
          })
        : h("p", { class: "muted" }, "No unit was excluded."),
    );
    folded.addEventListener("toggle", () => {
      listOptions.excludedOpen = folded.open;
    });
    return folded;
  }

  return {
    render: renderRanking,
    unmount() {
      if (rankingMap) rankingMap.remove();
      rankingMap = null;
    },
  };
}
