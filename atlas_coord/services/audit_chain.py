"""The keys and the seal of the audit chain: HMAC-SHA-256 keyed by secrets held outside the database.

Each record is sealed with ``HMAC(key[key_id], canonical JSON of its fields and prev_hash)``;
the record names its ``key_id`` so that keys can rotate (new records use the current key,
verification looks each record's key up). Records written before the keys existed (0006) have
no key id and keep their plain SHA-256 seal: they form the legacy prefix of the chain.

The anchor (keys, witness file, checkpoint cadence) reaches :func:`services.audit.record`
through the session's ``info`` (``Database(..., session_info=session_info(settings))``):
``record`` has some forty callers across the services, and the key belongs to the database the
chain is written to, like its connection.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.models import AuditRecord

GENESIS_HASH = "0" * 64
ANCHOR_INFO_KEY = "atlas_audit_anchor"


class AuditKeyMissing(RuntimeError):
    """No audit HMAC key is configured, so no record can be sealed."""

    def __init__(self) -> None:
        super().__init__(
            "no audit key: set ATLAS_AUDIT_KEYS (id:secret,...) or audit.hmac_keys, "
            "or run `make run` once, which generates instance/audit_key"
        )


@dataclass(frozen=True)
class AuditAnchor:
    """What seals and anchors the chain: the keys by id, the current one, the witness."""

    keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    current_key_id: str | None = None
    witness_path: Path | None = None
    checkpoint_every: int = 100
    checkpoint_minutes: int = 5

    def current_key(self) -> tuple[str, bytes]:
        """:raise AuditKeyMissing: when no key is configured."""
        if self.current_key_id is None or self.current_key_id not in self.keys:
            raise AuditKeyMissing()
        return self.current_key_id, self.keys[self.current_key_id]


def anchor_from_settings(settings) -> AuditAnchor:
    """The anchor the ``[audit]`` settings describe."""
    audit = settings.audit
    return AuditAnchor(
        keys={key_id: secret.get_secret_value().encode("utf-8") for key_id, secret in audit.hmac_keys.items()},
        current_key_id=audit.current_key_id,
        witness_path=Path(audit.witness_path),
        checkpoint_every=audit.checkpoint_every,
        checkpoint_minutes=audit.checkpoint_minutes,
    )


def session_info(settings) -> dict[str, Any]:
    """The ``session_info`` of a ``Database`` whose sessions write audit records."""
    return {ANCHOR_INFO_KEY: anchor_from_settings(settings)}


_default_anchor = AuditAnchor()


def use_default_anchor(anchor: AuditAnchor) -> None:
    """The anchor of sessions made without one (tests' own ``Database(url)``)."""
    global _default_anchor
    _default_anchor = anchor


def anchor_of(session: Session) -> AuditAnchor:
    return session.info.get(ANCHOR_INFO_KEY) or _default_anchor


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def digest(fields: dict[str, Any]) -> str:
    """The legacy seal: plain SHA-256 (records written before keys existed)."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def mac(key: bytes, fields: dict[str, Any]) -> str:
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def hashed_fields(record: AuditRecord) -> dict[str, Any]:
    fields = {
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
    # Legacy records hash exactly what they hashed before the key id existed.
    if record.key_id is not None:
        fields["key_id"] = record.key_id
    return fields


def seal(record: AuditRecord, keys: Mapping[str, bytes]) -> str | None:
    """The hash the record should carry; None when its key id is not among ``keys``."""
    if record.key_id is None:
        return digest(hashed_fields(record))
    key = keys.get(record.key_id)
    return None if key is None else mac(key, hashed_fields(record))


def same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("ascii", "replace"), right.encode("ascii", "replace"))
