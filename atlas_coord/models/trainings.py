"""Joint trainings and exercises (Council Decision 2008/617/JHA, Art. 5).

A training is stored the way a calendar stores it: the venue's IANA zone, the first start and
end as *naive local wall times* in that zone, an optional RFC 5545 RRULE with EXDATEs, and
single-occurrence edits keyed by their original local start (RECURRENCE-ID). The UTC columns
are derived from those (``atlas_coord.domain.recurrence``) and kept for queries.

The scheduler works on domain rows, never on pickled jobs: one :class:`TrainingReminder` per
occurrence and lead time, one :class:`TrainingRun` per occurrence (readiness switched to
TRAINING at its start and back at its end). Each row is claimed once with a compare-and-set
update (``sent_at`` / ``started_at`` / ``ended_at`` from NULL), so a second scheduler started
by mistake does nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UtcDateTime, utcnow

TRAINING_KINDS = ("meeting", "workshop", "table_top", "command_post", "field_exercise", "common_challenge")
TRAINING_STATUSES = ("planned", "cancelled")
PARTICIPANT_ROLES = ("host", "guest")
PARTICIPANT_STATUSES = ("invited", "accepted", "declined", "waitlisted")
REMINDER_OUTCOMES = ("sent", "skipped", "superseded")
FEED_SCOPES = ("unit", "state")


def _in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


class Training(Base):
    """A training or exercise, one-off or a series, hosted by a unit at a venue.

    ``start_local``/``end_local`` are the first occurrence's naive wall times in ``timezone``;
    ``start_utc``/``end_utc`` the same instants in UTC; ``series_end_utc`` the end of the last
    occurrence (NULL for an open-ended series). ``units_off_duty`` says whether the
    participants go off duty (readiness TRAINING, counted by the readiness guard and the
    coverage check); ``break_off_min`` is how fast they can break off to deploy.
    ``schedule_changed_at`` is when the timing was last set: reminders due before it are
    never created. ``version`` guards every change of the aggregate (compare-and-set).
    """

    __tablename__ = "training"
    __table_args__ = (
        _in("kind", TRAINING_KINDS, "kind"),
        _in("status", TRAINING_STATUSES, "status"),
        sa.CheckConstraint("venue_lat BETWEEN -90 AND 90 AND venue_lon BETWEEN -180 AND 180", name="venue_coordinates"),
        sa.CheckConstraint("end_local > start_local", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("break_off_min >= 0", name="break_off_non_negative"),
        sa.Index("ix_training_span", "start_utc", "series_end_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    host_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    venue_name: Mapped[str] = mapped_column(sa.String(200))
    venue_lat: Mapped[float]
    venue_lon: Mapped[float]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    start_local: Mapped[datetime] = mapped_column(sa.DateTime())
    end_local: Mapped[datetime] = mapped_column(sa.DateTime())
    start_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    end_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    series_end_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rrule: Mapped[str | None] = mapped_column(sa.String(500))
    # Naive local starts (ISO 8601 text) left out of the series: RFC 5545 EXDATE.
    exdates: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    environments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    capacity: Mapped[int | None]
    funding_note: Mapped[str | None] = mapped_column(sa.Text)
    break_off_min: Mapped[int] = mapped_column(default=120)
    units_off_duty: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="planned", index=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # A planner with TRAINING_OVERRIDE saved the plan despite conflicts: why, who, what.
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    override_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    override_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    override_conflicts: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    schedule_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    participants: Mapped[list[TrainingParticipant]] = relationship(
        back_populates="training", cascade="all, delete-orphan", order_by="TrainingParticipant.invitation_order"
    )
    occurrence_overrides: Mapped[list[TrainingOccurrenceOverride]] = relationship(
        back_populates="training", cascade="all, delete-orphan", order_by="TrainingOccurrenceOverride.recurrence_id"
    )


class TrainingOccurrenceOverride(Base):
    """An edit of one occurrence (RFC 5545 RECURRENCE-ID), keyed by its original naive local
    start. ``start_local``/``end_local`` NULL keep the original time; ``cancelled`` drops it."""

    __tablename__ = "training_occurrence_override"
    __table_args__ = (sa.UniqueConstraint("training_id", "recurrence_id", name="uq_training_occurrence_override"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime] = mapped_column(sa.DateTime())
    start_local: Mapped[datetime | None] = mapped_column(sa.DateTime())
    end_local: Mapped[datetime | None] = mapped_column(sa.DateTime())
    cancelled: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str | None] = mapped_column(sa.String(200))
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    edited_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    training: Mapped[Training] = relationship(back_populates="occurrence_overrides")


class TrainingParticipant(Base):
    """A unit taking part: the host (accepted from the start) or an invited guest.

    Guests go invited -> accepted / declined / waitlisted; ``invitation_order`` is the queue
    position for promotion from the waiting list. Only guests count against the capacity.
    """

    __tablename__ = "training_participant"
    __table_args__ = (
        sa.UniqueConstraint("training_id", "unit_id", name="uq_training_participant_unit"),
        _in("role", PARTICIPANT_ROLES, "role"),
        _in("status", PARTICIPANT_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(8), default="guest")
    status: Mapped[str] = mapped_column(sa.String(12), default="invited")
    invitation_order: Mapped[int] = mapped_column(default=0)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))

    training: Mapped[Training] = relationship(back_populates="participants")


class TrainingAttendance(Base):
    """Who actually attended one occurrence, recorded afterwards."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        sa.UniqueConstraint("training_id", "unit_id", "recurrence_id", name="uq_training_attendance_occurrence"),
        sa.CheckConstraint("personnel IS NULL OR personnel >= 0", name="personnel_non_negative"),
        sa.CheckConstraint("hours IS NULL OR hours >= 0", name="hours_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    recurrence_id: Mapped[datetime] = mapped_column(sa.DateTime())
    attended: Mapped[bool]
    personnel: Mapped[int | None]
    hours: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(sa.String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TrainingReminder(Base):
    """A reminder for one occurrence and one lead time; sent once by whichever scheduler claims it.

    ``sent_at`` is set by the claim (compare-and-set from NULL) in the same transaction that
    writes the event and the audit record; ``outcome`` says whether it was sent or skipped
    (occurrence already started, or superseded by a shorter lead time also due).
    """

    __tablename__ = "training_reminder"
    __table_args__ = (
        sa.UniqueConstraint("training_id", "recurrence_id", "lead_hours", name="uq_training_reminder_occurrence_lead"),
        sa.Index("ix_training_reminder_due", "sent_at", "due_at"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('sent', 'skipped', 'superseded')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime] = mapped_column(sa.DateTime())
    occurrence_start_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    lead_hours: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    outcome: Mapped[str | None] = mapped_column(sa.String(12))


class TrainingRun(Base):
    """One occurrence as it happens: claimed at its start (units switched to TRAINING) and at
    its end (units switched back). ``switched_units`` remembers each unit's previous status;
    ``notes`` lists units skipped (committed to a deployment) or not restored."""

    __tablename__ = "training_run"
    __table_args__ = (
        sa.UniqueConstraint("training_id", "recurrence_id", name="uq_training_run_occurrence"),
        sa.Index("ix_training_run_start", "started_at", "start_utc"),
        sa.Index("ix_training_run_end", "ended_at", "end_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(sa.ForeignKey("training.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime] = mapped_column(sa.DateTime())
    start_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    end_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_by: Mapped[str | None] = mapped_column(sa.String(120))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(sa.String(120))
    switched_units: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)


class CalendarFeedToken(Base):
    """A revocable secret in a calendar subscription URL, for one unit's or one state's feed.

    Only the SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    __tablename__ = "calendar_feed_token"
    __table_args__ = (
        _in("scope", FEED_SCOPES, "scope"),
        sa.CheckConstraint(
            "(scope = 'unit' AND unit_id IS NOT NULL AND state_code IS NULL) OR "
            "(scope = 'state' AND state_code IS NOT NULL AND unit_id IS NULL)",
            name="scope_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(8))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    state_code: Mapped[str | None] = mapped_column(sa.ForeignKey("state.code"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(80), default="calendar")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
