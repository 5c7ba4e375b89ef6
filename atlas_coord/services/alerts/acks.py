"""Acknowledging an alert, in the console or through a single-use link; the open alerts of a
person (the console's ringing alerts and the inbox) and the local mailbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.duty import zone
from atlas_coord.models import Alert, AlertDelivery, AssistanceRequest, MailboxMessage
from atlas_coord.policy import Action, Actor, can, user_room

from .. import audit, duty, events
from ..errors import Conflict, Forbidden, NotFound
from ..visibility import audience
from . import links
from .delivery import alert_payload

CAUSES = {
    "request_submitted": "submission", "deadline_soon": "the deadline warning", "answer_overdue": "the deadline",
    "counter_proposal": "the counter-proposal", "deployment_alerted": "the alert", "deployment_recalled": "the recall",
}


def officer_label(org_key: str) -> str:
    kind, _, rest = org_key.partition("-")
    return {"ca": f"{rest} duty officer", "cc": f"{rest} crisis centre duty officer"}.get(kind, f"unit {rest} commander on duty")


def ack_summary(session: Session, alert: Alert, at: datetime) -> str:
    """"FR duty officer acknowledged 03:04, 2 min after submission" (local time of the organisation)."""
    org = duty.load_org(session, alert.org_key)
    local = at.astimezone(zone(org.timezone)) if org is not None else at
    minutes = max(int((at - alert.cause_at).total_seconds() // 60), 0)
    return f"{officer_label(alert.org_key)} acknowledged {local:%H:%M}, {minutes} min after {CAUSES[alert.kind]}"


def _ladder_users(session: Session, alert: Alert) -> set[int]:
    return {int(c["address"]) for step in alert.steps for c in step if c["channel"] == "console"}


def _acknowledge(session: Session, alert: Alert, actor: Actor | None, user_id: int | None, via: str, now: datetime) -> Alert:
    """Compare-and-set to ``acknowledged``; a second acknowledgement changes nothing."""
    done = session.execute(sa.update(Alert).where(Alert.id == alert.id, Alert.status.in_(["open", "exhausted"]))
                           .values(status="acknowledged", acknowledged_at=now, acknowledged_by_id=user_id,
                                   ack_via=via, next_step_at=None)
                           .execution_options(synchronize_session=False))
    session.refresh(alert)
    if done.rowcount != 1:
        return alert
    summary = ack_summary(session, alert, now)
    audit.record(session, actor, "duty_officer", "alert.acknowledge", "alert", alert.id, request_id=alert.request_id,
                 after={"status": "acknowledged", "via": via, "summary": summary})
    rooms = {events.ROOM_OBSERVERS, *(user_room(u) for u in _ladder_users(session, alert))}
    request = session.get(AssistanceRequest, alert.request_id) if alert.request_id else None
    if request is not None:
        rooms.update(audience(session, request))
    events.publish(session, "alert.acknowledged", f"alert:{alert.id}",
                   {**alert_payload(alert), "acknowledged_at": now.isoformat(), "summary": summary}, sorted(rooms))
    return alert


def acknowledge(session: Session, actor: Actor, alert_id: int, now: datetime) -> Alert:
    """The console's acknowledgement, by an officer of the alert's ladder or a roster manager.

    :raise NotFound: no such alert, or not the actor's.
    """
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", fields={"alert_id": "unknown"})
    ref = duty.parse_org(session, alert.org_key)
    if actor.user_id not in _ladder_users(session, alert) and not can(
            actor, Action.ROSTER_MANAGE, state=ref.state_code, unit_id=ref.unit_id):
        raise NotFound(f"no alert {alert_id}", fields={"alert_id": "unknown"})
    return _acknowledge(session, alert, actor, actor.user_id, "console", now)


def acknowledge_by_link(session: Session, secret_key: str, token: str, max_age_seconds: int, now: datetime) -> Alert:
    """The link of one delivery, used once.

    :raise Invalid: forged or expired. :raise Conflict: used already.
    """
    delivery_id = links.read(secret_key, token, max_age_seconds)
    used = session.execute(sa.update(AlertDelivery)
                           .where(AlertDelivery.id == delivery_id, AlertDelivery.link_used_at.is_(None))
                           .values(link_used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        if session.get(AlertDelivery, delivery_id) is None:
            raise NotFound("this acknowledgement link names no alert", fields={"token": "unknown"})
        raise Conflict("this acknowledgement link has been used already", fields={"token": "used"})
    delivery = session.get(AlertDelivery, delivery_id)
    via = f"link:{delivery.channel}"
    return _acknowledge(session, delivery.alert, None, delivery.user_id, via, now)


def open_alerts_for(session: Session, actor: Actor) -> list[Alert]:
    """The alerts ringing on this person's console: delivered to them and not acknowledged (the
    inbox's source of alerts)."""
    mine = sa.select(AlertDelivery.alert_id).where(AlertDelivery.channel == "console",
                                                    AlertDelivery.user_id == actor.user_id,
                                                    AlertDelivery.status == "sent")
    return list(session.scalars(sa.select(Alert).where(Alert.id.in_(mine), Alert.status != "acknowledged")
                                .order_by(Alert.raised_at.desc()).limit(100)))


def mailbox(session: Session, actor: Actor, *, limit: int = 100) -> list[MailboxMessage]:
    """The local mailbox (admin): what would have gone out by email.

    :raise Forbidden: not an admin.
    """
    if not can(actor, Action.MAILBOX_READ):
        raise Forbidden("only an administrator reads the local mailbox")
    return list(session.scalars(sa.select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(limit)))
