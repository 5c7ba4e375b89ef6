"""The fault tests' harness: HTTP calls that never raise, live clients that follow the stream
across servers, the processes a test starts, and private Redis and PostgreSQL instances."""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from atlas_coord.models import AuditRecord, Event, ReadinessChange
from tests.conftest import DEMO_PASSWORD
from tests.realtime.servers import LiveClient, ServerProcess, free_port


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    """An HTTP answer (``status`` set) or a failure below HTTP (``error`` set: refused, reset...)."""

    status: int | None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: BaseException | None = None
    started: float = 0.0
    ended: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def call(method: str, url: str, token: str | None = None, body: dict | None = None, timeout: float = 15.0) -> Reply:
    """One HTTP call that never raises: an error status and a dead connection are both answers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status, headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw, status, headers = exc.read(), exc.code, dict(exc.headers)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException) else exc
        return Reply(None, error=reason, started=started, ended=time.monotonic())
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(status, parsed, headers, started=started, ended=time.monotonic())


def sign_in(base_url: str, username: str) -> str:
    reply = call("POST", f"{base_url}/api/v1/auth/token", body={"username": username, "password": DEMO_PASSWORD})
    assert reply.status == 200, (username, reply)
    return reply.body["token"]


def visible_events(base_url: str, token: str, after: int) -> list[dict]:
    """Every event after ``after`` that this user may see, through the REST catch-up (all pages)."""
    items: list[dict] = []
    while True:
        reply = call("GET", f"{base_url}/api/v1/events?after={after}&limit=1000", token)
        assert reply.status == 200, reply
        items.extend(reply.body["items"])
        if not reply.body["items"] or reply.body["last_seq"] <= after:
            return items
        after = reply.body["last_seq"]
        if len(reply.body["items"]) < 1000:
            return items


def newest_seq(base_url: str, token: str) -> int:
    """The newest seq in the outbox, as the REST catch-up tells an observer (its last page's
    ``last_seq``)."""
    after = 0
    while True:
        reply = call("GET", f"{base_url}/api/v1/events?after={after}&limit=1000", token)
        assert reply.status == 200, reply
        if len(reply.body["items"]) < 1000:
            return reply.body["last_seq"]
        after = reply.body["last_seq"]


# -- writers and what they left in the database -----------------------------------------------


class Commander(threading.Thread):
    """Changes one unit's readiness over and over through one server; keeps every answer."""

    def __init__(self, url: str, token: str, unit: int, tag: str) -> None:
        super().__init__(name=f"commander-{tag}", daemon=True)
        self.url, self.token, self.unit, self.tag = url, token, unit, tag
        self.replies: list[tuple[str, Reply]] = []  # (reason, answer)
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            n += 1
            reason = f"{self.tag}-{n}"
            status = ("LIMITED", "READY")[n % 2]
            reply = call("PUT", f"{self.url}/api/v1/units/{self.unit}/readiness", self.token,
                         {"status": status, "reason": reason}, timeout=20)
            self.replies.append((reason, reply))
            self.halt.wait(0.05 if reply.status is not None else 0.2)

    def confirmed(self, since: float = 0.0) -> list[str]:
        return [reason for reason, reply in list(self.replies) if reply.ok and reply.started >= since]

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        assert not self.is_alive(), f"{self.name} is stuck"


def readiness_rows(database) -> dict[str, dict[str, int]]:
    """For each readiness reason: how many history rows, outbox events and audit records carry it."""
    counts: dict[str, dict[str, int]] = {}

    def bump(reason, kind):
        if reason:
            counts.setdefault(reason, {"history": 0, "event": 0, "audit": 0})[kind] += 1

    with database.transaction() as session:
        for reason in session.scalars(sa.select(ReadinessChange.reason)):
            bump(reason, "history")
        for data in session.scalars(sa.select(Event.data).where(Event.type == "readiness.changed")):
            bump(data["readiness"]["reason"], "event")
        for after in session.scalars(sa.select(AuditRecord.after).where(AuditRecord.action == "unit.readiness")):
            bump((after or {}).get("reason"), "audit")
    return counts


# -- live clients that follow the stream across servers -----------------------------------------


