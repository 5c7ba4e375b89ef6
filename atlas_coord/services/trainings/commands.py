"""The inputs of the training use cases (pydantic): what a planner, a unit or a reader sends.

The edge (``api/trainings.py``) validates request bodies and queries with these models and passes
them to the service functions of this package, so the dependency runs edge -> service.

Times are *local wall times at the venue* without an offset (``2027-03-10T09:00``), read in
the IANA zone given as ``timezone``; the service derives the UTC instants. A field that is
wrong is named in the 422 response (``rrule``, ``end_local``, ``timezone``, ``venue.lat``...).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, NaiveDatetime, StringConstraints, field_validator

from atlas_coord.domain import recurrence
from atlas_coord.domain.choices import TrainingKind, TrainingStatus
from atlas_coord.services.inputs import (
    CapabilityCode,
    Id,
    Latitude,
    Longitude,
    NotBoolean,
    Page,
    ShortText,
    StateCode,
    Strict,
)

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)]
UnitId = Id


def _day_or_instant(value):
    """``2027-03-31`` is a whole (UTC) day; anything longer is an instant (naive means UTC)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return date.fromisoformat(value.strip())
    return value


DayOrInstant = Annotated[datetime | date, BeforeValidator(_day_or_instant)]


class Venue(Strict):
    name: ShortText
    lat: Latitude
    lon: Longitude


def _check_timezone(value: str | None) -> str | None:
    if value is not None:
        recurrence.zone(value)  # ValueError names the zone
    return value


def _check_rrule(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return recurrence.validate_rrule(value)


class _TimingFields(Strict):
    """Per-field checks of the timing fields; cross-field rules (end after start, start on the
    rule) need the stored training for updates and run in the service, which names the field."""

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return _check_timezone(value)

    @field_validator("rrule", check_fields=False)
    @classmethod
    def _valid_rule(cls, value: str | None) -> str | None:
        return _check_rrule(value)


class TrainingCreate(_TimingFields):
    """A new training or exercise; ``invite_unit_ids`` are invited in this order (waiting-list order)."""

    kind: TrainingKind
    title: ShortText
    description: LongText | None = None
    host_unit_id: UnitId
    venue: Venue
    timezone: Annotated[str, Field(min_length=1, max_length=64, description="IANA zone of the venue")]
    start_local: NaiveDatetime = Field(description="first start, local wall time at the venue, no offset")
    end_local: NaiveDatetime = Field(description="first end, local wall time at the venue, no offset")
    rrule: Annotated[str, Field(max_length=500)] | None = Field(
        None, description='RFC 5545 RRULE value, e.g. "FREQ=MONTHLY;BYDAY=+3WE"'
    )
    align_start: bool = Field(False, description="move start_local to the rule's first occurrence on or after it")
    exdates: Annotated[list[NaiveDatetime], Field(max_length=500)] = []
    environments: Annotated[list[CapabilityCode], Field(max_length=30)] = []
    capabilities: Annotated[list[CapabilityCode], Field(max_length=50)] = []
    capacity: Annotated[int, Field(ge=1, le=1000), NotBoolean] | None = Field(None, description="places for guest units")
    funding_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    break_off_min: Annotated[int, Field(ge=0, le=7 * 24 * 60), NotBoolean] = Field(
        120, description="how fast participants can break off to deploy (shown with TRAINING)"
    )
    units_off_duty: bool | None = Field(
        None, description="participants go off duty; default true for command_post, field_exercise, common_challenge"
    )
    invite_unit_ids: Annotated[list[UnitId], Field(max_length=100)] = []
    override_reason: Reason | None = Field(None, description="save despite conflicts (needs training.override)")


class TrainingUpdate(_TimingFields):
    """Only the fields given change. ``expected_version`` rejects the change with 409 if the
    training changed meanwhile."""

    kind: TrainingKind | None = None
    title: ShortText | None = None
    description: LongText | None = None
    host_unit_id: UnitId | None = None
    venue: Venue | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    start_local: NaiveDatetime | None = None
    end_local: NaiveDatetime | None = None
    rrule: Annotated[str, Field(max_length=500)] | None = Field(None, description='"" removes the rule')
    align_start: bool = False
    exdates: Annotated[list[NaiveDatetime], Field(max_length=500)] | None = None
    environments: Annotated[list[CapabilityCode], Field(max_length=30)] | None = None
    capabilities: Annotated[list[CapabilityCode], Field(max_length=50)] | None = None
    capacity: Annotated[int, Field(ge=1, le=1000), NotBoolean] | None = None
    funding_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    break_off_min: Annotated[int, Field(ge=0, le=7 * 24 * 60), NotBoolean] | None = None
    units_off_duty: bool | None = None
    expected_version: Id | None = None
    override_reason: Reason | None = None


class TrainingCheck(TrainingCreate):
    """The same body as a create, checked without saving. ``training_id`` checks a change of an
    existing training (its own slots do not conflict with themselves)."""

    training_id: UnitId | None = None


class TrainingCancel(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    expected_version: Id | None = None


class OccurrenceEdit(Strict):
    """Move, rename or cancel one occurrence; times are local wall times at the venue."""

    start_local: NaiveDatetime | None = None
    end_local: NaiveDatetime | None = None
    cancelled: bool = False
    title: ShortText | None = None
    expected_version: Id | None = None
    override_reason: Reason | None = None


class Invitation(Strict):
    unit_ids: Annotated[list[UnitId], Field(min_length=1, max_length=100)]
    expected_version: Id | None = None
    override_reason: Reason | None = None

    @field_validator("unit_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a unit is listed twice")
        return value


class ParticipantResponse(Strict):
    answer: Literal["accept", "decline"]
    override_reason: Reason | None = None


class AttendanceEntry(Strict):
    unit_id: UnitId
    attended: bool
    personnel: Annotated[int, Field(ge=0, le=10_000), NotBoolean] | None = None
    hours: Annotated[float, Field(ge=0, le=24 * 14), NotBoolean] | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class AttendanceRecord(Strict):
    """Attendance of one occurrence, named by its original local start (``recurrence_id``)."""

    recurrence_id: NaiveDatetime
    entries: Annotated[list[AttendanceEntry], Field(min_length=1, max_length=200)]

    @field_validator("entries")
    @classmethod
    def _distinct(cls, value: list[AttendanceEntry]) -> list[AttendanceEntry]:
        if len({e.unit_id for e in value}) != len(value):
            raise ValueError("a unit is listed twice")
        return value


class TrainingFilter(Page):
    """``from``/``to`` select trainings with an occurrence in ``[from, to)`` (dates are read as UTC days)."""

    from_: DayOrInstant | None = Field(None, alias="from")
    to: DayOrInstant | None = None
    unit: UnitId | None = Field(None, description="trainings the unit hosts or is invited to")
    state: StateCode | None = Field(None, description="trainings hosted by or involving units of the state")
    kind: TrainingKind | None = None
    status: TrainingStatus | None = None

    model_config = Strict.model_config | {"populate_by_name": True}


class OccurrenceWindow(Strict):
    """The window of occurrences shown with one training (default: the next 90 days)."""

    from_: DayOrInstant | None = Field(None, alias="from")
    to: DayOrInstant | None = None

    model_config = Strict.model_config | {"populate_by_name": True}
