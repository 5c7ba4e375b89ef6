"""Fan-out latency of the live layer: from commit to receipt, 100 and 1,000 clients, 1 and 2 processes.

Run from the repository root: ``python -m benchmarks.bench_fanout`` (``make bench`` runs it).
Options: ``--clients 100,1000 --procs 1,2 --events 10``; ``--quick`` is 100 clients, 1 process.

What it does, per configuration:

1. Starts real ``atlas-coord`` server processes (this module's ``serve`` command: the normal app
   plus one benchmark-only socket event for the baseline), on a fresh SQLite database; with
   ``procs=2`` both share the database and Redis (a channel unique to the run).
2. From this one process, connects N asyncio ``socketio.AsyncClient`` (websocket transport
   only), spread over the servers and over the users of five states.
3. Causes events the way users do: readiness changes by a unit commander through the REST API
   of the first server. Each event is committed once and fanned out by the live layer.
4. Latency = receipt time (the client's event handler) - the envelope's ``at``. ``at`` is set
   in the transaction just before the commit, so the figure includes the commit itself and
   slightly overstates commit-to-receipt. Every client must receive every event exactly once;
   missing and repeated receipts are counted as ``lost`` and ``dup``.
5. Baseline, same run and same clients: a bare ``socketio.emit`` broadcast of the same payload
   to everyone (no rooms, no sequencer), timed from just before the emit.

Printed lines: ``fanout clients=1000 procs=1 p50_ms=... p99_ms=... max_ms=... lost=0 dup=0
client_cpu_pct=... server_cpu_pct=... server_cpu_ms_per_event=... load1=...`` and the same with
``baseline`` first. ``client_cpu_pct`` is this process's own CPU use from each cause until every
client has the event (100 = one core busy): near 100, the client side is the bottleneck and the
latencies are upper bounds. ``server_cpu_ms_per_event`` (all server processes) is the cost of one
event, REST request included, and is the figure least disturbed by other load on the machine;
``load1`` is the machine's load average, since a busy machine inflates every latency.

The client process uses uvloop when it is installed (a dev dependency) and freezes its garbage
collector's view of the connected clients, so that the clients are as little of a bottleneck as
one process allows.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-" + secrets.token_hex(4)
STATES = ["be", "fr", "de", "nl", "at"]
REDIS_URL = os.environ.get("ATLAS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECT_BATCH = 50
WAIT_PER_EVENT_S = 8.0


# -- the server side ---------------------------------------------------------------------


def serve(argv: list[str]) -> None:
    """``python -m benchmarks.bench_fanout serve --port N``: the app as ``atlas-coord serve`` runs
    it, plus a ``bench_broadcast`` socket event that does a bare broadcast (the baseline)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    from atlas_coord import create_app
    from atlas_coord.config import load_settings
    from atlas_coord.extensions import socketio

    settings = load_settings({"server": {"host": args.host, "port": args.port}, "scheduler": {"embedded": False},
                              "coverage": {"prewarm": False}})  # no coverage table's CPU inside the measurement
    app = create_app(settings)

    @socketio.on("bench_broadcast")
    def bench_broadcast(payload):
        payload = dict(payload)
        payload["at"] = datetime.now(UTC).isoformat()
        socketio.emit("bench", payload)
        return True

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    socketio.run(app, host=args.host, port=args.port, use_reloader=False, log_output=False, allow_unsafe_werkzeug=True)


def prepare_database(directory: Path) -> str:
    from atlas_coord.cli import upgrade_database
    from atlas_coord.config import load_settings
    from atlas_coord.db import Database
    from atlas_coord.services.audit_chain import session_info
    from atlas_coord.services.seed import seed_demo_accounts, seed_directory

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade_database(url)
    # The audit key and witness of this run, inherited by the server processes started later.
    os.environ.setdefault("ATLAS_AUDIT_KEYS", f"bench:{secrets.token_hex(32)}")
    os.environ.setdefault("ATLAS_AUDIT_WITNESS_PATH", str(directory / "audit-witness.jsonl"))
    database = Database(url, session_info=session_info(load_settings(require_secret_key=False)))
    with database.transaction() as session:
        seed_directory(session)
        seed_demo_accounts(session, PASSWORD)
    database.dispose()
    return url


def proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, parent pid, ...; Linux),
    or None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds_of(pid: int) -> float:
    """utime + stime of another process (Linux /proc)."""
    fields = proc_stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the client side ---------------------------------------------------------------------


class Receiver:
    """One client's receipts: (kind, id) -> receipt times."""

    __slots__ = ("sio", "seen")

    def __init__(self, sio) -> None:
        self.sio = sio
        self.seen: dict[tuple[str, int], list[float]] = {}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


