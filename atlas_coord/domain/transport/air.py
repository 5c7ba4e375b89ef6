"""Airlift: suitable airports (offline ``airportsdata``), aircraft types and flight legs.

**Suitable airport** [M]: an ``airportsdata`` ICAO entry that also has an IATA code (scheduled or
charter traffic, so a paved runway, fuel and handling), in the ICAO regions of Europe (``E*``,
``L*``), Iceland (``BI``), Kosovo (``BK``) or the Canary Islands (``GC``), inside the land data's
region, not a heliport or seaplane base. About 900 airports. Military air bases without an IATA
code are left out: a conservative choice (a unit flying from one would be faster, not slower).

**Flight leg**: ``EtaParams.fixed_wing_overhead_min`` (loading, clearances, taxi, unloading: domain.md
§6 "add roughly 60-90 min") + great-circle km x ``EtaParams.fixed_wing_routing_factor`` / cruise
speed of the aircraft type (:data:`AIRCRAFT`).

An :class:`Airlift` is what the caller (a state's directory entry) makes available to a unit: the
aircraft type, its mobilisation time, seats and home base.

**Positioning** (:func:`aircraft_ready_many`, the one formula for :func:`.plan.best_route` and
:func:`.many.minutes_many`): the aircraft leaves its base ``mobilisation_min`` after the unit sets
off and flies to the pick-up airport (a flight leg as above; none if the pick-up airport is its
base, or if it has no base: a unit's own aircraft, ready where the unit boards). The unit's flight
leaves at ``max(unit at the airport, aircraft at the airport)``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from atlas_coord.domain.airports import airports_by
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.land import land
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.route import Leg, Place, PlaceIndex, great_circle_km, haversine_km_many

__all__ = ['AIRCRAFT', 'Aircraft', 'Airlift', 'aircraft_ready', 'aircraft_ready_many', 'airport_index', 'airports',
           'flight_leg', 'flight_minutes']


@dataclass(frozen=True)
class Aircraft:
    name: str
    cruise_kmh: float
    source: str


#: Cruise speeds, km/h. Manufacturer figures as quoted in the sources named (not re-checked offline).
AIRCRAFT: dict[str, Aircraft] = {
    'C-130J': Aircraft('Lockheed Martin C-130J Super Hercules', 640.0,
                       'domain.md §6 (about 640 km/h); lockheedmartin.com C-130J: cruise 348 kn (644 km/h); '
                       '"a cruising speed of 348 knots", bulgarianmilitary.com 2024-05-23 [V]'),
    'A400M': Aircraft('Airbus A400M Atlas', 780.0,
                      'domain.md §6 (about 780 km/h); airbus.com A400M: cruise Mach 0.68-0.72; "Mach 0.72" '
                      '(flyteam.jp 46891, 2015 ferry flight) [V; M: 780 is the top of the range]'),
    'C-295': Aircraft('Airbus C295', 480.0, 'airbus.com C295: max cruise speed 260 kn (482 km/h); reports give '
                      'max 490-580 km/h (flyteam.jp 119287, avia-pro.net 2013) [M: 480, never flattering]'),
    'business_jet': Aircraft('Government business jet (Falcon, Global, Gulfstream class)', 800.0,
                             'domain.md §6 (business jets about 800 km/h) [M: Falcon 900 class, Mach 0.75-0.8]'),
}


@dataclass(frozen=True)
class Airlift:
    """Aircraft a unit can use: type (a key of :data:`AIRCRAFT`), minutes from the unit's departure
    until the aircraft leaves its base (negative: it left before the unit did), seats, and its base
    (``base``, with its ICAO code ``base_icao`` when known; no base: ready wherever the unit boards).
    :raise ValueError: naming the field."""

    aircraft: str
    mobilisation_min: float
    seats: int
    base: GeoPoint | None = None
    base_icao: str | None = None

    def __post_init__(self) -> None:
        if self.aircraft not in AIRCRAFT:
            raise ValueError(f"'aircraft' must be one of {', '.join(AIRCRAFT)}, got {self.aircraft!r}")
        m = self.mobilisation_min
        if isinstance(m, bool) or not isinstance(m, int | float) or not math.isfinite(m):
            raise ValueError(f"'mobilisation_min' must be a finite number, got {m!r}")
        if isinstance(self.seats, bool) or not isinstance(self.seats, int) or self.seats < 1:
            raise ValueError(f"'seats' must be a positive integer, got {self.seats!r}")

    @property
    def cruise_kmh(self) -> float:
        return AIRCRAFT[self.aircraft].cruise_kmh

    @property
    def base_row(self) -> tuple[float, float, int]:
        """``(base lat, base lon, base airport index)`` as :func:`aircraft_ready_many` takes them:
        NaN without a base, index -1 when the base is not one of :func:`airports`."""
        if self.base is None:
            return math.nan, math.nan, -1
        return self.base.lat, self.base.lon, airport_index(self.base_icao)


_REGIONS = ('E', 'L', 'BI', 'BK', 'GC')
_NOT_RUNWAYS = ('heliport', 'seaplane')


@functools.cache
def airports() -> PlaceIndex:
    """The suitable airports (rule in the module docstring), loaded on first use."""
    region = land().region
    rows = sorted(
        (a['icao'], a['lat'], a['lon'])
        for a in airports_by('ICAO').values()
        if a['iata']
        and a['icao'].startswith(_REGIONS)
        and not any(word in a['name'].lower() for word in _NOT_RUNWAYS)
        and region[0] <= a['lon'] <= region[2]
        and region[1] <= a['lat'] <= region[3]
    )
    return PlaceIndex(tuple(Place(icao, GeoPoint(lat, lon)) for icao, lat, lon in rows))


def flight_minutes(km: float, airlift: Airlift, params: TransportParams = DEFAULT_TRANSPORT) -> float:
    """Minutes of a flight of ``km`` great-circle km, overheads included."""
    eta = params.eta
    return eta.fixed_wing_overhead_min + km * eta.fixed_wing_routing_factor / airlift.cruise_kmh * 60.0


def flight_leg(a: Place, b: Place, airlift: Airlift, params: TransportParams = DEFAULT_TRANSPORT) -> Leg:
    km = great_circle_km(a.point, b.point)
    return Leg('flight', a.name, b.name, km, flight_minutes(km, airlift, params), points=(a.latlon, b.latlon))


#: An aircraft based this close to a pick-up airport is on its airfield: no positioning flight [M: a
#: military side sharing the runway, e.g. Melsbroek EBMB at Brussels Airport EBBR, 0.0 km apart in
#: airlift.json; the next nearest seeded base is 12 km from an airport, Montijo LPMT from Lisbon].
SAME_AIRFIELD_KM = 3.0


def airport_index(icao: str | None) -> int:
    """The index of ``icao`` in :func:`airports`, -1 if it is not one of them."""
    return _airport_indices().get(icao or '', -1)


@functools.cache
def _airport_indices() -> dict[str, int]:
    return {name: i for i, name in enumerate(airports().names)}


def aircraft_ready_many(mobilisation: np.ndarray, cruise: np.ndarray, base: np.ndarray, dep: np.ndarray,
                        params: TransportParams = DEFAULT_TRANSPORT) -> np.ndarray:
    """Minutes from the unit's departure until its aircraft is at each pick-up airport.

    One row per aircraft: ``mobilisation`` (from the unit's departure), ``cruise`` km/h, ``base``
    ``(rows, 3)`` as :attr:`Airlift.base_row`; ``dep``: ``(rows, k)`` indices into :func:`airports`.
    The aircraft leaves its base at ``mobilisation`` and flies there (:func:`flight_minutes`'
    formula); no flight to its own base (same ICAO code, or within :data:`SAME_AIRFIELD_KM`), nor for
    an aircraft without a base.
    """
    eta, hubs = params.eta, airports()
    km = haversine_km_many(base[:, 0, None], base[:, 1, None], hubs.lats[dep], hubs.lons[dep])
    fly = eta.fixed_wing_overhead_min + km * eta.fixed_wing_routing_factor / cruise[:, None] * 60.0
    fly[(dep == base[:, 2, None].astype(np.int64)) | (km <= SAME_AIRFIELD_KM) | np.isnan(base[:, 0, None])] = 0.0
    return mobilisation[:, None] + fly


def aircraft_ready(airlift: Airlift, airports_at: Sequence[Place], params: TransportParams = DEFAULT_TRANSPORT
                   ) -> list[float]:
    """:func:`aircraft_ready_many` for one aircraft and the pick-up airports ``airports_at``."""
    dep = np.array([[airport_index(p.name) for p in airports_at]], dtype=np.int64)
    return aircraft_ready_many(np.array([airlift.mobilisation_min]), np.array([airlift.cruise_kmh]),
                               np.array([airlift.base_row]), dep, params)[0].tolist()
