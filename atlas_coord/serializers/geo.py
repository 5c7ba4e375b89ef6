"""The wire shape of a :class:`~atlas_coord.domain.geo.GeoPoint`: ``{"lat": ..., "lon": ...}``.

Every place a response carries (a crisis site, a matching query's site) uses this one model.
"""

from __future__ import annotations

from . import Out


class GeoPointOut(Out):
    """WGS84 degrees."""

    lat: float
    lon: float
