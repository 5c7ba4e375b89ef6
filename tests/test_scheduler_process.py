"""The scheduler as a real process: killed with SIGKILL in the middle of a run and restarted,
nothing is lost and nothing is doubled; two schedulers started by mistake send nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from atlas_coord.models import AuditRecord, Event, TrainingReminder
from atlas_coord.scheduler.jobs import PAUSE_ENV
from atlas_coord.services import audit, trainings
from atlas_coord.services.trainings.commands import TrainingCreate
from tests.conftest import app_settings
from tests.factories import demo_actor, training_payload, unit_id

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parent.parent


def plan_meetings_with_due_reminders(database, db_url, count: int) -> list[int]:
    """``count`` one-hour meetings later today, planned two days ago: each has its 24-hour
    reminder due now (the one-week reminder did not exist yet when they were planned)."""
    settings = app_settings(db_url)
    now = datetime.now(UTC)
    with database.transaction() as s:
        gign, actor = unit_id(s, "fr-gign"), demo_actor(s, "demo-planner")
        for i in range(count):
            start = (now + timedelta(hours=5 + 2 * i)).astimezone(PARIS).replace(tzinfo=None, second=0, microsecond=0)
            body = training_payload(host_unit_id=gign, kind="meeting", title=f"Liaison meeting {i + 1}",
                                    timezone="Europe/Paris", start_local=start.isoformat(),
                                    end_local=(start + timedelta(hours=1)).isoformat())
            trainings.create_training(s, actor, settings, TrainingCreate.model_validate(body), now=now - timedelta(days=2))
        due = list(s.scalars(sa.select(TrainingReminder.id).where(TrainingReminder.due_at <= now)
                             .order_by(TrainingReminder.id)))
    assert len(due) == count
    return due


class SchedulerProcess:
    """``atlas-coord scheduler --interval 1`` against the test database, its log in a file."""

    def __init__(self, db_url: str, log_path: Path, pause: float = 0.0) -> None:
        env = {**os.environ, "ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "scheduler-test", "ATLAS_CONFIG": "",
               "PYTHONUNBUFFERED": "1", PAUSE_ENV: str(pause)}
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "atlas_coord.cli", "scheduler", "--interval", "1"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def claims(self) -> int:
        return self.log_path.read_text().count("claimed reminder")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        return self.process.returncode


def wait_until(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def sent(database) -> list[tuple[int, str]]:
    with database.transaction() as s:
        return list(s.execute(sa.select(TrainingReminder.id, TrainingReminder.claimed_by)
                              .where(TrainingReminder.sent_at.is_not(None)).order_by(TrainingReminder.id)).all())


def delivered_reminder_ids(database) -> list[int]:
    with database.transaction() as s:
        return sorted(e.data["reminder_id"] for e in s.scalars(sa.select(Event).where(Event.type == "training.reminder")))


def audited_reminders(database) -> int:
    with database.transaction() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.action == "training.reminder"))


@pytest.fixture
def processes():
    started: list[SchedulerProcess] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=10)


def test_a_scheduler_killed_mid_run_and_restarted_loses_nothing_and_doubles_nothing(database, db_url, tmp_path, processes):
    due = plan_meetings_with_due_reminders(database, db_url, 4)

    # Each claim pauses 2 s before its commit: kill -9 while the second reminder is claimed.
    first = SchedulerProcess(db_url, tmp_path / "first.log", pause=2.0)
    processes.append(first)
    wait_until(lambda: first.claims() >= 2, what="the second claim")
    first.kill()

    assert [rid for rid, _ in sent(database)] == due[:1]  # the first committed; the second rolled back
    assert delivered_reminder_ids(database) == due[:1]

    second = SchedulerProcess(db_url, tmp_path / "second.log")
    processes.append(second)
    wait_until(lambda: len(sent(database)) == len(due), what="every reminder to be sent")
    time.sleep(1.5)  # another tick or two: nothing more may happen
    assert second.stop() == 0  # SIGTERM stops it cleanly

    assert delivered_reminder_ids(database) == due  # each exactly once, none lost
    assert audited_reminders(database) == len(due)
    claimed = dict(sent(database))
    assert claimed[due[0]].endswith(f":{first.pid}")
    assert {claimed[r] for r in due[1:]} == {claimed[due[1]]}
    assert claimed[due[1]].endswith(f":{second.pid}")
    with database.transaction() as s:
        assert audit.verify(s).ok


def test_two_schedulers_started_by_mistake_send_each_reminder_once(database, db_url, tmp_path, processes):
    due = plan_meetings_with_due_reminders(database, db_url, 8)

    pair = [SchedulerProcess(db_url, tmp_path / f"scheduler-{n}.log", pause=0.2) for n in (1, 2)]
    processes.extend(pair)
    wait_until(lambda: len(sent(database)) == len(due), what="every reminder to be sent")
    time.sleep(1.5)
    assert [p.stop() for p in pair] == [0, 0]

    assert delivered_reminder_ids(database) == due
    assert audited_reminders(database) == len(due)
    assert sum(p.claims() for p in pair) == len(due)  # every compare-and-set won exactly once
    with database.transaction() as s:
        assert audit.verify(s).ok


def test_a_reminder_claimed_in_one_transaction_cannot_be_claimed_in_another(database, db_url):
    """The compare-and-set itself: the second claimer waits for the first commit, then finds
    the row taken (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE)."""
    (reminder_id, *_) = plan_meetings_with_due_reminders(database, db_url, 1)
    now = datetime.now(UTC)
    outcome: dict[str, object] = {}

    first = database.session_factory()
    assert trainings.claim_reminder(first, reminder_id, now, "first") is not None

    def second_claim():
        with database.transaction() as s:
            outcome["second"] = trainings.claim_reminder(s, reminder_id, now, "second")

    thread = threading.Thread(target=second_claim)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # blocked behind the first, uncommitted claim
    first.commit()
    first.close()
    thread.join(timeout=20)

    assert outcome == {"second": None}
    assert sent(database) == [(reminder_id, "first")]
