"""A per-process limit on the API calls worked on at once (``server.max_concurrent_calls``).

Why: in threading mode every call has a thread of its own, and Python runs one thread at a time
per process. Under load dozens of calls were in flight in each server: each took a pooled
database connection and then queued for the interpreter between its statements, so the pool ran
dry (30 s waits, then 500s), a write held the audit chain's lock ~100 ms instead of ~5 ms while
it waited for its turn to run, and every call's CPU grew with the switching between ~300 threads
(issue #18, docs/performance.md). A call beyond the limit now waits at the door, asleep and
holding nothing, and is then served as fast as by an unloaded process.

Only ``/api/`` calls are counted: not the live channel's long-lived connections
(``/socket.io/``), the console's pages or static files.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CallLimit:
    """WSGI middleware: at most ``limit`` calls under ``prefix`` inside ``app`` at once."""

    def __init__(self, app: WsgiApp, limit: int, prefix: str = "/api/") -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.app, self.limit, self.prefix = app, limit, prefix
        self._slots = threading.BoundedSemaphore(limit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        # Flask has run the call (its transaction committed, its context torn down) when app()
        # returns; only writing the response body, or a streamed body, happens after the slot
        # is given back.
        with self._slots:
            return self.app(environ, start_response)
