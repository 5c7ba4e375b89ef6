"""The witness of the audit chain: signed checkpoints (seq, head hash, time, key id, HMAC) in an
append-only JSON-lines file outside the database.

Someone who can rewrite the database but not this file (nor the key) cannot cut the tail of the
chain or rewrite it behind a checkpoint unnoticed: ``atlas-coord audit verify`` compares the
chain with every checkpoint. A checkpoint is written every ``audit.checkpoint_every`` records
(after the commit that wrote the record), by the scheduler every ``audit.checkpoint_minutes``
when the chain grew, and by ``atlas-coord audit checkpoint``. A failed write loses no audit
record: it is logged, and the next checkpoint covers the same records.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from .audit_chain import AuditAnchor, mac, same

# The tail read to find the latest checkpoint; lines are ~250 bytes.
TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key_id: str
    hmac: str

    def signed_fields(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "at": self.at, "key_id": self.key_id}

    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


def sign(anchor: AuditAnchor, seq: int, head: str, at: datetime) -> Checkpoint:
    """:raise AuditKeyMissing: when no key is configured."""
    key_id, key = anchor.current_key()
    unsigned = Checkpoint(seq, head, at.isoformat(), key_id, "")
    return Checkpoint(seq, head, unsigned.at, key_id, mac(key, unsigned.signed_fields()))


def signature_problem(anchor: AuditAnchor, checkpoint: Checkpoint) -> str | None:
    """Why a checkpoint cannot be trusted, or None."""
    key = anchor.keys.get(checkpoint.key_id)
    if key is None:
        return f"checkpoint at seq {checkpoint.seq} is signed with unknown key id {checkpoint.key_id!r}"
    if not same(mac(key, checkpoint.signed_fields()), checkpoint.hmac):
        return f"checkpoint at seq {checkpoint.seq} does not match its HMAC: the witness was edited"
    return None


def append(path: Path, checkpoint: Checkpoint) -> None:
    """One line, appended under an exclusive lock and synced, so concurrent writers never interleave.

    :raise OSError: when the file cannot be written (the caller logs it; the next checkpoint retries).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(checkpoint), separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(line: str) -> Checkpoint:
    data = json.loads(line)
    return Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["key_id"]), str(data["hmac"]))


@dataclass(frozen=True)
class Witness:
    """The checkpoints of a witness file, and its lines that are not checkpoints."""

    checkpoints: list[Checkpoint]
    unreadable: list[int]

    def latest(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.seq, default=None)


def read(path: Path) -> Witness:
    """Every checkpoint of the file (none when it does not exist).

    :raise OSError: when it exists but cannot be read.
    """
    if not path.exists():
        return Witness([], [])
    checkpoints, unreadable = [], []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                checkpoints.append(_parse(line))
            except (ValueError, KeyError, TypeError):
                unreadable.append(number)
    return Witness(checkpoints, unreadable)


def latest(path: Path) -> Checkpoint | None:
    """The highest checkpoint among the file's last lines (cheap: the scheduler asks every tick)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    found = []
    for line in tail:
        try:
            found.append(_parse(line))
        except (ValueError, KeyError, TypeError):
            continue  # the first line of the tail is usually cut
    return max(found, key=lambda c: c.seq, default=None)
