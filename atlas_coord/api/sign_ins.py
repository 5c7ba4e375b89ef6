"""One's open sign-ins (console sessions and bearer tokens): list and revoke them; an admin
ends all of a user's. Also the console cookie's link to its server-side session."""

from __future__ import annotations

from flask import Blueprint, g, request, session

from atlas_coord.models import User
from atlas_coord.serializers.accounts import SignInRevokedOut, SignInsOut, UserSignInsRevokedOut
from atlas_coord.services import sessions

from . import db_session, session_limits
from .core import current_actor, endpoint

bp = Blueprint("sign_ins", __name__, url_prefix="/api/v1")


def start_console_session(user: User) -> None:
    """After a successful sign-in: a new server-side session, its id the cookie's only credential."""
    session.clear()
    session.permanent = True
    session[sessions.COOKIE_KEY], g.user_session = sessions.start(
        db_session(), user, limits=session_limits(),
        user_agent=request.headers.get("User-Agent"), address=request.remote_addr,
    )


def _current_ids() -> tuple[int | None, int | None]:
    row, token = getattr(g, "user_session", None), getattr(g, "api_token", None)
    return (row.id if row is not None else None), (token.id if token is not None else None)


@endpoint(bp, "/auth/sessions", summary="My open console sessions and bearer tokens")
def list_sessions():
    """Never the secrets; ``current`` marks the session or token of this call."""
    found = sessions.list_own(db_session(), current_actor(), limits=session_limits())
    session_id, token_id = _current_ids()
    return SignInsOut.of(found.sessions, found.tokens, session_id=session_id, token_id=token_id).wire()


@endpoint(bp, "/auth/sessions/<int:session_id>", "DELETE", summary="End one of my console sessions")
def revoke_session(session_id: int):
    """Its cookie is refused from then on and its live sockets close; another user's session is 404."""
    row = sessions.revoke_own_session(db_session(), current_actor(), session_id)
    return SignInRevokedOut(id=row.id, revoked=True).wire()


@endpoint(bp, "/auth/tokens/<int:token_id>", "DELETE", summary="Revoke one of my bearer tokens")
def revoke_token(token_id: int):
    """The token is refused from then on and its live sockets close; another user's token is 404."""
    row = sessions.revoke_own_token(db_session(), current_actor(), token_id)
    return SignInRevokedOut(id=row.id, revoked=True).wire()


@endpoint(bp, "/users/<int:user_id>/sessions", "DELETE", summary="End every session and token of a user (admin)")
def revoke_user_sessions(user_id: int):
    """Every console session and bearer token of the user ends, and their live sockets close."""
    ended_sessions, ended_tokens = sessions.revoke_user(db_session(), current_actor(), user_id)
    return UserSignInsRevokedOut(user_id=user_id, sessions=ended_sessions, tokens=ended_tokens).wire()
