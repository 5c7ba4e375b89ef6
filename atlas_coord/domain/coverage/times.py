"""Per unit and per cell: the minutes until the unit can be there, if alerted now.

Notice to move (domestic when the cell belongs to the unit's own state, else international) + the
transport model's fastest route from any of its bases with any of its modes: the ranking's ETA
(:func:`..ranking.routes.unit_eta_minutes`), computed one-to-many (:func:`..transport.many.minutes_many`)
with the same rows the ranking builds (:meth:`..ranking.context.QueryContext.eta_exact`): one per
(unit, base, aircraft), the aircraft's mobilisation counted from the alert. Readiness is not read
here: the matrix is computed once per directory and transport figures, and availability is a mask
applied by :mod:`.model`, so a readiness change never recomputes a route.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..choices import AirTransport
from ..geo import GeoPoint
from ..ranking.routes import unit_airlifts
from ..ranking.types import UnitSnapshot
from ..transport.air import Airlift
from ..transport.many import SiteSide, base_side, minutes_many
from ..transport.params import DEFAULT_TRANSPORT, TransportParams
from .grid import Grid

__all__ = ['UnitRows', 'unit_cell_minutes', 'unit_rows']

_NO_AIRCRAFT = (math.nan, 0.0, math.nan, math.nan, -1.0)


@dataclass(frozen=True)
class UnitRows:
    """One row per (unit, base, aircraft), grouped by unit (``start[u]`` its first row)."""

    unit: np.ndarray
    start: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    helicopter: np.ndarray
    craft: np.ndarray  # (rows, 5): cruise km/h (NaN: none), mobilisation from the alert, Airlift.base_row
    state: np.ndarray  # the unit's state code per row
    notice_dom: np.ndarray
    notice_intl: np.ndarray


def unit_rows(units: Sequence[UnitSnapshot], airlift: Mapping[str, Sequence[Airlift]] | None) -> UnitRows:
    rows: list[tuple] = []
    start = []
    for k, u in enumerate(units):
        start.append(len(rows))
        crafts = [(a.cruise_kmh, a.mobilisation_min, *a.base_row) for a in unit_airlifts(u, airlift)] or [_NO_AIRCRAFT]
        heli = u.air_transport == AirTransport.HELICOPTER
        for lat, lon in u.bases:
            for c in crafts:
                rows.append((k, lat, lon, heli, c, u.state, u.notice_domestic_min, u.notice_international_min))
    if not rows:
        empty = np.zeros(0)
        return UnitRows(empty.astype(np.int64), np.zeros(0, dtype=np.int64), empty, empty, empty.astype(bool),
                        np.zeros((0, 5)), np.zeros(0, dtype='<U2'), empty, empty)
    cols = list(zip(*rows, strict=True))
    return UnitRows(np.array(cols[0], dtype=np.int64), np.array(start, dtype=np.int64),
                    np.array(cols[1], dtype=np.float64), np.array(cols[2], dtype=np.float64),
                    np.array(cols[3], dtype=bool), np.array(cols[4], dtype=np.float64), np.array(cols[5]),
                    np.array(cols[6], dtype=np.float64), np.array(cols[7], dtype=np.float64))


def unit_cell_minutes(units: Sequence[UnitSnapshot], grid: Grid, params: TransportParams = DEFAULT_TRANSPORT,
                      airlift: Mapping[str, Sequence[Airlift]] | None = None) -> np.ndarray:
    """``(units, cells)`` float32 minutes: notice to move + fastest route; ``inf`` where no mode
    reaches the cell. Cells are independent: a sub-grid gives the same values (the training guard
    relies on it)."""
    out = np.full((len(units), grid.n), np.inf, dtype=np.float32)
    rows = unit_rows(units, airlift)
    if not rows.unit.size:
        return out
    sides = base_side(rows.lat, rows.lon, params)
    states = grid.cell_states()
    for i in range(grid.n):
        fixed = np.where(rows.state == states[i], rows.notice_dom, rows.notice_intl)
        site = SiteSide(GeoPoint(float(grid.lat[i]), float(grid.lon[i])), params)
        route = minutes_many(sides, site, rows.helicopter, rows.craft[:, 0], rows.craft[:, 1] - fixed,
                             rows.craft[:, 2:])
        out[:, i] = np.minimum.reduceat(fixed + route, rows.start)
    return out
