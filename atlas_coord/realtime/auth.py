"""Who is connecting: a bearer token in the auth payload (or header), or the console's session cookie.

The same rules as the REST API (``atlas_coord.api._load_actor``): a token must be known, unrevoked
and unexpired; the cookie must name a console session (services/sessions.py) that is neither
revoked nor lapsed, of an active user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.policy import Actor
from atlas_coord.services import accounts, sessions


class HandshakeError(ValueError):
    """The auth payload is malformed (not the same as "not signed in")."""


@dataclass(frozen=True)
class Credentials:
    """How a connection signed in, kept so that writes (``ack``) can re-check it."""

    via: str  # "token" or "session"
    user_id: int
    token: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class Handshake:
    token: str | None
    after: int | None


def parse_handshake(auth: Any, environ: Mapping[str, Any]) -> Handshake:
    """Read ``{"token": ..., "after": N}`` (both optional); ``Authorization: Bearer`` also works.

    :raise HandshakeError: ``auth`` is not an object, or ``after`` is not a non-negative integer.
    """
    if auth is None:
        auth = {}
    if not isinstance(auth, Mapping):
        raise HandshakeError("auth must be an object like {\"token\": \"...\", \"after\": 12}")
    token = auth.get("token")
    if token is not None and not isinstance(token, str):
        raise HandshakeError("token must be a string")
    if not token:
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
    after = auth.get("after")
    if after is not None:
        if isinstance(after, str) and after.isdigit():
            after = int(after)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise HandshakeError("after must be the last seq seen, a non-negative integer")
    return Handshake(token=token or None, after=after)


def authenticate(
    session: Session, token: str | None, flask_session: Mapping[str, Any], *, limits: sessions.Limits
) -> tuple[Actor, Credentials] | None:
    """The actor and how it signed in, or None. A token, when given, is the only credential tried."""
    if token:
        found = accounts.actor_for_token(session, token)
        if found is None:
            return None
        actor, _row = found
        return actor, Credentials("token", actor.user_id, token=token)
    session_id = flask_session.get(sessions.COOKIE_KEY)
    if not isinstance(session_id, str):
        return None
    # The live layer reads in sessions it rolls back: only REST calls keep a session from idling out.
    found_session = sessions.resolve(session, session_id, limits=limits, touch=False)
    if found_session is None:
        return None
    user, _row = found_session
    return accounts.actor_for(session, user), Credentials("session", user.id, session_id=session_id)


def recheck(session: Session, credentials: Credentials, *, limits: sessions.Limits) -> Actor | None:
    """The actor again, if the credential still holds (revoked or lapsed tokens and sessions fail)."""
    if credentials.via == "token":
        found = accounts.actor_for_token(session, credentials.token or "")
        if found is None or found[0].user_id != credentials.user_id:
            return None
        return found[0]
    found_session = sessions.resolve(session, credentials.session_id, limits=limits, touch=False)
    if found_session is None or found_session[0].id != credentials.user_id:
        return None
    return accounts.actor_for(session, found_session[0])
