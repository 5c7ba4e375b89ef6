"""Conflict rules for planning joint trainings and exercises (Council Decision 2008/617/JHA, Art. 5).

Every rule is a pure function over plain values and returns a list of :class:`Conflict`, each
with a sentence a planner can read and structured fields for the UI. The checks:

* :func:`find_overlaps`: a unit would be in two trainings at once;
* :func:`deployed_conflicts`: a unit is (or will be) deployed during the training;
* :func:`readiness_guard`: a member state would be left with no READY unit holding a
  capability it treats as critical;
* :func:`coverage_threshold_check`: some place (by default every EU capital plus Oslo,
  Reykjavík, Bern and London) could no longer be reached by a unit with a capability within
  a time threshold.

Plus the participation helpers :func:`decide_acceptance` and :func:`promote_from_waitlist`.

Conventions
    All instants are timezone-aware (UTC is expected; any aware value works). Intervals are
    half-open ``[start, end)``: a unit busy until 12:00 is free at 12:00. An interval whose end
    is ``None`` is open-ended (a deployment with no planned return). Time-dependent checks are
    computed exactly on the breakpoints of the busy intervals, never by sampling.

To report only what a *proposed* training adds, run a check with and without the proposal in
``busy`` and compare; a state whose only aircraft unit is already unavailable is reported
either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple

from .choices import ConflictKind, ParticipantStatus

__all__ = [
    'EU_CAPITALS',
    'STATE_NAMES',
    'CheckPoint',
    'Conflict',
    'CoverageUnit',
    'Deployment',
    'GuardUnit',
    'UnitWindow',
    'coverage_threshold_check',
    'decide_acceptance',
    'deployed_conflicts',
    'find_overlaps',
    'promote_from_waitlist',
    'readiness_guard',
    'state_name',
]

UnitId = Hashable
Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """One reason why a training cannot be planned as proposed.

    ``figure`` is the number that matters for the kind: overlap minutes (unit_overlap,
    unit_deployed), READY units left, always 0 (readiness_guard), minutes to the first capable
    unit or ``'no capable unit'`` (coverage_threshold). ``details`` holds the rest (e.g.
    ``holders``, ``threshold_min``, the other ``training_id``). The wire shape is
    :class:`atlas_coord.serializers.trainings.ConflictOut`.
    """

    kind: str
    message: str
    window_start: datetime
    window_end: datetime | None
    state: str | None = None
    capability: str | None = None
    unit_id: UnitId | None = None
    point: str | None = None
    figure: float | int | str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace('+00:00', 'Z')


# --------------------------------------------------------------------------- names and places

#: English short names of the ATLAS member states (EU 27 plus NO, IS, CH and GB), by ISO code.
STATE_NAMES: Mapping[str, str] = {
    'AT': 'Austria', 'BE': 'Belgium', 'BG': 'Bulgaria', 'HR': 'Croatia', 'CY': 'Cyprus',
    'CZ': 'Czechia', 'DK': 'Denmark', 'EE': 'Estonia', 'FI': 'Finland', 'FR': 'France',
    'DE': 'Germany', 'GR': 'Greece', 'EL': 'Greece', 'HU': 'Hungary', 'IE': 'Ireland',
    'IT': 'Italy', 'LV': 'Latvia', 'LT': 'Lithuania', 'LU': 'Luxembourg', 'MT': 'Malta',
    'NL': 'the Netherlands', 'PL': 'Poland', 'PT': 'Portugal', 'RO': 'Romania',
    'SK': 'Slovakia', 'SI': 'Slovenia', 'ES': 'Spain', 'SE': 'Sweden', 'NO': 'Norway',
    'IS': 'Iceland', 'CH': 'Switzerland', 'GB': 'the United Kingdom', 'UK': 'the United Kingdom',
}


def state_name(code: str | None) -> str:
    """``'BE'`` -> ``'Belgium'``; unknown codes are returned unchanged."""
    if code is None:
        return 'an unknown state'
    return STATE_NAMES.get(code.upper(), code)


class CheckPoint(NamedTuple):
    """A place that must stay reachable: ``(name, lat, lon)`` in WGS-84 degrees."""

    name: str
    lat: float
    lon: float


#: The 27 EU capitals plus Oslo, Reykjavík, Bern and London (city centres, 2 decimals).
EU_CAPITALS: tuple[CheckPoint, ...] = (
    CheckPoint('Vienna', 48.21, 16.37), CheckPoint('Brussels', 50.85, 4.35),
    CheckPoint('Sofia', 42.70, 23.32), CheckPoint('Zagreb', 45.81, 15.98),
    CheckPoint('Nicosia', 35.17, 33.36), CheckPoint('Prague', 50.08, 14.44),
    CheckPoint('Copenhagen', 55.68, 12.57), CheckPoint('Tallinn', 59.44, 24.75),
    CheckPoint('Helsinki', 60.17, 24.94), CheckPoint('Paris', 48.86, 2.35),
    CheckPoint('Berlin', 52.52, 13.40), CheckPoint('Athens', 37.98, 23.73),
    CheckPoint('Budapest', 47.50, 19.04), CheckPoint('Dublin', 53.35, -6.26),
    CheckPoint('Rome', 41.90, 12.50), CheckPoint('Riga', 56.95, 24.11),
    CheckPoint('Vilnius', 54.69, 25.28), CheckPoint('Luxembourg', 49.61, 6.13),
    CheckPoint('Valletta', 35.90, 14.51), CheckPoint('Amsterdam', 52.37, 4.90),
    CheckPoint('Warsaw', 52.23, 21.01), CheckPoint('Lisbon', 38.72, -9.14),
    CheckPoint('Bucharest', 44.43, 26.10), CheckPoint('Bratislava', 48.15, 17.11),
    CheckPoint('Ljubljana', 46.06, 14.51), CheckPoint('Madrid', 40.42, -3.70),
    CheckPoint('Stockholm', 59.33, 18.07),
    CheckPoint('Oslo', 59.91, 10.75), CheckPoint('Reykjavík', 64.15, -21.94),
    CheckPoint('Bern', 46.95, 7.45), CheckPoint('London', 51.51, -0.13),
)


# --------------------------------------------------------------------------- time helpers


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f'{what} must be a datetime, got {type(value).__name__}')
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f'{what} must be timezone-aware (UTC), got naive {value.isoformat()}')
    return value


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    _aware(start, 'window start')
    _aware(end, 'window end')
    if end <= start:
        raise ValueError(f'the window must end after it starts ({_iso(start)} .. {_iso(end)})')
    return start, end


def _fmt_span(start: datetime, end: datetime | None) -> str:
    """'from 2027-03-10 08:00 to 16:00 UTC' (end date shown only when it differs)."""
    s = start.astimezone(UTC)
    if end is None:
        return f'from {s:%Y-%m-%d %H:%M} UTC with no planned end'
    e = end.astimezone(UTC)
    end_text = f'{e:%H:%M}' if e.date() == s.date() else f'{e:%Y-%m-%d %H:%M}'
    return f'from {s:%Y-%m-%d %H:%M} to {end_text} UTC'


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Intervals cut to ``[start, end)``; empty ones dropped, open ends closed at ``end``."""
    out = []
    for s, e in intervals:
        _aware(s, 'busy interval start')
        e = end if e is None else _aware(e, 'busy interval end')
        s, e = max(s, start), min(e, end)
        if s < e:
            out.append((s, e))
    return out


