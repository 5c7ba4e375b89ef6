"""One site, many stations: :func:`.plan.best_route`'s minutes for many origins at once.

The ranking asks the same question for every unit: how long from each of its bases to one site?
Per query the site side is computed once (:class:`SiteSide`: its landmass, its graph nodes, the
airports nearest it with the road minutes from each); per base, what does not depend on the site is
computed once per unit directory (:class:`BaseSide`: landmass, graph nodes with join minutes, the
airports nearest it with road minutes). A route's minutes are then array look-ups and minima over
the same candidates :func:`.plan.best_route` compares, with the same arithmetic: the two agree
(tests: random sites, the seeded bases and synthetic units, within 1e-6 min). Legs are not built
here: ``best_route`` builds them for the few routes shown.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.air import aircraft_ready_many, airports
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.plan import AIR, AIRPORT_CHOICES, BOAT, HELICOPTER, PORT_CHOICES, ROAD
from atlas_coord.domain.transport.road import Joined, road_network
from atlas_coord.domain.transport.route import Place, great_circle_km, haversine_km_many
from atlas_coord.domain.transport.sea import boat_leg, ports

__all__ = ['AIR', 'BOAT', 'HELICOPTER', 'ROAD', 'BaseSide', 'SiteSide', 'base_side', 'minutes_many']

#: Bases per block when finding their nearest airports (a block's distance matrix: a few MB).
_BLOCK = 2000


@dataclass(frozen=True)
class BaseSide:
    """Per base: joined to the road graph, its :data:`.plan.AIRPORT_CHOICES` nearest airports
    (indices into :func:`.air.airports`, nearest first) and the road minutes to each."""

    joined: Joined
    dep: np.ndarray
    to_dep: np.ndarray

    def take(self, k: np.ndarray) -> BaseSide:
        return BaseSide(self.joined.take(k), self.dep[k], self.to_dep[k])

    def remember(self, k: int, params: TransportParams) -> None:
        """Hand base ``k``'s join to the road network, for a single-pair :func:`.plan.best_route`."""
        j, hubs = self.joined, airports()
        deps = tuple((float(m), hubs.places[int(a)]) for m, a in zip(self.to_dep[k], self.dep[k], strict=True))
        road_network(params).remember(float(j.lat[k]), float(j.lon[k]), int(j.landmass[k]), j.nodes[k],
                                      j.minutes[k], deps)


def _nearest_many(lats: np.ndarray, lons: np.ndarray, p_lats: np.ndarray, p_lons: np.ndarray, k: int) -> np.ndarray:
    """:func:`.route.nearest_indices` for many points: ``(points, k)`` indices, nearest first."""
    out = np.empty((lats.size, k), dtype=np.int64)
    for s in range(0, lats.size, _BLOCK):
        km = haversine_km_many(lats[s:s + _BLOCK, None], lons[s:s + _BLOCK, None], p_lats[None, :], p_lons[None, :])
        part = np.argpartition(km, k, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(km, part, axis=1), axis=1, kind='stable')
        out[s:s + _BLOCK] = np.take_along_axis(part, order, axis=1)
    return out


@functools.lru_cache(maxsize=8)
def _airports_joined(params: TransportParams) -> Joined:
    air = airports()
    return road_network(params).join_many(air.lats, air.lons)


# The last few directories' base sides, by their bases' coordinates and the parameters. Every
# match and every submitted request ranks the whole directory, whose bases rarely change, and
# joining them to the road graph was a fifth of a match's CPU (issue #18).
_SIDES: OrderedDict[tuple[bytes, bytes, TransportParams], BaseSide] = OrderedDict()
_SIDES_KEPT = 4
_sides_lock = threading.Lock()


