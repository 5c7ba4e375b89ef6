"""The pieces of the live layer that need no socket: sequencer, handshake, presence."""

from __future__ import annotations

import contextlib
import random
import threading
import uuid

import pytest

from atlas_coord.realtime.auth import HandshakeError, parse_handshake
from atlas_coord.realtime.presence import MemoryPresence, RedisPresence, Viewer, summary
from atlas_coord.realtime.sequencer import Sequencer


class Outbox:
    """Committed events 1..n, as the database would return them."""

    def __init__(self, n: int) -> None:
        self.rows = {seq: ({"seq": seq, "type": "t"}, ["all"]) for seq in range(1, n + 1)}
        self.fetches: list[tuple[int, int | None]] = []

    def fetch(self, after: int, upto: int | None):
        self.fetches.append((after, upto))
        top = max(self.rows, default=0) if upto is None else upto
        return [self.rows[seq] for seq in range(after + 1, top + 1) if seq in self.rows]

    def newest(self) -> int:
        return max(self.rows, default=0)


def sequencer_over(outbox: Outbox, head: int = 0):
    delivered: list[int] = []
    sequencer = Sequencer(lambda envelope, rooms: delivered.append(envelope["seq"]), outbox.fetch, lambda: head)
    sequencer.start_at_newest()
    return sequencer, delivered


def test_in_order_events_are_delivered_as_they_come_without_reading_the_outbox():
    outbox = Outbox(3)
    sequencer, delivered = sequencer_over(outbox)
    for seq in (1, 2, 3):
        sequencer.offer(*outbox.rows[seq])
    assert delivered == [1, 2, 3]
    assert outbox.fetches == []


def test_an_event_ahead_of_a_gap_pulls_the_gap_from_the_outbox_and_late_arrivals_are_dropped():
    outbox = Outbox(4)
    sequencer, delivered = sequencer_over(outbox)
    sequencer.offer(*outbox.rows[3])
    assert delivered == [1, 2, 3]
    assert outbox.fetches == [(0, 2)]
    sequencer.offer(*outbox.rows[1])
    sequencer.offer(*outbox.rows[2])
    sequencer.offer(*outbox.rows[4])
    sequencer.offer(*outbox.rows[3])
    assert delivered == [1, 2, 3, 4]


def test_a_gap_missing_from_the_outbox_is_skipped_not_waited_for():
    outbox = Outbox(5)
    del outbox.rows[2]  # purged, say
    sequencer, delivered = sequencer_over(outbox)
    sequencer.offer(*outbox.rows[3])
    assert delivered == [1, 3]
    assert sequencer.head == 3


def test_catch_up_delivers_committed_events_that_were_never_offered():
    outbox = Outbox(3)
    sequencer, delivered = sequencer_over(outbox, head=1)
    sequencer.catch_up()
    assert delivered == [2, 3]
    sequencer.catch_up()
    assert delivered == [2, 3]


