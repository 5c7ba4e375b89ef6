"""The append-only, hash-chained audit trail and the event outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow


class AuditRecord(Base):
    """One change: who, in which role, when, the state before and after.

    ``hash`` = HMAC-SHA-256, keyed by the secret ``key_id`` names (held outside the database),
    over ``prev_hash`` and the canonical JSON of this record's fields, so an edited, deleted,
    reordered or forged record breaks the chain (``atlas-coord audit verify``). Records written
    before keys existed have no ``key_id`` and a plain SHA-256 hash (the legacy prefix).
    On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of this table (migration 0006).
    """

    __tablename__ = "audit_record"
    __table_args__ = (sa.Index("ix_audit_record_request", "request_id", "seq"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(sa.String(80))
    actor_role: Mapped[str] = mapped_column(sa.String(60))
    action: Mapped[str] = mapped_column(sa.String(60))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[str] = mapped_column(sa.String(40))
    request_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(sa.String(32))


class Event(Base):
    """The outbox: every change's event, written in the change's transaction, emitted after commit.

    ``audience`` lists the rooms entitled to it (``all``, ``observers``, ``state:XX``, ``unit:N``,
    ``request:N``); replay filters on it exactly as the live rooms do.
    """

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_at", "at"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(sa.String(60))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(sa.String(60))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    audience: Mapped[list[str]] = mapped_column(sa.JSON)
