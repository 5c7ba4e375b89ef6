"""A planner's use cases: check a plan, create, change and cancel a training, and edit or
restore one occurrence. Every change is checked against the planning rules (:func:`assess`) and
blocked unless clear or overridden with a reason; see :mod:`.changes` for the common frame."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain import recurrence
from atlas_coord.domain.choices import ParticipantStatus, TrainingStatus
from atlas_coord.models import (
    Capability,
    Training,
    TrainingOccurrenceOverride,
    TrainingParticipant,
    Unit,
    utcnow,
)
from atlas_coord.policy import Actor
from atlas_coord.serializers.trainings import OccurrenceEditOut, local_text

from .. import audit
from ..errors import Invalid, NotFound
from .assessment import (
    BUSY_STATUSES,
    OFF_DUTY_KINDS,
    Assessment,
    Proposal,
    assess,
    enforce,
    nothing_checked,
    proposal_of,
    record_override,
)
from .changes import Change, Saved, edited_row, not_an_occurrence, open_change, plan_grant, unit_or_invalid
from .commands import OccurrenceEdit, TrainingCancel, TrainingCheck, TrainingCreate, TrainingUpdate
from .participation import promote_waitlisted
from .publishing import current, publish_training
from .queries import get_training
from .schedule import sync_schedule
from .timing import Timing, check_duration, timing_of, validated_timing

_TIMING_FIELDS = {"timezone", "start_local", "end_local", "rrule", "exdates"}


def _check_codes(session: Session, codes: list[str], field_name: str) -> None:
    known = set(session.scalars(sa.select(Capability.code).where(Capability.code.in_(codes))))
    for index, code in enumerate(codes):
        if code not in known:
            raise Invalid(f"unknown capability {code!r}", fields={f"{field_name}.{index}": "unknown capability code"})


def _checked_plan(session: Session, actor: Actor, data: TrainingCreate, *, guests_only: bool):
    """The host, the planner's grant and the timing of a create (or its dry run).

    :raise Forbidden: may not plan at the host. :raise Invalid: unknown unit or capability,
        the host invited as a guest (``guests_only``), bad timing.
    """
    host = unit_or_invalid(session, data.host_unit_id, "host_unit_id")
    grant = plan_grant(actor, host.state_code)
    _check_codes(session, data.capabilities, "capabilities")
    _check_codes(session, data.environments, "environments")
    for index, unit_id in enumerate(data.invite_unit_ids):
        unit_or_invalid(session, unit_id, f"invite_unit_ids.{index}")
        if guests_only and unit_id == host.id:
            raise Invalid("the host unit takes part as host", fields={f"invite_unit_ids.{index}": "is the host unit"})
    timing = validated_timing(data.timezone, data.start_local, data.end_local, data.rrule, data.exdates,
                              align=data.align_start)
    return host, grant, timing


def _off_duty(data: TrainingCreate) -> bool:
    return data.units_off_duty if data.units_off_duty is not None else data.kind in OFF_DUTY_KINDS


def check_plan(session: Session, actor: Actor, settings, data: TrainingCheck, *, now: datetime | None = None) -> Assessment:
    """Dry run of a create (or of a change when ``data.training_id`` is set): the conflicts and
    warnings, nothing saved.

    :raise Forbidden: may not plan trainings at that host.
    :raise Invalid: unknown unit or capability, bad timing (the field is named).
    :raise NotFound: ``training_id`` names no training.
    """
    now = now or utcnow()
    host, _, timing = _checked_plan(session, actor, data, guests_only=False)
    training_id = getattr(data, "training_id", None)
    unit_ids = {host.id, *data.invite_unit_ids}
    if training_id is not None:
        existing = get_training(session, training_id)
        unit_ids |= {p.unit_id for p in existing.participants if p.status in BUSY_STATUSES and p.role == "guest"}
        timing = replace(timing, overrides=timing_of(existing).overrides)
    proposal = Proposal(training_id, data.title, timing, frozenset(unit_ids), _off_duty(data))
    return assess(session, settings, proposal, now=now)


def _new_training(actor: Actor, data: TrainingCreate, host: Unit, timing: Timing, now: datetime) -> Training:
    start_utc, end_utc = timing.first_instants()
    training = Training(
        kind=data.kind, title=data.title, description=data.description, host_unit_id=host.id,
        venue_name=data.venue.name, venue_lat=data.venue.lat, venue_lon=data.venue.lon,
        timezone=timing.tz, start_local=timing.start_local, end_local=timing.end_local,
        start_utc=start_utc, end_utc=end_utc, series_end_utc=timing.series_end_utc(),
        rrule=timing.rrule, exdates=[x.isoformat() for x in timing.exdates],
        environments=list(dict.fromkeys(data.environments)), capabilities=list(dict.fromkeys(data.capabilities)),
        capacity=data.capacity, funding_note=data.funding_note, break_off_min=data.break_off_min,
        units_off_duty=_off_duty(data), status=TrainingStatus.PLANNED.value, created_by_id=actor.user_id,
        created_at=now, updated_at=now, schedule_changed_at=now,
    )
    training.participants = [
        _host_participant(host.id, actor, now),
        *[TrainingParticipant(unit_id=u, role="guest", status=ParticipantStatus.INVITED.value, invitation_order=i + 1,
                              invited_at=now, invited_by_id=actor.user_id)
          for i, u in enumerate(data.invite_unit_ids)],
    ]
    return training


def _host_participant(unit_id: int, actor: Actor, now: datetime) -> TrainingParticipant:
    return TrainingParticipant(unit_id=unit_id, role="host", status=ParticipantStatus.ACCEPTED.value,
                               invitation_order=0, invited_at=now, invited_by_id=actor.user_id, responded_at=now,
                               responded_by_id=actor.user_id)


def create_training(session: Session, actor: Actor, settings, data: TrainingCreate, *, now: datetime | None = None) -> Saved:
    """Plan a training hosted by a unit; the host takes part (accepted), ``invite_unit_ids`` are
    invited in order.

    :raise Forbidden: may not plan at that host's state, or may not override the conflicts.
    :raise Invalid: unknown unit or capability, the host invited as a guest, bad timing.
    :raise TrainingConflict: the plan breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    host, grant, timing = _checked_plan(session, actor, data, guests_only=True)
    proposal = Proposal(None, data.title, timing, frozenset({host.id, *data.invite_unit_ids}), _off_duty(data))
    assessment = assess(session, settings, proposal, now=now)
    override_grant = enforce(actor, assessment, override_reason=data.override_reason,
                             host_state=host.state_code, what="the training")
    training = _new_training(actor, data, host, timing, now)
    session.add(training)
    session.flush()
    if override_grant is not None:
        record_override(session, actor, override_grant, training, data.override_reason, assessment, "create", now)
    sync_schedule(session, settings, training, now=now)
    session.flush()
    after, units = publish_training(session, training, "training.created", {"warnings": assessment.warnings})
    audit.record(session, actor, grant.label(), "training.create", "training", training.id, after=after)
    return Saved(training, assessment, override_grant is not None, units)


