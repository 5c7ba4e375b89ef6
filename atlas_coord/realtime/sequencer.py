"""Live delivery in ``seq`` order, each event once, on every server process.

Why: the outbox assigns ``seq`` in commit order, but two transactions that commit one after the
other run their ``after_commit`` emitters concurrently, and events from other processes arrive
through Redis in publish order. Without care a client could receive seq 6 before seq 5, and a
client that ignores "seq <= last seen" would then lose 5.

The :class:`Sequencer` sits in front of this process's local fan-out. It delivers events strictly
in ``seq`` order. When an event arrives ahead of a gap it reads the missing events from the
outbox: since ``seq`` order is commit order, every smaller ``seq`` is already committed. An event
that arrives after it was delivered that way is dropped. :meth:`Sequencer.catch_up` also delivers
committed events whose emit never arrived (a process without Redis, a lost message).

The managers below route the live ``event`` emits through the sequencer; direct sends to one
client (replay) pass ``ignore_queue=True`` and bypass it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import socketio

from .fanout import emit_direct

log = logging.getLogger(__name__)

LIVE_EVENT = "event"
# Sign-outs between server processes travel on the same channel as an emit to a room nobody
# joins: a process that does not know them delivers them to nobody.
SIGN_OUT_EVENT = "atlas:sign_out"
SIGN_OUT_ROOM = "atlas:nobody"
Envelope = dict[str, Any]
Deliver = Callable[[Envelope, list[str]], None]
# (after, upto or None) -> committed (envelope, rooms) with after < seq <= upto, in seq order
Fetch = Callable[[int, int | None], list[tuple[Envelope, list[str]]]]
# () -> newest committed seq
Newest = Callable[[], int]


class Sequencer:
    def __init__(self, deliver: Deliver, fetch: Fetch, newest: Newest) -> None:
        self._deliver = deliver
        self._fetch = fetch
        self._newest = newest
        # Held while delivering; a connecting client holds it to replay and join its rooms
        # atomically with respect to live delivery.
        self.lock = threading.RLock()
        self._head: int | None = None
        self._early: dict[int, tuple[Envelope, list[str]]] = {}

    def start_at_newest(self) -> None:
        """Begin after the newest committed event (at start-up; earlier events are replay's job)."""
        with self.lock:
            if self._head is None:
                self._head = self._newest()

    @property
    def head(self) -> int:
        """The last ``seq`` delivered (or skipped) here; later events will be delivered live."""
        with self.lock:
            if self._head is None:
                self._head = self._newest()
            return self._head

    def offer(self, envelope: Envelope, rooms: list[str]) -> None:
        """Accept one committed event, from this process or another; deliver what is in order."""
        seq = envelope.get("seq")
        if not isinstance(seq, int):
            log.warning("dropping a live event without an integer seq: %r", envelope.get("type"))
            return
        with self.lock:
            if self._head is None:
                self._head = self._newest_or(seq - 1)
            if seq <= self._head:
                return
            self._early.setdefault(seq, (envelope, list(rooms)))
            self._drain()

    def catch_up(self) -> None:
        """Deliver committed events that were never offered (polled from the outbox)."""
        with self.lock:
            if self._head is None:
                self.start_at_newest()
                return
            for envelope, rooms in self._fetch(self._head, None):
                self._early.setdefault(envelope["seq"], (envelope, rooms))
            self._drain()

    def _newest_or(self, fallback: int) -> int:
        try:
            return min(self._newest(), fallback)
        except Exception:  # noqa: BLE001 - without the database, start at this event
            log.exception("cannot read the newest seq; starting live delivery at %d", fallback + 1)
            return fallback

    def _drain(self) -> None:
        while self._early:
            wanted = self._head + 1
            item = self._early.pop(wanted, None)
            if item is not None:
                self._send(*item)
                self._head = wanted
                continue
            upto = min(self._early) - 1
            try:
                fetched = self._fetch(self._head, upto)
            except Exception:  # noqa: BLE001 - deliver what we have; clients replay the gap
                log.exception("cannot read events %d..%d from the outbox", wanted, upto)
                fetched = []
            for envelope, rooms in fetched:
                self._early.setdefault(envelope["seq"], (envelope, rooms))
            if wanted not in self._early:
                log.warning("events %d..%d are not in the outbox; skipping them", wanted, upto)
                self._head = upto

    def _send(self, envelope: Envelope, rooms: list[str]) -> None:
        if not rooms:
            return  # an empty room list would mean "everyone" to python-socketio
        try:
            self._deliver(envelope, rooms)
        except Exception:  # noqa: BLE001 - one failed fan-out must not stop the stream
            log.exception("delivering event %s failed; its clients will catch up by replay", envelope.get("seq"))


def _is_live(event: str, namespace: str | None, data: Any) -> bool:
    return event == LIVE_EVENT and (namespace or "/") == "/" and isinstance(data, dict)


class SerialDisconnects:
    """python-socketio's manager keeps its list of clients being disconnected without a lock. Two
    clients of one namespace leaving at once (the load test's 500 listeners at its end) could both
    empty the list and both delete it: ``KeyError: '/'``, a "disconnect handler error" in the log
    and that client's disconnect handler cut short. Here its updates take turns."""

    _disconnects = threading.RLock()

    def pre_disconnect(self, sid, namespace):
        with self._disconnects:
            return super().pre_disconnect(sid, namespace)

    def basic_disconnect(self, sid, namespace, **kwargs):
        with self._disconnects:
            return super().basic_disconnect(sid, namespace, **kwargs)


class OrderedManager(SerialDisconnects, socketio.Manager):
    """In-memory client manager (one process) whose live events go through the sequencer."""

    sequencer: Sequencer | None = None

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if self.sequencer is not None and not kwargs.get("ignore_queue") and _is_live(event, namespace, data):
            self.sequencer.offer(data, _room_list(to or room))
            return
        super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)

    def deliver(self, envelope: Envelope, rooms: list[str]) -> None:
        _deliver_locally(self, envelope, rooms)


