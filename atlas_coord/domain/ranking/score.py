"""The score: its weights, the capability cover and the parts every candidate's score adds up.

``score = capability + eta + readiness + tier`` (see the package docstring for the formula and
the dominance property). The array functions score many units at once; :func:`capability_fit`
explains one unit with the same arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..choices import CapabilityLevel
from .index import UnitIndex
from .types import CapabilityFit, MatchQuery, UnitSnapshot


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the score (points). See the package docstring for the formula."""

    #: Points for covering every requirement fully at full level [M].
    capability: float = 50.0
    #: Points at ETA 0; half of them at ``eta_half_min``. With the default notice to move of
    #: 2-4 h for international help [domain.md §6], capability and speed weigh about the same [M].
    eta: float = 40.0
    eta_half_min: float = 120.0
    #: Level factor of a holding that meets the minimum: full / limited; below a 'full' minimum.
    level_full: float = 1.0
    level_limited: float = 0.75
    level_below_min: float = 0.25
    #: Weight of a critical requirement in the cover (a normal one weighs 1).
    critical_weight: float = 2.0
    #: Readiness part (<= 0). READY and COMMITTED-to-this-request score 0.
    limited_penalty: float = -5.0
    training_penalty: float = -10.0
    #: Tier bonus when the request asks for action.
    tier_t1: float = 5.0
    tier_t2: float = 3.0
    tier_t3: float = 1.0

    def __post_init__(self) -> None:
        if not (self.level_full >= self.level_limited >= self.level_below_min >= 0):
            raise ValueError('level factors must satisfy level_full >= level_limited >= level_below_min >= 0')
        if not (0 >= self.limited_penalty >= self.training_penalty):
            raise ValueError('penalties must satisfy 0 >= limited_penalty >= training_penalty')
        if self.capability < 0 or self.eta < 0 or self.eta_half_min <= 0 or self.critical_weight <= 0:
            raise ValueError('capability and eta weights must be >= 0, eta_half_min and critical_weight > 0')

    def limited_factor(self, min_level: str) -> float:
        """Level factor of a 'limited' holding for a requirement of ``min_level``."""
        return self.level_limited if min_level == CapabilityLevel.LIMITED else self.level_below_min


DEFAULT_WEIGHTS = ScoreWeights()


def cover_arrays(query: MatchQuery, index: UnitIndex, w: ScoreWeights) -> tuple[np.ndarray, np.ndarray]:
    """Return (cover, held_any) over every unit of ``index``."""
    n = index.n
    reqs = query.requirements
    if not reqs:
        return np.ones(n), np.ones(n, dtype=bool)
    acc = np.zeros(n)
    held_any = np.zeros(n, dtype=bool)
    total_w = 0.0
    for r in reqs:
        weight = w.critical_weight if r.critical else 1.0
        total_w += weight
        row = index.cap_codes.get(r.code)
        if row is None:
            continue
        level = index.cap_level[row]
        held_any |= level > 0
        lut = np.array([0.0, w.limited_factor(r.min_level), w.level_full])
        ratio = index.cap_qty[row] / r.quantity
        np.minimum(ratio, 1.0, out=ratio)
        credit = np.take(lut, level)
        credit *= ratio
        credit *= weight
        acc += credit
    return acc / total_w, held_any


def capability_fit(query: MatchQuery, unit: UnitSnapshot, w: ScoreWeights) -> list[CapabilityFit]:
    """Per-requirement fit of one unit (same arithmetic as :func:`cover_arrays`)."""
    fits = []
    for r in query.requirements:
        h = unit.capabilities.get(r.code)
        if h is None or h.counted <= 0:
            fits.append(CapabilityFit(r.code, r.quantity, r.min_level, r.critical,
                                      None if h is None else h.level, None if h is None else h.quantity,
                                      False, 0.0))
            continue
        full = h.level == CapabilityLevel.FULL
        meets = full or r.min_level == CapabilityLevel.LIMITED
        level_factor = w.level_full if full else w.limited_factor(r.min_level)
        credit = level_factor * min(1.0, h.counted / r.quantity)
        covered: bool | str = True if meets and h.counted >= r.quantity else 'partial'
        fits.append(CapabilityFit(r.code, r.quantity, r.min_level, r.critical, h.level, h.quantity,
                                  covered, credit))
    return fits


def static_parts(
    query: MatchQuery, index: UnitIndex, w: ScoreWeights, pos: np.ndarray, cover: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of the score that do not depend on distance: capability, readiness and tier."""
    cap = w.capability * cover
    ready_lut = np.array([0.0, w.limited_penalty, w.training_penalty, 0.0, 0.0])
    ready = ready_lut[index.readiness[pos]]
    if query.wants_action:
        tier_lut = np.array([0.0, w.tier_t1, w.tier_t2, w.tier_t3])
        tier = tier_lut[index.tier[pos]]
    else:
        tier = np.zeros(pos.size)
    return cap, ready, tier


def eta_part(w: ScoreWeights, eta_min: np.ndarray) -> np.ndarray:
    """The ETA part: ``eta`` weight x H / (H + ETA minutes)."""
    return (w.eta * w.eta_half_min) / (w.eta_half_min + eta_min)
