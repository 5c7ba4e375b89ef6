"""Reading the outbox back: replay after a reconnect, the REST catch-up page, and retention.

Every function filters by the same audience rule as the live rooms (``events.visible_to``), so
what a user can replay is exactly what the user would have received live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import Event, utcnow
from atlas_coord.services import events

Envelope = dict[str, Any]

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


def truncation(after: int, outbox: Bounds) -> str | None:
    """Why replaying from ``after`` would miss events, or None when it is complete."""
    if after > outbox.newest:
        return UNKNOWN_SEQ
    if outbox.oldest and after < outbox.oldest - 1:
        return EXPIRED
    return None


def visible_after(
    session: Session, rooms: list[str], *, after: int, upto: int | None = None, limit: int = 500
) -> list[Envelope]:
    """Envelopes visible to ``rooms`` with ``after < seq <= upto``, in ``seq`` order."""
    query = sa.select(Event).where(Event.seq > after).where(events.visible_to(rooms))
    if upto is not None:
        query = query.where(Event.seq <= upto)
    return [events.envelope(row) for row in session.scalars(query.order_by(Event.seq).limit(limit))]


def count_visible(session: Session, rooms: list[str], *, after: int, upto: int) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Event)
        .where(Event.seq > after, Event.seq <= upto)
        .where(events.visible_to(rooms))
    )
    return session.scalar(query) or 0


def committed_range(session: Session, *, after: int, upto: int | None, limit: int = 1000) -> list[tuple[Envelope, list[str]]]:
    """Every committed event with ``after < seq <= upto`` and its rooms (for the live sequencer)."""
    query = sa.select(Event).where(Event.seq > after)
    if upto is not None:
        query = query.where(Event.seq <= upto)
    rows = session.scalars(query.order_by(Event.seq).limit(limit))
    return [(events.envelope(row), list(row.audience)) for row in rows]


def page(session: Session, rooms: list[str], *, after: int, limit: int) -> dict[str, Any]:
    """The body of ``GET /api/v1/events?after=N``.

    ``last_seq`` is what to pass as ``after`` next: the last item's seq while more pages
    follow, and the outbox's newest seq at the time of the query once this is the last page
    (the events in between are not addressed to this user). The newest seq is read first so
    that an event committed during the call is never skipped.
    """
    outbox = bounds(session)
    items = visible_after(session, rooms, after=after, upto=outbox.newest, limit=limit)
    total = count_visible(session, rooms, after=after, upto=outbox.newest)
    complete = len(items) >= total
    body: dict[str, Any] = {
        "items": items,
        "total": total,
        "last_seq": outbox.newest if complete else items[-1]["seq"],
    }
    reason = truncation(after, outbox)
    if reason is not None:
        body["replay_truncated"] = {"reason": reason, "oldest_seq": outbox.oldest, "newest_seq": outbox.newest}
    return body


def purge_expired_events(session: Session, settings) -> int:
    """Delete events older than ``realtime.event_retention_days`` (the scheduler calls this).

    ``settings`` is the app's :class:`~atlas_coord.config.Settings`. The newest event is always
    kept so that ``seq`` never restarts. Returns the number of events deleted; the caller commits.
    """
    realtime = getattr(settings, "realtime", settings)
    cutoff = utcnow() - timedelta(days=realtime.event_retention_days)
    return events.purge_older_than(session, cutoff)
