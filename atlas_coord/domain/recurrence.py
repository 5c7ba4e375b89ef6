"""Recurring trainings (RFC 5545 recurrence rules), expanded in the venue's wall time.

A training series is stored the way a calendar stores it: a first start as a *naive local
wall time* (``2027-01-20 09:00``), the IANA zone of the venue (``Europe/Berlin``), a duration,
an RRULE value (``FREQ=MONTHLY;BYDAY=+3WE`` = every third Wednesday), the excluded dates
(EXDATE) and the edited occurrences (RECURRENCE-ID overrides). :func:`expand` turns that into
concrete occurrences with UTC instants, for a window.

Wall-time semantics
    The rule is expanded on naive wall times with :mod:`dateutil.rrule` and only then placed
    in the zone, so "every 3rd Wednesday 09:00 Europe/Berlin" is 09:00 local in January
    (08:00 UTC) and in April (07:00 UTC). This is what RFC 5545 §3.3.10 asks for and what
    calendar clients do with ``DTSTART;TZID=...``.

Non-existent and repeated local times (RFC 5545 §3.3.5)
    Local times are resolved with :mod:`zoneinfo` and ``fold=0`` (PEP 495):

    * a time in the spring-forward *gap* (02:30 on 2027-03-28 in Berlin) is read with the
      UTC offset in force *before* the gap, i.e. it moves forward by the size of the gap:
      02:30 CET -> 01:30 UTC -> 03:30 CEST. RFC 5545 says exactly this;
    * a time that occurs twice in the autumn *overlap* (02:30 on 2027-10-31 in Berlin) means
      its *first* occurrence (still summer time: 00:30 UTC), as RFC 5545 requires.

    ``Occurrence.recurrence_id`` keeps the nominal wall time the rule produced (02:30; this
    is what EXDATE and RECURRENCE-ID refer to), ``start_local`` shows the real clock time
    (03:30+02:00).

Duration
    ``duration`` is a *wall-clock* duration: an occurrence ends at ``start wall time +
    duration`` in the venue's zone, so a "Saturday 08:00 to Sunday 18:00" exercise ends at
    18:00 local even on the weekend the clocks change (it then lasts 33 or 35 hours). For
    the usual daytime training no DST switch falls inside an occurrence and the wall and
    elapsed durations are the same. (RFC 5545 clients apply the *elapsed* DTSTART-DTEND
    span to every instance; the two readings differ only for an occurrence that contains a
    DST switch.)

DTSTART must be an occurrence
    RFC 5545 counts DTSTART as the first instance even when it does not match the rule;
    dateutil does not. To keep the app, dateutil and every calendar client in agreement,
    :func:`expand` rejects a DTSTART that is not the first occurrence of its rule. Use
    :func:`align_start` to move a planner's "from 1 January" to the first real occurrence.

UNTIL
    RFC 5545 wants UNTIL in UTC (``...Z``) when DTSTART has a TZID. We also accept a floating
    date-time (read as venue wall time) and a plain date (read as the end of that local
    day), and :func:`until_in_utc` rewrites either to the UTC form for export.

Nothing here imports Flask or SQLAlchemy; everything is a pure function of its arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule as _DateutilRule
from dateutil.rrule import rrulestr

__all__ = [
    'ALLOWED_FREQUENCIES',
    'MAX_COUNT_PART',
    'Occurrence',
    'OccurrenceOverride',
    'align_start',
    'expand',
    'last_start',
    'local_wall',
    'orphaned_overrides',
    'resolve_local',
    'until_in_utc',
    'validate_rrule',
    'zone',
]


#: Trainings recur at most once a day; SECONDLY, MINUTELY and HOURLY are refused.
ALLOWED_FREQUENCIES = ('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY')
_SUBDAILY_FREQUENCIES = ('SECONDLY', 'MINUTELY', 'HOURLY')
#: Largest COUNT accepted (a daily training for 27 years); keeps enumeration cheap.
MAX_COUNT_PART = 10_000
_KNOWN_PARTS = (
    'FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYSECOND', 'BYMINUTE', 'BYHOUR', 'BYDAY',
    'BYMONTHDAY', 'BYYEARDAY', 'BYWEEKNO', 'BYMONTH', 'BYSETPOS', 'WKST',
)
_UNTIL_RE = re.compile(r'^(\d{8})(?:T(\d{6})(Z?))?$')
# A rule that yields nothing for 30 years (e.g. 30 February) can never occur: the Gregorian
# calendar repeats its weekdays every 28 years between century years. dateutil searches an
# impossible rule period by period up to year 9999 (seconds for FREQ=DAILY), so the probe
# starts near that limit to bound the search to 30 years.
_PROBE_START = datetime(9970, 1, 1)


@dataclass(frozen=True, slots=True)
class OccurrenceOverride:
    """An edit of one occurrence of a series, keyed by its original local start.

    ``start_local``/``end_local`` are naive wall times in the venue's zone; leave them
    ``None`` to keep the original time (e.g. only the title changes). ``cancelled=True``
    removes the occurrence, like an EXDATE, but remains visible to calendar clients as a
    cancelled instance.
    """

    start_local: datetime | None = None
    end_local: datetime | None = None
    cancelled: bool = False
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete occurrence of a training.

    ``recurrence_id`` is the naive local start the rule produced (the key of EXDATE and of
    overrides); ``start_local``/``end_local`` are aware datetimes in the venue's zone showing
    the real clock time; ``start_utc``/``end_utc`` are aware UTC instants. ``title`` is set
    only when an override renamed this occurrence.
    """

    recurrence_id: datetime
    start_utc: datetime
    end_utc: datetime
    start_local: datetime
    end_local: datetime
    overridden: bool = False
    title: str | None = None


