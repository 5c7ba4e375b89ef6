"""Who is connecting: a bearer token in the auth payload (or header), or the console's session cookie.

The same rules as the REST API (``atlas_coord.api._load_actor``): a token must be known, unrevoked
and unexpired; a cookie session must name an active user whose password has not changed since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.policy import Actor
from atlas_coord.services import accounts


class HandshakeError(ValueError):
    """The auth payload is malformed (not the same as "not signed in")."""


@dataclass(frozen=True)
class Credentials:
    """How a connection signed in, kept so that writes (``ack``) can re-check it."""

    via: str  # "token" or "session"
    user_id: int
    token: str | None = None
    pw: str | None = None


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


def authenticate(session: Session, token: str | None, flask_session: Mapping[str, Any]) -> tuple[Actor, Credentials] | None:
    """The actor and how it signed in, or None. A token, when given, is the only credential tried."""
    if token:
        found = accounts.user_for_token(session, token)
        if found is None:
            return None
        user, _row = found
        return accounts.actor_for(session, user), Credentials("token", user.id, token=token)
    user_id = flask_session.get("user_id")
    if user_id is None:
        return None
    user = session.get(accounts.User, user_id)
    pw = flask_session.get("pw")
    if user is None or not user.is_active or pw != user.password_hash[-16:]:
        return None
    return accounts.actor_for(session, user), Credentials("session", user.id, pw=pw)


def recheck(session: Session, credentials: Credentials) -> Actor | None:
    """The actor again, if the credential still holds (revoked tokens and changed passwords fail)."""
    if credentials.via == "token":
        found = accounts.user_for_token(session, credentials.token or "")
        if found is None or found[0].id != credentials.user_id:
            return None
        return accounts.actor_for(session, found[0])
    result = authenticate(session, None, {"user_id": credentials.user_id, "pw": credentials.pw})
    return result[0] if result else None
