"""The words of a ranking: a candidate's explanation sentences and an excluded unit's reason.

Built only for the candidates and the exclusions that are read (see :class:`RankedUnits` and
:class:`ExcludedUnits`), so their cost does not grow with the directory.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..choices import AirTransport, CapabilityLevel, Tier
from ..eta import EtaBreakdown, format_minutes
from .context import QueryContext
from .index import COMMITTED, LIMITED, TRAINING
from .types import (
    R_COMMITTED,
    R_NOCAP,
    R_STATE,
    R_UNAVAILABLE,
    REASONS,
    Candidate,
    CapabilityFit,
    ExcludedUnit,
    RankedUnit,
    ReadinessEffect,
    UnitSnapshot,
)

#: A tier's typical team, used only when the unit's own personnel is not recorded
#: [V, docs/domain.md §4, NTOA TROS 2018].
_TIER_NOTES = {
    Tier.T1: ('Tier T1 team', 26, 'deliberate hostage rescue'),
    Tier.T2: ('Tier T2 team', 19, None),
    Tier.T3: ('Tier T3 tactical response team', 15, 'no deliberate hostage rescue'),
}

#: Plain strings: comparing with them is faster than with the enum members (hot path).
_FULL, _LIMITED = CapabilityLevel.FULL.value, CapabilityLevel.LIMITED.value


class Row(NamedTuple):
    """One ordered candidate as the pipeline knows it before it is explained."""

    i: int
    eta_min: float
    late: bool
    score: float
    credit: dict[str, float]


# --------------------------------------------------------------------------- candidates


def ranked_unit(
    ctx: QueryContext, row: Row, facts: Candidate, exact: float, station: tuple[float, float], cover: float,
    below: Row | None,
) -> RankedUnit:
    """The candidate ``row`` (ranked and fitted as ``facts`` say), ``exact`` metres from its
    nearest base ``station``, with its ETA breakdown and explanation; ``below`` ranks next."""
    idx, i = ctx.idx, row.i
    u = idx.units[i]
    eta = ctx.eta_of(i, exact)
    assert eta is not None
    fits = facts.capability_fit
    readiness = _readiness_effect(ctx, i, -row.credit['readiness'] - ctx.w.ready_min)
    late_by = row.eta_min - ctx.budget_min if row.late else None
    explanation = [
        cover_sentence(fits),
        eta.summary() + (' (from a secondary station)' if station != u.home else ''),
        f'{"Domestic" if ctx.domestic(i) else "International"} notice to move: '
        f'{format_minutes(eta.mobilisation_min)}',
        readiness.note,
        *_deadline_and_tier(ctx, u, eta, row.credit['tier']),
    ]
    if below is not None:
        explanation.append(comparison(ctx, row, below))
    return RankedUnit(
        unit_id=u.id, state=u.state, name=u.name, rank=facts.rank, score=row.score,
        score_parts={'eta': row.eta_min, **row.credit},
        distance_m=exact, from_station=station, eta=eta, capability_fit=fits, cover=cover,
        readiness=readiness, tier=u.tier, explanation=explanation, on_time=not row.late, late_by_min=late_by,
    )


def comparison(ctx: QueryContext, a: Row, b: Row) -> str:
    """Why ``a`` ranks just above ``b``: sooner, less late, punctual, or the credits that outweigh time."""
    other = ctx.idx.units[b.i].name
    gap = b.eta_min - a.eta_min
    if b.late and not a.late:
        return f'Ranked above {other}: arrives before the deadline, {other} is late'
    if a.late:
        if gap >= 0.5:
            return f'Ranked above {other}: {format_minutes(gap)} less late'
        return f'Ranked above {other}: as late, ' + (_credit_reasons(ctx, a, b) or 'same credit')
    if gap >= 0.5:
        return f'Ranked above {other}: {format_minutes(gap)} sooner'
    reasons = _credit_reasons(ctx, a, b)
    if gap > -0.5:
        return f'Ranked above {other}: same arrival time' + (f', {reasons}' if reasons else '')
    return f'Ranked above {other} although {format_minutes(-gap)} later: {reasons}'


def _credit_reasons(ctx: QueryContext, a: Row, b: Row) -> str:
    """The credit parts in which ``a`` beats ``b``, with their minutes."""
    bits = []
    for part in ('capability', 'tier', 'readiness'):
        diff = b.credit[part] - a.credit[part]  # parts are negative minutes
        if diff < 0.05:
            continue
        ua, ub = ctx.idx.units[a.i], ctx.idx.units[b.i]
        if part == 'capability':
            label = 'better capability cover'
        elif part == 'tier':
            label = f'tier {ua.tier} over {ub.tier}'
        else:
            label = f'{ua.readiness.lower()} readiness over {ub.readiness.lower()}'
        bits.append(f'{label} (+{diff:.0f} min credit)' if diff >= 0.5 else f'{label} (+{diff:.1f} min credit)')
    if a.credit['credit_cap'] - b.credit['credit_cap'] >= 0.05:
        bits.append(f'credit capped at {ctx.w.max_credit_min:g} min')
    return '; '.join(bits)


def _readiness_effect(ctx: QueryContext, i: int, credit_gap: float) -> ReadinessEffect:
    """``credit_gap`` is the readiness credit less a READY unit's (<= 0)."""
    code = int(ctx.idx.readiness[i])
    if code == LIMITED:
        note = f'Limited readiness: {-credit_gap:g} min less credit than a ready unit'
    elif code == TRAINING:
        note = f'In training, can break off within {format_minutes(ctx.break_off(i))}'
    elif code == COMMITTED:
        note = 'Already committed to this request'
    else:
        note = 'Ready'
    return ReadinessEffect(ctx.idx.units[i].readiness, code == LIMITED, ctx.break_off(i), credit_gap, note)


