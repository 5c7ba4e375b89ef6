/**
 * REST client: same-origin fetch with the session cookie, the CSRF header on every change, and
 * errors turned into ApiError {status, code, message, fields} in plain words (plain.js); the
 * server's own text stays in `detail` and `raw` (path: message) for tooltips.
 */

import { plainFields } from "./plain.js";

let csrfToken = null;
const listeners = { unauthenticated: new Set(), reachability: new Set() };

export function setCsrf(token) {
  csrfToken = token || null;
}

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, body = null, { raw = {}, detail = message } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.body = body;
    this.raw = raw; // field path -> "path: the server's message", for a tooltip
    this.detail = detail; // the server's message as sent
  }
}

/** on("unauthenticated", fn) or on("reachability", fn(reachable: boolean)) */
export function on(kind, fn) {
  listeners[kind].add(fn);
  return () => listeners[kind].delete(fn);
}

function notify(kind, value) {
  for (const fn of listeners[kind]) {
    try {
      fn(value);
    } catch (err) {
      console.error(err);
    }
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// Requests sent and not answered yet: a sign-out waits for them (app.js), so that none of them
// reaches the server after the session has ended (each would be a 401). The server may queue a
// call behind others (server.max_concurrent_calls), so the logout can overtake an earlier load.
const inFlight = new Set();

export async function request(method, path, body, opts) {
  const pending = send(method, path, body, opts);
  inFlight.add(pending);
  try {
    return await pending;
  } finally {
    inFlight.delete(pending);
  }
}

/** Resolves once every request sent so far, and any they lead to, is answered (at most `ms`). */
export async function settled(ms = 5000) {
  const deadline = Date.now() + ms;
  while (inFlight.size && Date.now() < deadline) {
    await Promise.race([Promise.allSettled([...inFlight]), new Promise((done) => setTimeout(done, deadline - Date.now()))]);
    await new Promise((done) => setTimeout(done, 0)); // let their callers send what comes next
  }
}

async function send(method, path, body, { signal, quietAuth = false } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", cache: "no-store", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    notify("reachability", false);
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection; the console retries on its own.");
  }
  notify("reachability", response.status !== 503);
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const err = payload && payload.error ? payload.error : {};
    const plain = plainFields(response.status, err);
    const apiError = new ApiError(
      response.status,
      err.code || `http_${response.status}`,
      plain.message || `The server refused this (HTTP ${response.status}). Reload and try again.`,
      plain.fields,
      payload,
      { raw: plain.raw, detail: err.message || `${method} ${path}: HTTP ${response.status}` },
    );
    if (response.status === 401 && !quietAuth) notify("unauthenticated", apiError);
    throw apiError;
  }
  return payload;
}

export const get = (path, opts) => request("GET", path, undefined, opts);
export const post = (path, body = {}, opts) => request("POST", path, body, opts);
export const put = (path, body = {}, opts) => request("PUT", path, body, opts);
export const patch = (path, body = {}, opts) => request("PATCH", path, body, opts);
export const del = (path, opts) => request("DELETE", path, undefined, opts);

/** GET every page of a list endpoint ({items,total}) with per_page=500. */
export async function getAll(path, { limit = 5000 } = {}) {
  const items = [];
  let page = 1;
  const sep = path.includes("?") ? "&" : "?";
  for (;;) {
    const body = await get(`${path}${sep}page=${page}&per_page=500`);
    const batch = body?.items || [];
    items.push(...batch);
    if (batch.length < 500 || items.length >= (body.total ?? 0) || items.length >= limit) break;
    page += 1;
  }
  return items;
}

/** Build a query string from an object, skipping empty values. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((item) => search.append(k, item));
    else search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : "";
}
