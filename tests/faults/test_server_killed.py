"""A server process is killed with SIGKILL in the middle of traffic.

Two ``atlas-coord serve`` processes (A and B) share the database and Redis. Commanders keep
changing their units' readiness through the REST API, one on each process; live clients follow
on both. A is killed. Its clients reconnect to B with the last seq they saw and miss nothing;
every change the API confirmed is in the database; nothing sent to A is half written.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import unit_id

from .harness import (
    Commander,
    newest_seq,
    readiness_rows,
    server_config,
    server_env,
    server_logs,
    sign_in,
    visible_events,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.live, pytest.mark.timeout(180)]


def test_clients_of_a_killed_server_resume_on_the_other_and_miss_nothing(
    db_url, redis_url, database, tmp_path, processes
):
    config = server_config(tmp_path)
    env = server_env(config, db_url, redis_url)
    a = processes.server(env, tmp_path / "server-a.log")
    b = processes.server(env, tmp_path / "server-b.log")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda server: server.wait(60), (a, b)))

    with database.transaction() as session:
        gign, gsg9 = unit_id(session, "fr-gign"), unit_id(session, "de-gsg9")
    observer_token = sign_in(b.url, "demo-observer")
    # On A, the two followers that lose their server; on B, two that keep it.
    on_a = [processes.follower("observer on A", sign_in(a.url, "demo-observer")),
            processes.follower("FR authority on A", sign_in(a.url, "demo-ca-fr"))]
    on_b = [processes.follower("DE authority on B", sign_in(b.url, "demo-ca-de")),
            processes.follower("observer on B", observer_token)]
    for follower in on_a:
        follower.connect(a.url)
    for follower in on_b:
        follower.connect(b.url)
    everyone = on_a + on_b

    # The French commander works through B, the German one through A (the one that dies).
    via_b = Commander(b.url, sign_in(b.url, "demo-cmd-fr"), gign, "via-B")
    via_a = Commander(a.url, sign_in(a.url, "demo-cmd-de"), gsg9, "via-A")
    try:
        via_b.start()
        via_a.start()

        # Mid-traffic: A's clients have live events from both commanders, A has confirmed writes.
        def flowing():
            for follower in on_a:
                follower.pump()
            return all(len(f.events) >= 6 for f in on_a) and len(via_a.confirmed()) >= 3

        wait_until(flowing, 60, "traffic flowing through both servers")
        seen_on_a = {f.name: f.position for f in on_a}
        killed_at = time.monotonic()
        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait(timeout=10)
        dead_at = time.monotonic()
        wait_until(lambda: not any(f.connected for f in on_a), 30, "A's clients noticing that A is gone")

        # B goes on confirming changes while A's clients are away: they must come by replay.
        wait_until(lambda: len(via_b.confirmed(since=dead_at)) >= 5, 60, "five changes through B after the kill")
        readies = {f.name: f.connect(b.url, resume=True) for f in on_a}
        resumed_at = time.monotonic()
        wait_until(lambda: len(via_b.confirmed(since=resumed_at)) >= 5, 60, "five more changes after the reconnect")
        wait_until(lambda: sum(r.started > dead_at for _, r in list(via_a.replies)) >= 3, 30, "calls to the dead A")
    finally:
        via_b.stop()
        via_a.stop()

    try:
        last = newest_seq(b.url, observer_token)
        for follower in everyone:
            wait_until(lambda f=follower: f.reached(last), 30, f"{follower.name} receiving seq {last}")
            follower.pump()
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{server_logs(processes)}") from None

    # The kill happened mid-traffic: changes confirmed by A before it, by B after it.
    assert via_a.confirmed() and all(reply.started < killed_at for _, reply in via_a.replies if reply.ok)
    assert len(via_b.confirmed(since=dead_at)) >= 10
    # Calls to the dead process fail at the connection level; nobody ever got a 5xx.
    after_death = [reply for _, reply in via_a.replies if reply.started > dead_at]
    assert after_death, "no call reached A after its death"
    assert all(reply.status is None and isinstance(reply.error, ConnectionRefusedError) for reply in after_death), after_death
    answered = [reply for _, reply in via_a.replies + via_b.replies if reply.status is not None]
    assert all(reply.status < 500 for reply in answered), [r for r in answered if r.status >= 500]
    assert all(reply.ok for _, reply in via_b.replies), [r for r in via_b.replies if not r[1].ok]

    # Resuming on B with the last seq seen on A replayed the events committed while away.
    for follower in on_a:
        ready = readies[follower.name]
        assert ready["replayed"] >= 5, (follower.name, ready)
        assert follower.seqs().count(seen_on_a[follower.name]) == 1

    # Every follower has every event it may see exactly once, in order, with no gap: the same
    # list the REST catch-up gives the same user.
    for follower in everyone:
        expected = visible_events(b.url, follower.token, follower.first_position)
        assert follower.seqs() == [e["seq"] for e in expected], follower.name
        assert follower.events == expected, follower.name
        assert len(expected) >= 16  # 6 before the kill, 5 while away, 5 after

    # Every confirmed change is in the database once, with its audit record and its event; a
    # change in flight when A died is there completely or not at all.
    rows = readiness_rows(database)
    for reason in via_a.confirmed() + via_b.confirmed():
        assert rows.get(reason) == {"history": 1, "event": 1, "audit": 1}, reason
    for reason, reply in via_a.replies:
        if not reply.ok:
            assert rows.get(reason, {"history": 0, "event": 0, "audit": 0}) in (
                {"history": 0, "event": 0, "audit": 0}, {"history": 1, "event": 1, "audit": 1}), (reason, reply)
