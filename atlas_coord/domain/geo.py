"""Distances on the WGS84 ellipsoid: exact geodesics (pyproj) and a cheap numpy prefilter.

Two kinds of distance are used by the ranking engine (docs/engineering.md, section B2):

* **Exact**: :func:`geodesic_m` and :func:`geodesic_many_m` call ``pyproj.Geod(ellps='WGS84').inv``,
  Karney's algorithm as in GeographicLib, accurate to round-off (nanometres). Every distance
  the engine *shows* or *decides on* is exact.
* **Approximate**: :func:`haversine_many_m` is a numpy great-circle distance on the sphere of
  the mean Earth radius, about 25 times cheaper than pyproj on arrays. The engine uses it only to
  bound the exact distance and skip work. :data:`HAVERSINE_LOWER` and :data:`HAVERSINE_UPPER`
  are proven bounds, not measured ones: see :func:`exact_bounds_m`.

Argument order is always **(lat, lon)** here, as in geopy. ``Geod.inv`` wants
``(lons1, lats1, lons2, lats2)``: only this module calls it, so only this module can get the
order wrong, and tests/domain/test_geo.py checks it with real city pairs.

A place travels through the house as one :class:`GeoPoint`: the API edge builds it from the body,
the crisis row exposes its site as one (``Crisis.site``), the ranking takes it in its query and
the response models write it back as ``{"lat": ..., "lon": ...}``.

The module imports only the standard library, numpy and pyproj.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pyproj import Geod

__all__ = [
    'EARTH_MEAN_RADIUS_M',
    'GeoPoint',
    'HAVERSINE_LOWER',
    'HAVERSINE_UPPER',
    'WGS84',
    'UnitVectors',
    'exact_bounds_m',
    'geodesic_m',
    'geodesic_many_m',
    'haversine_many_m',
    'haversine_from_vectors_m',
    'unit_vectors',
    'validate_lat_lon',
]

WGS84 = Geod(ellps='WGS84')

#: IUGG mean Earth radius R1 = (2a + b) / 3 of WGS84, metres.
EARTH_MEAN_RADIUS_M = 6_371_008.8

_A = 6_378_137.0  # WGS84 semi-major axis (m)
_F = 1 / 298.257223563  # WGS84 flattening
_E2 = _F * (2 - _F)  # first eccentricity squared

# Bounds of the ratio exact / haversine. In geodetic (lat, lon) coordinates the ellipsoid metric is
# ds^2 = M^2 dphi^2 + N^2 cos^2(phi) dlambda^2 and the sphere's is R^2 (dphi^2 + cos^2(phi) dlambda^2),
# so any curve's ellipsoidal length lies between min(M, N)/R and max(M, N)/R times its spherical
# length. M is smallest at the equator, a(1 - e^2); N is largest at the poles, a / sqrt(1 - e^2).
# Applied to the two shortest paths, exact / haversine lies in [a(1-e^2)/R, a/sqrt(1-e^2)/R],
# about [0.99441, 1.00449]. The margins below add 1e-8 for floating-point round-off.
HAVERSINE_LOWER = _A * (1 - _E2) / EARTH_MEAN_RADIUS_M - 1e-8
HAVERSINE_UPPER = _A / math.sqrt(1 - _E2) / EARTH_MEAN_RADIUS_M + 1e-8
_ABS_MARGIN_M = 0.01  # absolute round-off allowance of the chord formula near zero distance


def validate_lat_lon(lat: float, lon: float) -> tuple[float, float]:
    """Return ``(lat, lon)`` as floats after checking that they are finite WGS84 degrees.

    :raise ValueError: naming the field: ``'lat' must be within -90..90``, ``'lon' must be within
        -180..180``, or ``'lat' must be a finite number`` for NaN, infinities and non-numbers.
    """
    out = []
    for name, value, bound in (('lat', lat, 90.0), ('lon', lon, 180.0)):
        if isinstance(value, bool):
            raise ValueError(f"'{name}' must be a finite number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{name}' must be a finite number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"'{name}' must be a finite number, got {value!r}")
        if not -bound <= number <= bound:
            raise ValueError(f"'{name}' must be within -{bound:g}..{bound:g}, got {value!r}")
        out.append(number)
    return out[0], out[1]


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 point in degrees, checked on creation (see :func:`validate_lat_lon`).

    :raise ValueError: naming ``'lat'`` or ``'lon'`` for a value out of range or not finite.
    """

    lat: float
    lon: float

    def __post_init__(self) -> None:
        lat, lon = validate_lat_lon(self.lat, self.lon)
        object.__setattr__(self, 'lat', lat)
        object.__setattr__(self, 'lon', lon)

    def __composite_values__(self) -> tuple[float, float]:
        """The two columns of a mapped composite (SQLAlchemy), latitude first."""
        return self.lat, self.lon


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Exact WGS84 geodesic distance in metres between two (lat, lon) points in degrees."""
    _az12, _az21, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(dist)


def geodesic_many_m(lat: float, lon: float, lats, lons) -> np.ndarray:
    """Exact WGS84 geodesic distances in metres from one (lat, lon) point to arrays of points.

    ``lats`` and ``lons`` are array-likes of equal shape; the result has that shape (float64).
    """
    lats = np.ascontiguousarray(lats, dtype=np.float64)
    lons = np.ascontiguousarray(lons, dtype=np.float64)
    if lats.shape != lons.shape:
        raise ValueError(f'lats and lons differ in shape: {lats.shape} != {lons.shape}')
    if lats.size == 0:
        return np.zeros(lats.shape, dtype=np.float64)
    origin_lon = np.full(lats.shape, float(lon))
    origin_lat = np.full(lats.shape, float(lat))
    _az12, _az21, dist = WGS84.inv(origin_lon, origin_lat, lons, lats)
    return np.asarray(dist, dtype=np.float64)


def haversine_many_m(lat: float, lon: float, lats, lons) -> np.ndarray:
    """Great-circle distances in metres on the mean-radius sphere (approximate, about 0.5%).

    Use it only to bound or prefilter; :func:`exact_bounds_m` turns it into proven bounds.
    """
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    phi1 = math.radians(lat)
    phi2 = np.radians(lats)
    dphi = phi2 - phi1
    dlam = np.radians(lons) - math.radians(lon)
    h = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


class UnitVectors:
    """Precomputed unit vectors (x, y, z) of points on the sphere, for fast repeated haversines."""

    __slots__ = ('x', 'y', 'z')

    def __init__(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
        self.x, self.y, self.z = x, y, z


def unit_vectors(lats, lons) -> UnitVectors:
    """Return the spherical unit vectors of (lat, lon) arrays, in degrees."""
    phi = np.radians(np.asarray(lats, dtype=np.float64))
    lam = np.radians(np.asarray(lons, dtype=np.float64))
    cos_phi = np.cos(phi)
    return UnitVectors(cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi))


def haversine_from_vectors_m(lat: float, lon: float, vectors: UnitVectors) -> np.ndarray:
    """Great-circle distances from (lat, lon) to precomputed :class:`UnitVectors`, in metres.

    Mathematically the haversine distance, computed through the chord length
    ``2 R asin(|p - q| / 2)``, which is accurate at small distances and needs no trigonometry
    per point except one ``arcsin``.
    """
    phi, lam = math.radians(lat), math.radians(lon)
    cos_phi = math.cos(phi)
    dx = vectors.x - cos_phi * math.cos(lam)
    dy = vectors.y - cos_phi * math.sin(lam)
    dz = vectors.z - math.sin(phi)
    chord = dx * dx
    chord += dy * dy
    chord += dz * dz
    np.sqrt(chord, out=chord)
    chord *= 0.5
    np.minimum(chord, 1.0, out=chord)
    np.arcsin(chord, out=chord)
    chord *= 2 * EARTH_MEAN_RADIUS_M
    return chord


def exact_bounds_m(haversine_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(lower, upper)`` arrays that provably bracket the exact WGS84 geodesic distance.

    Derived from the metric comparison described at :data:`HAVERSINE_LOWER`; the property is
    checked in tests/domain/test_geo.py on random point pairs worldwide.
    """
    lower = haversine_m * HAVERSINE_LOWER
    lower -= _ABS_MARGIN_M
    np.maximum(lower, 0.0, out=lower)
    upper = haversine_m * HAVERSINE_UPPER
    upper += _ABS_MARGIN_M
    return lower, upper
