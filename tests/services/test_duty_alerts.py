"""Reaching the duty officer at 03:00: each rule pages the right organisation's officer, an
unacknowledged alert climbs the ladder (primary, next contact point, backup, fallback), and an
acknowledgement in the console or through a single-use link stops it and shows in the timeline.
The clock is injected: no test waits on wall time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.models import Alert, AlertDelivery, AssistanceRequest, MailboxMessage, utcnow
from atlas_coord.scheduler.alerting import run_alerts
from atlas_coord.services import alerts, deployments, duty, requests
from atlas_coord.services.alerts import links
from atlas_coord.services.errors import Conflict, Invalid, NotFound
from atlas_coord.services.requests.commands import AnswerCounter, DeploymentRecall
from tests.conftest import app_settings
from tests.factories import (
    accept_with,
    actor_named,
    deployment_steps,
    put_roster,
    raise_request,
    roster_csv,
    signed_in,
    unit_id,
)

FR = roster_csv("demo-ca-fr", "demo-planner-fr",
                primary_contacts=(("email", "ca-fr@duty.example"), ("sms", "+33123456789")),
                backup_contacts=(("email", "backup-fr@duty.example"),), fallback="permanence@interieur.example")


@pytest.fixture
def settings(db_url):
    return app_settings(db_url, alerts={"email": "mailbox", "dispatcher_thread": False})


def deliveries(database, **where):
    with database.transaction() as session:
        query = sa.select(AlertDelivery.step, AlertDelivery.channel, AlertDelivery.address, AlertDelivery.status)
        for key, value in where.items():
            query = query.join(Alert).where(getattr(Alert, key) == value)
        return session.execute(query.order_by(AlertDelivery.id)).all()


def mailbox(database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(sa.select(MailboxMessage.to_address).order_by(MailboxMessage.id)))


def test_a_submitted_request_pages_each_addressed_states_duty_officer_once(database, settings):
    put_roster(database, "ca-FR", FR)
    request_id = raise_request(database, addressees=["FR", "DE"])
    first = run_alerts(database, settings)
    again = run_alerts(database, settings)
    assert (first.raised, again.raised) == (2, 0)  # FR and DE; DE keeps no roster
    assert [(c, a, s) for _, c, a, s in deliveries(database, org_key="ca-FR")] == [
        ("console", str(_user_id(database, "demo-ca-fr")), "sent"), ("email", "ca-fr@duty.example", "sent")]
    assert mailbox(database) == ["ca-fr@duty.example"]
    with database.transaction() as session:
        de = session.scalar(sa.select(Alert).where(Alert.org_key == "ca-DE"))
        assert de.status == "exhausted" and de.request_id == request_id


def test_the_email_carries_the_reference_and_a_link_but_no_request_details(database, settings):
    put_roster(database, "ca-FR", FR)
    request_id = raise_request(database, addressees=["FR"])
    run_alerts(database, settings)
    with database.transaction() as session:
        mail = session.scalar(sa.select(MailboxMessage))
    assert f"REQ-{request_id}" in mail.subject
    assert f"REQ-{request_id}" in mail.body and "Requesting state: BE" in mail.body and "/alerts/ack/" in mail.body
    assert "hijack" not in mail.body.lower() and "Zaventem" not in mail.body


def _user_id(database, username):
    with database.transaction() as session:
        return actor_named(session, username).user_id


def test_an_unacknowledged_alert_climbs_to_the_next_contact_point_then_the_backup_then_the_fallback(database, settings):
    put_roster(database, "ca-FR", FR)
    raise_request(database, addressees=["FR"])
    start = utcnow()
    run_alerts(database, settings, now=start)
    for minutes in (4, 5, 10, 15):
        run_alerts(database, settings, now=start + timedelta(minutes=minutes))
    steps = [(step, channel, address) for step, channel, address, _ in deliveries(database, org_key="ca-FR")]
    backup = str(_user_id(database, "demo-planner-fr"))
    assert [s for s in steps if s[1] != "console"] == [
        (0, "email", "ca-fr@duty.example"), (1, "sms", "+33123456789"), (2, "email", "backup-fr@duty.example"),
        (3, "email", "permanence@interieur.example")]
    assert (2, "console", backup) in steps
    with database.transaction() as session:
        assert session.scalar(sa.select(Alert.status).where(Alert.org_key == "ca-FR")) == "open"
    run_alerts(database, settings, now=start + timedelta(minutes=20))
    with database.transaction() as session:
        assert session.scalar(sa.select(Alert.status).where(Alert.org_key == "ca-FR")) == "exhausted"


def test_acknowledging_in_the_console_stops_the_ladder_and_shows_in_the_requesters_timeline(database, settings):
    put_roster(database, "ca-FR", FR)
    request_id = raise_request(database, addressees=["FR"])
    start = utcnow()
    run_alerts(database, settings, now=start)
    with database.transaction() as session:
        actor = actor_named(session, "demo-ca-fr")
        [ringing] = alerts.open_alerts_for(session, actor)
        alerts.acknowledge(session, actor, ringing.id, start + timedelta(minutes=2))
    run_alerts(database, settings, now=start + timedelta(minutes=20))  # the deadline warning comes at 30
    assert {step for step, *_ in deliveries(database, org_key="ca-FR")} == {0}
    with database.transaction() as session:
        assert alerts.open_alerts_for(session, actor_named(session, "demo-ca-fr")) == []
        steps = requests.timeline(session, actor_named(session, "demo-cc-be"), request_id).records
    [ack] = [s for s in steps if s.action == "alert.acknowledge"]
    assert ack.after["summary"].startswith("FR duty officer acknowledged ")
    assert ack.after["summary"].endswith(", 2 min after submission")


def test_another_states_officer_cannot_acknowledge(database, settings):
    put_roster(database, "ca-FR", FR)
    raise_request(database, addressees=["FR"])
    run_alerts(database, settings)
    with database.transaction() as session:
        alert_id = session.scalar(sa.select(Alert.id))
        with pytest.raises(NotFound):
            alerts.acknowledge(session, actor_named(session, "demo-ca-de"), alert_id, utcnow())


def test_the_link_acknowledges_once_and_expires(database, settings):
    put_roster(database, "ca-FR", FR)
    raise_request(database, addressees=["FR"])
    run_alerts(database, settings)
    secret = settings.server.secret_key
    with database.transaction() as session:
        email_id = session.scalar(sa.select(AlertDelivery.id).where(AlertDelivery.channel == "email"))
    token = links.token(secret, email_id)
    with database.transaction() as session:
        assert alerts.acknowledge_by_link(session, secret, token, 3600, utcnow()).status == "acknowledged"
    with database.transaction() as session, pytest.raises(Conflict):
        alerts.acknowledge_by_link(session, secret, token, 3600, utcnow())
    with database.transaction() as session, pytest.raises(Invalid, match="expired"):
        alerts.acknowledge_by_link(session, secret, token, -1, utcnow())
    with database.transaction() as session, pytest.raises(Invalid, match="not a valid"):
        alerts.acknowledge_by_link(session, secret, token[:-3] + "abc", 3600, utcnow())


def test_thirty_minutes_before_the_deadline_and_when_overdue_the_backup_is_paged_too(database, settings):
    put_roster(database, "ca-FR", FR)
    request_id = raise_request(database, addressees=["FR"])
    with database.transaction() as session:
        deadline = session.get(AssistanceRequest, request_id).answer_deadline
    run_alerts(database, settings, now=deadline - timedelta(minutes=29))
    with database.transaction() as session:
        requests.escalate_overdue_answers(session, deadline + timedelta(minutes=1))
    run_alerts(database, settings, now=deadline + timedelta(minutes=1))
    backup = str(_user_id(database, "demo-planner-fr"))
    for kind in ("deadline_soon", "answer_overdue"):
        first = [(c, a) for step, c, a, _ in deliveries(database, kind=kind) if step == 0]
        assert ("console", backup) in first and ("email", "backup-fr@duty.example") in first, kind


def test_a_counter_proposal_pages_the_requesters_duty_officer(database, settings):
    put_roster(database, "cc-BE", roster_csv("demo-cc-be", timezone="Europe/Brussels"))
    request_id = raise_request(database, addressees=["FR"])
    with database.transaction() as session:
        actor = actor_named(session, "demo-ca-fr")
        unit = session.execute(sa.text("SELECT id FROM unit WHERE key='fr-gign'")).scalar()
        requests.counter_propose(session, actor, request_id, "FR", AnswerCounter.model_validate({"counter": {
            "kinds": ["fewer_personnel"], "units": [unit], "personnel": 10, "text": "ten operators"}}))
    run_alerts(database, settings)
    assert [a for _, c, a, _ in deliveries(database, kind="counter_proposal") if c == "console"] == [
        str(_user_id(database, "demo-cc-be"))]


def test_an_alerted_or_recalled_deployment_pages_the_units_commander_on_duty(database, settings):
    with database.transaction() as session:
        gign = unit_id(session, "fr-gign")
    put_roster(database, f"unit-{gign}", roster_csv("demo-cmd-fr"))
    request_id = raise_request(database, addressees=["FR"])
    [deployment_id] = accept_with(database, request_id, "FR", "fr-gign")
    run_alerts(database, settings)
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "accept", "mobilise")
    with signed_in(database, "demo-ca-fr") as (session, actor):
        deployments.recall(session, actor, request_id, deployment_id,
                           DeploymentRecall.model_validate({"reason": "needed at home"}))
    run_alerts(database, settings)
    commander = str(_user_id(database, "demo-cmd-fr"))
    for kind in ("deployment_alerted", "deployment_recalled"):
        assert [a for _, c, a, _ in deliveries(database, kind=kind) if c == "console"] == [commander], kind


def test_an_organisation_may_switch_a_rule_off(database, settings):
    put_roster(database, "ca-FR", FR)
    with database.transaction() as session:
        org = duty.load_org(session, "ca-FR")
        org.rules = {"request_submitted": {"enabled": False, "ack_minutes": 5}}
    raise_request(database, addressees=["FR"])
    assert run_alerts(database, settings).raised == 0


def test_a_text_without_a_configured_gateway_fails_at_once_and_the_ladder_moves_on(database, settings):
    put_roster(database, "ca-FR", FR)
    raise_request(database, addressees=["FR"])
    start = utcnow()
    run_alerts(database, settings, now=start)
    run_alerts(database, settings, now=start + timedelta(minutes=5))
    with database.transaction() as session:
        sms = session.scalar(sa.select(AlertDelivery).where(AlertDelivery.channel == "sms"))
        assert (sms.status, sms.attempts) == ("failed", 1) and "gateway" in sms.last_error


def test_the_dispatcher_thread_is_woken_by_the_commit_not_by_a_poll(database, settings):
    from atlas_coord.scheduler.alerting import AlertDispatcher

    put_roster(database, "ca-FR", FR)
    dispatcher = AlertDispatcher(database, settings, idle_seconds=3600).start()  # it would never poll
    try:
        raise_request(database, addressees=["FR"])
        for _ in range(300):  # a bounded wait for the outcome, not a timing
            if mailbox(database):
                break
            time.sleep(0.1)
    finally:
        dispatcher.stop()
    assert mailbox(database) == ["ca-fr@duty.example"]


def test_a_burst_of_requests_is_paged_in_full_by_one_more_pass_not_one_pass_each(database, settings):
    from atlas_coord.scheduler.alerting import AlertDispatcher

    put_roster(database, "ca-FR", FR)
    # The first commit is dispatched at once; the four that follow within the gap share one pass.
    dispatcher = AlertDispatcher(database, settings, idle_seconds=3600, min_gap_seconds=5).start()
    try:
        for _ in range(5):
            raise_request(database, addressees=["FR"])
        for _ in range(300):  # a bounded wait for the outcome, not a timing
            if len(mailbox(database)) == 5:
                break
            time.sleep(0.1)
    finally:
        dispatcher.stop()
    assert mailbox(database) == ["ca-fr@duty.example"] * 5
    assert dispatcher.passes <= 2


def test_a_pass_woken_by_a_commit_pages_at_once_and_leaves_the_ladder_to_the_clocked_passes(database, settings):
    put_roster(database, "ca-FR", FR)
    raise_request(database, addressees=["FR"])
    start = utcnow()
    woken = run_alerts(database, settings, now=start, clocked=False)
    assert (woken.raised, mailbox(database)) == (1, ["ca-fr@duty.example"])
    # Five minutes on nobody has acknowledged: only a clocked pass climbs to the next contact.
    later = start + timedelta(minutes=5)
    assert run_alerts(database, settings, now=later, clocked=False).escalated == 0
    assert run_alerts(database, settings, now=later).escalated == 1


def test_under_a_stream_of_commits_the_dispatcher_still_runs_the_clocked_steps_but_not_on_every_pass(database,
                                                                                                    settings):
    from atlas_coord.scheduler.alerting import AlertDispatcher

    dispatcher = AlertDispatcher(database, settings, idle_seconds=1.0, min_gap_seconds=0.01).start()
    try:
        for _ in range(3000):  # a bounded wait for the outcome, not a timing
            dispatcher.wake()  # as every commit of a busy server does
            if dispatcher.clocked_passes >= 3:
                break
            time.sleep(0.01)
    finally:
        dispatcher.stop()
    assert dispatcher.clocked_passes >= 3
    assert dispatcher.passes > 2 * dispatcher.clocked_passes


def test_a_ringing_alert_waits_in_the_duty_officers_inbox_until_acknowledged(database, settings):
    from atlas_coord.services import inbox

    put_roster(database, "ca-FR", FR)
    request_id = raise_request(database, addressees=["FR"])
    run_alerts(database, settings)
    with signed_in(database, "demo-ca-fr") as (session, actor):
        ringing = [i for i in inbox.inbox(session, actor) if i.kind == "alert_to_acknowledge"]
    assert [(i.request_id, i.reference, i.requesting_state, i.marking) for i in ringing] == [
        (request_id, f"REQ-{request_id}", "BE", "UNCLASSIFIED")]
    assert ringing[0].title == "Acknowledge the duty alert: request for assistance submitted"
    with signed_in(database, "demo-ca-fr") as (session, actor):
        alerts.acknowledge(session, actor, ringing[0].alert_id, utcnow())
    with signed_in(database, "demo-ca-fr") as (session, actor):
        assert [i for i in inbox.inbox(session, actor) if i.kind == "alert_to_acknowledge"] == []


def test_a_backlog_longer_than_one_batch_pages_everyone_once(database, settings, monkeypatch):
    """After an outage the outbox holds more than one batch: a pass reads batch after batch until
    it reaches the newest event, and the next pass pages nobody twice."""
    from atlas_coord.services.alerts import raising

    monkeypatch.setattr(alerts, "ingest", lambda session, now: raising.ingest(session, now, batch=2))
    put_roster(database, "ca-FR", FR)
    first = [raise_request(database, addressees=["FR", "DE"]) for _ in range(3)]
    report = run_alerts(database, settings)
    again = run_alerts(database, settings)
    assert (report.raised, again.raised) == (6, 0)
    with database.transaction() as session:
        paged = session.execute(sa.select(Alert.request_id, Alert.org_key).order_by(Alert.id)).all()
    assert sorted(paged) == sorted((rid, org) for rid in first for org in ("ca-FR", "ca-DE"))
