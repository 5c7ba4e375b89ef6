"""Raising alerts and climbing their ladders (each call is one short transaction's work).

Exactly once, across server processes and the scheduler:
- the outbox is read from ``alert_cursor.last_seq``, which is advanced by compare-and-set
  *before* the events are read: on PostgreSQL a second reader waits on the row lock and then
  finds the cursor moved (0 rows) and stops; on SQLite ``BEGIN IMMEDIATE`` serialises them;
- every alert has a unique ``dedupe_key`` (the cause and the organisation), so even a deadline
  warning raised by two schedulers at once exists once (the loser's insert is a savepoint that
  rolls back alone);
- a ladder step is climbed by compare-and-set on ``(id, step)``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import AnswerStatus, RequestStatus
from atlas_coord.domain.duty import Ladder
from atlas_coord.models import Alert, AlertCursor, AlertDelivery, AssistanceRequest, Event, RequestAddressee

from .. import audit, duty, events
from .rules import DEADLINE_WARNING, LABELS, WATCHED_TYPES, AlertSpec, rule_for, specs_for_event

log = logging.getLogger(__name__)
INGEST_BATCH = 500


def reference(request_id: int | None) -> str:
    return f"REQ-{request_id}" if request_id is not None else "ATLAS"


def _claim_cursor(session: Session, batch: int) -> tuple[int, int] | None:
    """Move the cursor over the next committed events; returns (after, upto) or None. (An event's
    seq is assigned at its commit, in commit order: every event up to the newest one read here
    has committed, so nothing below ``upto`` can turn up later.)"""
    cursor = session.get(AlertCursor, 1)
    if cursor is None:
        session.add(AlertCursor(id=1, last_seq=0))
        session.flush()
        cursor = session.get(AlertCursor, 1)
    seen = cursor.last_seq
    upto = session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.seq <= seen + batch)) or 0
    if upto <= seen:
        return None
    moved = session.execute(sa.update(AlertCursor).where(AlertCursor.id == 1, AlertCursor.last_seq == seen)
                            .values(last_seq=upto).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return None  # another process took these events
    return seen, upto


def ingest(session: Session, now: datetime, *, batch: int = INGEST_BATCH) -> int:
    """Turn the committed events after the cursor into alerts; returns how many were raised."""
    claimed = _claim_cursor(session, batch)
    # The caller reads on while a whole batch was taken (there may be more); a shorter one
    # reached the newest event.
    session.info["alerts_more"] = claimed is not None and claimed[1] - claimed[0] >= batch
    if claimed is None:
        return 0
    after, upto = claimed
    rows = session.execute(sa.select(Event.seq, Event.type, Event.at, Event.data)
                           .where(Event.seq > after, Event.seq <= upto, Event.type.in_(WATCHED_TYPES))
                           .order_by(Event.seq)).all()
    specs = [spec for seq, type_, at, data in rows
             for spec in specs_for_event(session, {"seq": seq, "type": type_, "at": at.isoformat(), "data": data})]
    # One read for the whole batch: the alerts raised already (by another process's pass, or the
    # scheduler's). The unique key still decides a race (see _insert).
    existing = set(session.scalars(sa.select(Alert.dedupe_key)
                                   .where(Alert.dedupe_key.in_({spec.dedupe_key for spec in specs})))) if specs else set()
    raised = 0
    for spec in specs:
        if spec.dedupe_key not in existing:
            existing.add(spec.dedupe_key)
            raised += raise_alert(session, spec, now, checked=True) is not None
    return raised


def _insert(session: Session, alert: Alert) -> bool:
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return False
    return True


def raise_alert(session: Session, spec: AlertSpec, now: datetime, *, checked: bool = False) -> Alert | None:
    """Raise one alert (None when it exists already or its rule is off for the organisation).
    ``checked``: the caller has just found no alert with its key."""
    if not checked and session.scalar(sa.select(Alert.id).where(Alert.dedupe_key == spec.dedupe_key)) is not None:
        return None
    org = duty.load_org(session, spec.org_key)
    rule = rule_for(org, spec.kind)
    if not rule.enabled:
        return None
    ladder = (duty.ladder_at(session, spec.org_key, now, with_backup=rule.with_backup, org=org)[1]
              if org is not None else Ladder())  # no roster: nobody to page but the fallback (none)
    steps = [[{"channel": c.channel, "address": c.address, "officer": c.officer} for c in step] for step in ladder.steps]
    alert = Alert(dedupe_key=spec.dedupe_key, kind=spec.kind, org_key=spec.org_key, request_id=spec.request_id,
                  reference=reference(spec.request_id), requesting_state=spec.requesting_state, deadline=spec.deadline,
                  raised_at=now, cause_at=spec.cause_at, steps=steps, step=0, ack_minutes=rule.ack_minutes,
                  status="open" if steps else "exhausted")
    if not _insert(session, alert):
        return None
    summary = (f"{spec.org_key} duty officer alerted: {LABELS[spec.kind]}" if steps
               else f"{spec.org_key} has nobody on duty and no fallback address: nobody alerted")
    audit.record(session, None, "system", "alert.raise", "alert", alert.id, request_id=spec.request_id,
                 after={"status": alert.status, "kind": spec.kind, "org": spec.org_key, "summary": summary})
    if steps:
        open_step(session, alert, 0, now)
    return alert


def open_step(session: Session, alert: Alert, step: int, now: datetime) -> None:
    """Create the deliveries of ladder step ``step``; the next step follows ``ack_minutes`` later."""
    for contact in alert.steps[step]:
        user_id = int(contact["address"]) if contact["channel"] == "console" else None
        session.add(AlertDelivery(alert_id=alert.id, step=step, channel=contact["channel"], address=contact["address"],
                                  user_id=user_id, status="pending", next_attempt_at=now))
    alert.next_step_at = now + timedelta(minutes=alert.ack_minutes)
    session.flush()


def due_escalation_ids(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(sa.select(Alert.id).where(Alert.status == "open", Alert.next_step_at <= now)
                                .order_by(Alert.next_step_at).limit(500)))


def escalate(session: Session, alert_id: int, now: datetime) -> bool:
    """Climb one step of an unacknowledged alert whose wait is over (compare-and-set on its step).
    After the last step the alert is ``exhausted``: nobody acknowledged."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.status != "open" or alert.next_step_at is None or alert.next_step_at > now:
        return False
    last = alert.step + 1 >= len(alert.steps)
    values = {"step": alert.step + 1, "status": "exhausted", "next_step_at": None} if last else {"step": alert.step + 1}
    moved = session.execute(sa.update(Alert).where(Alert.id == alert.id, Alert.step == alert.step, Alert.status == "open")
                            .values(**values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    session.refresh(alert)
    if last:
        summary = f"{alert.org_key}: nobody acknowledged {alert.reference} after the whole ladder"
    else:
        summary = f"{alert.org_key}: not acknowledged within {alert.ack_minutes} min, escalated to step {alert.step + 1}"
        open_step(session, alert, alert.step, now)
    audit.record(session, None, "system", "alert.escalate", "alert", alert.id, request_id=alert.request_id,
                 after={"status": alert.status, "step": alert.step, "summary": summary})
    events.publish(session, "alert.escalated", f"alert:{alert.id}",
                   {"alert_id": alert.id, "step": alert.step, "status": alert.status, "org": alert.org_key},
                   [events.ROOM_OBSERVERS])
    return True


def deadline_warnings(session: Session, now: datetime) -> int:
    """Warn the addressed States that have not answered, 30 minutes before the deadline."""
    open_statuses = [RequestStatus.SUBMITTED.value, RequestStatus.PARTIALLY_MET.value, RequestStatus.MET.value]
    rows = session.execute(
        sa.select(AssistanceRequest.id, AssistanceRequest.requesting_state, AssistanceRequest.answer_deadline,
                  RequestAddressee.state_code)
        .join(RequestAddressee, RequestAddressee.request_id == AssistanceRequest.id)
        .where(AssistanceRequest.status.in_(open_statuses), RequestAddressee.status == AnswerStatus.PENDING.value,
               AssistanceRequest.answer_deadline > now, AssistanceRequest.answer_deadline <= now + DEADLINE_WARNING)
    ).all()
    raised = 0
    for rid, requesting, deadline, code in rows:
        spec = AlertSpec(f"deadline_soon:{rid}:ca-{code}", "deadline_soon", f"ca-{code}", rid, requesting, deadline,
                         deadline - DEADLINE_WARNING)
        raised += raise_alert(session, spec, now) is not None
    return raised
