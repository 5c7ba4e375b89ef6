"""The ranking's ETA: notice to move (+ break-off) + the transport model's best route.

One model (:mod:`atlas_coord.domain.transport`), never a second one. For each unit:

* **modes**: road (only where land, fixed links and ferries connect), the unit's own helicopter
  (``air_transport == 'helicopter'``, the helicopter figures of :class:`~..eta.EtaParams`), and
  fixed-wing airlift: the aircraft of its state or of a partner that may carry it (the directory's
  airlift, :func:`airlift_options`), or its own aircraft (``air_transport == 'fixed_wing'``:
  :data:`OWN_AIRCRAFT`, ready when the unit is);
* **bases**: the home base and every station; the fastest route wins;
* **mobilisation of an aircraft counts from the alert** (the request), like the unit's notice: the
  aircraft leaves its base ``mobilisation`` after the alert and flies to the pick-up airport
  (positioning, :func:`..transport.air.aircraft_ready_many`); the unit's flight cannot leave before
  ``max(notice + break-off + road to the airport, mobilisation + positioning)``. The transport
  model counts an :class:`~..transport.air.Airlift`'s ``mobilisation_min`` from the unit's
  departure, so the unit is given ``mobilisation - notice - break-off`` (negative: the aircraft
  left its base before the unit set off).

**Lower bound** (for pruning, see :mod:`.rank`): ``fixed + lower_bound_minutes(d)`` with the unit's
own options, where ``d`` is a lower bound of the distance to its nearest base (the transport
bound is non-decreasing in distance, so the nearest base bounds every base) and the air term uses
the fastest of its aircraft and the shortest of their mobilisations (each term of the transport
bound is non-increasing in the cruise speed and non-decreasing in the mobilisation, so the mix
bounds every aircraft). :func:`lower_bounds` is that formula on arrays, less ``_SLACK`` minutes for
rounding; tests check it never exceeds the exact ETA.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from ..airlift import AirliftAsset
from ..choices import AirliftKind, AirTransport
from ..eta import EtaBreakdown, helicopter_times
from ..geo import HAVERSINE_UPPER, GeoPoint, geodesic_m
from ..transport.air import AIRCRAFT, Airlift
from ..transport.params import DEFAULT_TRANSPORT, TransportParams
from ..transport.plan import (
    TransportOptions,
    best_route,
    helicopter_lower_minutes,
    route_by,
    surface_lower_minutes,
    surface_speed_kmh,
)
from ..transport.route import Route

__all__ = ['AIRCRAFT_CLASSES', 'OWN_AIRCRAFT', 'UnitRoute', 'aircraft_class', 'airlift_options', 'lower_bounds',
           'unit_airlifts', 'unit_eta_minutes', 'unit_route']

#: The directory's free-text aircraft types (``airlift.json``) as the transport model's speed classes
#: (:data:`..transport.air.AIRCRAFT`). A type between two classes takes the slower one, so that an
#: ETA is never flattered [M]; cruise speeds as quoted by the manufacturers (not re-checked offline):
#: C-130H/K about 540 km/h (292 kn) -> C-295 (480); C-27J about 580 km/h (315 kn) -> C-295;
#: C-390 about 870 km/h (470 kn) and C-17A about 830 km/h (Mach 0.74) -> A400M (780).
#: A mixed entry ("C295 / Falcon") takes the class of the aircraft that carries a team (the slower).
AIRCRAFT_CLASSES: dict[str, str] = {
    'Airbus A400M Atlas': 'A400M',
    'Boeing C-17A Globemaster III': 'A400M',
    'Embraer C-390 Millennium': 'A400M',
    'Lockheed Martin C-130J-30 Super Hercules': 'C-130J',
    'Lockheed Martin C-130J Super Hercules': 'C-130J',
    'Lockheed C-130H Hercules': 'C-295',
    'Lockheed C-130H Hercules (Tp 84)': 'C-295',
    'Lockheed C-130K Hercules': 'C-295',
    'Alenia C-27J Spartan': 'C-295',
    'Alenia C-27J Spartan / C-130H': 'C-295',
    'CASA C-295M': 'C-295',
    'CASA C-295M/MW': 'C-295',
    'CASA C-295 / CN-235': 'C-295',
    'CASA C-295M / Lockheed C-130H': 'C-295',
    'Airbus C295 / Dassault Falcon': 'C-295',
    'Dassault Falcon 900EX / Cessna Citation': 'business_jet',
}

#: A unit's own fixed-wing aircraft (``air_transport == 'fixed_wing'``): a C-130J class aircraft,
#: ready when the unit is [M, the figures of the former ETA model: domain.md §6].
OWN_AIRCRAFT = 'C-130J'

#: Minutes taken off the array bound, for float rounding between it and the exact route (tested).
_SLACK = 1e-6


def aircraft_class(aircraft_type: str) -> str | None:
    """The speed class of a directory aircraft type, or None for a type the table does not know
    (such an aircraft is not used: never a guessed speed)."""
    return AIRCRAFT_CLASSES.get(aircraft_type.strip())


def airlift_options(assets: Iterable[AirliftAsset]) -> tuple[Airlift, ...]:
    """The fixed-wing aircraft among ``assets`` as transport :class:`Airlift` values (with their
    base), keeping only those not beaten on both speed and mobilisation by another at the same base
    (their order is kept)."""
    found: list[Airlift] = []
    for a in assets:
        cls = aircraft_class(a.aircraft_type) if a.kind == AirliftKind.FIXED_WING else None
        if cls is not None:
            found.append(Airlift(cls, float(a.mobilisation_min), a.seats, a.base, a.base_icao))
    keep: list[Airlift] = []
    for x in found:
        beaten = any(y.base == x.base and y.cruise_kmh >= x.cruise_kmh and y.mobilisation_min <= x.mobilisation_min
                     and (y.cruise_kmh, y.mobilisation_min) != (x.cruise_kmh, x.mobilisation_min) for y in found)
        if not beaten and all((y.aircraft, y.mobilisation_min, y.base) != (x.aircraft, x.mobilisation_min, x.base)
                              for y in keep):
            keep.append(x)
    return tuple(keep)


@dataclass(frozen=True)
class UnitRoute:
    """A unit's fastest route to the site (notice excluded) and the base it leaves from."""

    minutes: float
    route: Route
    base: tuple[float, float]


