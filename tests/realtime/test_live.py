"""The live channel through a real python-socketio client against the app served on loopback."""

from __future__ import annotations

import threading
import time

import pytest
import socketio
import sqlalchemy as sa

from atlas_coord.models import User
from atlas_coord.services import events
from tests.conftest import DEMO_PASSWORD

from .conftest import raise_request, set_readiness

STATUSES = ["LIMITED", "READY", "UNAVAILABLE", "READY", "LIMITED", "READY"]


def publish(database, type_: str, audience: list[str], subject: str = "request:1", **data) -> int:
    with database.transaction() as session:
        row = events.publish(session, type_, subject, data, audience)
    return row.seq  # numbered when the transaction committed


def sentinel(database) -> int:
    """An event for everyone: once a client has it, it has everything committed before it."""
    return publish(database, "test.sentinel", [events.ROOM_ALL], subject="test")


def events_until(client, seq: int, timeout: float = 5.0) -> list[dict]:
    client.wait_for("event", timeout, predicate=lambda envelope: envelope["seq"] == seq)
    return client.events()


# -- connecting ----------------------------------------------------------------------------


def refusal(url: str, **connect_args) -> object:
    """Connect with a real client that must be refused; returns the server's reason."""
    client = socketio.Client(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, transports=["websocket"], wait_timeout=5, **connect_args)
    return reasons[0] if reasons else None


def test_a_connection_without_credentials_is_refused(live_server):
    assert refusal(live_server.url) == {"message": "unauthenticated"}


def test_an_unknown_or_revoked_token_is_refused(live_server, api):
    token = api.token("demo-ca-fr")
    assert api.delete("/api/v1/auth/token", "demo-ca-fr").status_code == 200
    for bad in ("not-a-token", token):
        assert refusal(live_server.url, auth={"token": bad}) == {"message": "unauthenticated"}


def wait_disconnected(client, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while client.sio.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not client.sio.connected, "the server kept the connection open"


def test_revoking_a_token_closes_its_live_sockets_at_once(clients, api, database):
    revoked, other = clients("demo-ca-fr"), clients("demo-ca-de")
    assert api.delete("/api/v1/auth/token", "demo-ca-fr").status_code == 200

    # No heartbeat sweep: the revocation's commit itself ends the socket.
    assert revoked.wait_for("session_ended", timeout=1.0) == {"reason": "signed_out"}
    wait_disconnected(revoked, timeout=1.0)
    # The other user's session is untouched and still receives events; the revoked one nothing.
    seq = sentinel(database)
    assert other.wait_for("event", predicate=lambda e: e["seq"] == seq)
    revoked.drain()
    assert [e["seq"] for e in revoked.events() if e["seq"] >= seq] == []


def _disable(user, session) -> None:
    user.is_active = False


def _drop_grants(user, session) -> None:
    user.grants.clear()


@pytest.mark.parametrize(("change", "reason"), [(_disable, "signed_out"), (_drop_grants, "grants_changed")])
def test_disabling_an_account_or_changing_its_grants_closes_its_sockets_at_once(clients, database, change, reason):
    from atlas_coord.models import User

    client = clients("demo-ca-fr")
    with database.transaction() as session:
        change(session.scalar(sa.select(User).where(User.username == "demo-ca-fr")), session)

    assert client.wait_for("session_ended", timeout=1.0) == {"reason": reason}
    wait_disconnected(client, timeout=1.0)
    seq = sentinel(database)
    client.drain()
    assert [e["seq"] for e in client.events() if e["seq"] >= seq] == []


def test_the_heartbeat_sweep_ends_a_revocation_made_behind_the_orms_back(clients, app, database):
    from atlas_coord.models import ApiToken, User, utcnow

    revoked = clients("demo-ca-fr")
    with database.transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == "demo-ca-fr"))
        session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=utcnow()))

    ended = app.extensions["atlas_realtime"].end_lapsed_sessions()

    assert revoked.wait_for("session_ended") == {"reason": "signed_out"}
    wait_disconnected(revoked)
    assert len(ended) == 1


def test_a_user_whose_grants_changed_is_sent_away_to_rejoin_with_the_new_rooms(clients, app, database):
    from atlas_coord.models import RoleGrant, User

    planner = clients("demo-planner-fr")
    assert "requests:FR" not in planner.ready["rooms"]
    with database.transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == "demo-planner-fr"))
        session.add(RoleGrant(user_id=user.id, role="competent_authority", state_code="FR"))

    app.extensions["atlas_realtime"].end_lapsed_sessions()

    assert planner.wait_for("session_ended") == {"reason": "grants_changed"}
    wait_disconnected(planner)
    again = clients("demo-planner-fr")
    assert "requests:FR" in again.ready["rooms"]
    # A sweep with nothing changed ends nobody.
    assert app.extensions["atlas_realtime"].end_lapsed_sessions() == []