# --------------------------------------------------------------------------- helpers


def zone(tz: str) -> ZoneInfo:
    """Return the :class:`~zoneinfo.ZoneInfo` for an IANA name, or raise ``ValueError``."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f'unknown time zone {tz!r}; use an IANA name such as "Europe/Berlin"') from exc


def resolve_local(wall: datetime, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """Place a naive wall time in ``tz``; return ``(utc_instant, real_local_clock_time)``.

    Gap times move forward (offset before the gap), repeated times mean the first of the two
    (``fold=0``); see the module docstring.
    """
    _require_naive(wall, 'local time')
    zi = tz if isinstance(tz, ZoneInfo) else zone(tz)
    instant = wall.replace(tzinfo=zi, fold=0).astimezone(UTC)
    return instant, instant.astimezone(zi)


def _require_naive(value: datetime, what: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f'{what} must be a datetime, got {type(value).__name__}')
    if value.tzinfo is not None:
        raise ValueError(f'{what} must be a naive wall time in the venue zone, got {value.isoformat()}')


def _require_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f'{what} must be a datetime, got {type(value).__name__}')
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f'{what} must be timezone-aware (UTC), got naive {value.isoformat()}')


def local_wall(value: datetime, tz: str | ZoneInfo) -> datetime:
    """Return ``value`` as a naive wall time in ``tz``; aware values are converted first."""
    zi = tz if isinstance(tz, ZoneInfo) else zone(tz)
    if value.tzinfo is not None:
        return value.astimezone(zi).replace(tzinfo=None, fold=0)
    return value


def _split_rule(text: str) -> dict[str, str]:
    """Split and normalise an RRULE value into an ordered ``{PART: value}`` mapping."""
    if not isinstance(text, str):
        raise ValueError(f'a recurrence rule must be text, got {type(text).__name__}')
    body = text.strip()
    if body.upper().startswith('RRULE:'):
        body = body[len('RRULE:'):]
    if not body:
        raise ValueError('the recurrence rule is empty; give e.g. "FREQ=WEEKLY;BYDAY=WE"')
    if any(ch in body for ch in '\r\n'):
        raise ValueError('give a single RRULE value, without DTSTART/EXDATE lines')
    parts: dict[str, str] = {}
    for chunk in body.strip(';').split(';'):
        key, sep, value = chunk.partition('=')
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value:
            raise ValueError(f'invalid recurrence rule part {chunk!r}: expected NAME=VALUE')
        if key not in _KNOWN_PARTS:
            raise ValueError(f'unknown recurrence rule part {key!r}')
        if key in parts:
            raise ValueError(f'recurrence rule part {key} is given twice')
        parts[key] = value
    return parts


def _join(parts: Mapping[str, str]) -> str:
    ordered = ['FREQ'] + [k for k in parts if k != 'FREQ']
    return ';'.join(f'{k}={parts[k]}' for k in ordered if k in parts)


def _positive_int(parts: Mapping[str, str], key: str) -> None:
    if key in parts:
        value = parts[key]
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f'{key} must be a positive whole number, got {value!r}')


def _parse_until(value: str) -> tuple[str, datetime]:
    """Return ``(kind, value)``, kind in ``utc`` / ``floating`` / ``date`` (naive result)."""
    match = _UNTIL_RE.match(value)
    if not match:
        raise ValueError(f'UNTIL must look like 20271231T230000Z (or 20271231), got {value!r}')
    day, clock, z = match.groups()
    try:
        if clock is None:
            return 'date', datetime.strptime(day, '%Y%m%d')
        parsed = datetime.strptime(day + clock, '%Y%m%d%H%M%S')
    except ValueError as exc:
        raise ValueError(f'UNTIL is not a valid date-time: {value!r}') from exc
    return ('utc' if z else 'floating'), parsed


def _until_instant(value: str, zi: ZoneInfo) -> datetime:
    kind, parsed = _parse_until(value)
    if kind == 'utc':
        return parsed.replace(tzinfo=UTC)
    if kind == 'date':  # lenient: a plain date means "up to the end of that local day"
        parsed = datetime.combine(parsed.date(), time(23, 59, 59))
    return resolve_local(parsed, zi)[0]


def _validated_parts(text: str) -> dict[str, str]:
    parts = _split_rule(text)
    freq = parts.get('FREQ')
    if freq is None:
        raise ValueError('the recurrence rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)')
    if freq in _SUBDAILY_FREQUENCIES:
        raise ValueError(f'FREQ={freq} is not allowed: trainings recur at most daily '
                         '(use DAILY, WEEKLY, MONTHLY or YEARLY)')
    if freq not in ALLOWED_FREQUENCIES:
        raise ValueError(f'unknown FREQ {freq!r}; use DAILY, WEEKLY, MONTHLY or YEARLY')
    if 'COUNT' in parts and 'UNTIL' in parts:
        raise ValueError('a recurrence rule may have COUNT or UNTIL, not both')
    _positive_int(parts, 'COUNT')
    if 'COUNT' in parts and int(parts['COUNT']) > MAX_COUNT_PART:
        raise ValueError(f'COUNT={parts["COUNT"]} is too large; at most {MAX_COUNT_PART} occurrences, '
                         'or leave the series open-ended')
    _positive_int(parts, 'INTERVAL')
    for key in ('BYHOUR', 'BYMINUTE', 'BYSECOND'):
        if key in parts and ',' in parts[key]:
            raise ValueError(f'{key} with several values would repeat a training within a day; '
                             'create separate trainings instead')
    if 'UNTIL' in parts:
        _parse_until(parts['UNTIL'])
    return parts


def _dateutil_rule(parts: Mapping[str, str], dtstart: datetime) -> _DateutilRule:
    """A dateutil rule on naive wall times; UNTIL is left out (we apply it in UTC ourselves)."""
    body = _join({k: v for k, v in parts.items() if k != 'UNTIL'})
    try:
        return rrulestr(body, dtstart=dtstart, forceset=False)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f'invalid recurrence rule {body!r}: {exc}') from exc


# --------------------------------------------------------------------------- public API


def validate_rrule(text: str) -> str:
    """Check an RRULE value and return it normalised (upper case, FREQ first, no ``RRULE:``).

    Refused, with a message a planner can act on: unknown or repeated parts, a missing FREQ,
    FREQ=SECONDLY/MINUTELY/HOURLY (trainings recur at most daily), several BYHOUR/BYMINUTE/
    BYSECOND values, COUNT together with UNTIL, COUNT or INTERVAL below 1, a malformed UNTIL,
    anything dateutil cannot parse (``BYDAY=XX``), and rules that can never occur (30 February).
    Open-ended rules are fine: expansion is always windowed.

    :raise ValueError: if the rule is not acceptable.
    """
    parts = _validated_parts(text)
    probe = _dateutil_rule({k: v for k, v in parts.items() if k != 'COUNT'}, _PROBE_START)
    if next(iter(probe), None) is None:
        raise ValueError(f'the recurrence rule {_join(parts)!r} never produces a date')
    return _join(parts)


def until_in_utc(rrule: str, tz: str) -> str:
    """Return the validated rule with UNTIL rewritten to UTC (``...Z``), as RFC 5545 requires
    when DTSTART carries a TZID. Floating and date-only UNTIL values are read in ``tz``."""
    parts = _validated_parts(rrule)
    if 'UNTIL' in parts:
        parts['UNTIL'] = _until_instant(parts['UNTIL'], zone(tz)).strftime('%Y%m%dT%H%M%SZ')
    return validate_rrule(_join(parts))


def align_start(dtstart_local: datetime, rrule: str, tz: str) -> datetime:
    """Return the first occurrence of ``rrule`` at or after ``dtstart_local`` (naive wall time).

    The time of day comes from ``dtstart_local`` unless the rule has BYHOUR/BYMINUTE. Use this
    when a planner says "every 3rd Wednesday, starting 1 January": store the returned value as
    the series' DTSTART. ``tz`` is needed to compare against a UTC UNTIL.

    :raise ValueError: if the rule is invalid or has no occurrence from that start on.
    """
    _require_naive(dtstart_local, 'dtstart_local')
    parts = _split_rule(validate_rrule(rrule))
    rule = _dateutil_rule(parts, dtstart_local)
    first = rule.after(dtstart_local, inc=True)
    if (first is not None and 'UNTIL' in parts
            and resolve_local(first, tz)[0] > _until_instant(parts['UNTIL'], zone(tz))):
        first = None
    if first is None:
        raise ValueError(f'{_join(parts)!r} has no occurrence on or after {dtstart_local:%Y-%m-%d %H:%M}')
    return first


class _Series:
    """A validated series: rule membership and UNTIL, all in wall time / UTC."""

    def __init__(self, dtstart: datetime, zi: ZoneInfo, rrule: str | None):
        self.dtstart = dtstart
        self.zi = zi
        self.rule: _DateutilRule | None = None
        self.until_utc: datetime | None = None
        if rrule is None:
            return
        parts = _split_rule(validate_rrule(rrule))
        self.rule = _dateutil_rule(parts, dtstart)
        if 'UNTIL' in parts:
            self.until_utc = _until_instant(parts['UNTIL'], zi)
        first = self.rule.after(dtstart, inc=True)
        if first != dtstart:
            hint = f'; the first one is {first:%Y-%m-%d %H:%M}' if first else ''
            raise ValueError(
                f'the series start {dtstart:%Y-%m-%d %H:%M} is not an occurrence of '
                f'{_join(parts)!r}{hint}. Store align_start(start, rule) as the start.')

    def _before_until(self, wall: datetime) -> bool:
        return self.until_utc is None or resolve_local(wall, self.zi)[0] <= self.until_utc

    def between(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Rule instances (naive wall times) with ``lo <= start <= hi``."""
        if self.rule is None:
            starts = [self.dtstart] if lo <= self.dtstart <= hi else []
        else:
            starts = self.rule.between(lo, hi, inc=True)
        return [s for s in starts if self._before_until(s)]

    def contains(self, wall: datetime) -> bool:
        return bool(self.between(wall, wall))