def base_side(lats: np.ndarray, lons: np.ndarray, params: TransportParams = DEFAULT_TRANSPORT) -> BaseSide:
    """The site-independent part of the routes from the bases at ``(lats, lons)`` (kept per
    process for the last few sets of bases; a kept one is never changed)."""
    lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    key = (lats.tobytes(), lons.tobytes(), params)
    with _sides_lock:
        side = _SIDES.get(key)
        if side is not None:
            _SIDES.move_to_end(key)
            return side
    side = _base_side(lats, lons, params)
    with _sides_lock:
        _SIDES[key] = side
        while len(_SIDES) > _SIDES_KEPT:
            _SIDES.popitem(last=False)
    return side


def _base_side(lats: np.ndarray, lons: np.ndarray, params: TransportParams) -> BaseSide:
    net, air = road_network(params), airports()
    joined = net.join_many(lats, lons)
    dep = _nearest_many(lats, lons, air.lats, air.lons, AIRPORT_CHOICES)
    hubs = _airports_joined(params)
    to_dep = np.stack([net.minutes_many(joined, hubs.take(dep[:, c])) for c in range(AIRPORT_CHOICES)], axis=1)
    return BaseSide(joined, dep, to_dep)


class SiteSide:
    """The query's end of every route: the site joined to the graph and its arrival airports."""

    def __init__(self, site: GeoPoint, params: TransportParams = DEFAULT_TRANSPORT) -> None:
        net, air = road_network(params), airports()
        self.site, self.params = site, params
        self.joined = net.join_many(np.array([site.lat]), np.array([site.lon]))
        self.at_sea = int(self.joined.landmass[0]) < 0
        self.arr = air.nearest(site, AIRPORT_CHOICES)
        known = net.known.get((site.lat, site.lon))
        if known is not None and known[3] is not None:
            self.from_arr = np.array([m for m, _place in known[3]])
        else:
            # the road to each arrival airport in one numpy call (the site joined once), then kept
            # with the site so that the shown routes' single-pair planning does not join it again
            here = self.joined.take(np.zeros(self.arr.size, dtype=np.int64))
            self.from_arr = net.minutes_many(here, _airports_joined(params).take(self.arr))
            j = self.joined
            net.remember(site.lat, site.lon, int(j.landmass[0]), j.nodes[0], j.minutes[0],
                         tuple((float(m), air.places[int(a)]) for m, a in zip(self.from_arr, self.arr, strict=True)))
        self._ports: list[tuple[SiteSide, float]] | None = None

    def ports(self) -> list[tuple[SiteSide, float]]:
        """``(port side, boat minutes to the site)`` for the ports a boat may leave from."""
        if self._ports is None:
            catalogue, self._ports = ports(), []
            for i in catalogue.nearest(self.site, PORT_CHOICES):
                port = catalogue.places[i]
                if great_circle_km(port.point, self.site) <= self.params.boat_max_km:
                    boat = boat_leg(port, Place('site', self.site), self.params)
                    self._ports.append((_port_side(port.point, self.params), boat.minutes))
        return self._ports


@functools.lru_cache(maxsize=256)
def _port_side(point: GeoPoint, params: TransportParams) -> SiteSide:
    """A port as the far end of the land part of a boat route (ports recur across queries)."""
    return SiteSide(point, params)