def _changed_timing(training: Training, data: TrainingUpdate, changes: dict) -> Timing | None:
    """The new timing when a timing field is given, else None.

    :raise Invalid: bad timing (the field is named).
    """
    if not _TIMING_FIELDS & changes.keys():
        return None
    old = timing_of(training)
    exdates = data.exdates if "exdates" in changes and data.exdates is not None else (
        [] if "exdates" in changes else list(old.exdates))
    return validated_timing(
        changes.get("timezone") or old.tz,
        changes.get("start_local") or old.start_local,
        changes.get("end_local") or old.end_local,
        data.rrule if "rrule" in changes else old.rrule,
        exdates, align=data.align_start, overrides=old.overrides,
    )


def _new_host(session: Session, actor: Actor, change: Change, data: TrainingUpdate, changes: dict) -> Unit:
    """:raise Invalid: the host removed or unknown. :raise Forbidden: may not plan at the new host."""
    if "host_unit_id" not in changes:
        return change.host
    if data.host_unit_id is None:
        raise Invalid("a training needs a host unit", fields={"host_unit_id": "required"})
    new_host = unit_or_invalid(session, data.host_unit_id, "host_unit_id")
    plan_grant(actor, new_host.state_code)
    return new_host


_SIMPLE_FIELDS = ("title", "description", "funding_note", "break_off_min", "capacity", "environments", "capabilities")
_NULLABLE_FIELDS = ("description", "funding_note", "capacity")


def _apply_fields(training: Training, data: TrainingUpdate, changes: dict, off_duty: bool) -> None:
    for name in _SIMPLE_FIELDS:
        if name in changes and (changes[name] is not None or name in _NULLABLE_FIELDS):
            setattr(training, name, changes[name])
    training.kind = changes.get("kind") or training.kind
    training.units_off_duty = off_duty
    if "venue" in changes and data.venue is not None:
        training.venue_name, training.venue_lat, training.venue_lon = data.venue.name, data.venue.lat, data.venue.lon