def _edited_span(rid: datetime, edit: OccurrenceOverride, duration: timedelta,
                 zi: ZoneInfo) -> tuple[datetime, datetime]:
    """Wall-time start and end of an edited occurrence (the duration is kept if no end)."""
    start = rid if edit.start_local is None else local_wall(edit.start_local, zi)
    end = start + duration if edit.end_local is None else local_wall(edit.end_local, zi)
    if end <= start and not edit.cancelled:
        raise ValueError(f'the edited occurrence of {rid:%Y-%m-%d %H:%M} must end after it starts')
    return start, end


def expand(
    dtstart_local: datetime,
    tz: str,
    duration: timedelta,
    rrule: str | None = None,
    *,
    exdates: Iterable[datetime] = (),
    overrides: Mapping[datetime, OccurrenceOverride] | None = None,
    window_start_utc: datetime,
    window_end_utc: datetime,
    max_count: int = 500,
) -> list[Occurrence]:
    """Expand a training series into the occurrences that overlap a UTC window.

    :param dtstart_local: naive wall time of the first occurrence, in ``tz``; it must be an
        occurrence of ``rrule`` (see :func:`align_start`).
    :param tz: IANA zone of the venue, e.g. ``"Europe/Lisbon"``.
    :param duration: positive wall-clock length of each occurrence (see module docstring).
    :param rrule: RFC 5545 RRULE value, or ``None`` for a one-off training.
    :param exdates: naive local starts to leave out (EXDATE). Aware values are converted
        into ``tz`` first.
    :param overrides: edits keyed by the occurrence's original naive local start
        (RECURRENCE-ID). A moved occurrence is returned at its new time, also when only the
        new time falls in the window; a cancelled one is left out. Overrides that match no
        occurrence (e.g. after the rule changed) are ignored; find them with
        :func:`orphaned_overrides`.
    :param window_start_utc, window_end_utc: aware instants; an occurrence is returned when
        ``start_utc < window_end_utc`` and ``end_utc > window_start_utc``.
    :param max_count: safety cap; at most this many occurrences (the earliest) are returned.
        A caller that needs completeness, such as a conflict check, should treat
        ``len(result) == max_count`` as "narrow the window".
    :return: occurrences sorted by ``start_utc``.
    :raise ValueError: invalid zone, rule, duration, window, or a start that is not an
        occurrence of its rule.
    """
    _require_naive(dtstart_local, 'dtstart_local')
    _require_aware(window_start_utc, 'window_start_utc')
    _require_aware(window_end_utc, 'window_end_utc')
    if window_end_utc <= window_start_utc:
        raise ValueError('the window must end after it starts')
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise ValueError(f'duration must be a positive timedelta, got {duration!r}')
    if max_count < 1:
        raise ValueError('max_count must be at least 1')
    zi = zone(tz)
    series = _Series(dtstart_local, zi, rrule)
    excluded = {local_wall(x, zi) for x in exdates}
    edits = {local_wall(k, zi): v for k, v in (overrides or {}).items()}

    spans = {rid: _edited_span(rid, edit, duration, zi) for rid, edit in edits.items()}

    def build(recurrence_id: datetime) -> Occurrence | None:
        edit = edits.get(recurrence_id)
        if edit is not None and edit.cancelled:
            return None
        start_wall, end_wall = spans.get(recurrence_id, (recurrence_id, recurrence_id + duration))
        start_utc, start_local = resolve_local(start_wall, zi)
        end_utc, end_local = resolve_local(end_wall, zi)
        if not (start_utc < window_end_utc and end_utc > window_start_utc):
            return None
        return Occurrence(recurrence_id, start_utc, end_utc, start_local, end_local,
                          overridden=edit is not None, title=edit.title if edit else None)

    # Rule instances whose *original* slot can touch the window: widen by the duration and a
    # day either side so that any UTC offset is covered, then filter exactly in UTC.
    lo = window_start_utc.astimezone(zi).replace(tzinfo=None) - duration - timedelta(days=1)
    hi = window_end_utc.astimezone(zi).replace(tzinfo=None) + timedelta(days=1)
    candidates = {s for s in series.between(lo, hi) if s not in excluded}
    # Moved occurrences may enter the window from anywhere in the series.
    candidates |= {rid for rid, edit in edits.items()
                   if not edit.cancelled and rid not in excluded and rid not in candidates
                   and series.contains(rid)}
    found = [occ for rid in candidates if (occ := build(rid)) is not None]
    found.sort(key=lambda o: (o.start_utc, o.recurrence_id))
    return found[:max_count]