def test_racing_emitters_still_deliver_each_event_once_in_order():
    outbox = Outbox(400)
    sequencer, delivered = sequencer_over(outbox)
    order = list(outbox.rows.values()) * 2
    random.Random(5).shuffle(order)
    chunks = [order[i::8] for i in range(8)]
    threads = [threading.Thread(target=lambda c=chunk: [sequencer.offer(*item) for item in c]) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert delivered == list(range(1, 401))


def test_a_failing_delivery_does_not_stop_the_stream():
    outbox = Outbox(3)
    delivered = []

    def deliver(envelope, rooms):
        if envelope["seq"] == 2:
            raise OSError("socket gone")
        delivered.append(envelope["seq"])

    sequencer = Sequencer(deliver, outbox.fetch, lambda: 0)
    for seq in (1, 2, 3):
        sequencer.offer(*outbox.rows[seq])
    assert delivered == [1, 3]


def test_an_event_without_rooms_is_never_broadcast():
    delivered = []
    sequencer = Sequencer(lambda envelope, rooms: delivered.append(rooms), Outbox(0).fetch, lambda: 0)
    sequencer.offer({"seq": 1}, [])
    assert delivered == []
    assert sequencer.head == 1


@pytest.mark.parametrize(
    ("auth", "environ", "token", "after"),
    [
        (None, {}, None, None),
        ({"token": "abc", "after": 12}, {}, "abc", 12),
        ({"after": "7"}, {"HTTP_AUTHORIZATION": "Bearer xyz"}, "xyz", 7),
        ({"token": "abc"}, {"HTTP_AUTHORIZATION": "Bearer xyz"}, "abc", None),
        ({"after": 0}, {}, None, 0),
    ],
)
def test_the_handshake_carries_a_token_and_the_last_seq(auth, environ, token, after):
    shake = parse_handshake(auth, environ)
    assert (shake.token, shake.after) == (token, after)


@pytest.mark.parametrize("auth", ["token", ["x"], {"token": 5}, {"after": -1}, {"after": True}, {"after": 1.5}, {"after": "x"}])
def test_a_malformed_handshake_is_refused(auth):
    with pytest.raises(HandshakeError):
        parse_handshake(auth, {})


def test_presence_summary_counts_users_once_across_their_connections():
    viewers = [
        Viewer(1, "ca-fr", ("competent_authority:FR",)),
        Viewer(1, "ca-fr", ("competent_authority:FR",)),
        Viewer(2, "cc-be", ("crisis_centre:BE",)),
    ]
    body = summary(7, viewers)
    assert body["count"] == 2
    assert body["connections"] == 3
    assert body["roles"] == {"competent_authority:FR": 1, "crisis_centre:BE": 1}


def test_memory_presence_joins_and_leaves():
    presence = MemoryPresence()
    viewer = Viewer(1, "ca-fr", ("competent_authority:FR",))
    presence.join(7, "sid-1", viewer)
    presence.join(7, "sid-2", viewer)
    presence.leave(7, "sid-1")
    assert presence.viewers(7) == [viewer]
    presence.leave(7, "sid-2")
    assert presence.viewers(7) == []


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


def test_redis_presence_is_shared_between_processes_and_expires_with_a_dead_one(redis_client, monkeypatch):
    prefix = f"atlas-test-{uuid.uuid4().hex[:8]}"
    process_a = RedisPresence(redis_client, prefix=prefix, ttl_seconds=30)
    process_b = RedisPresence(redis_client, prefix=prefix, ttl_seconds=30)
    fr = Viewer(1, "ca-fr", ("competent_authority:FR",))
    be = Viewer(2, "cc-be", ("crisis_centre:BE",))
    try:
        process_a.join(7, "sid-a", fr)
        process_b.join(7, "sid-b", be)
        assert sorted(v.username for v in process_a.viewers(7)) == ["ca-fr", "cc-be"]

        # Process B dies; A's heartbeats keep its own entry and, once B's has expired, drop it.
        import atlas_coord.realtime.presence as presence_module

        real_time = presence_module.time.time
        monkeypatch.setattr(presence_module.time, "time", lambda: real_time() + 31)
        assert process_a.refresh({"sid-a": (fr, {7})}) == [7]
        assert [v.username for v in process_b.viewers(7)] == ["ca-fr"]
        process_a.leave(7, "sid-a")
        assert process_a.viewers(7) == []
    finally:
        redis_client.delete(f"{prefix}:presence:request:7")


def test_a_committing_request_does_not_wait_for_the_live_fan_out_which_follows_in_order(redis_url, redis_client):
    """With Redis, a server's live emit is queued: the request thread that committed returns at
    once even while the local fan-out is busy (here: the sequencer's lock held by a delivery), and
    the events are then published on the channel and delivered here, in order, each once."""
    import json

    from atlas_coord.realtime.sequencer import LIVE_EVENT, OrderedRedisManager

    channel = f"atlas-test-{uuid.uuid4().hex[:8]}"
    manager = OrderedRedisManager(redis_url, channel=channel)
    sequencer, delivered = sequencer_over(Outbox(0))
    manager.sequencer = sequencer
    heard = redis_client.pubsub(ignore_subscribe_messages=True)
    heard.subscribe(channel)

    def request_thread() -> None:
        for seq in (1, 2, 3):
            manager.emit(LIVE_EVENT, {"seq": seq, "type": "t"}, "/", to=["all"])

    with sequencer.lock:  # a delivery in progress
        committing = threading.Thread(target=request_thread)
        committing.start()
        committing.join(timeout=5)
        assert not committing.is_alive(), "the request thread waited for the local fan-out"
        assert delivered == []

    published = []
    for _ in range(50):
        message = heard.get_message(timeout=0.1)
        if message is not None:
            published.append(json.loads(message["data"])["data"][0]["seq"])
        if len(published) == 3 and len(delivered) == 3:
            break
    heard.close()
    assert published == [1, 2, 3]
    assert delivered == [1, 2, 3]


class RacingList(list):
    """The manager's list of clients being disconnected, where each removal waits (briefly) for
    another thread's: the interleaving in which two disconnects both find the list empty."""

    def __init__(self, items, barrier: threading.Barrier) -> None:
        super().__init__(items)
        self.barrier = barrier

    def remove(self, item) -> None:
        super().remove(item)
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(timeout=0.5)


@pytest.mark.parametrize("manager_class", ["OrderedManager", "OrderedRedisManager"])
def test_two_clients_disconnecting_at_once_both_leave_cleanly(manager_class, redis_url):
    from atlas_coord.realtime import sequencer as seq

    manager = getattr(seq, manager_class)() if manager_class == "OrderedManager" else seq.OrderedRedisManager(redis_url)
    manager.rooms = {"/": {None: {"a": "eio-a", "b": "eio-b"}}}
    manager.pending_disconnect = {"/": RacingList(["a", "b"], threading.Barrier(2))}
    failures: list[BaseException] = []

    def leave(sid: str) -> None:
        try:
            manager.basic_disconnect(sid, "/")
        except BaseException as exc:  # noqa: BLE001 - what the test looks for
            failures.append(exc)

    threads = [threading.Thread(target=leave, args=(sid,)) for sid in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert failures == []
    assert manager.pending_disconnect == {} and not manager.rooms.get("/", {}).get(None)
