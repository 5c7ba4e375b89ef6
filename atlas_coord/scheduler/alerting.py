"""Driving the alerts: read the outbox into alerts, warn before answer deadlines, climb the
ladders of unacknowledged alerts, deliver what is due. Each step in its own short transactions.

Two drivers run :func:`run_alerts`: the :class:`AlertDispatcher` thread of each server process,
woken as soon as a change that calls for an alert commits (``events.add_commit_listener``), and
the scheduler's every tick (a safety net for a process that died, retries and escalations).
Several of them at once are harmless: every row is claimed by compare-and-set (see
``services/alerts/raising.py`` and ``delivery.py``).

Test hook: ``ATLAS_ALERTS_TEST_PAUSE_AFTER_CLAIM=<seconds>`` sleeps after an external delivery's
claim is committed, before it is sent, so a test can kill the process mid-send.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError

from atlas_coord.db import Database
from atlas_coord.models import utcnow
from atlas_coord.services import alerts, events

log = logging.getLogger(__name__)
PAUSE_ENV = "ATLAS_ALERTS_TEST_PAUSE_AFTER_CLAIM"
FINISH_ATTEMPTS = 25


@dataclass
class AlertReport:
    raised: int = 0
    warned: int = 0
    escalated: int = 0
    sent: int = 0
    retried: int = 0

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items() if v)


def _send(settings, claimed: alerts.Claimed) -> None:
    if claimed.channel == "email":
        alerts.send_email(settings.alerts, claimed.address, claimed.message, key=claimed.key)
    else:
        alerts.send_gateway(settings.alerts, claimed.channel, claimed.address, claimed.message, key=claimed.key)


def _finish(database: Database, settings, claimed: alerts.Claimed, now: datetime, error: str | None,
            permanent: bool) -> None:
    """Record an external send. The message is out already: a busy database must not leave the
    delivery to be sent again when its lease ends, so the record is retried for a while."""
    for attempt in range(FINISH_ATTEMPTS):
        try:
            with database.transaction() as session:
                alerts.finish(session, claimed, settings, now, error, permanent=permanent)
            return
        except OperationalError:
            log.warning("recording delivery %s failed (attempt %s); retrying", claimed.delivery_id, attempt + 1)
            time.sleep(min(0.2 * (attempt + 1), 2.0))
    log.error("delivery %s was sent but could not be recorded; it may be sent again", claimed.delivery_id)


def deliver_one(database: Database, settings, delivery_id: int, clock: Callable[[], datetime], worker: str) -> str:
    """Claim, send and record one delivery: ``sent``, ``retry``, ``skipped`` or ``taken`` (by another).
    The clock is read at the claim and again at the record: a lease runs from when it is taken."""
    now = clock()
    with database.transaction() as session:
        delivery = alerts.claim(session, delivery_id, now, worker, settings.alerts.lease_seconds)
        if delivery is None:
            return "taken"
        if alerts.skip_acknowledged(session, delivery, now):
            return "skipped"
        if alerts.channel_of(delivery, settings) in alerts.IN_DATABASE:
            alerts.deliver_in_database(session, delivery, settings, now)
            return "sent"
        claimed = alerts.prepare_external(delivery, settings, worker)
    pause = float(os.environ.get(PAUSE_ENV) or 0)
    if pause > 0:
        log.info("claimed delivery %s; pausing %ss (test hook)", delivery_id, pause)
        time.sleep(pause)
    error, permanent = None, False
    try:
        _send(settings, claimed)
    except alerts.DeliveryFailed as exc:
        error, permanent = str(exc), exc.permanent
        log.warning("delivery %s failed (%s)%s", delivery_id, exc, "" if permanent else "; retried later")
    _finish(database, settings, claimed, clock(), error, permanent)
    return "retry" if error else "sent"


def _ingest_all(database: Database, now: datetime) -> int:
    raised = 0
    while True:
        with database.transaction() as session:
            batch = alerts.ingest(session, now)
            more = session.info.get("alerts_more", False)
        raised += batch
        if not batch and not more:
            return raised


def run_alerts(database: Database, settings, *, now: datetime | None = None, worker: str = "",
               clocked: bool = True) -> AlertReport:
    """One pass over everything due. ``now`` fixes the clock (tests); by default each step reads
    the wall clock when it runs, since a pass with many sends can take a while.

    ``clocked=False`` leaves out the steps that only the passing of time makes due (answer
    deadlines coming close, unacknowledged alerts to escalate): a pass woken by a commit needs
    the alerts that commit raises and their deliveries, and the dispatcher runs the clocked
    steps every ``idle_seconds`` (:class:`AlertDispatcher`)."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    worker = worker or f"{os.getpid()}:{threading.get_ident()}"
    report = AlertReport()
    report.raised = _ingest_all(database, clock())
    if clocked:
        with database.transaction() as session:
            report.warned = alerts.deadline_warnings(session, clock())
        with database.transaction() as session:
            due = alerts.due_escalation_ids(session, clock())
        for alert_id in due:
            with database.transaction() as session:
                report.escalated += alerts.escalate(session, alert_id, clock())
    with database.transaction() as session:
        deliveries = alerts.due_delivery_ids(session, clock())
    for delivery_id in deliveries:
        outcome = deliver_one(database, settings, delivery_id, clock, worker)
        report.sent += outcome == "sent"
        report.retried += outcome == "retry"
    return report


class AlertDispatcher:
    """A thread that runs :func:`run_alerts` as soon as a change that calls for an alert commits
    in this process, and every ``idle_seconds`` otherwise (retries, escalations).

    A pass has a fixed cost (five short transactions even when nothing is due), so under a stream
    of commits the passes are at least ``min_gap_seconds`` apart and each one takes every event
    committed meanwhile: the first commit after a quiet spell (the 03:00 request) is dispatched at
    once; under the load test, passes on every commit took a tenth of the servers' CPU
    (docs/performance.md). The steps that only the clock makes due (deadline warnings,
    escalations) run at most every ``idle_seconds``, not on every commit's pass."""

    def __init__(self, database: Database, settings, *, idle_seconds: float = 5.0,
                 min_gap_seconds: float = 1.0) -> None:
        self.database, self.settings, self.idle_seconds = database, settings, idle_seconds
        self.min_gap_seconds = min_gap_seconds
        self.passes = 0
        #: passes that ran the clocked steps too (see :func:`run_alerts`)
        self.clocked_passes = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _on_commit(self, committed) -> None:
        if any(envelope["type"] in alerts.WATCHED_TYPES for envelope, _rooms in committed):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> AlertDispatcher:
        events.add_commit_listener(self._on_commit)
        self._thread = threading.Thread(target=self._loop, name="alert-dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        events.remove_commit_listener(self._on_commit)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        last_pass = last_clocked = float("-inf")
        while not self._stop.is_set():
            self._wake.wait(self.idle_seconds)
            # Too soon after the last pass: wait out the gap (a stop ends the wait), then take
            # everything committed in the meantime in one pass.
            if self._stop.wait(max(0.0, last_pass + self.min_gap_seconds - time.monotonic())):
                return
            self._wake.clear()
            last_pass = time.monotonic()
            clocked = last_pass - last_clocked >= self.idle_seconds
            if clocked:
                last_clocked = last_pass
                self.clocked_passes += 1
            self.passes += 1
            try:
                report = run_alerts(self.database, self.settings, clocked=clocked)
                if report.summary():
                    log.info("alerts: %s", report.summary())
            except Exception:  # noqa: BLE001 - the next wake or the scheduler's sweep retries
                log.exception("alert dispatch failed; retried on the next wake")
