/**
 * "Find the site": an airport code (EBBR, BRU), coordinates (50.9010, 4.4844 or 50°54′04″N 4°29′04″E)
 * or a place name (Lisbon), looked up with GET /api/v1/places. One place is shown with its point and
 * handed to `onPick`; several are offered as a pick list of buttons; none gives the closest matches as
 * a sentence at the field. Enter in the field looks up without submitting the surrounding form.
 */

import { ApiError, get, qs } from "./api.js";
import { field, h, replace } from "./dom.js";

const coords = (p) => `${p.point.lat.toFixed(5)}, ${p.point.lon.toFixed(5)}`;
const label = (p) => (p.country ? `${p.name} (${p.country})` : p.name);

/** Returns {element}; `onPick(place)` receives a PlaceOut ({point: {lat, lon}, name, kind, country}). */
export function siteFinder({ onPick }) {
  const input = h("input", { type: "search", name: "site_query", autocomplete: "off", maxlength: "100", placeholder: "EBBR, Lisbon or 50.9010, 4.4844" });
  const find = h("button", { type: "button", class: "btn btn--secondary btn--small" }, "Find");
  const result = h("div", { class: "site-finder__result", "aria-live": "polite", dataset: { siteResult: "" } });

  function pick(place) {
    replace(result, h("p", { class: "site-finder__found" }, `${label(place)} · ${coords(place)}`));
    result.dataset.siteResult = "resolved";
    onPick(place);
  }

  function offer(places) {
    result.dataset.siteResult = "ambiguous";
    replace(
      result,
      h("p", {}, `“${input.value.trim()}” names ${places.length} places; pick one:`),
      h(
        "div",
        { class: "site-finder__picks" },
        places.map((p) => h("button", { type: "button", class: "btn btn--secondary btn--small", onClick: () => pick(p) }, `${label(p)} · ${coords(p)}`)),
      ),
    );
  }

  function unknown(body) {
    result.dataset.siteResult = "unknown";
    const sentence = body.message ? body.message[0].toUpperCase() + body.message.slice(1) : `Nothing matches “${body.query}”`;
    replace(result, h("p", { class: "field__error" }, `${sentence}.`));
  }

  async function lookUp() {
    const q = input.value.trim();
    if (!q) return;
    find.disabled = true;
    try {
      const body = await get(`/api/v1/places${qs({ q })}`);
      if (body.status === "resolved") pick(body.places[0]);
      else if (body.status === "ambiguous") offer(body.places);
      else unknown(body);
    } catch (err) {
      result.dataset.siteResult = "error";
      replace(result, h("p", { class: "field__error" }, err instanceof ApiError ? err.message : "The lookup failed; try again."));
    } finally {
      find.disabled = false;
    }
  }

  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault(); // look up, do not submit the request
    lookUp();
  });
  find.addEventListener("click", lookUp);

  const element = h(
    "div",
    { class: "site-finder field--wide" },
    field({ label: "Find the site", control: input, field: "crisis.site_query", hint: "An airport code (EBBR, BRU), coordinates or a place name; press Enter." }),
    h("div", { class: "site-finder__actions" }, find),
    result,
  );
  return { element };
}
