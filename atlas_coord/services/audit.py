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
# Records of the transaction not yet appended to the chain (see record()).
PENDING_RECORDS = "atlas_audit_pending_records"


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
    """Record one change; it is appended to the chain, sealed with the current key, when the
    transaction commits. ``actor`` None means the system (scheduler, seed). Every
    ``audit.checkpoint_every``-th record also gets a checkpoint in the witness, written once the
    transaction commits.

    Why at commit: appending takes the chain lock (one writer at a time, across every server
    process) until the transaction ends. Taken at the first record, it was held through the
    rest of the change (a request's ranking snapshot: ~0.2 s), which serialised every writer of
    the cluster; taken at commit it covers the appends and the commit only (issue #18).

    :raise AuditKeyMissing: when no audit key is configured (nothing is written).
    """
    anchor = anchor_of(session)
    key_id, _key = anchor.current_key()
    entry = AuditRecord(
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else "system",
        actor_role=role,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        request_id=request_id,
        before=json_safe(before),
        after=json_safe(after),
        key_id=key_id,
    )
    session.info.setdefault(PENDING_RECORDS, []).append((entry, anchor))
    return entry


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Append the transaction's records to the chain, in the order they were recorded, under the
    chain lock (held until the commit that follows)."""
    pending = session.info.pop(PENDING_RECORDS, None)
    if not pending:
        return
    session.flush()  # the change's own rows first: the chain lock is then held for the appends only
    ensure_chain_lock(session)
    last = head(session)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    for entry, anchor in pending:
        _seal(session, entry, anchor, seq, prev_hash)
        seq, prev_hash = seq + 1, entry.hash
    session.flush()


def _seal(session: Session, entry: AuditRecord, anchor: AuditAnchor, seq: int, prev_hash: str) -> None:
    entry.seq, entry.prev_hash = seq, prev_hash
    # Microseconds survive both SQLite and PostgreSQL; anything finer would break the hash.
    entry.at = utcnow()
    entry.at = entry.at.replace(microsecond=entry.at.microsecond)
    entry.hash = mac(anchor.keys[entry.key_id], _hashed_fields(entry))
    session.add(entry)
    if seq % anchor.checkpoint_every == 0 and anchor.witness_path is not None:
        _checkpoint_after_commit(session, anchor, seq, entry.hash)


@event.listens_for(Session, "after_transaction_end")
def _drop_unappended(session: Session, transaction) -> None:
    """Records of a transaction that ended without committing are not appended."""
    if transaction.parent is None:
        session.info.pop(PENDING_RECORDS, None)


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

