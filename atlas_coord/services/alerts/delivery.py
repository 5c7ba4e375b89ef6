"""Delivering an alert's contact points: claim with a lease, send, record the attempt.

A delivery is claimed by compare-and-set (``pending`` and due, or ``sending`` with an expired
lease -> ``sending`` with a new lease and this worker's name). The console and the local mailbox
are written in the claim's own transaction, so they happen exactly once. SMTP and the gateway
are sent *after* the claim is committed and recorded in a second transaction (compare-and-set on
the claimer): a process killed mid-send leaves the lease to expire and the delivery is sent
again by whoever claims it next (at least once towards the relay, with the same Message-ID).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import Alert, AlertDelivery, MailboxMessage
from atlas_coord.policy import user_room

from .. import audit, events
from . import links
from .channels import Message, compose

IN_DATABASE = ("console", "mailbox")


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery that must go out of the process (SMTP, gateway)."""

    delivery_id: int
    channel: str
    address: str
    key: str
    message: Message
    worker: str


def channel_of(delivery: AlertDelivery, settings) -> str:
    """Where it goes: an email is ``mailbox`` in the embedded default (``alerts.email``)."""
    if delivery.channel == "email" and settings.alerts.email == "mailbox":
        return "mailbox"
    return delivery.channel


def due_delivery_ids(session: Session, now: datetime, *, limit: int = 200) -> list[int]:
    due = sa.or_(sa.and_(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now),
                 sa.and_(AlertDelivery.status == "sending", AlertDelivery.lease_until < now))
    return list(session.scalars(sa.select(AlertDelivery.id).where(due).order_by(AlertDelivery.id).limit(limit)))


def claim(session: Session, delivery_id: int, now: datetime, worker: str, lease_seconds: int) -> AlertDelivery | None:
    """Take a due delivery for ``lease_seconds``; None when another process holds or sent it."""
    due = sa.or_(sa.and_(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now),
                 sa.and_(AlertDelivery.status == "sending", AlertDelivery.lease_until < now))
    taken = session.execute(
        sa.update(AlertDelivery).where(AlertDelivery.id == delivery_id, due)
        .values(status="sending", claimed_by=worker, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=AlertDelivery.attempts + 1)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return None
    delivery = session.get(AlertDelivery, delivery_id)
    session.refresh(delivery)
    return delivery


def _summary(delivery: AlertDelivery, alert: Alert, channel: str) -> str:
    who = f"user {delivery.user_id}" if delivery.channel == "console" else delivery.address
    return f"{alert.org_key}: {alert.reference} delivered by {channel} to {who}"


def _record(session: Session, delivery: AlertDelivery, alert: Alert, channel: str, error: str | None) -> None:
    action = "alert.delivery_failed" if error else "alert.deliver"
    after = {"status": delivery.status, "channel": channel, "step": delivery.step, "attempts": delivery.attempts,
             "summary": error or _summary(delivery, alert, channel)}
    audit.record(session, None, "system", action, "alert_delivery", delivery.id, request_id=alert.request_id, after=after)


def alert_payload(alert: Alert) -> dict:
    """The console's alert: as little as the email (no request details)."""
    return {"alert_id": alert.id, "reference": alert.reference, "kind": alert.kind, "org": alert.org_key,
            "request_id": alert.request_id, "requesting_state": alert.requesting_state,
            "deadline": alert.deadline.isoformat() if alert.deadline else None,
            "raised_at": alert.raised_at.isoformat(), "status": alert.status}


def message_for(delivery: AlertDelivery, alert: Alert, settings) -> Message:
    base = settings.alerts.public_url.rstrip("/")
    ack = f"{base}/alerts/ack/{links.token(settings.server.secret_key, delivery.id)}"
    return compose(alert, ack_link=ack, console_link=f"{base}/#alerts")


def deliver_in_database(session: Session, delivery: AlertDelivery, settings, now: datetime) -> None:
    """Console (a live ``alert.raised`` event to the person) or mailbox: in the claim's transaction."""
    alert = delivery.alert
    channel = channel_of(delivery, settings)
    if channel == "console":
        # The observers' room comes with every event (their feed); "for" keeps the ring to its person.
        events.publish(session, "alert.raised", f"alert:{alert.id}", {**alert_payload(alert), "for": delivery.user_id},
                       [user_room(delivery.user_id)])
    else:
        message = message_for(delivery, alert, settings)
        session.add(MailboxMessage(to_address=delivery.address, subject=message.subject, body=message.text,
                                   created_at=now, delivery_id=delivery.id))
    delivery.status, delivery.sent_at, delivery.lease_until = "sent", now, None
    session.flush()
    _record(session, delivery, alert, channel, None)


def prepare_external(delivery: AlertDelivery, settings, worker: str) -> Claimed:
    message = message_for(delivery, delivery.alert, settings)
    return Claimed(delivery.id, delivery.channel, delivery.address, f"alert{delivery.alert_id}.d{delivery.id}",
                   message, worker)


def skip_acknowledged(session: Session, delivery: AlertDelivery, now: datetime) -> bool:
    """A delivery of an alert acknowledged meanwhile is not sent (the officer knows already)."""
    if delivery.alert.status != "acknowledged":
        return False
    delivery.status, delivery.lease_until, delivery.last_error = "failed", None, "acknowledged before delivery"
    session.flush()
    return True


def backoff(settings, attempts: int) -> timedelta:
    seconds = settings.alerts.retry_base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.alerts.retry_max_seconds))


def finish(session: Session, claimed: Claimed, settings, now: datetime, error: str | None, *,
           permanent: bool = False) -> bool:
    """Record the outcome of an external send (compare-and-set on this worker's claim): sent, or
    back to ``pending`` with a growing delay, or ``failed`` after ``alerts.max_attempts``."""
    delivery = session.get(AlertDelivery, claimed.delivery_id)
    if delivery is None or delivery.status != "sending" or delivery.claimed_by != claimed.worker:
        return False
    if error is None:
        values = {"status": "sent", "sent_at": now, "lease_until": None, "last_error": None}
    elif permanent or delivery.attempts >= settings.alerts.max_attempts:
        values = {"status": "failed", "lease_until": None, "last_error": error[:300]}
    else:
        values = {"status": "pending", "lease_until": None, "last_error": error[:300],
                  "next_attempt_at": now + backoff(settings, delivery.attempts)}
    done = session.execute(sa.update(AlertDelivery).where(AlertDelivery.id == delivery.id, AlertDelivery.status == "sending",
                                                          AlertDelivery.claimed_by == claimed.worker)
                           .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    session.refresh(delivery)
    _record(session, delivery, delivery.alert, channel_of(delivery, settings), error)
    return True
