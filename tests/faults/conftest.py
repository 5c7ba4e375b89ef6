"""Fault tests: real server processes, real clients, and a process or a service killed under them.

Every process a test starts is registered with :class:`~tests.faults.harness.Processes` and
killed at the end, pass or fail. Redis and PostgreSQL are private instances on free ports (never
the shared services on 6379 and 5432), so stopping them disturbs nothing else. Waiting is always
a poll with a deadline.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import DEMO_PASSWORD, require_or_skip

from .harness import PrivatePostgres, PrivateRedis, Processes, _postgres_bin


def pytest_configure(config):
    # Until pyproject.toml registers it (see the faults report); --strict-markers needs it.
    config.addinivalue_line("markers", "faults: kills a server, Redis or PostgreSQL under real traffic")


@pytest.fixture(autouse=True)
def _fast_client_close(monkeypatch):
    """websocket-client waits up to 3 s for a close frame its own reader has usually consumed."""
    import websocket

    original = websocket.WebSocket.close

    def close(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=0.2):
        return original(self, status, reason, timeout)

    monkeypatch.setattr(websocket.WebSocket, "close", close)


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.cleanup()


@pytest.fixture
def private_redis(tmp_path, processes):
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    require_or_skip(binary is not None, "redis-server binary")
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    server = PrivateRedis(binary, redis_dir)
    processes.finalizers.append(server.kill)
    server.start()
    return server


@pytest.fixture
def private_postgres(processes):
    """A migrated, seeded database in a private cluster; removed at the end."""
    bindir = _postgres_bin()
    usable = bindir is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)
    if usable and os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            usable = False
    require_or_skip(usable, "PostgreSQL server binaries (initdb, pg_ctl) and a postgres user")
    cluster = PrivatePostgres(bindir)
    processes.finalizers.append(cluster.destroy)
    cluster.init()
    from atlas_coord.cli import upgrade_database
    from atlas_coord.db import Database
    from atlas_coord.services.seed import seed_demo_accounts, seed_directory

    upgrade_database(cluster.url)
    database = Database(cluster.url)
    try:
        with database.transaction() as session:
            seed_directory(session)
            seed_demo_accounts(session, DEMO_PASSWORD)
    finally:
        database.dispose()
    return cluster


@pytest.fixture
def quiet_emitters():
    """This process's outbox emitters (left by earlier in-process apps) are off during the test:
    an event committed here reaches clients only through the servers' own catch-up."""
    from atlas_coord.services import events

    saved = list(events._emitters)
    events._emitters.clear()
    yield
    events._emitters[:] = saved
