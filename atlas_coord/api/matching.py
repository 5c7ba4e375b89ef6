"""Matching and ranking: candidates and a team for a stored request, and what-if matching."""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.schemas import MatchOptions, WhatIfMatch
from atlas_coord.serializers.matching import MatchOut, RequestMatchOut
from atlas_coord.services import matching

from . import db_session, settings
from .core import current_actor, endpoint

bp = Blueprint("matching", __name__, url_prefix="/api/v1")


@endpoint(bp, "/requests/<int:request_id>/candidates", query=MatchOptions, summary="Ranked candidates, exclusions and a team for a request")
def request_candidates(request_id: int, query: MatchOptions):
    """Every unit is either a candidate (with distance, ETA breakdown, capability fit, readiness
    effect, score parts and an explanation) or excluded with its reason. ``redundancy=true`` asks
    the team to cover every requirement twice."""
    return RequestMatchOut.of(matching.match_request(
        db_session(), current_actor(), settings(), request_id, redundancy=query.redundancy, limit=query.limit
    )).wire()


@endpoint(bp, "/match", "POST", body=WhatIfMatch, summary="What-if matching for any site and needs")
def what_if(body: WhatIfMatch):
    """For planners and crisis centres: nothing is stored."""
    return MatchOut.of(matching.what_if(db_session(), current_actor(), settings(), body)).wire()