def _from_alert(airlift: Airlift, fixed_min: float) -> Airlift:
    """``airlift`` with its mobilisation counted from the unit's departure instead of the alert
    (negative when the aircraft leaves its base before the unit sets off)."""
    return Airlift(airlift.aircraft, airlift.mobilisation_min - fixed_min, airlift.seats, airlift.base,
                   airlift.base_icao)


def unit_route(
    bases: Sequence[tuple[float, float]], site: GeoPoint, helicopter: bool, airlifts: Sequence[Airlift],
    fixed_min: float, params: TransportParams = DEFAULT_TRANSPORT, *, name: str = 'base',
) -> UnitRoute | None:
    """The fastest route from any of ``bases`` to ``site`` with any of the modes, or None."""
    options = [TransportOptions(helicopter, _from_alert(a, fixed_min)) for a in airlifts]
    options = options or [TransportOptions(helicopter, None)]
    best: UnitRoute | None = None
    for base in bases:
        point = GeoPoint(*base)
        for opt in options:
            route = best_route(point, site, opt, params, origin_name=name)
            if route is not None and (best is None or route.total_minutes < best.minutes):
                best = UnitRoute(route.total_minutes, route, base)
    return best


def unit_route_by(
    base: tuple[float, float], site: GeoPoint, helicopter: bool, airlift: Airlift | None, fixed_min: float,
    how: int, params: TransportParams = DEFAULT_TRANSPORT, *, name: str = 'base',
) -> UnitRoute | None:
    """:func:`unit_route` from one base with one aircraft (or none) when the one-to-many minutes
    already found the fastest mode ``how`` (:func:`..transport.plan.route_by`)."""
    opt = TransportOptions(helicopter, None if airlift is None else _from_alert(airlift, fixed_min))
    route = route_by(GeoPoint(*base), site, how, opt, params, origin_name=name)
    return None if route is None else UnitRoute(route.total_minutes, route, base)


def lower_bounds(
    distance_m: np.ndarray, helicopter: np.ndarray, cruise_kmh: np.ndarray, mobilisation_min: np.ndarray,
    fixed_min: np.ndarray, params: TransportParams = DEFAULT_TRANSPORT,
) -> np.ndarray:
    """Proven lower bounds of the route minutes (notice excluded) of many units.

    ``distance_m``: a lower bound of the distance to the unit's nearest base; ``helicopter``: bool;
    ``cruise_kmh``: the fastest aircraft's cruise (NaN: no airlift); ``mobilisation_min``: the
    shortest mobilisation from the alert; ``fixed_min``: notice + break-off. The formula of
    :func:`..transport.plan.lower_bound_minutes`, less ``_SLACK``.
    """
    eta = params.eta
    d = np.maximum(np.asarray(distance_m, dtype=np.float64) / 1000.0, 0.0) / HAVERSINE_UPPER
    surface = surface_speed_kmh(params)
    bound = surface_lower_minutes(d, params)
    helicopter = np.asarray(helicopter, dtype=bool)
    if helicopter.any():
        bound = np.where(helicopter, np.minimum(bound, helicopter_lower_minutes(d, params)), bound)
    has_air = ~np.isnan(cruise_kmh)
    if has_air.any():
        fastest = np.maximum(surface, np.where(has_air, cruise_kmh, 1.0) / eta.fixed_wing_routing_factor)
        mob = np.maximum(0.0, np.where(has_air, mobilisation_min, 0.0) - fixed_min)
        air = eta.fixed_wing_overhead_min + np.maximum(mob, d / fastest * 60.0)
        bound = np.where(has_air, np.minimum(bound, air), bound)
    return bound - _SLACK


