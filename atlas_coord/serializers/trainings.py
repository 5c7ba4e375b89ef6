"""Response models of trainings: the training, its participants, occurrences, conflicts and
attendance, the saved/check/detail bodies, and the payloads of the training events.

Wire conventions kept from the first API (static/js reads them): instants are UTC with a ``Z``
(``2027-03-10T08:00:00Z``); venue wall times have minutes and no offset (``2027-03-10T09:00``).

The constructors read service values (rows, :class:`~atlas_coord.services.trainings.Saved`,
:class:`~atlas_coord.services.trainings.Assessment`, ...) by attribute; they are imported for
type checking only, so the services can freeze event payloads with these models without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema

from atlas_coord.domain import conflict_summary as grouping
from atlas_coord.domain import training_rules as rules

from . import Out, Page, PagedPage

if TYPE_CHECKING:
    from atlas_coord.domain.recurrence import Occurrence
    from atlas_coord.models import (
        Training,
        TrainingAttendance,
        TrainingParticipant,
        TrainingReminder,
        TrainingRun,
        Unit,
    )
    from atlas_coord.services.trainings import Assessment, Saved, TrainingDetail


def utc_text(value: datetime) -> str:
    """``2027-03-10T08:00:00Z``: the instant in UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_text(value: datetime) -> str:
    """``2027-03-10T09:00``: a wall time at the venue, to the minute, without offset."""
    return value.isoformat(timespec="minutes")


