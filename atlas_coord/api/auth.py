"""Sign-in for the console (a server-side session named by the cookie, + CSRF) and bearer tokens
for API clients."""

from __future__ import annotations

import functools
import math
import time
from datetime import timedelta

from flask import Blueprint, Flask, g, request, session
from flask_wtf.csrf import generate_csrf

from atlas_coord.schemas import LoginBody, PasswordChangeBody
from atlas_coord.serializers.accounts import (
    LoginOut,
    MeOut,
    MfaOut,
    PasswordChangedOut,
    SignedOutOut,
    TokenOut,
    TokenRevokedOut,
    UserOut,
)
from atlas_coord.services import accounts, mfa, sessions

from . import db_session, factors, settings
from .core import current_actor, endpoint, error_json
from .mfa import enrolment_token, open_console_session

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


def _check_password(body: LoginBody):
    auth = settings().auth
    given = mfa.SecondFactor(otp=body.otp, recovery_code=body.recovery_code, webauthn=body.webauthn)
    return accounts.authenticate(
        db_session(),
        body.username,
        body.password,
        throttle=accounts.Throttle(after=auth.throttle_after, max_seconds=auth.throttle_max_seconds),
        address=request.remote_addr,
        second_factor=functools.partial(mfa.check_sign_in, db_session(), given=given, factors=factors()),
    )


def _signed_in_user(body: LoginBody, *, console: bool):
    """The user whose password (and second factor, where the account has or needs one) ``body`` gives.

    :raise Unauthenticated: a wrong name or password, or a throttled account (one answer); the
        failed attempt and its audit record are committed first, so that they count although
        the request ends in 401. Code ``second_factor_required``: the password is right and
        the account signs in with a code or a security key as well (``methods``; for a key the
        ``webauthn_options`` of a fresh challenge, committed with the answer).
    :raise Invalid: the password is right and the code or key is not (422 naming ``otp``,
        ``recovery_code`` or ``webauthn``); committed first, it counts as a failed attempt.
    :raise EnrolmentRequired: the password is right and the account must enrol a second factor
        first (403, with an ``enrolment_token`` for the enrolment endpoints).
    """
    try:
        return _check_password(body)
    except (accounts.Unauthenticated, accounts.Invalid):
        db_session().commit()
        raise
    except mfa.EnrolmentRequired as exc:
        user = accounts.get_user(db_session(), exc.extra["user_id"])
        raise mfa.EnrolmentRequired(exc.message, enrolment_token=enrolment_token(user, console=console)) from None


@endpoint(bp, "/token", "POST", body=LoginBody, auth=False, errors=(403, 422), summary="Exchange a user name and password for a bearer token")
def create_token(body: LoginBody):
    """Use the token as ``Authorization: Bearer <token>``. A bad login gets 401, the same for an
    unknown name, a wrong password and an account throttled after repeated failures. An account
    with a second factor sends ``otp`` or ``recovery_code`` too; one that must enrol first gets
    403 ``second_factor_enrolment_required``: no bearer token before the second factor."""
    user = _signed_in_user(body, console=False)
    token, row = accounts.issue_token(
        db_session(), user, lifetime=timedelta(hours=settings().auth.token_lifetime_hours)
    )
    return TokenOut.of(token, row.expires_at).wire()


@endpoint(bp, "/token", "DELETE", summary="Revoke the bearer token used for this call", status=200)
def revoke_token():
    """Revoked tokens are refused from then on."""
    token_row = getattr(g, "api_token", None)
    if token_row is None:
        raise accounts.Invalid("this call was not made with a bearer token", fields={"Authorization": "bearer token required"})
    sessions.revoke_own_token(db_session(), current_actor(), token_row.id)
    return TokenRevokedOut(revoked=True).wire()


@endpoint(bp, "/login", "POST", body=LoginBody, auth=False, errors=(403, 422), summary="Sign in to the console (session cookie)")
def login(body: LoginBody):
    """Sets the session cookie and returns the CSRF token that every change must echo in X-CSRF-Token.
    The second factor as for ``POST /auth/token``; an account that must enrol gets an
    ``enrolment_token`` whose confirmation opens the session."""
    user = _signed_in_user(body, console=True)
    csrf_token = open_console_session(user)
    return LoginOut(user=UserOut.of(user), csrf_token=csrf_token).wire()


