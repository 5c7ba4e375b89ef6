"""The layout under test: a fresh PostgreSQL database, the Redis message queue, operator accounts
and two ``atlas-coord serve`` processes; every piece registers its own undo with :class:`Stack`.

Server processes, the HTTP helper and the catch-up paging come from the test harnesses
(``tests/realtime/servers.py``, ``tests/faults/harness.py``), as the fan-out benchmark does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("ATLAS_LOADTEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ATLAS_LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Many operators sign in from 127.0.0.1 within seconds; the default (10 per minute) would refuse them.
LOGIN_RATE_LIMIT = "100000 per minute"


class SetupError(RuntimeError):
    """A service is missing or a setup step failed; the message says which."""


@dataclass
class Stack:
    """What a run started or created, undone in reverse order by :meth:`close` (idempotent)."""

    workdir: Path
    undo: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def on_close(self, what: str, action: Callable[[], Any]) -> None:
        self.undo.append((what, action))

    def close(self) -> None:
        while self.undo:
            what, action = self.undo.pop()
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - undo everything else regardless
                self.notes.append(f"cleanup: {what} failed: {exc!r}")


# -- services ----------------------------------------------------------------------------------


def check_services() -> None:
    """PostgreSQL and Redis answer on loopback, or a SetupError naming the missing one."""
    import redis
    import sqlalchemy as sa

    from atlas_coord.db import normalise_url

    try:
        engine = sa.create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        raise SetupError(f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc.__class__.__name__}); "
                         "set ATLAS_LOADTEST_POSTGRES_URL") from None
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        raise SetupError(f"Redis is not reachable at {REDIS_URL} ({exc.__class__.__name__}); "
                         "set ATLAS_LOADTEST_REDIS_URL") from None


def _as_admin(statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    import sqlalchemy as sa

    from atlas_coord.db import normalise_url

    engine = sa.create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def create_database(stack: Stack) -> str:
    """A fresh, empty database ``atlas_loadtest_<random>``; dropped (FORCE) when the stack closes."""
    name = f"atlas_loadtest_{uuid.uuid4().hex[:10]}"
    _as_admin(f'CREATE DATABASE "{name}"')
    stack.on_close(f"drop database {name}", lambda: _as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()


def flush_redis(stack: Stack, channel: str) -> None:
    """Empty the run's Redis database now and again at the end (the login-limit counters live
    there; pub/sub, which ignores database numbers, is isolated by the run's own channel)."""
    import redis

    def flush() -> None:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            client.flushdb()
        finally:
            client.close()

    flush()
    stack.on_close("flush Redis", flush)


