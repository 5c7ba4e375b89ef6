/** The unit directory as a table (the keyboard and screen-reader companion of the map). */

import { badge, field, h, humanise, replace, select } from "./dom.js";
import * as store from "./store.js";
import { relative } from "./time.js";

export async function mount(container) {
  const stateSel = select(
    [{ value: "", label: "All states" }, ...store.states().map((s) => ({ value: s.code, label: `${s.code} · ${s.name}` }))],
    { value: "" },
  );
  const statusSel = select(
    [{ value: "", label: "Any readiness" }, ...["READY", "LIMITED", "TRAINING", "COMMITTED", "UNAVAILABLE"].map((s) => ({ value: s, label: humanise(s) }))],
    { value: "" },
  );
  const text = h("input", { type: "search", placeholder: "Name, city, agency" });
  const slot = h("div", { class: "table-wrap" });
  const mine = new Set(store.commandedUnitIds());
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Units of the ATLAS network"), h("span", { class: "muted" }, "Illustrative public data, not an official ATLAS list.")),
    h(
      "div",
      { class: "form__grid", role: "search" },
      field({ label: "State", control: stateSel, field: "state" }),
      field({ label: "Readiness", control: statusSel, field: "readiness" }),
      field({ label: "Search", control: text, field: "q" }),
    ),
    slot,
  );

  function render() {
    const q = text.value.trim().toLowerCase();
    const rows = store.units().filter(
      (u) =>
        (!stateSel.value || u.state === stateSel.value) &&
        (!statusSel.value || u.readiness?.status === statusSel.value) &&
        (!q || [u.name, u.local_name, u.english_name, u.base_city, u.parent_agency].some((v) => String(v || "").toLowerCase().includes(q))),
    );
    replace(
      slot,
      h(
        "table",
        { class: "data", dataset: { table: "units" } },
        h("caption", {}, `${rows.length} unit${rows.length === 1 ? "" : "s"}`),
        h("thead", {}, h("tr", {}, ["Unit", "State", "Base", "Tier", "Readiness", "Reason", "Changed", "Capabilities"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          rows.map((u) =>
            h(
              "tr",
              { dataset: { unitId: u.id }, class: mine.has(u.id) ? "is-highlight" : null },
              h("td", {}, h("a", { href: `#/units/${u.id}` }, u.name), mine.has(u.id) ? " (your unit)" : ""),
              h("td", {}, u.state),
              h("td", {}, u.base_city || ""),
              h("td", {}, u.tier || ""),
              h("td", {}, badge(u.readiness?.status || "UNKNOWN"), u.readiness?.status === "TRAINING" && u.readiness.break_off_min != null ? ` break-off ${u.readiness.break_off_min} min` : ""),
              h("td", {}, u.readiness?.reason || ""),
              h("td", { class: "nowrap" }, u.readiness?.changed_at ? relative(u.readiness.changed_at) : ""),
              h("td", { class: "muted cell-caps" }, (u.capabilities || []).map((c) => store.capabilityName(c)).join(", ")),
            ),
          ),
        ),
      ),
    );
  }
  for (const c of [stateSel, statusSel]) c.addEventListener("change", render);
  text.addEventListener("input", render);
  render();
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("readiness.") || type.startsWith("directory.") || type.startsWith("deployment.")) render();
    },
    async refresh() {
      await store.loadDirectory(true);
      render();
    },
  };
}
