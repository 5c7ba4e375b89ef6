"""When a training happens: the venue's zone, the first occurrence as wall times, the rule, its
exceptions and edited occurrences (:class:`Timing`), read from a training row (:func:`timing_of`)
or checked from a planner's input (:func:`validated_timing`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from atlas_coord.domain import recurrence
from atlas_coord.models import Training, TrainingOccurrenceOverride

from ..errors import Invalid

#: How far ahead a plan is checked, and at most how many of its occurrences.
CHECK_HORIZON = timedelta(days=730)
MAX_CHECKED_OCCURRENCES = 500
#: Longest single occurrence (a multi-day field exercise).
MAX_OCCURRENCE = timedelta(days=14)


@dataclass(frozen=True)
class Timing:
    """When a training happens: the venue's zone, the first occurrence as naive wall times,
    the rule, its exceptions and the edited occurrences."""

    tz: str
    start_local: datetime
    end_local: datetime
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    overrides: Mapping[datetime, recurrence.OccurrenceOverride] = field(default_factory=dict)

    @property
    def duration(self) -> timedelta:
        return self.end_local - self.start_local

    def occurrences(self, start_utc: datetime, end_utc: datetime, max_count: int = MAX_CHECKED_OCCURRENCES):
        return recurrence.expand(
            self.start_local, self.tz, self.duration, self.rrule,
            exdates=self.exdates, overrides=self.overrides,
            window_start_utc=start_utc, window_end_utc=end_utc, max_count=max_count,
        )

    def first_instants(self) -> tuple[datetime, datetime]:
        return recurrence.resolve_local(self.start_local, self.tz)[0], recurrence.resolve_local(self.end_local, self.tz)[0]

    def series_end_utc(self) -> datetime | None:
        """End of the last occurrence (moved occurrences included), or None if open-ended."""
        last = recurrence.last_start(self.start_local, self.tz, self.rrule)
        if last is None:
            return None
        ends = [recurrence.resolve_local(last + self.duration, self.tz)[0]]
        for rid, edit in self.overrides.items():
            if not edit.cancelled:
                start = edit.start_local or rid
                ends.append(recurrence.resolve_local(edit.end_local or start + self.duration, self.tz)[0])
        return max(ends)

    def contains(self, recurrence_id: datetime) -> bool:
        """True when ``recurrence_id`` is an occurrence of the rule and not excluded."""
        return not recurrence.orphaned_overrides(
            self.start_local, self.tz, self.rrule, [recurrence_id], exdates=self.exdates
        )


def timing_of(training: Training, overrides: Iterable[TrainingOccurrenceOverride] | None = None) -> Timing:
    rows = training.occurrence_overrides if overrides is None else overrides
    return Timing(
        tz=training.timezone,
        start_local=training.start_local,
        end_local=training.end_local,
        rrule=training.rrule,
        exdates=tuple(datetime.fromisoformat(x) for x in training.exdates or ()),
        overrides={
            o.recurrence_id: recurrence.OccurrenceOverride(o.start_local, o.end_local, o.cancelled, o.title)
            for o in rows
        },
    )


def check_duration(start_local: datetime, end_local: datetime, what: str = "the training") -> None:
    """One occurrence ends after it starts and lasts at most :data:`MAX_OCCURRENCE`.

    :raise Invalid: naming ``end_local``.
    """
    if end_local <= start_local:
        raise Invalid(f"{what} must end after it starts", fields={"end_local": "must be after start_local"})
    if end_local - start_local > MAX_OCCURRENCE:
        raise Invalid(
            f"one occurrence may last at most {MAX_OCCURRENCE.days} days",
            fields={"end_local": f"at most {MAX_OCCURRENCE.days} days after start_local"},
        )


def validated_timing(
    tz: str,
    start_local: datetime,
    end_local: datetime,
    rrule: str | None,
    exdates: Iterable[datetime],
    *,
    align: bool,
    overrides: Mapping[datetime, recurrence.OccurrenceOverride] | None = None,
) -> Timing:
    """Cross-field timing rules; the start is moved to the rule's first occurrence if ``align``.

    :raise Invalid: naming ``end_local``, ``start_local``, ``rrule`` or ``exdates.N``.
    """
    check_duration(start_local, end_local)
    exdates = sorted(set(exdates))
    if rrule is not None:
        try:
            first = recurrence.align_start(start_local, rrule, tz)
        except ValueError as exc:
            raise Invalid(str(exc), fields={"rrule": str(exc)}) from exc
        if first != start_local:
            if not align:
                message = (f"{start_local:%Y-%m-%d %H:%M} is not an occurrence of {rrule}; the first one is "
                           f"{first:%Y-%m-%dT%H:%M} (send align_start=true to start the series there)")
                raise Invalid(message, fields={"start_local": message})
            end_local = first + (end_local - start_local)
            start_local = first
    elif exdates:
        raise Invalid("exceptions need a recurrence rule", fields={"exdates": "only for a series with rrule"})
    stray = set(recurrence.orphaned_overrides(start_local, tz, rrule, exdates))
    for index, value in enumerate(exdates):
        if value in stray:
            raise Invalid(
                f"{value:%Y-%m-%d %H:%M} is not an occurrence of the series",
                fields={f"exdates.{index}": "not an occurrence of the series"},
            )
    return Timing(tz, start_local, end_local, rrule, tuple(exdates), dict(overrides or {}))


def as_utc(value: datetime | date | None, *, end: bool = False) -> datetime | None:
    """An instant (naive means UTC), or a whole UTC day: its start, or with ``end`` its end."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    moment = datetime.combine(value, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment
