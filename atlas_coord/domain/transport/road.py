"""Convoy road time, and road routes between landmasses over the fixed links and ferries.

A road leg never leaves its landmass: it runs great-circle distance x :attr:`road_detour_factor` at
:attr:`road_speed_kmh` (:class:`.params.TransportParams`). Between landmasses the only ways are
the :data:`.links.LINKS`, each a timed leg (boarding + crossing) with road legs to and from its
terminals. A ferry between two terminals on one landmass (Helsinki–Tallinn) competes with the drive.

A landmass is not convex: Eurasia wraps the Baltic, the Adriatic, the Gulf of Bothnia. So a road
leg follows a graph (:class:`RoadNetwork`) whose edges never cross more than
:data:`.land.WATER_GAP_KM` of water, checked on a land raster. The all-pairs times are computed
once per parameter set (Floyd–Warshall over about 510 nodes, about 0.3 s); a query joins both ends to
their nearest reachable nodes and takes the best combination, in numpy.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.land import WATER_GAP_KM, land, land_mask, landmass_of, waypoints
from atlas_coord.domain.transport.links import LINKS, Link
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.route import Leg, Place, Route, great_circle_km, haversine_km_many

__all__ = ['Joined', 'RoadNetwork', 'road_minutes', 'road_network', 'road_route']


def road_minutes(great_circle: float, params: TransportParams = DEFAULT_TRANSPORT) -> float:
    """Minutes of a convoy road leg of ``great_circle`` km on one landmass."""
    return great_circle * params.road_detour_factor / params.road_speed_kmh * 60.0


#: Longest road edge between two graph nodes, km: the waypoints are one per 2-degree cell, so
#: neighbours (diagonals included) are within about 320 km.
EDGE_KM = 350.0
#: Graph nodes tried, nearest first, when joining a point to the graph; joined to the first
#: :data:`ACCESS_KEEP` reachable over land.
ACCESS_TRY = 12
ACCESS_KEEP = 4
#: Points kept by :meth:`RoadNetwork.remember` before the store is cleared.
_KNOWN_MAX = 50_000
#: Pairs of points kept by :meth:`RoadNetwork.minutes` before the store is cleared.
_PAIRS_MAX = 50_000


@dataclass(frozen=True)
class Joined:
    """Points joined to the road graph, as arrays: ``landmass`` (-1 at sea), the ``nodes`` each enters
    the graph by and the road ``minutes`` to them (``(points, ACCESS_KEEP)``, ``inf`` padding)."""

    lat: np.ndarray
    lon: np.ndarray
    landmass: np.ndarray
    nodes: np.ndarray
    minutes: np.ndarray

    def take(self, k: np.ndarray) -> Joined:
        return Joined(self.lat[k], self.lon[k], self.landmass[k], self.nodes[k], self.minutes[k])


class RoadNetwork:
    """Road graph: link terminals and land waypoints, with all-pairs fastest times.

    Nodes are the two terminals of every link (first, in link order) and the waypoints of
    :func:`.land.waypoints`. A road edge joins two nodes on one landmass within :data:`EDGE_KM`
    whose straight segment crosses no more than :data:`.land.WATER_GAP_KM` of water; a link joins
    its two terminals. A point joins the graph through its nearest nodes reachable over land.
    """

    def __init__(self, params: TransportParams, links: tuple[Link, ...] = LINKS) -> None:
        self.params, self.links, self.mask = params, links, land_mask()
        terminals = [t for link in links for t in (link.a, link.b)]
        w_lats, w_lons, w_ids = waypoints()
        self.names = [t.name for t in terminals] + ['waypoint'] * len(w_lats)
        self.lats = np.concatenate([[t.lat for t in terminals], w_lats])
        self.lons = np.concatenate([[t.lon for t in terminals], w_lons])
        self.node_landmass = np.concatenate([[_landmass(t.lat, t.lon) for t in terminals], w_ids]).astype(np.int64)
        self.places = [Place(n, GeoPoint(float(la), float(lo))) for n, la, lo in zip(self.names, self.lats, self.lons,
                                                                                      strict=True)]
        self.edge = self._road_edges()
        self.link_at = np.full(self.edge.shape, -1, dtype=np.int32)
        for k, link in enumerate(links):
            for x, y in ((2 * k, 2 * k + 1), (2 * k + 1, 2 * k)):
                if link.minutes < self.edge[x, y]:
                    self.edge[x, y] = link.minutes
                    self.link_at[x, y] = k
        self.time = _all_pairs(self.edge)
        self._access_lru = functools.lru_cache(maxsize=4096)(self._access_uncached)
        self._landmass = functools.lru_cache(maxsize=16384)(lambda lat, lon: landmass_of(GeoPoint(lat, lon)))
        #: points joined in bulk (:meth:`remember`): (lat, lon) -> (landmass, nodes, minutes, airports)
        self.known: dict[tuple[float, float], tuple] = {}
        #: :meth:`minutes` without a cap, per pair of points: a shown route's legs ask for the same
        #: pairs again and again (a station's drive to its airport in every ranking, an airport's to
        #: the site for every candidate flying there); they were most of explaining a candidate
        self._pairs: dict[tuple[float, float, float, float], tuple[float, tuple[int, int] | None]] = {}

    def landmass(self, point: GeoPoint) -> int | None:
        """:func:`.land.landmass_of`, remembered per point (stations, airports, ports and sites recur)."""
        known = self.known.get((point.lat, point.lon))
        if known is not None:
            return known[0]
        return self._landmass(point.lat, point.lon)

    def _access(self, lat: float, lon: float, landmass: int) -> tuple[np.ndarray, np.ndarray]:
        known = self.known.get((lat, lon))
        if known is not None and known[0] == landmass:
            return known[1], known[2]
        return self._access_lru(lat, lon, landmass)

    def remember(self, lat: float, lon: float, landmass: int, nodes: np.ndarray, minutes: np.ndarray,
                 airports: tuple | None = None) -> None:
        """Keep what a bulk join (:meth:`join_many`, :func:`.many.base_side`) found for a point, so
        that a single-pair query from it (a shown route's legs) does not join it again. Bounded."""
        if len(self.known) >= _KNOWN_MAX:
            self.known.clear()
        keep = np.isfinite(minutes)
        self.known[(lat, lon)] = (None if landmass < 0 else landmass, nodes[keep], minutes[keep], airports)

    def _road_edges(self) -> np.ndarray:
        n = len(self.lats)
        edge = np.full((n, n), np.inf)
        np.fill_diagonal(edge, 0.0)
        for i in range(n):
            km = haversine_km_many(self.lats[i], self.lons[i], self.lats[i + 1 :], self.lons[i + 1 :])
            cand = np.flatnonzero((km <= EDGE_KM) & (self.node_landmass[i + 1 :] == self.node_landmass[i])) + i + 1
            if not cand.size:
                continue
            ok = self.mask.on_land(np.full(cand.size, self.lats[i]), np.full(cand.size, self.lons[i]),
                                   self.lats[cand], self.lons[cand])
            good = cand[ok]
            edge[i, good] = edge[good, i] = road_minutes(km[good - i - 1], self.params)
        return edge

    def _access_uncached(self, lat: float, lon: float, landmass: int) -> tuple[np.ndarray, np.ndarray]:
        """``(nodes, minutes)``: the nearest nodes of ``landmass`` reachable over land from the point."""
        nodes, minutes = self.access_many(np.array([lat]), np.array([lon]), np.array([landmass]))
        keep = np.isfinite(minutes[0])
        return nodes[0][keep], minutes[0][keep]

    def access_many(self, lats: np.ndarray, lons: np.ndarray, landmasses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(nodes, minutes)``, each ``(points, ACCESS_KEEP)``: for each point, its nearest graph nodes
        of its landmass reachable over land (nearest first; padded with node 0 and ``inf`` minutes;
        none for a landmass -1). Grouped by landmass, in numpy; one point at a time gives the same."""
        p = lats.size
        nodes = np.zeros((p, ACCESS_KEEP), dtype=np.int64)
        minutes = np.full((p, ACCESS_KEEP), np.inf)
        for lm in np.unique(landmasses).tolist():
            same = np.flatnonzero(self.node_landmass == lm)
            if lm < 0 or not same.size:
                continue
            rows = np.flatnonzero(landmasses == lm)
            la, lo = lats[rows][:, None], lons[rows][:, None]
            km = haversine_km_many(la, lo, self.lats[same][None, :], self.lons[same][None, :])
            order = np.argsort(km, axis=1)[:, :ACCESS_TRY]
            cand = same[order]
            c_lat, c_lon = self.lats[cand], self.lons[cand]
            a_lat, a_lon = np.broadcast_to(la, cand.shape), np.broadcast_to(lo, cand.shape)
            # LandMask.max_water_km's sampling: one count per point, from its longest segment
            span = np.maximum(np.abs(c_lat - a_lat), np.abs(c_lon - a_lon)).max(axis=1)
            n = np.maximum(2, np.ceil(span / (self.mask.deg / 2)).astype(np.int64) + 1)
            ends = a_lat.ravel(), a_lon.ravel(), c_lat.ravel(), c_lon.ravel()
            ok = self.mask.surely_on_land(*ends)
            fine = np.flatnonzero(~ok)
            ok[fine] = self.mask.water_runs_km(*(x[fine] for x in ends), np.repeat(n, cand.shape[1])[fine],
                                               truncate=False) <= WATER_GAP_KM
            ok = ok.reshape(cand.shape)
            keep = ok & (np.cumsum(ok, axis=1) <= ACCESS_KEEP)
            r, c = np.nonzero(keep)
            slot = np.cumsum(keep, axis=1)[r, c] - 1
            nodes[rows[r], slot] = cand[r, c]
            minutes[rows[r], slot] = road_minutes(np.take_along_axis(km, order, axis=1)[r, c], self.params)
        return nodes, minutes

    def minutes_many(self, a: Joined, b: Joined, cap: np.ndarray | None = None) -> np.ndarray:
        """Road minutes between the aligned points of ``a`` and ``b`` (``b`` may hold one point):
        :meth:`minutes` pair by pair, in numpy (``inf`` where no road and link joins them).

        With ``cap`` (minutes of another mode, per pair), a result at or above the cap may be any value
        at or above it: the straight drive's land check, the costly part, is skipped where the drive
        could not beat the cap, so ``min(result, cap)`` is exact."""
        total = a.minutes[:, :, None] + self.time[a.nodes[:, :, None], b.nodes[:, None, :]] + b.minutes[:, None, :]
        best = total.reshape(total.shape[0], -1).min(axis=1)
        same = (a.landmass == b.landmass) & (a.landmass >= 0) & (b.landmass >= 0)
        k = np.flatnonzero(same)
        if k.size:
            blat, blon = np.broadcast_to(b.lat, same.shape)[k], np.broadcast_to(b.lon, same.shape)[k]
            drive = road_minutes(haversine_km_many(a.lat[k], a.lon[k], blat, blon), self.params)
            limit = best[k] if cap is None else np.minimum(best[k], cap[k])
            try_ = np.flatnonzero(drive <= limit)  # the graph wins only when strictly faster
            ok = self.mask.segments_on_land(a.lat[k[try_]], a.lon[k[try_]], blat[try_], blon[try_])
            best[k[try_[ok]]] = drive[try_[ok]]
        return best

    def join_many(self, lats: np.ndarray, lons: np.ndarray) -> Joined:
        """Many points joined to the graph (landmass, nearest nodes and their road minutes)."""
        lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
        lms = land().landmass_many(lats, lons)
        nodes, minutes = self.access_many(lats, lons, lms)
        return Joined(lats, lons, lms, nodes, minutes)

    def route(self, a: Place, b: Place, found: tuple[float, tuple[int, int] | None] | None = None) -> Route | None:
        """The fastest road route from ``a`` to ``b``, or None if no road and link joins them.
        ``found``: :meth:`minutes`'s answer for the pair, if the caller has it."""
        best, via = self.minutes(a, b) if found is None else found
        if math.isinf(best):
            return None
        if via is None:
            return Route((self._road_leg(a, b, great_circle_km(a.point, b.point), (a.latlon, b.latlon)),))
        return Route(self._legs(a, b, *via))

    def minutes(self, a: Place, b: Place, cap: float = math.inf) -> tuple[float, tuple[int, int] | None]:
        """``(minutes, via)`` of the fastest road route (``inf`` if none); ``via`` is the pair of graph
        nodes the route enters and leaves the graph by, None for a direct road leg. Cheap: no legs.

        The direct drive is taken when its segment stays on land and it is not slower than the graph.
        With ``cap`` (another mode's minutes), an answer above the cap may be any value above it: the
        drive's land check, the costly part, is skipped when the drive could not beat the cap."""
        if math.isinf(cap):
            key = (a.point.lat, a.point.lon, b.point.lat, b.point.lon)
            found = self._pairs.get(key)
            if found is None:
                if len(self._pairs) >= _PAIRS_MAX:
                    self._pairs.clear()
                found = self._pairs[key] = self._minutes(a, b, cap)
            return found
        return self._minutes(a, b, cap)

    def _minutes(self, a: Place, b: Place, cap: float) -> tuple[float, tuple[int, int] | None]:
        la, lb = self.landmass(a.point), self.landmass(b.point)
        if la is None or lb is None:
            return math.inf, None
        best, via = math.inf, None
        ta, ra = self._access(a.point.lat, a.point.lon, la)
        tb, rb = self._access(b.point.lat, b.point.lon, lb)
        if ta.size and tb.size:
            total = ra[:, None] + self.time[np.ix_(ta, tb)] + rb[None, :]
            k = int(np.argmin(total))
            best, via = float(total.flat[k]), (int(ta[k // tb.size]), int(tb[k % tb.size]))
        if la == lb:
            drive = road_minutes(great_circle_km(a.point, b.point), self.params)
            if drive <= best and drive <= cap and self.mask.segment_on_land(a.point.lat, a.point.lon,
                                                                              b.point.lat, b.point.lon):
                best, via = drive, None
        return best, via

    def segments(self, a: Place, b: Place) -> list[tuple[Place, Place, Link | None]]:
        """The straight pieces of the fastest road route: ``(from, to, link)``, ``link`` None for road.

        For checks and maps; :meth:`route` merges the road pieces into legs.
        """
        best, via = self.minutes(a, b)
        if math.isinf(best):
            return []
        if via is None:
            return [(a, b, None)]
        nodes = self.path(*via)
        out: list[tuple[Place, Place, Link | None]] = [(a, self.places[nodes[0]], None)]
        for x, y in zip(nodes, nodes[1:], strict=False):
            k = int(self.link_at[x, y])
            out.append((self.places[x], self.places[y], self.links[k] if k >= 0 else None))
        out.append((self.places[nodes[-1]], b, None))
        return out

    def _place(self, i: int) -> Place:
        return self.places[i]

    def _road_leg(self, a: Place, b: Place, great_circle: float, points: tuple[tuple[float, float], ...]) -> Leg:
        p = self.params
        return Leg('road', a.name, b.name, great_circle * p.road_detour_factor, road_minutes(great_circle, p),
                   points=points)

    def path(self, i: int, j: int) -> list[int]:
        """Graph nodes from ``i`` to ``j`` on a fastest path (greedy over the all-pairs times)."""
        nodes = [i]
        seen = np.zeros(len(self.edge), dtype=bool)
        seen[i] = True
        while nodes[-1] != j:
            x = nodes[-1]
            step = self.edge[x] + self.time[:, j]
            step[seen] = np.inf  # zero-minute edges (a terminal on a waypoint) must not loop back
            best = float(step.min())
            if math.isinf(best):
                raise ValueError(f'no path from graph node {i} to {j}')  # never loop forever
            # among equally fast next nodes, the one nearest the end: a zero-minute edge to a
            # waypoint beside a terminal ties with the link itself and may lead nowhere but back
            tied = np.flatnonzero(step <= best)
            y = int(tied[np.argmin(self.time[tied, j])])
            seen[y] = True
            nodes.append(y)
        return nodes

    def _legs(self, a: Place, b: Place, i: int, j: int) -> tuple[Leg, ...]:
        """Legs a → node i → ... → node j → b: road stretches merged, one leg per link."""
        legs: list[Leg] = []
        start, km = a, great_circle_km(a.point, self._place(i).point)
        drawn = [a.latlon, self._place(i).latlon]  # the road stretch's points so far
        nodes = self.path(i, j)
        for x, y in zip(nodes, nodes[1:], strict=False):
            k = int(self.link_at[x, y])
            if k < 0:
                km += great_circle_km(self._place(x).point, self._place(y).point)
                drawn.append(self._place(y).latlon)
                continue
            if km > 0:
                legs.append(self._road_leg(start, self._place(x), km, _distinct(drawn)))
            link = self.links[k]
            crossing_km = great_circle_km(self._place(x).point, self._place(y).point)
            legs.append(Leg(link.kind, self.names[x], self.names[y], crossing_km, link.minutes,
                            points=(self._place(x).latlon, self._place(y).latlon)))
            start, km, drawn = self._place(y), 0.0, [self._place(y).latlon]
        km += great_circle_km(self._place(j).point, b.point)
        drawn.append(b.latlon)
        legs.append(self._road_leg(start, b, km, _distinct(drawn)))
        return tuple(legs)


def _distinct(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """``points`` without consecutive repeats (a terminal on a waypoint is one point on a map)."""
    return tuple(p for k, p in enumerate(points) if k == 0 or p != points[k - 1])


def _all_pairs(edge: np.ndarray) -> np.ndarray:
    """Floyd–Warshall on a dense matrix of edge minutes (inf where no edge)."""
    time = edge.copy()
    for k in range(len(time)):
        np.minimum(time, time[:, k : k + 1] + time[k : k + 1, :], out=time)
    return time


def _landmass(lat: float, lon: float) -> int:
    found = landmass_of(GeoPoint(lat, lon))
    if found is None:
        raise ValueError(f'link terminal at {lat}, {lon} is not on any landmass')
    return found


@functools.lru_cache(maxsize=8)
def road_network(params: TransportParams = DEFAULT_TRANSPORT) -> RoadNetwork:
    """The network for ``params``, built on first use."""
    return RoadNetwork(params)


def road_route(a: Place, b: Place, params: TransportParams = DEFAULT_TRANSPORT) -> Route | None:
    """Shortcut for ``road_network(params).route(a, b)``."""
    return road_network(params).route(a, b)
