"""The ranking pipeline: masks, ETA lower bounds, exact routes where needed, then the shortlist.

Each step is one function over numpy arrays; :func:`rank_units` runs them in order. The steps and
why the shortlist equals an all-exact ranking are described in the package docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..eta import DEFAULT_ETA, EtaParams
from ..geo import exact_bounds_m, geodesic_m
from ..transport.air import Airlift
from ..transport.params import TransportParams
from .context import QueryContext
from .explain import Row, excluded_unit, ranked_unit
from .index import UnitIndex
from .score import DEFAULT_WEIGHTS, ScoreWeights, capability_fit, cover_arrays, credits
from .types import (
    R_COMMITTED,
    R_NOCAP,
    R_RANGE,
    R_STATE,
    R_UNAVAILABLE,
    REASONS,
    Candidate,
    ExcludedUnits,
    MatchQuery,
    RankedUnit,
    RankedUnits,
    RankingResult,
    UnitSnapshot,
)

_EMPTY = np.zeros(0, dtype=np.int64)
#: Below this many live units every route is computed exactly (bounds would not save work).
_SMALL = 64
#: Offset of a late unit's ordering key (its ETA) above every punctual unit's key (its score).
_LATE = 1e9


def rank_units(
    query: MatchQuery,
    units: Sequence[UnitSnapshot] | UnitIndex,
    *,
    params: EtaParams = DEFAULT_ETA,
    transport: TransportParams | None = None,
    airlift: Mapping[str, Sequence[Airlift]] | None = None,
    limit: int | None = None,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> RankingResult:
    """Rank ``units`` for ``query``: the best ``limit`` candidates in full, every exclusion lazily.

    The ETA is notice to move + break-off + the transport model's fastest route (:mod:`.routes`):
    ``transport`` holds its road and boat figures (the helicopter and fixed-wing ones are
    ``params``), ``airlift`` the aircraft that may carry each state's units (state code ->
    :class:`Airlift` values, mobilisation counted from the alert).

    ``units`` is a sequence of :class:`UnitSnapshot` or a prebuilt :class:`UnitIndex` (build it
    once per directory version for large directories). ``limit=None`` returns every candidate and
    computes every route: fine for the directory, slow for 100,000 units, where the caller should
    pass a limit (e.g. :data:`DEFAULT_LIMIT`). With a limit, only the routes of units that may rank
    in the shortlist are computed (proven bounds, see :func:`_best_first`); ``out_of_range`` is then
    decided for those units only, and ``candidates_total`` counts the unmeasured units as candidates.

    ``result.excluded`` holds every excluded unit but builds each :class:`ExcludedUnit` only when
    read (see :class:`ExcludedUnits`); ``result.excluded_counts`` counts them by reason. Units that
    cannot make ``query.needed_by`` stay candidates, after the punctual ones, with ``on_time=False``
    and ``late_by_min``; ``weights`` are the credits in minutes (see the package docstring).

    A COMMITTED unit is a candidate only when ``query.request_id`` is set and equals its
    ``committed_request_id``; it then ranks as READY. The output does not depend on the order of
    ``units``.

    :raise ValueError: on invalid ``limit``, duplicate unit ids or invalid units.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"'limit' must be None or an integer >= 0, got {limit!r}")
    ctx = QueryContext(query, UnitIndex.build(units), params, weights, transport, airlift)
    # 1. masks
    cover_all, held_any = cover_arrays(query, ctx.idx, weights)
    reason = _mask_reasons(ctx, held_any)
    alive = np.flatnonzero(reason == 0)
    fixed = ctx.fixed_many(alive)
    cr = credits(query, ctx.idx, weights, alive, cover_all[alive])
    n = alive.size
    want = n if limit is None else min(limit, n)
    wanted = min(want + 1, n)
    # 2./3. exact routes for every unit (small) or for those that may rank (bounds)
    if limit is None or n <= max(limit, _SMALL):
        eta = ctx.eta_exact(alive, fixed)
    else:
        eta = _best_first(ctx, alive, fixed, cr.total, wanted)
    unreachable = np.isinf(eta)
    reason[alive[unreachable]] = R_RANGE
    # 4. ordering keys and the shortlist
    measured = np.flatnonzero(~np.isnan(eta) & ~unreachable)
    candidates = _shortlist(ctx, alive, measured, eta, cr, cover_all[alive], want, wanted)
    excluded, counts = _exclusions(ctx, reason)
    return RankingResult(candidates, excluded, int(n - unreachable.sum()), counts, limit)


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


