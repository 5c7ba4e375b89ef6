"""Places: a crisis site typed as coordinates, an airport code or a place name."""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.serializers.places import PlaceResolutionOut
from atlas_coord.services import places
from atlas_coord.services.places import PlaceQuery

from .core import current_actor, endpoint

bp = Blueprint("places", __name__, url_prefix="/api/v1")


@endpoint(bp, "/places", query=PlaceQuery, summary="Find a crisis site: coordinates, an airport code or a place name")
def find_place(query: PlaceQuery):
    """Decimal or degrees-minutes-seconds coordinates, an ICAO or IATA code (offline airport data), or
    a city in an ATLAS state (offline gazetteer). ``status`` is ``resolved`` (one place),
    ``ambiguous`` (pick one of ``places``) or ``unknown`` (``closest`` lists the nearest names and codes)."""
    return PlaceResolutionOut.of(places.find_site(current_actor(), query.q)).wire()