UtcTime = Annotated[datetime, PlainSerializer(utc_text, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date-time"})]
LocalTime = Annotated[datetime, PlainSerializer(local_text, return_type=str),
                      WithJsonSchema({"type": "string", "description": "local wall time at the venue, e.g. 2027-03-17T09:00"})]


def _jsonable(value: Any) -> Any:
    """A conflict detail as JSON: instants in UTC, sets as sorted lists."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


class ConflictOut(Out):
    """One planning conflict: what, where, when, the figure that matters and a sentence."""

    kind: str
    state: str | None
    capability: str | None
    unit_id: int | str | None
    point: str | None
    window_start: UtcTime
    window_end: UtcTime | None
    figure: int | float | str | None
    details: dict[str, Any]
    message: str

    @classmethod
    def of(cls, c: rules.Conflict) -> ConflictOut:
        return cls(kind=str(c.kind), state=c.state, capability=c.capability, unit_id=c.unit_id, point=c.point,
                   window_start=c.window_start, window_end=c.window_end, figure=c.figure,
                   details={k: _jsonable(v) for k, v in c.details.items()}, message=c.message)


def conflicts_wire(conflicts: Iterable[rules.Conflict]) -> list[dict[str, Any]]:
    """Conflicts as stored with an override and sent in a 409 ``training_conflict`` body."""
    return [ConflictOut.of(c).wire() for c in conflicts]


class ConflictGroupOut(Out):
    """The conflicts of one kind, state and capability: how many, over which span, where, the
    worst figure, and their positions (``conflicts``) in the list they summarise."""

    capability: str | None
    capability_name: str | None
    count: int
    window_start: UtcTime
    window_end: UtcTime | None
    points: list[str]
    unit_ids: list[int | str]
    worst_figure: int | float | str | None
    conflicts: list[int]

    @classmethod
    def of(cls, g: grouping.CapabilityGroup) -> ConflictGroupOut:
        return cls(capability=g.capability, capability_name=g.capability_name, count=g.count,
                   window_start=g.window_start, window_end=g.window_end, points=list(g.points),
                   unit_ids=list(g.unit_ids), worst_figure=g.worst_figure, conflicts=list(g.conflict_indexes))


class StateConflictsOut(Out):
    """The conflicts of one kind in one state (``state`` null and ``name`` "Across the network"
    for the coverage of the capitals)."""

    state: str | None
    name: str
    count: int
    groups: list[ConflictGroupOut]


class KindConflictsOut(Out):
    """The conflicts of one kind (``label`` its plain name), by state."""

    kind: str
    label: str
    count: int
    states: list[StateConflictsOut]


class ConflictSummaryOut(Out):
    """Conflicts counted by kind, state and capability, so a planner reads counts first and opens
    the details on demand; ``not_listed`` conflicts are counted in ``total`` but not in the list."""

    total: int
    not_listed: int
    kinds: list[KindConflictsOut]

    @classmethod
    def of(cls, summary: grouping.ConflictSummary) -> ConflictSummaryOut:
        kinds = [
            KindConflictsOut(kind=k.kind, label=k.label, count=k.count, states=[
                StateConflictsOut(state=st.state, name=st.name, count=st.count,
                                  groups=[ConflictGroupOut.of(g) for g in st.groups])
                for st in k.states
            ])
            for k in summary.kinds
        ]
        return cls(total=summary.total, not_listed=summary.not_listed, kinds=kinds)

    @classmethod
    def of_conflicts(cls, conflicts: Iterable[Any], capability_names: Mapping[str, str]) -> ConflictSummaryOut:
        """The summary of conflicts (rule values or their wire form, e.g. an override's record)."""
        read = [c if isinstance(c, (rules.Conflict, ConflictOut)) else ConflictOut.model_validate(c) for c in conflicts]
        return cls.of(grouping.summarise(read, capability_names=capability_names))


def conflict_summary_wire(summary: grouping.ConflictSummary) -> dict[str, Any]:
    """The summary as sent beside the conflicts in a 409 ``training_conflict`` body."""
    return ConflictSummaryOut.of(summary).wire()


class ParticipantOut(Out):
    unit_id: int
    unit_name: str | None
    state: str | None
    role: str
    status: str
    invitation_order: int | None
    invited_at: UtcTime | None
    responded_at: UtcTime | None

    @classmethod
    def of(cls, p: TrainingParticipant, units: Mapping[int, Unit]) -> ParticipantOut:
        unit = units.get(p.unit_id)
        return cls(unit_id=p.unit_id, unit_name=unit.name if unit else None, state=unit.state_code if unit else None,
                   role=p.role, status=p.status, invitation_order=p.invitation_order, invited_at=p.invited_at,
                   responded_at=p.responded_at)


class HostUnitOut(Out):
    id: int
    name: str | None
    state: str | None


class VenueOut(Out):
    name: str | None
    lat: float | None
    lon: float | None

    @classmethod
    def of(cls, training: Training) -> VenueOut:
        return cls(name=training.venue_name, lat=training.venue_lat, lon=training.venue_lon)


class OverrideOut(Out):
    """Who saved the training despite its conflicts, why, and the conflicts as they were then."""

    reason: str
    by_id: int | None
    at: UtcTime | None
    conflicts: list[dict[str, Any]]


class OccurrenceEditOut(Out):
    """An edited occurrence (RFC 5545 RECURRENCE-ID): moved, renamed or cancelled."""

    recurrence_id: LocalTime
    start_local: LocalTime | None
    end_local: LocalTime | None
    cancelled: bool
    title: str | None


class TrainingOut(Out):
    """A training or exercise with its participants and edited occurrences."""

    id: int
    kind: str
    title: str
    description: str | None
    host_unit: HostUnitOut
    venue: VenueOut
    timezone: str
    start_local: LocalTime
    end_local: LocalTime
    start_utc: UtcTime
    end_utc: UtcTime
    series_end_utc: UtcTime | None
    rrule: str | None
    exdates: list[str]
    environments: list[str]
    capabilities: list[str]
    capacity: int | None
    places_taken: int
    funding_note: str | None
    break_off_min: int | None
    units_off_duty: bool
    status: str
    cancel_reason: str | None
    override: OverrideOut | None
    participants: list[ParticipantOut]
    occurrence_overrides: list[OccurrenceEditOut]
    version: int
    created_at: UtcTime | None
    updated_at: UtcTime | None
    ical_url: str

    @staticmethod
    def _parts(t: Training, units: Mapping[int, Unit]) -> dict[str, Any]:
        host = units.get(t.host_unit_id)
        override = None if not t.override_reason else OverrideOut(
            reason=t.override_reason, by_id=t.override_by_id, at=t.override_at, conflicts=t.override_conflicts or [])
        return dict(
            id=t.id, kind=t.kind, title=t.title, description=t.description,
            host_unit=HostUnitOut(id=t.host_unit_id, name=host.name if host else None,
                                  state=host.state_code if host else None),
            venue=VenueOut.of(t), timezone=t.timezone, start_local=t.start_local, end_local=t.end_local,
            start_utc=t.start_utc, end_utc=t.end_utc, series_end_utc=t.series_end_utc, rrule=t.rrule,
            exdates=list(t.exdates or []), environments=list(t.environments or []),
            capabilities=list(t.capabilities or []), capacity=t.capacity,
            places_taken=sum(1 for p in t.participants if p.role == "guest" and p.status == "accepted"),
            funding_note=t.funding_note, break_off_min=t.break_off_min, units_off_duty=t.units_off_duty,
            status=t.status, cancel_reason=t.cancel_reason, override=override,
            participants=[ParticipantOut.of(p, units) for p in t.participants],
            occurrence_overrides=[OccurrenceEditOut.model_validate(o) for o in t.occurrence_overrides],
            version=t.version, created_at=t.created_at, updated_at=t.updated_at,
            ical_url=f"/api/v1/trainings/{t.id}.ics",
        )

    @classmethod
    def of(cls, training: Training, units: Mapping[int, Unit]) -> TrainingOut:
        return cls(**cls._parts(training, units))


class SavedTrainingOut(TrainingOut):
    """A training as saved, with the check's warnings and the conflicts an override let through."""

    warnings: list[str]
    overridden_conflicts: list[ConflictOut]

    @classmethod
    def of(cls, saved: Saved) -> SavedTrainingOut:  # type: ignore[override]
        overridden = saved.assessment.reported_conflicts() if saved.overridden else []
        return cls(**cls._parts(saved.training, saved.units), warnings=saved.assessment.reported_warnings(),
                   overridden_conflicts=[ConflictOut.of(c) for c in overridden])


class CheckOut(Out):
    """A dry run of a plan: ``ok`` when nothing blocks it."""

    ok: bool
    conflicts: list[ConflictOut]
    summary: ConflictSummaryOut
    warnings: list[str]
    occurrences_checked: int

    @classmethod
    def of(cls, assessment: Assessment) -> CheckOut:
        return cls(ok=not assessment.conflicts, conflicts=[ConflictOut.of(c) for c in assessment.reported_conflicts()],
                   summary=ConflictSummaryOut.of(assessment.summary()),
                   warnings=assessment.reported_warnings(), occurrences_checked=len(assessment.occurrences))


class OccurrenceOut(Out):
    """One occurrence in the shown window, with the conflicts it adds."""

    recurrence_id: LocalTime | None
    start_local: LocalTime
    end_local: LocalTime
    start_utc: UtcTime
    end_utc: UtcTime
    overridden: bool
    title: str | None
    conflicts: list[ConflictOut]
    conflict_summary: ConflictSummaryOut

    @classmethod
    def of(cls, occ: Occurrence, conflicts: Iterable[rules.Conflict] = (),
           capability_names: Mapping[str, str] | None = None) -> OccurrenceOut:
        conflicts = list(conflicts)
        return cls(recurrence_id=occ.recurrence_id, start_local=occ.start_local, end_local=occ.end_local,
                   start_utc=occ.start_utc, end_utc=occ.end_utc, overridden=occ.overridden, title=occ.title,
                   conflicts=[ConflictOut.of(c) for c in conflicts],
                   conflict_summary=ConflictSummaryOut.of_conflicts(conflicts, capability_names or {}))


class WindowOut(Out):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: UtcTime = Field(alias="from")
    to: UtcTime


class TrainingDetailOut(TrainingOut):
    """One training with its occurrences in a window, each with the conflicts it adds."""

    occurrences: list[OccurrenceOut]
    window: WindowOut
    warnings: list[str]
    override_summary: ConflictSummaryOut | None

    @classmethod
    def of(cls, detail: TrainingDetail) -> TrainingDetailOut:  # type: ignore[override]
        lo, hi = detail.window
        names = detail.capability_names
        overridden = detail.training.override_conflicts if detail.training.override_reason else None
        return cls(**cls._parts(detail.training, detail.units),
                   occurrences=[OccurrenceOut.of(o, cs, names) for o, cs in detail.occurrences],
                   window=WindowOut(from_=lo, to=hi), warnings=detail.warnings,
                   override_summary=None if overridden is None else ConflictSummaryOut.of_conflicts(overridden, names))


class TrainingPage(PagedPage[TrainingOut]):
    """A page of trainings."""


class AttendanceOut(Out):
    unit_id: int
    recurrence_id: LocalTime
    attended: bool
    personnel: int | None
    hours: float | None
    note: str | None
    recorded_at: UtcTime | None

    @classmethod
    def of(cls, row: TrainingAttendance) -> AttendanceOut:
        return cls.model_validate(row)


class AttendancePage(Page[AttendanceOut]):
    """Attendance entries, by occurrence and unit."""

    @classmethod
    def of(cls, rows: Iterable[TrainingAttendance]) -> AttendancePage:
        items = [AttendanceOut.of(r) for r in rows]
        return cls(items=items, total=len(items))


# ---------------------------------------------------------------- event payloads


class AttendanceChangeOut(Out):
    """``training.participant_changed`` after attendance was recorded."""

    training_id: int
    change: str = "attendance"
    recurrence_id: LocalTime
    entries: list[AttendanceOut]


class ReminderOccurrenceOut(Out):
    recurrence_id: LocalTime
    start_local: LocalTime
    start_utc: UtcTime
    timezone: str


class ReminderOut(Out):
    """``training.reminder``: sent to the participants' unit and state rooms."""

    reminder_id: int
    training_id: int
    title: str
    kind: str
    subject: str
    lead_hours: int
    occurrence: ReminderOccurrenceOut
    venue: VenueOut
    unit_ids: list[int]

    @classmethod
    def of(cls, reminder: TrainingReminder, training: Training, start: tuple[datetime, datetime],
           unit_ids: list[int]) -> ReminderOut:
        """:param start: the occurrence's start as (UTC instant, local wall time)."""
        start_utc, start_local = start
        subject = (f"Reminder: {training.title} on {start_local:%a %d %b %Y %H:%M} ({training.timezone}), "
                   f"{training.venue_name}")
        occurrence = ReminderOccurrenceOut(recurrence_id=reminder.recurrence_id, start_local=start_local,
                                           start_utc=start_utc, timezone=training.timezone)
        return cls(reminder_id=reminder.id, training_id=training.id, title=training.title, kind=training.kind,
                   subject=subject, lead_hours=reminder.lead_hours, occurrence=occurrence,
                   venue=VenueOut.of(training), unit_ids=unit_ids)


class RunStartedOut(Out):
    """``training.started``: the units switched to TRAINING, and what was skipped."""

    training_id: int
    title: str
    recurrence_id: LocalTime
    start_utc: UtcTime
    end_utc: UtcTime
    switched_unit_ids: list[int]
    notes: list[dict[str, Any]]

    @classmethod
    def of(cls, run: TrainingRun, training: Training, switched_unit_ids: list[int]) -> RunStartedOut:
        return cls(training_id=training.id, title=training.title, recurrence_id=run.recurrence_id,
                   start_utc=run.start_utc, end_utc=run.end_utc, switched_unit_ids=switched_unit_ids,
                   notes=list(run.notes or []))


class RunEndedOut(Out):
    """``training.ended``: the units given their previous status back, and what was left."""

    training_id: int
    title: str | None
    recurrence_id: LocalTime
    restored_unit_ids: list[int]
    notes: list[dict[str, Any]]

    @classmethod
    def of(cls, run: TrainingRun, training: Training | None, restored_unit_ids: list[int]) -> RunEndedOut:
        return cls(training_id=run.training_id, title=training.title if training else None,
                   recurrence_id=run.recurrence_id, restored_unit_ids=restored_unit_ids, notes=list(run.notes or []))
