"""Serving one process with a graceful stop (``atlas-coord serve``).

SIGTERM or SIGINT stops it: no new connections, live clients are disconnected (they reconnect
elsewhere and catch up by seq), requests in flight get up to ``server.shutdown_grace_seconds``
to finish, the embedded scheduler finishes its run, the database pool is closed.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import ClosingIterator

log = logging.getLogger("atlas_coord.serve")


class InFlight:
    """WSGI middleware counting the requests being handled, so shutdown can wait for them.

    A call ends when Werkzeug closes its response, or at the latest when its handler thread
    ends: Werkzeug drains unread input before it closes the response, and when that drain
    raises the close never comes (seen as 1 in ~10 idle shutdowns waiting the whole grace).
    """

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        # Calls of the live channel (a websocket, or a Socket.IO long-poll): they end when their
        # client is disconnected, so the shutdown log counts them as clients, not as requests.
        self.live = 0
        self._changed = threading.Condition()
        self._open_call = threading.local()  # per handler thread: None, or whether it is a websocket

    def end_call(self) -> None:
        """End this thread's call if it is still counted (idempotent)."""
        websocket = getattr(self._open_call, "websocket", None)
        if websocket is None:
            return
        self._open_call.websocket = None
        with self._changed:
            self.count -= 1
            self.live -= websocket
            self._changed.notify_all()

    def __call__(self, environ, start_response):
        websocket = (environ.get("HTTP_UPGRADE", "").lower() == "websocket"
                     or environ.get("PATH_INFO", "").startswith("/socket.io/"))
        with self._changed:
            self.count += 1
            self.live += websocket
        self._open_call.websocket = websocket
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self.end_call()
            raise
        return ClosingIterator(result, [self.end_call])

    def wait_idle(self, timeout: float) -> int:
        """Wait until no request is in flight or ``timeout`` passes; returns how many are left."""
        with self._changed:
            self._changed.wait_for(lambda: self.count <= 0, timeout)
            return self.count


# The Server header names the product only: versions tell an attacker which advisories apply.
# (gunicorn, the other way to serve, sends "Server: gunicorn" without its version.)
SERVER_HEADER = "atlas-coord"


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, whose ``Server`` header would be ``Werkzeug/x Python/y``."""

    def version_string(self) -> str:
        return SERVER_HEADER


def stoppable_server(host: str, port: int, in_flight: InFlight):
    """The Werkzeug threaded server with simple-websocket, as socketio.run() uses in threading
    mode, but one we can stop from a signal handler, and whose handler threads always end
    their call in ``in_flight``."""
    class Server(ThreadedWSGIServer):
        def process_request_thread(self, request, client_address) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                in_flight.end_call()

    return Server(host, port, in_flight, handler=RequestHandler)


def on_stop_signals(handler) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


@dataclass
class _Stop:
    """Which signal asked the process to stop (none: the server thread ended by itself)."""

    event: threading.Event = field(default_factory=threading.Event)
    received: list[str] = field(default_factory=list)

    def on_signal(self, signum, _frame) -> None:
        name = signal.Signals(signum).name
        if self.event.is_set():
            log.info("already stopping (%s again)", name)
            return
        self.received.append(name)
        self.event.set()

    @property
    def reason(self) -> str:
        return self.received[0] if self.received else "server thread ended"


def _wait_for_stop(stop: _Stop, serving: threading.Thread) -> None:
    while not stop.event.wait(0.5):
        if not serving.is_alive():
            log.error("the HTTP server stopped by itself")
            return


def _disconnect_live_clients(eio, clients) -> int:
    """Every live client: they reconnect (elsewhere) and catch up by seq. Without waiting: a
    websocket's writer may already be gone, and engine.io's close(wait=True) would then block."""
    disconnected = 0
    for client in clients:
        try:
            client.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            disconnected += 1
        except Exception:  # noqa: BLE001 - shutting down regardless
            log.exception("disconnecting a live client failed")
    return disconnected


def _stop_background(scheduler, socketio) -> None:
    if scheduler is not None:
        scheduler.shutdown(wait=True)
    try:
        socketio.server.shutdown()
    except Exception:  # noqa: BLE001
        log.exception("stopping the Socket.IO background tasks failed")


#: The cyclic garbage collector's thresholds in a server process (CPython's default: 700, 10, 10).
#: A call leaves thousands of container objects alive for a moment (SQLAlchemy rows and states,
#: pydantic models, decoded JSON), so with a young generation of 700 a pass ran about once per
#: call and every hundredth pass went on to the older generations; 10,000 still collects garbage
#: cycles within a few calls, with a third of the passes (docs/performance.md, item 29).
SERVER_GC_THRESHOLDS = (10_000, 10, 10)


def settle_heap() -> int:
    """Ready a server process's garbage collector once the app is built; returns the objects frozen.

    Everything alive now (modules, the app, its routes, schemas, the seed vocabularies) lives as
    long as the process: ``gc.freeze`` moves it out of the collector's generations, so no full
    collection scans it again, and the young generation's threshold is raised
    (:data:`SERVER_GC_THRESHOLDS`). In-process, the hot endpoints spent 8-9% of their CPU in the
    collector before and under 1% after (docs/performance.md, item 29). Garbage made later is
    collected as before.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    return gc.get_freeze_count()


