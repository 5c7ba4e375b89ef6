"""Duty rosters of organisations (a State's competent authority or crisis centre, or a unit):
weekly shifts and exceptions with a primary and a backup duty officer, the officers' contact
points, and the organisation's fallback address."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UtcDateTime, utcnow

ORG_KINDS = ("competent_authority", "crisis_centre", "unit")
CONTACT_CHANNELS = ("email", "sms", "voice")


class DutyOrg(Base):
    """One organisation's roster header; ``key`` is ``ca:FR``, ``cc:FR`` or ``unit:12``."""

    __tablename__ = "duty_org"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ORG_KINDS}", name="kind"),
        sa.CheckConstraint("(unit_id IS NULL) <> (kind = 'unit')", name="unit_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    fallback_email: Mapped[str | None] = mapped_column(sa.String(254))
    # Per-organisation alert rules: {kind: {"enabled": bool, "ack_minutes": int}} over the defaults.
    rules: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    shifts: Mapped[list[DutyShift]] = relationship(
        back_populates="org", cascade="all, delete-orphan", order_by="DutyShift.id", lazy="selectin")
    contacts: Mapped[list[DutyContact]] = relationship(
        cascade="all, delete-orphan", order_by="(DutyContact.user_id, DutyContact.position)", lazy="selectin")


class DutyShift(Base):
    """A weekly shift (``weekday`` 0 = Monday) or an exception on ``day``; local wall times."""

    __tablename__ = "duty_shift"
    __table_args__ = (
        sa.CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="weekly_or_exception"),
        sa.CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_org.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int | None] = mapped_column(sa.SmallInteger)
    day: Mapped[date | None] = mapped_column(sa.Date)
    start_time: Mapped[str] = mapped_column(sa.String(5))
    end_time: Mapped[str] = mapped_column(sa.String(5))
    primary_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))
    backup_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id", ondelete="SET NULL"))

    org: Mapped[DutyOrg] = relationship(back_populates="shifts")


class DutyContact(Base):
    """One contact point of an officer on this roster, tried in ``position`` order (the console
    always comes first and needs no row)."""

    __tablename__ = "duty_contact"
    __table_args__ = (
        sa.CheckConstraint(f"channel IN {CONTACT_CHANNELS}", name="channel"),
        sa.UniqueConstraint("org_id", "user_id", "channel", "address", name="uq_duty_contact_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_org.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(sa.String(8))
    address: Mapped[str] = mapped_column(sa.String(254))
