"""Who takes part: invitations (in waiting-list order), a unit's answer, the waiting list moving
up when a place frees, and the attendance recorded once an occurrence has started."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain import recurrence
from atlas_coord.domain import training_rules as rules
from atlas_coord.domain.choices import ParticipantStatus
from atlas_coord.models import Training, TrainingAttendance, TrainingParticipant, Unit, utcnow
from atlas_coord.policy import Action, Actor, Grant, granting
from atlas_coord.serializers.trainings import AttendanceChangeOut, AttendanceOut

from .. import audit
from ..errors import Conflict, Forbidden, Invalid, NotFound
from .assessment import (
    BUSY_STATUSES,
    Assessment,
    assess,
    enforce,
    joining,
    nothing_checked,
    proposal_of,
    record_override,
)
from .changes import Change, Saved, not_an_occurrence, open_change, require_planned, unit_or_invalid
from .commands import AttendanceRecord, Invitation, ParticipantResponse
from .publishing import publish
from .queries import get_training, require_read
from .timing import timing_of

log = logging.getLogger(__name__)

INVITED, ACCEPTED = ParticipantStatus.INVITED.value, ParticipantStatus.ACCEPTED.value
DECLINED, WAITLISTED = ParticipantStatus.DECLINED.value, ParticipantStatus.WAITLISTED.value


def _check_invitable(session: Session, training: Training, unit_ids: list[int]) -> None:
    """:raise Invalid: unknown unit, or a unit already invited, waiting or taking part."""
    by_unit = {p.unit_id: p for p in training.participants}
    for index, unit_id in enumerate(unit_ids):
        unit_or_invalid(session, unit_id, f"unit_ids.{index}")
        existing = by_unit.get(unit_id)
        if existing is not None and existing.status != DECLINED:
            raise Invalid(f"unit {unit_id} is already {existing.status}", fields={f"unit_ids.{index}": f"already {existing.status}"})


def _invite(training: Training, unit_ids: list[int], actor: Actor, now: datetime) -> None:
    """Append the invitations behind those already given; a unit that declined is invited again."""
    by_unit = {p.unit_id: p for p in training.participants}
    order = max((p.invitation_order for p in training.participants), default=0)
    for unit_id in unit_ids:
        order += 1
        existing = by_unit.get(unit_id)
        if existing is None:
            training.participants.append(TrainingParticipant(
                unit_id=unit_id, role="guest", status=INVITED, invitation_order=order,
                invited_at=now, invited_by_id=actor.user_id))
        else:
            existing.status, existing.invitation_order, existing.invited_at = INVITED, order, now
            existing.invited_by_id, existing.responded_at, existing.responded_by_id = actor.user_id, None, None


def invite_units(session: Session, actor: Actor, settings, training_id: int, data: Invitation,
                 *, now: datetime | None = None) -> Saved:
    """Invite units (in the given order, behind those already invited). A unit that declined may
    be invited again. The invited units are checked like a change of the plan.

    :raise NotFound: no such training. :raise Forbidden: may not plan at the host's state.
    :raise Invalid: unknown unit, or a unit already invited, waiting or taking part.
    :raise Conflict: the training is cancelled, or ``expected_version`` is stale.
    :raise TrainingConflict: the invited units would break a planning rule.
    """
    now = now or utcnow()
    change = open_change(session, actor, training_id, data.expected_version)
    training = change.training
    _check_invitable(session, training, data.unit_ids)
    busy = {p.unit_id for p in training.participants if p.status in BUSY_STATUSES}
    assessment = assess(session, settings, proposal_of(training, unit_ids=busy | set(data.unit_ids), baseline=busy),
                        now=now)
    override_grant = enforce(actor, assessment, override_reason=data.override_reason,
                             host_state=change.host.state_code, what="the invitation")
    _invite(training, data.unit_ids, actor, now)
    if override_grant is not None:
        record_override(session, actor, override_grant, training, data.override_reason, assessment, "invite", now)
    invited = {"change": "invited", "unit_ids": list(data.unit_ids)}
    after, units = change.publish(session, settings, "training.participant_changed", invited, now=now, sync=False)
    audit.record(session, actor, change.grant.label(), "training.invite", "training", training.id,
                 after={**invited, "participants": after["participants"]})
    return Saved(training, assessment, override_grant is not None, units)


def _responding(session: Session, actor: Actor, training: Training, unit_id: int) -> tuple[TrainingParticipant, Unit, Grant]:
    """The unit's invitation, the unit and the grant to answer for it.

    :raise NotFound: not invited. :raise Forbidden: neither its commander nor its competent authority.
    :raise Conflict: the training is cancelled, or the unit is the host.
    """
    participant = next((p for p in training.participants if p.unit_id == unit_id), None)
    if participant is None:
        raise NotFound(f"unit {unit_id} is not invited to training {training.id}", fields={"unit_id": "not invited"})
    unit = session.get(Unit, unit_id)
    grant = granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id)
    if grant is None:
        raise Forbidden("only the unit's commander or its state's competent authority may answer")
    require_planned(training)
    if participant.role == "host":
        raise Conflict("the host unit takes part by definition; change the host instead", current={"role": "host"})
    return participant, unit, grant


def respond(session: Session, actor: Actor, settings, training_id: int, unit_id: int, data: ParticipantResponse,
            *, now: datetime | None = None) -> Saved:
    """A unit answers its invitation: its commander or its state's competent authority.

    "accept" becomes accepted while places are free (after the conflict check), else
    waitlisted; "decline" frees the place, and the first units on the waiting list (by
    invitation order) move up, each after its own conflict check.

    :raise NotFound: no such training, or the unit is not invited to it.
    :raise Forbidden: neither the unit's commander nor its state's competent authority; or an
        override without the right.
    :raise Conflict: the training is cancelled, or the unit is the host.
    :raise TrainingConflict: the unit's participation breaks a planning rule.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    participant, unit, grant = _responding(session, actor, training, unit_id)
    previous = participant.status
    wanted = ACCEPTED if data.answer == "accept" else DECLINED
    if previous == wanted or (previous == WAITLISTED and data.answer == "accept"):
        return Saved(training)
    change = Change(training, session.get(Unit, training.host_unit_id), grant, training.version)
    assessment, override_grant, promoted = nothing_checked(), None, []
    if data.answer == "accept":
        participant.status, assessment, override_grant = _accept(session, actor, settings, change, unit, data, now)
    else:
        participant.status = DECLINED
    participant.responded_at, participant.responded_by_id = now, actor.user_id
    if previous == ACCEPTED and participant.status == DECLINED:
        promoted = promote_waitlisted(session, settings, training, now)
    if override_grant is not None:
        record_override(session, actor, override_grant, training, data.override_reason, assessment, "accept", now)
    answered = {"change": "responded", "unit_id": unit_id, "previous": previous, "status": participant.status,
                "promoted_unit_ids": promoted}
    _, units = change.publish(session, settings, "training.participant_changed", answered, now=now, sync=False)
    audit.record(session, actor, grant.label(), "training.respond", "training", training.id, after=answered)
    return Saved(training, assessment, override_grant is not None, units)


