/** The local mailbox (admin): the emails of the embedded default, which has no SMTP relay. */

import * as api from "./api.js";
import { h } from "./dom.js";
import { fmt } from "./time.js";

export async function mount(container) {
  const body = await api.get("/api/v1/mailbox");
  container.append(
    h("div", { class: "page-head" }, h("h1", {}, "Local mailbox")),
    h("p", { class: "muted" }, "Alerts by email land here while alerts.email is \"mailbox\" (no SMTP relay configured)."),
    body.items.length
      ? h(
          "ol",
          { class: "mailbox" },
          body.items.map((m) =>
            h("li", { class: "mailbox__item" }, h("p", {}, h("strong", {}, m.subject)), h("p", { class: "muted" }, `to ${m.to}, ${fmt(m.created_at)}`), h("pre", {}, m.body)),
          ),
        )
      : h("p", {}, "No email yet."),
  );
  return {};
}
