"""Out-of-band alerts: one row per alert to an organisation's duty officers, one per delivery
attempt target, the outbox cursor the alert dispatcher advances, and the local mailbox (the
embedded default's email channel)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UtcDateTime, utcnow

ALERT_STATUSES = ("open", "acknowledged", "exhausted")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class Alert(Base):
    """An alert to an organisation. ``dedupe_key`` makes it exactly once per (cause, rule,
    organisation); ``steps`` is the escalation ladder frozen when it was raised."""

    __tablename__ = "alert"
    __table_args__ = (sa.CheckConstraint(f"status IN {ALERT_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    org_key: Mapped[str] = mapped_column(sa.String(40), index=True)
    request_id: Mapped[int | None] = mapped_column(index=True)
    reference: Mapped[str] = mapped_column(sa.String(60))
    requesting_state: Mapped[str | None] = mapped_column(sa.String(2))
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cause_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    steps: Mapped[list] = mapped_column(sa.JSON, default=list)
    step: Mapped[int] = mapped_column(default=0)
    ack_minutes: Mapped[int] = mapped_column(default=5)
    next_step_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    ack_via: Mapped[str | None] = mapped_column(sa.String(16))

    deliveries: Mapped[list[AlertDelivery]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertDelivery.id")


class AlertDelivery(Base):
    """One contact point of one escalation step. Claimed with a lease (``sending`` until
    ``lease_until``) so that a process killed mid-send leaves it to be sent again."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        sa.UniqueConstraint("alert_id", "step", "channel", "address", name="uq_alert_delivery_target"),
        sa.Index("ix_alert_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(8))
    address: Mapped[str] = mapped_column(sa.String(254))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    link_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")


class AlertCursor(Base):
    """The last outbox ``seq`` turned into alerts (one row, id 1), advanced by compare-and-set."""

    __tablename__ = "alert_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class MailboxMessage(Base):
    """An email delivered to the local mailbox instead of an SMTP relay (``alerts.email = "mailbox"``)."""

    __tablename__ = "mailbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alert_delivery.id", ondelete="SET NULL"),
                                                   unique=True)
