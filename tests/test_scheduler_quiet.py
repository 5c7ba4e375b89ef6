"""An idle scheduler is quiet: a run with nothing due writes no line at INFO or above (issue 19:
the embedded scheduler wrote APScheduler's "Running job" and "executed successfully" every 30 s,
about 240 lines an hour). A run that did something still says what it did."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_EXECUTED

from atlas_coord import create_app
from atlas_coord.scheduler import runner
from atlas_coord.scheduler.jobs import dispatch_due
from tests.conftest import app_settings

TICKS_PER_HOUR = 3600 // 30  # scheduler.interval_seconds defaults to 30


def loud(records) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.INFO]


def test_an_idle_hour_of_dispatch_runs_logs_nothing_at_info(db_url, database, caplog):
    settings = app_settings(db_url)
    start = datetime.now(UTC)
    caplog.set_level(logging.INFO)  # everything at INFO, and the scheduler's own DEBUG lines too
    caplog.set_level(logging.DEBUG, logger="atlas_coord.scheduler")
    reports = [dispatch_due(database, settings, now=start + timedelta(seconds=30 * tick))
               for tick in range(TICKS_PER_HOUR)]

    assert all(not report.summary() for report in reports), "the seeded database has nothing due"
    assert loud(caplog.records) == []
    idle = [r for r in caplog.records if r.name == "atlas_coord.scheduler.jobs" and r.getMessage().endswith("nothing due")]
    assert len(idle) == TICKS_PER_HOUR  # the runs happened, and say so at DEBUG


def test_the_embedded_scheduler_running_idle_writes_no_line_per_run(db_url, caplog):
    app = create_app(app_settings(db_url, scheduler={"embedded": True, "interval_seconds": 1}))
    caplog.set_level(logging.INFO)
    runs = threading.Semaphore(0)
    try:
        scheduler = app.start_embedded_scheduler()
        scheduler.add_listener(lambda _event: runs.release(), EVENT_JOB_EXECUTED)
        assert runs.acquire(timeout=15), "a first run"
        caplog.clear()  # the start-up lines ("embedded scheduler started", "Added job") are once only
        for _ in range(3):
            assert runs.acquire(timeout=15), "three more runs of the real job in the real scheduler"
        assert loud(caplog.records) == []
    finally:
        runner.stop_embedded(wait=True)
        app.extensions["atlas_db"].dispose()


def test_a_run_that_did_something_still_says_so(db_url, database, caplog, monkeypatch):
    from atlas_coord.scheduler import jobs

    monkeypatch.setattr(jobs, "escalate_overdue_answers", lambda _database, _now: 2)
    caplog.set_level(logging.INFO)
    dispatch_due(database, app_settings(db_url))
    assert [m for m in loud(caplog.records) if "scheduler run at" in m and m.endswith("escalations=2")]


def test_the_scheduler_witnesses_the_audit_chain_every_few_minutes_and_only_when_it_grew(db_url, database):
    from atlas_coord.services import audit
    from atlas_coord.services.audit_chain import anchor_from_settings
    from tests.conftest import witness_for

    settings = app_settings(db_url, audit={"checkpoint_minutes": 5})
    start = datetime.now(UTC)
    ticks = [dispatch_due(database, settings, now=start + timedelta(minutes=minute)).audit_checkpoints
             for minute in range(0, 12)]
    assert ticks == [1] + [0] * 11, "the first run witnesses the seeded chain, then nothing changed"

    with database.transaction() as session:
        audit.record(session, None, "system", "request.close", "request", 1)
    assert dispatch_due(database, settings, now=start + timedelta(minutes=2)).audit_checkpoints == 0  # not 5 min yet
    assert dispatch_due(database, settings, now=start + timedelta(minutes=6)).audit_checkpoints == 1
    assert len(witness_for(db_url).read_text().splitlines()) == 2
    with database.transaction() as session:
        assert audit.verify(session, anchor_from_settings(settings)).ok
