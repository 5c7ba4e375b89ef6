"""Socket.IO event handlers: each one hands the connection's sid and payload to :class:`Live`.

Client → server events:

- ``connect`` with auth ``{"token": "...", "after": 12}`` (both optional; without a token the
  console's session cookie is used). Refused with ``unauthenticated``.
- ``watch`` / ``unwatch`` ``{"request_id": 7}``: join or leave ``request:7`` (only if entitled)
  and announce presence. ``presence`` ``{"request_id": 7}``: the current viewers (heartbeat).
- ``ack`` ``{"request_id": 7}``: mark a request addressed to my state as seen.
- ``replay`` ``{"after": N, "limit": 500}``: events older than this connection's live stream.

Each call's return value is its acknowledgement (``sio.call(...)`` in python-socketio).
"""

from __future__ import annotations

from flask import current_app, request, session

from .live import Live


def _live() -> Live:
    return current_app.extensions["atlas_realtime"]


def on_connect(auth=None):
    _live().connect(request.sid, auth, session, request.environ)


def on_disconnect(reason=None):
    _live().disconnect(request.sid)


def on_watch(data=None):
    return _live().watch(request.sid, data)


def on_unwatch(data=None):
    return _live().unwatch(request.sid, data)


def on_presence(data=None):
    return _live().presence_of(request.sid, data)


def on_ack(data=None):
    return _live().ack(request.sid, data)


def on_replay(data=None):
    return _live().history(request.sid, data)


HANDLERS = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "watch": on_watch,
    "unwatch": on_unwatch,
    "presence": on_presence,
    "ack": on_ack,
    "replay": on_replay,
}


def register(socketio) -> None:
    """Bind the handlers to the server ``socketio.init_app`` just created."""
    for name, handler in HANDLERS.items():
        socketio.on(name)(handler)
