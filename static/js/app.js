/**
 * The console's entry point: session, navigation, hash router, connection indicator, the live
 * event feed, and the hand-off of live events to the mounted view.
 *
 * Each view module exports `mount(container, {params, query, navigate, setTitle, signIn})`
 * returning an object with optional `onEvent(envelope)`, `refresh(reason)` and `unmount()`.
 * Views get what they need from here through that context and never import this module, so
 * the entry stays out of every import cycle (tests/test_console_modules.py).
 */

import * as alerts from "./alerts.js";
import * as api from "./api.js";
import { h, replace } from "./dom.js";
import * as inbox from "./inbox.js";
import * as live from "./live.js";
import * as store from "./store.js";
import { describeEvent } from "./events.js";
import { fmt } from "./time.js";

const routes = [
  { pattern: /^\/signin$/, load: () => import("./view-signin.js"), title: "Sign in", public: true },
  { pattern: /^\/mfa$/, load: () => import("./view-mfa.js"), title: "Second factor" },
  { pattern: /^\/map$/, load: () => import("./view-map.js"), title: "Map", nav: "map" },
  { pattern: /^\/inbox$/, load: () => import("./view-inbox.js"), title: "Inbox", nav: "inbox" },
  { pattern: /^\/requests$/, load: () => import("./view-requests.js"), title: "Requests", nav: "requests" },
  { pattern: /^\/requests\/new$/, load: () => import("./view-request-new.js"), title: "Raise a request", nav: "new" },
  {
    pattern: /^\/requests\/(\d+)(?:\/(ranking|answers|deployments|timeline|audit))?$/,
    load: () => import("./view-request.js"),
    title: "Request",
    nav: "requests",
    keys: ["id", "tab"],
  },
  { pattern: /^\/rosters$/, load: () => import("./view-rosters.js"), title: "Duty rosters", nav: "rosters" },
  { pattern: /^\/rosters\/([A-Za-z0-9-]+)$/, load: () => import("./view-rosters.js"), title: "Duty roster", nav: "rosters", keys: ["org"] },
  { pattern: /^\/mailbox$/, load: () => import("./view-mailbox.js"), title: "Mailbox", nav: "mailbox" },
  { pattern: /^\/units$/, load: () => import("./view-units.js"), title: "Units", nav: "units" },
  { pattern: /^\/units\/(\d+)$/, load: () => import("./view-unit.js"), title: "Unit", nav: "unit", keys: ["id"] },
  { pattern: /^\/trainings$/, load: () => import("./view-calendar.js"), title: "Trainings", nav: "trainings" },
  { pattern: /^\/trainings\/new$/, load: () => import("./view-training-form.js"), title: "Plan a training", nav: "trainings" },
  { pattern: /^\/trainings\/(\d+)$/, load: () => import("./view-training.js"), title: "Training", nav: "trainings", keys: ["id"] },
  { pattern: /^\/trainings\/(\d+)\/edit$/, load: () => import("./view-training-form.js"), title: "Change a training", nav: "trainings", keys: ["id"] },
];

const viewEl = document.getElementById("view");
const generalError = document.getElementById("general-error");
let current = null; // {route, instance, key}
let routing = 0;
let eventChain = Promise.resolve();

// ---------------------------------------------------------------- navigation

