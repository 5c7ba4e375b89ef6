/**
 * The classification banner at the top and the bottom of every view that shows a crisis or a
 * request (docs/markings.md): the marking as the API sends it (`marking`, the EU code), or the
 * highest of the markings a list shows. Marked material carries the same banner above and below
 * its content, so a page printed or cut in two still says what it is.
 */

import { h } from "./dom.js";

/**
 * The levels, lowest first, as atlas_coord/domain/choices.py `Marking` defines them
 * (tests/test_console_modules.py checks that they agree).
 */
export const MARKINGS = ["UNCLASSIFIED", "RESTREINT UE/EU RESTRICTED", "CONFIDENTIEL UE/EU CONFIDENTIAL", "SECRET UE/EU SECRET", "TRÈS SECRET UE/EU TOP SECRET"];

/** A marking's rank; a value that names no level (recorded before markings were checked) outranks them all, so it is shown, never hidden. */
function rank(marking) {
  const index = MARKINGS.indexOf(marking);
  return index < 0 ? MARKINGS.length : index;
}

/** The highest of `markings` (null when there is none). */
export function highestMarking(markings) {
  let best = null;
  for (const marking of markings) if (marking && (best === null || rank(marking) > rank(best))) best = marking;
  return best;
}

/** The banner's text; an exercise says so on both sides, as exercise material conventionally does. */
export function bannerText(marking, { exercise = false } = {}) {
  return exercise ? `EXERCISE · ${marking} · EXERCISE` : marking;
}

/** Put, update or (for a null `marking`) remove the banners first and last in `container`. */
export function markPage(container, marking, { exercise = false } = {}) {
  for (const where of ["top", "bottom"]) {
    let el = container.querySelector(`:scope > .marking-banner--${where}`);
    if (!marking) {
      el?.remove();
      continue;
    }
    el = el || h("div", { class: `marking-banner marking-banner--${where}`, role: "note", "aria-label": "Marking of this page" });
    el.textContent = bannerText(marking, { exercise });
    el.dataset.marking = marking;
    el.dataset.level = String(rank(marking)); // the colour of the level (components.css)
    if (where === "top") container.prepend(el);
    else container.append(el);
  }
}

/** The banners of a view listing requests: the highest marking among `requests`. */
export function markList(container, requests) {
  markPage(container, highestMarking(requests.map((r) => r.marking)));
}
