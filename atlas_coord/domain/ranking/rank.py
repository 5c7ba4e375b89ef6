"""The ranking pipeline: masks, distance bounds, exact distances where needed, then the shortlist.

Each step is one function over numpy arrays; :func:`rank_units` runs them in order. The steps and
why the shortlist equals an all-exact ranking are described in the package docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..eta import DEFAULT_ETA, EtaParams, eta_minutes_many
from ..geo import exact_bounds_m
from .context import QueryContext
from .explain import Row, excluded_unit, ranked_unit
from .index import UnitIndex
from .score import DEFAULT_WEIGHTS, ScoreWeights, cover_arrays, credits
from .types import (
    R_COMMITTED,
    R_NOCAP,
    R_RANGE,
    R_STATE,
    R_UNAVAILABLE,
    REASONS,
    ExcludedUnits,
    MatchQuery,
    RankedUnit,
    RankingResult,
    UnitSnapshot,
)

_EMPTY = np.zeros(0, dtype=np.int64)
#: Below this many live units every distance is computed exactly (bounds would not save work).
_SMALL = 64


@dataclass
class _Distances:
    """Per live unit: exact metres (NaN until computed), ETA lower/upper bounds, distance upper bound."""

    exact: np.ndarray
    eta_lo: np.ndarray
    eta_hi: np.ndarray
    d_hi: np.ndarray
    air: np.ndarray
    fixed: np.ndarray

    def keep(self, keep: np.ndarray) -> _Distances:
        return _Distances(self.exact[keep], self.eta_lo[keep], self.eta_hi[keep], self.d_hi[keep],
                          self.air[keep], self.fixed[keep])


def rank_units(
    query: MatchQuery,
    units: Sequence[UnitSnapshot] | UnitIndex,
    *,
    params: EtaParams = DEFAULT_ETA,
    limit: int | None = None,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> RankingResult:
    """Rank ``units`` for ``query``: the best ``limit`` candidates in full, every exclusion lazily.

    ``units`` is a sequence of :class:`UnitSnapshot` or a prebuilt :class:`UnitIndex` (build it
    once per directory version for large directories). ``limit=None`` returns every candidate and
    computes every exact distance: fine for the directory, slow for 100,000 units, where the
    service should pass a limit (e.g. :data:`DEFAULT_LIMIT`).

    ``result.excluded`` holds every excluded unit but builds each :class:`ExcludedUnit` only when
    read (see :class:`ExcludedUnits`); ``result.excluded_counts`` counts them by reason. Besides the
    reasons of the request workflow, ``out_of_range`` marks a unit no transport mode reaches (no
    road beyond :attr:`EtaParams.road_max_km` and no aircraft that far). Units that cannot make
    ``query.needed_by`` stay candidates, after the punctual ones, with ``on_time=False`` and
    ``late_by_min``; ``weights`` are the credits in minutes (see the package docstring).

    A COMMITTED unit is a candidate only when ``query.request_id`` is set and equals its
    ``committed_request_id``; it then ranks as READY. The output does not depend on the order of
    ``units``.

    :raise ValueError: on invalid ``limit``, duplicate unit ids or invalid units.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"'limit' must be None or an integer >= 0, got {limit!r}")
    ctx = QueryContext(query, UnitIndex.build(units), params, weights)
    # 1. masks
    cover_all, held_any = cover_arrays(query, ctx.idx, weights)
    reason = _mask_reasons(ctx, held_any)
    alive = np.flatnonzero(reason == 0)
    # 2./3. distances: bounds for many, exact where the bounds cannot decide
    small = limit is None or alive.size <= max(limit, _SMALL)
    dist = _exact_distances(ctx, alive) if small else _bounded_distances(ctx, alive)
    known = ~np.isnan(dist.exact)
    ctx.exact[alive[known]] = dist.exact[known]
    keep = _mark_unreachable(ctx, reason, alive, dist.eta_lo)
    cand, dist = alive[keep], dist.keep(keep)
    # 4. ordering keys and the shortlist
    candidates = _shortlist(ctx, cand, cover_all[cand], dist, limit, small)
    excluded, counts = _exclusions(ctx, reason)
    return RankingResult(candidates, excluded, int(cand.size), counts, limit)