def _accept(session: Session, actor: Actor, settings, change: Change, unit: Unit, data: ParticipantResponse,
            now: datetime) -> tuple[str, Assessment, Grant | None]:
    """Accepted while places are free (after the conflict check), else waitlisted.

    :return: the new status, the check and the override grant (if the conflicts were overridden).
    :raise TrainingConflict: the unit's participation breaks a planning rule.
    """
    training = change.training
    accepted_guests = sum(1 for p in training.participants if p.role == "guest" and p.status == ACCEPTED)
    outcome = rules.decide_acceptance(training.capacity, accepted_guests)
    if outcome != ACCEPTED:
        return outcome, nothing_checked(), None
    assessment = assess(session, settings, joining(training, unit.id), now=now)
    override_grant = enforce(actor, assessment, override_reason=data.override_reason,
                             host_state=change.host.state_code, what=f"{unit.name}'s acceptance")
    return outcome, assessment, override_grant


def promote_waitlisted(session: Session, settings, training: Training, now: datetime) -> list[int]:
    """Move waiting units up while places are free, first in line first. A unit whose
    participation would now break a planning rule stays on the list and the next one moves up."""
    promoted: list[int] = []
    passed_over: set[int] = set()
    while True:
        queue = [(p.unit_id, p.status, p.invitation_order) for p in training.participants
                 if p.role == "guest" and p.unit_id not in passed_over]
        candidates = rules.promote_from_waitlist(training.capacity, queue)
        if not candidates:
            return promoted
        unit_id = candidates[0]
        assessment = assess(session, settings, joining(training, unit_id), now=now)
        if assessment.conflicts:
            log.info("waitlisted unit %r stays waiting for training %r: %s", unit_id, training.id,
                     assessment.conflicts[0].message)
            passed_over.add(unit_id)
            continue
        participant = next(p for p in training.participants if p.unit_id == unit_id)
        participant.status, participant.responded_at = ACCEPTED, now
        promoted.append(unit_id)


