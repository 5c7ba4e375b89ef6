/** One training: its occurrences with their conflicts, the participants and their answers. */

import { ApiError, get, post } from "./api.js";
import { badge, dl, field, formErrors, h, humanise, replace } from "./dom.js";
import { sendForm } from "./forms.js";
import * as store from "./store.js";
import { conflictSummary } from "./conflict-summary.js";
import { timeRange } from "./time-range.js";
import { kindName, occurrenceTime, statusBadge, warningList } from "./trainings.js";
import { ANY_TIER1, exerciseWhatIf } from "./coverage-layer.js";
import { debounce } from "./util.js";

export async function mount(container, { params, setTitle }) {
  const id = Number(params.id);
  let t = await get(`/api/v1/trainings/${id}`);
  setTitle(t.title);
  const slot = h("div");
  container.append(slot);

  function mayRespond(p) {
    if (store.isAdmin()) return true;
    if (store.commandedUnitIds().includes(p.unit_id)) return true;
    return store.answerStates().includes(p.state);
  }

  /** The exercise's what-if on the coverage map, in words (its first environment, or any tier-1 unit). */
  function coverageWords() {
    const slot = h("span", { "data-testid": "coverage-what-if" }, "…");
    exerciseWhatIf(t.id, (t.environments || [])[0] || ANY_TIER1)
      .then((r) => replace(slot, r.sentence))
      .catch(() => replace(slot, "not available"));
    return slot;
  }

  function render() {
    const zone = t.timezone;
    replace(
      slot,
      h(
        "div",
        { class: "page-head" },
        h("h1", {}, t.title),
        statusBadge(t),
        h("span", { class: "muted" }, `${kindName(t.kind)} · hosted by ${t.host_unit?.name || "?"} (${t.host_unit?.state || ""})`),
        h(
          "div",
          { class: "page-head__actions" },
          h("a", { href: t.ical_url, class: "btn btn--secondary", download: `training-${t.id}.ics` }, "iCalendar file"),
          store.isPlanner() && t.status !== "cancelled" ? h("a", { href: `#/trainings/${t.id}/edit`, class: "btn btn--secondary" }, "Change") : null,
        ),
      ),
      t.override ? overrideNotice(t.override, t.override_summary) : null,
      warningList(t.warnings),
      h(
        "div",
        { class: "grid-2" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "tr-sum" },
          h("h2", { id: "tr-sum" }, "The training"),
          dl([
            ["Venue", `${t.venue.name} (${t.venue.lat}, ${t.venue.lon})`],
            ["Time zone", zone],
            ["First", h("span", {}, `${timeRange(t.start_utc, t.end_utc, zone)} at the venue`)],
            ["Repeats", t.rrule || "no"],
            ["Environments", (t.environments || []).map((c) => store.capabilityName(c)).join(", ") || "—"],
            ["Capabilities", (t.capabilities || []).map((c) => store.capabilityName(c)).join(", ") || "—"],
            ["Places", t.capacity ? `${t.places_taken} of ${t.capacity} taken` : "no limit"],
            ["Break-off time", `${t.break_off_min} min`],
            ["Participants off duty", t.units_off_duty ? "yes" : "no"],
            t.units_off_duty && t.status !== "cancelled" ? ["Coverage while held", coverageWords()] : null,
            t.funding_note ? ["Funding", t.funding_note] : null,
            t.description ? ["Description", t.description] : null,
            t.cancel_reason ? ["Cancelled because", t.cancel_reason] : null,
          ]),
          store.isPlanner() && t.status !== "cancelled" ? cancelForm() : null,
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "tr-part" },
          h("h2", { id: "tr-part" }, "Participants"),
          h(
            "table",
            { class: "data", dataset: { table: "participants" } },
            h("thead", {}, h("tr", {}, ["Unit", "Role", "Status", ""].map((x) => h("th", { scope: "col" }, x)))),
            h(
              "tbody",
              {},
              t.participants.map((p) =>
                h(
                  "tr",
                  { dataset: { unitId: p.unit_id } },
                  h("td", {}, `${p.unit_name} (${p.state})`),
                  h("td", {}, humanise(p.role)),
                  h("td", {}, badge(p.status)),
                  h("td", {}, p.role === "guest" && ["invited", "waitlisted"].includes(p.status) && mayRespond(p) ? respondButtons(p) : null),
                ),
              ),
            ),
          ),
        ),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "tr-occ" },
        h("h2", { id: "tr-occ" }, "Occurrences in the next 90 days"),
        (t.occurrences || []).length
          ? h(
              "ol",
              { class: "plain occurrences" },
              t.occurrences.map((o) =>
                h(
                  "li",
                  { dataset: { recurrenceId: o.recurrence_id, conflicts: (o.conflicts || []).length } },
                  occurrenceTime(o, zone),
                  o.title && o.title !== t.title ? ` · ${o.title}` : "",
                  o.overridden ? " (moved)" : "",
                  conflictSummary(o.conflict_summary, o.conflicts, { title: "This occurrence adds", role: null }),
                ),
              ),
            )
          : h("p", { class: "muted" }, "No occurrence in this window."),
      ),
    );
  }

  /** Who overrode what and why: the reason first, the overridden conflicts' counts on demand. */
  function overrideNotice(override, summary) {
    const n = summary?.total ?? (override.conflicts || []).length;
    return h(
      "div",
      { class: "notice notice--warn", dataset: { override: "" } },
      h("strong", {}, `Saved despite ${n} planning conflict${n === 1 ? "" : "s"}. `),
      `Reason: “${override.reason}”`,
      summary?.total ? h("details", { class: "override-details" }, h("summary", {}, "What was overridden"), conflictSummary(summary, override.conflicts, { title: "Overridden", role: null })) : null,
    );
  }

  function respondButtons(p) {
    const box = h("div", { class: "form__actions" });
    const err = formErrors();
    for (const answer of ["accept", "decline"]) {
      box.append(
        h(
          "button",
          {
            type: "button",
            class: ["btn", "btn--small", answer === "accept" ? "btn--ok" : "btn--danger"],
            onClick: async (ev) => {
              ev.currentTarget.disabled = true;
              try {
                await post(`/api/v1/trainings/${id}/participants/${p.unit_id}/response`, { answer });
                await reload();
              } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                err.replaceChildren(h("p", {}, e.message), conflictSummary(e.body?.error?.summary, e.body?.error?.conflicts, { role: null }));
                err.hidden = false;
                err.focus();
              }
            },
          },
          answer === "accept" ? "Accept" : "Decline",
        ),
      );
    }
    return h("div", {}, err, box);
  }

  function cancelForm() {
    const reason = h("textarea", { rows: "2" });
    const form = h(
      "form",
      { class: "form action-panel", novalidate: true },
      h("h4", {}, "Cancel the training"),
      formErrors(),
      field({ label: "Reason", control: reason, field: "reason" }),
      h("div", { class: "form__actions" }, h("button", { type: "submit", class: "btn btn--danger" }, "Cancel every occurrence")),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      return sendForm(
        form,
        async () => {
          await post(`/api/v1/trainings/${id}/cancel`, { reason: reason.value, expected_version: t.version });
          await reload();
        },
        { buttons: [] },
      );
    });
    return h("details", {}, h("summary", {}, "Cancel…"), form);
  }

  async function reload() {
    t = await get(`/api/v1/trainings/${id}`);
    render();
  }
  render();
  const reloadSoon = debounce(reload, 150);
  return {
    onEvent(ev) {
      const type = String(ev.type || "");
      if (type.startsWith("training") && (ev.subject === `training:${id}` || ev.data?.training?.id === id || ev.data?.training_id === id)) reloadSoon();
      else if (type.startsWith("readiness.") || type.startsWith("deployment.")) reloadSoon();
    },
    refresh: reloadSoon,
    unmount: () => reloadSoon.cancel(),
  };
}

