/**
 * The unit ranking of a request: live from the matching API when the server has it, otherwise
 * the ranking frozen on the request at submission (GET /api/v1/requests/<id>/ranking-snapshot).
 * Both are normalised to {candidates, excluded, excluded_counts, team, source, computed_at}.
 */

import { get, post, ApiError } from "./api.js";

function normalise(body, source) {
  if (!body) return null;
  const ranking = body.ranking || body.result || body;
  const team = body.team || body.proposal || ranking.team || null;
  if (!Array.isArray(ranking.candidates)) return null;
  return {
    candidates: ranking.candidates,
    candidates_total: ranking.candidates_total ?? ranking.candidates.length,
    excluded: ranking.excluded || [],
    excluded_total: ranking.excluded_total ?? (ranking.excluded || []).length,
    excluded_counts: ranking.excluded_counts || {},
    team,
    query: body.query || body.inputs || null,
    source,
    computed_at: body.computed_at || body.at || body.taken_at || null,
  };
}

let liveEndpointMissing = false;

/** The candidates (and team when available) for a stored request. */
export async function loadCandidates(requestId) {
  if (!liveEndpointMissing) {
    try {
      const [ranking, team] = await Promise.all([
        get(`/api/v1/requests/${requestId}/candidates`),
        get(`/api/v1/requests/${requestId}/team`).catch((err) => {
          if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
          throw err;
        }),
      ]);
      const out = normalise({ ...ranking, team: team?.team || team || ranking.team }, "live");
      if (out) return out;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 404 && err.code !== "not_found") liveEndpointMissing = true;
      else if (err.status !== 404 && err.status !== 405) throw err;
      else if (err.status === 405) liveEndpointMissing = true;
    }
  }
  const snap = await get(`/api/v1/requests/${requestId}/ranking-snapshot`);
  return normalise(snap?.snapshot ? { ...snap.snapshot, computed_at: snap.snapshot.computed_at || snap.snapshot.taken_at } : null, "snapshot");
}

/** What-if ranking for a site and needs (planners, and the request form's preview). */
export async function whatIf(body) {
  const out = await post("/api/v1/match/what-if", body);
  return normalise(out, "what-if");
}
