"""Landmasses of Europe: which connected piece of land a point lies on.

Data: ``data/land-europe.json`` (Natural Earth 1:50m land, see ``data/SOURCE.md``), built by
``scripts/build_land.py``. Each landmass is one connected polygon; roads run only within one
landmass, and between landmasses only over the links of :mod:`.links`.

A point on land, or at sea within :data:`SNAP_KM` of a coast, belongs to the nearest landmass: the
1:50m coastline is a few kilometres off in places, and a harbour or a bridgehead must not read as
open sea. Further out it is at sea (``None``).

The data is loaded once, lazily, and indexed with a shapely STRtree over prepared polygons. Large
polygons are cut into :data:`TILE_DEG` tiles first, so that a lookup tests a few small pieces
instead of the 10,000-vertex outline of Eurasia (about 5 times faster near coasts and at sea).

The prepared polygons are shared by every thread of a server, and GEOS builds a prepared
polygon's own index lazily, at its first use, without a lock (libgeos/geos#825), while shapely
runs GEOS with the GIL released. Two request threads ranking at once could build the same index
together and corrupt the heap: the issue's commit's server died so under the load test
("malloc_consolidate(): unaligned fastbin chunk detected"). Every use of them holds
:attr:`Land.lock` (tests/domain/test_land_threads.py).
"""

from __future__ import annotations

import functools
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Polygon, box
from shapely.ops import nearest_points

from atlas_coord.domain.geo import EARTH_MEAN_RADIUS_M, GeoPoint
from atlas_coord.domain.transport.route import haversine_km, haversine_km_many

__all__ = ['SNAP_KM', 'WATER_GAP_KM', 'Land', 'LandMask', 'land', 'land_mask', 'landmass_of', 'landmass_name']

DATA = Path(__file__).resolve().parent / 'data' / 'land-europe.json'
MASK = DATA.with_name('land-europe-mask.npz')
#: A point at sea this close to a coast snaps to that landmass [M]: about three times the 1:50m
#: coastline's generalisation (a few km), and wide enough for a harbour entrance or a bridgehead.
SNAP_KM = 15.0
#: The longest stretch of water a road segment may cross [M]: fjords and estuaries bridged or
#: tunnelled (most Norwegian fjord crossings, the Humber, the Tagus), plus the 1:50m coastline's
#: generalisation; far below any open-sea strait left to ferries (Helsinki–Tallinn 80 km).
WATER_GAP_KM = 15.0
#: Side of the tiles large polygons are cut into for the index, degrees.
TILE_DEG = 1.0
_TILE_ABOVE_VERTICES = 64
#: Samples per chunk of :meth:`LandMask.water_runs_km` (memory bound: a few MB).
_CHUNK = 30_000
#: Coarse sampling step of :meth:`LandMask.surely_on_land`, degrees, and the margin it implies, cells:
#: ceil(half a step / cell) + 1 for rounding (cells are 0.025 degree).
_CORE_STEP_DEG = 0.1
_CORE_CELLS = 3
_CORE_BLOCK = 2000
#: Fine samples above which :meth:`LandMask.segment_on_land` tries the coarse test first.
_CORE_ABOVE = 64
_KM_PER_DEG = EARTH_MEAN_RADIUS_M * math.pi / 180.0 / 1000.0


