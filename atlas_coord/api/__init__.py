"""REST API v1: one blueprint per resource, one transaction per request, events after commit."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from flask import session as flask_session
from flask_wtf.csrf import validate_csrf
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from wtforms.validators import ValidationError as CSRFError

from atlas_coord.services import accounts, security_keys, sessions
from atlas_coord.services import mfa as second_factor
from atlas_coord.services.errors import ServiceError
from atlas_coord.services.secret_box import SecretBox

from .core import error_json, error_response, handle_service_error

log = logging.getLogger(__name__)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ACK_LINK_PAGE = "/alerts/ack/"  # web/ack.py


def settings():
    """The application's settings: they reach a service as an explicit argument, never through the session."""
    return current_app.config["ATLAS_SETTINGS"]


def db_session():
    """The request's session, opened on first use and committed once when the view succeeds."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["atlas_db"].session_factory()
    return g.db_session


def session_limits() -> sessions.Limits:
    """The console sessions' idle and absolute limits (``auth.session_idle_minutes``, ``_absolute_hours``)."""
    auth = settings().auth
    return sessions.Limits(idle_minutes=auth.session_idle_minutes, absolute_hours=auth.session_absolute_hours)


def factors() -> second_factor.Factors:
    """What the second factor needs from the configuration: required roles, the key box of
    TOTP secrets (``encryption.keys``), the WebAuthn relying party (``auth.webauthn_*``)."""
    current = settings()
    auth = current.auth
    origins = tuple(auth.webauthn_origins) or (f"http://localhost:{current.server.port}",)
    return second_factor.Factors(
        required_roles=auth.mfa_required_roles,
        box=SecretBox.from_settings(current.encryption),
        party=security_keys.RelyingParty(rp_id=auth.webauthn_rp_id, name=auth.webauthn_rp_name, origins=origins),
        key_roles=auth.webauthn_roles,
    )


def _actor_from_token(token: str) -> None:
    found = accounts.actor_for_token(db_session(), token) if token else None
    if found is None:
        return
    g.actor, g.api_token = found
    g.auth_via = "token"


def _actor_from_cookie() -> None:
    """The cookie names a session row by its opaque id; the row, not the cookie, says whether it holds."""
    session_id = flask_session.get(sessions.COOKIE_KEY)
    found = sessions.resolve(db_session(), session_id, limits=session_limits()) if isinstance(session_id, str) else None
    if found is None:
        if session_id is not None or "user_id" in flask_session:  # lapsed, revoked, or a pre-0007 cookie
            flask_session.clear()
        return
    user, g.user_session = found
    g.actor = accounts.actor_for(db_session(), user)
    g.auth_via = "session"


def _load_actor() -> None:
    """Bearer token first (API clients), then the session cookie (the console)."""
    g.actor = None
    g.auth_via = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        _actor_from_token(header[7:].strip())
    else:
        _actor_from_cookie()


def _check_csrf() -> None:
    """Cookie sessions must echo the CSRF token on every change; bearer clients carry no cookie."""
    if g.auth_via != "session" or request.method not in UNSAFE_METHODS:
        return
    if request.path.startswith(ACK_LINK_PAGE):
        return  # the signed single-use link is the credential there, not the cookie
    validate_csrf(request.headers.get("X-CSRF-Token", ""))


def init_api(app: Flask) -> None:
    from . import (
        alerts,
        auth,
        coverage,
        directory,
        duty,
        events,
        inbox,
        matching,
        mfa,
        places,
        requests,
        sign_ins,
        system,
        trainings,
    )

    for module in (system, auth, mfa, sign_ins, directory, places, events, inbox, trainings, requests, matching, duty, alerts, coverage):
        app.register_blueprint(module.bp)
    _install_request_scope(app)
    _install_error_handlers(app)


def _install_request_scope(app: Flask) -> None:
    """Sign-in and CSRF before each request; one commit (or rollback) after it."""

    @app.before_request
    def _authenticate():
        if request.path.startswith("/static/"):
            return None
        try:
            _load_actor()
            _check_csrf()
        except CSRFError as exc:
            return error_response(403, "csrf", f"missing or invalid X-CSRF-Token header: {exc}", {"X-CSRF-Token": "required"})
        except OperationalError:
            return _database_unavailable()
        return None

    @app.after_request
    def _finish_transaction(response):
        session = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except IntegrityError as exc:
            session.rollback()
            log.info("integrity conflict at commit: %r", exc.orig)
            return error_json(409, "conflict", "the change conflicts with data written at the same time; reload and retry")
        except OperationalError:
            session.rollback()
            return _database_unavailable_response()
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def _install_error_handlers(app: Flask) -> None:
    """Every error answers with the one error envelope ``{"error": {code, message, fields}}``."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return handle_service_error(exc)

    @app.errorhandler(OperationalError)
    def _db_down(exc):
        log.warning("database unavailable: %s", exc)
        return _database_unavailable()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            return error_response(413, "too_large", f"the body is larger than {limit} bytes", {"body": "too large"})
        response = error_json(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            # RFC 9110 15.5.6: a 405 names the methods the resource allows.
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal", "an internal error occurred; it has been logged")


def _database_unavailable_response():
    response = error_json(503, "database_unavailable", "the database is unreachable; retry shortly")
    response.headers["Retry-After"] = "5"
    return response


def _database_unavailable():
    return _database_unavailable_response()
