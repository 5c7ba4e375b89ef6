"""The tamper-evident audit trail: an append-only, hash-chained log written in the change's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.db import lock_chain
from atlas_coord.models import AuditRecord, utcnow
from atlas_coord.policy import Actor

GENESIS_HASH = "0" * 64


def json_safe(value: Any) -> Any:
    """The JSON form a value will have once stored, so hashing before and after storage agree."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def ensure_chain_lock(session: Session) -> None:
    if not session.info.get("chain_locked"):
        lock_chain(session)
        session.info["chain_locked"] = True


def _digest(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hashed_fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "actor_id": record.actor_id,
        "actor_name": record.actor_name,
        "actor_role": record.actor_role,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "request_id": record.request_id,
        "before": record.before,
        "after": record.after,
        "prev_hash": record.prev_hash,
    }


def record(
    session: Session,
    actor: Actor | None,
    role: str,
    action: str,
    subject_type: str,
    subject_id: Any,
    *,
    before: Any = None,
    after: Any = None,
    request_id: int | None = None,
) -> AuditRecord:
    """Append one record to the chain. ``actor`` None means the system (scheduler, seed)."""
    ensure_chain_lock(session)
    last = session.execute(
        sa.select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    entry = AuditRecord(
        seq=seq,
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else "system",
        actor_role=role,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        request_id=request_id,
        before=json_safe(before),
        after=json_safe(after),
        prev_hash=prev_hash,
    )
    # Microseconds survive both SQLite and PostgreSQL; anything finer would break the hash.
    entry.at = entry.at.replace(microsecond=entry.at.microsecond)
    entry.hash = _digest(_hashed_fields(entry))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in ``seq`` order and name the first record that was edited, deleted or moved."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in session.scalars(sa.select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000):
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, entry.seq, f"record {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, entry.seq, "link broken: a record before it was deleted, edited or reordered"
            )
        if _digest(_hashed_fields(entry)) != entry.hash:
            return VerifyResult(False, checked, entry.seq, "content does not match its hash: the record was edited")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)


def records(session: Session, *, request_id: int | None = None, after_seq: int = 0, limit: int = 500) -> list[AuditRecord]:
    """Audit records after ``after_seq`` in chain order, optionally only those of one request."""
    query = sa.select(AuditRecord).where(AuditRecord.seq > after_seq).order_by(AuditRecord.seq).limit(limit)
    if request_id is not None:
        query = query.where(AuditRecord.request_id == request_id)
    return list(session.scalars(query))