def test_a_malformed_auth_payload_is_refused(live_server, api):
    token = api.token("demo-ca-fr")
    assert "after" in refusal(live_server.url, auth={"token": token, "after": -3})["message"]
    assert "token" in refusal(live_server.url, auth={"token": 42})["message"]


def test_a_bearer_token_in_the_auth_payload_connects(clients):
    client = clients("demo-ca-fr")
    assert client.ready["user"] == "demo-ca-fr"
    assert client.ready["replayed"] == 0


def test_a_bearer_header_also_connects(clients, api):
    client = clients(None, headers={"Authorization": f"Bearer {api.token('demo-ca-be')}"})
    assert client.ready["user"] == "demo-ca-be"


def test_the_console_session_cookie_connects(clients, app):
    browser = app.test_client()
    response = browser.post("/api/v1/auth/login", json={"username": "demo-cc-nl", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    cookie = browser.get_cookie("atlas_session")
    client = clients(None, headers={"Cookie": f"atlas_session={cookie.value}"})
    assert client.ready["user"] == "demo-cc-nl"
    assert "state:NL" in client.ready["rooms"]


def test_another_site_cannot_ride_the_session_cookie(live_server, app):
    import websocket

    browser = app.test_client()
    browser.post("/api/v1/auth/login", json={"username": "demo-cc-nl", "password": DEMO_PASSWORD})
    cookie = f"atlas_session={browser.get_cookie('atlas_session').value}"
    ws_url = live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(ws_url, cookie=cookie, origin="https://evil.example", timeout=5)
    assert caught.value.status_code == 400
    same_site = websocket.create_connection(ws_url, cookie=cookie, origin=live_server.url, timeout=5)
    assert same_site.recv().startswith("0{")  # the Engine.IO OPEN packet
    same_site.close()


def test_the_origin_rule_is_same_origin_plus_the_configured_ones():
    from atlas_coord.realtime import _origin_check

    environ = {"HTTP_HOST": "atlas.example:8443", "wsgi.url_scheme": "https", "HTTP_X_FORWARDED_HOST": "proxy.example"}
    check = _origin_check(["https://console.atlas.example/"], trust_proxy=False)
    assert check("https://atlas.example:8443", environ)
    assert check("https://console.atlas.example", environ)
    assert not check("http://atlas.example:8443", environ)
    assert not check("https://proxy.example", environ)
    assert not check("https://evil.example", environ)
    assert _origin_check([], trust_proxy=True)("https://proxy.example", environ)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("demo-ca-fr", ["all", "requests:FR", "state:FR"]),
        ("demo-cc-be", ["all", "requests:BE", "state:BE"]),
        ("demo-planner-de", ["all", "state:DE"]),
        ("demo-cmd-fr", ["all", "state:FR", "unit:{fr_gign}"]),
        ("demo-observer", ["all", "observers"]),
        ("demo-admin", ["all", "observers"]),
        ("demo-planner", ["all"]),
    ],
)
def test_rooms_follow_the_grants(clients, database, fr_gign, user, expected):
    client = clients(user)
    with database.transaction() as session:
        own = f"user:{session.scalar(sa.select(User.id).where(User.username == user))}"  # one's own alerts
    assert client.ready["rooms"] == sorted([*(room.format(fr_gign=fr_gign) for room in expected), own])


def test_a_client_cannot_join_a_room_by_itself(clients, database):
    client = clients("demo-ca-de")
    # No handler joins arbitrary rooms: asking is ignored, and the event stays out of reach.
    client.sio.emit("join", {"room": "state:FR"})
    client.sio.emit("join_room", "state:FR")
    hidden = publish(database, "test.fr_only", ["state:FR"])
    last = sentinel(database)
    assert hidden not in [e["seq"] for e in events_until(client, last)]


# -- who receives what ---------------------------------------------------------------------


