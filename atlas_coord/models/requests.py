"""Assistance requests (Art. 3), the addressed States' answers, the practical arrangements (Art. 1),
the deployments of units and their operational costs (Art. 4).

Statuses are the enums of :mod:`atlas_coord.domain.lifecycle`; every status column is kept within
its enum by a named CHECK constraint. Rows whose status changes carry a ``version`` that the
services compare and set, so that of two concurrent changes exactly one wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, composite, mapped_column, relationship

from atlas_coord.domain.choices import (
    AnswerStatus,
    CapabilityLevel,
    CostBearer,
    CostCategory,
    CrisisType,
    DeploymentStatus,
    LegalBasis,
    ReadinessStatus,
    RequestStatus,
)
from atlas_coord.domain.geo import GeoPoint

from .base import Base, UtcDateTime, enum_check, utcnow
from .directory import Unit

TRANSPORT_MODES = ("road", "air", "rail", "sea")


class Crisis(Base):
    """A crisis situation (Art. 2(b)) in the owning State, which sets its classification marking."""

    __tablename__ = "crisis"
    __table_args__ = (
        enum_check("crisis_type", CrisisType, "crisis_type"),
        sa.CheckConstraint("site_lat BETWEEN -90 AND 90 AND site_lon BETWEEN -180 AND 180", name="site_coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"), index=True)
    crisis_type: Mapped[str] = mapped_column(sa.String(24))
    site_lat: Mapped[float]
    site_lon: Mapped[float]
    # The site as one value (the two columns stay as they are): what the ranking and the views take.
    site: Mapped[GeoPoint] = composite("site_lat", "site_lon")
    place_name: Mapped[str] = mapped_column(sa.String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(sa.Text)
    is_exercise: Mapped[bool] = mapped_column(default=False)
    # Free text chosen by the owner, e.g. "RESTREINT UE/EU RESTRICTED"; shown on every view.
    classification: Mapped[str] = mapped_column(sa.String(60))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class AssistanceRequest(Base):
    """A State's request for assistance (Art. 3(1)): the kinds of assistance, the operational
    necessity, the capabilities needed, when and for how long, and the States addressed.

    ``addressed_states`` is the list chosen when drafting; on submission each becomes a
    :class:`RequestAddressee` row. ``ranking_snapshot`` freezes the inputs and outputs of the unit
    ranking at submission, so the choice of addressees can be explained later.
    """

    __tablename__ = "assistance_request"
    __table_args__ = (
        enum_check("status", RequestStatus, "status"),
        sa.CheckConstraint("duration_hours > 0", name="duration_positive"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(sa.ForeignKey("crisis.id"), index=True)
    requesting_state: Mapped[str] = mapped_column(sa.ForeignKey("state.code"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=RequestStatus.DRAFT.value)
    kinds: Mapped[list[str]] = mapped_column(sa.JSON)
    operational_necessity: Mapped[str] = mapped_column(sa.Text)
    needed_by: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_hours: Mapped[int]
    address_all: Mapped[bool] = mapped_column(default=False)
    addressed_states: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    answer_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    # Deferred: a frozen ranking is tens of kB of JSON, and decoding it for every row of a list
    # page took most of GET /requests' CPU; it loads (one statement) when a request's is read.
    # None is SQL NULL (not the JSON text null), so that has_ranking_snapshot can ask the row.
    ranking_snapshot: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True), deferred=True)
    # Whether a ranking was frozen, without loading it (the request's page shows only that).
    has_ranking_snapshot: Mapped[bool] = column_property(ranking_snapshot.is_not(None))
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    costs_settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    costs_settled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Compare-and-set guard: every status change is UPDATE ... WHERE status=:seen AND version=:seen.
    version: Mapped[int] = mapped_column(default=1)

    crisis: Mapped[Crisis] = relationship()
    requirements: Mapped[list[RequestRequirement]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestRequirement.position"
    )
    addressees: Mapped[list[RequestAddressee]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestAddressee.state_code"
    )
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Deployment.id"
    )


class RequestRequirement(Base):
    """One capability the request needs, with how many and at which minimum level."""

    __tablename__ = "request_requirement"
    __table_args__ = (
        enum_check("min_level", CapabilityLevel, "min_level"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.UniqueConstraint("request_id", "capability_code", name="uq_request_requirement_capability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    capability_code: Mapped[str] = mapped_column(sa.ForeignKey("capability.code"))
    quantity: Mapped[int] = mapped_column(default=1)
    min_level: Mapped[str] = mapped_column(sa.String(8), default=CapabilityLevel.FULL.value)

    request: Mapped[AssistanceRequest] = relationship(back_populates="requirements")


class RequestAddressee(Base):
    """One addressed State's copy of the request and its answer (Art. 3(1)): accept with the
    units offered, refuse with a reason, or counter-propose another kind of assistance.

    ``seen_at``/``seen_by_id`` record the acknowledgement, so the requester knows it was read.
    """

    __tablename__ = "request_addressee"
    __table_args__ = (
        enum_check("status", AnswerStatus, "status"),
        sa.UniqueConstraint("request_id", "state_code", name="uq_request_addressee_state"),
        sa.CheckConstraint("counter_personnel IS NULL OR counter_personnel > 0", name="counter_personnel_positive"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"))
    status: Mapped[str] = mapped_column(sa.String(20), default=AnswerStatus.PENDING.value)
    reason: Mapped[str | None] = mapped_column(sa.String(2000))
    # The structured counter-proposal: which CounterKind values apply, and their details.
    counter_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    counter_assistance_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    counter_personnel: Mapped[int | None]
    counter_arrival_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    counter_text: Mapped[str | None] = mapped_column(sa.String(4000))
    counter_decision_reason: Mapped[str | None] = mapped_column(sa.String(2000))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set once by the scheduler when the answer deadline passed unanswered (claimed compare-and-set).
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(default=1)

    request: Mapped[AssistanceRequest] = relationship(back_populates="addressees")
    offered_units: Mapped[list[OfferedUnit]] = relationship(
        back_populates="addressee", cascade="all, delete-orphan", order_by="OfferedUnit.unit_id"
    )
    arrangement: Mapped[Arrangement | None] = relationship(
        back_populates="addressee", cascade="all, delete-orphan", uselist=False
    )


class OfferedUnit(Base):
    """A unit that an answer (acceptance or counter-proposal) offers."""

    __tablename__ = "offered_unit"

    addressee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("request_addressee.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), primary_key=True)

    addressee: Mapped[RequestAddressee] = relationship(back_populates="offered_units")


class Arrangement(Base):
    """The practical arrangements the two States agree directly (Art. 1): the legal basis, the
    weapons and equipment manifest, the liaison officer, and the Art. 4 cost terms.

    By default the requesting State bears the operational costs (``cost_default_bearer`` =
    'requesting'); ``cost_overrides`` maps a cost category to the other bearer where agreed.
    """

    __tablename__ = "arrangement"
    __table_args__ = (
        enum_check("legal_basis", LegalBasis, "legal_basis"),
        enum_check("cost_default_bearer", CostBearer, "cost_default_bearer"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    addressee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("request_addressee.id", ondelete="CASCADE"), unique=True
    )
    legal_basis: Mapped[str] = mapped_column(sa.String(20), default=LegalBasis.DECISION_2008_617.value)
    # [{"item": str, "category": "weapon"|"ammunition"|"equipment", "quantity": int}]
    weapons_manifest: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    liaison_officer: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    cost_default_bearer: Mapped[str] = mapped_column(sa.String(12), default=CostBearer.REQUESTING.value)
    cost_overrides: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    cost_note: Mapped[str | None] = mapped_column(sa.String(2000))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    addressee: Mapped[RequestAddressee] = relationship(back_populates="arrangement")


class Deployment(Base):
    """One unit sent in answer to a request (Art. 3(2)-(3)), from its alert until it is back.

    ``previous_readiness`` is the unit's readiness before the deployment committed it, restored
    when the unit returns. ``recalled`` stays true after a recalled unit returns, so it no longer
    counts towards the request being met.
    """

    __tablename__ = "deployment"
    __table_args__ = (
        enum_check("status", DeploymentStatus, "status"),
        enum_check("previous_readiness", ReadinessStatus, "previous_readiness"),
        sa.CheckConstraint(f"transport_mode IS NULL OR transport_mode IN {TRANSPORT_MODES}", name="transport_mode"),
        sa.CheckConstraint("headcount IS NULL OR headcount > 0", name="headcount_positive"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.UniqueConstraint("request_id", "unit_id", name="uq_deployment_request_unit"),
        sa.Index("ix_deployment_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    addressee_id: Mapped[int] = mapped_column(sa.ForeignKey("request_addressee.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default=DeploymentStatus.ALERTED.value)
    headcount: Mapped[int | None]
    transport_mode: Mapped[str | None] = mapped_column(sa.String(8))
    eta: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the unit left (EN ROUTE) and arrived (ON SCENE), set by those steps: the map places a
    # travelling unit along its route by elapsed time, and ON SCENE shows "on scene since".
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    on_scene_commander: Mapped[str | None] = mapped_column(sa.String(200))
    extended_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recalled: Mapped[bool] = mapped_column(default=False)
    status_reason: Mapped[str | None] = mapped_column(sa.String(2000))
    previous_readiness: Mapped[str | None] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    request: Mapped[AssistanceRequest] = relationship(back_populates="deployments")
    unit: Mapped[Unit] = relationship()
    costs: Mapped[list[CostItem]] = relationship(
        back_populates="deployment", cascade="all, delete-orphan", order_by="CostItem.id"
    )


class CostItem(Base):
    """One operational cost of a deployed unit (Art. 4), in integer minor units of an ISO 4217 currency.

    ``paid_by`` is who actually paid ('sending' or 'requesting'); who *bears* it follows from the
    arrangement's cost terms, and the settlement summary nets the difference.
    """

    __tablename__ = "cost_item"
    __table_args__ = (
        enum_check("category", CostCategory, "category"),
        enum_check("paid_by", CostBearer, "paid_by"),
        sa.CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso4217"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_request.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(sa.ForeignKey("deployment.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(sa.String(16))
    currency: Mapped[str] = mapped_column(sa.String(3))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    paid_by: Mapped[str] = mapped_column(sa.String(12), default=CostBearer.SENDING.value)
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    deployment: Mapped[Deployment] = relationship(back_populates="costs")
