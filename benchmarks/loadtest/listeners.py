"""The live listeners: asyncio python-socketio clients in one process, recording every event.

Run by the orchestrator as ``python -m benchmarks.loadtest.listeners --plan listeners.json --out
listeners-result.json``. The plan lists one ``{url, token, user}`` per listener (the orchestrator
spreads them half over each server and over observers, crisis centres, competent authorities and
unit commanders, several listeners sharing one sign-in like tabs of one console).

Protocol on stdin/stdout: once every listener is connected and has its ``ready``, the process
prints ``READY {...}``; the orchestrator then runs the traffic and writes ``STOP <from> <until>``
(the operators' steady window, epoch seconds) on stdin. The
process then asks the REST catch-up (``GET /api/v1/events``, all pages, with each listener's own
token, so the same need-to-know as the live rooms) which events each listener should have
received after its ``ready``, waits for the stragglers (``--drain`` seconds at most), compares,
writes the result and exits.

Counted per listener: ``lost`` (visible to it, after its ready, never received), ``dup`` (received
more than once), ``extra`` (received but not visible to it, or older than its ready: a leak).
Latency = receipt time - the envelope's ``at`` (set in the transaction just before the commit),
as in ``benchmarks/bench_fanout.py``, whose client helpers this reuses; its percentiles are taken
over the events committed in the steady window (``all_*``: over every event, ramp-up included). A listener that loses its
connection reconnects with ``after`` = the last seq it saw, as the console does; reconnections are
reported, and the replayed events are checked like the others.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from typing import Any

from benchmarks.bench_fanout import CONNECT_BATCH, _epoch, own_cpu_seconds, percentile, run

# seq -> the envelope's ``at`` (epoch seconds), the same for every listener
COMMITTED_AT: dict[int, float] = {}


class Listener:
    __slots__ = ("index", "url", "token", "user", "sio", "ready_seq", "last_seq", "seen", "readies",
                 "disconnects", "truncated", "ended")

    def __init__(self, index: int, url: str, token: str, user: str) -> None:
        import socketio

        self.index, self.url, self.token, self.user = index, url, token, user
        self.ready_seq: int | None = None  # the head when it first joined: live events start after it
        self.last_seq = 0
        self.seen: dict[int, list[float]] = {}  # seq -> latency of each receipt (s)
        self.readies = 0
        self.disconnects = 0
        self.truncated = 0
        self.ended = 0
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
        self.sio.on("event", self.on_event)
        self.sio.on("ready", self.on_ready)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("replay_truncated", self.on_truncated)
        self.sio.on("session_ended", self.on_session_ended)

    def auth(self) -> dict[str, Any]:
        """First connection: live from now; a reconnection: ``after`` the last seq seen."""
        if self.ready_seq is None:
            return {"token": self.token}
        return {"token": self.token, "after": max(self.last_seq, self.ready_seq)}

    def on_event(self, envelope: dict) -> None:
        now, seq = time.time(), envelope["seq"]
        at = COMMITTED_AT.get(seq)
        if at is None:
            at = COMMITTED_AT[seq] = _epoch(envelope["at"])
        self.seen.setdefault(seq, []).append(now - at)
        if seq > self.last_seq:
            self.last_seq = seq

    def on_ready(self, data: dict) -> None:
        self.readies += 1
        if self.ready_seq is None:
            self.ready_seq = data["last_seq"]
        self.last_seq = max(self.last_seq, data["last_seq"])

    def on_disconnect(self, reason=None) -> None:
        self.disconnects += 1

    def on_truncated(self, data=None) -> None:
        self.truncated += 1

    def on_session_ended(self, data=None) -> None:
        self.ended += 1

    async def connect(self) -> None:
        await self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=30)


async def connect_all(listeners: list[Listener]) -> list[str]:
    """Connect in batches (as bench_fanout does); returns the failures."""
    failures = []
    for start in range(0, len(listeners), CONNECT_BATCH):
        batch = listeners[start:start + CONNECT_BATCH]
        results = await asyncio.gather(*(listener.connect() for listener in batch), return_exceptions=True)
        failures += [f"listener {listener.index} ({listener.user}): {result!r}"
                     for listener, result in zip(batch, results, strict=True) if isinstance(result, BaseException)]
    return failures


async def wait_for(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(interval)
    return condition()


def visible_seqs(url: str, token: str, after: int) -> list[int]:
    """Every seq after ``after`` this token may see, through the REST catch-up (all pages; each
    page retried a few times, since the servers may still be busy when the traffic stops)."""
    from tests.faults.harness import call

    seqs: list[int] = []
    while True:
        for attempt in range(4):
            reply = call("GET", f"{url}/api/v1/events?after={after}&limit=1000", token, timeout=30)
            if reply.status == 200:
                break
            time.sleep(1 + attempt)
        else:
            raise RuntimeError(f"GET /api/v1/events?after={after} failed: {reply.status} {reply.body or reply.error}")
        items = reply.body["items"]
        seqs += [item["seq"] for item in items]
        if len(items) < 1000:
            return seqs
        after = reply.body["last_seq"]


async def expected_for(listeners: list[Listener]) -> dict[str, set[int]]:
    """For each token: the seqs it may see after the oldest ready of its listeners."""
    loop = asyncio.get_running_loop()
    by_token: dict[str, Listener] = {}
    start: dict[str, int] = {}
    for listener in listeners:
        if listener.ready_seq is None:
            continue
        by_token.setdefault(listener.token, listener)
        start[listener.token] = min(start.get(listener.token, listener.ready_seq), listener.ready_seq)
    tokens = list(by_token)
    results = await asyncio.gather(*(
        loop.run_in_executor(None, visible_seqs, by_token[t].url, t, start[t]) for t in tokens))
    return {token: set(seqs) for token, seqs in zip(tokens, results, strict=True)}


def tally(listeners: list[Listener], expected: dict[str, set[int]], window: tuple[float, float]) -> dict[str, Any]:
    """Lost, duplicated and extra receipts over the whole run; latency percentiles of the events
    committed in the steady window (the operators' ``window``), and of all of them."""
    lost = dup = extra = delivered = 0
    latencies: list[float] = []
    in_window: list[float] = []
    lossy: list[str] = []
    for listener in listeners:
        if listener.ready_seq is None:
            continue
        wanted = {seq for seq in expected.get(listener.token, ()) if seq > listener.ready_seq}
        got = set(listener.seen)
        missing = wanted - got
        lost += len(missing)
        extra += len(got - wanted)
        delivered += len(wanted & got)
        dup += sum(len(times) - 1 for times in listener.seen.values())
        for seq in wanted & got:
            latencies.append(listener.seen[seq][0])
            if window[0] <= COMMITTED_AT.get(seq, 0.0) < window[1]:
                in_window.append(listener.seen[seq][0])
        if missing and len(lossy) < 5:
            lossy.append(f"listener {listener.index} ({listener.user}, {listener.url}) missed {sorted(missing)[:10]}")
    ms = sorted(v * 1000 for v in latencies)
    steady = sorted(v * 1000 for v in in_window)
    return {
        "lost": lost, "dup": dup, "extra": extra, "deliveries": delivered,
        "expected_deliveries": delivered + lost,
        "event_p50_ms": percentile(steady, 50), "event_p99_ms": percentile(steady, 99),
        "event_max_ms": steady[-1] if steady else None, "window_deliveries": len(steady),
        "all_p50_ms": percentile(ms, 50), "all_p99_ms": percentile(ms, 99), "all_max_ms": ms[-1] if ms else None,
        "lossy_examples": lossy,
    }


async def main_async(plan: dict[str, Any], drain: float) -> dict[str, Any]:
    listeners = [Listener(i, item["url"], item["token"], item["user"]) for i, item in enumerate(plan["listeners"])]
    began = time.monotonic()
    failures = await connect_all(listeners)
    connected = [listener for listener in listeners if listener.sio.connected]
    await wait_for(lambda: all(listener.ready_seq is not None for listener in connected), 60)
    ready = [listener for listener in connected if listener.ready_seq is not None]
    connect_s = time.monotonic() - began
    # The listeners' long-lived objects leave the collector's view (as in bench_fanout), so that a
    # full collection does not stall the process in the middle of a burst.
    gc.collect()
    gc.freeze()
    print("READY " + json.dumps({"connected": len(connected), "ready": len(ready), "connect_s": round(connect_s, 1),
                                 "failures": failures[:5]}), flush=True)

    cpu0, wall0 = own_cpu_seconds(), time.monotonic()
    loop = asyncio.get_running_loop()
    line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
    if not line or line[0] != "STOP":
        raise SystemExit("the orchestrator went away")
    window = (float(line[1]), float(line[2])) if len(line) == 3 else (0.0, float("inf"))
    cpu_traffic, wall_traffic = own_cpu_seconds() - cpu0, time.monotonic() - wall0

    drain_began = time.monotonic()
    expected = await expected_for(ready)

    def complete() -> bool:
        return all(
            all(seq in listener.seen for seq in expected.get(listener.token, ()) if seq > listener.ready_seq)
            for listener in ready
        )

    drained = await wait_for(complete, drain, interval=0.25)
    drain_s = time.monotonic() - drain_began
    cpu_all, wall_all = own_cpu_seconds() - cpu0, time.monotonic() - wall0
    result = tally(listeners, expected, window)
    newest = max((max(seqs) for seqs in expected.values() if seqs), default=0)
    result.update({
        "listeners": len(listeners), "connected": len(connected), "ready": len(ready),
        "connect_failures": failures[:5], "connect_s": connect_s, "drained": drained, "drain_s": drain_s,
        "reconnects": sum(max(0, listener.readies - 1) for listener in listeners),
        "disconnects": sum(listener.disconnects for listener in listeners),
        "replay_truncated": sum(listener.truncated for listener in listeners),
        "sessions_ended": sum(listener.ended for listener in listeners),
        "newest_seq": newest,
        "baseline_seq": min((listener.ready_seq for listener in ready), default=0),
        "cpu_traffic_pct": 100 * cpu_traffic / wall_traffic if wall_traffic else 0.0,
        "cpu_pct": 100 * cpu_all / wall_all if wall_all else 0.0,
        "cpu_s": cpu_all,
    })
    for listener in listeners:
        listener.sio.reconnection = False
    await asyncio.gather(*(listener.sio.disconnect() for listener in listeners if listener.sio.connected),
                         return_exceptions=True)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="the live listeners of the load test")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--drain", type=float, default=20.0, help="seconds to wait for late events after STOP")
    args = parser.parse_args(argv)
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    result = run(main_async(plan, args.drain))
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
