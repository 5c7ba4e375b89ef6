"""Per-query values shared by the ranking pipeline and the lazy explanations of its results.

One :class:`QueryContext` lives as long as a :class:`RankingResult` whose exclusions are still
unread: it keeps the exact distances already computed, so a message never measures twice.
"""

from __future__ import annotations

import math

import numpy as np

from ..choices import ReadinessStatus
from ..eta import EtaBreakdown, EtaParams, estimate_eta
from .index import TRAINING, UnitIndex
from .score import ScoreWeights
from .types import MatchQuery

_TRAINING = ReadinessStatus.TRAINING.value


class QueryContext:
    """The query, the index, the ETA model and weights, and the exact distances known so far."""

    def __init__(self, query: MatchQuery, index: UnitIndex, params: EtaParams, weights: ScoreWeights):
        self.q, self.idx, self.p, self.w = query, index, params, weights
        self.state_code = index.state_codes.get(query.requesting_state, -1)
        self.budget_min = (
            math.inf if query.needed_by is None else (query.needed_by - query.now).total_seconds() / 60.0
        )
        self.exact = np.full(index.n, np.nan)  # exact distances computed so far, by unit position

    def fixed_many(self, pos: np.ndarray) -> np.ndarray:
        """Notice to move + break-off minutes of the units at ``pos`` (same sum as the scalar ETA)."""
        idx = self.idx
        domestic = idx.state[pos] == self.state_code
        notice = np.where(domestic, idx.notice_dom[pos], idx.notice_intl[pos])
        brk = idx.break_off[pos]
        brk = np.where(np.isnan(brk), self.p.training_break_off_default_min, brk)
        brk[idx.readiness[pos] != TRAINING] = 0.0
        return notice + brk

    # The scalar helpers read the unit's snapshot (plain Python attributes), faster than numpy
    # scalars for the few units explained; they agree with the arrays of :meth:`fixed_many`.

    def domestic(self, i: int) -> bool:
        return self.idx.units[i].state == self.q.requesting_state

    def notice(self, i: int) -> float:
        u = self.idx.units[i]
        return float(u.notice_domestic_min if u.state == self.q.requesting_state else u.notice_international_min)

    def break_off(self, i: int) -> float:
        u = self.idx.units[i]
        if u.readiness != _TRAINING:
            return 0.0
        return self.p.training_break_off_default_min if u.break_off_min is None else float(u.break_off_min)

    def exact_distance(self, i: int) -> float:
        d = float(self.exact[i])
        if math.isnan(d):
            d = float(self.idx.exact_distances(self.q.site, np.array([i]))[0])
            self.exact[i] = d
        return d

    def eta_of(self, i: int, distance_m: float) -> EtaBreakdown | None:
        u = self.idx.units[i]
        return estimate_eta(
            distance_m,
            air_transport=u.air_transport,
            notice_min=self.notice(i),
            break_off_min=self.break_off(i),
            now=self.q.now,
            params=self.p,
        )
