"""PostgreSQL stops (immediate shutdown, like a crash) under a running server and comes back.

A private cluster, so the shared one is never touched. While it is down the API answers 503
with Retry-After in the error envelope, for reads, writes and sign-in alike, and writes nothing;
``/healthz`` is 503 and ``/livez`` 200; live clients stay connected. When PostgreSQL is back the
same server process recovers by itself, and its live layer's outbox catch-up still runs.
"""

from __future__ import annotations

import time

import pytest
import socketio

from atlas_coord.db import Database
from atlas_coord.realtime.live import CATCH_UP_SECONDS
from atlas_coord.services import events
from tests.conftest import DEMO_PASSWORD
from tests.factories import unit_id
from tests.realtime.servers import LiveClient

from .harness import (
    Commander,
    call,
    port_open,
    readiness_rows,
    server_config,
    server_env,
    server_logs,
    sign_in,
    visible_events,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.live, pytest.mark.timeout(240)]


def assert_unavailable(reply, what: str) -> None:
    assert reply.status == 503, (what, reply)
    assert int(reply.headers.get("Retry-After", "0")) > 0, (what, reply.headers)
    assert reply.body["error"]["code"] == "database_unavailable", (what, reply.body)
    assert reply.body["error"]["message"], what


def test_the_api_answers_503_while_postgres_is_down_and_recovers_by_itself(
    private_postgres, tmp_path, processes, quiet_emitters
):
    config = server_config(tmp_path)
    server = processes.server(server_env(config, private_postgres.url, None), tmp_path / "server.log").wait(60)
    pid = server.process.pid
    database = Database(private_postgres.url)
    processes.finalizers.append(database.dispose)
    with database.transaction() as session:
        gign, gsg9 = unit_id(session, "fr-gign"), unit_id(session, "de-gsg9")
    commander = sign_in(server.url, "demo-cmd-fr")
    observer_token = sign_in(server.url, "demo-observer")
    observer = processes.follower("observer", observer_token)
    observer.connect(server.url)
    readiness = f"{server.url}/api/v1/units/{gign}/readiness"

    assert call("PUT", readiness, commander, {"status": "LIMITED", "reason": "before the outage"}).status == 200
    wait_until(lambda: observer.reached(observer.first_position + 1), 20, "the observer receiving the first change")

    # Another commander keeps writing through the whole outage, so that some writes are in
    # flight when PostgreSQL goes away and when it comes back.
    steady = Commander(server.url, sign_in(server.url, "demo-cmd-de"), gsg9, "steady")
    processes.finalizers.append(steady.stop)
    steady.start()
    wait_until(lambda: len(steady.confirmed()) >= 3, 30, "the steady commander's first changes")

    private_postgres.stop("immediate")
    stopped_at = time.monotonic()
    assert not port_open(private_postgres.port)

    try:
        assert_unavailable(call("GET", f"{server.url}/api/v1/units", commander), "a read")
        assert_unavailable(call("GET", f"{server.url}/api/v1/events?after=0", observer_token), "the events catch-up")
        assert_unavailable(call("PUT", readiness, commander, {"status": "READY", "reason": "during the outage"}), "a write")
        assert_unavailable(
            call("POST", f"{server.url}/api/v1/auth/token", body={"username": "demo-cmd-fr", "password": DEMO_PASSWORD}),
            "a sign-in",
        )
        health = call("GET", f"{server.url}/healthz")
        assert health.status == 503 and health.body["database"] == "unreachable", health
        assert int(health.headers.get("Retry-After", "0")) > 0
        assert call("GET", f"{server.url}/livez").status == 200
        # A new live connection is refused (it cannot be authenticated); the open one stays.
        newcomer = LiveClient(server.url, token=observer_token)
        with pytest.raises(socketio.exceptions.ConnectionError):
            newcomer.connect()
        newcomer.close()
        # Long enough for the live layer's catch-up and heartbeat to have met the dead database.
        wait_until(lambda: time.monotonic() - stopped_at > 3 * CATCH_UP_SECONDS, 30, "the outage lasting a while")
        assert observer.connected, "the live client was dropped while PostgreSQL was down"
        assert_unavailable(call("GET", f"{server.url}/api/v1/units", commander), "a read, later")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{server_logs(processes)}") from None
    finally:
        private_postgres.start()

    # The same process recovers by itself.
    try:
        wait_until(lambda: call("GET", f"{server.url}/healthz").status == 200, 60, "/healthz 200 again")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{server_logs(processes)}") from None
    assert server.process.poll() is None and server.process.pid == pid
    assert call("GET", f"{server.url}/api/v1/units", commander).status == 200
    after = call("PUT", readiness, commander, {"status": "READY", "reason": "after the outage"})
    assert after.status == 200, (after, server_logs(processes))
    assert call("POST", f"{server.url}/api/v1/auth/token",
                body={"username": "demo-cmd-fr", "password": DEMO_PASSWORD}).status == 200
    back_at = time.monotonic()
    wait_until(lambda: len(steady.confirmed(since=back_at)) >= 3, 30, "the steady commander's changes going through again")
    steady.stop()

    # The steady commander only ever got 200 or 503 (with Retry-After), never a 500 or a hang.
    outcomes = [reply for _, reply in steady.replies]
    assert {reply.status for reply in outcomes} == {200, 503}, [r for r in outcomes if r.status not in (200, 503)]
    for reply in outcomes:
        if reply.status == 503:
            assert_unavailable(reply, "a steady write during the outage")

    # Nothing of the refused write was kept; the confirmed ones are there once, whole.
    rows = readiness_rows(database)
    assert "during the outage" not in rows
    for reason in ("before the outage", "after the outage", *steady.confirmed()):
        assert rows[reason] == {"history": 1, "event": 1, "audit": 1}, reason
    # A write cut off by the outage (its commit may or may not have reached the disk) is there
    # whole or not at all.
    for reason, reply in steady.replies:
        if not reply.ok:
            assert rows.get(reason, {"history": 0, "event": 0, "audit": 0}) in (
                {"history": 0, "event": 0, "audit": 0}, {"history": 1, "event": 1, "audit": 1}), (reason, reply)

    # An event committed by another process without Redis (as the scheduler's would be) reaches
    # the live client only through the server's periodic outbox catch-up: it survived the outage.
    with database.transaction() as session:
        elsewhere = events.publish(session, "test.elsewhere", "test", {"note": "committed by another process"},
                                   [events.ROOM_ALL])
    elsewhere = elsewhere.seq  # numbered when the transaction committed
    try:
        wait_until(lambda: observer.reached(elsewhere), 10 * CATCH_UP_SECONDS, "the catch-up delivering an outside event")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{server_logs(processes)}") from None

    expected = visible_events(server.url, observer_token, observer.first_position)
    assert observer.events == expected
    reasons = [e["data"].get("readiness", {}).get("reason") for e in expected]
    assert reasons.index("before the outage") < reasons.index("after the outage")
    assert set(steady.confirmed()) <= set(reasons)
    assert observer.connected
