"""The event outbox: append, emit after commit, replay and retention.

Services call :func:`publish` to write an event in their transaction; the live layer registers
an emitter with :func:`set_emitter`, and nothing is emitted for a transaction that rolls back.
Reading the outbox back (the live layer's replay after a reconnect, the REST catch-up page,
the live sequencer's gap reads) and applying the retention period are here too. Every read
filters by the same audience rule as the live rooms (:func:`visible_to` over
:func:`atlas_coord.policy.rooms_for`), so what a user can replay is exactly what the user would
have received live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from atlas_coord.domain import readiness_reasons
from atlas_coord.models import Event, utcnow
from atlas_coord.policy import (  # the audience vocabulary of publish(), decided by the policy
    ROOM_ALL,
    ROOM_OBSERVERS,
    request_room,
    requests_room,
    state_room,
    unit_room,
)

from .audit import ensure_chain_lock, json_safe

__all__ = [
    "ROOM_ALL", "ROOM_OBSERVERS", "request_room", "requests_room", "state_room", "unit_room",
    "publish", "set_emitter", "add_commit_listener", "remove_commit_listener", "envelope", "visible_after", "count_visible", "committed_range",
    "newest_seq", "bounds", "truncation", "catch_up_page", "purge_expired_events",
]

log = logging.getLogger(__name__)

Envelope = dict[str, Any]
_emitters: list[Callable[[list[Envelope]], None]] = []
# Called with every committed batch after the emitters (the alert dispatcher's wake-up).
_commit_listeners: list[Callable[[list[tuple[Envelope, list[str]]]], None]] = []

# Events sent to everyone: a readiness reason in them is shown in its neutral form, whatever the
# outbox holds (events written before reasons were need-to-know named the request).
_BROADCAST_PREFIXES = ("readiness.", "directory.")


def _neutral_reasons(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: (readiness_reasons.neutral(item) if key.endswith("reason") and isinstance(item, str)
                      else _neutral_reasons(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_neutral_reasons(item) for item in value]
    return value


def envelope(event: Event) -> Envelope:
    data = _neutral_reasons(event.data) if event.type.startswith(_BROADCAST_PREFIXES) else event.data
    return {"seq": event.seq, "type": event.type, "at": event.at.isoformat(), "subject": event.subject, "data": data}


# Events of the transaction not yet written to the outbox (see publish()).
UNWRITTEN = "atlas_outbox_unwritten"


def publish(session: Session, type_: str, subject: str, data: dict[str, Any], audience: Iterable[str]) -> Event:
    """Write one event to the outbox when the transaction commits; ``seq`` is assigned then,
    under the chain lock, so it is gap-free and increases in commit order. (Written at commit
    rather than here so that the chain lock is held for the appends only: services/audit.py.)"""
    rooms = sorted(set(audience) | {ROOM_OBSERVERS})
    row = Event(type=type_, subject=subject, data=json_safe(data), audience=rooms)
    session.info.setdefault(UNWRITTEN, []).append(row)
    return row


@sa_event.listens_for(Session, "before_commit")
def _write_unwritten(session: Session) -> None:
    unwritten = session.info.pop(UNWRITTEN, None)
    if not unwritten:
        return
    session.flush()  # the change's own rows first, before the chain lock
    ensure_chain_lock(session)
    last_seq = session.execute(sa.select(sa.func.max(Event.seq))).scalar() or 0
    for offset, row in enumerate(unwritten, start=1):
        row.seq, row.at = last_seq + offset, utcnow()
        session.add(row)
    session.flush()
    session.info.setdefault("pending_events", []).extend((envelope(row), row.audience) for row in unwritten)


def set_emitter(emitter: Callable[[list[tuple[Envelope, list[str]]]], None] | None) -> None:
    """Register the function that sends committed events to their rooms (the live layer)."""
    _emitters.clear()
    if emitter is not None:
        _emitters.append(emitter)


def add_commit_listener(listener: Callable[[list[tuple[Envelope, list[str]]]], None]) -> None:
    """Also call ``listener`` with each committed batch of events (after the live emitter)."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def remove_commit_listener(listener: Callable[[list[tuple[Envelope, list[str]]]], None]) -> None:
    if listener in _commit_listeners:
        _commit_listeners.remove(listener)


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
    session.info.pop(UNWRITTEN, None)  # a transaction that ended without committing writes nothing
    committed = session.info.pop("committed_events", None)
    if not committed:
        return
    for emitter in list(_emitters):
        try:
            emitter(committed)
        except Exception:  # noqa: BLE001 - a failed emit must not undo a committed change; replay covers it
            log.exception("emitting %d committed events failed; clients will catch up by replay", len(committed))
    for listener in list(_commit_listeners):
        try:
            listener(committed)
        except Exception:  # noqa: BLE001 - a listener's failure must not undo a committed change
            log.exception("a commit listener failed")


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_events", None)
    session.info.pop("committed_events", None)
    session.info.pop("chain_locked", None)


