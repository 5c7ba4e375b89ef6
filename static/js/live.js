/**
 * The live channel (issue 5 contract): Socket.IO (global `io` from /static/vendor/socket.io.min.js)
 * authenticated by the session cookie. Events arrive as "event" messages with the envelope
 * {seq, type, at, subject, data}. We keep `lastSeq`, ignore seq <= lastSeq, reconnect with
 * auth {after: lastSeq} (the server replays what we missed, then "ready"), and fall back to the
 * REST catch-up GET /api/v1/events?after=N while the socket is down but the server answers.
 *
 * Connection states shown to the user: "connected", "connecting", "reconnecting", "offline".
 */

/* global io */

import { get, ApiError } from "./api.js";

const POLL_MS = 4000; // REST catch-up cadence while the socket is down
const PROBE_MS = 3000;

const state = {
  socket: null,
  lastSeq: null,
  status: "offline",
  statusListeners: new Set(),
  eventListeners: new Set(),
  resyncListeners: new Set(),
  presenceListeners: new Set(),
  pollTimer: null,
  probeTimer: null,
  polling: false,
  started: false,
  everReady: false,
  onUnauthenticated: null,
  watching: new Set(),
  received: 0,
};

export function lastSeq() {
  return state.lastSeq;
}

export function status() {
  return state.status;
}

function setStatus(next) {
  if (state.status === next) return;
  state.status = next;
  for (const fn of state.statusListeners) fn(next);
}

/** fn(status) on every change of the connection state; returns an unsubscribe function. */
export function onStatus(fn) {
  state.statusListeners.add(fn);
  fn(state.status);
  return () => state.statusListeners.delete(fn);
}

/** fn(envelope) for every new event (seq > lastSeq), in seq order. */
export function onEvent(fn) {
  state.eventListeners.add(fn);
  return () => state.eventListeners.delete(fn);
}

/** fn(reason) when the view must reload its state (first connect, or replay truncated). */
export function onResync(fn) {
  state.resyncListeners.add(fn);
  return () => state.resyncListeners.delete(fn);
}

/** fn(presenceSummary) for presence updates of watched requests. */
export function onPresence(fn) {
  state.presenceListeners.add(fn);
  return () => state.presenceListeners.delete(fn);
}

function dispatch(envelope) {
  if (!envelope || typeof envelope.seq !== "number") return;
  if (state.lastSeq !== null && envelope.seq <= state.lastSeq) return; // duplicate or already seen
  state.lastSeq = envelope.seq;
  state.received += 1;
  document.body.dataset.lastSeq = String(envelope.seq);
  for (const fn of state.eventListeners) {
    try {
      fn(envelope);
    } catch (err) {
      console.error("live: event handler failed", err);
    }
  }
}

function resync(reason) {
  for (const fn of state.resyncListeners) {
    try {
      fn(reason);
    } catch (err) {
      console.error("live: resync handler failed", err);
    }
  }
}

// ---------------------------------------------------------------- REST catch-up

async function pollOnce() {
  if (state.polling || state.lastSeq === null) return;
  state.polling = true;
  try {
    let after = state.lastSeq;
    for (let guard = 0; guard < 20; guard += 1) {
      const body = await get(`/api/v1/events?after=${after}&limit=500`, { quietAuth: false });
      if (body.replay_truncated) {
        state.lastSeq = body.last_seq;
        resync("replay_truncated");
        break;
      }
      for (const item of body.items || []) dispatch(item);
      if (typeof body.last_seq === "number" && body.last_seq > (state.lastSeq ?? 0)) {
        // Events in between are not addressed to us; skip past them.
        state.lastSeq = body.last_seq;
        document.body.dataset.lastSeq = String(state.lastSeq);
      }
      if ((body.items || []).length < 500) break;
      after = state.lastSeq;
    }
    if (state.status === "offline") setStatus("reconnecting");
  } catch (err) {
    if (err instanceof ApiError && err.status === 0) setStatus("offline");
  } finally {
    state.polling = false;
  }
}

function startPolling() {
  if (state.pollTimer) return;
  state.pollTimer = setInterval(pollOnce, POLL_MS);
}

function stopPolling() {
  if (state.pollTimer) clearInterval(state.pollTimer);
  state.pollTimer = null;
}

async function probe() {
  try {
    const response = await fetch("/livez", { cache: "no-store", credentials: "same-origin" });
    return response.ok;
  } catch {
    return false;
  }
}

function startProbing() {
  if (state.probeTimer) return;
  const tick = async () => {
    if (state.status === "connected") return;
    const reachable = navigator.onLine !== false && (await probe());
    if (state.status === "connected") return;
    setStatus(reachable ? "reconnecting" : "offline");
    if (reachable && state.socket && !state.socket.connected && !state.socket.active) {
      state.socket.connect(); // refused or server-disconnected sockets do not retry by themselves
    }
  };
  tick();
  state.probeTimer = setInterval(tick, PROBE_MS);
}

function stopProbing() {
  if (state.probeTimer) clearInterval(state.probeTimer);
  state.probeTimer = null;
}

// ---------------------------------------------------------------- socket

function down() {
  setStatus(navigator.onLine === false ? "offline" : "reconnecting");
  startProbing();
  startPolling();
}

