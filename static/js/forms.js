/**
 * Form handling shared by the views: sending a form (its errors cleared, its buttons disabled
 * while the call runs, an API error shown in the form), an action button with its error box, and
 * what lets an open form survive a live re-render (nodes kept by key, and the focus and caret
 * handed back to the control being typed in).
 */

import { ApiError } from "./api.js";
import { clearErrors, formErrors, h, showErrors } from "./dom.js";

function setDisabled(buttons, disabled) {
  for (const b of buttons) b.disabled = disabled;
}

/**
 * Send a form: clear its errors, disable `buttons` (by default its submit buttons) while
 * `send()` runs, and show an API error in the form (or hand it to `onError(err)`). Any other
 * error is thrown on. Resolves true when `send()` succeeded.
 */
export async function sendForm(form, send, { buttons = form.querySelectorAll("button[type=submit]"), onError = null } = {}) {
  clearErrors(form);
  setDisabled(buttons, true);
  try {
    await send();
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (onError) onError(err);
    else showErrors(form, err);
    return false;
  } finally {
    setDisabled(buttons, false);
  }
}

/**
 * An action button's click: disable it while `send()` runs; an API error is shown in `box`'s
 * .form-errors (added at its top when missing) and focused. Any other error is thrown on.
 */
export async function sendAction(button, box, send) {
  button.disabled = true;
  let errorBox = box.querySelector(".form-errors");
  if (!errorBox) {
    errorBox = formErrors();
    box.prepend(errorBox);
  }
  try {
    await send();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    errorBox.replaceChildren(h("p", {}, err.message));
    errorBox.hidden = false;
    errorBox.focus();
  } finally {
    button.disabled = false;
  }
}

/**
 * Nodes kept across re-renders by key, so that an open form keeps what was typed into it: put
 * the version of what it edits in the key, and a newer version builds a fresh node.
 */
export function keptNodes() {
  const kept = new Map(); // key -> node
  return {
    keep(key, build) {
      if (kept.has(key)) return kept.get(key);
      const node = build();
      kept.set(key, node);
      return node;
    },
    /** Drop the kept nodes that `root` no longer shows. */
    prune(root) {
      for (const key of [...kept.keys()]) if (!root.contains(kept.get(key))) kept.delete(key);
    },
  };
}

/**
 * Run `render()` (it may be async), then give the focus and the caret back to the control in
 * `root` that had them. A live update re-renders while someone may be typing in a kept form:
 * moving its nodes into the new tree drops their focus, and the next keystrokes would go nowhere.
 */
export async function keepingFocus(root, render) {
  const typing = root.contains(document.activeElement) ? document.activeElement : null;
  const caret = typing && typeof typing.selectionStart === "number" ? [typing.selectionStart, typing.selectionEnd] : null;
  await render();
  if (typing && typing !== document.activeElement && root.contains(typing)) {
    typing.focus({ preventScroll: true });
    if (caret) typing.setSelectionRange(caret[0], caret[1]);
  }
}
