/**
 * Small DOM helpers for the console. Text from the API is always set with textContent, never
 * parsed as HTML. The CSP forbids inline style attributes, so `h()` has no "style" option: use
 * classes (or element.style from code, which the CSP allows).
 */

import { fieldName } from "./plain.js";

let idCounter = 0;

/** A unique element id with a readable prefix. */
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Create an element: h("button", {class: "btn", type: "button", onClick: fn}, "Save").
 * Attributes: `class` (string or array), `dataset` (object), `on<Event>` (listener), boolean
 * values set/omit the attribute, anything else is set with setAttribute. Children may be
 * strings, numbers, nodes, arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (key === "dataset") {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = String(v);
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "value" && "value" in el) {
      el.value = value;
    } else if (key === "checked" || key === "selected" || key === "disabled") {
      el[key] = Boolean(value);
      if (value) el.setAttribute(key, "");
    } else if (value === true) {
      el.setAttribute(key, "");
    } else if (key === "style") {
      throw new Error("h(): inline styles are forbidden by the CSP; use a class");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A labelled form control wrapped in a .field with an error slot (data-field for API errors). */
export function field({ label, name, control, hint, field: fieldPath, wide = false, inline = false }) {
  const id = control.id || uid(name || "f");
  control.id = id;
  if (name && !control.name) control.name = name;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  const wrapper = h(
    "div",
    {
      class: ["field", wide && "field--wide", inline && "field--inline"],
      dataset: { field: fieldPath || name },
    },
    inline ? [control, h("label", { for: id }, label)] : [h("label", { for: id }, label), control],
    hint ? h("p", { class: "field__hint", id: hintId }, hint) : null,
    h("p", { class: "field__error", id: errorId, hidden: true }),
  );
  return wrapper;
}

/** A fieldset of checkboxes; returns {element, values()}. */
export function checkboxGroup({ legend, name, options, checked = [], field: fieldPath, columns = false }) {
  const errorId = uid(`${name}-error`);
  const boxes = options.map(({ value, label, title }) => {
    const id = uid(`${name}-${value}`);
    const input = h("input", { type: "checkbox", id, name, value, checked: checked.includes(value) });
    return h("div", { class: "check", title }, input, h("label", { for: id }, label));
  });
  const element = h(
    "fieldset",
    { class: ["field", "fieldset", columns && "fieldset--columns"], dataset: { field: fieldPath || name }, "aria-describedby": errorId },
    h("legend", {}, legend),
    h("div", { class: "fieldset__options" }, boxes),
    h("p", { class: "field__error", id: errorId, hidden: true }),
  );
  return {
    element,
    values: () => [...element.querySelectorAll("input[type=checkbox]:checked")].map((i) => i.value),
  };
}

/** A <select> from [{value, label}] (or strings). */
export function select(options, { value, required = false, placeholder, ...attrs } = {}) {
  const el = h("select", { ...attrs, required });
  if (placeholder !== undefined) el.append(h("option", { value: "" }, placeholder));
  for (const opt of options) {
    const o = typeof opt === "string" ? { value: opt, label: opt } : opt;
    el.append(h("option", { value: o.value, selected: String(o.value) === String(value ?? "") }, o.label));
  }
  if (value !== undefined && value !== null) el.value = String(value);
  return el;
}

/** Clear the field errors and the form's general error box. */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field__error")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field--invalid")) el.classList.remove("field--invalid");
  const general = form.querySelector(".form-errors");
  if (general) {
    general.replaceChildren();
    general.hidden = true;
  }
}

/** Find the .field for an API field path, trying shorter prefixes ("crisis.site.lat" → "crisis.site"). */
function findField(form, path) {
  const parts = String(path).split(".");
  while (parts.length) {
    const key = parts.join(".");
    const found = [...form.querySelectorAll("[data-field]")].find((el) => el.dataset.field === key);
    if (found) return found;
    parts.pop();
  }
  return null;
}

/**
 * Show an API error in a form: each `fields` entry next to its control (by data-field), the
 * rest (and the message) in the form's .form-errors box. Focuses the first invalid control.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector(".form-errors");
  const leftovers = [];
  let first = null;
  const fields = (error && error.fields) || {};
  const raw = (error && error.raw) || {};
  for (const [path, message] of Object.entries(fields)) {
    const wrapper = findField(form, path);
    if (!wrapper) {
      leftovers.push({ text: `${fieldName(path)}: ${message}`, title: raw[path] || path });
      continue;
    }
    wrapper.classList.add("field--invalid");
    const slot = wrapper.querySelector(":scope > .field__error") || wrapper.querySelector(".field__error");
    if (slot) {
      // The sentence at the field; the API's path and wording only in the tooltip.
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      slot.title = [slot.title, raw[path] || path].filter(Boolean).join("\n");
      slot.hidden = false;
    }
    const control = wrapper.querySelector("input, select, textarea");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      if (!first) first = control;
    }
  }
  if (general) {
    const items = [];
    const mapped = Object.keys(fields).length - leftovers.length;
    // A 422's message is its first field's sentence, already shown at the field; any other
    // refusal (a 409 naming a conflict, say) says something the fields do not.
    if (error?.status !== 422 || !Object.keys(fields).length) items.push({ text: error?.message || "The request failed.", title: error?.detail });
    else if (mapped) items.push({ text: "Please correct the marked fields." });
    items.push(...leftovers);
    general.replaceChildren(h("p", { class: "form-errors__title" }, "Could not save:"),
      h("ul", {}, items.map((item) => h("li", { title: item.title || null }, item.text))));
    general.hidden = false;
    if (!first) general.focus();
  }
  if (first) first.focus();
}

/** The general error box of a form (role=alert so it is announced). */
export function formErrors() {
  return h("div", { class: "form-errors", role: "alert", tabindex: "-1", hidden: true });
}

/** A status badge (text always present; colour is a help, not the message). */
export function badge(text, kind = "") {
  const slug = String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return h("span", { class: ["badge", `badge--${slug}`, kind && `badge--${kind}`] }, String(text ?? ""));
}

/** Key-value definition list. */
export function dl(rows, cls = "kv") {
  return h(
    "dl",
    { class: cls },
    rows.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]),
  );
}

/** Humanise an ENUM_VALUE or snake_case value. */
export function humanise(value) {
  if (value === null || value === undefined) return "";
  const s = String(value).replace(/_/g, " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Make a non-button element activate on Enter and Space like a button. */
export function activateOnKeys(el, handler) {
  el.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      handler(ev);
    }
  });
}