def update_training(session: Session, actor: Actor, settings, training_id: int, data: TrainingUpdate,
                    *, now: datetime | None = None) -> Saved:
    """Change a planned training; only the fields given change. The whole plan is checked again.

    :raise NotFound: no such training.
    :raise Forbidden: may not plan at the (old or new) host's state, or may not override.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise Invalid: unknown unit or capability, bad timing (the field is named).
    :raise TrainingConflict: the changed plan breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    change = open_change(session, actor, training_id, data.expected_version)
    training = change.training
    changes = data.model_dump(exclude_unset=True, exclude={"expected_version", "override_reason", "align_start"})
    new_host = _new_host(session, actor, change, data, changes)
    for name in ("capabilities", "environments"):
        if changes.get(name) is not None:
            _check_codes(session, changes[name], name)
    before = current(session, training)
    timing = _changed_timing(training, data, changes)
    off_duty = changes["units_off_duty"] if changes.get("units_off_duty") is not None else training.units_off_duty
    busy = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES and p.role == "guest"} | {new_host.id}
    proposal = proposal_of(training, timing=timing, unit_ids=busy, units_off_duty=off_duty,
                           title=changes.get("title") or training.title)
    assessment = assess(session, settings, proposal, now=now)
    override_grant = enforce(actor, assessment, override_reason=data.override_reason,
                             host_state=new_host.state_code, what="the change")

    _apply_fields(training, data, changes, off_duty)
    if timing is not None:
        _apply_timing(training, timing, now)
    if new_host.id != change.host.id:
        _change_host(training, change.host.id, new_host.id, actor, now)
    if "capacity" in changes:
        promote_waitlisted(session, settings, training, now)
    if override_grant is not None:
        record_override(session, actor, override_grant, training, data.override_reason, assessment, "update", now)
    after, units = change.publish(session, settings, "training.updated", {"warnings": assessment.warnings}, now=now)
    audit.record(session, actor, change.grant.label(), "training.update", "training", training.id, before=before, after=after)
    return Saved(training, assessment, override_grant is not None, units)


def _apply_timing(training: Training, timing: Timing, now: datetime) -> None:
    start_utc, end_utc = timing.first_instants()
    training.timezone = timing.tz
    training.start_local, training.end_local = timing.start_local, timing.end_local
    training.start_utc, training.end_utc = start_utc, end_utc
    training.rrule = timing.rrule
    training.exdates = [x.isoformat() for x in timing.exdates]
    training.series_end_utc = timing.series_end_utc()
    training.schedule_changed_at = now


def _change_host(training: Training, old_host_id: int, new_host_id: int, actor: Actor, now: datetime) -> None:
    training.host_unit_id = new_host_id
    for p in list(training.participants):
        if p.unit_id == old_host_id and p.role == "host":
            training.participants.remove(p)
    existing = next((p for p in training.participants if p.unit_id == new_host_id), None)
    if existing is None:
        training.participants.append(_host_participant(new_host_id, actor, now))
    else:
        existing.role, existing.status, existing.responded_at = "host", ParticipantStatus.ACCEPTED.value, now


def cancel_training(session: Session, actor: Actor, settings, training_id: int, data: TrainingCancel,
                    *, now: datetime | None = None) -> Saved:
    """Cancel the training (all its occurrences); unsent reminders are dropped and a running
    occurrence ends at the next scheduler run, restoring readiness.

    :raise NotFound: no such training. :raise Forbidden: may not plan at the host's state.
    :raise Conflict: already cancelled, or ``expected_version`` is stale.
    """
    now = now or utcnow()
    change = open_change(session, actor, training_id, data.expected_version)
    training = change.training
    before = current(session, training)
    training.status = TrainingStatus.CANCELLED.value
    training.cancel_reason = data.reason
    after, units = change.publish(session, settings, "training.cancelled", {"reason": data.reason}, now=now)
    audit.record(session, actor, change.grant.label(), "training.cancel", "training", training.id, before=before, after=after)
    return Saved(training, units=units)


def _edit_window(training: Training, timing: Timing, recurrence_id: datetime, start: datetime,
                 end: datetime) -> tuple[datetime, datetime]:
    """The day around both the occurrence's old and new place (what a move can change)."""
    zone = training.timezone
    return (recurrence.resolve_local(min(start, recurrence_id), zone)[0] - timedelta(days=1),
            recurrence.resolve_local(max(end, recurrence_id + timing.duration), zone)[0] + timedelta(days=1))


