"""The one scheduler: attached to the app but never started at import, never twice in a
process, never in the reloader's watcher; and the CLI runs it once on demand."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from atlas_coord import create_app
from atlas_coord.cli import main
from atlas_coord.scheduler import runner
from tests.conftest import app_settings


@pytest.fixture
def embedded_app(db_url):
    app = create_app(app_settings(db_url, scheduler={"embedded": True, "interval_seconds": 3600}))
    yield app
    runner.stop_embedded(wait=True)
    app.extensions["atlas_db"].dispose()


def test_creating_the_app_attaches_the_scheduler_without_starting_it(embedded_app):
    assert callable(embedded_app.start_embedded_scheduler)
    assert runner._embedded is None


def test_the_embedded_scheduler_starts_once_per_process_with_one_job(embedded_app, db_url):
    first = embedded_app.start_embedded_scheduler()
    other_app = create_app(app_settings(db_url, scheduler={"embedded": True}))
    second = other_app.start_embedded_scheduler()

    assert first is second
    assert first.running
    assert [job.id for job in first.get_jobs()] == [runner.JOB_ID]
    assert first.get_job(runner.JOB_ID).trigger.interval.total_seconds() == 3600
    other_app.extensions["atlas_db"].dispose()


def test_it_does_not_start_when_disabled_or_in_the_reloaders_watcher(db_url, embedded_app, monkeypatch):
    disabled = create_app(app_settings(db_url))  # tests run with scheduler.embedded = false
    assert disabled.start_embedded_scheduler() is None

    embedded_app.debug = True
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert embedded_app.start_embedded_scheduler() is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert embedded_app.start_embedded_scheduler() is not None
    disabled.extensions["atlas_db"].dispose()


def test_the_cli_runs_the_due_work_once(db_url):
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "cli-test-key", "ATLAS_CONFIG": ""}
    result = CliRunner().invoke(main, ["scheduler", "--once"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "scheduler run:" in result.output
