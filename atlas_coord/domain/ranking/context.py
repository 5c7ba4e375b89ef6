"""Per-query values shared by the ranking pipeline and the lazy explanations of its results.

One :class:`QueryContext` lives as long as a :class:`RankingResult` whose exclusions are still
unread: it keeps the exact distances already computed, so a message never measures twice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..choices import AirTransport, ReadinessStatus
from ..eta import EtaBreakdown, EtaParams
from ..transport.air import Airlift
from ..transport.many import HELICOPTER, SiteSide, minutes_many
from ..transport.params import TransportParams
from .index import TRAINING, UnitIndex
from .routes import (
    UnitRoute,
    fastest,
    lower_bounds,
    own_airlift,
    route_breakdown,
    state_airlift,
    unit_airlifts,
    unit_route,
    unit_route_by,
)
from .score import ScoreWeights
from .types import MatchQuery

_TRAINING = ReadinessStatus.TRAINING.value
#: A one-to-many row of a unit with no aircraft: no cruise, no mobilisation, no base.
_NO_AIRCRAFT = np.array([math.nan, 0.0, math.nan, math.nan, -1.0])


class QueryContext:
    """The query, the index, the transport model and weights, the airlift that may carry each state's
    units, and the exact distances and routes known so far."""

    def __init__(self, query: MatchQuery, index: UnitIndex, params: EtaParams, weights: ScoreWeights,
                 transport: TransportParams | None = None,
                 airlift: Mapping[str, Sequence[Airlift]] | None = None):
        self.q, self.idx, self.p, self.w = query, index, params, weights
        # one model: the helicopter and fixed-wing figures are the configured EtaParams
        self.tp = TransportParams(eta=params) if transport is None else dataclasses.replace(transport, eta=params)
        self.airlift = airlift or {}
        self.routes: dict[int, UnitRoute | None] = {}
        codes = index.state_codes
        self._state_air = np.full((max(codes.values(), default=-1) + 1, 2), np.nan)
        for state, k in codes.items():
            self._state_air[k] = fastest(state_airlift(self.airlift, state))
        self.state_code = index.state_codes.get(query.requesting_state, -1)
        self.budget_min = (
            math.inf if query.needed_by is None else (query.needed_by - query.now).total_seconds() / 60.0
        )
        self._site: SiteSide | None = None
        #: unit position -> (base row, aircraft index, mode) of its fastest route found by :meth:`eta_exact`
        self.best_row: dict[int, tuple[int, int]] = {}
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

    # -- routes (the transport model; see .routes)

    def airlifts(self, i: int) -> tuple[Airlift, ...]:
        """The aircraft that may carry unit ``i``: its own (fixed wing), its state's and partners'."""
        return unit_airlifts(self.idx.units[i], self.airlift)

    def route_of(self, i: int) -> UnitRoute | None:
        """Unit ``i``'s fastest route to the site (notice excluded), computed once; from the base and
        aircraft :meth:`eta_exact` found fastest when it measured the unit."""
        if i not in self.routes:
            u, idx = self.idx.units[i], self.idx
            bases, airlifts = u.bases, self.airlifts(i)
            heli, fixed = u.air_transport == AirTransport.HELICOPTER, self.notice(i) + self.break_off(i)
            found = None
            if i in self.best_row:  # the base, aircraft and mode eta_exact found: plan that route only
                b, o, how = self.best_row[i]
                if how != HELICOPTER:  # a helicopter flies straight: no road to join
                    idx.route_side(self.tp).remember(b, self.tp)
                bases = ((float(idx.base_lat[b]), float(idx.base_lon[b])),)
                airlifts = airlifts[o:o + 1]
                found = unit_route_by(bases[0], self.q.site, heli, airlifts[0] if airlifts else None, fixed, how,
                                      self.tp, name=u.name)
            self.routes[i] = found or unit_route(bases, self.q.site, heli, airlifts, fixed, self.tp, name=u.name)
        return self.routes[i]

    def eta_exact(self, pos: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """Exact ETA minutes (notice + break-off + route) of the units at ``pos``; inf if unreachable.

        One-to-many (:mod:`..transport.many`): the site side once per query, each base's side from
        the index; one row per (unit, base, aircraft); the unit's ETA is its fastest row."""
        pos = np.asarray(pos, dtype=np.int64)
        if not pos.size:
            return np.zeros(0)
        idx = self.idx
        if self._site is None:
            self._site = SiteSide(self.q.site, self.tp)
        starts = idx.base_start[pos] if idx.multi_base else pos
        counts = idx.base_start[pos + 1] - starts if idx.multi_base else np.ones(pos.size, dtype=np.int64)
        # one row per (unit, base, aircraft): units with no aircraft in numpy, the others in a loop
        plain = np.array([not self.airlifts(i) for i in pos.tolist()], dtype=bool) if self.airlift \
            else idx.air[pos] != 2
        k_plain = np.flatnonzero(plain)
        unit_rows = [np.repeat(k_plain, counts[k_plain])]
        base_rows = [np.repeat(starts[k_plain] - np.cumsum(counts[k_plain]) + counts[k_plain], counts[k_plain])
                     + np.arange(int(counts[k_plain].sum()))]
        n_plain = unit_rows[0].size
        opt_rows, craft = [np.zeros(n_plain, dtype=np.int64)], [np.tile(_NO_AIRCRAFT, (n_plain, 1))]
        for k in np.flatnonzero(~plain).tolist():
            opts = self._options(int(pos[k]), float(fixed[k]))
            s, c = int(starts[k]), int(counts[k])
            for b in range(s, s + c):
                unit_rows.append(np.full(len(opts), k))
                base_rows.append(np.full(len(opts), b))
                opt_rows.append(np.arange(len(opts)))
                craft.append(opts)
        unit_rows, base_rows, opt_rows = (np.concatenate(x) for x in (unit_rows, base_rows, opt_rows))
        craft = np.concatenate(craft)
        rows = idx.route_side(self.tp).take(base_rows)
        how = np.zeros(unit_rows.size, dtype=np.int64)
        minutes = minutes_many(rows, self._site, idx.air[pos][unit_rows] == 1, craft[:, 0], craft[:, 1], craft[:, 2:],
                               how)
        # each unit's fastest row (the first on ties, as unit_route): rows are grouped by unit
        order = np.lexsort((np.arange(minutes.size), minutes, unit_rows))
        first = order[np.searchsorted(unit_rows[order], np.arange(pos.size))]
        self.best_row.update(zip(pos.tolist(), zip(base_rows[first].tolist(), opt_rows[first].tolist(),
                                                   how[first].tolist(), strict=True), strict=True))
        return fixed + minutes[first]

    def _options(self, i: int, fixed_min: float) -> np.ndarray:
        """``(cruise km/h, mobilisation from the unit's departure, *Airlift.base_row)`` of each aircraft
        that may carry unit ``i`` (:meth:`airlifts`, as :func:`.routes.unit_route` counts them), one
        row each; :data:`_NO_AIRCRAFT` if none."""
        opts = [(a.cruise_kmh, a.mobilisation_min - fixed_min, *a.base_row) for a in self.airlifts(i)]
        return np.array(opts, dtype=np.float64) if opts else _NO_AIRCRAFT[None, :]

    def eta_lower(self, pos: np.ndarray, distance_lo_m: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """Proven lower bounds of the ETA of the units at ``pos`` (see :func:`.routes.lower_bounds`)."""
        idx = self.idx
        air = self._state_air[idx.state[pos]] if self._state_air.size else np.full((pos.size, 2), np.nan)
        cruise, mob = air[:, 0].copy(), air[:, 1].copy()
        own = idx.air[pos] == 2
        if own.any():
            own_cruise = own_airlift(1).cruise_kmh
            cruise[own] = np.fmax(cruise[own], own_cruise)
            mob[own] = 0.0
        route = lower_bounds(distance_lo_m, idx.air[pos] == 1, cruise, mob, fixed, self.tp)
        return fixed + route

    def eta_of(self, i: int, distance_m: float | None = None) -> EtaBreakdown | None:
        r = self.route_of(i)
        if r is None:
            return None
        return route_breakdown(r, self.q.site, self.notice(i), self.break_off(i), self.tp, self.q.now, distance_m)
