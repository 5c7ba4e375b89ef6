"""The coverage: per capability (and :data:`ANY_TIER1`), each cell's minutes until the first capable
and available unit can be there; minima over :func:`.times.unit_cell_minutes`'s matrix.

The matrix (units × cells) is computed once per directory and transport figures; availability is
a mask. A readiness change is an incremental update (:meth:`Coverage.set_available`): a unit that
becomes available lowers the minima of its capabilities to ``min(old, its row)``; one that becomes
unavailable recomputes only the cells where it was the first (its capabilities' ``argmin``). A
what-if (:meth:`Coverage.what_if`) is the same on a copy. Available means READY and not held by a
deployment (the training guard's rule: :func:`available_now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..choices import ReadinessStatus, Tier
from ..ranking.types import UnitSnapshot

__all__ = ['ANY_TIER1', 'Coverage', 'CoverageChange', 'available_now']

#: The key of "any tier-1 unit" next to the capability codes.
ANY_TIER1 = 'ANY_TIER1'


def available_now(unit: UnitSnapshot) -> bool:
    """READY and not committed: the units the training guard counts as covering."""
    return unit.readiness == ReadinessStatus.READY.value and unit.committed_request_id is None


def unit_keys(unit: UnitSnapshot) -> frozenset[str]:
    """The coverage keys a unit serves: the capabilities it holds (quantity not 0), and tier 1."""
    keys = {code for code, h in unit.capabilities.items() if h.counted > 0}
    if unit.tier == Tier.T1.value:
        keys.add(ANY_TIER1)
    return frozenset(keys)


@dataclass(frozen=True)
class CoverageChange:
    """What one readiness change did: per key, the cells whose minutes changed and their values."""

    unit_id: int
    available: bool
    cells: Mapping[str, tuple[np.ndarray, np.ndarray]]

    @property
    def empty(self) -> bool:
        return not any(c.size for c, _v in self.cells.values())


class Coverage:
    """Minutes per key and cell; ``minutes``: ``(units, cells)`` from :func:`.times.unit_cell_minutes`
    in the order of ``units``."""

    def __init__(self, units: Sequence[UnitSnapshot], minutes: np.ndarray, available: Iterable[bool] | None = None):
        self.ids = [u.id for u in units]
        self.pos = {uid: k for k, uid in enumerate(self.ids)}
        self.minutes = np.asarray(minutes, dtype=np.float32)
        self.keys_of = [unit_keys(u) for u in units]
        keys = sorted(set().union(*self.keys_of)) if units else []
        self.members = {key: np.array([k for k, ks in enumerate(self.keys_of) if key in ks], dtype=np.int64)
                        for key in keys}
        avail = [available_now(u) for u in units] if available is None else list(available)
        self.available = np.array(avail, dtype=bool).reshape(len(self.ids))
        self.best: dict[str, np.ndarray] = {}
        self.first: dict[str, np.ndarray] = {}
        self.recompute()

    @property
    def n_cells(self) -> int:
        return int(self.minutes.shape[1])

    def key_codes(self) -> list[str]:
        return list(self.members)

    def _min_over(self, key: str, mask: np.ndarray, cells: np.ndarray | slice = slice(None)):
        """``(minutes, first unit position or -1)`` over ``cells`` for ``key``'s units in ``mask``."""
        rows = self.members[key][mask[self.members[key]]]
        n = self.n_cells if isinstance(cells, slice) else len(cells)
        if not rows.size:
            return np.full(n, np.inf, dtype=np.float32), np.full(n, -1, dtype=np.int64)
        sub = self.minutes[rows] if isinstance(cells, slice) else self.minutes[np.ix_(rows, cells)]
        arg = np.argmin(sub, axis=0)
        best = sub[arg, np.arange(n)]
        return best, np.where(np.isinf(best), -1, rows[arg])

    def recompute(self) -> None:
        """Every key over the whole grid (the full recomputation)."""
        for key in self.members:
            self.best[key], self.first[key] = self._min_over(key, self.available)

    def times(self, key: str) -> np.ndarray:
        """Minutes per cell for ``key`` (``inf``: no capable available unit reaches it). An unknown
        key (no unit holds it) is ``inf`` everywhere."""
        return self.best.get(key, np.full(self.n_cells, np.inf, dtype=np.float32))

    def set_available(self, unit_id: int, available: bool) -> CoverageChange:
        """Apply one readiness change incrementally; :raise KeyError: unknown unit."""
        k = self.pos[unit_id]
        if bool(self.available[k]) == available:
            return CoverageChange(unit_id, available, {})
        self.available[k] = available
        changes = {}
        for key in sorted(self.keys_of[k]):
            if available:
                row = self.minutes[k]
                cells = np.flatnonzero(row < self.best[key])
                self.best[key][cells] = row[cells]
                self.first[key][cells] = k
            else:
                cells = np.flatnonzero(self.first[key] == k)
                best, first = self._min_over(key, self.available, cells)
                self.best[key][cells], self.first[key][cells] = best, first
            changes[key] = (cells, self.best[key][cells].copy())
        return CoverageChange(unit_id, available, changes)

    def what_if(self, unavailable: Iterable[int], keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """Minutes per key with ``unavailable`` units off (ids not in the directory are ignored: the
        caller checks them); only the keys those units serve are recomputed, the others are shared."""
        gone = [self.pos[u] for u in unavailable if u in self.pos]
        touched = set().union(*(self.keys_of[k] for k in gone)) if gone else set()
        mask = self.available.copy()
        mask[gone] = False
        wanted = self.members if keys is None else [k for k in keys if k in self.members]
        return {key: (self._min_over(key, mask)[0] if key in touched else self.best[key]) for key in wanted}
