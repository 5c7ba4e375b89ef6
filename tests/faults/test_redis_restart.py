"""Redis, which joins the server processes, is killed and started again under traffic.

Two ``atlas-coord serve`` processes on a private Redis. While Redis is down, changes still
commit (their events are in the outbox) and reach the clients of both processes: each server's
own clients at once, the other's through the outbox catch-up. When Redis is back both processes
subscribe again, and in the end every client has had every event exactly once, in order.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import unit_id

from .harness import call as http_call
from .harness import (
    channel_of,
    newest_seq,
    server_config,
    server_env,
    server_logs,
    sign_in,
    visible_events,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.live, pytest.mark.timeout(180)]


def test_events_committed_while_redis_is_down_reach_every_client_once(
    db_url, database, private_redis, tmp_path, processes
):
    config = server_config(tmp_path)
    channel = channel_of(config)
    env = server_env(config, db_url, private_redis.url)
    a = processes.server(env, tmp_path / "server-a.log")
    b = processes.server(env, tmp_path / "server-b.log")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda server: server.wait(60), (a, b)))

    with database.transaction() as session:
        gign, gsg9 = unit_id(session, "fr-gign"), unit_id(session, "de-gsg9")
    commanders = {a.url: (sign_in(a.url, "demo-cmd-fr"), gign), b.url: (sign_in(b.url, "demo-cmd-de"), gsg9)}
    observer = sign_in(b.url, "demo-observer")
    followers = [
        processes.follower("observer on A", sign_in(a.url, "demo-observer")),
        processes.follower("FR authority on A", sign_in(a.url, "demo-ca-fr")),
        processes.follower("DE authority on B", sign_in(b.url, "demo-ca-de")),
        processes.follower("observer on B", observer),
    ]
    for follower, url in zip(followers, (a.url, a.url, b.url, b.url), strict=True):
        follower.connect(url)
    # python-socketio subscribes on a server's first connection.
    wait_until(lambda: private_redis.subscribers(channel) == 2, 30, "both servers subscribed to the channel")

    written: list[int] = []

    def change_readiness(phase: str, count: int) -> None:
        """``count`` changes, alternately through A and through B; each must be confirmed."""
        for n in range(count):
            url = (a.url, b.url)[n % 2]
            token, unit = commanders[url]
            status = ("LIMITED", "READY")[len(written) % 2]
            reply = http_call("PUT", f"{url}/api/v1/units/{unit}/readiness", token,
                              {"status": status, "reason": f"{phase}-{n}"}, timeout=30)
            assert reply.status == 200, (phase, n, reply, server_logs(processes))
            written.append(n)

    def everyone_has_everything(what: str) -> int:
        last = newest_seq(b.url, observer)
        for follower in followers:
            try:
                wait_until(lambda f=follower: f.reached(last), 30, f"{follower.name} receiving seq {last} {what}")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{server_logs(processes)}") from None
        return last

    change_readiness("redis-up", 4)
    before_outage = everyone_has_everything("with Redis up")

    private_redis.kill()
    change_readiness("redis-down", 6)
    # Delivered while Redis is still down: events written through B reached A's clients (and
    # the other way round) only by the servers' catch-up from the outbox.
    during_outage = everyone_has_everything("while Redis is down")
    assert not private_redis.ping(), "Redis came back by itself: the outage proved nothing"
    assert during_outage >= before_outage + 6
    for follower in followers:
        assert {e["data"]["readiness"]["reason"] for e in follower.events if e["seq"] > before_outage} >= {
            f"redis-down-{n}" for n in range(6)
        }, follower.name

    private_redis.start()
    wait_until(lambda: private_redis.subscribers(channel) == 2, 90, "both servers subscribed again after the restart")
    change_readiness("redis-back", 4)
    everyone_has_everything("after Redis came back")

    for follower in followers:
        expected = visible_events(b.url, follower.token, follower.first_position)
        assert follower.seqs() == [e["seq"] for e in expected], follower.name
        assert follower.events == expected, follower.name
        assert len(expected) == 14, follower.name
        assert follower.connected, f"{follower.name} lost its connection"