def _segments(
    busy: Mapping[UnitId, list[tuple[datetime, datetime]]], start: datetime, end: datetime,
) -> list[tuple[datetime, datetime, frozenset[UnitId]]]:
    """Split ``[start, end)`` at every busy-interval endpoint; for each elementary segment
    return the units busy throughout it. Because every endpoint is a breakpoint, an interval
    either covers a segment entirely or not at all, so the answer is exact."""
    points = sorted({start, end, *(t for ivs in busy.values() for iv in ivs for t in iv)})
    out = []
    for a, b in pairwise(points):
        busy_here = frozenset(u for u, ivs in busy.items() if any(s <= a and e >= b for s, e in ivs))
        out.append((a, b, busy_here))
    return out


# --------------------------------------------------------------------------- unit availability


@dataclass(frozen=True, slots=True)
class UnitWindow:
    """A unit's participation in a training: ``state`` is the unit's member state (ISO code)."""

    unit_id: UnitId
    state: str | None
    start_utc: datetime
    end_utc: datetime
    training_id: Hashable
    training_title: str | None = None


def find_overlaps(
    unit_ids: Iterable[UnitId],
    start: datetime,
    end: datetime,
    existing: Iterable[UnitWindow],
    ignore_training_id: Hashable | None = None,
) -> list[Conflict]:
    """Units of ``unit_ids`` that are already in another training overlapping ``[start, end)``.

    ``ignore_training_id`` skips the training being edited (so moving a training does not
    conflict with its old slot). One conflict per (unit, other training occurrence); the
    conflict window is the overlap and ``figure`` its length in minutes.
    """
    start, end = _window(start, end)
    wanted = set(unit_ids)
    conflicts = []
    for w in existing:
        if w.unit_id not in wanted or (ignore_training_id is not None and w.training_id == ignore_training_id):
            continue
        s, e = max(start, _aware(w.start_utc, 'start_utc')), min(end, _aware(w.end_utc, 'end_utc'))
        if s >= e:
            continue
        other = f'"{w.training_title}"' if w.training_title else f'training {w.training_id}'
        conflicts.append(Conflict(
            kind=ConflictKind.UNIT_OVERLAP, state=w.state, unit_id=w.unit_id,
            window_start=s, window_end=e, figure=_minutes(e - s),
            details={'training_id': w.training_id},
            message=f'Unit {w.unit_id} is already in {other} {_fmt_span(s, e)}.',
        ))
    conflicts.sort(key=lambda c: (c.window_start, str(c.unit_id)))
    return conflicts