def _on_land(bases: BaseSide, to: SiteSide, craft: np.ndarray, cap: np.ndarray,
             how: np.ndarray | None = None) -> np.ndarray:
    """Road, or air with road at both ends (rows whose ``craft`` has a cruise), whichever is faster;
    capped by ``cap`` (another mode's minutes): the result is ``min(on land, cap)``. ``craft``:
    ``(rows, 5)``: cruise km/h (NaN: none), mobilisation, the aircraft's base as ``Airlift.base_row``.
    ``how``, if given, receives :data:`ROAD` or :data:`AIR` where that mode is the result, with
    :func:`.plan.best_route`'s tie rules (road before air before the cap's mode); elsewhere it is kept."""
    params = to.params
    by_air = np.full(cap.shape, np.inf)
    air = np.flatnonzero(~np.isnan(craft[:, 0]))
    if air.size:
        eta, hubs = params.eta, airports()
        dep, cruise = bases.dep[air], craft[air, 0]
        km = haversine_km_many(hubs.lats[dep][:, :, None], hubs.lons[dep][:, :, None],
                               hubs.lats[to.arr][None, None, :], hubs.lons[to.arr][None, None, :])
        flight = eta.fixed_wing_overhead_min + km * eta.fixed_wing_routing_factor / cruise[:, None, None] * 60.0
        ready = np.maximum(bases.to_dep[air], aircraft_ready_many(craft[air, 1], cruise, craft[air, 2:], dep, params))
        total = ready[:, :, None] + flight + to.from_arr[None, None, :]
        total[(dep[:, :, None] == to.arr[None, None, :]) | np.isinf(bases.to_dep[air])[:, :, None]
              | np.isinf(to.from_arr)[None, None, :]] = np.inf
        by_air[air] = total.reshape(air.size, -1).min(axis=1)
    best = np.minimum(cap, by_air)
    road = road_network(params).minutes_many(bases.joined, to.joined, best)
    if how is not None:
        how[by_air <= cap] = AIR
        how[road <= best] = ROAD
    return np.minimum(road, best)


def minutes_many(bases: BaseSide, site: SiteSide, helicopter: np.ndarray, cruise: np.ndarray,
                 mobilisation: np.ndarray, aircraft_base: np.ndarray | None = None,
                 how: np.ndarray | None = None) -> np.ndarray:
    """:func:`.plan.best_route`'s ``total_minutes`` (``inf`` where no mode reaches the site) for each
    row: a base, whether it has a helicopter, and its airlift's cruise km/h (NaN: none), mobilisation
    counted from the unit's departure and base (``(rows, 3)`` as :attr:`.air.Airlift.base_row`;
    None: no aircraft has a base, each is ready where the unit boards).

    ``how``, if given (an int array, one per row), receives the mode of each row's fastest route as
    :func:`.plan.best_route` picks it: :data:`ROAD`, :data:`AIR`, :data:`HELICOPTER`, or
    ``BOAT + k`` for a boat from the ``k``-th of :meth:`SiteSide.ports`; :func:`.plan.route_by`
    then builds that route's legs without comparing the other modes again."""
    eta = site.params.eta
    if aircraft_base is None:
        aircraft_base = np.tile([np.nan, np.nan, -1.0], (helicopter.size, 1))
    craft = np.column_stack([cruise, mobilisation, aircraft_base]).astype(np.float64)
    heli = np.full(helicopter.shape, np.inf)
    km = haversine_km_many(bases.joined.lat, bases.joined.lon, site.site.lat, site.site.lon)
    fly = np.flatnonzero(helicopter & (km <= eta.helicopter_max_km))
    if fly.size:
        legs = np.maximum(1, np.ceil(km[fly] / eta.helicopter_range_km))
        overhead = eta.helicopter_overhead_min + (legs - 1) * eta.helicopter_refuel_min
        travel = km[fly] * eta.helicopter_routing_factor / eta.helicopter_speed_kmh * 60.0
        heli[fly] = eta.helicopter_transfer_min + overhead + travel
    if how is not None:
        how[:] = HELICOPTER
    best = _on_land(bases, site, craft, heli, how)
    boat = np.flatnonzero(np.isinf(best)) if not site.at_sea else np.arange(best.size)
    if boat.size:
        sub = bases.take(boat)
        for k, (port, boat_min) in enumerate(site.ports()):
            # capped at the best so far less the boat run: whatever is not faster does not matter
            cap = best[boat] - boat_min
            land = _on_land(sub, port, craft[boat], cap)
            if how is not None:  # on the land values: cap + boat_min may round below the best
                how[boat[land < cap]] = BOAT + k
            best[boat] = np.minimum(land + boat_min, best[boat])
    return best