class Follower:
    """A user's live view: one LiveClient at a time; on a new server it connects with
    ``after`` = the last seq it has seen, as a real client reconnecting elsewhere does."""

    def __init__(self, name: str, token: str) -> None:
        self.name = name
        self.token = token
        self.client: LiveClient | None = None
        self.events: list[dict] = []  # every live event received, across connections, in order
        self.readies: list[dict] = []
        self.first_position: int | None = None

    def connect(self, url: str, *, resume: bool = False, timeout: float = 20.0) -> dict:
        self.pump()
        if self.client is not None:
            self.client.close()
        after = self.position if resume else None
        self.client = LiveClient(url, token=self.token, after=after)
        self.client.connect()
        ready = self.client.wait_for("ready", timeout=timeout)
        self.events.extend(self.client.events())
        self.readies.append(ready)
        if self.first_position is None:
            self.first_position = ready["last_seq"]
        return ready

    @property
    def position(self) -> int:
        """The last seq this user has seen (the ``after`` to send when reconnecting)."""
        candidates = [self.readies[-1]["last_seq"]] if self.readies else [0]
        if self.events:
            candidates.append(self.events[-1]["seq"])
        return max(candidates)

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.sio.connected

    def pump(self) -> None:
        """Take in whatever the current connection has received."""
        if self.client is None:
            return
        while True:
            try:
                event, data = self.client.next(0)
            except Exception:  # noqa: BLE001 - queue.Empty
                return
            if event == "event":
                self.events.append(data)
            elif event == "ready":
                self.readies.append(data)

    def reached(self, seq: int) -> bool:
        self.pump()
        return self.position >= seq

    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.events]

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close()


# -- processes ----------------------------------------------------------------------------------


class Processes:
    """Everything a test started; :meth:`cleanup` kills what is still running."""

    def __init__(self) -> None:
        self.servers: list[ServerProcess] = []
        self.followers: list[Follower] = []
        self.finalizers: list = []

    def server(self, env: dict[str, str], log_path: Path) -> ServerProcess:
        server = ServerProcess(env, log_path)
        self.servers.append(server)
        return server

    def follower(self, name: str, token: str) -> Follower:
        follower = Follower(name, token)
        self.followers.append(follower)
        return follower

    def cleanup(self) -> None:
        for follower in self.followers:
            follower.close()
        for server in self.servers:
            stop_quickly(server)
        for finalizer in reversed(self.finalizers):
            with contextlib.suppress(Exception):
                finalizer()


def stop_quickly(server: ServerProcess) -> None:
    """SIGTERM with a short grace, then SIGKILL (a test's servers hold nothing worth waiting for)."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    with contextlib.suppress(Exception):
        server._log.close()


def server_logs(processes: Processes) -> str:
    return "\n".join(f"--- {server.log_path.name} ---\n{server.log()}" for server in processes.servers)





def server_config(tmp_path: Path, **realtime: Any) -> Path:
    """A config file: a private pub/sub channel (and login-limit keys) per test, short heartbeat."""
    channel = f"atlas-faults-{uuid.uuid4().hex[:12]}"
    lines = ["[realtime]", f'channel = "{channel}"', "ping_interval_seconds = 5"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in realtime.items()]
    lines += ["[auth]", 'login_rate_limit = "1000 per minute"', "[server]", "shutdown_grace_seconds = 2"]
    path = tmp_path / "atlas.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def server_env(config: Path, db_url: str, redis_url: str | None) -> dict[str, str]:
    return {
        "ATLAS_CONFIG": str(config),
        "ATLAS_DATABASE_URL": db_url,
        "ATLAS_REDIS_URL": redis_url or "",  # empty: no Redis, whatever the environment says
        "ATLAS_SECRET_KEY": secrets.token_hex(16),
    }


def channel_of(config: Path) -> str:
    import tomllib

    return tomllib.loads(config.read_text(encoding="utf-8"))["realtime"]["channel"]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# -- a private Redis ----------------------------------------------------------------------------


class PrivateRedis:
    """``redis-server`` on a free loopback port, in memory only; can be killed and started again
    on the same port."""

    def __init__(self, binary: str, log_dir: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 20.0) -> None:
        self.starts += 1
        log = open(self.log_dir / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.log_dir)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(lambda: self.ping() or self._died(), timeout, f"private Redis answering on {self.port}")
        assert self.process.poll() is None, (self.log_dir / f"redis-{self.starts}.log").read_text(errors="replace")

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def ping(self) -> bool:
        return self.command("PING") in (True, "PONG")

    def command(self, *args: str) -> Any:
        import redis

        try:
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, decode_responses=True)
            try:
                return client.execute_command(*args)
            finally:
                client.close()
        except redis.RedisError:
            return None

    def subscribers(self, channel: str) -> int:
        answer = self.command("PUBSUB", "NUMSUB", channel)
        return int(answer[1]) if answer else 0

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_until(lambda: not port_open(self.port), 10, "the private Redis port closed")





# -- a private PostgreSQL cluster ---------------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throw-away cluster (initdb) on a free loopback port in a temporary folder; as root its
    commands run as the ``postgres`` user. :meth:`stop` (immediate: like a crash) and
    :meth:`start` keep the data and the port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="atlas-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/atlas"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        import sqlalchemy as sa

        engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql('CREATE DATABASE "atlas"')
        engine.dispose()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
