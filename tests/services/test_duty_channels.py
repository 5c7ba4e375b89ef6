"""Email through a real SMTP relay (aiosmtpd with STARTTLS and AUTH) that goes down in the middle,
texts through a signed HTTP gateway that answers 503 at first, and a process that dies after
claiming a delivery: every alert still goes out exactly once. The clock is injected."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.models import AlertDelivery, utcnow
from atlas_coord.scheduler.alerting import run_alerts
from atlas_coord.services import alerts
from tests.conftest import app_settings
from tests.factories import put_roster, raise_request, roster_csv
from tests.relays import Gateway, SmtpRelay

ROSTER = roster_csv("demo-ca-fr", primary_contacts=(("email", "ca-fr@duty.example"), ("sms", "+33123456789")))


@pytest.fixture
def relay(tmp_path):
    server = SmtpRelay(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def gateway():
    server = Gateway(failures=1).start()
    yield server
    server.stop()


def settings_for(db_url, relay, gateway=None):
    extra = {**relay.settings(), **(gateway.settings() if gateway else {}), "dispatcher_thread": False}
    return app_settings(db_url, alerts=extra)


def email_delivery(database):
    with database.transaction() as session:
        return session.scalar(sa.select(AlertDelivery).where(AlertDelivery.channel == "email"))


def test_the_email_goes_through_starttls_and_auth_and_says_nothing_of_the_request(db_url, database, relay):
    settings = settings_for(db_url, relay)
    put_roster(database, "ca-FR", ROSTER)
    request_id = raise_request(database, addressees=["FR"])
    run_alerts(database, settings)
    [mail] = relay.messages
    assert mail["to"] == ["ca-fr@duty.example"] and mail["tls"] and mail["login"]
    assert f"REQ-{request_id}" in mail["subject"] and "Requesting state: BE" in mail["body"]
    assert "Zaventem" not in mail["body"] and "/alerts/ack/" in mail["body"]


def test_an_outage_of_the_relay_is_retried_with_growing_delays_and_the_email_arrives_once(db_url, database, relay):
    settings = settings_for(db_url, relay)
    put_roster(database, "ca-FR", ROSTER)
    raise_request(database, addressees=["FR"])
    relay.stop()
    start = utcnow()
    run_alerts(database, settings, now=start)
    first = email_delivery(database)
    assert (first.status, first.attempts) == ("pending", 1) and "smtp" in first.last_error
    assert first.next_attempt_at == start + timedelta(seconds=5)
    run_alerts(database, settings, now=start + timedelta(seconds=3))
    assert email_delivery(database).attempts == 1  # not due yet
    run_alerts(database, settings, now=start + timedelta(seconds=6))
    second = email_delivery(database)
    assert second.attempts == 2 and second.next_attempt_at == start + timedelta(seconds=16)  # 10 s later
    relay.start()
    run_alerts(database, settings, now=start + timedelta(seconds=17))
    run_alerts(database, settings, now=start + timedelta(seconds=40))
    assert email_delivery(database).status == "sent"
    assert len(relay.messages) == 1


def test_the_gateway_gets_a_signed_text_once_after_a_503(db_url, database, relay, gateway):
    settings = settings_for(db_url, relay, gateway)
    put_roster(database, "ca-FR", ROSTER)
    request_id = raise_request(database, addressees=["FR"])
    start = utcnow()
    run_alerts(database, settings, now=start)
    run_alerts(database, settings, now=start + timedelta(minutes=5))  # not acknowledged: the SMS step
    run_alerts(database, settings, now=start + timedelta(minutes=5, seconds=6))  # the 503 is retried
    [text] = gateway.received
    assert text["signed"] and text["channel"] == "sms" and text["to"] == "+33123456789"
    assert f"REQ-{request_id}" in text["text"] and "Zaventem" not in text["text"]


def test_a_process_killed_after_claiming_an_email_leaves_it_to_the_next_once_its_lease_ends(db_url, database, relay):
    settings = settings_for(db_url, relay)
    put_roster(database, "ca-FR", ROSTER)
    raise_request(database, addressees=["FR"])
    start = utcnow()
    with database.transaction() as session:
        alerts.ingest(session, start)
    email_id = email_delivery(database).id
    with database.transaction() as session:  # the claim of a process that then dies mid-send
        assert alerts.claim(session, email_id, start, "dead-worker", settings.alerts.lease_seconds) is not None
    run_alerts(database, settings, now=start + timedelta(seconds=30))
    assert relay.messages == [] and email_delivery(database).status == "sending"
    run_alerts(database, settings, now=start + timedelta(seconds=61))
    run_alerts(database, settings, now=start + timedelta(seconds=90))
    row = email_delivery(database)
    assert (row.status, row.claimed_by != "dead-worker", row.attempts) == ("sent", True, 2)
    assert len(relay.messages) == 1