async def connect_clients(urls: list[str], tokens: list[str], count: int) -> list[Receiver]:
    import socketio

    receivers: list[Receiver] = []

    def make(i: int) -> Receiver:
        sio = socketio.AsyncClient(reconnection=False)
        receiver = Receiver(sio)

        @sio.on("event")
        def on_event(envelope):
            receiver.seen.setdefault(("event", envelope["seq"]), []).append(time.time() - _epoch(envelope["at"]))

        @sio.on("bench")
        def on_bench(payload):
            receiver.seen.setdefault(("bench", payload["seq"]), []).append(time.time() - _epoch(payload["at"]))

        return receiver

    for start in range(0, count, CONNECT_BATCH):
        batch = [make(i) for i in range(start, min(count, start + CONNECT_BATCH))]
        await asyncio.gather(
            *(
                r.sio.connect(
                    urls[(start + i) % len(urls)],
                    auth={"token": tokens[(start + i) % len(tokens)]},
                    transports=["websocket"],
                    wait_timeout=30,
                )
                for i, r in enumerate(batch)
            )
        )
        receivers.extend(batch)
    return receivers


async def wait_until(receivers: list[Receiver], key: tuple[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(key in r.seen for r in receivers):
            return
        await asyncio.sleep(0.02)


def summarise(receivers: list[Receiver], keys: list[tuple[str, int]]) -> tuple[list[float], int, int]:
    latencies, lost, dup = [], 0, 0
    for receiver in receivers:
        for key in keys:
            times = receiver.seen.get(key)
            if not times:
                lost += 1
                continue
            latencies.append(times[0])
            dup += len(times) - 1
        dup += sum(1 for key in receiver.seen if key not in keys and key[0] == keys[0][0])
    return latencies, lost, dup


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def line(kind: str, clients: int, procs: int, latencies: list[float], lost: int, dup: int, cpu: dict[str, float], n: int) -> str:
    ms = [v * 1000 for v in latencies]
    if not ms:
        return f"{kind} clients={clients} procs={procs} events={n} lost={lost} dup={dup} (nothing received)"
    return (
        f"{kind} clients={clients} procs={procs} p50_ms={statistics.median(ms):.0f} "
        f"p99_ms={percentile(ms, 99):.0f} lost={lost} dup={dup} events={n} max_ms={max(ms):.0f} "
        f"client_cpu_pct={cpu['client_pct']:.0f} server_cpu_pct={cpu['server_pct']:.0f} "
        f"server_cpu_ms_per_event={cpu['server_ms_per_event']:.0f} load1={os.getloadavg()[0]:.1f}"
    )


async def run_config(servers, clients: int, events: int) -> list[str]:
    import aiohttp

    urls = [server.url for server in servers]
    async with aiohttp.ClientSession() as http:

        async def token(user: str) -> str:
            async with http.post(f"{urls[0]}/api/v1/auth/token", json={"username": user, "password": PASSWORD}) as r:
                return (await r.json())["token"]

        tokens = [await token(f"demo-ca-{s}") for s in STATES] + [await token(f"demo-cc-{s}") for s in STATES]
        commander = await token("demo-cmd-fr")
        async with http.get(f"{urls[0]}/api/v1/units?state=FR&q=GIGN", headers={"Authorization": f"Bearer {commander}"}) as r:
            unit = (await r.json())["items"][0]["id"]

        started = time.monotonic()
        receivers = await connect_clients(urls, tokens, clients)
        print(f"  connected {clients} clients to {len(urls)} process(es) in {time.monotonic() - started:.1f}s", flush=True)
        # The clients' long-lived objects leave the collector's view, so that a full collection
        # does not pause the client process in the middle of a burst.
        gc.collect()
        gc.freeze()
        await asyncio.sleep(0.5)

        async def measure(kind: str, cause) -> str:
            pids = [server.process.pid for server in servers]
            keys, burst_cpu, burst_wall, server_cpu = [], 0.0, 0.0, 0.0
            for i in range(events):
                cpu0, wall0, server0 = own_cpu_seconds(), time.monotonic(), sum(cpu_seconds_of(p) for p in pids)
                key = await cause(i)
                keys.append(key)
                await wait_until(receivers, key, WAIT_PER_EVENT_S)
                burst_cpu += own_cpu_seconds() - cpu0
                burst_wall += time.monotonic() - wall0
                server_cpu += sum(cpu_seconds_of(p) for p in pids) - server0
                await asyncio.sleep(0.2)
            latencies, lost, dup = summarise(receivers, keys)
            cpu = {
                "client_pct": burst_cpu / burst_wall * 100,
                "server_pct": server_cpu / burst_wall * 100,
                "server_ms_per_event": server_cpu / events * 1000,
            }
            return line(kind, clients, len(servers), latencies, lost, dup, cpu, events)

        statuses = ["LIMITED", "READY"]

        async def readiness_change(i: int):
            body = {"status": statuses[i % 2], "reason": f"benchmark change {i}"}
            async with http.put(
                f"{urls[0]}/api/v1/units/{unit}/readiness", json=body, headers={"Authorization": f"Bearer {commander}"}
            ) as r:
                assert r.status == 200, await r.text()
            # The seq is not in the REST answer: it is the one every client is about to receive.
            deadline = time.monotonic() + WAIT_PER_EVENT_S
            while time.monotonic() < deadline:
                fresh = [k for k in receivers[0].seen if k[0] == "event" and k not in done]
                if fresh:
                    done.update(fresh)
                    return max(fresh)
                await asyncio.sleep(0.005)
            raise RuntimeError("the first client never received the event")

        done: set = set()
        results = [await measure("fanout", readiness_change)]

        template = {"type": "readiness.changed", "subject": f"unit:{unit}"}
        last_event = max(k for k in receivers[0].seen if k[0] == "event")
        async with http.get(f"{urls[0]}/api/v1/events?after={last_event[1] - 1}", headers={"Authorization": f"Bearer {commander}"}) as r:
            items = (await r.json())["items"]
        if items:
            template = items[-1]
        control = receivers[0].sio

        async def bare_broadcast(i: int):
            payload = {**template, "seq": i}
            await control.call("bench_broadcast", payload, timeout=30)
            return ("bench", i)

        results.append(await measure("baseline", bare_broadcast))
        await asyncio.gather(*(r.sio.disconnect() for r in receivers), return_exceptions=True)
    return results


class Server:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        import subprocess

        from tests.realtime.servers import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_fanout", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        from tests.realtime.servers import wait_healthy

        wait_healthy(self.url, 30, self.process)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.process.kill()
        self.log.close()


def run(coroutine):
    """uvloop when installed (a faster client loop, so that the clients are less of a bottleneck)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", default="100,1000")
    parser.add_argument("--procs", default="1,2")
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="100 clients, 1 process")
    args = parser.parse_args(argv)
    client_counts = [100] if args.quick else [int(n) for n in args.clients.split(",")]
    proc_counts = [1] if args.quick else [int(n) for n in args.procs.split(",")]
    if 2 in proc_counts and not redis_available():
        print(f"procs=2 skipped: no Redis at {REDIS_URL}")
        proc_counts = [p for p in proc_counts if p == 1]

    workdir = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        url = prepare_database(workdir)
        try:
            import uvloop  # noqa: F401

            loop_name = "uvloop"
        except ImportError:
            loop_name = "asyncio"
        load1 = os.getloadavg()[0]
        print(
            f"fan-out benchmark: async_mode=threading, {os.cpu_count()} CPUs, clients {client_counts}, "
            f"processes {proc_counts}, client loop {loop_name}, load average {load1:.1f}",
            flush=True,
        )
        if load1 > (os.cpu_count() or 1):
            print("  note: the machine is busy with other work; latencies will be inflated and noisy", flush=True)
        printed: list[str] = []
        for procs in proc_counts:
            for clients in client_counts:
                channel = f"atlas-bench-{uuid.uuid4().hex[:8]}"
                config = workdir / f"atlas-{channel}.toml"
                # The benchmark signs in 11 users from one address; the default login limit is 10/min.
                config.write_text(f'[realtime]\nchannel = "{channel}"\n[auth]\nlogin_rate_limit = "1000 per minute"\n'
                                  '[coverage]\nprewarm = false\n', encoding="utf-8")
                env = {"ATLAS_DATABASE_URL": url, "ATLAS_SECRET_KEY": secrets.token_hex(16), "ATLAS_CONFIG": str(config)}
                if procs > 1:
                    env["ATLAS_REDIS_URL"] = REDIS_URL
                servers = [Server(env, workdir / f"server-{procs}-{clients}-{i}.log") for i in range(procs)]
                try:
                    for server in servers:
                        server.wait()
                    for result in run(run_config(servers, clients, args.events)):
                        print(result, flush=True)
                        printed.append(result)
                finally:
                    for server in servers:
                        server.stop()
        print(goals(printed), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def goals(printed: list[str]) -> str:
    """The issue's goals, judged on the live layer's lines: p99 <= 250 ms with 1,000 clients, and
    nothing lost or duplicated anywhere."""
    fields = [dict(part.split("=", 1) for part in text.split()[1:] if "=" in part) for text in printed if text.startswith("fanout ")]
    thousand = [f for f in fields if f.get("clients") == "1000" and "p99_ms" in f]
    p99s = ", ".join(f"procs={f['procs']} {f['p99_ms']} ms" for f in thousand)
    latency = "met" if thousand and all(float(f["p99_ms"]) <= 250 for f in thousand) else "missed"
    clean = all(f.get("lost") == "0" and f.get("dup") == "0" for f in fields)
    return (
        f"goals: p99<=250ms at 1000 clients {latency if thousand else 'not measured'} ({p99s}); "
        f"lost=0 dup=0 {'met' if clean and fields else 'missed'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
