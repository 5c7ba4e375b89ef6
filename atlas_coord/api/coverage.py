"""The coverage map: time until the first capable, available unit reaches each cell, and what-ifs."""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.serializers.coverage import CoverageOut, WhatIfOut
from atlas_coord.services.coverage import queries

from . import db_session, settings
from .core import current_actor, endpoint

bp = Blueprint("coverage", __name__, url_prefix="/api/v1")


@endpoint(bp, "/coverage", query=queries.CoverageQuery, summary="Coverage map: minutes to the first capable unit")
def coverage(query: queries.CoverageQuery):
    """Per 50 km equal-area cell (EPSG:3035) of the ATLAS states' land and coastal waters: notice to
    move + the transport model's route of the first capable, READY unit, for a capability or
    ``ANY_TIER1``; at ``at`` (default now) units off duty in planned trainings are off. GeoJSON, or
    ``format=grid`` for parallel arrays. Per state and region: worst, median, share of area and of
    people beyond ``threshold`` minutes."""
    return CoverageOut.of(queries.coverage_map(db_session(), current_actor(), settings(), query), query.format).wire()


@endpoint(bp, "/coverage/what-if", "POST", body=queries.CoverageWhatIf, summary="Coverage with units off")
def coverage_what_if(body: queries.CoverageWhatIf):
    """The map with units deployed, in training or unavailable (by id, by withholding state, a
    training's participants, a request's deployed units: only for those entitled to that request),
    the minutes now, the regions that lose cover and a sentence for the planner."""
    return WhatIfOut.of(queries.what_if(db_session(), current_actor(), settings(), body)).wire()
