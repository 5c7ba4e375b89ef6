"""atlas-coord: crisis-response coordination for the special intervention units of the ATLAS network."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__version__ = "0.1.0"


def create_app(config: Any = None):
    """Build the Flask app.

    ``config`` is a :class:`atlas_coord.config.Settings`, a dict of overrides merged over the
    TOML file and environment (tests pass a dict), or None to read ``ATLAS_CONFIG`` and ``ATLAS_*``.
    """
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect

    from .config import Settings, load_settings
    from .db import Database

    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__, static_folder=None)
    app.config.update(
        ATLAS_SETTINGS=settings,
        SECRET_KEY=settings.server.secret_key,
        MAX_CONTENT_LENGTH=settings.server.max_body_bytes,
        SESSION_COOKIE_NAME="atlas_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.server.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.server.session_lifetime_minutes),
        # CSRF is checked by the API layer for cookie sessions only (bearer clients carry no cookie).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
        TESTING=settings.testing,
    )
    from .logs import configure_logging, init_request_logging

    configure_logging(settings)
    # First, so that its after_request hook runs last and logs the final status.
    init_request_logging(app)
    CSRFProtect(app)

    from .services.audit_chain import session_info

    database = Database(settings.database.url, pool_size=settings.database.pool_size,
                        session_info=session_info(settings))
    app.extensions["atlas_db"] = database

    from .api import init_api
    from .security import init_security

    hops = settings.server.trusted_proxies
    if hops:
        # Only then is X-Forwarded-For believed (the login rate limit counts per address).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_api(app)
    init_security(app)

    from .api.auth import init_login_rate_limit

    init_login_rate_limit(app)

    from .realtime import init_realtime
    from .scheduler import init_scheduler
    from .web import init_web

    init_realtime(app)
    init_web(app)
    if settings.server.max_concurrent_calls:
        from .admission import CallLimit

        # Outermost, around Flask-SocketIO's middleware: only /api/ calls wait for a turn.
        app.wsgi_app = CallLimit(app.wsgi_app, settings.server.max_concurrent_calls)
    # Attaches app.start_embedded_scheduler(); only `atlas-coord serve` decides to call it.
    init_scheduler(app)
    if settings.coverage.prewarm:
        # The coverage table takes seconds to build: a server process builds it now, in the
        # background, not on its first map request. (The scheduler process never calls create_app.)
        from .services.coverage import live as coverage_live

        app.extensions["atlas_coverage_prewarm"] = coverage_live.prewarm(database.transaction, settings)
    return app
