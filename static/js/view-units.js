/**
 * The unit directory as a table (the keyboard and screen-reader companion of the map): filters
 * for state, capability and readiness and a search over names and capability names, all answered
 * by the directory API (`GET /api/v1/units?state=&capability=&readiness=&q=`), in compact rows
 * (one line each, the long texts whole in their tooltip) so a laptop screen shows 15 or more.
 */

import { getAll, qs } from "./api.js";
import { badge, field, h, humanise, replace, select } from "./dom.js";
import * as store from "./store.js";
import { relative } from "./time.js";

const READINESS = ["READY", "LIMITED", "TRAINING", "COMMITTED", "UNAVAILABLE"];
const SEARCH_PAUSE_MS = 250;

/** The capabilities by name, those the filters ask for first (so a clipped cell still shows them). */
function capabilityCell(codes, asked) {
  const names = codes
    .map((code) => ({ name: store.capabilityName(code), first: asked(code) }))
    .sort((a, b) => Number(b.first) - Number(a.first) || a.name.localeCompare(b.name))
    .map((c) => c.name);
  return h(
    "td",
    { class: "muted cell-caps", title: codes.map((code) => store.capabilityLabel(code)).join("\n") || null },
    h("span", { class: "clip" }, names.join(", ")),
  );
}

function unitRow(u, mine, asked) {
  const status = u.readiness?.status || "UNKNOWN";
  const breakOff = status === "TRAINING" && u.readiness.break_off_min != null ? ` break-off ${u.readiness.break_off_min} min` : "";
  return h(
    "tr",
    { dataset: { unitId: u.id }, class: mine.has(u.id) ? "is-highlight" : null },
    h("td", { class: "nowrap" }, h("a", { href: `#/units/${u.id}` }, u.name), mine.has(u.id) ? " (your unit)" : ""),
    h("td", { title: store.stateName(u.state) }, u.state),
    h("td", { class: "nowrap" }, u.base_city || ""),
    h("td", {}, u.tier || ""),
    h("td", { class: "nowrap" }, badge(status), breakOff),
    h("td", { class: "cell-reason", title: u.readiness?.reason || null }, h("span", { class: "clip" }, u.readiness?.reason || "")),
    h("td", { class: "nowrap" }, u.readiness?.changed_at ? relative(u.readiness.changed_at) : ""),
    capabilityCell(u.capabilities || [], asked),
  );
}

export async function mount(container) {
  const stateSel = select(
    [{ value: "", label: "All states" }, ...store.states().map((s) => ({ value: s.code, label: `${s.name} (${s.code})` }))],
    { value: "" },
  );
  const capabilitySel = select(
    [{ value: "", label: "Any capability" }, ...store.capabilities().map((c) => ({ value: c.code, label: store.capabilityLabel(c.code) }))],
    { value: "" },
  );
  const statusSel = select([{ value: "", label: "Any readiness" }, ...READINESS.map((s) => ({ value: s, label: humanise(s) }))], { value: "" });
  const text = h("input", { type: "search", placeholder: "Unit, city, agency or capability (e.g. aircraft)" });
  const slot = h("div", { class: "table-wrap" });
  const mine = new Set(store.commandedUnitIds());
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Units of the ATLAS network"), h("span", { class: "muted" }, "Illustrative public data, not an official ATLAS list.")),
    h(
      "div",
      { class: "form__grid filters--units", role: "search", dataset: { filters: "units" } },
      field({ label: "State", control: stateSel, field: "state" }),
      field({ label: "Capability", control: capabilitySel, field: "capability" }),
      field({ label: "Readiness", control: statusSel, field: "readiness" }),
      field({ label: "Search", control: text, field: "q" }),
    ),
    slot,
  );

  let latest = 0; // only the answer to the latest filters is drawn
  async function render() {
    const ticket = ++latest;
    const filters = { state: stateSel.value, capability: capabilitySel.value, readiness: statusSel.value, q: text.value.trim() };
    let rows;
    try {
      rows = await getAll(`/api/v1/units${qs(filters)}`);
    } catch (err) {
      if (ticket === latest) replace(slot, h("p", { class: "form-errors", role: "alert" }, `The units could not be loaded: ${err.message}`));
      return;
    }
    if (ticket !== latest) return;
    const words = filters.q.toLowerCase();
    const wanted = (code) => code === filters.capability || Boolean(words && store.capabilityName(code).toLowerCase().includes(words));
    replace(
      slot,
      h(
        "table",
        { class: "data data--compact", dataset: { table: "units" } },
        h("caption", { "aria-live": "polite" }, `${rows.length} unit${rows.length === 1 ? "" : "s"}`),
        h("thead", {}, h("tr", {}, ["Unit", "State", "Base", "Tier", "Readiness", "Reason", "Changed", "Capabilities"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((u) => unitRow(u, mine, wanted))),
      ),
    );
  }
  for (const c of [stateSel, capabilitySel, statusSel]) c.addEventListener("change", render);
  let pause = null;
  text.addEventListener("input", () => {
    clearTimeout(pause);
    pause = setTimeout(render, SEARCH_PAUSE_MS);
  });
  await render();
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("readiness.") || type.startsWith("directory.") || type.startsWith("deployment.")) render();
    },
    async refresh() {
      await store.loadDirectory(true);
      await render();
    },
    unmount() {
      clearTimeout(pause);
      latest += 1;
    },
  };
}
