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
aircraft type, its mobilisation time and seats.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from atlas_coord.domain.airports import airports_by
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.land import land
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.route import Leg, Place, PlaceIndex, great_circle_km

__all__ = ['AIRCRAFT', 'Aircraft', 'Airlift', 'airports', 'flight_leg', 'flight_minutes']


@dataclass(frozen=True)
class Aircraft:
    name: str
    cruise_kmh: float
    source: str


#: Cruise speeds, km/h. Manufacturer figures as quoted in the sources named (not re-checked offline).
AIRCRAFT: dict[str, Aircraft] = {
    'C-130J': Aircraft('Lockheed Martin C-130J Super Hercules', 640.0,
                       'domain.md §6 (about 640 km/h); lockheedmartin.com C-130J: cruise 348 kn (644 km/h)'),
    'A400M': Aircraft('Airbus A400M Atlas', 780.0,
                      'domain.md §6 (about 780 km/h); airbus.com A400M: cruise Mach 0.68-0.72'),
    'C-295': Aircraft('Airbus C295', 480.0, 'airbus.com C295: max cruise speed 260 kn (482 km/h) [M: 480]'),
    'business_jet': Aircraft('Government business jet (Falcon, Global, Gulfstream class)', 800.0,
                             'domain.md §6 (business jets about 800 km/h) [M]'),
}


@dataclass(frozen=True)
class Airlift:
    """Aircraft a unit can use: type (a key of :data:`AIRCRAFT`), minutes from the unit's departure
    until the aircraft is ready to load, and seats. :raise ValueError: naming the field."""

    aircraft: str
    mobilisation_min: float
    seats: int

    def __post_init__(self) -> None:
        if self.aircraft not in AIRCRAFT:
            raise ValueError(f"'aircraft' must be one of {', '.join(AIRCRAFT)}, got {self.aircraft!r}")
        m = self.mobilisation_min
        if isinstance(m, bool) or not isinstance(m, int | float) or not 0 <= m < math.inf:
            raise ValueError(f"'mobilisation_min' must be a finite number >= 0, got {m!r}")
        if isinstance(self.seats, bool) or not isinstance(self.seats, int) or self.seats < 1:
            raise ValueError(f"'seats' must be a positive integer, got {self.seats!r}")

    @property
    def cruise_kmh(self) -> float:
        return AIRCRAFT[self.aircraft].cruise_kmh


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
    return Leg('flight', a.name, b.name, km, flight_minutes(km, airlift, params))
