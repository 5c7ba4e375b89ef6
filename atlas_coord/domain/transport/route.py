"""Values of the transport model: a named place, one leg of a journey, a route of legs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from atlas_coord.domain.geo import EARTH_MEAN_RADIUS_M, GeoPoint

__all__ = ['LEG_MODES', 'Leg', 'Place', 'Route', 'great_circle_km', 'short_minutes']

#: Leg modes. 'bridge' is a fixed link driven over, 'shuttle' a car train (Le Shuttle), 'wait' the
#: time at an airfield until the aircraft is ready.
LEG_MODES = ('road', 'bridge', 'shuttle', 'ferry', 'wait', 'flight', 'helicopter', 'boat')


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    point: GeoPoint


def great_circle_km(a: GeoPoint, b: GeoPoint) -> float:
    """Haversine distance on the mean-radius sphere, km (the model's distance for every leg)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M / 1000.0 * math.asin(min(1.0, math.sqrt(h)))


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

    def __post_init__(self) -> None:
        if self.mode not in LEG_MODES:
            raise ValueError(f"'mode' must be one of {', '.join(LEG_MODES)}, got {self.mode!r}")

    def summary(self, last: bool = False) -> str:
        """'road 45 min to EBBR', 'flight 1 h 50', 'ferry Holyhead–Dublin 3 h 15', 'road 25 min' (last)."""
        time = short_minutes(self.minutes)
        if self.mode in ('bridge', 'shuttle', 'ferry'):
            return f'{self.mode} {self.from_name}–{self.to_name} {time}'
        if self.mode == 'wait':
            return f'wait {time} at {self.to_name}'
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
        for mode in ('flight', 'helicopter', 'boat', 'ferry', 'shuttle'):
            if mode in self.modes:
                return mode
        return 'road'

    def summary(self) -> str:
        """'road 45 min to EBBR, flight 1 h 50, road 25 min'."""
        n = len(self.legs)
        return ', '.join(leg.summary(last=i == n - 1) for i, leg in enumerate(self.legs))

    def __add__(self, other: Route) -> Route:
        return Route(self.legs + other.legs)