class Deployment(NamedTuple):
    """A unit's deployment; ``end_utc=None`` means no planned return yet."""

    unit_id: UnitId
    start_utc: datetime
    end_utc: datetime | None
    state: str | None = None


def deployed_conflicts(
    unit_ids: Iterable[UnitId],
    start: datetime,
    end: datetime,
    deployments: Iterable[tuple[UnitId, datetime, datetime | None] | Deployment],
) -> list[Conflict]:
    """Units of ``unit_ids`` that are deployed at some point of ``[start, end)``.

    ``deployments`` are ``(unit_id, start, end_or_None)`` tuples (or :class:`Deployment`);
    an open-ended deployment conflicts with every training after its start.
    """
    start, end = _window(start, end)
    wanted = set(unit_ids)
    conflicts = []
    for raw in deployments:
        d = raw if isinstance(raw, Deployment) else Deployment(*raw)
        if d.unit_id not in wanted:
            continue
        d_end = None if d.end_utc is None else _aware(d.end_utc, 'deployment end')
        s = max(start, _aware(d.start_utc, 'deployment start'))
        e = end if d_end is None else min(end, d_end)
        if s >= e:
            continue
        until = 'with no planned return' if d_end is None else f'until {_iso(d_end)}'
        conflicts.append(Conflict(
            kind=ConflictKind.UNIT_DEPLOYED, state=d.state, unit_id=d.unit_id,
            window_start=s, window_end=e, figure=_minutes(e - s),
            details={'deployment_start': d.start_utc, 'deployment_end': d_end},
            message=f'Unit {d.unit_id} is deployed {_fmt_span(s, e)} ({until}).',
        ))
    conflicts.sort(key=lambda c: (c.window_start, str(c.unit_id)))
    return conflicts


# --------------------------------------------------------------------------- readiness guard


@dataclass(frozen=True, slots=True)
class GuardUnit:
    """A unit as the readiness guard sees it.

    ``ready_baseline`` is True when the unit's own status is READY (not UNAVAILABLE or
    COMMITTED) regardless of trainings; trainings and deployments come in through ``busy``.
    """

    id: UnitId
    state: str
    capabilities: frozenset[str]
    ready_baseline: bool


def readiness_guard(
    states: Mapping[str, Sequence[str]],
    units: Iterable[GuardUnit],
    busy: Mapping[UnitId, Sequence[Interval]],
    window: tuple[datetime, datetime],
) -> list[Conflict]:
    """Every state keeps at least one READY, non-busy unit for each of its critical capabilities.

    :param states: state code -> capability codes that state must never be without.
    :param units: all units of those states.
    :param busy: unit id -> busy intervals (trainings and deployments, *including* the proposed
        training); ``(start, None)`` is open-ended.
    :param window: the ``(start, end)`` to check, usually the proposed training's span.
    :return: one conflict per state, capability and maximal sub-window in which no unit is
        left, with ``figure=0`` and ``details`` ``holders`` (units holding the capability) and
        ``ready_at_baseline`` (of those, READY before trainings), sorted by state, capability,
        time.
    """
    start, end = _window(*window)
    unit_list = list(units)
    conflicts: list[Conflict] = []
    for state in sorted(states):
        for capability in sorted(set(states[state])):
            holders = [u for u in unit_list if u.state == state and capability in u.capabilities]
            ready = [u for u in holders if u.ready_baseline]
            clipped = {u.id: _clip(busy.get(u.id, ()), start, end) for u in ready}
            gaps: list[list[Any]] = []  # [start, end, busy ids]
            for a, b, busy_here in _segments(clipped, start, end):
                if any(u.id not in busy_here for u in ready):
                    continue
                if gaps and gaps[-1][1] == a:
                    gaps[-1][1] = b
                    gaps[-1][2] |= busy_here
                else:
                    gaps.append([a, b, set(busy_here)])
            for a, b, busy_ids in gaps:
                conflicts.append(_readiness_conflict(state, capability, a, b, holders, ready, busy_ids))
    return conflicts