/**
 * Open the live channel (after sign-in). `onUnauthenticated` is called when the server refuses
 * the session (signed out elsewhere, password changed).
 */
export function start({ onUnauthenticated } = {}) {
  state.onUnauthenticated = onUnauthenticated || null;
  if (state.started) return;
  state.started = true;
  if (typeof io !== "function") {
    console.warn("live: socket.io client missing; using the REST catch-up only");
    setStatus("reconnecting");
    startProbing();
    get("/api/v1/events?after=0&limit=1")
      .then((b) => {
        state.lastSeq = b.last_seq ?? 0;
        startPolling();
      })
      .catch(() => {});
    return;
  }
  setStatus("connecting");
  const socket = io({
    path: "/socket.io",
    transports: ["websocket"], // the contract (docs/realtime.md): no long-polling, so no sticky sessions
    withCredentials: true,
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
    randomizationFactor: 0.3,
    timeout: 8000,
    // Called on every (re)connect: replay starts after the last seq we processed.
    auth: (cb) => cb(state.lastSeq === null ? {} : { after: state.lastSeq }),
  });
  state.socket = socket;

  socket.on("event", (envelope) => dispatch(envelope));

  socket.on("ready", (info) => {
    const head = typeof info?.last_seq === "number" ? info.last_seq : null;
    const first = !state.everReady;
    state.everReady = true;
    if (head !== null && (state.lastSeq === null || head > state.lastSeq)) {
      // Everything up to the head was replayed (or, on the first connect, is in what the view
      // loads when it resyncs now); events we were not addressed are simply skipped.
      state.lastSeq = head;
    }
    document.body.dataset.lastSeq = String(state.lastSeq ?? 0);
    stopPolling();
    stopProbing();
    setStatus("connected");
    for (const requestId of state.watching) socket.emit("watch", { request_id: requestId }, presenceAck);
    if (first) resync("connected");
  });

  socket.on("replay_truncated", (info) => {
    if (typeof info?.last_seq === "number") state.lastSeq = info.last_seq;
    resync("replay_truncated");
  });

  socket.on("presence", (summary) => {
    for (const fn of state.presenceListeners) fn(summary);
  });

  socket.on("disconnect", (reason) => {
    down();
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
  });

  socket.on("connect_error", async (err) => {
    down();
    if (err && /unauthenticated/i.test(String(err.message || ""))) {
      // The session is gone: ask the REST API to be sure, then go to sign-in.
      try {
        await get("/api/v1/auth/me", { quietAuth: true });
        setTimeout(() => socket.connect(), 2000);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          stop();
          if (state.onUnauthenticated) state.onUnauthenticated();
        }
      }
    }
  });

  window.addEventListener("offline", () => setStatus("offline"));
  window.addEventListener("online", () => {
    if (state.status !== "connected") {
      setStatus("reconnecting");
      if (state.socket && !state.socket.connected) state.socket.connect();
    }
  });
}

function presenceAck(reply) {
  if (reply && reply.presence) for (const fn of state.presenceListeners) fn(reply.presence);
}

/** Close the channel (sign-out). */
export function stop() {
  stopPolling();
  stopProbing();
  if (state.socket) {
    state.socket.removeAllListeners();
    state.socket.disconnect();
  }
  state.socket = null;
  state.started = false;
  state.everReady = false;
  state.lastSeq = null;
  state.watching.clear();
  setStatus("offline");
}

/** Join a request's room (presence); re-joined after each reconnect. */
export function watchRequest(requestId) {
  state.watching.add(requestId);
  if (state.socket && state.socket.connected) state.socket.emit("watch", { request_id: requestId }, presenceAck);
}

export function unwatchRequest(requestId) {
  state.watching.delete(requestId);
  if (state.socket && state.socket.connected) state.socket.emit("unwatch", { request_id: requestId });
}

/** Acknowledge a request addressed to my state ("seen"); resolves with the server's reply. */
export function ackRequest(requestId) {
  return new Promise((resolve) => {
    if (!state.socket || !state.socket.connected) {
      resolve(null);
      return;
    }
    state.socket.timeout(5000).emit("ack", { request_id: requestId }, (err, reply) => resolve(err ? null : reply));
  });
}

/** Test/diagnostic hook: drop the socket (as a network cut would) and let it reconnect. */
export function simulateDrop() {
  if (state.socket) {
    state.socket.io.engine?.close();
  }
}

/** Parse the numeric id out of a subject such as "request:12". */
export function subjectId(subject, kind) {
  const m = new RegExp(`^${kind}:(\\d+)$`).exec(String(subject || ""));
  return m ? Number(m[1]) : null;
}

/** The request id an event concerns (data.request_id, data.request.id, or a request:N subject). */
export function eventRequestId(ev) {
  const d = ev?.data || {};
  return d.request_id ?? d.request?.id ?? d.deployment?.request_id ?? subjectId(ev?.subject, "request");
}

/** The unit id an event concerns, if any. */
export function eventUnitId(ev) {
  const d = ev?.data || {};
  return d.unit_id ?? d.unit?.id ?? d.deployment?.unit_id ?? subjectId(ev?.subject, "unit");
}
