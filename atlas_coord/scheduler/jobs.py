"""The scheduler's one job, :func:`dispatch_due`: everything time-driven, worked off domain rows.

Each tick, in order, each step in its own short transactions:

1. materialise the reminder and run rows of trainings up to the horizon;
2. end the training occurrences that are over (readiness back to the previous status);
3. start those that begin (accepted units to TRAINING with the break-off time);
4. send the reminders that are due (``training.reminder`` event + audit record);
5. escalate request answers whose deadline passed (``services.requests.escalate_overdue_answers``,
   when the requests layer provides it);
6. apply the event retention (``services.events.purge_expired_events``);
7. alerts to duty officers (``scheduler.alerting.run_alerts``): the safety net of the server
   processes' dispatcher threads (outbox into alerts, deadline warnings, escalations, retries);
8. witness the audit chain's head (``services.audit.checkpoint_if_due``): a signed checkpoint
   every ``audit.checkpoint_minutes`` when the chain grew, nothing otherwise.

Exactly once: a row is claimed with a compare-and-set update (``sent_at``/``started_at``/
``ended_at`` from NULL) and its side effects (readiness changes, the outbox event, the audit
record) are written in the *same* transaction. A scheduler killed after the claim rolls the
claim back with everything else, so the next run does it again; a second scheduler started by
mistake finds the row claimed and does nothing. Events reach clients from the outbox after the
commit (the registered emitter, or the servers' catch-up).

Test hook: ``ATLAS_SCHEDULER_TEST_PAUSE_AFTER_CLAIM=<seconds>`` sleeps after each claim, before
the commit, so a test can kill the process mid-run.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from atlas_coord.db import Database
from atlas_coord.models import utcnow
from atlas_coord.services import audit, events, requests, trainings
from atlas_coord.services.audit_chain import anchor_from_settings

from .alerting import run_alerts

log = logging.getLogger(__name__)

PAUSE_ENV = "ATLAS_SCHEDULER_TEST_PAUSE_AFTER_CLAIM"


def worker_id() -> str:
    """Who claimed a row: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


@dataclass
class DispatchReport:
    """What one tick did; ``errors`` names the steps that failed (they are retried next tick)."""

    synced: int = 0
    reminders_sent: int = 0
    reminders_skipped: int = 0
    runs_started: int = 0
    runs_ended: int = 0
    escalations: int = 0
    alerts: str = ""
    events_purged: int = 0
    audit_checkpoints: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        # An audit checkpoint is bookkeeping (its write is logged at DEBUG, a failure at ERROR):
        # the first one of a database would otherwise make an idle run say it did something.
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items() if v and k != "audit_checkpoints")


def _pause_after_claim(kind: str, row_id: int) -> None:
    log.info("claimed %s %s", kind, row_id)
    seconds = float(os.environ.get(PAUSE_ENV) or 0)
    if seconds > 0:
        time.sleep(seconds)


def sync_schedules(database: Database, settings, now: datetime) -> int:
    with database.transaction() as session:
        ids = trainings.trainings_to_sync(session, settings, now)
    for training_id in ids:
        with database.transaction() as session:
            trainings.sync_one(session, settings, training_id, now)
    return len(ids)


def _act_on_claimed(database: Database, what: str, ids: list[int], claim, act) -> tuple[int, int]:
    """Claim each due row in its own transaction (compare-and-set: a second scheduler's claim of
    the same row gets None and skips it) and act on it.

    :return: how many rows this scheduler claimed, and how many of its acts said True.
    """
    claimed = done = 0
    for row_id in ids:
        with database.transaction() as session:
            row = claim(session, row_id)
            if row is None:
                log.info("%s %s was already claimed by another scheduler", what, row_id)
                continue
            _pause_after_claim(what, row_id)
            claimed += 1
            done += bool(act(session, row))
    return claimed, done


def end_runs(database: Database, now: datetime, worker: str) -> int:
    with database.transaction() as session:
        ids = trainings.due_run_end_ids(session, now)
    _, ended = _act_on_claimed(database, "run end", ids,
                               lambda session, run_id: trainings.claim_run_end(session, run_id, now, worker),
                               lambda session, run: trainings.end_run(session, run, now))
    return ended


def start_runs(database: Database, now: datetime, worker: str) -> int:
    with database.transaction() as session:
        ids = trainings.due_run_start_ids(session, now)
    _, started = _act_on_claimed(database, "run start", ids,
                                 lambda session, run_id: trainings.claim_run_start(session, run_id, now, worker),
                                 lambda session, run: trainings.start_run(session, run, now, worker))
    return started


def send_reminders(database: Database, now: datetime, worker: str) -> tuple[int, int]:
    with database.transaction() as session:
        ids = trainings.due_reminder_ids(session, now)
    claimed, sent = _act_on_claimed(
        database, "reminder", ids,
        lambda session, reminder_id: trainings.claim_reminder(session, reminder_id, now, worker),
        lambda session, reminder: trainings.deliver_reminder(session, reminder, now) == "sent",
    )
    skipped = claimed - sent
    return sent, skipped


def escalate_overdue_answers(database: Database, now: datetime) -> int:
    with database.transaction() as session:
        return requests.escalate_overdue_answers(session, now)


def purge_expired_events(database: Database, settings) -> int:
    with database.transaction() as session:
        return events.purge_expired_events(session, settings)


def checkpoint_audit(database: Database, settings, now: datetime) -> int:
    with database.transaction() as session:
        written = audit.checkpoint_if_due(session, anchor_from_settings(settings), now)
    if written is not None:
        log.debug("audit checkpoint at seq %s written", written.seq)
    return int(written is not None)


def dispatch_due(database: Database, settings, *, now: datetime | None = None, worker: str | None = None) -> DispatchReport:
    """One tick of the scheduler; a failing step is logged and retried on the next tick."""
    now = now or utcnow()
    worker = worker or worker_id()
    report = DispatchReport()

    def step(name: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001 - one failing step must not stop the others
            log.exception("scheduler step %r failed; it is retried on the next run", name)
            report.errors.append(name)

    def reminders() -> None:
        report.reminders_sent, report.reminders_skipped = send_reminders(database, now, worker)

    step("sync", lambda: setattr(report, "synced", sync_schedules(database, settings, now)))
    step("run ends", lambda: setattr(report, "runs_ended", end_runs(database, now, worker)))
    step("run starts", lambda: setattr(report, "runs_started", start_runs(database, now, worker)))
    step("reminders", reminders)
    step("escalations", lambda: setattr(report, "escalations", escalate_overdue_answers(database, now)))
    step("alerts", lambda: setattr(report, "alerts", run_alerts(database, settings, now=now, worker=worker).summary()))
    step("event purge", lambda: setattr(report, "events_purged", purge_expired_events(database, settings)))
    step("audit checkpoint", lambda: setattr(report, "audit_checkpoints", checkpoint_audit(database, settings, now)))
    # An idle run logs nothing at INFO (every 30 s all day): only what a run did, or failed to do.
    if report.summary():
        log.info("scheduler run at %s: %s", now.isoformat(timespec="seconds"), report.summary())
    else:
        log.debug("scheduler run at %s: nothing due", now.isoformat(timespec="seconds"))
    return report
