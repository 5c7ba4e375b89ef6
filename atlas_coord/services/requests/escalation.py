"""Answer deadlines (run by the scheduler): escalate the addressed States that did not answer in time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import AnswerStatus, RequestStatus
from atlas_coord.models import AssistanceRequest, RequestAddressee

from .. import audit, events
from ..visibility import audience
from .crises import marked


def escalate_overdue_answers(session: Session, now: datetime) -> int:
    """Escalate every addressed state whose answer deadline passed with no answer.

    Each addressee is claimed with a compare-and-set (``escalated_at IS NULL``), so a second
    scheduler started by mistake escalates nothing twice. One ``request.answer_overdue`` event goes
    to the request's parties and the observers (the ATLAS support office), with an audit record.
    Returns how many were escalated.
    """
    open_statuses = [RequestStatus.SUBMITTED.value, RequestStatus.PARTIALLY_MET.value, RequestStatus.MET.value]
    overdue = session.execute(
        sa.select(RequestAddressee.id, RequestAddressee.request_id, RequestAddressee.state_code)
        .join(AssistanceRequest, AssistanceRequest.id == RequestAddressee.request_id)
        .where(
            AssistanceRequest.status.in_(open_statuses),
            AssistanceRequest.answer_deadline < now,
            RequestAddressee.status == AnswerStatus.PENDING.value,
            RequestAddressee.escalated_at.is_(None),
        )
        .order_by(RequestAddressee.request_id, RequestAddressee.id)
    ).all()
    escalated = 0
    for addressee_id, request_id, state_code in overdue:
        claimed = session.execute(
            sa.update(RequestAddressee)
            .where(RequestAddressee.id == addressee_id, RequestAddressee.escalated_at.is_(None))
            .values(escalated_at=now)
        )
        if claimed.rowcount != 1:
            continue
        request = session.get(AssistanceRequest, request_id)
        data = {
            "request_id": request_id,
            "state": state_code,
            "answer_deadline": request.answer_deadline.isoformat(),
            "escalated_at": now.isoformat(),
        }
        audit.record(
            session, None, "system", "answer.overdue", "request_addressee", addressee_id, after=data, request_id=request_id
        )
        events.publish(
            session, "request.answer_overdue", f"request:{request_id}", marked(request.crisis, data), [*audience(session, request), events.ROOM_OBSERVERS]
        )
        escalated += 1
    return escalated