def _store_edit(training: Training, actor: Actor, recurrence_id: datetime, data: OccurrenceEdit, now: datetime) -> None:
    row = edited_row(training, recurrence_id)
    if row is None:
        row = TrainingOccurrenceOverride(recurrence_id=recurrence_id)
        training.occurrence_overrides.append(row)
    row.start_local, row.end_local, row.cancelled, row.title = data.start_local, data.end_local, data.cancelled, data.title
    row.edited_by_id, row.edited_at = actor.user_id, now


def edit_occurrence(session: Session, actor: Actor, settings, training_id: int, recurrence_id: datetime,
                    data: OccurrenceEdit, *, now: datetime | None = None) -> Saved:
    """Move, rename or cancel one occurrence (RFC 5545 RECURRENCE-ID), keyed by its original
    local start. A move is checked like any change.

    :raise NotFound: no such training, or ``recurrence_id`` is not one of its occurrences.
    :raise Forbidden: may not plan at the host's state, or may not override.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise Invalid: the edited occurrence would end before it starts.
    :raise TrainingConflict: the move breaks a planning rule and no override reason was given.
    """
    now = now or utcnow()
    change = open_change(session, actor, training_id, data.expected_version)
    training = change.training
    timing = timing_of(training)
    if not timing.contains(recurrence_id):
        raise not_an_occurrence(training_id, recurrence_id)
    start = data.start_local or recurrence_id
    end = data.end_local or start + timing.duration
    edit = recurrence.OccurrenceOverride(data.start_local, data.end_local, data.cancelled, data.title)
    new_timing = replace(timing, overrides={**timing.overrides, recurrence_id: edit})
    assessment, override_grant = nothing_checked(), None
    if not data.cancelled:
        check_duration(start, end, "the occurrence")
        window = _edit_window(training, timing, recurrence_id, start, end)
        assessment = assess(session, settings, proposal_of(training, timing=new_timing), now=now, window=window)
        override_grant = enforce(actor, assessment, override_reason=data.override_reason,
                                 host_state=change.host.state_code, what="the edit")
    before = current(session, training)
    _store_edit(training, actor, recurrence_id, data, now)
    training.series_end_utc = new_timing.series_end_utc()
    training.schedule_changed_at = now
    if override_grant is not None:
        record_override(session, actor, override_grant, training, data.override_reason, assessment, "occurrence", now)
    occurrence = OccurrenceEditOut(recurrence_id=recurrence_id, **data.model_dump(
        include={"cancelled", "start_local", "end_local", "title"})).wire()
    after, units = change.publish(session, settings, "training.updated", {"occurrence": occurrence}, now=now)
    audit.record(session, actor, change.grant.label(), "training.occurrence_edit", "training", training.id,
                 before=before, after={"occurrence": occurrence, "version": after["version"]})
    return Saved(training, assessment, override_grant is not None, units)


def revert_occurrence(session: Session, actor: Actor, settings, training_id: int, recurrence_id: datetime,
                      *, now: datetime | None = None) -> Saved:
    """Drop the edit of one occurrence: it happens as the rule says again (checked like any change).

    :raise NotFound: no such training or no edit of that occurrence.
    :raise Forbidden: may not plan at the host's state.
    :raise TrainingConflict: the restored occurrence breaks a planning rule.
    """
    now = now or utcnow()
    change = open_change(session, actor, training_id)
    training = change.training
    row = edited_row(training, recurrence_id)
    if row is None:
        raise NotFound(f"no edit of the occurrence {recurrence_id:%Y-%m-%d %H:%M}", fields={"recurrence_id": "not edited"})
    timing = timing_of(training)
    restored = replace(timing, overrides={k: v for k, v in timing.overrides.items() if k != recurrence_id})
    start_utc = recurrence.resolve_local(recurrence_id, training.timezone)[0]
    assessment = assess(session, settings, proposal_of(training, timing=restored), now=now,
                        window=(start_utc - timedelta(days=1), start_utc + timing.duration + timedelta(days=1)))
    enforce(actor, assessment, override_reason=None, host_state=change.host.state_code, what="restoring the occurrence")
    training.occurrence_overrides.remove(row)
    training.series_end_utc = restored.series_end_utc()
    training.schedule_changed_at = now
    occurrence = {"recurrence_id": local_text(recurrence_id), "reverted": True}
    _, units = change.publish(session, settings, "training.updated", {"occurrence": occurrence}, now=now)
    audit.record(session, actor, change.grant.label(), "training.occurrence_revert", "training", training.id,
                 after=occurrence)
    return Saved(training, units=units)
