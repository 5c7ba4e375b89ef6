/**
 * The unit ranking of a request, from the matching API:
 * - GET /api/v1/requests/<id>/candidates?redundancy=&limit= (as of now: candidates with their
 *   explanations, every excluded unit with its reason, and the team proposal);
 * - GET /api/v1/requests/<id>/ranking-snapshot (the same, frozen when the request was submitted);
 * - POST /api/v1/match (what-if for any site and needs; nothing is stored).
 * All are normalised to {candidates, excluded, excluded_counts, team, query, source, computed_at}.
 */

import { get, post, ApiError } from "./api.js";

function normalise(body, source) {
  if (!body || !Array.isArray(body.candidates)) return null;
  return {
    candidates: body.candidates,
    candidates_total: body.candidates_total ?? body.candidates.length,
    excluded: body.excluded || [],
    excluded_total: body.excluded_total ?? (body.excluded || []).length,
    excluded_counts: body.excluded_counts || {},
    team: body.team || null,
    query: body.query || null,
    source,
    computed_at: body.taken_at || body.query?.now || null,
  };
}

/**
 * The ranking of a stored request: live (`source: "live"`), or the snapshot frozen at
 * submission when `{snapshot: true}` (or when the live ranking is not offered by this server).
 */
export async function loadCandidates(requestId, { redundancy = false, snapshot = false } = {}) {
  if (!snapshot) {
    try {
      return normalise(await get(`/api/v1/requests/${requestId}/candidates?redundancy=${redundancy}&limit=50`), "live");
    } catch (err) {
      // 404 with a JSON error code means the request itself is unknown: let it through.
      if (!(err instanceof ApiError) || !(err.status === 405 || (err.status === 404 && err.code !== "not_found"))) throw err;
    }
  }
  const snap = await get(`/api/v1/requests/${requestId}/ranking-snapshot`);
  return normalise(snap?.snapshot, "snapshot");
}

/** What-if ranking for a site and needs (planners, crisis centres, and the request form's preview). */
export async function whatIf(body) {
  return normalise(await post("/api/v1/match", { limit: 20, ...body }), "what-if");
}
