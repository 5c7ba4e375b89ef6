"""The live layer: Socket.IO connections authenticated at connect, rooms derived from grants,
committed outbox events fanned out once per event in ``seq`` order, replay after a reconnect,
presence on requests, and several server processes joined through Redis.

Wiring (nothing starts at import time):

- ``create_app`` calls :func:`init_realtime` once per app.
- A process that is not a server (the scheduler, a CLI command) that commits changes calls
  ``events.set_emitter(external_emitter(settings.realtime.redis_url, settings.realtime.channel))``
  once at start-up, so that its events reach the clients of every server process at once; one
  that revokes sign-ins (tokens, accounts, grants) also calls
  ``sign_outs.set_listener(external_sign_out(...))`` so that the servers close those sockets.
  Without Redis there is nothing to call: each server finds such events in the outbox within
  a couple of seconds (its catch-up poll).

Replay and retention read the outbox and live in :mod:`atlas_coord.services.events`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from atlas_coord.services import events, sign_outs
from atlas_coord.services.sessions import Limits

from .sequencer import LIVE_EVENT, SIGN_OUT_EVENT, SIGN_OUT_ROOM, OrderedManager, OrderedRedisManager

__all__ = ["LIVE_EVENT", "external_emitter", "external_sign_out", "init_realtime"]

log = logging.getLogger(__name__)


def _origin_check(allowed: list[str], trust_proxy: bool) -> Callable[[str, dict], bool]:
    """Same origin, plus the configured ``realtime.allowed_origins`` (websockets bypass CORS,
    so this check is what stops another site from riding a signed-in user's cookie)."""
    extra = {origin.rstrip("/").lower() for origin in allowed}

    def check(origin: str, environ: dict) -> bool:
        origin = (origin or "").rstrip("/").lower()
        if origin in extra:
            return True
        host = environ.get("HTTP_HOST", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        same = {f"{scheme}://{host}".lower()}
        if trust_proxy:
            forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
            forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
            same.add(f"{forwarded_proto}://{forwarded_host}".lower())
        return origin in same

    return check


def init_realtime(app) -> None:
    """Bind the app's Socket.IO server: explicit async mode, origin check, heartbeat, the
    (Redis or in-memory) client manager with the live sequencer, handlers, and the emitter."""
    from atlas_coord.extensions import socketio

    from . import fanout, handlers
    from .live import Live

    settings = app.config["ATLAS_SETTINGS"]
    realtime = settings.realtime
    redis_client = None
    if realtime.redis_url:
        import redis

        manager = OrderedRedisManager(realtime.redis_url, channel=realtime.channel)
        redis_client = redis.Redis.from_url(realtime.redis_url, decode_responses=True)
    else:
        manager = OrderedManager()
    live = Live(app.extensions["atlas_db"], realtime, manager, redis_client=redis_client,
                session_limits=Limits(settings.auth.session_idle_minutes, settings.auth.session_absolute_hours))
    socketio.init_app(
        app,
        async_mode=realtime.async_mode,
        client_manager=manager,
        cors_allowed_origins=_origin_check(realtime.allowed_origins, settings.server.trust_proxy),
        ping_interval=realtime.ping_interval_seconds,
        ping_timeout=realtime.ping_interval_seconds,
    )
    live.server = socketio.server
    if realtime.direct_fanout:
        fanout.enable(socketio.server)
    handlers.register(socketio)
    app.extensions["atlas_realtime"] = live
    events.set_emitter(live.emit_committed)
    # A revocation closes the user's sockets right after its commit, here and (Redis) elsewhere.
    manager.on_sign_out = live.end_lapsed_sessions
    sign_outs.set_listener(live.end_sessions_of)
    try:
        live.sequencer.start_at_newest()
    except Exception:  # noqa: BLE001 - e.g. `db upgrade` not run yet; the first event starts it
        log.warning("cannot read the outbox at start-up; live delivery starts with the first event")


def external_emitter(redis_url: str, channel: str = "atlas-coord") -> Callable[[list[tuple[dict[str, Any], list[str]]]], None]:
    """An outbox emitter for a process without a Socket.IO server (the scheduler, the CLI).

    Usage, once at process start-up::

        from atlas_coord.realtime import external_emitter
        from atlas_coord.services import events
        events.set_emitter(external_emitter(settings.realtime.redis_url, settings.realtime.channel))

    Each committed event is published once on the Redis channel (a write-only
    ``SocketIO(message_queue=...)``); every server process delivers it to its own clients.
    """
    from flask_socketio import SocketIO

    writer = SocketIO(message_queue=redis_url, channel=channel, async_mode="threading")

    def emit(batch: list[tuple[dict[str, Any], list[str]]]) -> None:
        for envelope, rooms in batch:
            if rooms:
                writer.emit(LIVE_EVENT, envelope, to=list(rooms))

    return emit


def external_sign_out(redis_url: str, channel: str = "atlas-coord") -> Callable[[list[int]], None]:
    """A :mod:`atlas_coord.services.sign_outs` listener for a process without a Socket.IO server:
    every server process ends the live connections of the users whose sign-in ended."""
    from flask_socketio import SocketIO

    writer = SocketIO(message_queue=redis_url, channel=channel, async_mode="threading")

    def tell(user_ids: list[int]) -> None:
        writer.emit(SIGN_OUT_EVENT, {"user_ids": sorted(user_ids)}, to=SIGN_OUT_ROOM)

    return tell
