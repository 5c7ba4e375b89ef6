"""Logging for every process: text or JSON lines on stderr, and one access line per request.

:func:`configure_logging` sets up the root logger from ``[logging]`` (``format``, ``level``);
it installs one handler of its own and is idempotent, so ``create_app``, ``atlas-coord serve``
and ``atlas-coord scheduler`` may all call it. :func:`init_request_logging` gives each HTTP
request an id (the caller's ``X-Request-ID`` when it looks sane, else a new one), echoes it in
the response header, and writes one ``atlas_coord.access`` line per request with method, path,
status, duration, user id and remote address.

Never logged: request bodies, headers, cookies and query strings (calendar feeds carry their
token in the query), so passwords, bearer tokens and session cookies stay out of the logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

ACCESS_LOGGER = "atlas_coord.access"
REQUEST_ID_HEADER = "X-Request-ID"
# Ids we accept from a caller (a proxy or a client): short and free of anything that could
# forge a log line or smuggle markup.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")
# Request-context fields, in the order they are written.
CONTEXT_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "remote_addr")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# LogRecord attributes that are not "extra" fields.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class RequestContextFilter(logging.Filter):
    """Adds the current request's id to every record logged while a request is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id()
            if request_id is not None:
                record.request_id = request_id
        return True


def current_request_id() -> str | None:
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - Flask is a dependency
        return None
    if not has_request_context():
        return None
    return g.get("request_id")


def _utc_iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, the request
    context when there is one, any other ``extra`` fields, and ``exception`` as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for name, value in vars(record).items():
            if name not in _RESERVED and name not in CONTEXT_FIELDS and name not in entry and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the request id appended when the record has one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is not None and record.name != ACCESS_LOGGER:
            first, _, rest = line.partition("\n")
            line = f"{first} [rid={request_id}]" + (f"\n{rest}" if rest else "")
        return line


def configure_logging(settings: Any = None, *, stream=None) -> logging.Handler:
    """Point the root logger at one handler of ours, in the configured format and level.

    ``settings`` is a :class:`~atlas_coord.config.Settings` or its ``logging`` section (None:
    the defaults). Calling it again replaces our handler (other handlers, such as a test
    runner's capture, are left alone). ``stream`` is for tests; the default is ``sys.stderr``.
    """
    section = getattr(settings, "logging", settings)
    fmt = getattr(section, "format", "text")
    level = getattr(section, "level", "INFO")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_atlas_coord", False):
            root.removeHandler(handler)
            if handler.__class__ is not _StderrHandler:
                handler.close()
    handler: logging.Handler = _StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler._atlas_coord = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's own per-request line would repeat ours (with the query string): keep its errors.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    access = getattr(section, "access_log", True)
    logging.getLogger(ACCESS_LOGGER).disabled = not access
    return handler


def sane_request_id(value: str | None) -> str | None:
    if value and _SANE_REQUEST_ID.match(value):
        return value
    return None


def init_request_logging(app) -> None:
    """Request ids and the access line. Call it before the other ``after_request`` hooks are
    registered, so that the line shows the final status (Flask runs them in reverse order)."""
    from flask import g, request

    access_log = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def _start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        actor = g.get("actor")
        context = {
            "request_id": request_id,
            "method": request.method,
            # The path only: query strings may carry a calendar feed's token.
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": getattr(actor, "user_id", None),
            "remote_addr": request.remote_addr,
        }
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        access_log.log(
            level,
            "%s %s %s %sms user=%s addr=%s rid=%s",
            request.method, request.path, response.status_code, duration_ms,
            context["user_id"] if context["user_id"] is not None else "-", request.remote_addr, request_id,
            extra=context,
        )
        return response
