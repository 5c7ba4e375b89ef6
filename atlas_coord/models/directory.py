"""The ATLAS directory: participating states, competent authorities, units and readiness."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from atlas_coord.domain.choices import AxisLevel, CapabilityLevel, ReadinessStatus

from .base import Base, UtcDateTime, enum_check, utcnow

MEMBERSHIPS = ("eu", "associated", "partner")
AIR_TRANSPORT = ("helicopter", "fixed_wing", "none")
TIERS = ("T1", "T2", "T3")
CAPABILITY_FAMILIES = ("environment", "specialist", "support")


class State(Base):
    """A participating state: the 27 EU members, the associated NO, IS and CH, and partners."""

    __tablename__ = "state"
    __table_args__ = (
        sa.CheckConstraint(f"membership IN {MEMBERSHIPS}", name="membership"),
        sa.CheckConstraint("length(code) = 2", name="code_alpha2"),
    )

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    membership: Mapped[str] = mapped_column(sa.String(12))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    critical_capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    authorities: Mapped[list[Authority]] = relationship(back_populates="state", order_by="Authority.id")


class Authority(Base):
    """A competent authority (Art. 2): may request assistance, answer requests, or both."""

    __tablename__ = "authority"
    __table_args__ = (sa.CheckConstraint("may_request OR may_answer", name="has_power"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    contact_channel: Mapped[str] = mapped_column(sa.String(300))
    may_request: Mapped[bool] = mapped_column(default=True)
    may_answer: Mapped[bool] = mapped_column(default=True)

    state: Mapped[State] = relationship(back_populates="authorities")


class Capability(Base):
    """One entry of the capability taxonomy, held as data."""

    __tablename__ = "capability"
    __table_args__ = (sa.CheckConstraint(f"family IN {CAPABILITY_FAMILIES}", name="family"),)

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    family: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text)


class Unit(Base):
    """A special intervention unit with its home base, transport and current readiness."""

    __tablename__ = "unit"
    __table_args__ = (
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="base_coordinates"),
        sa.CheckConstraint(f"tier IN {TIERS}", name="tier"),
        sa.CheckConstraint(f"air_transport IN {AIR_TRANSPORT}", name="air_transport"),
        sa.CheckConstraint("personnel >= 0", name="personnel_non_negative"),
        enum_check("readiness_status", ReadinessStatus, "readiness_status"),
        enum_check("readiness_personnel", AxisLevel, "readiness_personnel"),
        enum_check("readiness_equipment", AxisLevel, "readiness_equipment"),
        enum_check("readiness_transport", AxisLevel, "readiness_transport"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    local_name: Mapped[str] = mapped_column(sa.String(200))
    english_name: Mapped[str] = mapped_column(sa.String(200))
    parent_agency: Mapped[str] = mapped_column(sa.String(200))
    base_city: Mapped[str] = mapped_column(sa.String(120))
    lat: Mapped[float]
    lon: Mapped[float]
    tier: Mapped[str] = mapped_column(sa.String(2), default="T2")
    personnel: Mapped[int] = mapped_column(default=0)
    air_transport: Mapped[str] = mapped_column(sa.String(12), default="none")
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notice_domestic_min: Mapped[int] = mapped_column(default=30)
    notice_international_min: Mapped[int] = mapped_column(default=180)
    source_note: Mapped[str | None] = mapped_column(sa.Text)

    readiness_status: Mapped[str] = mapped_column(sa.String(12), default="READY")
    readiness_break_off_min: Mapped[int | None]
    readiness_personnel: Mapped[str] = mapped_column(sa.String(8), default="ready")
    readiness_equipment: Mapped[str] = mapped_column(sa.String(8), default="ready")
    readiness_transport: Mapped[str] = mapped_column(sa.String(8), default="ready")
    readiness_reason: Mapped[str | None] = mapped_column(sa.String(500))
    readiness_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Compare-and-set guard for concurrent readiness and directory updates.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    state: Mapped[State] = relationship()
    stations: Mapped[list[UnitStation]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitStation.id"
    )
    capabilities: Mapped[list[UnitCapability]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitCapability.capability_code"
    )


class UnitStation(Base):
    """A further station of a unit (e.g. a GIGN regional antenna), used for realistic ETAs."""

    __tablename__ = "unit_station"
    __table_args__ = (
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    lat: Mapped[float]
    lon: Mapped[float]

    unit: Mapped[Unit] = relationship(back_populates="stations")


class UnitCapability(Base):
    """A capability a unit holds, at a level, with a quantity where it matters."""

    __tablename__ = "unit_capability"
    __table_args__ = (
        enum_check("level", CapabilityLevel, "level"),
        sa.CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
    )

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    capability_code: Mapped[str] = mapped_column(sa.ForeignKey("capability.code"), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(8), default="full")
    quantity: Mapped[int | None]

    unit: Mapped[Unit] = relationship(back_populates="capabilities")


class ReadinessChange(Base):
    """Readiness history: one row per change, never updated."""

    __tablename__ = "readiness_change"
    __table_args__ = (
        enum_check("status", ReadinessStatus, "status"),
        enum_check("previous_status", ReadinessStatus, "previous_status"),
        sa.Index("ix_readiness_change_unit_at", "unit_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="CASCADE"))
    previous_status: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(12))
    break_off_min: Mapped[int | None]
    personnel: Mapped[str] = mapped_column(sa.String(8))
    equipment: Mapped[str] = mapped_column(sa.String(8))
    transport: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.String(500))
    # 'commander', 'deployment', 'training' or 'system': why the status changed.
    source: Mapped[str] = mapped_column(sa.String(12), default="commander")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