def _readiness_conflict(state, capability, a, b, holders, ready, busy_ids) -> Conflict:
    n_hold, n_ready = len(holders), len(ready)
    if n_hold == 0:
        why = 'no unit holds it'
    elif n_ready == n_hold:
        why = f'{n_hold} unit{"s" if n_hold != 1 else ""} hold{"s" if n_hold == 1 else ""} it; 0 left'
    else:
        why = (f'{n_hold} unit{"s" if n_hold != 1 else ""} hold{"s" if n_hold == 1 else ""} it, '
               f'{n_ready} READY at baseline; 0 left')
    return Conflict(
        kind=ConflictKind.READINESS_GUARD, state=state, capability=capability,
        window_start=a, window_end=b, figure=0,
        details={'holders': n_hold, 'ready_at_baseline': n_ready, 'busy_units': sorted(busy_ids, key=str)},
        message=_sentence(f'{state_name(state)} would have no READY unit with {capability} '
                          f'{_fmt_span(a, b)} ({why}).'),
    )


# --------------------------------------------------------------------------- coverage threshold


@dataclass(frozen=True, slots=True)
class CoverageUnit:
    """A unit as the coverage check sees it: home base, capabilities and baseline readiness."""

    id: UnitId
    state: str | None
    lat: float
    lon: float
    capabilities: frozenset[str]
    ready: bool


def coverage_threshold_check(
    check_points: Iterable[tuple[str, float, float]],
    capabilities: Sequence[str],
    threshold_min: float,
    window: tuple[datetime, datetime],
    units: Iterable[CoverageUnit],
    busy: Mapping[UnitId, Sequence[Interval]],
    eta_fn: Callable[[Any, float, float], float | None],
) -> list[Conflict]:
    """Each check point stays within ``threshold_min`` minutes of a unit with each capability.

    For every elementary sub-window between busy-interval breakpoints, the time to the first
    capable unit at a point is the minimum ``eta_fn(unit, lat, lon)`` over the units that are
    ready, not busy and hold the capability. ``eta_fn`` is injected (the app passes the
    ranking engine's ETA); it may return ``None`` or ``inf`` for "cannot get there". ETAs are
    asked lazily, at most once per unit and point, and only for units that are free at some
    point of the window.

    Consecutive violating sub-windows for the same point and capability are merged into one
    conflict whose ``figure`` is the worst case: the largest minimum ETA (rounded to 0.1 min),
    or ``'no capable unit'``.
    """
    start, end = _window(*window)
    if threshold_min < 0:
        raise ValueError('threshold_min must not be negative')
    points = [CheckPoint(*p) for p in check_points]
    caps = list(dict.fromkeys(capabilities))
    usable = [u for u in units if u.ready and u.capabilities.intersection(caps)]
    clipped = {u.id: _clip(busy.get(u.id, ()), start, end) for u in usable}
    eta_cache: dict[tuple[UnitId, int], float] = {}

    def eta(unit: CoverageUnit, index: int) -> float:
        key = (unit.id, index)
        if key not in eta_cache:
            value = eta_fn(unit, points[index].lat, points[index].lon)
            eta_cache[key] = math.inf if value is None or math.isnan(value) else float(value)
        return eta_cache[key]

    open_runs: dict[tuple[int, str], dict[str, Any]] = {}
    finished: list[dict[str, Any]] = []
    for a, b, busy_here in _segments(clipped, start, end):
        free = [u for u in usable if u.id not in busy_here]
        for i, _point in enumerate(points):
            for cap in caps:
                best, best_unit = _first_capable(free, cap, lambda u, i=i: eta(u, i))
                _track_run(open_runs, finished, (i, cap), (a, b), best, best_unit, threshold_min)
    finished.extend(open_runs.values())
    conflicts = [_coverage_conflict(points[r['point']], r, threshold_min) for r in finished]
    conflicts.sort(key=lambda c: (c.point or '', c.capability or '', c.window_start))
    return conflicts


