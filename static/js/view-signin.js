/**
 * Sign-in (POST /api/v1/auth/login: session cookie + CSRF token). `signIn` comes from the
 * router's mount context (app.js), which also starts the session.
 */

import { ApiError } from "./api.js";
import { field, formErrors, h, showErrors, clearErrors } from "./dom.js";

export function mount(container, { query, navigate, signIn }) {
  const username = h("input", { type: "text", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "btn btn--primary" }, "Sign in");
  const form = h(
    "form",
    { class: "form form--signin", novalidate: true, "aria-labelledby": "signin-title" },
    formErrors(),
    field({ label: "User name", name: "username", control: username }),
    field({ label: "Password", name: "password", control: password }),
    h("div", { class: "form__actions" }, submit),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await signIn(username.value.trim(), password.value);
      navigate(query.next && query.next.startsWith("/") ? query.next : "/map", { replace: true });
    } catch (err) {
      const error =
        err instanceof ApiError
          ? err.status === 401
            ? { message: err.message || "Wrong user name or password.", fields: { password: "wrong user name or password" } }
            : err
          : { message: String(err), fields: {} };
      showErrors(form, error);
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  container.append(
    h(
      "section",
      { class: "signin" },
      h(
        "div",
        { class: "signin__card panel" },
        h("h1", { id: "signin-title" }, "Sign in to the ATLAS console"),
        h(
          "p",
          { class: "signin__intro" },
          "Crisis coordination for the special intervention units of the ATLAS network (Council Decision 2008/617/JHA).",
        ),
        form,
      ),
    ),
  );
  setTimeout(() => username.focus(), 0);
  return {};
}
