"""The event outbox: each change's event is written in its transaction and emitted after commit.

Services call :func:`publish`; the live layer registers an emitter with :func:`set_emitter`.
Nothing is emitted for a transaction that rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from atlas_coord.models import Event, utcnow

from .audit import ensure_chain_lock, json_safe

log = logging.getLogger(__name__)

Envelope = dict[str, Any]
_emitters: list[Callable[[list[Envelope]], None]] = []

ROOM_ALL = "all"
ROOM_OBSERVERS = "observers"


def state_room(code: str) -> str:
    return f"state:{code}"


def requests_room(code: str) -> str:
    """Requests raised by or addressed to a state: only for roles that may read that state's
    requests (its crisis centre and competent authority), so the live channel keeps the same
    need-to-know as the REST API."""
    return f"requests:{code}"


def unit_room(unit_id: int) -> str:
    return f"unit:{unit_id}"


def request_room(request_id: int) -> str:
    return f"request:{request_id}"


def envelope(event: Event) -> Envelope:
    return {"seq": event.seq, "type": event.type, "at": event.at.isoformat(), "subject": event.subject, "data": event.data}


def publish(session: Session, type_: str, subject: str, data: dict[str, Any], audience: Iterable[str]) -> Event:
    """Write one event to the outbox; ``seq`` is assigned under the chain lock, so it is gap-free
    and increases in commit order."""
    ensure_chain_lock(session)
    last_seq = session.execute(sa.select(sa.func.max(Event.seq))).scalar() or 0
    rooms = sorted(set(audience) | {ROOM_OBSERVERS})
    row = Event(seq=last_seq + 1, type=type_, at=utcnow(), subject=subject, data=json_safe(data), audience=rooms)
    session.add(row)
    session.flush()
    session.info.setdefault("pending_events", []).append((envelope(row), rooms))
    return row


def set_emitter(emitter: Callable[[list[tuple[Envelope, list[str]]]], None] | None) -> None:
    """Register the function that sends committed events to their rooms (the live layer)."""
    _emitters.clear()
    if emitter is not None:
        _emitters.append(emitter)


@sa_event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    """The transaction's events are committed; they are emitted once its connection is back in
    the pool (below)."""
    pending = session.info.pop("pending_events", None)
    session.info.pop("chain_locked", None)
    if pending:
        session.info.setdefault("committed_events", []).extend(pending)


@sa_event.listens_for(Session, "after_transaction_end")
def _emit_after_release(session: Session, transaction) -> None:
    """Emit the committed events after the session has returned its connection to the pool.

    ``after_commit`` runs while the connection is still checked out, and an emitter may wait for
    the live sequencer's lock, whose holder may need a connection of the same pool to read a gap
    from the outbox (or its catch-up poll). Under load every connection was then held by a
    committed request waiting for that lock: the pool timed out (30 s, 500s) and the sequencer
    skipped the events it could not read, which its clients never received.
    """
    if transaction.parent is not None:
        return
    committed = session.info.pop("committed_events", None)
    if not committed:
        return
    for emitter in list(_emitters):
        try:
            emitter(committed)
        except Exception:  # noqa: BLE001 - a failed emit must not undo a committed change; replay covers it
            log.exception("emitting %d committed events failed; clients will catch up by replay", len(committed))


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_events", None)
    session.info.pop("committed_events", None)
    session.info.pop("chain_locked", None)


def visible_to(rooms: Iterable[str]) -> sa.ColumnElement[bool]:
    """SQL filter: events whose audience meets any of ``rooms`` (portable JSON text match)."""
    clauses = [sa.cast(Event.audience, sa.Text).like(f'%"{room}"%') for room in rooms]
    return sa.or_(*clauses) if clauses else sa.false()


def replay(session: Session, rooms: Iterable[str], *, after: int = 0, limit: int = 1000) -> list[Envelope]:
    query = (
        sa.select(Event).where(Event.seq > after).where(visible_to(list(rooms))).order_by(Event.seq).limit(limit)
    )
    return [envelope(row) for row in session.scalars(query)]


def purge_older_than(session: Session, cutoff) -> int:
    """Apply the retention period, always keeping the newest event so ``seq`` never restarts."""
    newest = session.execute(sa.select(sa.func.max(Event.seq))).scalar() or 0
    result = session.execute(sa.delete(Event).where(Event.at < cutoff, Event.seq < newest))
    return result.rowcount or 0