def test_a_state_a_request_was_not_addressed_to_never_receives_its_events(clients, database, api):
    fr, de, observer = clients("demo-ca-fr"), clients("demo-ca-de"), clients("demo-observer")
    request_id = raise_request(database, "demo-cc-be", ["FR"])
    answered = publish(database, "answer.given", ["requests:BE", "requests:FR", f"request:{request_id}"], subject=f"request:{request_id}")
    last = sentinel(database)

    def request_seqs(received):
        return [e["seq"] for e in received if e["subject"] == f"request:{request_id}"]

    for client in (fr, observer):
        seqs = request_seqs(events_until(client, last))
        assert len(seqs) >= 2 and seqs[-1] == answered
    assert request_seqs(events_until(de, last)) == []
    # Replay over REST and over the socket follow the same rule.
    assert request_seqs(api.get("/api/v1/events?after=0", "demo-ca-de").get_json()["items"]) == []
    assert request_seqs(api.get("/api/v1/events?after=0", "demo-ca-fr").get_json()["items"]) == request_seqs(fr.events())
    late_de = clients("demo-ca-de", after=0)
    assert request_seqs(late_de.events()) == []
    # Nor can DE watch the request to get into its room.
    assert de.call("watch", {"request_id": request_id})["error"]["code"] == "not_found"
    assert fr.call("watch", {"request_id": request_id})["ok"] is True


def test_the_envelope_is_seq_type_at_subject_data(clients, api, fr_gign):
    client = clients("demo-ca-fr")
    set_readiness(api, fr_gign, "LIMITED")
    envelope = client.wait_for("event")
    assert set(envelope) == {"seq", "type", "at", "subject", "data"}
    assert envelope["type"] == "readiness.changed"
    assert envelope["subject"] == f"unit:{fr_gign}"
    assert envelope["data"]["unit_id"] == fr_gign


def test_events_are_sent_only_after_commit(clients, database):
    client = clients("demo-observer")
    session = database.session_factory()
    try:
        row = events.publish(session, "test.pending", "test", {}, [events.ROOM_ALL])
        client.drain(0.4)
        assert client.events() == []
        session.commit()
    finally:
        session.close()
    assert client.wait_for("event")["seq"] == row.seq  # numbered when the transaction committed


def test_a_rolled_back_transaction_emits_nothing(clients, database):
    client = clients("demo-observer")
    def failing_change():
        with database.transaction() as session:
            events.publish(session, "test.doomed", "test", {}, [events.ROOM_ALL])
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        failing_change()
    last = sentinel(database)
    assert [e["type"] for e in events_until(client, last)] == ["test.sentinel"]


def test_seq_strictly_increases_without_gaps_under_concurrent_commits(clients, database):
    """Eight writers commit at once; emitters race, yet the observer sees seq 1, 2, 3, ... in order."""
    client = clients("demo-observer")
    start = client.ready["last_seq"]
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        for i in range(10):
            publish(database, "test.burst", [events.ROOM_ALL], subject="test", writer=n, i=i)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = [e["seq"] for e in events_until(client, start + 80, timeout=20)]
    assert seqs == list(range(start + 1, start + 81))


# -- replay --------------------------------------------------------------------------------


def test_reconnecting_with_after_replays_exactly_what_was_missed_in_order(clients, api, fr_gign):
    first = clients("demo-ca-fr")
    set_readiness(api, fr_gign, "LIMITED")
    last_seen = first.wait_for("event")["seq"]
    first.close()

    for status in STATUSES[1:6]:
        set_readiness(api, fr_gign, status)

    again = clients("demo-ca-fr", after=last_seen)
    replayed = again.events()
    assert [e["seq"] for e in replayed] == list(range(last_seen + 1, last_seen + 6))
    assert [e["data"]["readiness"]["status"] for e in replayed] == STATUSES[1:6]
    assert again.ready["replayed"] == 5
    assert again.ready["last_seq"] == last_seen + 5
    # ...and then the live stream continues with no duplicate.
    set_readiness(api, fr_gign, "UNAVAILABLE")
    assert again.wait_for("event")["seq"] == last_seen + 6
    again.drain(0.3)
    assert [e["seq"] for e in again.events()] == list(range(last_seen + 1, last_seen + 7))


