"""Console sessions held on the server (``user_session``) and the revocation of sign-ins.

The console's cookie carries only a random session id; the table keeps its SHA-256, so a copied
cookie is worth nothing once the row is revoked (logout, a password change, the user or an admin
ending it) or lapsed (``Limits``: idle and absolute). The database is the store: every server
process sees a revocation at once, with no Redis needed.

Every revocation here is audited and told to :mod:`sign_outs` in the same transaction, so the
user's live sockets close as soon as it commits (the ORM listener there does not watch this table,
nor bulk updates).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from atlas_coord.models import ApiToken, User, UserSession, utcnow
from atlas_coord.policy import Action, Actor, can

from . import audit, sign_outs
from .errors import Forbidden, NotFound

# The key, in Flask's signed cookie, of the opaque session id (the cookie also keeps the CSRF state;
# it authenticates nothing by itself).
COOKIE_KEY = "sid"
# last_seen_at is written at most this often, so a busy console does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_CHARS = 300
ADDRESS_CHARS = 64


@dataclass(frozen=True)
class Limits:
    """``auth.session_idle_minutes`` and ``auth.session_absolute_hours``."""

    idle_minutes: int = 30
    absolute_hours: int = 12

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.absolute_hours)


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(
    session: Session, user: User, *, limits: Limits, user_agent: str | None = None, address: str | None = None
) -> tuple[str, UserSession]:
    """Open a console session for ``user`` (signed in just now): the opaque id for the cookie
    (shown nowhere else) and its row."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        id_hash=digest(session_id),
        created_at=now,
        last_seen_at=now,
        expires_at=now + limits.absolute,
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_CHARS],
        address=(address or None) and address[:ADDRESS_CHARS],
    )
    session.add(row)
    session.flush()
    return session_id, row


def is_live(row: UserSession, limits: Limits, now: datetime) -> bool:
    """Not revoked, before its absolute end and used within the idle limit."""
    return row.revoked_at is None and now < row.expires_at and now < row.last_seen_at + limits.idle


def resolve(
    session: Session, session_id: str | None, *, limits: Limits, touch: bool = True
) -> tuple[User, UserSession] | None:
    """The active user and live session the cookie's ``session_id`` names, or None. With
    ``touch`` the use is noted (at most once per :data:`TOUCH_EVERY`), which keeps it from idling out."""
    if not session_id:
        return None
    row = session.scalar(sa.select(UserSession).where(UserSession.id_hash == digest(session_id)))
    now = utcnow()
    if row is None or not is_live(row, limits, now):
        return None
    # Without its grants: the caller's actor_for reads them as plain rows (every console call).
    user = session.get(User, row.user_id, options=[lazyload(User.grants)])
    if user is None or not user.is_active:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user, row


def _role(actor: Actor | None) -> str:
    if actor is None:
        return "operator"
    return ",".join(grant.label() for grant in actor.grants) or "user"


def _revoke_session(session: Session, actor: Actor | None, row: UserSession, why: str) -> None:
    row.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor, _role(actor), "session.revoke", "user_session", row.id,
                 after={"user_id": row.user_id, "why": why})
    sign_outs.ended(session, row.user_id)


def end(session: Session, actor: Actor | None, row: UserSession, *, why: str = "logout") -> None:
    """Revoke one console session (logout)."""
    if row.revoked_at is None:
        _revoke_session(session, actor, row, why)


def end_all(
    session: Session, actor: Actor | None, user_id: int, *, why: str,
    keep_session_id: int | None = None, keep_token_id: int | None = None,
) -> tuple[int, int]:
    """Revoke every open session and token of ``user_id`` (a password change, an admin) but the
    ones to keep (the sign-in that changed the password); how many of each."""
    now = utcnow()
    ended_sessions = session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.id != (keep_session_id or -1))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    ended_tokens = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.id != (keep_token_id or -1))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    audit.record(session, actor, _role(actor), "user.sessions_revoke", "user", user_id,
                 after={"why": why, "sessions": ended_sessions, "tokens": ended_tokens})
    sign_outs.ended(session, user_id)
    session.flush()
    return ended_sessions, ended_tokens


@dataclass(frozen=True)
class SignIns:
    """One user's open console sessions and bearer tokens."""

    sessions: list[UserSession]
    tokens: list[ApiToken]


def list_own(session: Session, actor: Actor, *, limits: Limits) -> SignIns:
    """The caller's sessions that still hold and tokens neither revoked nor expired, newest first."""
    now = utcnow()
    rows = session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == actor.user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.id.desc())
    )
    tokens = session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .order_by(ApiToken.id.desc())
    )
    return SignIns([row for row in rows if is_live(row, limits, now)], list(tokens))


def revoke_own_session(session: Session, actor: Actor, session_row_id: int) -> UserSession:
    """:raise NotFound: no such session of the caller (another user's is not found either)."""
    row = session.get(UserSession, session_row_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"session {session_row_id} not found")
    end(session, actor, row, why="revoked by its user")
    return row


def revoke_own_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """:raise NotFound: no such token of the caller (another user's is not found either)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"token {token_id} not found")
    if row.revoked_at is None:
        # The ORM listener of sign_outs sees this change and closes the token's sockets.
        row.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor, _role(actor), "token.revoke", "api_token", row.id,
                     after={"user_id": row.user_id, "why": "revoked by its user"})
    return row


def revoke_user(session: Session, actor: Actor, user_id: int) -> tuple[int, int]:
    """An admin ends every session and token of ``user_id``.

    :raise Forbidden: the actor may not manage users.
    :raise NotFound: no such user.
    """
    if not can(actor, Action.USER_MANAGE):
        raise Forbidden("only an admin may end another user's sessions")
    if session.get(User, user_id) is None:
        raise NotFound(f"user {user_id} not found")
    return end_all(session, actor, user_id, why="revoked by an admin")