function parseHash() {
  const raw = (location.hash || "").replace(/^#/, "") || "/map";
  const [path, search = ""] = raw.split("?");
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

export function navigate(path, { replace: replaceHistory = false } = {}) {
  const target = `#${path}`;
  if (location.hash === target) {
    renderRoute();
    return;
  }
  if (replaceHistory) location.replace(target);
  else location.hash = target;
}

function navItems() {
  const items = [
    { key: "map", href: "#/map", label: "Map" },
    { key: "requests", href: "#/requests", label: "Requests" },
  ];
  if (store.canRaise()) items.push({ key: "new", href: "#/requests/new", label: "Raise a request" });
  const commanded = store.commandedUnitIds();
  if (commanded.length === 1) items.push({ key: "unit", href: `#/units/${commanded[0]}`, label: "My unit" });
  items.push({ key: "units", href: "#/units", label: commanded.length > 1 ? "Units" : "Units" });
  items.push({ key: "trainings", href: "#/trainings", label: "Trainings" });
  items.push({ key: "rosters", href: "#/rosters", label: "Duty rosters" });
  if (store.session.user?.roles?.some((g) => g.role === "admin")) items.push({ key: "mailbox", href: "#/mailbox", label: "Mailbox" });
  return items;
}

function renderNav(active) {
  const nav = document.getElementById("main-nav");
  const list = document.getElementById("nav-list");
  if (!store.session.user) {
    nav.hidden = true;
    list.replaceChildren();
    return;
  }
  nav.hidden = false;
  replace(
    list,
    navItems().map((item) =>
      h(
        "li",
        {},
        h("a", { href: item.href, class: "nav-link", "aria-current": item.key === active ? "page" : null, dataset: { nav: item.key } }, item.label),
      ),
    ),
  );
}

function renderUser() {
  const box = document.getElementById("user-box");
  const who = document.getElementById("who");
  const user = store.session.user;
  if (!user) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const roles = user.roles.map((g) => store.roleLabel(g)).join(", ");
  replace(
    who,
    h("span", { class: "topbar__name" }, user.display_name || user.username),
    h("span", { class: "topbar__roles" }, roles),
    user.is_demo
      ? h("span", { class: "topbar__mfa", dataset: { mfa: "demo" } }, "demo account: no second factor")
      : h("a", { class: "topbar__mfa", href: "#/mfa" }, "Second factor"),
  );
}

// The route being drawn: a sign-out waits for it, so that the view's first loads have started
// (and are awaited by api.settled()) before the session ends.
let drawing = Promise.resolve();

function renderRoute() {
  drawing = drawRoute();
  return drawing;
}

async function drawRoute() {
  const ticket = ++routing;
  const { path, query } = parseHash();
  const route = routes.find((r) => r.pattern.test(path));
  if (!route) {
    navigate("/map", { replace: true });
    return;
  }
  if (!route.public && !store.session.user) {
    navigate(`/signin?next=${encodeURIComponent(path)}`, { replace: true });
    return;
  }
  if (route.public && store.session.user && path === "/signin") {
    navigate(query.next || "/map", { replace: true });
    return;
  }
  const match = route.pattern.exec(path);
  const params = {};
  (route.keys || []).forEach((key, i) => {
    params[key] = match[i + 1];
  });
  hideGeneralError();
  if (current?.instance?.unmount) {
    try {
      current.instance.unmount();
    } catch (err) {
      console.error(err);
    }
  }
  current = null;
  renderNav(route.nav);
  viewEl.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  viewEl.dataset.view = "";
  let module;
  try {
    module = await route.load();
  } catch (err) {
    console.error(err);
    showGeneralError("This view could not be loaded. Reload the page.");
    return;
  }
  if (ticket !== routing) return;
  const container = h("div", { class: "view__inner" });
  viewEl.replaceChildren(container);
  document.title = `${route.title} · ATLAS console`;
  try {
    const instance = (await module.mount(container, { params, query, navigate, setTitle, signIn, signedIn })) || {};
    if (ticket !== routing) {
      instance.unmount?.();
      return;
    }
    current = { route, instance };
  } catch (err) {
    // A 401 means the session ended while the view loaded (a sign-out, an expiry): the sign-in
    // view takes over (api.js "unauthenticated"); there is nothing to report.
    if (err instanceof api.ApiError && err.status === 401) return;
    console.error(err);
    container.replaceChildren(errorPanel(err));
  }
  viewEl.dataset.view = route.nav || "signin";
  const heading = viewEl.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function setTitle(text) {
  document.title = `${text} · ATLAS console`;
}

function errorPanel(err) {
  const notFound = err instanceof api.ApiError && err.status === 404;
  return h(
    "section",
    { class: "panel panel--error" },
    h("h1", {}, notFound ? "Not found" : "Something went wrong"),
    h("p", {}, notFound ? "It does not exist, or it is not shared with your state." : err.message || String(err)),
    h("p", {}, h("a", { href: "#/map" }, "Back to the map")),
  );
}

// ---------------------------------------------------------------- general error banner

export function showGeneralError(message) {
  generalError.replaceChildren(
    h("span", {}, message),
    h("button", { type: "button", class: "btn btn--ghost btn--small", onClick: hideGeneralError }, "Dismiss"),
  );
  generalError.hidden = false;
}

function hideGeneralError() {
  generalError.hidden = true;
  generalError.replaceChildren();
}

// ---------------------------------------------------------------- connection indicator

const CONN_LABELS = {
  connected: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

function renderConnection(status) {
  const el = document.getElementById("conn");
  el.dataset.state = status;
  el.className = `conn conn--${status}`;
  document.getElementById("conn-label").textContent = CONN_LABELS[status] || status;
  el.title =
    status === "connected"
      ? "Connected: changes appear as they happen"
      : status === "offline"
        ? "The server cannot be reached; what you see may be out of date"
        : "Connection lost; catching up on what was missed";
  document.body.dataset.conn = status;
}

// ---------------------------------------------------------------- live feed

const feedList = document.getElementById("live-log");

function addToFeed(ev) {
  const text = describeEvent(ev);
  if (!text) return;
  const item = h(
    "li",
    { class: "feed__item", dataset: { seq: ev.seq, type: ev.type } },
    h("time", { class: "feed__time", datetime: ev.at }, fmt(ev.at, undefined, "time")),
    h("span", { class: "feed__text" }, text.text),
  );
  if (text.href) {
    item.replaceChildren(item.firstChild, h("a", { href: text.href, class: "feed__text" }, text.text));
  }
  feedList.prepend(item);
  while (feedList.children.length > 40) feedList.lastChild.remove();
}

async function handleEvent(ev) {
  const type = String(ev.type || "");
  const unitId = live.eventUnitId(ev);
  if (unitId && (type.startsWith("readiness.") || type.startsWith("directory.unit") || type.startsWith("deployment."))) {
    try {
      await store.refreshUnit(unitId);
    } catch (err) {
      if (!(err instanceof api.ApiError)) console.error(err);
    }
  }
  addToFeed(ev);
  if (current?.instance?.onEvent) {
    try {
      await current.instance.onEvent(ev);
    } catch (err) {
      console.error("view event handler failed", err);
    }
  }
}

// ---------------------------------------------------------------- session

// The sign-in in progress and its first loads: a sign-out waits for them, so that none of their
// requests reaches the server after the session has ended (each would be a 401 in the log).
let signingIn = Promise.resolve();
// The first render after a reload (its view's loads included): a sign-out waits for it too.
let booting = Promise.resolve();

function signedIn(body) {
  signingIn = startSession(body);
  return signingIn;
}

async function startSession(body) {
  store.setSession(body);
  renderUser();
  try {
    await store.loadDirectory(true);
  } catch (err) {
    showGeneralError(`The directory could not be loaded: ${err.message}`);
  }
  // Signed out while the directory loaded (a quick sign-out after a reload): start nothing.
  if (!store.session.user || store.session.user.id !== body.user?.id) return;
  renderUser();
  live.start({ onUnauthenticated: signedOut });
  await Promise.allSettled([alerts.reload(), inbox.start().catch((err) => console.error("inbox", err))]);
}

function signedOut() {
  live.stop();
  alerts.stop();
  inbox.stop();
  store.clearSession();
  renderUser();
  renderNav(null);
  feedList.replaceChildren();
  const { path } = parseHash();
  navigate(path.startsWith("/signin") ? path : `/signin?next=${encodeURIComponent(path)}`, { replace: true });
}

/** `factor`: {otp} or {recovery_code} when the account signs in with a second factor. */
export async function signIn(username, password, factor = {}) {
  const body = await api.post("/api/v1/auth/login", { username, password, ...factor }, { quietAuth: true });
  await signedIn(body);
  return body;
}

async function signOut() {
  // Let the sign-in's first loads finish, then stop listening before logging out: the server
  // closes this user's sockets when the session ends, and a resync racing the logout's answer
  // would ask for the inbox with a session already gone.
  await Promise.allSettled([booting, signingIn]);
  await drawing.catch(() => {}); // a view the sign-in just opened starts its loads in mount
  live.stop();
  inbox.stop();
  await api.settled(); // the view's own loads still on their way
  try {
    await api.post("/api/v1/auth/logout", {});
  } catch (err) {
    console.warn("sign-out", err);
  }
  signedOut();
}

// ---------------------------------------------------------------- boot

async function boot() {
  live.onStatus(renderConnection);
  live.onEvent((ev) => {
    alerts.onEvent(ev, store.session.user?.id);
    eventChain = eventChain.then(() => handleEvent(ev));
  });
  live.onResync((reason) => {
    if (store.session.user) alerts.reload();
    if (current?.instance?.refresh) current.instance.refresh(reason);
  });
  api.on("unauthenticated", () => {
    if (store.session.user) signedOut();
  });
  document.getElementById("signout").addEventListener("click", signOut);
  // The skip link must not change the hash (the router lives there): move focus by hand.
  document.querySelector(".skip-link")?.addEventListener("click", (ev) => {
    ev.preventDefault();
    (viewEl.querySelector("h1") || viewEl).focus();
  });
  window.addEventListener("hashchange", renderRoute);
  booting = (async () => {
    try {
      if (store.mayHaveSession()) await signedIn(await api.get("/api/v1/auth/me", { quietAuth: true }));
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 401) store.clearSession();
      if (!(err instanceof api.ApiError) || (err.status !== 401 && err.status !== 403)) {
        console.warn("auth/me", err);
        if (err instanceof api.ApiError && err.status === 0) {
          renderConnection("offline");
          showGeneralError("The server cannot be reached. The console will work again once it answers; reload then.");
        }
      }
    }
    delete document.body.dataset.booting;
    await renderRoute();
  })();
  await booting;
  document.body.dataset.ready = "true";
}

boot();
