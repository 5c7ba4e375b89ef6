"""Sign-ins that ended: told to the live layer as soon as the change is committed.

A token revoked, an account disabled, a password changed or a user's grants changed must close
that user's open live sockets at once, not at the next heartbeat. Rather than trusting every
writer of accounts to remember a call, this module watches the flushes of the account tables
(:data:`WATCHED`) in every session; once the transaction has committed and its connection is
back in the pool, the registered listener (the live layer, or a process's Redis writer) gets the
user ids. The listener re-checks each of their connections against the database, so a change
that did not actually end anything (a password rehash with the same secret) ends nothing.

A writer that revokes in a way the ORM does not see (a bulk ``UPDATE``, a table of its own)
calls :func:`ended` in its transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from atlas_coord.models import ApiToken, RoleGrant, User

log = logging.getLogger(__name__)

Listener = Callable[[list[int]], None]
_listeners: list[Listener] = []

# The columns whose change can end a sign-in; any added or deleted grant changes the rooms.
WATCHED: dict[type, tuple[str, ...]] = {User: ("is_active", "password_hash", "grants"), ApiToken: ("revoked_at", "expires_at")}

_PENDING = "sign_outs_pending"
_COMMITTED = "sign_outs_committed"


def set_listener(listener: Listener | None) -> None:
    """Register the function told of the users whose sign-in may have ended (one per process)."""
    _listeners.clear()
    if listener is not None:
        _listeners.append(listener)


def ended(session: Session, user_id: int) -> None:
    """Record, in the caller's transaction, that ``user_id``'s sign-in may have ended."""
    session.info.setdefault(_PENDING, set()).add(user_id)


def _user_of(row: object) -> int | None:
    return row.id if isinstance(row, User) else getattr(row, "user_id", None)


def _changed(row: object) -> bool:
    if isinstance(row, RoleGrant):
        return True
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in WATCHED.get(type(row), ()))


def _touched(session: Session) -> Iterable[int | None]:
    for row in session.dirty:
        if type(row) in WATCHED and _changed(row):
            yield _user_of(row)
    for row in session.new:
        if isinstance(row, RoleGrant):
            yield _user_of(row)
    for row in session.deleted:
        if isinstance(row, (RoleGrant, ApiToken, User)):
            yield _user_of(row)


@sa_event.listens_for(Session, "after_flush")
def _watch_flush(session: Session, _context) -> None:
    """Note the users whose tokens, account or grants this flush changed."""
    for user_id in _touched(session):
        if user_id is not None:
            ended(session, user_id)


@sa_event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, set()).update(pending)


@sa_event.listens_for(Session, "after_transaction_end")
def _tell_after_release(session: Session, transaction) -> None:
    """Tell the listener once the connection is back in the pool (it reads the database)."""
    if transaction.parent is not None:
        return
    committed = session.info.pop(_COMMITTED, None)
    if not committed:
        return
    for listener in list(_listeners):
        try:
            listener(sorted(committed))
        except Exception:  # noqa: BLE001 - the heartbeat's session check still ends them
            log.exception("ending the live sessions of users %s failed", sorted(committed))


@sa_event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_COMMITTED, None)