@dataclass(frozen=True)
class Land:
    """The landmass polygons (index = landmass id), their names and an STRtree over their tiles.

    ``geoms[k]`` is a prepared tile of landmass ``owner[k]``.
    """

    names: tuple[str, ...]
    polygons: tuple[Polygon, ...]
    #: (lon_min, lat_min, lon_max, lat_max) of the data
    region: tuple[float, float, float, float]
    tree: STRtree
    geoms: np.ndarray
    owner: np.ndarray
    #: Held by every use of ``tree`` and ``geoms`` (see the module's docstring): one thread at a time.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def landmass_of(self, point: GeoPoint, snap_km: float = SNAP_KM) -> int | None:
        """The id of the landmass under ``point``, or of the nearest one within ``snap_km``; else None."""
        lon, lat = point.lon, point.lat
        with self.lock:
            for i in self.tree.query(shapely.points(lon, lat)):
                if shapely.contains_xy(self.geoms[i], lon, lat):
                    return int(self.owner[i])
        return self.nearest_within(point, snap_km)[0]

    def landmass_many(self, lats: np.ndarray, lons: np.ndarray, snap_km: float = SNAP_KM) -> np.ndarray:
        """:meth:`landmass_of` for many points at once (-1 for sea): one STRtree query for all, the
        snapping search only for the points no tile contains. Same answers point by point."""
        lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
        out = np.full(lats.size, -1, dtype=np.int64)
        if not lats.size:
            return out
        with self.lock:
            pts, tiles = self.tree.query(shapely.points(lons, lats))
            inside = shapely.contains_xy(self.geoms[tiles], lons[pts], lats[pts])
        out[pts[inside]] = self.owner[tiles[inside]]  # tiles of different landmasses never overlap
        for k in np.flatnonzero(out < 0).tolist():
            found = self.nearest_within(GeoPoint(float(lats[k]), float(lons[k])), snap_km)[0]
            out[k] = -1 if found is None else found
        return out

    def nearest_within(self, point: GeoPoint, snap_km: float) -> tuple[int | None, float]:
        """``(id, km)`` of the nearest landmass within ``snap_km`` of ``point`` (``(None, inf)`` if none).

        The nearest point is found in degree space, then measured on the sphere: exact enough at the
        scale of the snap radius (the coast itself is generalised to a few km).
        """
        lon, lat = point.lon, point.lat
        dlat = snap_km / _KM_PER_DEG
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        here = shapely.points(lon, lat)
        best, best_km = None, math.inf
        with self.lock:
            nearest = [(int(self.owner[i]), nearest_points(self.geoms[i], here)[0])
                       for i in self.tree.query(box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))]
        for owner, near in nearest:
            km = haversine_km(lat, lon, near.y, near.x)
            if km < best_km:
                best, best_km = owner, km
        if best_km > snap_km:
            return None, math.inf
        return best, best_km


@functools.cache
def land() -> Land:
    """The landmasses, loaded and indexed on first use."""
    doc = json.loads(DATA.read_text(encoding='utf-8'))
    polygons = tuple(Polygon(lm['polygon'][0], lm['polygon'][1:]) for lm in doc['landmasses'])
    tiles: list = []
    owner: list[int] = []
    for i, poly in enumerate(polygons):
        pieces = _tiles(poly) if shapely.get_num_coordinates(poly) > _TILE_ABOVE_VERTICES else [poly]
        tiles.extend(pieces)
        owner.extend([i] * len(pieces))
    geoms = np.array(tiles, dtype=object)
    shapely.prepare(geoms)
    return Land(
        names=tuple(lm['name'] for lm in doc['landmasses']),
        polygons=polygons,
        region=tuple(float(doc['region'][k]) for k in ('lon_min', 'lat_min', 'lon_max', 'lat_max')),
        tree=STRtree(geoms),
        geoms=geoms,
        owner=np.array(owner, dtype=np.int32),
    )


def _tiles(poly: Polygon) -> list:
    """The non-empty pieces of ``poly`` cut along a :data:`TILE_DEG` grid."""
    x0, y0, x1, y1 = poly.bounds
    xs = np.arange(math.floor(x0 / TILE_DEG) * TILE_DEG, x1, TILE_DEG)
    ys = np.arange(math.floor(y0 / TILE_DEG) * TILE_DEG, y1, TILE_DEG)
    pieces = [shapely.clip_by_rect(poly, x, y, x + TILE_DEG, y + TILE_DEG) for x in xs for y in ys]
    return [p for p in pieces if not p.is_empty and p.area > 0]


def landmass_of(point: GeoPoint, snap_km: float = SNAP_KM) -> int | None:
    """Module-level shortcut for :meth:`Land.landmass_of` on the vendored data."""
    return land().landmass_of(point, snap_km)


def landmass_name(landmass: int | None) -> str:
    """'Great Britain', 'Zealand', 'island 57', or 'sea' for None."""
    return 'sea' if landmass is None else land().names[landmass]


