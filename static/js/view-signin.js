/**
 * Sign-in (POST /api/v1/auth/login: session cookie + CSRF token). `signIn` and `signedIn` come
 * from the router's mount context (app.js), which also starts the session.
 *
 * The second factor: when the server answers second_factor_required the code field appears (a
 * 6-digit TOTP code, or a recovery code); when it answers second_factor_enrolment_required the
 * card turns into the enrolment (view-mfa.js), whose confirmation opens the session. An account
 * with a security key gets a "Use security key" button: the key answers the challenge the 401
 * carried, and the sign-in is sent again with it.
 */

import { ApiError } from "./api.js";
import { field, formErrors, h, replace, showErrors, clearErrors } from "./dom.js";
import { enrolPanel } from "./view-mfa.js";
import * as webauthn from "./webauthn.js";

/** The body's second factor: six digits are a TOTP code, anything else a recovery code. */
function factorOf(text) {
  const value = text.trim();
  if (!value) return {};
  return /^[0-9]{6}$/.test(value) ? { otp: value } : { recovery_code: value };
}

function errorOf(err) {
  if (!(err instanceof ApiError)) return { message: String(err), fields: {} };
  if (err.status === 401) return { message: err.message || "Wrong user name or password.", fields: { password: "wrong user name or password" } };
  const fields = { ...err.fields };
  // One field on the page takes either kind of code.
  if (fields.recovery_code) fields.otp = fields.recovery_code;
  delete fields.recovery_code;
  return { ...err, message: err.message, fields };
}

export function mount(container, { query, navigate, signIn, signedIn }) {
  const target = query.next && query.next.startsWith("/") ? query.next : "/map";
  let shown = true;
  // Once signed in, open the page asked for; unless the person already went elsewhere (a link,
  // the address bar) while the sign-in's first loads were on their way.
  const proceed = () => shown && navigate(target, { replace: true });
  const username = h("input", { type: "text", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const code = h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", autocapitalize: "none", spellcheck: "false", maxlength: "40" });
  const codeField = field({ label: "Code from your authenticator app (or a recovery code)", name: "otp", control: code });
  codeField.hidden = true;
  const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Sign in");
  const useKey = h("button", { type: "button", class: "btn", dataset: { action: "use-security-key" } }, "Use security key");
  useKey.hidden = true;
  let keyOptions = null;
  const form = h(
    "form",
    { class: "form form--signin", novalidate: true, "aria-labelledby": "signin-title" },
    formErrors(),
    field({ label: "User name", name: "username", control: username }),
    field({ label: "Password", name: "password", control: password }),
    codeField,
    h("div", { class: "form__actions" }, submit, useKey),
  );
  const card = h(
    "div",
    { class: "signin__card panel" },
    h("h1", { id: "signin-title" }, "Sign in to the ATLAS console"),
    h(
      "p",
      { class: "signin__intro" },
      "Crisis coordination for the special intervention units of the ATLAS network (Council Decision 2008/617/JHA).",
    ),
    form,
  );

  function enrol(token) {
    replace(
      card,
      h("h1", { id: "signin-title" }, "Set up a second factor"),
      h("p", { class: "signin__intro" }, "Your roles require a second factor. Enrol an authenticator app to finish signing in."),
      enrolPanel({
        enrolmentToken: token,
        onDone: async (body) => {
          await signedIn(body);
          proceed();
        },
      }),
    );
  }

  function askForFactor(err) {
    const { methods = [], webauthn_options: options = null } = err.body?.error || {};
    codeField.hidden = !methods.includes("totp") && !methods.includes("recovery_code");
    keyOptions = options && webauthn.available() ? options : null;
    useKey.hidden = !keyOptions;
    if (keyOptions && !methods.includes("totp")) useKey.focus();
    else code.focus();
  }

  async function attempt(factor) {
    clearErrors(form);
    submit.disabled = useKey.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await signIn(username.value.trim(), password.value, factor);
      proceed();
    } catch (err) {
      if (err instanceof ApiError && err.code === "second_factor_required") {
        askForFactor(err);
      } else if (err instanceof ApiError && err.code === "second_factor_enrolment_required") {
        enrol(err.body?.error?.enrolment_token);
      } else {
        showErrors(form, errorOf(err));
      }
    } finally {
      submit.disabled = useKey.disabled = false;
      submit.textContent = "Sign in";
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    attempt(codeField.hidden ? {} : factorOf(code.value));
  });
  useKey.addEventListener("click", async () => {
    let credential;
    try {
      credential = await webauthn.get(keyOptions);
    } catch (err) {
      showErrors(form, { message: `The security key did not answer: ${err.message || err}`, fields: {} });
      return;
    }
    attempt({ webauthn: credential });
  });
  container.append(h("section", { class: "signin" }, card));
  setTimeout(() => username.focus(), 0);
  return {
    unmount() {
      shown = false;
    },
  };
}
