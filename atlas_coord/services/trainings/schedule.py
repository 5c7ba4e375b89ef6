"""The scheduler's side of trainings: reminder and run rows materialised from the occurrences
(:func:`sync_schedule`), claimed with compare-and-set updates, then delivered (reminders) or
started and ended (runs switch the participants to TRAINING and back).

See :mod:`atlas_coord.scheduler.jobs` for the transactions around these steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from atlas_coord.domain import recurrence
from atlas_coord.domain.choices import ParticipantStatus, ReadinessStatus, TrainingStatus
from atlas_coord.models import Training, TrainingReminder, TrainingRun, Unit, utcnow
from atlas_coord.serializers.trainings import ReminderOut, RunEndedOut, RunStartedOut

from .. import audit, directory, events
from .publishing import audience, publish
from .queries import training_query, units_of
from .timing import MAX_CHECKED_OCCURRENCES, MAX_OCCURRENCE, timing_of

#: Reminders and runs are materialised this far beyond the longest reminder lead time.
MATERIALISE_SLACK = timedelta(hours=48)
#: Participants reminded of an occurrence.
REMINDED_STATUSES = (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED, ParticipantStatus.WAITLISTED)
SYSTEM_ROLE = "system"


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, so two schedulers materialising the same rows agree."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(model).on_conflict_do_nothing(), rows)


def materialise_horizon(settings) -> timedelta:
    return timedelta(hours=max(settings.training.reminder_lead_hours or [0])) + MATERIALISE_SLACK


# ---------------------------------------------------------------- materialising


def sync_schedule(session: Session, settings, training: Training, *, now: datetime | None = None) -> None:
    """Bring the training's reminder and run rows in line with its occurrences up to the horizon.

    Reminders are created per occurrence and lead time when due no earlier than the last change
    of the timing (so a training planned two days ahead gets no "one week before" reminder);
    unsent ones of moved or dropped occurrences are updated or deleted. Runs not yet started
    follow their occurrence; a running one whose occurrence was cancelled or shortened gets
    its end moved (to now at the latest), so the scheduler restores readiness. Every change is
    conditional on the row not being claimed, so it is safe beside a running scheduler.
    """
    now = now or utcnow()
    session.flush()
    reminders = session.scalars(sa.select(TrainingReminder).where(
        TrainingReminder.training_id == training.id, TrainingReminder.sent_at.is_(None))).all()
    runs = session.scalars(sa.select(TrainingRun).where(
        TrainingRun.training_id == training.id, TrainingRun.ended_at.is_(None))).all()
    horizon_end = now + materialise_horizon(settings)
    for start in [r.occurrence_start_utc for r in reminders] + [r.start_utc for r in runs]:
        horizon_end = max(horizon_end, start + timedelta(days=1))
    occurrences = []
    if training.status == TrainingStatus.PLANNED:
        occurrences = timing_of(training).occurrences(now - MAX_OCCURRENCE, horizon_end, max_count=10 * MAX_CHECKED_OCCURRENCES)
    _sync_reminders(session, settings, training, reminders, occurrences, now, horizon_end)
    _sync_runs(session, training, runs, occurrences, now)
    session.expire_all()


def _sync_reminders(session: Session, settings, training: Training, reminders: Sequence[TrainingReminder],
                    occurrences, now: datetime, horizon_end: datetime) -> None:
    wanted: dict[tuple[datetime, int], tuple[datetime, datetime]] = {}
    for occ in occurrences:
        if occ.start_utc <= now:
            continue
        for lead in sorted(set(settings.training.reminder_lead_hours)):
            due = occ.start_utc - timedelta(hours=lead)
            if due >= training.schedule_changed_at - timedelta(seconds=1) and due <= horizon_end:
                wanted[(occ.recurrence_id, lead)] = (due, occ.start_utc)
    unsent = sa.and_(TrainingReminder.sent_at.is_(None))
    for row in reminders:
        want = wanted.pop((row.recurrence_id, row.lead_hours), None)
        if want is None:
            session.execute(sa.delete(TrainingReminder).where(TrainingReminder.id == row.id, unsent))
        elif (row.due_at, row.occurrence_start_utc) != want:
            session.execute(sa.update(TrainingReminder).where(TrainingReminder.id == row.id, unsent)
                            .values(due_at=want[0], occurrence_start_utc=want[1]))
    _insert_ignoring_duplicates(session, TrainingReminder, [
        {"training_id": training.id, "recurrence_id": rid, "lead_hours": lead, "due_at": due, "occurrence_start_utc": start}
        for (rid, lead), (due, start) in sorted(wanted.items())
    ])


def _sync_runs(session: Session, training: Training, runs: Sequence[TrainingRun], occurrences, now: datetime) -> None:
    # Existing rows follow their occurrence (a missed one is closed by the start step, with a
    # note); new rows are made only for occurrences that have not ended.
    wanted = {o.recurrence_id: (o.start_utc, o.end_utc) for o in occurrences}
    for row in runs:
        want = wanted.pop(row.recurrence_id, None)
        if row.started_at is None:
            not_started = sa.and_(TrainingRun.id == row.id, TrainingRun.started_at.is_(None))
            if want is None:
                session.execute(sa.delete(TrainingRun).where(not_started))
            elif (row.start_utc, row.end_utc) != want:
                session.execute(sa.update(TrainingRun).where(not_started).values(start_utc=want[0], end_utc=want[1]))
            continue
        new_end = now if want is None else max(want[1], now)
        if new_end != row.end_utc:
            session.execute(sa.update(TrainingRun).where(TrainingRun.id == row.id, TrainingRun.ended_at.is_(None))
                            .values(end_utc=new_end))
    _insert_ignoring_duplicates(session, TrainingRun, [
        {"training_id": training.id, "recurrence_id": rid, "start_utc": s, "end_utc": e, "switched_units": [], "notes": []}
        for rid, (s, e) in sorted(wanted.items()) if e > now
    ])


def trainings_to_sync(session: Session, settings, now: datetime) -> list[int]:
    """Planned trainings with an occurrence that may need rows before the horizon ends."""
    horizon_end = now + materialise_horizon(settings)
    return list(session.scalars(
        sa.select(Training.id).where(
            Training.status == TrainingStatus.PLANNED.value,
            Training.start_utc < horizon_end,
            sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > now - MAX_OCCURRENCE),
        ).order_by(Training.id)
    ))


def sync_one(session: Session, settings, training_id: int, now: datetime) -> None:
    training = session.get(Training, training_id)
    if training is not None:
        sync_schedule(session, settings, training, now=now)


# ---------------------------------------------------------------- claiming


def _ids(session: Session, column, *where, order_by, limit: int) -> list[int]:
    return list(session.scalars(sa.select(column).where(*where).order_by(*order_by).limit(limit)))


def _claim(session: Session, model, row_id: int, free, **values):
    """Compare-and-set ``values`` where ``free`` holds; the reloaded row, or None when another
    scheduler got there first."""
    result = session.execute(sa.update(model).where(model.id == row_id, *free).values(**values))
    return session.get(model, row_id, populate_existing=True) if result.rowcount == 1 else None


def due_reminder_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    return _ids(session, TrainingReminder.id, TrainingReminder.sent_at.is_(None), TrainingReminder.due_at <= now,
                order_by=(TrainingReminder.due_at, TrainingReminder.id), limit=limit)


def due_run_start_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return _ids(session, TrainingRun.id, TrainingRun.started_at.is_(None), TrainingRun.start_utc <= now,
                order_by=(TrainingRun.start_utc, TrainingRun.id), limit=limit)


def due_run_end_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    return _ids(session, TrainingRun.id, TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None),
                TrainingRun.end_utc <= now, order_by=(TrainingRun.end_utc, TrainingRun.id), limit=limit)


def claim_reminder(session: Session, reminder_id: int, now: datetime, worker: str) -> TrainingReminder | None:
    """Compare-and-set ``sent_at`` from NULL; None when another scheduler got there first."""
    return _claim(session, TrainingReminder, reminder_id, [TrainingReminder.sent_at.is_(None)],
                  sent_at=now, claimed_by=worker)


def claim_run_start(session: Session, run_id: int, now: datetime, worker: str) -> TrainingRun | None:
    """Compare-and-set ``started_at`` from NULL; None when another scheduler got there first."""
    return _claim(session, TrainingRun, run_id, [TrainingRun.started_at.is_(None)], started_at=now, started_by=worker)


def claim_run_end(session: Session, run_id: int, now: datetime, worker: str) -> TrainingRun | None:
    """Compare-and-set ``ended_at`` from NULL; None when another scheduler got there first."""
    return _claim(session, TrainingRun, run_id, [TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None)],
                  ended_at=now, ended_by=worker)


# ---------------------------------------------------------------- reminders


def _reminder_outcome(session: Session, reminder: TrainingReminder, training: Training | None, now: datetime) -> str:
    if training is None or training.status != TrainingStatus.PLANNED or reminder.occurrence_start_utc <= now:
        return "skipped"
    shorter_due = session.scalar(sa.select(sa.func.count()).select_from(TrainingReminder).where(
        TrainingReminder.training_id == reminder.training_id,
        TrainingReminder.recurrence_id == reminder.recurrence_id,
        TrainingReminder.lead_hours < reminder.lead_hours,
        TrainingReminder.due_at <= now,
    ))
    return "superseded" if shorter_due else "sent"


def deliver_reminder(session: Session, reminder: TrainingReminder, now: datetime) -> str:
    """Send a claimed reminder: a ``training.reminder`` event to the participants' unit and state
    rooms and an audit record. Skipped when the training was cancelled or the occurrence has
    started; superseded when a shorter lead time for the same occurrence is also due.
    Returns the outcome, which is stored on the row."""
    training = session.scalar(training_query().where(Training.id == reminder.training_id))
    outcome = _reminder_outcome(session, reminder, training, now)
    reminder.outcome = outcome
    session.flush()
    if outcome != "sent":
        return outcome
    units = units_of(session, [training])
    recipients = sorted(p.unit_id for p in training.participants if p.status in REMINDED_STATUSES)
    rooms = {events.unit_room(u) for u in recipients} | {events.state_room(units[u].state_code) for u in recipients if u in units}
    start = recurrence.resolve_local(_occurrence_start_local(training, reminder.recurrence_id), training.timezone)
    payload = ReminderOut.of(reminder, training, start, recipients)
    events.publish(session, "training.reminder", f"training:{training.id}", payload.wire(), sorted(rooms))
    audit.record(session, None, SYSTEM_ROLE, "training.reminder", "training", training.id,
                 after=payload.model_dump(mode="json", include={"reminder_id", "lead_hours", "occurrence", "unit_ids"}))
    return outcome


def _occurrence_start_local(training: Training, rid: datetime) -> datetime:
    edit = next((o for o in training.occurrence_overrides if o.recurrence_id == rid), None)
    return edit.start_local if edit is not None and edit.start_local is not None else rid


# ---------------------------------------------------------------- runs


def _units_in_other_runs(session: Session, run: TrainingRun) -> dict[int, dict[str, Any]]:
    """unit id -> its switch entry in another running occurrence (started, not ended)."""
    others = session.scalars(sa.select(TrainingRun).where(
        TrainingRun.id != run.id, TrainingRun.started_at.is_not(None), TrainingRun.ended_at.is_(None)))
    held: dict[int, dict[str, Any]] = {}
    for other in others:
        for entry in other.switched_units or []:
            held.setdefault(int(entry["unit_id"]), entry)
    return held


def _close_unstarted(session: Session, run: TrainingRun, training: Training | None, now: datetime, worker: str) -> None:
    run.ended_at, run.ended_by = now, worker
    why = "cancelled" if training is None or training.status != TrainingStatus.PLANNED else "ended before the scheduler ran"
    run.notes = [*(run.notes or []), {"note": "not started: " + why}]
    session.flush()


def _switch_to_training(session: Session, run: TrainingRun, training: Training, notes: list) -> list[dict[str, Any]]:
    """Accepted units go to TRAINING, remembering the status to give back; COMMITTED ones are noted."""
    switched: list[dict[str, Any]] = []
    held = _units_in_other_runs(session, run)
    accepted = sorted(p.unit_id for p in training.participants if p.status == ParticipantStatus.ACCEPTED)
    for unit in session.scalars(sa.select(Unit).where(Unit.id.in_(accepted)).order_by(Unit.id)):
        if unit.readiness_status == ReadinessStatus.COMMITTED:
            notes.append({"unit_id": unit.id, "note": "skipped: committed to a deployment"})
            continue
        previous = held.get(unit.id) or {"previous_status": unit.readiness_status,
                                         "previous_break_off_min": unit.readiness_break_off_min}
        switched.append({"unit_id": unit.id, "previous_status": previous["previous_status"],
                         "previous_break_off_min": previous.get("previous_break_off_min")})
        directory.apply_readiness(session, unit, status=ReadinessStatus.TRAINING.value,
                                  reason=f"in training: {training.title}"[:500], source="training", actor=None,
                                  role=SYSTEM_ROLE, break_off_min=training.break_off_min)
    return switched


def start_run(session: Session, run: TrainingRun, now: datetime, worker: str) -> bool:
    """A claimed occurrence starts: accepted units of an off-duty training switch to TRAINING
    with the training's break-off time; a COMMITTED unit is skipped and noted. An occurrence
    whose training was cancelled, or that ended while no scheduler ran, is closed unswitched.

    :return: whether the occurrence started (False: closed unswitched).
    """
    training = session.scalar(training_query().where(Training.id == run.training_id))
    if training is None or training.status != TrainingStatus.PLANNED or run.end_utc <= now:
        _close_unstarted(session, run, training, now, worker)
        return False
    notes = list(run.notes or [])
    switched = _switch_to_training(session, run, training, notes) if training.units_off_duty else []
    run.switched_units, run.notes = switched, notes
    session.flush()
    data = RunStartedOut.of(run, training, [s["unit_id"] for s in switched]).wire()
    publish(session, training, "training.started", data)
    audit.record(session, None, SYSTEM_ROLE, "training.start", "training", training.id, after=data)
    return True


def _restore(session: Session, entry: dict[str, Any], held: dict[int, Any], title: str, notes: list) -> int | None:
    """Give one switched unit its previous status back, unless it moved on; its id when restored."""
    unit = session.get(Unit, int(entry["unit_id"]))
    if unit is None:
        return None
    if unit.id in held:
        notes.append({"unit_id": unit.id, "note": "still in another training; left in TRAINING"})
        return None
    if unit.readiness_status != ReadinessStatus.TRAINING:
        notes.append({"unit_id": unit.id, "note": f"not restored: now {unit.readiness_status}"})
        return None
    status = entry["previous_status"]
    break_off = entry.get("previous_break_off_min") if status == ReadinessStatus.TRAINING else None
    directory.apply_readiness(session, unit, status=status, reason=f"training ended: {title}"[:500],
                              source="training", actor=None, role=SYSTEM_ROLE, break_off_min=break_off)
    return unit.id


def end_run(session: Session, run: TrainingRun, now: datetime) -> bool:
    """A claimed occurrence ends: each switched unit still in TRAINING and in no other running
    training gets its previous status back; a unit changed meanwhile (e.g. COMMITTED) is left
    as it is and noted.

    :return: True (the occurrence ended; the event says which units were restored).
    """
    training = session.scalar(training_query().where(Training.id == run.training_id))
    held = _units_in_other_runs(session, run)
    title = training.title if training is not None else f"training {run.training_id}"
    notes = list(run.notes or [])
    restored = [uid for entry in run.switched_units or []
                if (uid := _restore(session, entry, held, title, notes)) is not None]
    run.notes = notes
    session.flush()
    data = RunEndedOut.of(run, training, restored).wire()
    rooms = audience(training, units_of(session, [training])) if training is not None else [events.ROOM_ALL]
    events.publish(session, "training.ended", f"training:{run.training_id}", data, rooms)
    audit.record(session, None, SYSTEM_ROLE, "training.end", "training", run.training_id, after=data)
    return True