class LandMask:
    """A land/sea raster of the region (cell centre on land), for cheap checks along segments."""

    def __init__(self, mask: np.ndarray, deg: float, lon0: float, lat0: float) -> None:
        self.mask, self.deg, self.lon0, self.lat0 = mask, deg, lon0, lat0
        self._flat = mask.ravel()
        self._core: np.ndarray | None = None

    def max_water_km(self, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
        """Longest run of water (km) along each straight segment in (lat, lon), sampled every half cell.

        Vectorised over segments. Points outside the raster count as water. The segment is the straight
        line in degrees, not the great circle: at road-leg lengths the two are a few km apart at most.
        """
        lat1, lon1, lat2, lon2 = (np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
        span = np.maximum(np.abs(lat2 - lat1), np.abs(lon2 - lon1))
        n = int(max(2, math.ceil(float(span.max(initial=0.0)) / (self.deg / 2)) + 1))
        t = np.linspace(0.0, 1.0, n)
        lats = lat1[:, None] + (lat2 - lat1)[:, None] * t
        lons = lon1[:, None] + (lon2 - lon1)[:, None] * t
        rows = np.floor((lats - self.lat0) / self.deg).astype(np.int64)
        cols = np.floor((lons - self.lon0) / self.deg).astype(np.int64)
        inside = (rows >= 0) & (rows < self.mask.shape[0]) & (cols >= 0) & (cols < self.mask.shape[1])
        water = ~inside
        water[inside] = ~self.mask[rows[inside], cols[inside]]
        # longest run of consecutive water samples per row: index minus the last land index so far
        k = np.arange(n)
        last_land = np.maximum.accumulate(np.where(water, -1, k), axis=1)
        longest = (k - last_land).max(axis=1)
        step_km = haversine_km_many(lat1, lon1, lat2, lon2) / (n - 1)
        return longest * step_km

    def segment_on_land(self, lat1: float, lon1: float, lat2: float, lon2: float, gap_km: float = WATER_GAP_KM) -> bool:
        """:meth:`on_land` for one segment, with fewer numpy calls (the per-query hot path)."""
        n = max(2, math.ceil(max(abs(lat2 - lat1), abs(lon2 - lon1)) / (self.deg / 2)) + 1)
        if n > _CORE_ABOVE and self.surely_on_land(*(np.array([x], dtype=np.float64) for x in (lat1, lon1, lat2, lon2)))[0]:
            return True  # every sample would be on land
        t = np.linspace(0.0, 1.0, n)
        rows = ((lat1 - self.lat0 + (lat2 - lat1) * t) / self.deg).astype(np.int64)
        cols = ((lon1 - self.lon0 + (lon2 - lon1) * t) / self.deg).astype(np.int64)
        rows_ok = (rows >= 0) & (rows < self.mask.shape[0]) & (cols >= 0) & (cols < self.mask.shape[1])
        land_at = np.flatnonzero(rows_ok)
        land_at = land_at[self.mask[rows[land_at], cols[land_at]]]
        if land_at.size == 0:
            longest = n
        else:
            longest = max(int(land_at[0]), n - 1 - int(land_at[-1]), int(np.diff(land_at).max(initial=1)) - 1)
        step_km = float(haversine_km_many(lat1, lon1, lat2, lon2)) / (n - 1)
        return longest * step_km <= gap_km

    def water_runs_km(self, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray,
                      n: np.ndarray, truncate: bool) -> np.ndarray:
        """Longest run of water (km) along each segment sampled at its own ``n`` points (``np.linspace``'s
        values): :meth:`segment_on_land`'s arithmetic (``truncate``: cells by truncation) or
        :meth:`max_water_km`'s (floor, ``n`` the batch's), for many segments at once, in chunks."""
        out = np.empty(lat1.size)
        order = np.argsort(n, kind='stable')
        start = 0
        while start < order.size:
            width = int(n[order[start]])
            stop = start + 1
            while stop < order.size and (stop - start + 1) * int(n[order[stop]]) <= _CHUNK:
                stop += 1
            sel = order[start:stop]
            width = int(n[sel].max())
            out[sel] = self._water_runs(lat1[sel], lon1[sel], lat2[sel], lon2[sel], n[sel], width, truncate)
            start = stop
        return out

    def _water_runs(self, lat1, lon1, lat2, lon2, n, width: int, truncate: bool) -> np.ndarray:
        k = np.arange(width, dtype=np.float64)
        t = k[None, :] * (1.0 / (n - 1))[:, None]
        last = (n - 1)[:, None]
        t[k[None, :] == last] = 1.0
        h, w = self.mask.shape
        if truncate:  # segment_on_land: (lat1 - lat0 + dlat * t) / deg, truncated
            ys = (lat1 - self.lat0)[:, None] + (lat2 - lat1)[:, None] * t
            xs = (lon1 - self.lon0)[:, None] + (lon2 - lon1)[:, None] * t
            ys /= self.deg
            xs /= self.deg
            rows, cols = ys.astype(np.int64), xs.astype(np.int64)
        else:  # max_water_km: floor((lat1 + dlat * t - lat0) / deg)
            ys = lat1[:, None] + (lat2 - lat1)[:, None] * t
            xs = lon1[:, None] + (lon2 - lon1)[:, None] * t
            ys -= self.lat0
            xs -= self.lon0
            ys /= self.deg
            xs /= self.deg
            rows, cols = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        flat = np.clip(rows, 0, h - 1) * w + np.clip(cols, 0, w - 1)
        land_here = self._flat[flat] & inside
        idx = np.arange(width)
        # water where no land and inside the segment's own samples; a run's length is the index
        # minus the last land index so far (padding counts as land)
        marks = np.where(land_here | (idx[None, :] > last), idx[None, :], -1)
        longest = (idx - np.maximum.accumulate(marks, axis=1)).max(axis=1)
        return longest * (haversine_km_many(lat1, lon1, lat2, lon2) / (n - 1))

    def segments_on_land(self, lat1, lon1, lat2, lon2, gap_km: float = WATER_GAP_KM) -> np.ndarray:
        """:meth:`segment_on_land` for many segments (arrays), the same answer for each.

        Segments :meth:`surely_on_land` are accepted from a few coarse samples; the others are
        sampled as :meth:`segment_on_land` does."""
        lat1, lon1, lat2, lon2 = (np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
        out = self.surely_on_land(lat1, lon1, lat2, lon2)
        rest = np.flatnonzero(~out)
        if rest.size:
            a1, o1, a2, o2 = lat1[rest], lon1[rest], lat2[rest], lon2[rest]
            span = np.maximum(np.abs(a2 - a1), np.abs(o2 - o1))
            n = np.maximum(2, np.ceil(span / (self.deg / 2)).astype(np.int64) + 1)
            out[rest] = self.water_runs_km(a1, o1, a2, o2, n, truncate=True) <= gap_km
        return out

    def _core_mask(self) -> np.ndarray:
        """Cells whose every cell within :data:`_CORE_CELLS` (and themselves) is land, inside the raster."""
        if self._core is None:
            r = _CORE_CELLS
            water = np.pad(~self.mask, r, constant_values=True).astype(np.int32)
            c = np.zeros((water.shape[0] + 1, water.shape[1] + 1), dtype=np.int32)
            c[1:, 1:] = water.cumsum(0).cumsum(1)
            w = 2 * r + 1
            count = c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]
            self._core = count == 0
        return self._core

    def surely_on_land(self, lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
        """True where every point of the segment is on land, so that no sampling of it finds water:
        samples every :data:`_CORE_STEP_DEG` (max norm) each in a core cell (:meth:`_core_mask`).

        Every point of the segment lies within half a step of a sample, i.e. within
        :data:`_CORE_CELLS` - 1 cells of its cell; one cell more covers rounding. False may be wrong
        (near a coast): the caller then samples finely."""
        span = np.maximum(np.abs(lat2 - lat1), np.abs(lon2 - lon1))
        m = np.maximum(2, np.ceil(span / _CORE_STEP_DEG).astype(np.int64) + 1)
        core = self._core_mask()
        out = np.empty(span.size, dtype=bool)
        for s in range(0, span.size, _CORE_BLOCK):
            e = min(span.size, s + _CORE_BLOCK)
            width = int(m[s:e].max(initial=2))
            t = np.minimum(np.arange(width)[None, :] / (m[s:e] - 1)[:, None], 1.0)  # past its end: the end
            a1, o1 = lat1[s:e, None], lon1[s:e, None]
            rows = np.floor((a1 + (lat2[s:e, None] - a1) * t - self.lat0) / self.deg).astype(np.int64)
            cols = np.floor((o1 + (lon2[s:e, None] - o1) * t - self.lon0) / self.deg).astype(np.int64)
            inside = (rows >= 0) & (rows < core.shape[0]) & (cols >= 0) & (cols < core.shape[1])
            ok = np.zeros(rows.shape, dtype=bool)
            ok[inside] = core[rows[inside], cols[inside]]
            out[s:e] = ok.all(axis=1)
        return out

    def on_land(self, lat1, lon1, lat2, lon2, gap_km: float = WATER_GAP_KM) -> np.ndarray:
        """Whether each segment crosses no more than ``gap_km`` of water at a stretch."""
        return self.max_water_km(lat1, lon1, lat2, lon2) <= gap_km


@functools.cache
def land_mask() -> LandMask:
    """The vendored raster, unpacked on first use."""
    with np.load(MASK) as z:
        shape = tuple(int(x) for x in z['shape'])
        bits = np.unpackbits(z['bits'])[: shape[0] * shape[1]].astype(bool).reshape(shape)
        return LandMask(bits, float(z['deg']), float(z['origin'][0]), float(z['origin'][1]))


@functools.cache
def waypoints() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lats, lons, landmass ids)`` of the road graph's waypoints (one per 2-degree cell of land)."""
    doc = json.loads(DATA.read_text(encoding='utf-8'))
    rows = [(lat, lon, lm['id']) for lm in doc['landmasses'] for lon, lat in lm['waypoints']]
    lats, lons, ids = zip(*rows, strict=True)
    return np.array(lats), np.array(lons), np.array(ids)
