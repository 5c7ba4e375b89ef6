"""The tamper-evident audit trail: an append-only log written in the change's transaction,
chained with HMAC-SHA-256 (``audit_chain``) and anchored by signed checkpoints in a witness file
outside the database (``audit_witness``); ``audit_verify`` checks both.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from atlas_coord.db import lock_chain
from atlas_coord.models import AuditRecord, utcnow
from atlas_coord.policy import Actor

from . import audit_witness
from .audit_chain import GENESIS_HASH, AuditAnchor, AuditKeyMissing, anchor_of, mac
from .audit_chain import hashed_fields as _hashed_fields
from .audit_verify import VerifyResult, verify

__all__ = ["GENESIS_HASH", "AuditKeyMissing", "VerifyResult", "verify", "record", "records", "checkpoint",
           "checkpoint_if_due", "head"]

log = logging.getLogger(__name__)
PENDING_CHECKPOINT = "atlas_audit_pending_checkpoint"


def json_safe(value: Any) -> Any:
    """The JSON form a value will have once stored, so hashing before and after storage agree."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def ensure_chain_lock(session: Session) -> None:
    if not session.info.get("chain_locked"):
        lock_chain(session)
        session.info["chain_locked"] = True


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
    """Append one record to the chain, sealed with the current key. ``actor`` None means the
    system (scheduler, seed). Every ``audit.checkpoint_every``-th record also gets a checkpoint
    in the witness, written once the transaction commits.

    :raise AuditKeyMissing: when no audit key is configured (nothing is written).
    """
    anchor = anchor_of(session)
    key_id, key = anchor.current_key()
    ensure_chain_lock(session)
    last = head(session)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
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
        key_id=key_id,
    )
    # Microseconds survive both SQLite and PostgreSQL; anything finer would break the hash.
    entry.at = entry.at.replace(microsecond=entry.at.microsecond)
    entry.hash = mac(key, _hashed_fields(entry))
    session.add(entry)
    session.flush()
    if seq % anchor.checkpoint_every == 0 and anchor.witness_path is not None:
        _checkpoint_after_commit(session, anchor, seq, entry.hash)
    return entry


def _checkpoint_after_commit(session: Session, anchor: AuditAnchor, seq: int, head_hash: str) -> None:
    """A checkpoint of this head once it is committed: a rolled-back record must not be witnessed."""
    first = PENDING_CHECKPOINT not in session.info
    session.info[PENDING_CHECKPOINT] = (anchor, seq, head_hash)
    if first:
        event.listen(session, "after_commit", _write_pending)
        event.listen(session, "after_rollback", _drop_pending)


def _drop_pending(session: Session) -> None:
    session.info[PENDING_CHECKPOINT] = None


def _write_pending(session: Session) -> None:
    pending = session.info.get(PENDING_CHECKPOINT)
    if pending is None:
        return
    session.info[PENDING_CHECKPOINT] = None
    anchor, seq, head_hash = pending
    _append(anchor, seq, head_hash, utcnow())


def _append(anchor: AuditAnchor, seq: int, head_hash: str, at: datetime) -> audit_witness.Checkpoint | None:
    """Write one checkpoint; a failure is logged, never raised: the record is committed already,
    and the next checkpoint (every N records, the scheduler, the CLI) covers it."""
    try:
        signed = audit_witness.sign(anchor, seq, head_hash, at)
        audit_witness.append(anchor.witness_path, signed)
    except (OSError, AuditKeyMissing) as exc:
        log.error("audit checkpoint at seq %s not written to %s (%s); the next checkpoint covers it",
                  seq, anchor.witness_path, exc)
        return None
    return signed


def head(session: Session) -> tuple[int, str] | None:
    """The last record's seq and hash."""
    row = session.execute(sa.select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else None


def checkpoint(session: Session, anchor: AuditAnchor, *, now: datetime | None = None) -> audit_witness.Checkpoint | None:
    """Witness the current head now (``atlas-coord audit checkpoint``); None when the chain is
    empty or the write failed (logged)."""
    current = head(session)
    if current is None:
        return None
    return _append(anchor, *current, now or utcnow())


def checkpoint_if_due(session: Session, anchor: AuditAnchor, now: datetime) -> audit_witness.Checkpoint | None:
    """The scheduler's checkpoint: only when the chain grew since the latest checkpoint and that
    one is ``audit.checkpoint_minutes`` old; otherwise nothing (and nothing logged)."""
    current = head(session)
    if current is None or anchor.witness_path is None:
        return None
    latest = audit_witness.latest(anchor.witness_path)
    if latest is not None:
        if current[0] <= latest.seq:
            return None
        if now - latest.when() < timedelta(minutes=anchor.checkpoint_minutes):
            return None
    return _append(anchor, *current, now)


def records(session: Session, *, request_id: int | None = None, after_seq: int = 0, limit: int = 500,
            offset: int = 0) -> list[AuditRecord]:
    """Audit records after ``after_seq`` in chain order, optionally only those of one request,
    skipping the first ``offset`` of them."""
    query = sa.select(AuditRecord).where(AuditRecord.seq > after_seq).order_by(AuditRecord.seq)
    if request_id is not None:
        query = query.where(AuditRecord.request_id == request_id)
    return list(session.scalars(query.offset(offset).limit(limit)))


def count_records(session: Session, *, request_id: int | None = None, after_seq: int = 0) -> int:
    """How many audit records :func:`records` pages through."""
    query = sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.seq > after_seq)
    if request_id is not None:
        query = query.where(AuditRecord.request_id == request_id)
    return session.scalar(query) or 0

