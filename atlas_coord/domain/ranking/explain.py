"""The words of a ranking: a candidate's explanation sentences and an excluded unit's reason.

Built only for the shortlist and for the exclusions that are read (see :class:`ExcludedUnits`),
so their cost does not grow with the directory.
"""

from __future__ import annotations

from typing import Any

from ..choices import AirTransport, CapabilityLevel, Tier
from ..eta import EtaBreakdown, format_minutes
from .context import QueryContext
from .index import COMMITTED, LIMITED, TRAINING
from .score import capability_fit
from .types import (
    R_COMMITTED,
    R_NOCAP,
    R_RANGE,
    R_STATE,
    R_UNAVAILABLE,
    REASONS,
    CapabilityFit,
    ExcludedUnit,
    RankedUnit,
    ReadinessEffect,
    UnitSnapshot,
)

_TIER_NOTES = {
    Tier.T1: 'Tier T1 team (26 members, deliberate hostage rescue)',
    Tier.T2: 'Tier T2 team (19 members)',
    Tier.T3: 'Tier T3 tactical response team (15 members, no deliberate hostage rescue)',
}
_MODE_LABEL = {'road': 'road', 'helicopter': 'helicopter', 'fixed_wing': 'fixed wing'}


# --------------------------------------------------------------------------- candidates


def ranked_unit(
    ctx: QueryContext, i: int, rank: int, distance_m: float, cover: float, score: float, parts: dict[str, float]
) -> RankedUnit:
    """The candidate at index position ``i`` with its ETA breakdown, fit and explanation."""
    q, idx = ctx.q, ctx.idx
    u = idx.units[i]
    if len(u.stations):
        exact, station = idx.nearest_base(q.site, i)
    else:
        exact, station = distance_m, u.home
    eta = ctx.eta_of(i, exact)
    assert eta is not None
    fits = capability_fit(q, u, ctx.w)
    readiness = _readiness_effect(ctx, i, parts['readiness'])
    explanation = [
        cover_sentence(fits),
        eta.summary() + (' (from a secondary station)' if station != u.home else ''),
        f'{"Domestic" if ctx.domestic(i) else "International"} notice to move: '
        f'{format_minutes(eta.mobilisation_min)}',
        readiness.note,
        *_deadline_and_tier(ctx, u, eta, parts['tier']),
    ]
    return RankedUnit(
        unit_id=u.id, state=u.state, name=u.name, rank=rank, score=score, score_parts=parts,
        distance_m=exact, from_station=station, eta=eta, capability_fit=fits, cover=cover,
        readiness=readiness, tier=u.tier, explanation=explanation,
    )


def _readiness_effect(ctx: QueryContext, i: int, penalty: float) -> ReadinessEffect:
    code = int(ctx.idx.readiness[i])
    if code == LIMITED:
        note = f'Limited readiness: ranked with a {-ctx.w.limited_penalty:g}-point penalty'
    elif code == TRAINING:
        note = f'In training, can break off within {format_minutes(ctx.break_off(i))}'
    elif code == COMMITTED:
        note = 'Already committed to this request'
    else:
        note = 'Ready'
    return ReadinessEffect(ctx.idx.units[i].readiness, code == LIMITED, ctx.break_off(i), penalty, note)


def _deadline_and_tier(ctx: QueryContext, u: UnitSnapshot, eta: EtaBreakdown, tier_part: float) -> list[str]:
    lines = []
    needed_by = ctx.q.needed_by
    if needed_by is not None and eta.arrival is not None:
        slack = (needed_by - eta.arrival).total_seconds() / 60.0
        lines.append(f'Arrives {format_minutes(slack)} before the deadline' if slack >= 1
                     else 'Arrives just in time for the deadline')
    if tier_part and u.tier in _TIER_NOTES:
        lines.append(_TIER_NOTES[u.tier])
    return lines


def cover_sentence(fits: list[CapabilityFit]) -> str:
    """'Covers all 3 required capabilities', or what is missing or short."""
    total = len(fits)
    if not total:
        return 'No specific capability required'
    full = [f for f in fits if f.covered is True]
    if len(full) == total:
        text = 'Covers the required capability' if total == 1 else f'Covers all {total} required capabilities'
        limited = [f.code for f in fits if f.held_level == CapabilityLevel.LIMITED]
        return text + (f' ({", ".join(limited)} at limited level)' if limited else '')
    bits = []
    missing = [f.code for f in fits if f.covered is False]
    if missing:
        bits.append(f'missing {", ".join(missing)}')
    bits.extend(_shortfall(f) for f in fits if f.covered == 'partial')
    return f'Covers {len(full)} of {total} required capabilities ({"; ".join(bits)})'


def _shortfall(f: CapabilityFit) -> str:
    if f.min_level == CapabilityLevel.FULL and f.held_level == CapabilityLevel.LIMITED:
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
    """Out of range or too late: the message, with the figures added to ``details``."""
    d = ctx.exact_distance(i)
    details['distance_m'] = round(d, 1)
    if code == R_RANGE:
        return _out_of_range_message(ctx, ctx.idx.units[i], d / 1000.0)
    q = ctx.q
    eta = ctx.eta_of(i, d)
    assert eta is not None
    assert eta.arrival is not None
    assert q.needed_by is not None
    late = (eta.arrival - q.needed_by).total_seconds() / 60.0
    details.update(arrival=eta.arrival.isoformat(), needed_by=q.needed_by.isoformat(),
                   mode=eta.mode, eta_min=round(eta.total_min, 2), late_min=round(late, 2))
    return (f'Earliest arrival {eta.arrival:%Y-%m-%d %H:%M} UTC by {_MODE_LABEL[eta.mode]} '
            f'(ETA {format_minutes(eta.total_min)}) is {format_minutes(late)} after the deadline '
            f'{q.needed_by:%Y-%m-%d %H:%M} UTC')


def _out_of_range_message(ctx: QueryContext, u: UnitSnapshot, km: float) -> str:
    p = ctx.p
    limits = [f'road limit {p.road_max_km:,.0f} km']
    if u.air_transport == AirTransport.HELICOPTER:
        limits.append(f'helicopter limit {p.helicopter_max_km:,.0f} km')
    elif u.air_transport == AirTransport.FIXED_WING:
        limits.append(f'fixed-wing limit {p.fixed_wing_max_km:,.0f} km')
    else:
        limits.append('no aircraft')
    return f'No transport reaches the site {km:,.0f} km away ({"; ".join(limits)})'
