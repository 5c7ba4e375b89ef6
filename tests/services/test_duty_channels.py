"""Email through a real SMTP relay (aiosmtpd with STARTTLS and AUTH) that goes down in the middle,
texts through a signed HTTP gateway that answers 503 at first, and a process that dies after
claiming a delivery: every alert still goes out exactly once. The clock is injected."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from atlas_coord.db import Database
from atlas_coord.models import AlertDelivery, utcnow
from atlas_coord.scheduler.alerting import PAUSE_ENV, run_alerts
from atlas_coord.services import alerts
from tests.conftest import app_settings
from tests.factories import put_roster, raise_request, roster_csv
from tests.relays import Gateway, SmtpRelay

ROOT = Path(__file__).resolve().parents[2]
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


def test_three_dispatchers_at_once_send_each_email_once(db_url, database, relay):
    settings = settings_for(db_url, relay)
    put_roster(database, "ca-FR", ROSTER)
    ids = [raise_request(database, addressees=["FR"]) for _ in range(3)]
    engines = [Database(db_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda e: run_alerts(e, settings, worker=f"w{id(e)}"), engines))
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(m["subject"].split(":")[0] for m in relay.messages) == sorted(f"[ATLAS] REQ-{i}" for i in ids)


def test_a_scheduler_killed_mid_send_loses_nothing_and_sends_nothing_twice(db_url, database, relay, tmp_path):
    put_roster(database, "ca-FR", ROSTER)
    raise_request(database, addressees=["FR"])
    config = tmp_path / "atlas.toml"
    smtp = relay.settings()
    config.write_text("[alerts]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in smtp.items()), encoding="utf-8")
    env = {**os.environ, "ATLAS_CONFIG": str(config), "ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "kill-test",
           "ATLAS_AUDIT_WITNESS_PATH": str(tmp_path / "witness.jsonl"), PAUSE_ENV: "60", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "atlas_coord.cli", "scheduler", "--once"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while (row := email_delivery(database)) is None or row.status != "sending":
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)  # mid-send: the claim is committed, nothing was sent
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert relay.messages == []
    settings = settings_for(db_url, relay)
    run_alerts(database, settings)  # the lease still holds: nobody sends it
    assert relay.messages == []
    run_alerts(database, settings, now=utcnow() + timedelta(seconds=settings.alerts.lease_seconds + 1))
    assert len(relay.messages) == 1 and email_delivery(database).status == "sent"