@endpoint(bp, "/logout", "POST", summary="Sign out of the console")
def logout():
    """Ends the console session: its row is revoked, so a copy of the cookie is refused too."""
    row = getattr(g, "user_session", None)
    if row is not None:
        sessions.end(db_session(), current_actor(), row)
    session.clear()
    return SignedOutOut(signed_out=True).wire()


@endpoint(bp, "/me", summary="Who am I: the user, roles and a CSRF token")
def me():
    """The console calls this on load."""
    actor = current_actor()
    user = accounts.get_user(db_session(), actor.user_id)
    needs = factors()
    status = mfa.status(db_session(), user, needs.required_roles, needs.key_roles)
    return MeOut(user=UserOut.of(user), csrf_token=generate_csrf(), auth=g.auth_via, mfa=MfaOut.of(status)).wire()


@endpoint(bp, "/password", "POST", body=PasswordChangeBody, errors=(422,), summary="Change my password")
def change_password(body: PasswordChangeBody):
    """With the current password. The new one has at least 12 characters and is not a common
    password. Every other console session and bearer token of the account ends at once (their
    live sockets close); the session or token of this call stays. A wrong current password is
    422 naming ``current_password``, and audited."""
    session_id, token_id = _current_sign_in_ids()
    try:
        ended_sessions, ended_tokens = accounts.change_own_password(
            db_session(), current_actor(), body.current_password, body.new_password,
            keep_session_id=session_id, keep_token_id=token_id,
        )
    except accounts.Invalid:
        db_session().commit()  # the refusal's audit record (nothing else was written)
        raise
    return PasswordChangedOut(changed=True, sessions_ended=ended_sessions, tokens_ended=ended_tokens).wire()


def _current_sign_in_ids() -> tuple[int | None, int | None]:
    row, token = getattr(g, "user_session", None), getattr(g, "api_token", None)
    return (row.id if row is not None else None), (token.id if token is not None else None)


# The sign-in endpoints share one per-address budget (``auth.login_rate_limit``).
LOGIN_ENDPOINTS = ("auth.create_token", "auth.login")


def init_login_rate_limit(app: Flask) -> None:
    """Limit sign-in attempts per client address with Flask-Limiter.

    The address is ``request.remote_addr``: the TCP peer, or the forwarded client address only
    when ``server.trusted_proxies`` lets ProxyFix rewrite it. The count lives in memory, or in
    Redis when ``realtime.redis_url`` is set (every server process then shares it; keys are
    prefixed with the deployment's ``realtime.channel``). If Redis is unreachable the limiter
    falls back to counting in memory rather than refusing every sign-in.
    """
    from flask_limiter import Limiter, RateLimitExceeded
    from flask_limiter.util import get_remote_address

    settings = app.config["ATLAS_SETTINGS"]
    redis_url = settings.realtime.redis_url
    limiter = Limiter(
        get_remote_address,
        storage_uri=redis_url or "memory://",
        key_prefix=f"{settings.realtime.channel}:login" if redis_url else "",
        in_memory_fallback_enabled=bool(redis_url),
        headers_enabled=False,
        strategy="fixed-window",
    )
    limiter.init_app(app)
    # The limit is checked by the sign-in views' own decorator (below). The extension's app-wide
    # before_request hook looks for default and application limits, of which there are none, and
    # cost every API call ~0.3 ms of CPU (issue #18): it is taken out again.
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [hook for hook in hooks if getattr(hook, "__self__", None) is not limiter]
    app.extensions["atlas_login_limiter"] = limiter
    shared = limiter.shared_limit(settings.auth.login_rate_limit, scope="login")
    for name in LOGIN_ENDPOINTS:
        app.view_functions[name] = shared(app.view_functions[name])

    @app.errorhandler(RateLimitExceeded)
    def _too_many_attempts(exc: RateLimitExceeded):
        current = limiter.current_limit
        # The window's own reset time, not flask-limiter's reset_at (int(reset) + 1): that said 61 s
        # for a one-minute window when the limit was reached within its first second.
        retry_after = max(1, math.ceil(current.window.reset_time - time.time())) if current is not None else 60
        response = error_json(
            429,
            "too_many_requests",
            f"too many sign-in attempts from this address (limit {exc.description}); retry in {retry_after} s",
            {"username": "too many attempts; wait and retry"},
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