class OrderedRedisManager(SerialDisconnects, socketio.RedisManager):
    """Flask-SocketIO's Redis message queue, with the sequencer in front of local delivery.

    Emits are published on the channel exactly as by the stock manager, so a write-only
    ``SocketIO(message_queue=...)`` in another process (the scheduler) emits the same way.
    """

    sequencer: Sequencer | None = None
    # Ends this process's connections of the given users (``Live.end_lapsed_sessions``).
    on_sign_out: Callable[..., Any] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._outgoing: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._publisher: threading.Thread | None = None
        self._publisher_lock = threading.Lock()

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if kwargs.get("ignore_queue") or callback is not None or not _is_live(event, namespace, data):
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
        message = {
            "method": "emit", "event": event, "data": [data], "binary": False, "namespace": namespace or "/",
            "room": to or room, "skip_sid": skip_sid, "callback": None, "host_id": self.host_id,
        }
        # Published and delivered by this process's publisher thread, not by the committing
        # request's: under load the publish and the local fan-out (which waits for the sequencer's
        # lock) cost a write call 80-200 ms after its commit (issue #18). One thread keeps this
        # process's events in commit order; if the process dies first, the events are committed
        # and the other processes' sequencers read them from the outbox (catch-up poll).
        self._outgoing.put(message)
        self._start_publisher()
        return None

    def _start_publisher(self) -> None:
        if self._publisher is not None:
            return
        with self._publisher_lock:
            if self._publisher is None:
                self._publisher = threading.Thread(target=self._publish_outgoing, name="atlas-live-publisher", daemon=True)
                self._publisher.start()

    def _publish_outgoing(self) -> None:
        while True:
            message = self._outgoing.get()
            # Published before the local fan-out rather than after it, so that the other
            # processes' clients do not wait for this process's.
            try:
                self._publish(message)
            except Exception:  # noqa: BLE001 - the other processes catch up from the outbox
                log.exception("publishing a live event failed")
            try:
                self._handle_emit(message)
            except Exception:  # noqa: BLE001 - one failed delivery must not stop the publisher
                log.exception("delivering a live event locally failed")

    def publish_sign_out(self, user_ids: list[int]) -> None:
        """Tell the other server processes that these users' sign-ins may have ended."""
        self._publish(sign_out_message(user_ids, self.host_id))

    def _handle_emit(self, message):
        data = message.get("data")
        payload = data[0] if isinstance(data, list) and len(data) == 1 else None
        if message.get("event") == SIGN_OUT_EVENT:
            if self.on_sign_out is not None and isinstance(payload, dict):
                self.on_sign_out(user_ids={int(u) for u in payload.get("user_ids", [])})
            return
        if (
            self.sequencer is not None
            and not message.get("binary")
            and message.get("callback") is None
            and _is_live(message.get("event"), message.get("namespace"), payload)
        ):
            self.sequencer.offer(payload, _room_list(message.get("room")))
            return
        super()._handle_emit(message)

    def deliver(self, envelope: Envelope, rooms: list[str]) -> None:
        _deliver_locally(self, envelope, rooms)


def sign_out_message(user_ids: list[int], host_id: str | None) -> dict[str, Any]:
    """The channel message of a sign-out, shaped like the stock manager's emit."""
    return {
        "method": "emit", "event": SIGN_OUT_EVENT, "data": [{"user_ids": sorted(user_ids)}], "binary": False,
        "namespace": "/", "room": SIGN_OUT_ROOM, "skip_sid": None, "callback": None, "host_id": host_id,
    }


def _deliver_locally(manager, envelope: Envelope, rooms: list[str]) -> None:
    """One live event to this process's clients in ``rooms``, each client once."""
    if getattr(manager.server, "atlas_direct_fanout", False):
        emit_direct(manager.server, LIVE_EVENT, envelope, rooms)
    else:
        socketio.Manager.emit(manager, LIVE_EVENT, envelope, "/", room=rooms)


def _room_list(room: Any) -> list[str]:
    if room is None:
        return []
    if isinstance(room, str):
        return [room]
    return [str(r) for r in room]