def _first_capable(free: Iterable[CoverageUnit], cap: str, eta: Callable[[CoverageUnit], float]):
    """The smallest ETA of a free unit holding ``cap``, and that unit (``inf``, None if none)."""
    best, best_unit = math.inf, None
    for u in free:
        if cap in u.capabilities and (t := eta(u)) < best:
            best, best_unit = t, u.id
    return best, best_unit


def _track_run(open_runs: dict[tuple[int, str], dict[str, Any]], finished: list[dict[str, Any]],
               key: tuple[int, str], segment: tuple[datetime, datetime], best: float, best_unit: UnitId | None,
               threshold_min: float) -> None:
    """Extend, close or open the violating run of (point, capability) ``key`` for one sub-window."""
    a, b = segment
    run = open_runs.get(key)
    if best <= threshold_min:
        if run is not None:
            finished.append(open_runs.pop(key))
        return
    if run is not None and run['end'] == a:
        run['end'] = b
        if best > run['worst']:
            run['worst'], run['unit'] = best, best_unit
        return
    if run is not None:
        finished.append(run)
    open_runs[key] = {'point': key[0], 'cap': key[1], 'start': a, 'end': b, 'worst': best, 'unit': best_unit}


def _coverage_conflict(point: CheckPoint, run: Mapping[str, Any], threshold_min: float) -> Conflict:
    worst = run['worst']
    span = _fmt_span(run['start'], run['end'])
    threshold = f'{threshold_min:g}'
    if math.isinf(worst):
        figure: float | str = 'no capable unit'
        text = f'{point.name} would have no available unit with {run["cap"]} {span} (threshold {threshold} min).'
    else:
        figure = round(worst, 1)
        text = (f'{point.name}: the first available unit with {run["cap"]} would need {figure:g} min '
                f'{span} (threshold {threshold} min).')
    return Conflict(
        kind=ConflictKind.COVERAGE_THRESHOLD, capability=run['cap'], point=point.name,
        unit_id=run['unit'], window_start=run['start'], window_end=run['end'], figure=figure,
        details={'threshold_min': threshold_min, 'lat': point.lat, 'lon': point.lon},
        message=text,
    )


# --------------------------------------------------------------------------- participation


def decide_acceptance(capacity: int | None, accepted_count: int) -> str:
    """What a unit's "yes" becomes: ``'accepted'`` while places are free, else ``'waitlisted'``.

    ``capacity=None`` means unlimited places.
    """
    if capacity is not None and capacity < 0:
        raise ValueError('capacity must not be negative')
    if accepted_count < 0:
        raise ValueError('accepted_count must not be negative')
    if capacity is None or accepted_count < capacity:
        return ParticipantStatus.ACCEPTED.value
    return ParticipantStatus.WAITLISTED.value


def promote_from_waitlist(
    capacity: int | None,
    participants: Iterable[tuple[UnitId, str, int]],
) -> list[UnitId]:
    """Units to move from the waiting list to accepted, first in line first.

    ``participants`` are ``(unit_id, status, order)`` with status invited/accepted/declined/
    waitlisted; ``order`` is the queue position (e.g. when the unit asked to join); ties go by
    unit id. Free places are ``capacity - accepted``; nobody is ever demoted when the capacity
    shrinks below the accepted count. ``capacity=None`` (unlimited) promotes everyone waiting.
    """
    if capacity is not None and capacity < 0:
        raise ValueError('capacity must not be negative')
    accepted, waiting = 0, []
    for unit_id, status, order in participants:
        try:
            status = ParticipantStatus(str(status).lower())
        except ValueError:
            raise ValueError(f'unknown participant status {status!r} for unit {unit_id}') from None
        if status is ParticipantStatus.ACCEPTED:
            accepted += 1
        elif status is ParticipantStatus.WAITLISTED:
            waiting.append((order, str(unit_id), unit_id))
    waiting.sort(key=lambda w: (w[0], w[1]))
    free = len(waiting) if capacity is None else max(0, capacity - accepted)
    return [unit_id for _, _, unit_id in waiting[:free]]
