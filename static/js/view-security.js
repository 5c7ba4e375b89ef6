/**
 * The account's security, below the second factor on the #/mfa page: security keys (WebAuthn:
 * list, register, remove; offered to the roles in auth.webauthn_roles) and the password change
 * (which ends every other session and token of the account).
 */

import * as api from "./api.js";
import { field, formErrors, h, replace, showErrors, clearErrors } from "./dom.js";
import * as webauthn from "./webauthn.js";

const asError = (err) => (err instanceof api.ApiError ? err : { message: err?.message || String(err), fields: {} });

function keyRow(key, refresh) {
  const remove = h("button", { type: "button", class: "btn btn--small", dataset: { action: "remove-key" } }, "Remove");
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    try {
      await api.del(`/api/v1/auth/mfa/webauthn/${key.id}`);
      await refresh();
    } catch (err) {
      remove.disabled = false;
      remove.after(h("span", { class: "form-errors" }, asError(err).message));
    }
  });
  const used = key.last_used_at ? `last used ${new Date(key.last_used_at).toLocaleString()}` : "not used yet";
  return h("li", { dataset: { securityKey: key.label } }, h("strong", {}, key.label), ` — added ${new Date(key.created_at).toLocaleDateString()}, ${used} `, remove);
}

function registerForm(refresh) {
  const label = h("input", { type: "text", maxlength: "80", required: true, value: "Security key" });
  const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Add a security key");
  const form = h("form", { class: "form form--key", novalidate: true }, formErrors(), field({ label: "Name of the key", name: "label", control: label }), h("div", { class: "form__actions" }, submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const { public_key: options } = await api.post("/api/v1/auth/mfa/webauthn/options", {});
      const credential = await webauthn.create(options);
      await api.post("/api/v1/auth/mfa/webauthn", { label: label.value.trim(), credential });
      await refresh();
    } catch (err) {
      showErrors(form, asError(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The security keys section; empty when one's roles are not offered keys and one has none. */
export function securityKeys() {
  const section = h("section", { class: "security-keys", dataset: { section: "security-keys" } });
  async function refresh() {
    const found = await api.get("/api/v1/auth/mfa/webauthn");
    if (!found.offered && !found.keys.length) return replace(section);
    const hereOk = webauthn.available() && (location.hostname === found.rp_id || location.hostname.endsWith(`.${found.rp_id}`));
    replace(
      section,
      h("h2", {}, "Security keys"),
      h("p", {}, "A security key or passkey signs you in instead of the code from the app."),
      found.keys.length ? h("ul", { class: "security-keys__list" }, found.keys.map((key) => keyRow(key, refresh))) : h("p", { dataset: { noKeys: "" } }, "No security key yet."),
      hereOk
        ? registerForm(refresh)
        : h("p", { class: "hint" }, `Security keys work where the console is reached as ${found.rp_id} (for example ${location.protocol}//${found.rp_id}:${location.port || 80}/).`),
    );
  }
  refresh().catch((err) => replace(section, h("p", { class: "form-errors" }, asError(err).message)));
  return section;
}

/** The password change form. */
export function passwordChange() {
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Change password");
  const done = h("p", { class: "form__done", role: "status" });
  const form = h(
    "form",
    { class: "form form--password", novalidate: true },
    formErrors(),
    field({ label: "Current password", name: "current_password", control: current }),
    field({ label: "New password", name: "new_password", control: next, hint: "12 characters or more, not a common password" }),
    h("div", { class: "form__actions" }, submit),
    done,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    done.textContent = "";
    submit.disabled = true;
    try {
      const answer = await api.post("/api/v1/auth/password", { current_password: current.value, new_password: next.value });
      current.value = next.value = "";
      done.textContent = `Password changed. Signed out elsewhere: ${answer.sessions_ended} session(s), ${answer.tokens_ended} token(s).`;
    } catch (err) {
      showErrors(form, asError(err));
    } finally {
      submit.disabled = false;
    }
  });
  return h("section", { class: "password-change", dataset: { section: "password" } }, h("h2", {}, "Password"), form);
}