def unit_airlifts(unit, airlift: Mapping[str, Sequence[Airlift]] | None) -> tuple[Airlift, ...]:
    """The aircraft that may carry ``unit`` (a :class:`..types.UnitSnapshot`): its own (fixed wing),
    then its state's and partners' (``airlift``: state code -> :class:`Airlift` values)."""
    own = (own_airlift(unit.personnel),) if unit.air_transport == AirTransport.FIXED_WING else ()
    return own + state_airlift(airlift, unit.state)


def unit_eta_minutes(unit, site: GeoPoint, fixed_min: float, params: TransportParams = DEFAULT_TRANSPORT,
                     airlift: Mapping[str, Sequence[Airlift]] | None = None) -> float | None:
    """The ranking's ETA of ``unit`` to ``site``: ``fixed_min`` (notice to move + break-off) plus its
    fastest route from any base (:func:`unit_route`); None when no mode reaches the site. The one
    model for every other ETA in the application (the training-cover check)."""
    route = unit_route(unit.bases, site, unit.air_transport == AirTransport.HELICOPTER,
                       unit_airlifts(unit, airlift), fixed_min, params, name=unit.name)
    return None if route is None else float(fixed_min) + route.minutes


def own_airlift(personnel: int) -> Airlift:
    """A unit's own fixed-wing aircraft (:data:`OWN_AIRCRAFT`), ready at once."""
    return Airlift(OWN_AIRCRAFT, 0.0, max(1, int(personnel)))


def state_airlift(airlift: Mapping[str, Sequence[Airlift]] | None, state: str) -> tuple[Airlift, ...]:
    return tuple(airlift.get(state, ())) if airlift else ()


def fastest(airlifts: Sequence[Airlift]) -> tuple[float, float]:
    """``(highest cruise km/h, shortest mobilisation)`` over ``airlifts``; ``(nan, nan)`` if none."""
    if not airlifts:
        return math.nan, math.nan
    return max(a.cruise_kmh for a in airlifts), min(a.mobilisation_min for a in airlifts)


assert set(AIRCRAFT_CLASSES.values()) <= set(AIRCRAFT)


#: Leg modes counted as ground transfer around a flight or a helicopter flight.
_SURFACE = ('road', 'bridge', 'shuttle', 'ferry', 'boat')
_AIR = ('flight', 'helicopter')
#: EtaBreakdown.mode of a route, by the route's main mode (the former vocabulary kept for 'flight').
_MODE = {'flight': 'fixed_wing'}


def route_breakdown(ur: UnitRoute, site: GeoPoint, notice_min: float, break_off_min: float,
                    params: TransportParams, now=None, distance_m: float | None = None):
    """The :class:`~..eta.EtaBreakdown` of a unit's route: components that add up to the total, and
    every leg (``steps``) with the one-line ``route_summary``. ``distance_m``: the geodesic metres
    from the route's base to the site, if the caller has measured them."""
    route, eta = ur.route, params.eta
    surface = math.fsum(leg.minutes for leg in route.legs if leg.mode in _SURFACE)
    wait = math.fsum(leg.minutes for leg in route.legs if leg.mode == 'wait')
    air = math.fsum(leg.minutes for leg in route.legs if leg.mode in _AIR)
    overhead, legs = wait, 1
    for leg in route.legs:
        if leg.mode == 'flight':
            overhead += eta.fixed_wing_overhead_min
        elif leg.mode == 'helicopter':
            transfer_h, over_h, _travel, legs = helicopter_times(leg.km, eta)
            overhead += transfer_h + over_h
    if air:
        transfer, travel = surface, air - (overhead - wait)
    else:
        transfer, travel = 0.0, surface
    total = float(notice_min) + float(break_off_min) + ur.minutes
    main = route.main_mode
    return EtaBreakdown(
        mode=_MODE.get(main, main),
        distance_km=(geodesic_m(ur.base[0], ur.base[1], site.lat, site.lon) if distance_m is None else distance_m)
        / 1000.0,
        route_km=math.fsum(leg.km for leg in route.legs),
        mobilisation_min=float(notice_min), break_off_min=float(break_off_min),
        transfer_min=transfer, overhead_min=overhead, travel_min=travel,
        legs=legs, refuel_stops=legs - 1, total_min=total,
        arrival=None if now is None else now + timedelta(minutes=total),
        steps=route.legs, route_summary=route.summary(),
    )
