/**
 * A unit, and its commander's view: the deployments asking the unit (accept or decline, report
 * status and ETA, name the on-scene commander), and readiness with a reason and the three axes
 * (personnel, equipment, transport), with its history.
 */

import { ApiError, get, getAll, put } from "./api.js";
import { deploymentCard } from "./deployments.js";
import { badge, dl, field, formErrors, h, humanise, replace, select } from "./dom.js";
import { sendForm } from "./forms.js";
import { eventUnitId } from "./live.js";
import { markList } from "./marking.js";
import * as store from "./store.js";
import { dualTime, fmt, relative } from "./time.js";
import { debounce, OPEN_REQUEST } from "./util.js";

const AXES = [
  { value: "ready", label: "Ready" },
  { value: "partial", label: "Partial" },
  { value: "none", label: "None" },
];

export async function mount(container, { params, setTitle }) {
  const id = Number(params.id);
  let unit = await store.refreshUnit(id);
  setTitle(unit.name);
  const isCommander = store.isAdmin() || store.commandedUnitIds().includes(id);
  const zone = () => store.stateZone(unit.state);

  const head = h("div", { class: "page-head" });
  const infoSlot = h("div");
  const readinessSlot = h("div");
  const deploymentsSlot = h("section", { class: "panel", "aria-labelledby": "deps-title" });
  const historySlot = h("section", { class: "panel", "aria-labelledby": "hist-title" });
  container.append(
    head,
    h("div", { class: "grid-2" }, h("div", {}, isCommander ? deploymentsSlot : null, readinessSlot), h("div", {}, infoSlot, historySlot, isCommander ? null : deploymentsSlot)),
  );

  function renderHead() {
    replace(
      head,
      h("h1", {}, unit.name),
      badge(unit.readiness?.status || "UNKNOWN"),
      h("span", { class: "muted" }, `${store.stateName(unit.state)} · ${unit.parent_agency || ""}`),
      isCommander ? h("span", { class: "tag" }, "Your unit") : null,
    );
  }

  function renderInfo() {
    const r = unit.readiness || {};
    replace(
      infoSlot,
      h(
        "section",
        { class: "panel", "aria-labelledby": "info-title" },
        h("h2", { id: "info-title" }, "The unit"),
        dl([
          ["Local name", unit.local_name],
          ["Base", `${unit.base_city} (${unit.base.lat.toFixed(3)}, ${unit.base.lon.toFixed(3)})`],
          unit.stations?.length ? ["Stations", unit.stations.map((s) => s.name).join(", ")] : null,
          ["Tier", unit.tier],
          ["Personnel", String(unit.personnel ?? "—")],
          ["Air transport", humanise(unit.air_transport)],
          ["Notice to move", `${unit.notice_to_move?.domestic_min ?? "—"} min domestic · ${unit.notice_to_move?.international_min ?? "—"} min international`],
          ["Languages", (unit.languages || []).join(", ")],
          ["Capabilities", (unit.capability_details || []).map((c) => `${store.capabilityName(c.code)}${c.level === "limited" ? " (limited)" : ""}${c.quantity ? ` × ${c.quantity}` : ""}`).join(", ")],
          ["Readiness", h("span", {}, badge(r.status || "UNKNOWN"), r.status === "TRAINING" && r.break_off_min != null ? ` can break off within ${r.break_off_min} min` : "")],
          ["Axes", `personnel ${r.personnel || "—"} · equipment ${r.equipment || "—"} · transport ${r.transport || "—"}`],
          r.reason ? ["Reason", r.reason] : null,
          r.changed_at ? ["Changed", h("span", {}, dualTime(r.changed_at, zone(), { otherLabel: unit.state }), " ", h("span", { class: "muted" }, relative(r.changed_at)))] : null,
          unit.source_note ? ["Source note", unit.source_note] : null,
        ]),
      ),
    );
  }

  let formKey = null;
  function renderReadinessForm() {
    if (!isCommander) return;
    const key = `${unit.version}`;
    if (formKey === key && readinessSlot.firstChild) return;
    formKey = key;
    const r = unit.readiness || {};
    if (r.status === "COMMITTED") {
      replace(
        readinessSlot,
        h(
          "section",
          { class: "panel", "aria-labelledby": "ready-title" },
          h("h2", { id: "ready-title" }, "Set readiness"),
          h("p", { class: "notice" }, "The unit is COMMITTED to a deployment; its readiness returns to what it was when the deployment ends."),
        ),
      );
      return;
    }
    const status = select(
      ["READY", "LIMITED", "TRAINING", "UNAVAILABLE"].map((s) => ({ value: s, label: humanise(s) })),
      { value: ["READY", "LIMITED", "TRAINING", "UNAVAILABLE"].includes(r.status) ? r.status : "READY" },
    );
    const reason = h("textarea", { rows: "2" });
    const breakOff = h("input", { type: "number", min: "0", max: "10080", step: "5", value: r.break_off_min ?? "" });
    const personnel = select(AXES, { value: r.personnel || "ready" });
    const equipment = select(AXES, { value: r.equipment || "ready" });
    const transport = select(AXES, { value: r.transport || "ready" });
    const breakField = field({ label: "Can break off within (minutes)", control: breakOff, field: "break_off_min", hint: "Only for TRAINING" });
    const sync = () => {
      breakField.hidden = status.value !== "TRAINING";
    };
    status.addEventListener("change", sync);
    sync();
    const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Report readiness");
    const form = h(
      "form",
      { class: "form", novalidate: true, dataset: { form: "readiness" } },
      formErrors(),
      h(
        "div",
        { class: "form__grid" },
        field({ label: "Status", control: status, field: "status" }),
        breakField,
        field({ label: "Personnel", control: personnel, field: "personnel" }),
        field({ label: "Equipment", control: equipment, field: "equipment" }),
        field({ label: "Transport", control: transport, field: "transport" }),
      ),
      field({ label: "Reason", control: reason, field: "reason", wide: true, hint: "At least 3 characters; kept in the history" }),
      h("div", { class: "form__actions" }, submit),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {
        status: status.value,
        reason: reason.value,
        personnel: personnel.value,
        equipment: equipment.value,
        transport: transport.value,
        expected_version: unit.version,
      };
      if (status.value === "TRAINING") body.break_off_min = breakOff.value === "" ? null : Number.parseInt(breakOff.value, 10);
      await sendForm(
        form,
        async () => {
          unit = await put(`/api/v1/units/${id}/readiness`, body);
          store.upsertUnit(unit);
          formKey = null;
          renderAll();
          readinessSlot.querySelector(".form-status")?.focus();
        },
        { buttons: [submit] },
      );
    });
    replace(
      readinessSlot,
      h(
        "section",
        { class: "panel", "aria-labelledby": "ready-title" },
        h("h2", { id: "ready-title" }, "Set readiness"),
        h("p", { class: "form-status muted", tabindex: "-1", role: "status" }, `Now ${r.status || "unknown"}${r.changed_at ? `, since ${fmt(r.changed_at)}` : ""}.`),
        form,
      ),
    );
  }

  async function renderHistory() {
    let rows = [];
    try {
      rows = (await get(`/api/v1/units/${id}/readiness/history`)).items || [];
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    replace(
      historySlot,
      h("h2", { id: "hist-title" }, "Readiness history"),
      rows.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "data", dataset: { table: "readiness-history" } },
              h("thead", {}, h("tr", {}, ["When", "Status", "Axes", "Reason", "Source"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                {},
                rows.slice(0, 30).map((row) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, dualTime(row.changed_at, zone(), { otherLabel: unit.state })),
                    h("td", {}, `${row.previous_status || "—"} → `, badge(row.status)),
                    h("td", { class: "muted" }, `${row.personnel}/${row.equipment}/${row.transport}`),
                    h("td", {}, row.reason || ""),
                    h("td", {}, humanise(row.source || "")),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No change recorded."),
    );
  }

  // Deployments of this unit: from the requests that ask it (visible to its commander).
  const cardCache = new Map(); // "deployment:version" -> card, so an open form survives unrelated updates
  let deploymentsTicket = 0; // only the latest of overlapping refreshes may render
  async function renderDeployments() {
    const ticket = ++deploymentsTicket;
    let summaries = [];
    try {
      summaries = await getAll("/api/v1/requests");
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    const cards = [];
    for (const s of summaries) {
      // A deployment's progress does not change the request's version: fetch every time.
      let r;
      try {
        r = await get(`/api/v1/requests/${s.id}`);
      } catch (err) {
        if (err instanceof ApiError) continue;
        throw err;
      }
      for (const d of r.deployments || []) {
        if (d.unit.id !== id) continue;
        const finished = ["DECLINED", "RETURNED"].includes(d.status) || !OPEN_REQUEST.has(r.status);
        const key = `${d.id}:${d.version}:${r.version}`;
        if (!cardCache.has(key)) cardCache.set(key, deploymentCard(d, r, { onChanged: reloadAll, showRequest: true }));
        cards.push({ finished, card: cardCache.get(key), marking: r.marking });
      }
    }
    if (ticket !== deploymentsTicket) return;
    const shown = new Set(cards.map((c) => c.card));
    for (const [key, card] of [...cardCache]) if (!shown.has(card)) cardCache.delete(key);
    const open = cards.filter((c) => !c.finished);
    const past = cards.filter((c) => c.finished);
    replace(
      deploymentsSlot,
      h("h2", { id: "deps-title" }, "Deployments"),
      open.length ? open.map((c) => c.card) : h("p", { class: "muted" }, "No deployment is asking this unit."),
      past.length ? h("details", {}, h("summary", {}, `Finished (${past.length})`), past.map((c) => c.card)) : null,
    );
    markList(container, cards); // the highest marking of the requests whose deployments are shown
  }

  function renderAll() {
    renderHead();
    renderInfo();
    renderReadinessForm();
    renderHistory();
  }

  let unitTicket = 0;
  async function reloadAll() {
    const ticket = ++unitTicket;
    const fresh = await store.refreshUnit(id);
    if (ticket === unitTicket) {
      unit = fresh;
      renderAll();
    }
    await renderDeployments();
  }

  renderAll();
  await renderDeployments();
  const reload = debounce(reloadAll, 150);
  const reloadDeployments = debounce(renderDeployments, 150);
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (eventUnitId(ev) === id) reload();
      else if (type.startsWith("deployment.") || type.startsWith("answer.") || type.startsWith("request.")) {
        reloadDeployments();
      }
    },
    refresh: reload,
    unmount() {
      reload.cancel();
      reloadDeployments.cancel();
    },
  };
}