def _mask_reasons(ctx: QueryContext, held_any: np.ndarray) -> np.ndarray:
    """Reason code per unit from readiness, commitment, state and holdings (0: still a candidate).

    Lowest precedence first, so that higher ones overwrite.
    """
    q, index = ctx.q, ctx.idx
    reason = np.logical_not(held_any).astype(np.int8)
    reason *= R_NOCAP
    if not q.include_requesting_state:
        reason[index.state_pos.get(ctx.state_code, _EMPTY)] = R_STATE
    committed = index.committed_pos
    if q.request_id is not None:
        committed = committed[~(index.has_committed_req[committed]
                                & (index.committed_req[committed] == q.request_id))]
    reason[committed] = R_COMMITTED
    reason[index.unavailable_pos] = R_UNAVAILABLE
    return reason


def _exact_distances(ctx: QueryContext, alive: np.ndarray) -> _Distances:
    """Every live unit measured exactly: its ETA bounds are its ETA."""
    exact = ctx.idx.exact_distances(ctx.q.site, alive)
    air, fixed = ctx.idx.air[alive], ctx.fixed_many(alive)
    eta, _ = eta_minutes_many(exact, air, fixed, ctx.p)
    return _Distances(exact, eta, eta, exact, air, fixed)


def _reach_km(p: EtaParams) -> np.ndarray:
    """Largest great-circle km any mode reaches, by air code (none, helicopter, fixed wing)."""
    return np.array([p.road_max_km, max(p.road_max_km, p.helicopter_max_km), max(p.road_max_km, p.fixed_wing_max_km)])


def _bounded_distances(ctx: QueryContext, alive: np.ndarray) -> _Distances:
    """Haversine bounds for every live unit; exact distances only where reach or deadline is unsure."""
    p, budget = ctx.p, ctx.budget_min
    m = alive.size
    air, fixed = ctx.idx.air[alive], ctx.fixed_many(alive)
    d_lo, d_hi = exact_bounds_m(ctx.idx.haversine_unit_m(ctx.q.site)[alive])
    eta_lo, _ = eta_minutes_many(d_lo, air, fixed, p)
    eta_hi = np.full(m, np.nan)  # filled only where needed
    # reachable at d_lo but maybe not at d_hi (same comparisons as eta_minutes_many)
    reach = np.take(_reach_km(p), air)
    unsure = (d_lo / 1000.0 <= reach) & (d_hi / 1000.0 > reach)
    if math.isfinite(budget):
        maybe = np.flatnonzero((eta_lo <= budget) & ~unsure)
        if maybe.size:
            e, _ = eta_minutes_many(d_hi[maybe], air[maybe], fixed[maybe], p)
            eta_hi[maybe] = e
            unsure[maybe[e > budget]] = True
    exact = np.full(m, np.nan)
    k = np.flatnonzero(unsure)
    if k.size:
        exact[k] = ctx.idx.exact_distances(ctx.q.site, alive[k])
        e, _ = eta_minutes_many(exact[k], air[k], fixed[k], p)
        eta_lo[k] = e
        eta_hi[k] = e
    return _Distances(exact, eta_lo, eta_hi, d_hi, air, fixed)


def _mark_unreachable(ctx: QueryContext, reason: np.ndarray, alive: np.ndarray, eta_lo: np.ndarray) -> np.ndarray:
    """Set the out-of-range reason; return the positions in ``alive`` that stay candidates.

    A unit that cannot make the deadline stays a candidate (ranked after the punctual ones).
    """
    out_of_range = np.isinf(eta_lo)
    reason[alive[out_of_range]] = R_RANGE
    return np.flatnonzero(~out_of_range)


def _may_rank(ctx: QueryContext, dist: _Distances, pos: np.ndarray, credit: np.ndarray, want: int) -> np.ndarray:
    """Positions among ``pos`` whose lower key bound reaches the ``want``-th best upper bound.

    The key is ``ETA - credit`` (``credit`` is 0 for late units, ordered by lateness). A unit
    whose lower bound exceeds the ``want``-th smallest upper bound has ``want`` others strictly
    better, so it cannot rank among the first ``want``: only the returned units may.
    """
    n = pos.size
    if want >= n:
        return pos
    key_lo = dist.eta_lo[pos] - credit
    # upper bounds of a subset give a threshold no lower than the true one: still safe
    sub_size = n if math.isfinite(ctx.budget_min) else min(n, 4 * want + 64)
    sub = np.arange(n) if sub_size == n else np.argpartition(key_lo, sub_size - 1)[:sub_size]
    eta_hi = dist.eta_hi
    missing = pos[sub][np.isnan(eta_hi[pos[sub]])]
    if missing.size:
        eta_hi[missing], _ = eta_minutes_many(dist.d_hi[missing], dist.air[missing], dist.fixed[missing], ctx.p)
    key_hi = eta_hi[pos[sub]] - credit[sub]
    threshold = np.partition(key_hi, want - 1)[want - 1]
    # the margin covers the 1e-9 rounding of the final score (a rounding tie must not prune)
    return pos[key_lo <= threshold + 1e-6]