def visible_to(rooms: Iterable[str]) -> sa.ColumnElement[bool]:
    """SQL filter: events whose audience meets any of ``rooms`` (portable JSON text match)."""
    clauses = [sa.cast(Event.audience, sa.Text).like(f'%"{room}"%') for room in rooms]
    return sa.or_(*clauses) if clauses else sa.false()


# ---------------------------------------------------------------- reading back

# Why a replay cannot be complete; the client must reload its state over REST.
EXPIRED = "expired"  # the client's last seq is older than the retention period
UNKNOWN_SEQ = "unknown_seq"  # the client's last seq is ahead of the outbox (a restored database)
TOO_MANY = "too_many"  # more missed events than one replay carries


@dataclass(frozen=True)
class Bounds:
    """The outbox's oldest retained and newest ``seq`` (0 and 0 when it is empty)."""

    oldest: int
    newest: int


def bounds(session: Session) -> Bounds:
    oldest, newest = session.execute(sa.select(sa.func.min(Event.seq), sa.func.max(Event.seq))).one()
    return Bounds(oldest or 0, newest or 0)


def newest_seq(session: Session) -> int:
    return session.scalar(sa.select(sa.func.max(Event.seq))) or 0


def truncation(after: int, outbox: Bounds) -> str | None:
    """Why replaying from ``after`` would miss events, or None when it is complete."""
    if after > outbox.newest:
        return UNKNOWN_SEQ
    if outbox.oldest and after < outbox.oldest - 1:
        return EXPIRED
    return None


def visible_after(
    session: Session, rooms: list[str], *, after: int, upto: int | None = None, limit: int = 500, offset: int = 0
) -> list[Envelope]:
    """Envelopes visible to ``rooms`` with ``after < seq <= upto``, in ``seq`` order, skipping the first ``offset``."""
    query = sa.select(Event).where(Event.seq > after).where(visible_to(rooms))
    if upto is not None:
        query = query.where(Event.seq <= upto)
    return [envelope(row) for row in session.scalars(query.order_by(Event.seq).offset(offset).limit(limit))]


def count_visible(session: Session, rooms: list[str], *, after: int, upto: int) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Event)
        .where(Event.seq > after, Event.seq <= upto)
        .where(visible_to(rooms))
    )
    return session.scalar(query) or 0


def committed_range(session: Session, *, after: int, upto: int | None, limit: int = 1000) -> list[tuple[Envelope, list[str]]]:
    """Every committed event with ``after < seq <= upto`` and its rooms (for the live sequencer)."""
    query = sa.select(Event).where(Event.seq > after)
    if upto is not None:
        query = query.where(Event.seq <= upto)
    rows = session.scalars(query.order_by(Event.seq).limit(limit))
    return [(envelope(row), list(row.audience)) for row in rows]


@dataclass(frozen=True)
class CatchUpPage:
    """One page of ``GET /api/v1/events?after=N``.

    ``last_seq`` is what to pass as ``after`` next: the last item's seq while more pages
    follow, and the outbox's newest seq at the time of the query once this is the last page
    (the events in between are not addressed to this user). ``truncated`` says why the events
    after ``after`` are not all there any more (None when they are).
    """

    items: list[Envelope]
    total: int
    last_seq: int
    outbox: Bounds
    truncated: str | None


def catch_up_page(session: Session, rooms: list[str], *, after: int, limit: int, offset: int = 0) -> CatchUpPage:
    """The visible events after ``after``, a page at a time: either ``after=last_seq`` each time
    (the replay cursor), or the same ``after`` with an ``offset`` (page and per_page). The newest
    seq is read first so that an event committed during the call is never skipped."""
    outbox = bounds(session)
    items = visible_after(session, rooms, after=after, upto=outbox.newest, limit=limit, offset=offset)
    total = count_visible(session, rooms, after=after, upto=outbox.newest)
    if offset + len(items) >= total:
        last_seq = outbox.newest
    else:
        last_seq = items[-1]["seq"] if items else after
    return CatchUpPage(items, total, last_seq, outbox, truncation(after, outbox))


# ---------------------------------------------------------------- retention

def purge_older_than(session: Session, cutoff) -> int:
    """Apply the retention period, always keeping the newest event so ``seq`` never restarts."""
    newest = newest_seq(session)
    result = session.execute(sa.delete(Event).where(Event.at < cutoff, Event.seq < newest))
    return result.rowcount or 0


def purge_expired_events(session: Session, settings) -> int:
    """Delete events older than ``realtime.event_retention_days`` (the scheduler calls this).

    ``settings`` is the app's :class:`~atlas_coord.config.Settings`. The newest event is always
    kept so that ``seq`` never restarts. Returns the number of events deleted; the caller commits.
    """
    cutoff = utcnow() - timedelta(days=settings.realtime.event_retention_days)
    return purge_older_than(session, cutoff)
