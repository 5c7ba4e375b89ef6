"""Running the one scheduler: in its own process (``atlas-coord scheduler``, whose main thread
waits for SIGTERM), or inside the single server process (the embedded default); a
``BackgroundScheduler`` either way, with one interval job,
:func:`~atlas_coord.scheduler.jobs.dispatch_due`, and an in-memory job store: the work lives in
domain rows, not in pickled jobs (APScheduler 3 cannot share a job store between processes).

Nothing starts at import. The embedded scheduler starts at most once per process and never in
the Werkzeug reloader's watcher process; a second scheduler started by mistake (embedded and
standalone at once) is harmless because every row is claimed with a compare-and-set update.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from atlas_coord.db import Database
from atlas_coord.services import audit_chain, events

from .jobs import DispatchReport, dispatch_due

log = logging.getLogger(__name__)

JOB_ID = "dispatch_due"
_embedded_lock = threading.Lock()
_embedded: BackgroundScheduler | None = None


# APScheduler's executor logs "Running job ..." and "... executed successfully" at INFO on every
# run: two lines every 30 s (about 240 an hour) while nothing is due. dispatch_due logs at INFO
# what a run did, and only when it did something; the executor's warnings (a missed run) and
# errors (a run that raised) still come through.
_APSCHEDULER_EXECUTOR_LOGGER = "apscheduler.executors"


def quiet_executor_log() -> None:
    logging.getLogger(_APSCHEDULER_EXECUTOR_LOGGER).setLevel(logging.WARNING)


def add_dispatch_job(scheduler: BaseScheduler, database: Database, settings, interval_seconds: int) -> None:
    """The one job: every ``interval_seconds``, first run at once; runs never overlap and
    missed runs collapse into one."""
    quiet_executor_log()
    scheduler.add_job(
        dispatch_due, "interval", seconds=interval_seconds, args=[database, settings], id=JOB_ID,
        max_instances=1, coalesce=True, misfire_grace_time=max(interval_seconds, 30),
        next_run_time=datetime.now(UTC), replace_existing=True,
    )


def is_reloader_watcher(app) -> bool:
    """True in the Werkzeug reloader's watcher process, which must not run jobs (its child does)."""
    return bool(app.debug) and os.environ.get("WERKZEUG_RUN_MAIN") != "true"


def start_embedded(app) -> BackgroundScheduler | None:
    """Start the scheduler in this server process (once per process); returns it, or None when
    ``scheduler.embedded`` is off or this is the reloader's watcher process."""
    global _embedded
    settings = app.config["ATLAS_SETTINGS"]
    if not settings.scheduler.embedded:
        log.info("embedded scheduler disabled (scheduler.embedded = false); run `atlas-coord scheduler`")
        return None
    if is_reloader_watcher(app):
        log.info("not starting the scheduler in the reloader's watcher process")
        return None
    with _embedded_lock:
        if _embedded is not None:
            return _embedded
        scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
        add_dispatch_job(scheduler, app.extensions["atlas_db"], settings, settings.scheduler.interval_seconds)
        scheduler.start()
        _embedded = scheduler
        atexit.register(stop_embedded)
        log.info("embedded scheduler started: dispatch every %ss", settings.scheduler.interval_seconds)
        return scheduler


def stop_embedded(*, wait: bool = False) -> None:
    """Stop the embedded scheduler; with ``wait``, after its run in progress (a test does, before
    its database goes away; at interpreter exit nothing waits)."""
    global _embedded
    with _embedded_lock:
        if _embedded is not None and _embedded.running:
            _embedded.shutdown(wait=wait)
        _embedded = None


def register_external_emitter(settings) -> bool:
    """Send this process's committed events through Redis to every server's clients, when the
    live layer and ``realtime.redis_url`` are there. Without them the servers pick the events
    up from the outbox (catch-up)."""
    redis_url = settings.realtime.redis_url
    if not redis_url:
        log.info("no realtime.redis_url: servers pick the scheduler's events up from the outbox")
        return False
    from atlas_coord.realtime import external_emitter

    events.set_emitter(external_emitter(redis_url, settings.realtime.channel))
    log.info("scheduler events go out through Redis")
    return True


def run_standalone(settings, *, interval_seconds: int | None = None, once: bool = False) -> DispatchReport | None:
    """The ``atlas-coord scheduler`` process: dispatch every interval until SIGTERM/SIGINT
    (or one run with ``once``)."""
    database = Database(settings.database.url, pool_size=settings.database.pool_size,
                        session_info=audit_chain.session_info(settings))
    register_external_emitter(settings)
    try:
        if once:
            return dispatch_due(database, settings)
        serve_until_signalled(database, settings, interval_seconds or settings.scheduler.interval_seconds)
        return None
    finally:
        events.set_emitter(None)
        database.dispose()
        if not once:
            log.info("scheduler stopped: database pool closed")


def serve_until_signalled(database: Database, settings, interval: int) -> None:
    """Dispatch every ``interval`` seconds until SIGTERM or SIGINT, then let a run in progress
    finish.

    The handler only sets an event, and it is installed before the scheduler exists: a signal
    that arrives at any moment (before the scheduler has started, while it starts, during a run)
    stops the process. Before, the handler shut a ``BlockingScheduler`` down only if it was
    already running, so a SIGTERM in the moment between the "running" line and ``start()`` was
    lost and the process ran on until it was killed (seen in CI on a loaded machine)."""
    stop_requested = threading.Event()

    def stop(signum, _frame):
        if not stop_requested.is_set():
            log.info("scheduler stopping (%s): no new runs; a run in progress finishes", signal.Signals(signum).name)
        stop_requested.set()

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor()})
    try:
        add_dispatch_job(scheduler, database, settings, interval)
        scheduler.start()
        log.info("scheduler running: dispatch every %ss (pid %s)", interval, os.getpid())
        # Event.wait in the main thread returns as soon as the handler has run (lock waits are
        # interruptible by signals on POSIX).
        stop_requested.wait()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
