"""The columnar index of a unit list: numpy arrays built once per directory version.

Ranking works on these arrays; only the shortlist goes back to the :class:`UnitSnapshot` values.
The codes below are how the index stores the vocabularies of :mod:`..choices` as small integers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from ..choices import CapabilityLevel, ReadinessStatus, Tier
from ..eta import AIR_CODES
from ..geo import GeoPoint, geodesic_many_m, haversine_from_vectors_m, unit_vectors
from ..transport.many import BaseSide, base_side
from ..transport.params import TransportParams
from .types import UnitSnapshot

#: Readiness as the index stores it. The order is the ranking's (penalty look-up tables index it).
READY, LIMITED, TRAINING, COMMITTED, UNAVAILABLE = range(5)
READINESS_CODES = {
    ReadinessStatus.READY: READY,
    ReadinessStatus.LIMITED: LIMITED,
    ReadinessStatus.TRAINING: TRAINING,
    ReadinessStatus.COMMITTED: COMMITTED,
    ReadinessStatus.UNAVAILABLE: UNAVAILABLE,
}
#: Tier as the index stores it; 0 for a tier the ranking does not know (no bonus).
TIER_CODES = {Tier.T1: 1, Tier.T2: 2, Tier.T3: 3}
#: Capability level as the index stores it: 0 not held, 1 limited, 2 full.
LEVEL_CODES = {CapabilityLevel.LIMITED: 1, CapabilityLevel.FULL: 2}


class UnitIndex:
    """Columnar numpy arrays of a unit list, built once (:meth:`build`) and reused across queries.

    Building costs a Python pass over the units (about 10 µs a unit); ranking then works on the
    arrays. The index is immutable in practice: rebuild it when the directory changes.
    """

    def __init__(self, units: tuple[UnitSnapshot, ...]) -> None:
        self.units = units
        self.n = len(units)
        ids = [u.id for u in units]
        if len(set(ids)) != self.n:
            dupes = sorted(i for i, c in Counter(ids).items() if c > 1)
            raise ValueError(f'duplicate unit ids: {dupes[:10]}')
        self.ids = np.array(ids, dtype=np.int64)
        self._route_sides: dict[TransportParams, BaseSide] = {}
        self._index_attributes(units)
        self._index_bases(units)
        self._index_capabilities(units)
        # stable tie-break key: (state, name, id)
        order = sorted(range(self.n), key=lambda i: (units[i].state, units[i].name, units[i].id))
        self.order_by_key = np.array(order, dtype=np.int64)
        self.key_rank = np.empty(self.n, dtype=np.int64)
        self.key_rank[self.order_by_key] = np.arange(self.n, dtype=np.int64)

    def _index_attributes(self, units: tuple[UnitSnapshot, ...]) -> None:
        """State, readiness, commitment, notice, transport and tier, one array each."""
        self.state_codes: dict[str, int] = {}
        self.state = np.array(
            [self.state_codes.setdefault(u.state, len(self.state_codes)) for u in units], dtype=np.int32
        )
        self.readiness = np.array([READINESS_CODES[u.readiness] for u in units], dtype=np.int8)
        self.committed_req = np.array(
            [-1 if u.committed_request_id is None else u.committed_request_id for u in units], dtype=np.int64
        )
        self.has_committed_req = np.array([u.committed_request_id is not None for u in units], dtype=bool)
        self.break_off = np.array(
            [np.nan if u.break_off_min is None else u.break_off_min for u in units], dtype=np.float64
        )
        self.notice_dom = np.array([u.notice_domestic_min for u in units], dtype=np.float64)
        self.notice_intl = np.array([u.notice_international_min for u in units], dtype=np.float64)
        self.air = np.array([AIR_CODES[u.air_transport] for u in units], dtype=np.int8)
        self.tier = np.array([TIER_CODES.get(u.tier, 0) for u in units], dtype=np.int8)

        self.unavailable_pos = np.flatnonzero(self.readiness == UNAVAILABLE)
        self.committed_pos = np.flatnonzero(self.readiness == COMMITTED)
        by_state = np.argsort(self.state, kind='stable')
        cuts = np.cumsum(np.bincount(self.state, minlength=len(self.state_codes)))[:-1]
        self.state_pos = dict(enumerate(np.split(by_state, cuts))) if self.n else {}

    def _index_bases(self, units: tuple[UnitSnapshot, ...]) -> None:
        """Home base then stations, grouped by unit, with their spherical unit vectors."""
        counts = np.array([1 + len(u.stations) for u in units], dtype=np.int64)
        self.base_start = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.base_start[1:])
        self.multi_base = bool(self.n) and bool((counts > 1).any())
        if self.multi_base:
            coords = [b for u in units for b in u.bases]
        else:
            coords = [u.home for u in units]
        arr = np.array(coords, dtype=np.float64).reshape(-1, 2)
        self.base_lat = np.ascontiguousarray(arr[:, 0])
        self.base_lon = np.ascontiguousarray(arr[:, 1])
        self.base_vectors = unit_vectors(self.base_lat, self.base_lon)

    def _index_capabilities(self, units: tuple[UnitSnapshot, ...]) -> None:
        """One row per capability code: level code and counted quantity of every unit."""
        codes: dict[str, int] = {}
        for u in units:
            for code in u.capabilities:
                codes.setdefault(code, len(codes))
        self.cap_codes = codes
        self.cap_level = np.zeros((len(codes), self.n), dtype=np.uint8)
        self.cap_qty = np.zeros((len(codes), self.n), dtype=np.float64)
        for j, u in enumerate(units):
            for code, h in u.capabilities.items():
                q = h.counted
                if q > 0:
                    row = codes[code]
                    self.cap_level[row, j] = LEVEL_CODES[h.level]
                    self.cap_qty[row, j] = q

    @classmethod
    def build(cls, units: Iterable[UnitSnapshot] | UnitIndex) -> UnitIndex:
        """Return an index of ``units`` (an index is returned unchanged).

        :raise ValueError: on duplicate unit ids or a value that is not a :class:`UnitSnapshot`.
        """
        if isinstance(units, UnitIndex):
            return units
        units = tuple(units)
        for u in units:
            if not isinstance(u, UnitSnapshot):
                raise ValueError(f'expected UnitSnapshot values, got {type(u).__name__}')
        return cls(units)

    def __len__(self) -> int:
        return self.n

    def route_side(self, params: TransportParams) -> BaseSide:
        """The site-independent part of every base's routes (:func:`..transport.many.base_side`),
        computed on first use per transport parameter set and kept with the index."""
        side = self._route_sides.get(params)
        if side is None:
            side = self._route_sides[params] = base_side(self.base_lat, self.base_lon, params)
        return side

    # -- distances

    def exact_distances(self, site: GeoPoint, pos: np.ndarray) -> np.ndarray:
        """Exact geodesic metres from ``site`` to the nearest base of each unit in ``pos``."""
        pos = np.asarray(pos, dtype=np.int64)
        if pos.size == 0:
            return np.zeros(0, dtype=np.float64)
        if not self.multi_base:
            return geodesic_many_m(site.lat, site.lon, self.base_lat[pos], self.base_lon[pos])
        d, offs, _, _ = self._base_geodesics(site, pos)
        return np.minimum.reduceat(d, offs[:-1])

    def _base_geodesics(self, site: GeoPoint, pos: np.ndarray) -> tuple[np.ndarray, ...]:
        """Metres to every base of the units at ``pos`` (one segment per unit, starting at ``offs``),
        with the segments' offsets, lengths and base ids."""
        starts = self.base_start[pos]
        counts = self.base_start[pos + 1] - starts
        offs = np.zeros(pos.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offs[1:])
        base_ids = np.repeat(starts - offs[:-1], counts) + np.arange(offs[-1], dtype=np.int64)
        d = geodesic_many_m(site.lat, site.lon, self.base_lat[base_ids], self.base_lon[base_ids])
        return d, offs, counts, base_ids

    def nearest_bases(self, site: GeoPoint, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact metres to the nearest base of each unit in ``pos`` and that base's (lat, lon), the
        first on ties: :meth:`nearest_base` for many units in one geodesic call."""
        pos = np.asarray(pos, dtype=np.int64)
        if not self.multi_base or pos.size == 0:
            d = geodesic_many_m(site.lat, site.lon, self.base_lat[pos], self.base_lon[pos])
            return d, self.base_lat[pos], self.base_lon[pos]
        d, offs, counts, base_ids = self._base_geodesics(site, pos)
        mins = np.minimum.reduceat(d, offs[:-1])
        first = np.flatnonzero(d == np.repeat(mins, counts))
        k = base_ids[first[np.searchsorted(first, offs[:-1])]]
        return mins, self.base_lat[k], self.base_lon[k]

    def nearest_base(self, site: GeoPoint, i: int) -> tuple[float, tuple[float, float]]:
        """Exact metres to the nearest base of unit ``i`` and that base (the first on ties)."""
        s, e = int(self.base_start[i]), int(self.base_start[i + 1])
        if not self.multi_base:
            s, e = i, i + 1
        d = geodesic_many_m(site.lat, site.lon, self.base_lat[s:e], self.base_lon[s:e])
        k = int(np.argmin(d))
        return float(d[k]), (float(self.base_lat[s + k]), float(self.base_lon[s + k]))

    def haversine_unit_m(self, site: GeoPoint) -> np.ndarray:
        """Great-circle metres from ``site`` to every unit's nearest base (approximate)."""
        d = haversine_from_vectors_m(site.lat, site.lon, self.base_vectors)
        if self.multi_base:
            d = np.minimum.reduceat(d, self.base_start[:-1])
        return d