def test_replay_covers_events_committed_while_connecting(clients, api, database, fr_gign):
    """Commits racing the reconnect land either in the replay or in the live stream, once."""
    observer = clients("demo-observer")
    start = observer.ready["last_seq"]
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < 200:
            publish(database, "test.race", [events.ROOM_ALL], subject="test", i=i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        racers = [clients("demo-ca-fr", after=start) for _ in range(5)]
    finally:
        stop.set()
        thread.join()
    last = sentinel(database)
    for racer in racers:
        assert [e["seq"] for e in events_until(racer, last, timeout=20)] == list(range(start + 1, last + 1))


def test_replay_beyond_retention_says_so(clients, database, app):
    from datetime import timedelta

    import sqlalchemy as sa

    from atlas_coord.models import Event, utcnow
    from atlas_coord.services.events import purge_expired_events

    for i in range(3):
        publish(database, "test.old", [events.ROOM_ALL], subject="test", i=i)
    with database.transaction() as session:
        session.execute(sa.update(Event).values(at=utcnow() - timedelta(days=400)))
    with database.transaction() as session:
        assert purge_expired_events(session, app.config["ATLAS_SETTINGS"]) == 2  # the newest is kept
    client = clients("demo-ca-fr", after=0)
    truncated = client.log[0]
    assert truncated[0] == "replay_truncated"
    assert truncated[1]["reason"] == "expired"
    assert client.events() == []


def test_an_after_beyond_the_outbox_says_so(clients):
    client = clients("demo-ca-fr", after=10**9)
    assert ("replay_truncated", {"reason": "unknown_seq", "after": 10**9, "last_seq": client.ready["last_seq"]}) in client.log


def test_the_replay_call_pages_through_history_before_the_live_stream(clients, database):
    first = publish(database, "test.history", [events.ROOM_ALL], subject="test", i=0)
    publish(database, "test.history", ["state:DE"], subject="test", i=1)
    third = publish(database, "test.history", [events.ROOM_ALL], subject="test", i=2)
    client = clients("demo-ca-fr")
    page = client.call("replay", {"after": first - 1, "limit": 1})
    assert [e["seq"] for e in page["items"]] == [first]
    assert page["complete"] is False
    rest = client.call("replay", {"after": page["last_seq"]})
    assert [e["seq"] for e in rest["items"]] == [third]
    assert rest["complete"] is True
    assert rest["last_seq"] == client.ready["last_seq"]
    assert client.call("replay", {"after": "x"})["error"]["code"] == "validation_error"


def test_events_committed_without_an_emitter_are_still_delivered(clients, database, app):
    """A process that commits without emitting (no Redis): the server finds the event itself."""
    client = clients("demo-observer")
    live = app.extensions["atlas_realtime"]
    events.set_emitter(None)
    try:
        seq = publish(database, "test.silent", [events.ROOM_ALL], subject="test")
    finally:
        events.set_emitter(live.emit_committed)
    assert client.wait_for("event", timeout=8)["seq"] == seq


# -- presence and acknowledgement ----------------------------------------------------------


def test_presence_counts_viewers_and_their_roles(clients, database):
    request_id = raise_request(database, "demo-cc-be", ["FR"])
    be, fr, observer = clients("demo-cc-be"), clients("demo-ca-fr"), clients("demo-observer")
    assert be.call("watch", {"request_id": request_id})["presence"]["count"] == 1
    joined = fr.call("watch", {"request_id": request_id})["presence"]
    assert joined["count"] == 2
    assert joined["roles"] == {"competent_authority:FR": 1, "crisis_centre:BE": 1}
    update = be.wait_for("presence", predicate=lambda p: p["count"] == 2)
    assert {u["username"] for u in update["users"]} == {"demo-cc-be", "demo-ca-fr"}
    # Watching does not add the request's events to what a user is entitled to, nor presence to others.
    observer.drain(0.3)
    assert [name for name, _ in observer.log if name == "presence"] == []

    fr.close()
    assert be.wait_for("presence", predicate=lambda p: p["count"] == 1)["roles"] == {"crisis_centre:BE": 1}
    assert be.call("presence", {"request_id": request_id})["presence"]["count"] == 1
    assert be.call("unwatch", {"request_id": request_id}) == {"ok": True}
    assert be.call("presence", {"request_id": request_id})["error"]["code"] == "not_watching"


def test_watch_validates_its_input(clients):
    client = clients("demo-ca-fr")
    for bad in ({"request_id": "1"}, {"request_id": 0}, {}, None):
        assert client.call("watch", bad)["error"]["code"] == "validation_error"


# -- REST catch-up -------------------------------------------------------------------------


def test_rest_replay_pages_in_order_and_is_filtered(api, database):
    mine = [publish(database, "test.page", ["state:FR"], subject="test", i=i) for i in range(5)]
    publish(database, "test.page", ["state:NL"], subject="test", i=99)
    body = api.get(f"/api/v1/events?after={mine[0] - 1}&limit=2", "demo-ca-fr").get_json()
    assert [e["seq"] for e in body["items"]] == mine[:2]
    assert body["total"] == 5
    assert body["last_seq"] == mine[1]
    body = api.get(f"/api/v1/events?after={body['last_seq']}&limit=10", "demo-ca-fr").get_json()
    assert [e["seq"] for e in body["items"]] == mine[2:]
    assert body["last_seq"] == mine[-1] + 1  # the newest seq, although that one is NL's
    assert "replay_truncated" not in body


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=5000", "after=x", "colour=blue"])
def test_rest_replay_validates_its_query(api, query):
    response = api.get(f"/api/v1/events?{query}", "demo-ca-fr")
    assert response.status_code == 422


def test_rest_replay_needs_sign_in(api):
    assert api.get("/api/v1/events").status_code == 401
