"""``python -m benchmarks.loadtest.profiled_server serve ...``: ``atlas-coord serve`` with a per-endpoint
account of where a call's time goes, written as JSON to ``ATLAS_PROFILE_OUT`` every two seconds.

Used by ``make loadtest`` with ``--profile`` (docs/performance.md). Per endpoint (the path with ids
as ``[id]`` and state codes as ``[XX]``): calls, wall time, the request thread's own CPU time, SQL
statements and their time, time spent waiting for a pooled connection (and its pre-ping), time in
lock statements (the chain's advisory lock, ``FOR UPDATE``), how long the chain lock was held (from
taking it to the commit: every other writer of the cluster waits as long), and time in the after-commit emitter
(publishing to Redis). Besides, the process's CPU time, so that the CPU spent outside request
threads (the live fan-out, Socket.IO, Redis listener) shows as the difference, and the CPU time
of the cyclic garbage collector's passes, in whichever thread they ran (item 29).

Measuring costs a little CPU itself (two clock reads per statement); the figures compare runs
made the same way.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import re
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

FIELDS = ("calls", "wall_ms", "cpu_ms", "sql_n", "sql_ms", "pool_ms", "ping_n", "lock_ms", "hold_ms", "emit_ms")
_ID = re.compile(r"/\d+(?=/|$)")
_STATE = re.compile(r"/[A-Z]{2}(?=/|$)")
_local = threading.local()
_totals: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0.0))
_totals_lock = threading.Lock()
_started = time.monotonic()
# The garbage collector's passes: CPU seconds, and passes per generation.
_gc: dict[str, float] = {"gc_s": 0.0, "gc_0": 0, "gc_1": 0, "gc_2": 0}


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _local.gc_began = time.thread_time()
        return
    began = getattr(_local, "gc_began", None)
    if began is not None:
        _gc["gc_s"] += time.thread_time() - began
        _gc[f"gc_{info['generation']}"] += 1


def endpoint_key(method: str, path: str) -> str:
    return f"{method} {_STATE.sub('/[XX]', _ID.sub('/[id]', path))}"


def _current() -> dict[str, float] | None:
    return getattr(_local, "call", None)


def _timed(owner: Any, name: str, field: str, count: str | None = None) -> None:
    """Wrap ``owner.name`` so that its time inside a request adds to ``field``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        call = _current()
        if call is None:
            return original(*args, **kwargs)
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            call[field] += (time.perf_counter() - began) * 1000
            if count:
                call[count] += 1

    setattr(owner, name, wrapper)


def _install_sql_timing() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine, default
    from sqlalchemy.pool import QueuePool

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(_conn, _cursor, statement, _params, context, _many):
        call = _current()
        if call is not None:
            call["_sql_began"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(_conn, _cursor, statement, _params, context, _many):
        call = _current()
        if call is None or "_sql_began" not in call:
            return
        spent = (time.perf_counter() - call.pop("_sql_began")) * 1000
        call["sql_n"] += 1
        call["sql_ms"] += spent
        if "pg_advisory_xact_lock" in statement or "FOR UPDATE" in statement:
            call["lock_ms"] += spent
        if "pg_advisory_xact_lock" in statement:
            call.setdefault("_held_from", time.perf_counter())

    @event.listens_for(Engine, "commit")
    def _released(_conn):
        # The chain's advisory lock is a transaction lock: it is held until this commit.
        call = _current()
        if call is not None and "_held_from" in call:
            call["hold_ms"] += (time.perf_counter() - call.pop("_held_from")) * 1000

    _timed(QueuePool, "_do_get", "pool_ms")
    _timed(default.DefaultDialect, "_do_ping_w_event", "pool_ms", count="ping_n")


def _install_emit_timing() -> None:
    from atlas_coord.services import events

    original = events.set_emitter

    def set_emitter(emitter):
        if emitter is None:
            return original(None)

        def timed(batch):
            call = _current()
            began = time.perf_counter()
            try:
                return emitter(batch)
            finally:
                if call is not None:
                    call["emit_ms"] += (time.perf_counter() - began) * 1000

        return original(timed)

    events.set_emitter = set_emitter


class Measured:
    """WSGI middleware: one account per HTTP call (Socket.IO's long-lived calls are left out)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/socket.io"):
            return self.app(environ, start_response)
        call = dict.fromkeys(FIELDS, 0.0)
        _local.call = call
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            body = self.app(environ, start_response)
            # Flask's JSON bodies are complete; reading them here keeps their cost in the call.
            body = list(body)
            return body
        finally:
            call["wall_ms"] = (time.perf_counter() - wall) * 1000
            call["cpu_ms"] = (time.thread_time() - cpu) * 1000
            call["calls"] = 1
            _local.call = None
            key = endpoint_key(environ.get("REQUEST_METHOD", "?"), path)
            with _totals_lock:
                total = _totals[key]
                for name in FIELDS:
                    total[name] += call[name]


def snapshot() -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with _totals_lock:
        endpoints = {key: dict(value) for key, value in _totals.items()}
    return {"pid": os.getpid(), "process_cpu_s": usage.ru_utime + usage.ru_stime,
            "uptime_s": time.monotonic() - _started, "endpoints": endpoints, **_gc}


def _write(out: Path) -> None:
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot()), encoding="utf-8")
    tmp.replace(out)


def _writer(out: Path) -> None:
    while True:
        time.sleep(2)
        _write(out)


def install(out: Path) -> None:
    """Instrument before the app is built: SQL and pool timing, the emitter, the WSGI entry."""
    import atlas_coord

    _install_sql_timing()
    _install_emit_timing()
    build = atlas_coord.create_app

    def create_app(config=None):
        app = build(config)
        app.wsgi_app = Measured(app.wsgi_app)
        return app

    atlas_coord.create_app = create_app
    gc.callbacks.append(_on_gc)
    threading.Thread(target=_writer, args=(out,), name="profile-writer", daemon=True).start()
    atexit.register(_write, out)


def main() -> None:
    out = os.environ.get("ATLAS_PROFILE_OUT")
    if out:
        install(Path(out))
    from atlas_coord.cli import main as cli

    cli(sys.argv[1:], prog_name="atlas-coord")


if __name__ == "__main__":
    main()
