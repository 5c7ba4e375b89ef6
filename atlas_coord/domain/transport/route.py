"""Values of the transport model: a named place, one leg of a journey, a route of legs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from atlas_coord.domain.geo import EARTH_MEAN_RADIUS_M, GeoPoint

__all__ = [
    'LEG_MODES', 'Leg', 'Place', 'PlaceIndex', 'Route', 'great_circle_km', 'haversine_km', 'haversine_km_many', 'nearest_indices',
    'short_minutes',
]

#: Leg modes. 'bridge' is a fixed link driven over, 'shuttle' a car train (Le Shuttle), 'wait' the
#: time at an airfield until the aircraft is ready.
LEG_MODES = ('road', 'bridge', 'shuttle', 'ferry', 'wait', 'flight', 'helicopter', 'boat')


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    point: GeoPoint

    @property
    def latlon(self) -> tuple[float, float]:
        return (self.point.lat, self.point.lon)


_R_KM = EARTH_MEAN_RADIUS_M / 1000.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km on the mean-radius sphere between two (lat, lon) points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _R_KM * math.asin(min(1.0, math.sqrt(h)))


def haversine_km_many(lat1, lon1, lat2, lon2) -> np.ndarray:
    """:func:`haversine_km` on numpy arrays (broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return 2 * _R_KM * np.arcsin(np.sqrt(np.minimum(np.maximum(h, 0.0), 1.0)))  # np.clip: slow on scalars


def nearest_indices(point: GeoPoint, lats: np.ndarray, lons: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` points of ``(lats, lons)`` nearest ``point``, nearest first."""
    km = haversine_km_many(point.lat, point.lon, lats, lons)
    part = np.argpartition(km, k)[:k] if k < km.size else np.arange(km.size)
    return part[np.argsort(km[part], kind='stable')]


class PlaceIndex:
    """Named places (airports, ports) with a nearest-k search on the sphere."""

    def __init__(self, places: tuple[Place, ...]) -> None:
        self.places = places
        self.names = tuple(p.name for p in places)
        self.lats = np.array([p.point.lat for p in places])
        self.lons = np.array([p.point.lon for p in places])

    def nearest(self, point: GeoPoint, k: int) -> np.ndarray:
        """Indices of the ``k`` places nearest ``point``, nearest first."""
        return nearest_indices(point, self.lats, self.lons, k)


def great_circle_km(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance on the mean-radius sphere, km (the model's distance for every leg)."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def short_minutes(minutes: float) -> str:
    """'45 min', '1 h 50', '2 h': rounded up to the minute, as in the issue's breakdown."""
    whole = max(0, math.ceil(minutes - 1e-9))
    hours, mins = divmod(whole, 60)
    if not hours:
        return f'{mins} min'
    return f'{hours} h {mins:02d}' if mins else f'{hours} h'


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg: ``km`` travelled (road km for road legs, great-circle km otherwise) in ``minutes``."""

    mode: str
    from_name: str
    to_name: str
    km: float
    minutes: float
    #: For a 'wait': what is awaited when it is an aircraft on its way ('A400M from LFOJ'), else ''.
    note: str = ''
    #: ``(lat, lon)`` from the leg's start to its end, for a map: the two ends, and for a road leg
    #: the graph waypoints it follows in between (so a line drawn along them stays on land).
    #: Not compared: two legs are the same journey whatever their drawing.
    points: tuple[tuple[float, float], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.mode not in LEG_MODES:
            raise ValueError(f"'mode' must be one of {', '.join(LEG_MODES)}, got {self.mode!r}")

    def summary(self, last: bool = False) -> str:
        """'road 45 min to EBBR', 'flight 1 h 50', 'ferry Holyhead–Dublin 3 h 15', 'road 25 min' (last)."""
        time = short_minutes(self.minutes)
        if self.mode in ('bridge', 'shuttle', 'ferry'):
            return f'{self.mode} {self.from_name}–{self.to_name} {time}'
        if self.mode == 'wait':
            return f'waiting {time} at {self.to_name} for the {self.note}' if self.note else f'wait {time} at {self.to_name}'
        if self.mode == 'flight' or last:
            return f'{self.mode} {time}'
        return f'{self.mode} {time} to {self.to_name}'


@dataclass(frozen=True, slots=True)
class Route:
    """A journey from a unit's station to the site, leg by leg."""

    legs: tuple[Leg, ...]

    @property
    def total_minutes(self) -> float:
        return math.fsum(leg.minutes for leg in self.legs)

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(leg.mode for leg in self.legs)

    @property
    def main_mode(self) -> str:
        """'flight', 'helicopter', 'boat', 'ferry', 'shuttle' or 'road': the most telling mode used."""
        modes = self.modes  # once: the property builds a tuple
        for mode in ('flight', 'helicopter', 'boat', 'ferry', 'shuttle'):
            if mode in modes:
                return mode
        return 'road'

    def summary(self) -> str:
        """'road 45 min to EBBR, flight 1 h 50, road 25 min'."""
        n = len(self.legs)
        return ', '.join(leg.summary(last=i == n - 1) for i, leg in enumerate(self.legs))

    def __add__(self, other: Route) -> Route:
        return Route(self.legs + other.legs)
