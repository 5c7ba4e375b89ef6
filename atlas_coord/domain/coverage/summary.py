"""Per state and per region: the worst and the median minutes, and the share of area (cells: every
cell has the same area) and of people (the grid's GeoNames city weight) beyond a threshold.
``inf`` (no capable unit reaches the cell) counts as beyond any threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .grid import REGIONS, Grid

__all__ = ['AreaSummary', 'summaries', 'thin_spells']


@dataclass(frozen=True)
class AreaSummary:
    kind: str  # 'state' or 'region'
    code: str
    cells: int
    worst_min: float
    median_min: float
    area_beyond: float
    population_beyond: float


def _summary(kind: str, code: str, minutes: np.ndarray, population: np.ndarray, threshold: float) -> AreaSummary:
    beyond = minutes > threshold
    people = float(population.sum())
    return AreaSummary(kind, code, int(minutes.size), float(minutes.max()), float(np.median(minutes)),
                       float(beyond.mean()), float(population[beyond].sum() / people) if people else 0.0)


def summaries(grid: Grid, minutes: np.ndarray, threshold: float) -> list[AreaSummary]:
    """States in code order, then the regions of :data:`.grid.REGIONS` (only those with cells)."""
    out = []
    states = grid.cell_states()
    for code in sorted(set(states.tolist())):
        mine = states == code
        out.append(_summary('state', code, minutes[mine], grid.population[mine], threshold))
    for name, members in REGIONS.items():
        mine = np.isin(states, members)
        if mine.any():
            out.append(_summary('region', name, minutes[mine], grid.population[mine], threshold))
    return out


def thin_spells(grid: Grid, before: np.ndarray, after: np.ndarray, threshold: float) -> list[str]:
    """The regions (then states outside a region) that lose every cell within ``threshold``: where
    some cell was within it before and none is after. Names, for the planner's sentence."""
    states = grid.cell_states()
    lost = []
    for name, members in REGIONS.items():
        mine = np.isin(states, members)
        if mine.any() and (before[mine] <= threshold).any() and not (after[mine] <= threshold).any():
            lost.append(name)
    return lost
