"""``python -m benchmarks.profile_endpoints``: the hot endpoints of issue #18, each called in-process
(Flask's test client, one thread) against a fresh PostgreSQL database seeded like the load test's
(the demo directory, 200 operator accounts, ``--requests`` assistance requests already raised).

Prints, per endpoint, per call: the thread's CPU time, SQL statements, their time, time waiting
for the pool (and pre-ping) and in lock statements, and the after-commit emit — figures that do
not depend on how busy the shared machine is (wall time does). ``--cprofile NAME`` prints the
functions where that endpoint's CPU goes. Needs PostgreSQL (``ATLAS_LOADTEST_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.loadtest import profiled_server as measure
from benchmarks.loadtest import stack as layout


def in_hours(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def request_body(rng: random.Random, state: str, others: list[str], site: list[float]) -> dict:
    return {
        "crisis": {"type": "hostage_taking", "site": {"lat": site[0] + rng.uniform(-0.3, 0.3), "lon": site[1]},
                   "place_name": "Profile site", "started_at": in_hours(-0.5), "exercise": True,
                   "description": "Profiling: armed suspects holding people in a building.",
                   "classification": "RESTREINT UE/EU RESTRICTED"},
        "kinds": ["ACTION_ARMED", "EXPERTISE"],
        "operational_necessity": "The national unit is committed elsewhere; specialists are needed at once.",
        "requirements": [{"code": "NEG", "quantity": 1, "min_level": "limited"}],
        "needed_by": in_hours(6), "duration_hours": 48, "addressees": rng.sample(others, 2),
        "answer_deadline": in_hours(1), "submit": True,
    }


class Bench:
    def __init__(self, args, stack: layout.Stack) -> None:
        database_url = layout.create_database(stack)
        env, _channel = layout.server_env(stack, database_url)
        env["ATLAS_REDIS_URL"] = ""  # in-process: no message queue; the emitter still runs after commit
        self.password = "pf-" + os.urandom(9).hex()
        layout.atlas_coord(["db", "upgrade"], env)
        layout.atlas_coord(["seed", "--demo"], {**env, "ATLAS_DEMO_PASSWORD": self.password})
        self.data = layout.directory(database_url)
        accounts = layout.plan_accounts(self.data, {"cc": 40, "ca": 50, "cmd": 70, "obs": 40})
        layout.create_accounts(database_url, accounts, self.password, env)
        os.environ.update(env)
        os.environ.setdefault("ATLAS_LOG_LEVEL", "WARNING")
        measure._install_sql_timing()
        measure._install_emit_timing()
        from atlas_coord import create_app

        self.app = create_app()
        self.app.wsgi_app = measure.Measured(self.app.wsgi_app)
        self.client = self.app.test_client()
        self.rng = random.Random(args.seed)
        self.accounts = {a.role: [] for a in accounts}
        for account in accounts:
            self.accounts[account.role].append(account)
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            reply = self.client.post("/api/v1/auth/token", json={"username": username, "password": self.password})
            assert reply.status_code == 200, reply.get_json()
            self.tokens[username] = reply.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, method: str, path: str, user: str, body: dict | None = None, ok=(200, 201)) -> dict:
        reply = self.client.open(path, method=method, json=body, headers=self.token(user))
        assert reply.status_code in ok, (method, path, reply.status_code, reply.get_json())
        return reply.get_json()

    def raise_one(self) -> dict:
        account = self.rng.choice(self.accounts["cc"])
        others = [s for s in self.data["states"] if s != account.state]
        site = next(([u["lat"], u["lon"]] for u in self.data["units"] if u["state"] == account.state), [50.0, 4.0])
        raised = self.call("POST", "/api/v1/requests", account.username, request_body(self.rng, account.state, others, site))
        self.last_raised = raised["id"]
        return raised

    def scenarios(self) -> dict[str, Callable[[], None]]:
        ca = self.rng.choice(self.accounts["ca"])
        cmd = self.accounts["cmd"][0]
        obs = self.accounts["obs"][0]
        readiness = iter(["LIMITED", "READY"] * 10_000)

        def seen() -> None:
            for summary in self.call("GET", "/api/v1/requests?per_page=50", ca.username)["items"]:
                if ca.state in summary["addressed_states"]:
                    self.call("POST", f"/api/v1/requests/{summary['id']}/seen", ca.username, {})
                    return

        def set_readiness() -> None:
            unit = self.call("GET", f"/api/v1/units/{cmd.unit_id}", cmd.username)
            self.call("PUT", f"/api/v1/units/{cmd.unit_id}/readiness", cmd.username,
                      {"status": next(readiness), "reason": "Shift report", "expected_version": unit["version"]}, ok=(200, 409))

        return {
            "sign-in": lambda: self.client.post("/api/v1/auth/token", json={
                "username": self.rng.choice(self.accounts["cmd"]).username, "password": self.password}),
            # the smallest call: what every call pays (HTTP, sign-in check, transaction, logging)
            "states (floor)": lambda: self.call("GET", "/api/v1/states", obs.username),
            "list (crisis centre)": lambda: self.call("GET", "/api/v1/requests?per_page=20", self.accounts["cc"][0].username),
            "list (observer)": lambda: self.call("GET", "/api/v1/requests?per_page=20", obs.username),
            "raise": self.raise_one,
            "detail": lambda: self.call("GET", f"/api/v1/requests/{self.last_raised}", self.accounts["obs"][0].username),
            "readiness": set_readiness,
            "seen": seen,
            "match": lambda: self.call("POST", "/api/v1/match", self.accounts["cc"][0].username, {
                "site": {"lat": 50.8, "lon": 4.4}, "requesting_state": self.accounts["cc"][0].state,
                "requirements": [{"code": "NEG", "quantity": 1}], "limit": 10}),
        }


def report(before: dict, after: dict, calls: int) -> str:
    spent = {}
    for key, totals in after.items():
        previous = before.get(key, dict.fromkeys(totals, 0.0))
        for name, value in totals.items():
            spent[name] = spent.get(name, 0.0) + value - previous.get(name, 0.0)
    n = calls or 1
    return (f"cpu {spent['cpu_ms'] / n:6.1f} ms  sql {spent['sql_n'] / n:5.1f} ({spent['sql_ms'] / n:5.1f} ms)  "
            f"pool {spent['pool_ms'] / n:4.1f} ms  lock {spent['lock_ms'] / n:4.1f} ms  held {spent.get('hold_ms', 0) / n:5.1f} ms  "
            f"emit {spent['emit_ms'] / n:4.1f} ms  "
            f"wall {spent['wall_ms'] / n:6.1f} ms  http calls/op {spent['calls'] / n:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_endpoints", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=150, help="requests raised before measuring")
    parser.add_argument("--calls", type=int, default=30, help="calls measured per endpoint")
    parser.add_argument("--cprofile", default=None, help="print the top functions of this scenario")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"],
                        help="order of --cprofile's functions: with their callees, or their own time")
    parser.add_argument("--only", default=None, help="measure this scenario alone")
    parser.add_argument("--seed", default="atlas-profile")
    args = parser.parse_args(argv)
    stack = layout.Stack(Path(tempfile.mkdtemp(prefix="atlas-profile-")))
    try:
        bench = Bench(args, stack)
        for _ in range(args.requests):
            bench.raise_one()
        scenarios = bench.scenarios()
        for scenario in scenarios.values():  # warm: first-call imports, caches, tokens
            scenario()
        print(f"profile: {args.calls} calls each, {args.requests} requests raised before; load average "
              f"{os.getloadavg()[0]:.1f}")
        for name, scenario in scenarios.items():
            if args.only and name != args.only:
                continue
            # The thread's CPU clock: where the CPU goes, not the waits for PostgreSQL.
            profiler = cProfile.Profile(time.thread_time) if name == args.cprofile else None
            before = measure.snapshot()["endpoints"]
            if profiler:
                profiler.enable()
            for _ in range(args.calls):
                scenario()
            if profiler:
                profiler.disable()
            print(f"  {name:<22} {report(before, measure.snapshot()['endpoints'], args.calls)}")
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(40)
                print(out.getvalue())
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
