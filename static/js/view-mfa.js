/**
 * The second factor: TOTP enrolment (a QR code drawn by the server as an SVG data URI, the secret
 * for typing in by hand, a first code to confirm) and the ten recovery codes, shown once.
 *
 * `enrolPanel` runs either during sign-in (with the enrolment token the sign-in answered with;
 * confirming then opens the console session) or signed in, from the "Second factor" page
 * (`mount`, route #/mfa).
 */

import * as api from "./api.js";
import { field, formErrors, h, replace, showErrors, clearErrors } from "./dom.js";
import { passwordChange, securityKeys } from "./view-security.js";

/** The ten recovery codes with a button to go on once they are saved. */
function recoveryCodes(codes, onContinue) {
  const next = h("button", { type: "button", class: "btn btn--primary", dataset: { action: "mfa-continue" } }, "I have saved these codes — continue");
  next.addEventListener("click", onContinue);
  return h(
    "div",
    { class: "mfa__codes", dataset: { mfaStep: "codes" } },
    h("h2", {}, "Your recovery codes"),
    h("p", {}, "Each code signs you in once if your authenticator is lost. Print or store them safely: they are not shown again."),
    h("ol", { class: "mfa__code-list" }, codes.map((code) => h("li", {}, h("code", {}, code)))),
    h("div", { class: "form__actions" }, next),
  );
}

/**
 * An element that runs the enrolment. `enrolmentToken`: from a sign-in answered with
 * second_factor_enrolment_required, or null when signed in. `onDone(body)` gets the
 * confirmation (recovery codes, and user + csrf_token when it opened the session) after the
 * user has seen the codes.
 */
export function enrolPanel({ enrolmentToken = null, onDone }) {
  const panel = h("div", { class: "mfa", dataset: { mfaStep: "start" } }, h("p", { class: "loading" }, "Preparing your authenticator…"));
  const tokenPart = enrolmentToken ? { enrolment_token: enrolmentToken } : {};
  api
    .post("/api/v1/auth/mfa/totp", { ...tokenPart }, { quietAuth: true })
    .then((started) => replace(panel, confirmForm(started, tokenPart, panel, onDone)))
    .catch((err) => replace(panel, h("p", { class: "form-errors" }, err.message || String(err))));
  return panel;
}

function confirmForm(started, tokenPart, panel, onDone) {
  const code = h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", required: true, pattern: "[0-9]{6}" });
  const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Confirm");
  const form = h(
    "form",
    { class: "form form--mfa", novalidate: true },
    formErrors(),
    field({ label: "First code from the app", name: "code", control: code }),
    h("div", { class: "form__actions" }, submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const body = await api.post("/api/v1/auth/mfa/totp/confirm", { ...tokenPart, code: code.value.trim() }, { quietAuth: true });
      panel.dataset.mfaStep = "codes";
      replace(panel, recoveryCodes(body.recovery_codes, () => onDone(body)));
    } catch (err) {
      showErrors(form, err instanceof api.ApiError ? err : { message: String(err), fields: {} });
    } finally {
      submit.disabled = false;
    }
  });
  setTimeout(() => code.focus(), 0);
  return h(
    "div",
    { class: "mfa__enrol", dataset: { mfaStep: "scan" } },
    h("h2", {}, "Set up your authenticator"),
    h("p", {}, "Scan this code with an authenticator app (for example FreeOTP, Aegis or Google Authenticator), then type the 6-digit code it shows."),
    h("img", { class: "mfa__qr", src: started.qr_svg, alt: "QR code to add this account to an authenticator app", width: "220", height: "220" }),
    h("p", { class: "mfa__secret" }, "Or type this key by hand: ", h("code", { dataset: { mfaSecret: "" } }, started.secret)),
    form,
  );
}

/** The "Second factor" page for a signed-in user. */
export async function mount(container, { setTitle }) {
  setTitle?.("Second factor");
  const me = await api.get("/api/v1/auth/me");
  const body = h("div", { class: "mfa__status" });
  const status = me.mfa;
  const keys = status.security_keys ? ` ${status.security_keys} security key(s) registered.` : "";
  const summary = status.demo_exempt
    ? "demo account: no second factor"
    : status.totp
      ? `An authenticator app is enrolled; sign-in asks for its code.${keys}`
      : status.enrolled
        ? `Sign-in asks for your security key.${keys}`
      : status.required
        ? "Your roles require a second factor: enrol one now."
        : "Optional for your roles: enrol one to protect this account.";
  replace(body, h("p", { dataset: { mfaSummary: "" } }, summary));
  if (!status.enrolled && !status.demo_exempt) {
    body.append(enrolPanel({ onDone: () => replace(body, h("p", {}, "Enrolled. The next sign-in asks for a code.")) }));
  }
  container.append(h("section", { class: "panel mfa-page" }, h("h1", {}, "Second factor"), body, securityKeys(), passwordChange()));
  return {};
}
