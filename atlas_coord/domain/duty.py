"""Duty rosters: who is on duty at an instant, where a roster leaves nobody on duty, and which
rosters are refused.

A roster belongs to one organisation (a State's competent authority or crisis centre, or a
unit) and is written in that organisation's time zone. Weekly shifts recur on a weekday between
two wall-clock times (an end at or before the start runs into the next day); exceptions are
one-off shifts on a date that replace the weekly shifts while they last (an exception without a
primary officer leaves the time uncovered on purpose, e.g. a public holiday handled elsewhere).

Wall-clock rules: "on duty at t" converts t to the organisation's local wall time and reads the
roster there, so a 22:00-06:00 night shift covers the whole night across a DST change (the
night is then an hour shorter or longer in UTC). Pure Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(EMAIL.match(value))


def valid_phone(value: str) -> bool:
    """E.164: a plus, a country code and at most 15 digits in all, no spaces."""
    return bool(E164.match(value))


def zone(name: str) -> ZoneInfo:
    """:raise ValueError: not an IANA time zone name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Shift:
    """A weekly shift: ``weekday`` 0 = Monday; officers are opaque keys (usernames)."""

    weekday: int
    start: time
    end: time
    primary: str
    backup: str | None = None

    @property
    def minutes(self) -> int:
        """Its length; 0 means empty (start equals end)."""
        return (_minute(self.end) - _minute(self.start)) % MINUTES_PER_DAY

    @property
    def week_start(self) -> int:
        return self.weekday * MINUTES_PER_DAY + _minute(self.start)

    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Exception_:
    """A one-off shift on ``day`` replacing the weekly shifts while it lasts."""

    day: date
    start: time
    end: time
    primary: str | None = None
    backup: str | None = None

    def local_bounds(self) -> tuple[datetime, datetime]:
        begin = datetime.combine(self.day, self.start)
        end = datetime.combine(self.day, self.end)
        return begin, end if end > begin else end + timedelta(days=1)

    def label(self) -> str:
        return f"{self.day.isoformat()} {self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Roster:
    timezone: str
    shifts: tuple[Shift, ...] = ()
    exceptions: tuple[Exception_, ...] = ()


@dataclass(frozen=True)
class OnDuty:
    primary: str | None
    backup: str | None
    shift: str
    until: datetime | None = None


@dataclass(frozen=True)
class Clash:
    """Why a roster is refused: ``field`` names the entry, ``message`` the clash."""

    field: str
    message: str


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute


# ---------------------------------------------------------------- validation

def _shift_clashes(shifts: tuple[Shift, ...]) -> list[Clash]:
    clashes: list[Clash] = []
    for index, shift in enumerate(shifts):
        if shift.minutes == 0:
            clashes.append(Clash(f"shifts.{index}", f"shift {shift.label()} is empty (start equals end)"))
    for i, first in enumerate(shifts):
        for j in range(i + 1, len(shifts)):
            second = shifts[j]
            if first.minutes and second.minutes and _weekly_overlap(first, second):
                clashes.append(Clash(f"shifts.{j}", f"shift {second.label()} overlaps shift {first.label()}"))
    return clashes


def _weekly_overlap(first: Shift, second: Shift) -> bool:
    offset = (second.week_start - first.week_start) % MINUTES_PER_WEEK
    # second starts inside first, or first starts inside second (both measured around the week)
    return offset < first.minutes or (MINUTES_PER_WEEK - offset) % MINUTES_PER_WEEK < second.minutes


def _exception_clashes(exceptions: tuple[Exception_, ...]) -> list[Clash]:
    clashes: list[Clash] = []
    for index, item in enumerate(exceptions):
        if item.start == item.end:
            clashes.append(Clash(f"exceptions.{index}", f"exception {item.label()} is empty (start equals end)"))
    for i, first in enumerate(exceptions):
        a0, a1 = first.local_bounds()
        for j in range(i + 1, len(exceptions)):
            b0, b1 = exceptions[j].local_bounds()
            if a0 < b1 and b0 < a1 and first.start != first.end and exceptions[j].start != exceptions[j].end:
                clashes.append(Clash(f"exceptions.{j}",
                                     f"exception {exceptions[j].label()} overlaps exception {first.label()}"))
    return clashes


def clashes(roster: Roster) -> list[Clash]:
    """Every reason to refuse ``roster``: unknown zone, empty or overlapping shifts or exceptions,
    a backup who is also the primary."""
    found: list[Clash] = []
    try:
        zone(roster.timezone)
    except ValueError as exc:
        found.append(Clash("timezone", str(exc)))
    found += _shift_clashes(roster.shifts)
    found += _exception_clashes(roster.exceptions)
    for index, shift in enumerate(roster.shifts):
        if shift.backup is not None and shift.backup == shift.primary:
            found.append(Clash(f"shifts.{index}.backup", f"shift {shift.label()}: the backup is the primary"))
    return found