def rehearse_ranking(app) -> None:
    """Build the transport model's tables before the process takes calls (``matching.rehearse``):
    about a second of CPU that the first request raised after a restart would otherwise wait
    for. Called before :func:`settle_heap`, so the tables are frozen with the rest of the
    start-up heap. A database that cannot be read yet (not migrated, not reachable) only delays
    the tables to the first ranking: the process still starts."""
    from .services import matching

    began = time.process_time()
    try:
        with app.extensions["atlas_db"].transaction() as session:
            ranked = matching.rehearse(session, app.config["ATLAS_SETTINGS"])
    except Exception:  # noqa: BLE001 - a server that cannot rehearse still serves
        log.warning("ranking rehearsal failed; the first ranking builds the transport tables", exc_info=True)
        return
    log.info("ranking rehearsed over %d units in %.2f s of CPU", ranked, time.process_time() - began)


def start_alert_dispatcher(app, settings):
    """The thread that pages duty officers as soon as a change commits (``alerts.dispatcher_thread``)."""
    if not settings.alerts.dispatcher_thread:
        return None
    from .scheduler.alerting import AlertDispatcher

    return AlertDispatcher(app.extensions["atlas_db"], settings).start()


def serve_until_stopped(settings, *, announce: Callable[[str], None] = print) -> int:
    """Serve the API, the live channel and the console until a stop signal; returns the exit
    status (0 after a signal, 1 when the server thread ended by itself)."""
    from . import create_app
    from .extensions import socketio
    from .logs import configure_logging

    configure_logging(settings)
    app = create_app(settings)
    rehearse_ranking(app)
    settle_heap()
    in_flight = InFlight(app)
    server = stoppable_server(settings.server.host, settings.server.port, in_flight)
    start_embedded = getattr(app, "start_embedded_scheduler", None)
    scheduler = start_embedded() if start_embedded is not None and settings.scheduler.embedded else None
    dispatcher = start_alert_dispatcher(app, settings)

    stop = _Stop()
    on_stop_signals(stop.on_signal)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http-server", daemon=True)
    serving.start()
    announce(f"atlas-coord serving on http://{settings.server.host}:{server.server_port}")
    log.info("serving on http://%s:%s (pid %s)", settings.server.host, server.server_port, os.getpid())
    _wait_for_stop(stop, serving)

    began = time.monotonic()
    grace = settings.server.shutdown_grace_seconds
    server.shutdown()
    server.server_close()
    # Counted once, now that nothing new can connect, from what is actually closed: engine.io's
    # sockets are the live clients whatever their transport (the old count of websocket calls
    # said "0 live connection(s) to close" for a long-polling client, then "disconnected 1").
    eio = socketio.server.eio
    clients = list(eio.sockets.values())
    log.info("shutting down (%s): no new connections; disconnecting %s live client(s); up to %ss for %s request(s) in flight",
             stop.reason, len(clients), grace, max(in_flight.count - in_flight.live, 0))
    disconnected = _disconnect_live_clients(eio, clients)
    left = in_flight.wait_idle(grace)
    if left:
        log.warning("%s request(s) still in flight after %ss; stopping anyway", left, grace)
    _stop_background(scheduler, socketio)
    if dispatcher is not None:
        dispatcher.stop()
    app.extensions["atlas_db"].dispose()
    done = [f"{disconnected} live client(s) disconnected"] if clients else []
    done.append("requests finished" if not left else f"{left} request(s) cut off")
    if scheduler is not None:
        done.append("scheduler stopped")
    done.append("database pool closed")
    log.info("atlas-coord stopped (%s) in %.1fs: %s", stop.reason, time.monotonic() - began, ", ".join(done))
    return 0 if stop.received else 1
