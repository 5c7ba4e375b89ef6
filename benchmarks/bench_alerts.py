"""Duty alerts: from the commit of a submitted request to the first email accepted by a real SMTP
relay, and 100 requests submitted at once to three states each.

Run from the repository root: ``python -m benchmarks.bench_alerts`` (``make bench`` runs it).
Options: ``--latency 30`` (requests timed one after another), ``--burst 100``;
``ATLAS_BENCH_DATABASE_URL`` names an empty PostgreSQL database instead of a fresh SQLite file.

Set-up: a fresh SQLite database (migrated, seeded, demo accounts), round-the-clock rosters for the
competent authorities of FR, DE and NL (each officer with an email contact point), and an aiosmtpd
relay on a free loopback port with STARTTLS and AUTH (tests/relays.py), the way production talks
to its relay.

1. Latency: a request is submitted (BE to FR) in one transaction; the time from the end of its
   commit to the relay's acceptance of the email (its ``DATA`` handler) is measured; the alert
   dispatcher thread is woken by the commit (no polling). ``p50``/``p99``/``max`` over the runs.
2. Burst: 100 requests addressed to FR, DE and NL each, submitted by 4 threads at once, while
   two dispatcher threads (each with its own engine, like two server processes) and a scheduler
   sweep run at the same time. Then every (request, state) must have exactly one email at the
   relay: ``delivered``, ``dup`` (more than one) and ``lost`` (none) are counted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

PASSWORD = "bench-password-for-alerts"
AUDIT_KEY = "bench-audit-key-0123456789abcdef0123456789"
STATES = ("FR", "DE", "NL")


def _setup(folder: Path):
    from atlas_coord.cli import upgrade_database
    from atlas_coord.config import load_settings
    from atlas_coord.db import Database
    from atlas_coord.services import duty
    from atlas_coord.services.audit_chain import AuditAnchor, use_default_anchor
    from atlas_coord.services.seed import seed_demo_accounts, seed_directory
    from tests.factories import roster_csv
    from tests.relays import SmtpRelay

    use_default_anchor(AuditAnchor(keys={"bench": AUDIT_KEY.encode()}, current_key_id="bench"))
    url = os.environ.get("ATLAS_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    upgrade_database(url)
    relay = SmtpRelay(folder).start()
    settings = load_settings({"database": {"url": url}, "server": {"secret_key": "bench-secret-key"},
                              "scheduler": {"embedded": False},
                              "audit": {"hmac_keys": {"bench": AUDIT_KEY}, "current_key_id": "bench",
                                        "witness_path": str(folder / "witness.jsonl")},
                              "alerts": {**relay.settings(), "retry_base_seconds": 1}}, environ={})
    database = Database(url)
    with database.transaction() as session:
        seed_directory(session)
        seed_demo_accounts(session, PASSWORD)
    for code in STATES:
        low = code.lower()
        with database.transaction() as session:
            duty.import_csv(session, None, f"ca-{code}", roster_csv(
                f"demo-ca-{low}", primary_contacts=(("email", f"ca-{low}@duty.example"),)))
    return url, settings, database, relay


RETRIES = Counter()


def _submit(database, addressees: list[str]) -> tuple[int, float]:
    """Raise and submit a request as Belgium; returns its id and the monotonic time after commit.
    SQLite has one writer: a submission that waited out the busy timeout behind the others (a
    503 with Retry-After for an API client) is retried, and counted."""
    from sqlalchemy.exc import OperationalError

    from atlas_coord.services import requests
    from atlas_coord.services.requests.commands import RequestCreate
    from tests.factories import actor_named, request_payload

    for _attempt in range(30):
        try:
            with database.transaction() as session:
                actor = actor_named(session, "demo-cc-be")
                request_id = requests.raise_request(session, actor, RequestCreate.model_validate(
                    request_payload(addressees=addressees))).id
            return request_id, time.monotonic()
        except OperationalError:
            RETRIES["submit"] += 1
            time.sleep(0.5)
    raise RuntimeError("the database stayed locked for 30 attempts")


def _wait_for(relay, predicate, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    with relay.inbox.arrived:
        while True:
            found = [m for m in relay.inbox.messages if predicate(m)]
            if found or time.monotonic() > deadline:
                return found
            relay.inbox.arrived.wait(0.05)


def latency(database, settings, relay, runs: int) -> list[float]:
    from atlas_coord.scheduler.alerting import AlertDispatcher

    dispatcher = AlertDispatcher(database, settings).start()
    figures = []
    try:
        _submit(database, ["FR"])  # warm-up: the ranking's data, the first TLS handshake
        time.sleep(1.0)
        for _ in range(runs):
            request_id, committed = _submit(database, ["FR"])
            found = _wait_for(relay, lambda m, r=request_id: f"REQ-{r}:" in m["subject"], 30)
            figures.append((found[0]["at"] - committed) * 1000 if found else float("inf"))
    finally:
        dispatcher.stop()
    return figures


def burst(url, settings, relay, count: int) -> dict[str, int]:
    from atlas_coord.db import Database
    from atlas_coord.scheduler.alerting import AlertDispatcher, run_alerts

    before = len(relay.messages)
    engines = [Database(url) for _ in range(3)]
    dispatchers = [AlertDispatcher(engines[i], settings).start() for i in range(2)]
    stop = threading.Event()

    def sweep():
        while not stop.is_set():
            run_alerts(engines[2], settings, worker="scheduler")
            stop.wait(10.0)  # the scheduler's sweep (every 30 s by default)

    sweeper = threading.Thread(target=sweep, daemon=True)
    sweeper.start()
    submitter = Database(url)
    with ThreadPoolExecutor(4) as pool:
        ids = [rid for rid, _ in pool.map(lambda _: _submit(submitter, list(STATES)), range(count))]
    expected = {(f"REQ-{rid}", f"ca-{code.lower()}@duty.example") for rid in ids for code in STATES}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(relay.messages) - before < len(expected):
        time.sleep(0.5)
    time.sleep(3.0)  # anything sent twice would arrive now
    stop.set()
    for dispatcher in dispatchers:
        dispatcher.stop()
    sweeper.join(10)
    got = Counter((m["subject"].split(":")[0].removeprefix("[ATLAS] "), m["to"][0]) for m in relay.messages[before:])
    for engine in [*engines, submitter]:
        engine.dispose()
    return {"alerts": len(expected), "delivered": sum(1 for key in expected if got[key] == 1),
            "dup": sum(1 for key in expected if got[key] > 1), "lost": sum(1 for key in expected if got[key] == 0)}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=int, default=30)
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="atlas-bench-alerts-"))
    try:
        url, settings, database, relay = _setup(folder)
        figures = latency(database, settings, relay, args.latency)
        p50, p99 = statistics.median(figures), _p(figures, 0.99)
        print(f"alerts commit_to_email runs={len(figures)} p50_ms={p50:.0f} p99_ms={p99:.0f} max_ms={max(figures):.0f}",
              flush=True)
        database.dispose()
        counts = burst(url, settings, relay, args.burst)
        print("alerts burst requests={} states=3 alerts={alerts} delivered={delivered} dup={dup} lost={lost} "
              "submit_retries={}".format(args.burst, RETRIES["submit"], **counts), flush=True)
        relay.stop()
        clean = counts["dup"] == 0 and counts["lost"] == 0 and counts["delivered"] == counts["alerts"]
        load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        print(f"goals: commit_to_email p99<=5s {'met' if p99 <= 5000 else 'NOT met'} ({p99 / 1000:.2f} s); "
              f"burst {args.burst}x3 delivered once, none twice, none lost {'met' if clean else 'NOT met'} "
              f"({counts['delivered']}/{counts['alerts']} once, dup={counts['dup']}, lost={counts['lost']}) "
              f"({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {load})", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
