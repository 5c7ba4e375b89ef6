"""Verifying the anchored audit trail: the chain with the keys, and the chain against the witness.

Walks the records in ``seq`` order and names the first bad one:

- a missing ``seq`` (a deletion), a ``prev_hash`` that is not the previous record's hash
  (a deletion, an edit whose hash was recomputed, a swap);
- a seal that does not match: HMAC-SHA-256 with the record's key for keyed records, so an edit,
  a forged append or a suffix re-hashed without the key is found; plain SHA-256 for the legacy
  records written before 0006, which may only come before the first keyed record;
- a key id that is not configured (reported: the record cannot be checked);
- a record whose hash differs from a checkpoint of the witness at its ``seq`` (a rewrite by
  someone who had the key), and a chain that ends before the latest checkpoint (a cut tail).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import AuditRecord

from . import audit_witness
from .audit_chain import GENESIS_HASH, AuditAnchor, anchor_of, same, seal
from .audit_witness import Checkpoint


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head: str | None = None
    # The latest checkpoint the chain was compared with; None when the witness has none.
    checkpoint: Checkpoint | None = None
    checkpoints: int = 0
    legacy: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Walk:
    expected_seq: int = 1
    expected_prev: str = GENESIS_HASH
    keyed_seen: bool = False
    legacy: int = 0


def _record_problem(entry: AuditRecord, walk: _Walk, keys: Mapping[str, bytes]) -> tuple[int, str] | None:
    if entry.seq != walk.expected_seq:
        return entry.seq, f"record {walk.expected_seq} is missing (next is {entry.seq})"
    if entry.prev_hash != walk.expected_prev:
        return entry.seq, "link broken: a record before it was deleted, edited or reordered"
    if entry.key_id is None and walk.keyed_seen:
        return entry.seq, "unkeyed (legacy SHA-256) record after keyed ones: forged or downgraded"
    expected = seal(entry, keys)
    if expected is None:
        return entry.seq, f"sealed with unknown key id {entry.key_id!r}: add it to audit.hmac_keys to check it"
    if not same(expected, entry.hash):
        if entry.key_id is None:
            return entry.seq, "content does not match its hash: the record was edited"
        return entry.seq, ("HMAC does not match: the record was edited, or forged or re-hashed by someone "
                           "without the key")
    return None


def _checkpoint_problem(entry: AuditRecord, witnessed: Mapping[int, Checkpoint]) -> tuple[int, str] | None:
    checkpoint = witnessed.get(entry.seq)
    if checkpoint is None or same(checkpoint.hash, entry.hash):
        return None
    return entry.seq, (f"differs from the checkpoint of {checkpoint.at}: the chain was rewritten at or before "
                       "this record (with the key)")


def _witness(anchor: AuditAnchor, path: Path | None) -> tuple[list[Checkpoint], str | None]:
    """The trusted checkpoints, or the first reason the witness cannot be trusted."""
    if path is None:
        return [], None
    try:
        witness = audit_witness.read(path)
    except OSError as exc:
        return [], f"witness {path} cannot be read: {exc}"
    if witness.unreadable:
        return [], f"witness {path}: line {witness.unreadable[0]} is not a checkpoint: the witness was edited"
    for checkpoint in witness.checkpoints:
        problem = audit_witness.signature_problem(anchor, checkpoint)
        if problem:
            return [], f"witness {path}: {problem}"
    return witness.checkpoints, None


def _walk(entries: Iterable[AuditRecord], keys, witnessed) -> tuple[_Walk, tuple[int, str] | None, str | None]:
    walk, head = _Walk(), None
    for entry in entries:
        problem = _record_problem(entry, walk, keys) or _checkpoint_problem(entry, witnessed)
        if problem:
            return walk, problem, head
        walk.keyed_seen = walk.keyed_seen or entry.key_id is not None
        walk.legacy += entry.key_id is None
        walk.expected_prev = head = entry.hash
        walk.expected_seq += 1
    return walk, None, head


def _truncation(walk: _Walk, latest: Checkpoint | None) -> tuple[int, str] | None:
    last = walk.expected_seq - 1
    if latest is None or latest.seq <= last:
        return None
    return walk.expected_seq, (f"records {walk.expected_seq} to {latest.seq} are missing: the chain ends at {last} "
                               f"but the checkpoint of {latest.at} witnessed {latest.seq} (tail cut)")


def verify(session: Session, anchor: AuditAnchor | None = None, *, witness: Path | None = None) -> VerifyResult:
    """Check the chain with the anchor's keys and against its witness (``witness`` overrides the
    anchor's file, e.g. a copy kept elsewhere); name the first bad record."""
    anchor = anchor or anchor_of(session)
    path = witness or anchor.witness_path
    checkpoints, witness_problem = _witness(anchor, path)
    if witness_problem:
        return VerifyResult(False, 0, None, witness_problem)
    witnessed = {c.seq: c for c in checkpoints}
    latest = max(checkpoints, key=lambda c: c.seq, default=None)
    entries = session.scalars(sa.select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000)
    walk, problem, head = _walk(entries, anchor.keys, witnessed)
    problem = problem or _truncation(walk, latest)
    checked = walk.expected_seq - 1
    notes = () if latest else (f"no checkpoint in {path}: a cut tail cannot be detected yet",)
    if problem:
        return VerifyResult(False, checked, problem[0], problem[1], head, latest, len(checkpoints), walk.legacy, notes)
    return VerifyResult(True, checked, None, None, head, latest, len(checkpoints), walk.legacy, notes)
