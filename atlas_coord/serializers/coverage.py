"""Response models of the coverage map: GeoJSON (a FeatureCollection of the cells, each with its
minutes) or the compact grid form (parallel arrays), with the per-state and per-region summaries;
the what-if adds the minutes now, the regions that lose cover and the sentence for the planner.

Minutes are whole minutes, ``null`` where no capable and available unit reaches the cell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

import numpy as np
from pydantic import PrivateAttr

from atlas_coord.domain.coverage.summary import AreaSummary

from . import Out


def _minutes(values: np.ndarray) -> list[int | None]:
    return [None if np.isinf(v) else int(round(float(v))) for v in values]


def _nullable(value: float) -> float | None:
    return None if np.isinf(value) else round(value, 1)


class AreaSummaryOut(Out):
    kind: Literal['state', 'region']
    code: str
    cells: int
    worst_min: float | None
    median_min: float | None
    area_beyond: float
    population_beyond: float

    @classmethod
    def of(cls, s: AreaSummary) -> Self:
        return cls(kind=s.kind, code=s.code, cells=s.cells, worst_min=_nullable(s.worst_min),
                   median_min=_nullable(s.median_min), area_beyond=round(s.area_beyond, 4),
                   population_beyond=round(s.population_beyond, 4))


class CellGeometry(Out):
    type: Literal['Polygon'] = 'Polygon'
    coordinates: list[list[list[float]]]


class CellProperties(Out):
    state: str
    sea: bool
    minutes: int | None
    beyond: bool


class CellFeature(Out):
    type: Literal['Feature'] = 'Feature'
    id: int
    geometry: CellGeometry
    properties: CellProperties


class GridCells(Out):
    """Parallel arrays, one entry per cell: centre, EPSG:3035 centre in km, state, sea, minutes."""

    lat: list[float]
    lon: list[float]
    x_km: list[float]
    y_km: list[float]
    state: list[str]
    sea: list[bool]
    minutes: list[int | None]


class CoverageOut(Out):
    """``type`` FeatureCollection (``features``) or CoverageGrid (``cells``)."""

    type: Literal['FeatureCollection', 'CoverageGrid']
    capability: str
    threshold_min: float
    at: datetime
    cell_km: float
    crs_cells: str = 'EPSG:3035'
    off_unit_ids: list[int]
    summaries: list[AreaSummaryOut]
    features: list[CellFeature] | None = None
    cells: GridCells | None = None
    _features: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @classmethod
    def of(cls, cmap: Any, form: str = 'geojson') -> Self:
        grid, minutes = cmap.grid, _minutes(cmap.minutes)
        common = dict(capability=cmap.capability, threshold_min=cmap.threshold, at=cmap.at, cell_km=grid.km,
                      off_unit_ids=cmap.off_unit_ids, summaries=[AreaSummaryOut.of(s) for s in cmap.summaries])
        states = grid.cell_states().tolist()
        if form == 'grid':
            return cls(type='CoverageGrid', cells=GridCells(
                lat=grid.lat.tolist(), lon=grid.lon.tolist(), x_km=(grid.x / 1000).tolist(),
                y_km=(grid.y / 1000).tolist(), state=states, sea=grid.sea.tolist(), minutes=minutes), **common)
        rings, sea = grid.corners().tolist(), grid.sea.tolist()
        # Thousands of features: plain dicts in the shape of CellFeature (tested against it), since
        # a model per cell costs ~0.2 ms each.
        out = cls(type='FeatureCollection', **common)
        out._features = [
            {'type': 'Feature', 'id': i, 'geometry': {'type': 'Polygon', 'coordinates': [rings[i]]},
             'properties': {'state': states[i], 'sea': sea[i], 'minutes': minutes[i],
                            'beyond': minutes[i] is None or minutes[i] > cmap.threshold}}
            for i in range(grid.n)]
        return out

    def wire(self) -> dict[str, Any]:
        body = self.model_dump(mode='json', exclude={'features', 'cells'})
        if self.cells is not None:
            body['cells'] = self.cells.wire()
        else:
            body['features'] = self._features if self.features is None else [f.wire() for f in self.features]
        return body


class WhatIfOut(Out):
    """The grid form with both the minutes now and with the units off; ``changed`` cells differ."""

    capability: str
    threshold_min: float
    cell_km: float
    off_unit_ids: list[int]
    cells: GridCells
    minutes_now: list[int | None]
    changed: int
    lost_regions: list[str]
    days: int | None
    sentence: str
    summaries: list[AreaSummaryOut]
    summaries_now: list[AreaSummaryOut]

    @classmethod
    def of(cls, w: Any) -> Self:
        grid = CoverageOut.of(w.after, 'grid')
        now = _minutes(w.now.minutes)
        return cls(capability=w.after.capability, threshold_min=w.after.threshold, cell_km=w.after.grid.km,
                   off_unit_ids=w.after.off_unit_ids, cells=grid.cells, minutes_now=now,
                   changed=sum(a != b for a, b in zip(now, grid.cells.minutes, strict=True)),
                   lost_regions=w.lost_regions, days=w.days, sentence=w.sentence, summaries=grid.summaries,
                   summaries_now=[AreaSummaryOut.of(s) for s in w.now.summaries])