def _needs_exact_score(ctx: QueryContext, dist: _Distances, credit: np.ndarray, want: int) -> np.ndarray:
    """Candidates that may rank in the first ``want``: punctual ones first, then the late by lateness.

    Lateness is decided exactly before this step (see :func:`_bounded_distances`): a unit is late
    iff its ETA lower bound exceeds the budget.
    """
    late = dist.eta_lo > ctx.budget_min
    on_time, late_pos = np.flatnonzero(~late), np.flatnonzero(late)
    if on_time.size >= want:
        return _may_rank(ctx, dist, on_time, credit[on_time], want)
    zero = np.zeros(late_pos.size)
    return np.concatenate([on_time, _may_rank(ctx, dist, late_pos, zero, want - on_time.size)])


def _shortlist(
    ctx: QueryContext, cand: np.ndarray, cover: np.ndarray, dist: _Distances, limit: int | None, small: bool
) -> list[RankedUnit]:
    """Exact keys for whoever may rank, then the best ``limit`` as :class:`RankedUnit` values.

    One more than ``limit`` is ordered so that the last shown can be compared with the next.
    """
    n_cand = cand.size
    want = n_cand if limit is None else min(limit, n_cand)
    wanted = min(want + 1, n_cand)
    cr = credits(ctx.q, ctx.idx, ctx.w, cand, cover)
    if small or want == 0:
        sel = np.arange(n_cand) if want else _EMPTY
    else:
        sel = _needs_exact_score(ctx, dist, cr.total, wanted)
        todo = sel[np.isnan(dist.exact[sel])]
        if todo.size:
            dist.exact[todo] = ctx.idx.exact_distances(ctx.q.site, cand[todo])
    d_sel = dist.exact[sel]
    eta_sel, _ = eta_minutes_many(d_sel, dist.air[sel], dist.fixed[sel], ctx.p)
    # Rounded to 1e-9 so that values equal in exact arithmetic compare equal (a 1-ULP difference
    # between summation orders must not break the dominance property); ties go to the stable key.
    score = np.round(eta_sel - cr.total[sel], 9)
    late = eta_sel > ctx.budget_min
    order = np.lexsort((ctx.idx.key_rank[cand[sel]], np.where(late, score, eta_sel),
                        np.where(late, eta_sel, score), late))[:wanted]
    rows = [Row(*r) for r in zip(cand[sel[order]].tolist(), eta_sel[order].tolist(), late[order].tolist(),
                                 score[order].tolist(), cr.parts(sel[order]), strict=True)]
    shown = order[:want]
    dists, b_lat, b_lon = (a.tolist() for a in ctx.idx.nearest_bases(ctx.q.site, cand[sel[shown]]))
    covers = cover[sel[shown]].tolist()
    return [ranked_unit(ctx, rows[k], k + 1, dists[k], (b_lat[k], b_lon[k]), covers[k],
                        rows[k + 1] if k + 1 < len(rows) else None) for k in range(shown.size)]


def _exclusions(ctx: QueryContext, reason: np.ndarray) -> tuple[ExcludedUnits, dict[str, int]]:
    """Every excluded unit in (state, name, id) order, built lazily, and the counts by reason."""
    key_order = ctx.idx.order_by_key
    positions = key_order[reason[key_order] > 0]
    bincount = np.bincount(reason, minlength=len(REASONS) + 1)
    counts = {code: int(bincount[i + 1]) for i, code in enumerate(REASONS) if bincount[i + 1]}
    return ExcludedUnits(lambda i: excluded_unit(ctx, i, int(reason[i])), positions, counts), counts
