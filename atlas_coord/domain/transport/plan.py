"""The fastest way from a unit's station to a site, and a proven lower bound for pruning.

:func:`best_route` compares, for the modes in :class:`TransportOptions`:

* **road**: over land and the fixed links and ferries (:mod:`.road`);
* **helicopter**: straight to the site with refuelling stops, the figures and arithmetic of
  :func:`atlas_coord.domain.eta.helicopter_times` (up to ``EtaParams.helicopter_max_km``);
* **air**: road to one of the :data:`AIRPORT_CHOICES` airports nearest the station, a wait until the
  aircraft is there (it leaves its base ``Airlift.mobilisation_min`` after the unit's departure and
  flies to that airport: :func:`.air.aircraft_ready_many`), the flight, road from one of the
  airports nearest the site;
* **boat**: to a site at sea, or on land no road or flight reaches: the best of the above to one of
  the ports nearest the site, then a patrol boat (:mod:`.sea`).

Times exclude the unit's own notice to move, which the ranking adds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from atlas_coord.domain.eta import helicopter_times
from atlas_coord.domain.geo import HAVERSINE_UPPER, GeoPoint
from atlas_coord.domain.transport.air import (
    AIRCRAFT,
    Airlift,
    aircraft_ready,
    airports,
    flight_leg,
    flight_minutes,
)
from atlas_coord.domain.transport.links import LINKS
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.road import road_network
from atlas_coord.domain.transport.route import Leg, Place, Route, great_circle_km
from atlas_coord.domain.transport.sea import boat_leg, ports

__all__ = ['AIR', 'AIRPORT_CHOICES', 'BOAT', 'HELICOPTER', 'PORT_CHOICES', 'ROAD', 'TransportOptions', 'best_route',
           'lower_bound_minutes', 'route_by']

#: Airports tried at each end of a flight, nearest first (the nearest may be on another island).
AIRPORT_CHOICES = 3
#: Ports tried for a boat to the site.
PORT_CHOICES = 2
#: The mode of a fastest route as :func:`.many.minutes_many` reports it and :func:`route_by` takes it;
#: ``BOAT + k``: a boat from the ``k``-th port :func:`_by_boat` tries.
ROAD, AIR, HELICOPTER, BOAT = range(4)


@dataclass(frozen=True)
class TransportOptions:
    """What a unit can use: road always; its own helicopter; its state's (or a partner's) airlift."""

    helicopter: bool = False
    airlift: Airlift | None = None


_Candidate = tuple[float, Callable[[], tuple[Leg, ...]]]


def best_route(
    origin: GeoPoint,
    site: GeoPoint,
    options: TransportOptions = TransportOptions(),
    params: TransportParams = DEFAULT_TRANSPORT,
    *,
    origin_name: str = 'station',
    site_name: str = 'site',
) -> Route | None:
    """The fastest :class:`Route` from ``origin`` to ``site``, or None if no mode reaches it."""
    a, b = Place(origin_name, origin), Place(site_name, site)
    heli = _helicopter(a, b, options, params)
    best = _best_on_land(a, b, options, params, heli[0])
    if heli[0] < best[0]:
        best = heli
    if math.isinf(best[0]) or road_network(params).landmass(site) is None:
        boat = _by_boat(a, b, options, params)
        if boat[0] < best[0]:
            best = boat
    return _finish(best)


def route_by(
    origin: GeoPoint,
    site: GeoPoint,
    how: int,
    options: TransportOptions = TransportOptions(),
    params: TransportParams = DEFAULT_TRANSPORT,
    *,
    origin_name: str = 'station',
    site_name: str = 'site',
) -> Route | None:
    """:func:`best_route` when the fastest mode is known (``how``, from :func:`.many.minutes_many`):
    only that mode's route is planned, the others are not compared again. Same route as
    :func:`best_route` but on an exact tie between modes, where it is another route as fast."""
    a, b = Place(origin_name, origin), Place(site_name, site)
    if how == HELICOPTER:
        found = _helicopter(a, b, options, params)
    elif how == AIR:
        found = _by_air(a, b, options.airlift, params) if options.airlift is not None else (math.inf, tuple)
    elif how == ROAD:
        net = road_network(params)
        road = net.minutes(a, b)
        found = (road[0], lambda: net.route(a, b, road).legs)
    else:
        found = _by_boat(a, b, options, params, only=how - BOAT)
    return _finish(found)


def _finish(best: _Candidate) -> Route | None:
    if math.isinf(best[0]):
        return None
    legs = best[1]()
    # a road leg of 0 km (a port at a ferry terminal) says nothing: drop it, unless it is the route
    return Route(tuple(leg for leg in legs if leg.minutes > 0 or len(legs) == 1))


def _best_on_land(a: Place, b: Place, options: TransportOptions, params: TransportParams,
                  cap: float = math.inf) -> _Candidate:
    """Road, or air with road at both ends, whichever is faster; exact when at most ``cap`` (another
    mode's minutes), above it otherwise (:meth:`.road.RoadNetwork.minutes`)."""
    net = road_network(params)
    air = _by_air(a, b, options.airlift, params) if options.airlift is not None else (math.inf, tuple)
    found = net.minutes(a, b, min(cap, air[0]))
    best: _Candidate = (found[0], lambda: net.route(a, b, found).legs)
    if air[0] < best[0]:
        best = air
    return best


def _helicopter(a: Place, b: Place, options: TransportOptions, params: TransportParams) -> _Candidate:
    km = great_circle_km(a.point, b.point)
    if not options.helicopter or km > params.eta.helicopter_max_km:
        return math.inf, tuple
    transfer, overhead, travel, _legs = helicopter_times(km, params.eta)
    minutes = transfer + overhead + travel
    return minutes, lambda: (Leg('helicopter', a.name, b.name, km, minutes, points=(a.latlon, b.latlon)),)


def _airport_access(point: GeoPoint, params: TransportParams) -> tuple[tuple[float, Place], ...]:
    """``(road minutes, airport)`` for the airports nearest ``point`` (road times are symmetric).

    Remembered per point: a station's departures serve every query, a site's arrivals every station.
    """
    known = road_network(params).known.get((point.lat, point.lon))
    if known is not None and known[3] is not None:
        return known[3]
    return _airport_access_uncached(point, params)


@functools.lru_cache(maxsize=8192)
def _airport_access_uncached(point: GeoPoint, params: TransportParams) -> tuple[tuple[float, Place], ...]:
    net, air = road_network(params), airports()
    here = Place('', point)
    return tuple((net.minutes(here, air.places[i])[0], air.places[i]) for i in air.nearest(point, AIRPORT_CHOICES))


def _by_air(a: Place, b: Place, airlift: Airlift, params: TransportParams) -> _Candidate:
    net = road_network(params)
    deps, arrs = _airport_access(a.point, params), _airport_access(b.point, params)
    aircraft = aircraft_ready(airlift, [dep for _m, dep in deps], params)
    best, pick = math.inf, None
    for (to_dep, dep), at_dep in zip(deps, aircraft, strict=True):
        ready = max(to_dep, at_dep)
        for from_arr, arr in arrs:
            if dep is arr or math.isinf(to_dep + from_arr):
                continue
            total = ready + flight_minutes(great_circle_km(dep.point, arr.point), airlift, params) + from_arr
            if total < best:
                best, pick = total, (dep, arr, to_dep, at_dep)
    if pick is None:
        return math.inf, tuple

    def legs() -> tuple[Leg, ...]:
        dep, arr, to_dep, at_dep = pick
        out = list(net.route(a, dep).legs)
        if at_dep > to_dep:
            flies = at_dep > airlift.mobilisation_min  # not waiting at its base: flying in from it
            note = f'{airlift.aircraft} from {airlift.base_icao or "its base"}' if flies else ''
            out.append(Leg('wait', dep.name, dep.name, 0.0, at_dep - to_dep, note, points=(dep.latlon,)))
        out.append(flight_leg(dep, arr, airlift, params))
        return (*out, *net.route(arr, b).legs)

    return best, legs


def _by_boat(a: Place, b: Place, options: TransportOptions, params: TransportParams,
             only: int | None = None) -> _Candidate:
    """The fastest boat route over the ports near ``b`` within the boat's reach (``only``: the
    ``only``-th of those ports alone)."""
    best: _Candidate = (math.inf, tuple)
    catalogue = ports()
    near = [catalogue.places[i] for i in catalogue.nearest(b.point, PORT_CHOICES)]
    near = [port for port in near if great_circle_km(port.point, b.point) <= params.boat_max_km]
    for k, port in enumerate(near):
        if only is not None and k != only:
            continue
        minutes, legs = _best_on_land(a, port, options, params)
        boat = boat_leg(port, b, params)
        if minutes + boat.minutes < best[0]:
            best = (minutes + boat.minutes, lambda legs=legs, boat=boat: (*legs(), boat))
    return best


# --------------------------------------------------------------------------- lower bound


@functools.lru_cache(maxsize=8)
def surface_speed_kmh(params: TransportParams = DEFAULT_TRANSPORT) -> float:
    """The fastest great-circle progress of any surface leg: road, a link's crossing, a boat.

    Remembered per parameter set: the ranking asks once per query, and the links do not change."""
    links = max(great_circle_km(GeoPoint(k.a.lat, k.a.lon), GeoPoint(k.b.lat, k.b.lon)) / k.minutes * 60.0
                for k in LINKS)
    road = params.road_speed_kmh / params.road_detour_factor
    boat = params.boat_speed_kmh / params.boat_routing_factor
    return max(links, road, boat)


@functools.lru_cache(maxsize=8)
def _surface_floor(params: TransportParams) -> tuple[float, float]:
    """``(v, saving)``: road and boat legs progress at most ``v`` great-circle km/h, and all the links
    faster than ``v`` together save at most ``saving`` minutes over covering their length at ``v``."""
    v = max(params.road_speed_kmh / params.road_detour_factor, params.boat_speed_kmh / params.boat_routing_factor)
    saving = 0.0
    for k in LINKS:
        km = great_circle_km(GeoPoint(k.a.lat, k.a.lon), GeoPoint(k.b.lat, k.b.lon))
        saving += max(0.0, km / v * 60.0 - k.minutes)
    return v, saving


def surface_lower_minutes(distance_km, params: TransportParams = DEFAULT_TRANSPORT):
    """A proven lower bound of the minutes of any surface route (road, links, ferries, boat) over
    ``distance_km`` great-circle km (a float or an array).

    Two bounds, the larger is taken: every leg at the fastest surface progress
    (:func:`surface_speed_kmh`); or road and boat legs at their speed ``v`` and the links at theirs.
    A route uses each link at most once (a fastest path is simple: link minutes are positive), and a
    link of ``km`` taking ``m`` minutes saves at most ``km / v - m`` over the same distance at ``v``,
    so the route takes at least ``distance / v`` less the sum of those savings (a few minutes:
    the short fast bridges), far tighter over long distances than the first bound.
    """
    v, saving = _surface_floor(params)
    return np.maximum(distance_km / surface_speed_kmh(params) * 60.0, distance_km / v * 60.0 - saving)


def helicopter_lower_minutes(distance_km, params: TransportParams = DEFAULT_TRANSPORT):
    """A proven lower bound of a helicopter flight's minutes over ``distance_km`` great-circle km or
    more (a float or an array): :func:`.eta.helicopter_times` is non-decreasing in the distance (the
    refuelling stops too), and no helicopter flies beyond ``helicopter_max_km`` (``inf``)."""
    eta = params.eta
    d = np.asarray(distance_km, dtype=np.float64)
    legs = np.maximum(1.0, np.ceil(d / eta.helicopter_range_km))
    minutes = (eta.helicopter_transfer_min + eta.helicopter_overhead_min + (legs - 1.0) * eta.helicopter_refuel_min
               + d * eta.helicopter_routing_factor / eta.helicopter_speed_kmh * 60.0)
    return np.where(d > eta.helicopter_max_km, np.inf, minutes)


def lower_bound_minutes(
    distance_km: float, options: TransportOptions = TransportOptions(), params: TransportParams = DEFAULT_TRANSPORT
) -> float:
    """A proven lower bound of :func:`best_route`'s ``total_minutes`` for any two points
    ``distance_km`` apart (WGS84 geodesic or great circle), for a unit with ``options``.

    Every leg's minutes are at least its great-circle km over the fastest speed of its kind and the
    legs' great-circle km add up to at least the distance (triangle inequality), so any route takes
    at least ``distance / v``, ``v`` the fastest speed among the modes it may use; a flight adds its
    fixed overhead and cannot leave before the aircraft is ready. A surface route is bounded more
    tightly by :func:`surface_lower_minutes`, a helicopter by :func:`helicopter_lower_minutes`.
    The distance is first turned into a lower bound of the great-circle one (``/ HAVERSINE_UPPER``).
    For the ranking's pruning over all units, pass the fastest options any unit has.
    """
    d = max(0.0, float(distance_km)) / HAVERSINE_UPPER
    surface = surface_speed_kmh(params)
    bound = float(surface_lower_minutes(d, params))
    if options.helicopter:
        bound = min(bound, float(helicopter_lower_minutes(d, params)))
    if options.airlift is not None:
        fastest = max(surface, options.airlift.cruise_kmh / params.eta.fixed_wing_routing_factor)
        air = params.eta.fixed_wing_overhead_min + max(options.airlift.mobilisation_min, d / fastest * 60.0)
        bound = min(bound, air)
    return bound


#: The aircraft type with the highest cruise speed: its airlift with no mobilisation gives the bound
#: for a unit whose options are unknown.
FASTEST_AIRCRAFT = max(AIRCRAFT, key=lambda k: AIRCRAFT[k].cruise_kmh)