def atlas_coord(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run the ``atlas-coord`` command of this venv (as an operator would) and return its output."""
    script = Path(sys.executable).with_name("atlas-coord")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "atlas_coord.cli"]
    result = subprocess.run([*command, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SetupError(f"atlas-coord {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


# -- accounts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    role: str  # cc, ca, cmd, obs
    state: str | None = None
    unit_id: int | None = None


def directory(database_url: str) -> dict[str, Any]:
    """States, units (id, key, state, base) and capability codes of the seeded directory."""
    import sqlalchemy as sa

    from atlas_coord.db import Database
    from atlas_coord.models import Capability, State, Unit

    database = Database(database_url)
    try:
        with database.transaction() as session:
            states = list(session.scalars(sa.select(State.code).order_by(State.code)))
            units = [
                {"id": u.id, "key": u.key, "state": u.state_code, "lat": u.lat, "lon": u.lon,
                 "capabilities": sorted(c.capability_code for c in u.capabilities)}
                for u in session.scalars(sa.select(Unit).order_by(Unit.id))
            ]
            capabilities = list(session.scalars(sa.select(Capability.code).order_by(Capability.code)))
    finally:
        database.dispose()
    return {"states": states, "units": units, "capabilities": capabilities}


def plan_accounts(data: dict[str, Any], counts: dict[str, int]) -> list[Account]:
    """One account per operator: crisis centres and competent authorities spread over every
    state, commanders over every unit (two duty officers for some units), observers."""
    states, units = data["states"], data["units"]
    accounts: list[Account] = []
    for role in ("cc", "ca"):
        for i in range(counts[role]):
            state = states[i % len(states)]
            accounts.append(Account(f"lt-{role}-{state.lower()}-{i // len(states) + 1}", role, state=state))
    for i in range(counts["cmd"]):
        unit = units[i % len(units)]
        accounts.append(Account(f"lt-cmd-{unit['key']}-{i // len(units) + 1}", "cmd", state=unit["state"],
                                unit_id=unit["id"]))
    accounts += [Account(f"lt-obs-{i + 1}", "obs") for i in range(counts["obs"])]
    return accounts


GRANTS = {"cc": "crisis_centre:{state}", "ca": "competent_authority:{state}", "cmd": "unit_commander:{unit_id}",
          "obs": "observer"}


def audit_anchor(env: dict[str, str]):
    """The audit chain's anchor of the run (its key from ``ATLAS_AUDIT_KEYS``): the accounts created
    here are sealed with the servers' key, whatever default anchor the test helpers installed."""
    from atlas_coord.services.audit_chain import ANCHOR_INFO_KEY, AuditAnchor

    key_id, _, secret = env["ATLAS_AUDIT_KEYS"].partition(":")
    anchor = AuditAnchor(keys={key_id: secret.encode()}, current_key_id=key_id,
                         witness_path=Path(env["ATLAS_AUDIT_WITNESS_PATH"]))
    return {ANCHOR_INFO_KEY: anchor}


def create_accounts(database_url: str, accounts: list[Account], password: str, env: dict[str, str]) -> None:
    """Create the accounts with the same service as ``atlas-coord user add``, in one transaction.

    All share one password, so it is hashed once (argon2 takes ~0.15 s per hash here; 200 of them
    would be half a minute of setup): the service's hasher is memoised for this call only.
    """
    from atlas_coord.db import Database
    from atlas_coord.services import accounts as service

    digest = service.hash_password(password)
    original = service.hash_password
    service.hash_password = lambda value: digest if value == password else original(value)
    database = Database(database_url, session_info=audit_anchor(env))
    try:
        with database.transaction() as session:
            for account in accounts:
                grant = GRANTS[account.role].format(state=account.state, unit_id=account.unit_id)
                # Synthetic accounts like the demo ones: exempt from the second factor, so that
                # virtual users sign in with a password alone.
                service.create_user(session, None, username=account.username, password=password,
                                    grants=[service.GrantSpec.parse(grant)], display_name=f"{account.username} (load test)",
                                    is_demo=True)
    finally:
        service.hash_password = original
        database.dispose()


def newest_event_seq(database_url: str) -> int:
    import sqlalchemy as sa

    from atlas_coord.db import Database
    from atlas_coord.models import Event

    database = Database(database_url)
    try:
        with database.transaction() as session:
            return session.scalar(sa.select(sa.func.max(Event.seq))) or 0
    finally:
        database.dispose()


def outbox_check(database_url: str) -> dict[str, int]:
    """The outbox after the run: events, and gaps in ``seq`` (must be none: seq is gap-free)."""
    import sqlalchemy as sa

    from atlas_coord.db import Database
    from atlas_coord.models import Event

    database = Database(database_url)
    try:
        with database.transaction() as session:
            count, low, high = session.execute(
                sa.select(sa.func.count(), sa.func.min(Event.seq), sa.func.max(Event.seq))).one()
    finally:
        database.dispose()
    return {"events": count or 0, "seq_gaps": ((high - low + 1) - count) if count else 0, "newest": high or 0}


# -- servers -----------------------------------------------------------------------------------


def server_env(stack: Stack, database_url: str) -> tuple[dict[str, str], str]:
    """The environment of every server process (and of the CLI steps): the production settings
    through ``ATLAS_*`` variables, plus a config file that only names a pub/sub channel of the run's
    own (``realtime.channel`` has no variable; pub/sub ignores Redis database numbers, so two runs
    or a developer's server on the same Redis would otherwise hear each other)."""
    channel = f"atlas-loadtest-{uuid.uuid4().hex[:10]}"
    config = stack.workdir / "atlas.toml"
    # No coverage table built at start-up: its seconds of CPU would fall inside the measured load.
    config.write_text(f'[realtime]\nchannel = "{channel}"\n[coverage]\nprewarm = false\n', encoding="utf-8")
    from tests.faults.harness import server_env as production_env

    # The audit chain's key and witness of this run (servers and CLI steps share this one env).
    audit = {"ATLAS_AUDIT_KEYS": f"loadtest:{secrets.token_hex(32)}",
             "ATLAS_AUDIT_WITNESS_PATH": str(stack.workdir / "audit-witness.jsonl")}
    # At most 4 API calls per server at once (docs/performance.md, item 10), unless the caller's
    # environment says otherwise (ATLAS_MAX_CONCURRENT_CALLS=0: no limit).
    limit = {"ATLAS_MAX_CONCURRENT_CALLS": os.environ.get("ATLAS_MAX_CONCURRENT_CALLS", "4")}
    return {**production_env(config, database_url, REDIS_URL), "ATLAS_LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT,
            **audit, **limit}, channel


PROFILED_SERVE = ["-m", "benchmarks.loadtest.profiled_server", "serve", "--no-scheduler"]
# The Procfile's web process: gunicorn's threaded worker (benchmarks/loadtest/gunicorn_server.py).
GUNICORN_SERVE = ["-m", "benchmarks.loadtest.gunicorn_server"]


def profile_path(stack: Stack, index: int) -> Path:
    return stack.workdir / f"profile-{index + 1}.json"


def start_servers(stack: Stack, env: dict[str, str], count: int, *, profile: bool = False,
                  gunicorn: bool = True) -> list:
    """Server processes on free loopback ports, healthy: the Procfile's gunicorn web process, or
    with ``gunicorn=False`` ``atlas-coord serve --no-scheduler``; with ``profile`` the latter,
    each one accounting for its calls (benchmarks/loadtest/profiled_server.py)."""
    from tests.realtime.servers import ServerProcess

    servers = []
    for i in range(count):
        extra = {"ATLAS_PROFILE_OUT": str(profile_path(stack, i))} if profile else {}
        module_args = PROFILED_SERVE if profile else GUNICORN_SERVE if gunicorn else None
        server = ServerProcess({**env, **extra}, stack.workdir / f"server-{i + 1}.log", module_args=module_args)
        stack.on_close(f"stop server {i + 1}", lambda server=server: stop_family(server))
        servers.append(server)
    for server in servers:
        server.wait(timeout=60)
    return servers


def process_family(pid: int) -> list[int]:
    """``pid`` and its child processes: gunicorn serves from a worker forked by its master, and
    the CPU of both is the server's."""
    from benchmarks.bench_fanout import proc_stat

    children = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid, *(child for child in children if (proc_stat(child) or [None, None])[1] == str(pid))]


def stop_family(server) -> None:
    """Stop a server quickly, and any child its master left behind."""
    from tests.faults.harness import stop_quickly

    family = process_family(server.process.pid) if server.process.poll() is None else []
    stop_quickly(server)
    for pid in family[1:]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def sign_in_all(urls: list[str], usernames: list[str], password: str) -> dict[str, str]:
    """A bearer token per user name, signing in alternately on each server (a few at a time:
    each sign-in costs the server one argon2 verification)."""
    from tests.faults.harness import call

    def one(item: tuple[int, str]) -> tuple[str, str]:
        index, username = item
        reply = call("POST", f"{urls[index % len(urls)]}/api/v1/auth/token",
                     body={"username": username, "password": password}, timeout=60)
        if reply.status != 200:
            raise SetupError(f"sign-in of {username} failed: {reply.status} {reply.body or reply.error}")
        return username, reply.body["token"]

    with ThreadPoolExecutor(max_workers=2 * len(urls)) as pool:
        return dict(pool.map(one, enumerate(usernames)))


def terminate(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


def stop_servers(servers: list) -> None:
    """SIGTERM every server and wait for it to exit (a profiled one writes its last figures then)."""
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=15)