def _deadline_and_tier(ctx: QueryContext, u: UnitSnapshot, eta: EtaBreakdown, tier_part: float) -> list[str]:
    lines = []
    needed_by = ctx.q.needed_by
    if needed_by is not None and eta.arrival is not None:
        slack = (needed_by - eta.arrival).total_seconds() / 60.0
        if slack < 0:
            lines.append(f'Late by {format_minutes(-slack)}: arrives {eta.arrival:%H:%M} UTC, '
                         f'needed by {needed_by:%H:%M} UTC')
        else:
            lines.append(f'Arrives {format_minutes(slack)} before the deadline' if slack >= 1
                         else 'Arrives just in time for the deadline')
    if tier_part and u.tier in _TIER_NOTES:
        lines.append(tier_note(u))
    return lines


def tier_note(u: UnitSnapshot) -> str:
    """'Tier T1 team (1,000 personnel, ...)': the unit's own personnel; the tier's typical size as a marked default."""
    label, typical, remark = _TIER_NOTES[Tier(u.tier)]
    size = f'{u.personnel:,} personnel' if u.personnel > 0 else f'typically {typical} members, tier default'
    return f'{label} ({size}' + (f', {remark})' if remark else ')')


def cover_sentence(fits: list[CapabilityFit]) -> str:
    """'Covers all 3 required capabilities', or what is missing or short."""
    total = len(fits)
    if not total:
        return 'No specific capability required'
    full = [f for f in fits if f.covered is True]
    if len(full) == total:
        text = 'Covers the required capability' if total == 1 else f'Covers all {total} required capabilities'
        limited = [f.code for f in fits if f.held_level == _LIMITED]
        return text + (f' ({", ".join(limited)} at limited level)' if limited else '')
    bits = []
    missing = [f.code for f in fits if f.covered is False]
    if missing:
        bits.append(f'missing {", ".join(missing)}')
    for f in fits:
        if f.covered == 'partial':
            bits.append(_shortfall(f))
    return f'Covers {len(full)} of {total} required capabilities ({"; ".join(bits)})'


def _shortfall(f: CapabilityFit) -> str:
    if f.min_level == _FULL and f.held_level == _LIMITED:
        return f'{f.code} only at limited level'
    held_q = 1 if f.held_quantity is None else f.held_quantity
    return f'{f.code} {held_q} of {f.required_quantity}'


# --------------------------------------------------------------------------- exclusions


def excluded_unit(ctx: QueryContext, i: int, code: int) -> ExcludedUnit:
    """The unit at index position ``i``, excluded for reason ``code``, with its message."""
    u = ctx.idx.units[i]
    details: dict[str, Any] = {}
    if code == R_UNAVAILABLE:
        message = 'Unavailable'
    elif code == R_COMMITTED:
        message = 'Committed to another request'
        if u.committed_request_id is not None:
            message = f'Committed to request #{u.committed_request_id}'
            details['committed_request_id'] = u.committed_request_id
    elif code == R_STATE:
        message = f'Belongs to the requesting state {ctx.q.requesting_state}'
    elif code == R_NOCAP:
        codes = list(dict.fromkeys(r.code for r in ctx.q.requirements))
        message = f'Holds none of the required capabilities ({", ".join(codes)})'
        details['missing'] = codes
    else:
        message = _distance_message(ctx, i, code, details)
    return ExcludedUnit(u.id, u.state, u.name, REASONS[code - 1], message, details)


def _distance_message(ctx: QueryContext, i: int, code: int, details: dict[str, Any]) -> str:
    """Out of range: the message, with the distance added to ``details``."""
    d = ctx.exact_distance(i)
    details['distance_m'] = round(d, 1)
    return _out_of_range_message(ctx, i, d / 1000.0)


def _out_of_range_message(ctx: QueryContext, i: int, km: float) -> str:
    u = ctx.idx.units[i]
    modes = ['no road, fixed link or ferry connects']
    if u.air_transport == AirTransport.HELICOPTER:
        modes.append(f'helicopter limit {ctx.p.helicopter_max_km:,.0f} km')
    modes.append('an aircraft cannot reach' if ctx.airlifts(i) else 'no aircraft')
    return f'No transport reaches the site {km:,.0f} km away ({"; ".join(modes)})'
