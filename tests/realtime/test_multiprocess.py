"""Several server processes joined through Redis: two real ``atlas-coord serve`` processes on
loopback, a real python-socketio client on each, and the real Redis."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from atlas_coord.services import events
from tests.conftest import DEMO_PASSWORD

from .servers import LiveClient, ServerProcess

pytestmark = pytest.mark.live


def http(method: str, url: str, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def token_for(base_url: str, username: str) -> str:
    return http("POST", f"{base_url}/api/v1/auth/token", body={"username": username, "password": DEMO_PASSWORD})["token"]


@pytest.fixture
def channel() -> str:
    """Pub/sub ignores Redis database numbers: a channel per test keeps runs apart."""
    return f"atlas-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def two_servers(db_url, redis_url, channel, tmp_path):
    config = tmp_path / "atlas.toml"
    config.write_text(f'[realtime]\nchannel = "{channel}"\nping_interval_seconds = 5\n', encoding="utf-8")
    env = {
        "ATLAS_CONFIG": str(config),
        "ATLAS_DATABASE_URL": db_url,
        "ATLAS_REDIS_URL": redis_url,
        "ATLAS_SECRET_KEY": secrets.token_hex(16),
    }
    servers = [ServerProcess(env, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda server: server.wait(), servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def restore_emitter():
    saved = list(events._emitters)
    yield
    events._emitters[:] = saved


def test_an_event_committed_on_one_process_reaches_clients_of_both_once(two_servers, database):
    a, b = two_servers
    commander = token_for(a.url, "demo-cmd-fr")
    on_a = LiveClient(a.url, token=token_for(a.url, "demo-ca-fr")).connect()
    on_b = LiveClient(b.url, token=token_for(b.url, "demo-observer")).connect()
    de_on_b = LiveClient(b.url, token=token_for(b.url, "demo-ca-de")).connect()
    try:
        for client in (on_a, on_b, de_on_b):
            client.wait_for("ready", timeout=10)
        with database.transaction() as session:
            from tests.factories import unit_id

            unit = unit_id(session, "fr-gign")
        http("PUT", f"{a.url}/api/v1/units/{unit}/readiness", commander, {"status": "LIMITED", "reason": "two-process test"})

        got_a = on_a.wait_for("event", timeout=10)
        got_b = on_b.wait_for("event", timeout=10)
        assert got_a["type"] == got_b["type"] == "readiness.changed"
        assert got_a["seq"] == got_b["seq"]
        assert got_a == got_b
        for client in (on_a, on_b):
            client.drain(0.5)
            assert [e["seq"] for e in client.events()] == [got_a["seq"]]
        # Readiness is for everyone, so DE on B has it too; a FR-only event never reaches DE.
        de_on_b.wait_for("event", timeout=10, predicate=lambda e: e["seq"] == got_a["seq"])
    finally:
        for client in (on_a, on_b, de_on_b):
            client.close()


def test_a_process_without_a_server_emits_through_redis(two_servers, database, redis_url, channel, restore_emitter):
    """The scheduler's way: a write-only emitter; every server delivers to its own clients."""
    from atlas_coord.realtime import external_emitter

    a, b = two_servers
    fr_on_a = LiveClient(a.url, token=token_for(a.url, "demo-ca-fr")).connect()
    de_on_b = LiveClient(b.url, token=token_for(b.url, "demo-ca-de")).connect()
    fr_on_b = LiveClient(b.url, token=token_for(b.url, "demo-cc-fr")).connect()
    try:
        for client in (fr_on_a, de_on_b, fr_on_b):
            client.wait_for("ready", timeout=10)
        events.set_emitter(external_emitter(redis_url, channel))
        with database.transaction() as session:
            fr_only = events.publish(session, "test.scheduled", "test", {"n": 1}, ["state:FR"])
        with database.transaction() as session:
            everyone = events.publish(session, "test.scheduled", "test", {"n": 2}, [events.ROOM_ALL])
        fr_only, everyone = fr_only.seq, everyone.seq  # numbered when each transaction committed
        for client in (fr_on_a, fr_on_b):
            client.wait_for("event", timeout=10, predicate=lambda e: e["seq"] == everyone)
            assert [e["seq"] for e in client.events()] == [fr_only, everyone]
        de_on_b.wait_for("event", timeout=10, predicate=lambda e: e["seq"] == everyone)
        assert [e["seq"] for e in de_on_b.events()] == [everyone]
    finally:
        for client in (fr_on_a, de_on_b, fr_on_b):
            client.close()


def test_replay_on_another_process_after_reconnect(two_servers, database):
    """A client that drops off process A and comes back on process B misses nothing."""
    a, b = two_servers
    token = token_for(a.url, "demo-ca-fr")
    first = LiveClient(a.url, token=token).connect()
    last_seen = first.wait_for("ready", timeout=10)["last_seq"]
    first.close()
    with database.transaction() as session:
        from tests.factories import unit_id

        unit = unit_id(session, "fr-gign")
    commander = token_for(a.url, "demo-cmd-fr")
    for status in ("LIMITED", "READY", "UNAVAILABLE", "READY", "LIMITED"):
        http("PUT", f"{a.url}/api/v1/units/{unit}/readiness", commander, {"status": status, "reason": "missed while away"})
    again = LiveClient(b.url, token=token, after=last_seen).connect()
    try:
        ready = again.wait_for("ready", timeout=10)
        assert [e["seq"] for e in again.events()] == list(range(last_seen + 1, last_seen + 6))
        assert ready["replayed"] == 5
    finally:
        again.close()


def wait_disconnected(client: LiveClient, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while client.sio.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not client.sio.connected, "the other process kept the revoked socket open"


def test_revoking_a_token_on_one_process_closes_its_socket_on_the_other_at_once(two_servers):
    a, b = two_servers
    token = token_for(a.url, "demo-ca-fr")
    on_b = LiveClient(b.url, token=token).connect()
    try:
        on_b.wait_for("ready", timeout=10)
        http("DELETE", f"{a.url}/api/v1/auth/token", token=token)
        assert on_b.wait_for("session_ended", timeout=1.0) == {"reason": "signed_out"}
        wait_disconnected(on_b, timeout=1.0)
    finally:
        on_b.close()


@pytest.fixture
def restore_sign_out_listener():
    from atlas_coord.services import sign_outs

    saved = list(sign_outs._listeners)
    yield
    sign_outs._listeners[:] = saved


def test_a_process_without_a_server_closes_sockets_through_redis(two_servers, database, redis_url, channel,
                                                                 restore_sign_out_listener):
    """A CLI command that disables an account: every server closes that user's sockets."""
    import sqlalchemy as sa

    from atlas_coord.models import User
    from atlas_coord.realtime import external_sign_out
    from atlas_coord.services import sign_outs

    a, b = two_servers
    clients = [LiveClient(server.url, token=token_for(server.url, "demo-ca-fr")).connect() for server in (a, b)]
    try:
        for client in clients:
            client.wait_for("ready", timeout=10)
        sign_outs.set_listener(external_sign_out(redis_url, channel))
        with database.transaction() as session:
            session.scalar(sa.select(User).where(User.username == "demo-ca-fr")).is_active = False
        for client in clients:
            assert client.wait_for("session_ended", timeout=1.0) == {"reason": "signed_out"}
            wait_disconnected(client, timeout=1.0)
    finally:
        for client in clients:
            client.close()
