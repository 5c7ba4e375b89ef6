"""The ordering key: effective minutes, the time to the site less capped credits in minutes.

``score = ETA minutes - credit`` (lower is better; see the package docstring for the ordering and
the dominance property). The credit adds a capability, a tier and a readiness part, each capped by
its own weight, and the sum is capped by :attr:`ScoreWeights.max_credit_min`: labels never outweigh
more than that many minutes of travel. The array functions score many units at once;
:func:`capability_fit` explains one unit with the same arithmetic.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..choices import CapabilityLevel
from .index import UnitIndex
from .types import CapabilityFit, MatchQuery, UnitSnapshot

#: Plain strings: comparing with them is faster than with the enum members (hot path).
_FULL, _LIMITED = CapabilityLevel.FULL.value, CapabilityLevel.LIMITED.value


@dataclass(frozen=True)
class ScoreWeights:
    """The credits of the ordering key, in minutes of ETA. Override from ``[ranking]`` (:meth:`from_mapping`).

    Every credit is a modelling assumption [M]: the ranking puts the time to the site first
    (issue #13) and lets labels move a unit by at most :attr:`max_credit_min` minutes.
    """

    #: Cap of the whole credit (capability + tier + readiness), minutes [M, issue #13: "say 30"].
    max_credit_min: float = 30.0
    #: Credit for covering every requirement fully at full level (x cover, 0..1) [M].
    capability_min: float = 15.0
    #: Level factor of a holding that meets the minimum: full / limited; below a 'full' minimum.
    level_full: float = 1.0
    level_limited: float = 0.75
    level_below_min: float = 0.25
    #: Weight of a critical requirement in the cover (a normal one weighs 1).
    critical_weight: float = 2.0
    #: Readiness credit: READY (and COMMITTED to this request), LIMITED, TRAINING (whose break-off
    #: time is already in the ETA) [M].
    ready_min: float = 7.0
    limited_min: float = 0.0
    training_min: float = 0.0
    #: Tier credit when the request asks for action; none for equipment or expertise only [M].
    tier_t1_min: float = 8.0
    tier_t2_min: float = 5.0
    tier_t3_min: float = 2.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"ranking weight '{f.name}' must be a finite number >= 0, got {value!r}")
            object.__setattr__(self, f.name, float(value))
        if not (self.level_full >= self.level_limited >= self.level_below_min):
            raise ValueError('ranking weights must satisfy level_full >= level_limited >= level_below_min')
        if not (self.ready_min >= self.limited_min >= self.training_min):
            raise ValueError('ranking weights must satisfy ready_min >= limited_min >= training_min')
        if not (self.tier_t1_min >= self.tier_t2_min >= self.tier_t3_min):
            raise ValueError('ranking weights must satisfy tier_t1_min >= tier_t2_min >= tier_t3_min')
        if self.critical_weight <= 0 or self.level_full > 1:
            raise ValueError("ranking weights must satisfy critical_weight > 0 and level_full <= 1")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ScoreWeights:
        """Return the defaults overridden by ``values`` (the ``[ranking]`` config section).

        :raise ValueError: naming the key, for an unknown key or an invalid value.
        """
        known = sorted(f.name for f in dataclasses.fields(cls))
        unknown = [key for key in (values or {}) if key not in known]
        if unknown:
            raise ValueError(f"Unknown ranking weight '{unknown[0]}'; known: {', '.join(known)}")
        return cls(**dict(values or {}))

    def limited_factor(self, min_level: str) -> float:
        """Level factor of a 'limited' holding for a requirement of ``min_level``."""
        return self.level_limited if min_level == _LIMITED else self.level_below_min


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
    held = unit.capabilities
    for r in query.requirements:
        code, qty, min_level = r.code, r.quantity, r.min_level
        h = held.get(code)
        counted = 0 if h is None else (1 if h.quantity is None else h.quantity)
        if counted <= 0:
            fits.append(CapabilityFit(code, qty, min_level, r.critical, None if h is None else h.level,
                                      None if h is None else h.quantity, False, 0.0))
            continue
        full = h.level == _FULL
        level_factor = w.level_full if full else w.limited_factor(min_level)
        credit = level_factor * (1.0 if counted >= qty else counted / qty)
        covered: bool | str = True if (full or min_level == _LIMITED) and counted >= qty else 'partial'
        fits.append(CapabilityFit(code, qty, min_level, r.critical, h.level, h.quantity, covered, credit))
    return fits


@dataclass(frozen=True)
class Credits:
    """Credit minutes per candidate: the three parts, the trim that keeps their sum under the cap, the total."""

    capability: np.ndarray
    readiness: np.ndarray
    tier: np.ndarray
    trim: np.ndarray
    total: np.ndarray

    def parts(self, js: np.ndarray) -> list[dict[str, float]]:
        """The credit parts of candidates ``js`` as negative minutes (they lower the score)."""
        cols = zip((-self.capability[js]).tolist(), (-self.readiness[js]).tolist(), (-self.tier[js]).tolist(),
                   self.trim[js].tolist(), strict=True)
        return [{'capability': c, 'readiness': r, 'tier': t, 'credit_cap': x} for c, r, t, x in cols]


def credits(query: MatchQuery, index: UnitIndex, w: ScoreWeights, pos: np.ndarray, cover: np.ndarray) -> Credits:
    """The credit minutes of the units at ``pos``: what does not depend on distance.

    Each part is monotone (more cover, a higher tier, a better readiness never lower it) and so is
    the cap, ``min(sum, max_credit_min)``: the dominance property holds.
    """
    cap = w.capability_min * cover
    # index readiness codes: READY, LIMITED, TRAINING, COMMITTED (to this request: ranks as READY)
    ready_lut = np.array([w.ready_min, w.limited_min, w.training_min, w.ready_min, 0.0])
    ready = ready_lut[index.readiness[pos]]
    if query.wants_action:
        tier = np.array([0.0, w.tier_t1_min, w.tier_t2_min, w.tier_t3_min])[index.tier[pos]]
    else:
        tier = np.zeros(pos.size)
    raw = (cap + ready) + tier
    total = np.minimum(raw, w.max_credit_min)
    return Credits(cap, ready, tier, raw - total, total)
