"""Per-query values shared by the ranking pipeline and the lazy explanations of its results.

One :class:`QueryContext` lives as long as a :class:`RankingResult` whose exclusions are still
unread: it keeps the exact distances already computed, so a message never measures twice.
"""

from __future__ import annotations

import math

import numpy as np

from ..eta import EtaBreakdown, EtaParams, estimate_eta
from .index import TRAINING, UnitIndex
from .score import ScoreWeights
from .types import MatchQuery


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

    def domestic(self, i: int) -> bool:
        return int(self.idx.state[i]) == self.state_code

    def notice(self, i: int) -> float:
        idx = self.idx
        return float(idx.notice_dom[i] if self.domestic(i) else idx.notice_intl[i])

    def break_off(self, i: int) -> float:
        idx = self.idx
        if idx.readiness[i] != TRAINING:
            return 0.0
        b = float(idx.break_off[i])
        return self.p.training_break_off_default_min if math.isnan(b) else b

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
