"""Response model of one audit record (the request's audit page, exports)."""

from __future__ import annotations

from typing import Any, Self

from atlas_coord.models import AuditRecord

from . import IsoTime, Out, PagedPage


class AuditRecordOut(Out):
    """One link of the hash chain; ``before``/``after`` are free-form snapshots of the subject."""

    seq: int
    at: IsoTime
    actor: str
    role: str | None
    action: str
    subject: str
    request_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str
    prev_hash: str | None

    @classmethod
    def of(cls, entry: AuditRecord) -> Self:
        return cls(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor_name,
            role=entry.actor_role,
            action=entry.action,
            subject=f"{entry.subject_type}:{entry.subject_id}",
            request_id=entry.request_id,
            before=entry.before,
            after=entry.after,
            hash=entry.hash,
            prev_hash=entry.prev_hash,
        )



class AuditPage(PagedPage[AuditRecordOut]):
    """A request's audit records, with its crisis's marking (also in ``X-ATLAS-MARKING``)."""

    marking: str