# ---------------------------------------------------------------- who is on duty

def _local(at: datetime, tz: ZoneInfo) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive instant")
    return at.astimezone(tz).replace(tzinfo=None)


def _to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC)


def on_duty(roster: Roster, at: datetime) -> OnDuty | None:
    """Who is on duty at the instant ``at`` (aware), or None when nobody is."""
    tz = zone(roster.timezone)
    wall = _local(at, tz)
    for item in roster.exceptions:
        begin, end = item.local_bounds()
        if begin <= wall < end:
            if item.primary is None:
                return None
            return OnDuty(item.primary, item.backup, f"exception {item.label()}", _to_utc(end, tz))
    minute = wall.weekday() * MINUTES_PER_DAY + wall.hour * 60 + wall.minute
    for shift in roster.shifts:
        into = (minute - shift.week_start) % MINUTES_PER_WEEK
        if into < shift.minutes:
            end_wall = wall.replace(second=0, microsecond=0) + timedelta(minutes=shift.minutes - into)
            return OnDuty(shift.primary, shift.backup, shift.label(), _to_utc(end_wall, tz))
    return None


# ---------------------------------------------------------------- gaps

def _weekly_intervals(roster: Roster, tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    first_day = _local(start, tz).date() - timedelta(days=1)
    last_day = _local(end, tz).date()
    found = []
    day = first_day
    while day <= last_day:
        for shift in roster.shifts:
            if shift.weekday == day.weekday() and shift.minutes:
                wall = datetime.combine(day, shift.start)
                found.append((_to_utc(wall, tz), _to_utc(wall + timedelta(minutes=shift.minutes), tz)))
        day += timedelta(days=1)
    return found


def _subtract(intervals: list[tuple[datetime, datetime]], holes: list[tuple[datetime, datetime]]):
    result = []
    for begin, end in intervals:
        pieces = [(begin, end)]
        for h0, h1 in holes:
            pieces = [p for b, e in pieces for p in ((b, min(e, h0)), (max(b, h1), e)) if p[0] < p[1]]
        result.extend(pieces)
    return result


def covered(roster: Roster, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC intervals within [start, end) with a primary officer on duty, merged and sorted."""
    tz = zone(roster.timezone)
    replaced = [(_to_utc(b, tz), _to_utc(e, tz)) for b, e in (x.local_bounds() for x in roster.exceptions)]
    staffed = [(_to_utc(b, tz), _to_utc(e, tz)) for x in roster.exceptions if x.primary
               for b, e in [x.local_bounds()]]
    intervals = _subtract(_weekly_intervals(roster, tz, start, end), replaced) + staffed
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted((max(b, start), min(e, end)) for b, e in intervals):
        if begin >= finish:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def gaps(roster: Roster, start: datetime, end: datetime) -> list[Gap]:
    """The times within [start, end) (aware instants) when nobody is on duty, in UTC."""
    found: list[Gap] = []
    cursor = start.astimezone(UTC)
    for begin, finish in covered(roster, start.astimezone(UTC), end.astimezone(UTC)):
        if begin > cursor:
            found.append(Gap(cursor, begin))
        cursor = max(cursor, finish)
    if cursor < end:
        found.append(Gap(cursor, end.astimezone(UTC)))
    return found


# ---------------------------------------------------------------- escalation ladder

@dataclass(frozen=True)
class Contact:
    """One way to reach an officer: ``channel`` console, email, sms or voice."""

    channel: str
    address: str
    officer: str | None = None


@dataclass(frozen=True)
class Ladder:
    """The steps of one alert: each step's contacts are tried together; the next step follows
    when nobody acknowledged within the rule's minutes."""

    steps: tuple[tuple[Contact, ...], ...] = field(default_factory=tuple)


def ladder(primary: list[Contact], backup: list[Contact], fallback: str | None, *, with_backup: bool) -> Ladder:
    """The escalation ladder: the primary's console and first contact point, the primary's next
    contact points one by one, then the backup likewise, then the organisation's fallback address.
    ``with_backup`` (an overdue answer) calls the backup at once alongside the primary."""
    steps: list[tuple[Contact, ...]] = []

    def officer_steps(contacts: list[Contact]) -> list[tuple[Contact, ...]]:
        console = [c for c in contacts if c.channel == "console"]
        others = [c for c in contacts if c.channel != "console"]
        if not contacts:
            return []
        first = tuple(console + others[:1])
        return [first] + [(c,) for c in others[1:]]

    mine, theirs = officer_steps(primary), officer_steps(backup)
    if with_backup and mine and theirs:
        steps.append(mine[0] + theirs[0])
        steps += mine[1:] + theirs[1:]
    else:
        steps += mine + theirs
    if fallback:
        steps.append((Contact("email", fallback, None),))
    return Ladder(tuple(steps))
