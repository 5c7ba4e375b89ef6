"""The live layer of one server process: connections, rooms, replay, presence and acknowledgement.

It connects, authorises (rooms from :func:`atlas_coord.policy.rooms_for`) and emits; what a
connection may replay is read from the outbox through :mod:`atlas_coord.services.events`.

Socket.IO handlers (``handlers.py``) are one-liners that call the methods of :class:`Live`; the
methods take the connection's ``sid`` and plain data, so they can be tested without a socket.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from socketio.exceptions import ConnectionRefusedError  # noqa: A004 - carries its message to the client
from sqlalchemy.orm import Session

from atlas_coord.policy import Actor, rooms_for
from atlas_coord.serializers.requests import SeenOut
from atlas_coord.services import events, requests, sessions
from atlas_coord.services.errors import ServiceError

from . import auth as handshake_auth
from .presence import MemoryPresence, Presence, RedisPresence, Viewer, summary
from .rooms import may_watch_request
from .sequencer import LIVE_EVENT, Sequencer

log = logging.getLogger(__name__)

REPLAY_BATCH = 500
REPLAY_MAX = 10_000  # more missed events than this: the client is told to reload instead
CATCH_UP_SECONDS = 2.0  # how often committed-but-never-emitted events are looked for
CONNECT_WAIT_SECONDS = 5.0


@dataclass
class Connection:
    sid: str
    actor: Actor
    credentials: handshake_auth.Credentials
    rooms: list[str]
    watching: set[int] = field(default_factory=set)
    # Live events after this seq reach the connection through its rooms; set once it has joined.
    live_from: int | None = None

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.actor.user_id, self.actor.username, tuple(g.label() for g in self.actor.grants))


def error(code: str, message: str) -> dict[str, Any]:
    """The body of a refused socket call, shaped like the REST API's errors."""
    return {"error": {"code": code, "message": message}}


def _request_id(data: Any) -> int | None:
    value = data.get("request_id") if isinstance(data, Mapping) else data
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