def _keys(eta: np.ndarray, credit: np.ndarray, budget: float) -> np.ndarray:
    """One float per unit ordered as the ranking: punctual units by score, then late ones by ETA."""
    late = eta > budget
    return np.where(late, _LATE + eta, eta - credit)


def _best_first(ctx: QueryContext, alive: np.ndarray, fixed: np.ndarray, credit: np.ndarray,
                wanted: int) -> np.ndarray:
    """Exact ETAs (NaN where not computed, inf where unreachable) of every unit that may rank in
    the first ``wanted``.

    A unit's key lower bound is :func:`_keys` of its ETA lower bound: a unit that is late at its
    lower bound is late, and a punctual unit's key is below any late key, so the bound's key never
    exceeds the exact one. Routes are computed in order of the lower key until ``wanted`` units
    are reachable; then every unit whose lower key is within 1e-6 of the ``wanted``-th best exact
    key (the margin covers the score's rounding, so a tie is never pruned). Any other unit has
    ``wanted`` units strictly before it: the shortlist equals the all-exact one.
    """
    budget = ctx.budget_min
    d_lo, _ = exact_bounds_m(ctx.idx.haversine_unit_m(ctx.q.site)[alive])
    lo = _keys(ctx.eta_lower(alive, d_lo, fixed), credit, budget)
    eta = np.full(alive.size, np.nan)
    todo = np.argpartition(lo, wanted - 1)[:wanted]
    while todo.size:
        eta[todo] = ctx.eta_exact(alive[todo], fixed[todo])
        done = np.flatnonzero(np.isfinite(eta))
        pending = np.isnan(eta)
        if done.size < wanted:  # unreachable units among the first: take the next lowest bounds
            rest = np.flatnonzero(pending)
            k = min(wanted, rest.size)
            todo = rest[np.argpartition(lo[rest], k - 1)[:k]] if k else rest
            continue
        exact = _keys(eta[done], credit[done], budget)
        threshold = np.partition(exact, wanted - 1)[wanted - 1]
        todo = np.flatnonzero(pending & (lo <= threshold + 1e-6))
    return eta


def _shortlist(ctx: QueryContext, alive: np.ndarray, measured: np.ndarray, eta: np.ndarray, cr,
               cover: np.ndarray, want: int, wanted: int) -> RankedUnits:
    """The best ``want`` of the measured units, each explained when first read (:class:`RankedUnits`).

    One more than ``want`` is ordered so that the last shown can be compared with the next.
    """
    if not want:
        return RankedUnits.empty()
    eta_sel = eta[measured]
    # Rounded to 1e-9 so that values equal in exact arithmetic compare equal (a 1-ULP difference
    # between summation orders must not break ties); ties go to the stable key.
    score = np.round(eta_sel - cr.total[measured], 9)
    late = eta_sel > ctx.budget_min
    order = np.lexsort((ctx.idx.key_rank[alive[measured]], np.where(late, score, eta_sel),
                        np.where(late, eta_sel, score), late))[:wanted]
    rows = [Row(*r) for r in zip(alive[measured[order]].tolist(), eta_sel[order].tolist(), late[order].tolist(),
                                 score[order].tolist(), cr.parts(measured[order]), strict=True)]
    q, w, units = ctx.q, ctx.w, ctx.idx.units
    facts = [Candidate(units[r.i].id, units[r.i].state, units[r.i].name, k + 1, r.eta_min, not r.late,
                       capability_fit(q, units[r.i], w)) for k, r in enumerate(rows[:want])]

    def explained(k: int) -> RankedUnit:
        i = rows[k].i
        base = ctx.route_of(i).base
        return ranked_unit(ctx, rows[k], facts[k], geodesic_m(base[0], base[1], q.site.lat, q.site.lon), base,
                           float(cover[measured[order[k]]]), rows[k + 1] if k + 1 < len(rows) else None)

    return RankedUnits(explained, facts)


def _exclusions(ctx: QueryContext, reason: np.ndarray) -> tuple[ExcludedUnits, dict[str, int]]:
    """Every excluded unit in (state, name, id) order, built lazily, and the counts by reason."""
    key_order = ctx.idx.order_by_key
    positions = key_order[reason[key_order] > 0]
    bincount = np.bincount(reason, minlength=len(REASONS) + 1)
    counts = {code: int(bincount[i + 1]) for i, code in enumerate(REASONS) if bincount[i + 1]}
    return ExcludedUnits(lambda i: excluded_unit(ctx, i, int(reason[i])), positions, counts), counts
