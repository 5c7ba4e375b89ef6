"""The scheduler's rows: reminders per occurrence and lead time, and runs that switch readiness
to TRAINING at the start and back at the end; each claimed once, whatever happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.models import AuditRecord, Event, ReadinessChange, TrainingReminder, TrainingRun, Unit
from atlas_coord.scheduler.jobs import dispatch_due
from atlas_coord.services import trainings
from atlas_coord.services.trainings.commands import (
    ParticipantResponse,
    TrainingCancel,
    TrainingCreate,
    TrainingUpdate,
)
from tests.conftest import app_settings
from tests.factories import demo_actor, training_payload, unit_id

PLANNED_AT = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)  # 08:00 in Paris
END = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url):
    # Coverage is not what these tests are about; a generous threshold keeps it out of the way.
    return app_settings(db_url, training={"coverage_threshold_minutes": 1440, "reminder_lead_hours": [168, 24]})


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


def plan(database, settings, *, now=PLANNED_AT, **overrides) -> int:
    gign, dsi = ids(database, "fr-gign", "nl-dsi")
    body = {"host_unit_id": gign, "kind": "meeting", "timezone": "Europe/Paris", "invite_unit_ids": [dsi],
            "venue": {"name": "GIGN, Satory", "lat": 48.78, "lon": 2.11}, **overrides}
    with database.transaction() as s:
        return trainings.create_training(s, demo_actor(s, "demo-planner"), settings,
                                         TrainingCreate.model_validate(training_payload(**body)), now=now).training.id


def reminders(database, training_id):
    with database.transaction() as s:
        rows = s.scalars(sa.select(TrainingReminder).where(TrainingReminder.training_id == training_id)
                         .order_by(TrainingReminder.lead_hours.desc()))
        return [(r.lead_hours, r.due_at, r.sent_at is not None, r.outcome) for r in rows]


def reminder_events(database):
    with database.transaction() as s:
        return list(s.scalars(sa.select(Event).where(Event.type == "training.reminder").order_by(Event.seq)))


def readiness(database, *unit_ids):
    with database.transaction() as s:
        return [(u.readiness_status, u.readiness_break_off_min) for u in
                (s.get(Unit, i) for i in unit_ids)]


def test_each_occurrence_gets_a_reminder_per_lead_time_sent_once_to_its_units_and_states(database, settings):
    tid = plan(database, settings)
    gign, dsi = ids(database, "fr-gign", "nl-dsi")
    assert reminders(database, tid) == [(168, START - timedelta(hours=168), False, None),
                                        (24, START - timedelta(hours=24), False, None)]

    first = dispatch_due(database, settings, now=START - timedelta(hours=168), worker="test-a")
    again = dispatch_due(database, settings, now=START - timedelta(hours=167), worker="test-b")

    assert (first.reminders_sent, again.reminders_sent) == (1, 0)
    (event,) = reminder_events(database)
    assert set(event.audience) >= {f"unit:{gign}", f"unit:{dsi}", "state:FR", "state:NL"}
    assert "all" not in event.audience
    assert event.data["lead_hours"] == 168
    assert event.data["occurrence"]["start_local"] == "2027-03-10T08:00+01:00"
    assert event.data["subject"].startswith("Reminder: Aircraft assault, Zaventem apron on Wed 10 Mar 2027 08:00")
    with database.transaction() as s:
        (record,) = s.scalars(sa.select(AuditRecord).where(AuditRecord.action == "training.reminder"))
        assert record.actor_name == "system"
        claimed_by = s.scalar(sa.select(TrainingReminder.claimed_by).where(TrainingReminder.lead_hours == 168))
    assert claimed_by == "test-a"


def test_a_training_planned_two_days_ahead_gets_no_one_week_reminder(database, settings):
    tid = plan(database, settings, now=START - timedelta(days=2))
    assert [r[0] for r in reminders(database, tid)] == [24]


def test_after_downtime_only_the_latest_due_reminder_goes_out(database, settings):
    tid = plan(database, settings)
    report = dispatch_due(database, settings, now=START - timedelta(hours=2))
    assert (report.reminders_sent, report.reminders_skipped) == (1, 1)
    assert [r[3] for r in reminders(database, tid)] == ["superseded", "sent"]
    assert [e.data["lead_hours"] for e in reminder_events(database)] == [24]


def test_moving_a_training_moves_its_unsent_reminders_and_cancelling_drops_them(database, settings):
    tid = plan(database, settings)
    dispatch_due(database, settings, now=START - timedelta(hours=168))
    with database.transaction() as s:
        trainings.update_training(s, demo_actor(s, "demo-planner"), settings, tid, TrainingUpdate(
            start_local=datetime(2027, 3, 11, 8, 0), end_local=datetime(2027, 3, 11, 16, 0)),
            now=START - timedelta(hours=100))
    moved = START + timedelta(days=1)
    assert reminders(database, tid) == [(168, START - timedelta(hours=168), True, "sent"),
                                        (24, moved - timedelta(hours=24), False, None)]

    with database.transaction() as s:
        trainings.cancel_training(s, demo_actor(s, "demo-planner"), settings, tid, TrainingCancel(reason="weather"),
                                  now=START - timedelta(hours=99))
    assert reminders(database, tid) == [(168, START - timedelta(hours=168), True, "sent")]
    assert dispatch_due(database, settings, now=moved).reminders_sent == 0


def exercise_with_berlin_team(database, settings):
    """A field exercise hosted by GIGN; the GSG 9 Berlin team accepts (the German authority answers).
    France keeps RAID and Germany keeps GSG 9 at home, so no state is left without cover."""
    berlin = ids(database, "de-gsg9-berlin")[0]
    tid = plan(database, settings, kind="field_exercise", invite_unit_ids=[berlin], break_off_min=90,
               override_reason="CBRN cover for the Iberian capitals is arranged with RAID")
    with database.transaction() as s:
        saved = trainings.respond(s, demo_actor(s, "demo-ca-de"), settings, tid, berlin,
                                  ParticipantResponse(answer="accept"), now=PLANNED_AT)
        assert {p.unit_id: p.status for p in saved.training.participants}[berlin] == "accepted"
    return tid, berlin


def test_units_train_with_their_break_off_time_and_get_their_previous_status_back(database, settings):
    (gign,) = ids(database, "fr-gign")
    tid, berlin = exercise_with_berlin_team(database, settings)
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'LIMITED' WHERE id = :id"), {"id": gign})

    started = dispatch_due(database, settings, now=START)
    twice = dispatch_due(database, settings, now=START + timedelta(minutes=1))

    assert (started.runs_started, twice.runs_started) == (1, 0)
    assert readiness(database, gign, berlin) == [("TRAINING", 90), ("TRAINING", 90)]
    ended = dispatch_due(database, settings, now=END)
    assert ended.runs_ended == 1
    assert readiness(database, gign, berlin) == [("LIMITED", None), ("READY", None)]
    with database.transaction() as s:
        sources = s.scalars(sa.select(ReadinessChange.source).where(ReadinessChange.unit_id == berlin))
        assert list(sources) == ["training", "training"]
        types = [e.type for e in s.scalars(sa.select(Event).where(Event.subject == f"training:{tid}").order_by(Event.seq))]
    assert types[-2:] == ["training.started", "training.ended"]


def test_a_committed_unit_is_skipped_and_a_unit_changed_meanwhile_is_not_restored(database, settings):
    (gign,) = ids(database, "fr-gign")
    tid, berlin = exercise_with_berlin_team(database, settings)
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'COMMITTED' WHERE id = :id"), {"id": berlin})
    dispatch_due(database, settings, now=START)
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'UNAVAILABLE' WHERE id = :id"), {"id": gign})
    dispatch_due(database, settings, now=END)

    assert readiness(database, gign, berlin)[0][0] == "UNAVAILABLE"
    assert readiness(database, berlin)[0][0] == "COMMITTED"
    with database.transaction() as s:
        run = s.scalar(sa.select(TrainingRun).where(TrainingRun.training_id == tid))
        notes = {n["unit_id"]: n["note"] for n in run.notes}
    assert notes[berlin] == "skipped: committed to a deployment"
    assert notes[gign] == "not restored: now UNAVAILABLE"


def test_cancelling_a_running_exercise_ends_it_at_the_next_run(database, settings):
    (gign,) = ids(database, "fr-gign")
    tid, berlin = exercise_with_berlin_team(database, settings)
    dispatch_due(database, settings, now=START)
    with database.transaction() as s:
        trainings.cancel_training(s, demo_actor(s, "demo-planner"), settings, tid, TrainingCancel(reason="real call-out"),
                                  now=START + timedelta(hours=1))

    report = dispatch_due(database, settings, now=START + timedelta(hours=1, seconds=30))

    assert report.runs_ended == 1
    assert readiness(database, gign, berlin) == [("READY", None), ("READY", None)]


def test_an_occurrence_missed_while_no_scheduler_ran_is_closed_without_switching(database, settings):
    (gign,) = ids(database, "fr-gign")
    exercise_with_berlin_team(database, settings)
    report = dispatch_due(database, settings, now=END + timedelta(hours=1))
    assert report.runs_started == 0
    assert readiness(database, gign)[0][0] == "READY"
    with database.transaction() as s:
        run = s.scalar(sa.select(TrainingRun))
        assert run.ended_at is not None
        assert run.notes == [{"note": "not started: ended before the scheduler ran"}]


def test_answer_deadlines_and_event_retention_are_handed_to_their_layers(database, settings, monkeypatch):
    import atlas_coord.services.events as events_service
    import atlas_coord.services.requests as requests_service

    seen = []
    monkeypatch.setattr(requests_service, "escalate_overdue_answers", lambda s, now: seen.append(("escalate", now)) or 2,
                        raising=False)
    monkeypatch.setattr(events_service, "purge_expired_events", lambda s, cfg: seen.append(("purge", cfg)) or 5, raising=False)

    report = dispatch_due(database, settings, now=START)

    assert seen == [("escalate", START), ("purge", settings)]
    assert (report.escalations, report.events_purged) == (2, 5)


def test_a_failing_step_does_not_stop_the_others(database, settings, monkeypatch):
    tid = plan(database, settings)

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(trainings, "due_run_start_ids", broken)
    report = dispatch_due(database, settings, now=START - timedelta(hours=24))

    assert report.errors == ["run starts"]
    assert report.reminders_sent == 1
    assert reminders(database, tid)[1][2] is True


def test_two_units_racing_for_the_last_place_cannot_both_get_it(database, settings):
    """The GIGN workshop has one place; the Dutch and Austrian authorities say yes at the same
    moment. One unit gets the place; the other waits (or, on PostgreSQL, is told to retry and
    then waits). Never two."""
    import threading

    from atlas_coord.services.errors import Conflict

    dsi, cobra = ids(database, "nl-dsi", "at-eko-cobra")
    tid = plan(database, settings, kind="workshop", capacity=1, invite_unit_ids=[dsi, cobra])
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(2)

    def say_yes(username, unit):
        barrier.wait()
        try:
            with database.transaction() as s:
                saved = trainings.respond(s, demo_actor(s, username), settings, tid, unit,
                                          ParticipantResponse(answer="accept"), now=PLANNED_AT)
                outcomes[unit] = {p.unit_id: p.status for p in saved.training.participants}[unit]
        except Conflict:
            outcomes[unit] = "retry"

    threads = [threading.Thread(target=say_yes, args=a) for a in (("demo-ca-nl", dsi), ("demo-ca-at", cobra))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) in (["accepted", "waitlisted"], ["accepted", "retry"])
    with database.transaction() as s:
        statuses = [p.status for p in trainings.get_training(s, tid).participants if p.role == "guest"]
    assert statuses.count("accepted") == 1
