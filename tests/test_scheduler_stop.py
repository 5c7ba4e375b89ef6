"""`atlas-coord scheduler` stops on SIGTERM whenever the signal comes: before its scheduler has
started, while it starts, once it runs, and in the middle of a dispatch run (which finishes
first). A supervisor's stop must never be lost.

CI once saw the process run on for 90 s after a SIGTERM and be killed: the signal came in the
moment between the "scheduler running" line and the scheduler's start, when the old handler
found nothing running to shut down. Here a log handler in the scheduler process sends the signal
at the very moment a given line is logged, so each moment is hit every time, not by luck.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlas_coord.scheduler.jobs import PAUSE_ENV
from tests.test_scheduler_process import plan_meetings_with_due_reminders, sent

ROOT = Path(__file__).resolve().parent.parent

# The scheduler CLI, with a handler that sends this process SIGTERM when the first log line
# starting with the first argument is written.
SIGNAL_AT_LINE = r"""
import logging, os, signal, sys

LINE = sys.argv[1]

class SignalAtLine(logging.Handler):
    sent = False

    def emit(self, record):
        if not self.sent and record.getMessage().startswith(LINE):
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)

for name in ("apscheduler.scheduler", "atlas_coord.scheduler"):
    logging.getLogger(name).addHandler(SignalAtLine())
from atlas_coord.cli import main
sys.argv = ["atlas-coord", "scheduler", "--interval", "1"]
main()
"""


def scheduler_signalled_at(line: str, db_url: str, log_path: Path, pause: float = 0.0) -> tuple[int, str]:
    """Run the scheduler until it exits (at most 60 s); its exit code and log."""
    env = {**os.environ, "ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "scheduler-test", "ATLAS_CONFIG": "",
           "PYTHONUNBUFFERED": "1", PAUSE_ENV: str(pause)}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-c", SIGNAL_AT_LINE, line], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            pytest.fail(f"the scheduler ran on after a SIGTERM at {line!r}:\n{log_path.read_text()}")
    return code, log_path.read_text()


@pytest.mark.parametrize("line", [
    "Adding job tentatively",  # APScheduler: the job is added, the scheduler not started yet
    "Added job",               # APScheduler, inside start()
    "scheduler running",       # ours, once started
], ids=["before-start", "while-starting", "once-running"])
def test_a_sigterm_at_any_moment_of_start_up_stops_the_scheduler_cleanly(line, db_url, tmp_path):
    code, log = scheduler_signalled_at(line, db_url, tmp_path / "scheduler.log")
    assert code == 0, log
    assert "scheduler stopping (SIGTERM)" in log
    assert "scheduler stopped: database pool closed" in log


def test_a_sigterm_during_a_run_lets_the_run_finish_then_stops(database, db_url, tmp_path):
    [due] = plan_meetings_with_due_reminders(database, db_url, 1)

    # The signal comes right after the reminder is claimed, 1 s before that claim commits.
    code, log = scheduler_signalled_at(f"claimed reminder {due}", db_url, tmp_path / "scheduler.log", pause=1.0)

    assert code == 0, log
    assert [reminder_id for reminder_id, _ in sent(database)] == [due]  # the run in progress finished
    assert log.index("scheduler stopping (SIGTERM)") < log.index("reminders_sent=1") < log.index("scheduler stopped")
