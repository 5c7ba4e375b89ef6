/**
 * Who is signed in (GET /api/v1/auth/me), what they may do, and the directory (states with
 * their time zones, capabilities, units) shared by the views.
 */

import { get, getAll, setCsrf } from "./api.js";

export const session = { user: null, csrf: null };
const directory = { states: null, statesByCode: new Map(), capabilities: null, units: null, unitsById: new Map(), loading: null };

// A hint, not a credential: this browser signed in and has not signed out since. Without it the
// console knows there is no session and does not ask GET /api/v1/auth/me (which would answer 401
// and log an error in the browser's console at every sign-in page).
const SESSION_HINT = "atlas.session";

function remember(signedIn) {
  try {
    if (signedIn) localStorage.setItem(SESSION_HINT, "1");
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // storage disabled: the console then always asks the server
  }
}

/** False when this browser is known to hold no session (never signed in, or signed out). */
export function mayHaveSession() {
  try {
    return localStorage.getItem(SESSION_HINT) !== null;
  } catch {
    return true;
  }
}

export function setSession(body) {
  session.user = body?.user || null;
  session.csrf = body?.csrf_token || null;
  setCsrf(session.csrf);
  document.body.dataset.user = session.user ? session.user.username : "";
  remember(Boolean(session.user));
}

export function clearSession() {
  session.user = null;
  session.csrf = null;
  setCsrf(null);
  document.body.dataset.user = "";
  remember(false);
}

export function grants() {
  return session.user?.roles || [];
}

export function hasRole(role) {
  return grants().some((g) => g.role === role);
}

export function grantsOf(role) {
  return grants().filter((g) => g.role === role);
}

export const isAdmin = () => hasRole("admin");
export const isObserver = () => hasRole("observer");

/** States in which I may raise a request. */
export function raiseStates() {
  return [
    ...new Set(
      grants()
        .filter((g) => (g.role === "crisis_centre" || g.role === "competent_authority") && g.state)
        .map((g) => g.state),
    ),
  ];
}

export const canRaise = () => isAdmin() || raiseStates().length > 0;

/** States whose competent authority I am (I answer requests addressed to them). */
export function answerStates() {
  return [...new Set(grantsOf("competent_authority").map((g) => g.state).filter(Boolean))];
}

/** Units I command. */
export function commandedUnitIds() {
  return [...new Set(grantsOf("unit_commander").map((g) => g.unit_id).filter((v) => v !== null && v !== undefined))];
}

export const isCommander = () => commandedUnitIds().length > 0;
export const isPlanner = () => hasRole("training_planner") || isAdmin();
export const canWhatIf = () => isAdmin() || hasRole("crisis_centre") || hasRole("competent_authority") || hasRole("training_planner");

/** States I belong to through any grant (commanders: their unit's state). */
export function myStates() {
  const out = new Set();
  for (const g of grants()) {
    if (g.state) out.add(g.state);
    if (g.unit_id && directory.unitsById.has(g.unit_id)) out.add(directory.unitsById.get(g.unit_id).state);
  }
  return [...out];
}

export function roleLabel(g) {
  const names = {
    admin: "Administrator",
    crisis_centre: "Crisis centre",
    competent_authority: "Competent authority",
    unit_commander: "Unit commander",
    training_planner: "Training planner",
    observer: "Observer",
  };
  let scope = g.state || "";
  if (g.unit_id) scope = unitName(g.unit_id) || `unit ${g.unit_id}`;
  if (!scope && (g.role === "training_planner" || g.role === "observer")) scope = "network";
  return scope ? `${names[g.role] || g.role} · ${scope}` : names[g.role] || g.role;
}

// ---------------------------------------------------------------- directory

export async function loadDirectory(force = false) {
  if (directory.loading && !force) return directory.loading;
  directory.loading = (async () => {
    const [states, capabilities, units] = await Promise.all([
      getAll("/api/v1/states"),
      getAll("/api/v1/capabilities"),
      getAll("/api/v1/units"),
    ]);
    directory.states = states;
    directory.statesByCode = new Map(states.map((s) => [s.code, s]));
    directory.capabilities = capabilities;
    setUnits(units);
    return directory;
  })();
  try {
    return await directory.loading;
  } catch (err) {
    directory.loading = null;
    throw err;
  }
}

function setUnits(units) {
  directory.units = units;
  directory.unitsById = new Map(units.map((u) => [u.id, u]));
}

export function states() {
  return directory.states || [];
}

export function state(code) {
  return directory.statesByCode.get(code) || null;
}

export function stateName(code) {
  return state(code)?.name || code || "";
}

/** IANA zone of a state (null if unknown). */
export function stateZone(code) {
  return state(code)?.timezone || null;
}

export function capabilities() {
  return directory.capabilities || [];
}

export function capabilityName(code) {
  return capabilities().find((c) => c.code === code)?.name || code;
}

/** The name first, the code second: "Aircraft (ENV_AIRCRAFT)". */
export function capabilityLabel(code) {
  const name = capabilityName(code);
  return name === code ? code : `${name} (${code})`;
}

/** Server text with capability codes named: "ENV_AIRCRAFT 1 of 2" → "Aircraft (ENV_AIRCRAFT) 1 of 2". */
export function withCapabilityNames(text) {
  const known = capabilities();
  if (!known.length || !text) return text;
  const codes = new Map(known.map((c) => [c.code, c.name]));
  return String(text).replace(/\b[A-Z][A-Z0-9_]{1,31}\b/g, (word) => (codes.has(word) ? `${codes.get(word)} (${word})` : word));
}

export function units() {
  return directory.units || [];
}

export function unit(id) {
  return directory.unitsById.get(Number(id)) || null;
}

export function unitName(id) {
  const u = unit(id);
  return u ? u.name : null;
}

/** Replace one unit in the cache (after a readiness or directory event re-fetch). */
export function upsertUnit(u) {
  if (!u || u.id === undefined) return;
  const list = units().filter((x) => x.id !== u.id);
  list.push(u);
  list.sort((a, b) => (a.state + a.name).localeCompare(b.state + b.name) || a.id - b.id);
  setUnits(list);
}

/** Re-fetch one unit into the cache. */
export async function refreshUnit(id) {
  const u = await get(`/api/v1/units/${id}`);
  upsertUnit(u);
  return u;
}
