"""The wire shape of a typed crisis site's resolution (``GET /api/v1/places``)."""

from __future__ import annotations

from typing import Self

from atlas_coord.domain.choices import SiteKind, SiteStatus
from atlas_coord.domain.places import Resolution, ResolvedPlace

from . import Out
from .geo import GeoPointOut


class PlaceOut(Out):
    """One place: its point, the name to show, what the text was read as, its country (ISO 3166-1 alpha-2)."""

    point: GeoPointOut
    name: str
    kind: SiteKind
    country: str | None

    @classmethod
    def of(cls, place: ResolvedPlace) -> Self:
        return cls(point=GeoPointOut(lat=place.point.lat, lon=place.point.lon), name=place.name,
                   kind=place.kind, country=place.country)


class PlaceResolutionOut(Out):
    """``resolved``: one place; ``ambiguous``: the candidates, most populous first; ``unknown``: none,
    with the closest names and codes. ``message`` says it in a sentence (empty when resolved)."""

    query: str
    status: SiteStatus
    places: list[PlaceOut]
    closest: list[str]
    message: str

    @classmethod
    def of(cls, found: Resolution) -> Self:
        return cls(query=found.query, status=found.status, places=[PlaceOut.of(p) for p in found.places],
                   closest=list(found.closest), message=found.message)
