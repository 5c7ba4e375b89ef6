"""Direct fan-out for the threading async mode: one encoding and one non-blocking write per client.

Why: in threading mode each websocket client has its own writer thread. A stock emit puts the
packet in every client's queue, which wakes every writer thread; each must take the GIL, frame
the message (wsproto) and write it. Measured with 1,000 clients on 2 cores, the thread hand-offs
dominate: about 100-190 ms from the first write to the last, for ~20 µs of real work per client.

What: for a live event, the websocket frame is built once and written to each client's socket
with a non-blocking ``send`` from the delivering thread, so no writer thread is woken. Order and
framing stay correct because the direct write is only taken when the client has nothing queued
and nothing in the hands of its writer thread (checked under the queue's own lock, see
:class:`TrackedQueue`). Otherwise, and whenever the socket cannot take the whole frame at once
(a slow reader), the event goes through the client's queue as usual (the unsent remainder of a
frame first), so a slow client never blocks the others.

Scope: websocket-first connections (``transports: ['websocket']``, as our clients use). Clients
that started on long-polling and upgraded keep the stock path. The stock path is also used for
every other emit (replay, presence, acknowledgements, pings).

This relies on python-engineio internals (``Server._async``, ``Socket.queue``, the
simple-websocket driver); :func:`enable` checks for them and otherwise leaves the server as it is.
``realtime.direct_fanout = false`` turns it off.
"""

from __future__ import annotations

import logging
import queue
import socket
import struct
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.socket import Socket as EngineIOSocket
from socketio import packet as sio_packet

log = logging.getLogger(__name__)

try:  # the threading driver of python-engineio
    import simple_websocket
    from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
except ImportError:  # pragma: no cover - without simple-websocket there is no websocket in threading mode
    SimpleWebSocketWSGI = None


class TrackedQueue(queue.Queue):
    """An engine.io socket queue that also counts packets taken by the writer and not yet sent."""

    def _init(self, maxsize: int) -> None:
        super()._init(maxsize)
        self.in_flight = 0

    def _get(self):  # called with self.mutex held
        self.in_flight += 1
        return super()._get()

    def sent(self) -> None:
        with self.mutex:
            self.in_flight -= 1

    def put_locked(self, item) -> None:
        """``put`` for a caller that already holds ``self.mutex``."""
        self._put(item)
        self.unfinished_tasks += 1
        self.not_empty.notify()


class RawFrame(bytes):
    """Bytes already framed for the websocket (the unsent rest of a direct write)."""


class RawFramePacket(eio_packet.Packet):
    def __init__(self, frame: bytes) -> None:
        super().__init__(eio_packet.NOOP)
        self.frame = RawFrame(frame)

    def encode(self, b64=False):
        return self.frame


if SimpleWebSocketWSGI is not None:

    class DirectWebSocketWSGI(SimpleWebSocketWSGI):  # pragma: no cover - exercised by every live test
        """The stock simple-websocket driver, plus: websocket-first sockets register for direct
        writes, and the writer thread reports each packet it has sent."""

        def __call__(self, environ, start_response):
            self.ws = simple_websocket.Server(environ, **self.server_args)
            owner = getattr(self.app, "__self__", None)
            direct = (
                isinstance(owner, EngineIOSocket)
                and not owner.connected  # websocket-first: its queue was never polled over HTTP
                and isinstance(owner.queue, TrackedQueue)
                and self.ws.sock.gettimeout() is None  # a timeout would make send() wait for room
            )
            self.tracked = owner.queue if direct else None
            if direct:
                owner.atlas_direct = self
            try:
                ret = self.app(self)
            finally:
                if direct:
                    owner.atlas_direct = None
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return ret

        def send(self, message):
            try:
                if isinstance(message, RawFrame):
                    try:
                        self.ws.sock.sendall(message)
                    except OSError as exc:
                        raise OSError() from exc
                    return None
                return super().send(message)
            finally:
                if self.tracked is not None:
                    self.tracked.sent()

else:  # pragma: no cover
    DirectWebSocketWSGI = None


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final websocket text frame (server to client)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


def enable(server) -> bool:
    """Switch a python-socketio ``Server`` in threading mode to direct-write-capable sockets."""
    eio = server.eio
    drivers = getattr(eio, "_async", None)
    if (
        DirectWebSocketWSGI is None
        or eio.async_mode != "threading"
        or not isinstance(drivers, dict)
        or drivers.get("websocket") is not SimpleWebSocketWSGI
        or drivers.get("queue") is not queue.Queue
    ):
        log.info("direct fan-out not available for this engine.io server; using the stock emit")
        return False
    # A copy: the driver table is shared by every server of the process.
    eio._async = {**drivers, "queue": TrackedQueue, "websocket": DirectWebSocketWSGI}
    server.atlas_direct_fanout = True
    return True


def emit_direct(server, event: str, data: Any, rooms: list[str], namespace: str = "/") -> int:
    """Emit ``event`` to the union of ``rooms`` (each client once): one encoding, then a direct
    non-blocking write per websocket-first client, else the client's queue. Returns how many
    clients were written to directly."""
    encoded = server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data]).encode()
    if isinstance(encoded, list):  # binary attachments: never in our envelopes
        socketio.Manager.emit(server.manager, event, data, namespace, room=rooms)
        return 0
    eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    frame = text_frame(eio_pkt.encode().encode("utf-8"))
    eio = server.eio
    direct_count = 0
    for _sid, eio_sid in server.manager.get_participants(namespace, rooms):
        sock = eio.sockets.get(eio_sid)
        if sock is None:
            continue
        direct = getattr(sock, "atlas_direct", None)
        if direct is None or sock.closing or sock.closed or not sock.upgraded:
            server._send_eio_packet(eio_sid, eio_pkt)
            continue
        if _write_or_queue(direct, sock.queue, frame, eio_pkt):
            direct_count += 1
    return direct_count


def _write_or_queue(direct, tracked: TrackedQueue, frame: bytes, eio_pkt) -> bool:
    with tracked.mutex:
        if tracked.in_flight or tracked.queue or not direct.ws.connected:
            tracked.put_locked(eio_pkt)
            return False
        try:
            sent = direct.ws.sock.send(frame, socket.MSG_DONTWAIT)
        except BlockingIOError:
            tracked.put_locked(eio_pkt)
            return False
        except OSError:
            return False  # the connection is gone; its handler cleans up
        if sent < len(frame):
            tracked.put_locked(RawFramePacket(frame[sent:]))
        return True