class Live:
    """State and behaviour of the live layer in one server process."""

    def __init__(self, database, realtime_settings, manager, *, redis_client=None,
                 session_limits: sessions.Limits = sessions.Limits()) -> None:
        self.db = database
        self.settings = realtime_settings
        self.session_limits = session_limits
        self.server = None  # the python-socketio Server, set by init_realtime
        self.connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._ticker_running = False
        self.heartbeat_seconds = float(realtime_settings.ping_interval_seconds)
        self.presence: Presence = (
            RedisPresence(redis_client, prefix=realtime_settings.channel, ttl_seconds=3 * self.heartbeat_seconds)
            if redis_client is not None
            else MemoryPresence()
        )
        # The manager delivers to this process's clients; its live emits go through the sequencer.
        self.sequencer = Sequencer(manager.deliver, self._committed_range, self._newest_seq)
        manager.sequencer = self.sequencer

    # -- database -------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A short read-only session (closed at once: on SQLite every transaction takes the write lock)."""
        session = self.db.session_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def _committed_range(self, after: int, upto: int | None):
        with self.reading() as session:
            return events.committed_range(session, after=after, upto=upto)

    def _newest_seq(self) -> int:
        with self.reading() as session:
            return events.newest_seq(session)

    # -- emitting ---------------------------------------------------------------------------

    def emit_committed(self, batch: list[tuple[dict[str, Any], list[str]]]) -> None:
        """The outbox emitter: each committed event once, to the union of its rooms."""
        for envelope, rooms in batch:
            if rooms:
                self.server.emit(LIVE_EVENT, envelope, to=list(rooms))

    def _send(self, sid: str, event: str, data: Any) -> None:
        """To one client of this process, bypassing the message queue and the sequencer."""
        self.server.emit(event, data, to=sid, ignore_queue=True)

    # -- connecting -------------------------------------------------------------------------

    def connect(self, sid: str, auth: Any, flask_session: Mapping[str, Any], environ: Mapping[str, Any]) -> None:
        """Authenticate; the rooms are joined (after any replay) by a background task.

        :raise ConnectionRefusedError: ``unauthenticated``, or a malformed auth payload.
        """
        try:
            shake = handshake_auth.parse_handshake(auth, environ)
        except handshake_auth.HandshakeError as exc:
            raise ConnectionRefusedError(str(exc)) from None
        try:
            with self.reading() as session:
                found = handshake_auth.authenticate(session, shake.token, flask_session, limits=self.session_limits)
        except sa.exc.OperationalError:
            log.warning("database unavailable during a socket connect", exc_info=True)
            raise ConnectionRefusedError("unavailable") from None
        if found is None:
            raise ConnectionRefusedError("unauthenticated")
        actor, credentials = found
        with self._lock:
            self.connections[sid] = Connection(sid, actor, credentials, rooms_for(actor))
        self.server.start_background_task(self._join_when_connected, sid, shake.after)

    def _join_when_connected(self, sid: str, after: int | None) -> None:
        # The CONNECT packet is sent once the connect handler returns; wait for it so that
        # replayed events never reach the client before it.
        deadline = time.monotonic() + CONNECT_WAIT_SECONDS
        while not self.server.manager.is_connected(sid, "/"):
            if sid not in self.connections or time.monotonic() > deadline:
                return
            self.server.sleep(0.005)
        try:
            self.join(sid, after)
        except Exception:  # noqa: BLE001 - the client gets no "ready" and reconnects
            log.exception("joining the live stream failed for %s", sid)
            self.server.disconnect(sid)
            return
        self._ensure_ticker()

    def join(self, sid: str, after: int | None) -> None:
        """Replay what the client missed, then join its rooms, atomically with live delivery.

        Replay is bounded by the sequencer's head; everything after the head is delivered live
        once the rooms are joined. Both happen under the sequencer's lock, so the client sees
        one stream in ``seq`` order with no gap and no duplicate. The head is first brought up
        to date with the outbox (this process may not have heard of every commit yet, e.g. before
        its Redis listener started). The bulk of a long replay is sent before taking the lock so
        that live delivery to others is not held up.
        """
        conn = self.connections.get(sid)
        if conn is None:
            return
        sent_upto, replayed, truncated = after, 0, None
        if after is not None:
            with self.reading() as session:
                outbox = events.bounds(session)
                truncated = events.truncation(after, outbox)
                if truncated is None and events.count_visible(session, conn.rooms, after=after, upto=outbox.newest) > REPLAY_MAX:
                    truncated = events.TOO_MANY
            if truncated is None:
                sent_upto, count = self._replay_to(conn, after, outbox.newest)
                replayed += count
        with self.sequencer.lock:
            self.sequencer.catch_up()
            head = self.sequencer.head
            if truncated is None and sent_upto is not None:
                _, count = self._replay_to(conn, sent_upto, head)
                replayed += count
            for room in conn.rooms:
                self.server.enter_room(sid, room)
            conn.live_from = head
            if truncated is not None:
                self._send(sid, "replay_truncated", {"reason": truncated, "after": after, "last_seq": head})
            self._send(sid, "ready", {"last_seq": head, "replayed": replayed, "rooms": conn.rooms, "user": conn.actor.username})

    def _replay_to(self, conn: Connection, after: int, upto: int) -> tuple[int, int]:
        """Send the visible events with ``after < seq <= upto`` to one client; returns (last, count)."""
        count = 0
        while after < upto:
            with self.reading() as session:
                batch = events.visible_after(session, conn.rooms, after=after, upto=upto, limit=REPLAY_BATCH)
            for envelope in batch:
                self._send(conn.sid, LIVE_EVENT, envelope)
            count += len(batch)
            if len(batch) < REPLAY_BATCH:
                return upto, count
            after = batch[-1]["seq"]
        return upto, count

    def disconnect(self, sid: str) -> None:
        with self._lock:
            conn = self.connections.pop(sid, None)
        if conn is None:
            return
        for request_id in sorted(conn.watching):
            self._leave_presence(request_id, sid)

    # -- requests: watch, presence, acknowledgement ---------------------------------------

    def _about_a_request(self, sid: str, data: Any) -> tuple[Connection | None, int | None, dict[str, Any] | None]:
        """The connection and the ``request_id`` a call names, or the error to answer instead."""
        conn = self.connections.get(sid)
        request_id = _request_id(data)
        if conn is None:
            return None, None, error("unauthenticated", "not connected")
        if request_id is None:
            return None, None, error("validation_error", "request_id must be a positive integer")
        return conn, request_id, None

    def watch(self, sid: str, data: Any) -> dict[str, Any]:
        """Join ``request:<id>`` (if entitled) and announce the viewer to the other viewers."""
        conn, request_id, refused = self._about_a_request(sid, data)
        if refused is not None:
            return refused
        with self.reading() as session:
            allowed = may_watch_request(session, conn.actor, request_id)
        if not allowed:
            return error("not_found", f"request {request_id} not found")
        self.server.enter_room(sid, events.request_room(request_id))
        conn.watching.add(request_id)
        self.presence.join(request_id, sid, conn.viewer)
        snapshot = self.broadcast_presence(request_id)
        return {"ok": True, "presence": snapshot}

    def unwatch(self, sid: str, data: Any) -> dict[str, Any]:
        conn = self.connections.get(sid)
        request_id = _request_id(data)
        if conn is None or request_id is None or request_id not in conn.watching:
            return error("not_watching", "this connection is not watching that request")
        conn.watching.discard(request_id)
        self.server.leave_room(sid, events.request_room(request_id))
        self._leave_presence(request_id, sid)
        return {"ok": True}

    def presence_of(self, sid: str, data: Any) -> dict[str, Any]:
        """The current viewers of a request this connection watches (and a heartbeat for it)."""
        conn = self.connections.get(sid)
        request_id = _request_id(data)
        if conn is None or request_id is None or request_id not in conn.watching:
            return error("not_watching", "watch the request first")
        self.presence.join(request_id, sid, conn.viewer)
        return {"ok": True, "presence": summary(request_id, self.presence.viewers(request_id))}

    def _leave_presence(self, request_id: int, sid: str) -> None:
        try:
            self.presence.leave(request_id, sid)
            self.broadcast_presence(request_id)
        except Exception:  # noqa: BLE001 - presence is advisory; entries also expire
            log.exception("updating presence of request %s failed", request_id)

    def broadcast_presence(self, request_id: int) -> dict[str, Any]:
        snapshot = summary(request_id, self.presence.viewers(request_id))
        self.server.emit("presence", snapshot, to=events.request_room(request_id))
        return snapshot

    def ack(self, sid: str, data: Any) -> dict[str, Any]:
        """Mark a request as seen by this user's authority (the requests service decides who may);
        the service's ``request.seen`` event then reaches the requester like any other event."""
        conn, request_id, refused = self._about_a_request(sid, data)
        if refused is not None:
            return refused
        try:
            with self.db.transaction() as session:
                actor = handshake_auth.recheck(session, conn.credentials, limits=self.session_limits)
                if actor is None:
                    return error("unauthenticated", "your sign-in has ended; reconnect")
                seen = [SeenOut.model_validate(answer).wire() for answer in requests.mark_seen(session, actor, request_id)]
                body = {"ok": True, "request_id": request_id, "seen": seen}
        except ServiceError as exc:
            return error(exc.code, exc.message)
        return body

    def history(self, sid: str, data: Any) -> dict[str, Any]:
        """The ``replay`` call: visible events after ``after`` that precede this connection's live
        stream (``live_from``), a page at a time. Later events arrive live on the connection."""
        conn = self.connections.get(sid)
        if conn is None or conn.live_from is None:
            return error("not_ready", "wait for the ready event")
        after = data.get("after") if isinstance(data, Mapping) else None
        limit = data.get("limit", REPLAY_BATCH) if isinstance(data, Mapping) else REPLAY_BATCH
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            return error("validation_error", "after must be a non-negative integer")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= REPLAY_BATCH:
            return error("validation_error", f"limit must be between 1 and {REPLAY_BATCH}")
        with self.reading() as session:
            outbox = events.bounds(session)
            items = events.visible_after(session, conn.rooms, after=after, upto=conn.live_from, limit=limit)
        complete = len(items) < limit
        body: dict[str, Any] = {
            "items": items,
            "last_seq": conn.live_from if complete else items[-1]["seq"],
            "complete": complete,
        }
        reason = events.truncation(after, outbox)
        if reason is not None:
            body["replay_truncated"] = {"reason": reason, "oldest_seq": outbox.oldest}
        return body

    # -- heartbeat --------------------------------------------------------------------------

    def _ensure_ticker(self) -> None:
        with self._lock:
            if self._ticker_running:
                return
            self._ticker_running = True
        self.server.start_background_task(self._tick_loop)

    def _tick_loop(self) -> None:
        """While clients are connected: catch up on never-emitted events, refresh presence, end
        lapsed sessions. A round that fails (the database or Redis unreachable) is logged and the
        next round tries again, so the loop outlives an outage; it ends when nobody is connected."""
        last_heartbeat = time.monotonic()
        failing: set[str] = set()
        while True:
            self.server.sleep(CATCH_UP_SECONDS)
            with self._lock:
                if not self.connections:
                    self._ticker_running = False
                    return
            self._tick("catch-up", self.sequencer.catch_up, failing)
            if time.monotonic() - last_heartbeat >= self.heartbeat_seconds:
                last_heartbeat = time.monotonic()
                self._tick("presence heartbeat", self.heartbeat, failing)
                self._tick("session check", self.end_lapsed_sessions, failing)

    @staticmethod
    def _tick(name: str, step, failing: set[str]) -> None:
        """Run one step of the loop; log its first failure in a row and its recovery."""
        try:
            step()
        except Exception:  # noqa: BLE001 - retried next round; an outage must not stop the loop
            if name not in failing:
                failing.add(name)
                log.exception("the live layer's %s failed; retrying every %ss", name, CATCH_UP_SECONDS)
            return
        if name in failing:
            failing.discard(name)
            log.info("the live layer's %s works again", name)

    def end_sessions_of(self, user_ids: list[int]) -> list[str]:
        """The listener of :mod:`atlas_coord.services.sign_outs`: right after a commit that may
        have ended these users' sign-ins (a token revoked, an account disabled, grants changed),
        tell the other server processes and end the affected connections of this one."""
        publish = getattr(self.server.manager, "publish_sign_out", None)
        if publish is not None:
            try:
                publish(user_ids)
            except Exception:  # noqa: BLE001 - Redis down: the other processes' heartbeat still ends them
                log.exception("telling the other server processes of ended sign-ins failed")
        return self.end_lapsed_sessions(user_ids=set(user_ids))

    def end_lapsed_sessions(self, user_ids: set[int] | None = None) -> list[str]:
        """Disconnect the connections whose sign-in no longer holds (token revoked or expired,
        account disabled, password changed) or whose grants changed since they joined their
        rooms, so that nobody keeps receiving what they are no longer entitled to. Each gets a
        ``session_ended`` message first; a client whose grants changed reconnects and joins its
        new rooms (with replay), a signed-out one is refused. Runs with the heartbeat (every
        connection) and at once after a revocation (``user_ids``: only theirs); returns the sids
        it ended."""
        with self._lock:
            snapshot = [(sid, conn.credentials, conn.rooms) for sid, conn in self.connections.items()
                        if user_ids is None or conn.credentials.user_id in user_ids]
        if not snapshot:
            return []
        rooms_by_credentials: dict[handshake_auth.Credentials, list[str] | None] = {}
        with self.reading() as session:
            for _sid, credentials, _rooms in snapshot:
                if credentials not in rooms_by_credentials:
                    actor = handshake_auth.recheck(session, credentials, limits=self.session_limits)
                    rooms_by_credentials[credentials] = rooms_for(actor) if actor is not None else None
        ended = [sid for sid, credentials, rooms in snapshot if rooms_by_credentials[credentials] != rooms]
        for sid, credentials, _rooms in snapshot:
            if sid in ended:
                self._end(sid, "signed_out" if rooms_by_credentials[credentials] is None else "grants_changed")
        if ended:
            log.info("ended %d live session(s) whose sign-in or grants changed", len(ended))
        return ended

    def _end(self, sid: str, reason: str) -> None:
        """Out of every room first (no further event), then told why, then disconnected."""
        for room in self.server.rooms(sid):
            if room != sid:
                self.server.leave_room(sid, room)
        self._send(sid, "session_ended", {"reason": reason})
        self.server.disconnect(sid, ignore_queue=True)

    def heartbeat(self) -> None:
        """Refresh this process's presence entries; announce requests whose viewers expired."""
        with self._lock:
            local = {sid: (c.viewer, set(c.watching)) for sid, c in self.connections.items() if c.watching}
        for request_id in self.presence.refresh(local):
            self.broadcast_presence(request_id)