def last_start(dtstart_local: datetime, tz: str, rrule: str | None) -> datetime | None:
    """Naive local start of the last occurrence of the rule (EXDATEs not considered), or
    ``None`` for an open-ended series. A bounded rule whose UNTIL lies before its first
    occurrence returns ``dtstart_local``."""
    if rrule is None:
        _require_naive(dtstart_local, 'dtstart_local')
        return dtstart_local
    zi = zone(tz)
    series = _Series(dtstart_local, zi, rrule)
    parts = _split_rule(rrule)
    if 'UNTIL' in parts:
        hi = series.until_utc.astimezone(zi).replace(tzinfo=None) + timedelta(days=1)
        starts = series.between(dtstart_local, hi)
        return starts[-1] if starts else dtstart_local
    if 'COUNT' in parts:
        return list(series.rule)[-1]
    return None


def orphaned_overrides(
    dtstart_local: datetime,
    tz: str,
    rrule: str | None,
    overrides: Iterable[datetime],
    *,
    exdates: Iterable[datetime] = (),
) -> list[datetime]:
    """Return the override keys that match no (non-excluded) occurrence of the series.

    :func:`expand` ignores such overrides; a service can use this to warn the planner after
    the rule was edited, or to clean them up.
    """
    zi = zone(tz)
    series = _Series(dtstart_local, zi, rrule)
    excluded = {local_wall(x, zi) for x in exdates}
    return sorted(k for k in (local_wall(o, zi) for o in overrides)
                  if k in excluded or not series.contains(k))