# ---------------------------------------------------------------- attendance


def _attendance_grant(actor: Actor, unit: Unit | None, planner: Grant | None) -> Grant | None:
    if planner is not None or unit is None:
        return planner
    return granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id)


def _check_may_record(session: Session, actor: Actor, data: AttendanceRecord, participants: set[int]) -> None:
    """Who may record is settled first, so a refusal does not depend on the occurrence's time.

    :raise Forbidden: naming the first entry the actor may not record.
    """
    for index, entry in enumerate(data.entries):
        unit = session.get(Unit, entry.unit_id) if entry.unit_id in participants else None
        if unit is not None and _attendance_grant(actor, unit, None) is None:
            raise Forbidden(f"you may not record attendance for {unit.name}", fields={f"entries.{index}.unit_id": "not yours"})


def _check_started(training: Training, rid: datetime, now: datetime) -> None:
    """:raise NotFound: not an occurrence. :raise Conflict: the occurrence has not started yet."""
    timing = timing_of(training)
    if not timing.contains(rid):
        raise not_an_occurrence(training.id, rid)
    edit = timing.overrides.get(rid)
    start_local = edit.start_local if edit and edit.start_local else rid
    if recurrence.resolve_local(start_local, training.timezone)[0] > now:
        raise Conflict("attendance is recorded once the occurrence has started", fields={"recurrence_id": "not started yet"})


def record_attendance(session: Session, actor: Actor, training_id: int, data: AttendanceRecord,
                      *, now: datetime | None = None) -> list[TrainingAttendance]:
    """Record who attended one occurrence, once it has started: the planner for any participant,
    a unit's commander or competent authority for that unit. Recording again replaces the entry.

    :raise NotFound: no such training, or ``recurrence_id`` is not one of its occurrences.
    :raise Forbidden: may record for none of the units given.
    :raise Invalid: a unit that was never invited (``entries.N.unit_id``).
    :raise Conflict: the occurrence has not started yet.
    """
    now = now or utcnow()
    training = get_training(session, training_id)
    require_read(actor)
    host = session.get(Unit, training.host_unit_id)
    planner = granting(actor, Action.TRAINING_PLAN, state=host.state_code)
    participants = {p.unit_id for p in training.participants}
    if planner is None:
        _check_may_record(session, actor, data, participants)
    rid = data.recurrence_id
    _check_started(training, rid, now)
    existing = {a.unit_id: a for a in session.scalars(
        sa.select(TrainingAttendance).where(TrainingAttendance.training_id == training.id,
                                            TrainingAttendance.recurrence_id == rid))}
    rows, role = [], None
    for index, entry in enumerate(data.entries):
        if entry.unit_id not in participants:
            raise Invalid(f"unit {entry.unit_id} was not invited", fields={f"entries.{index}.unit_id": "not a participant"})
        unit = session.get(Unit, entry.unit_id)
        grant = _attendance_grant(actor, unit, planner)
        if grant is None:
            raise Forbidden(f"you may not record attendance for {unit.name}", fields={f"entries.{index}.unit_id": "not yours"})
        role = role or grant.label()
        row = existing.get(entry.unit_id) or TrainingAttendance(training_id=training.id, unit_id=entry.unit_id, recurrence_id=rid)
        row.attended, row.personnel, row.hours, row.note = entry.attended, entry.personnel, entry.hours, entry.note
        row.recorded_by_id, row.recorded_at = actor.user_id, now
        session.add(row)
        rows.append(row)
    session.flush()
    change = AttendanceChangeOut(training_id=training.id, recurrence_id=rid, entries=[AttendanceOut.of(r) for r in rows])
    publish(session, training, "training.participant_changed", change.wire())
    audit.record(session, actor, role, "training.attendance", "training", training.id,
                 after=change.model_dump(mode="json", exclude={"training_id"}))
    return rows
