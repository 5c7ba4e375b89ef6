"""Shared fixtures: a migrated, seeded template database copied per test (SQLite file or a
PostgreSQL database created from a template), the app, and signed-in API clients.

``ATLAS_TEST_DATABASE_URL`` selects PostgreSQL; unset means SQLite files in a temp folder.
With ``CI=true`` a missing service or browser fails the run instead of skipping.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import itertools
import os
import secrets
import shutil
import socket
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from atlas_coord.db import normalise_url

DEMO_PASSWORD = "demo-password-for-tests"
IN_CI = os.environ.get("CI") == "true"

# The audit chain's fixed test key: every test database (and every process a test starts, through
# the environment) seals with it. Witness files go to a private folder, never to instance/.
AUDIT_KEY_ID = "test"
AUDIT_KEY = "atlas-coord-audit-test-key-0123456789abcdef"
WITNESS_DIR = Path(tempfile.mkdtemp(prefix="atlas-witness-"))
atexit.register(shutil.rmtree, WITNESS_DIR, ignore_errors=True)
os.environ["ATLAS_AUDIT_KEYS"] = f"{AUDIT_KEY_ID}:{AUDIT_KEY}"
# The key that seals TOTP secrets, the same way (processes started by tests inherit it).
ENCRYPTION_KEY_ID = "test"
ENCRYPTION_KEY = "atlas-coord-encryption-test-key-0123456789"
os.environ["ATLAS_ENCRYPTION_KEYS"] = f"{ENCRYPTION_KEY_ID}:{ENCRYPTION_KEY}"
os.environ["ATLAS_AUDIT_WITNESS_PATH"] = str(WITNESS_DIR / "processes.jsonl")
# Servers a test starts do not build the whole coverage table at start-up (seconds of CPU each).
os.environ["ATLAS_COVERAGE_PREWARM"] = "false"


def _install_test_audit_key() -> None:
    from atlas_coord.services.audit_chain import AuditAnchor, use_default_anchor

    use_default_anchor(AuditAnchor(keys={AUDIT_KEY_ID: AUDIT_KEY.encode()}, current_key_id=AUDIT_KEY_ID))


_install_test_audit_key()


def witness_for(db_url: str) -> Path:
    """A witness file of the test database's own (checkpoints of another database would not match)."""
    tag = hashlib.sha256(db_url.encode()).hexdigest()[:12]
    return WITNESS_DIR / f"{urlsplit(db_url).path.rsplit('/', 1)[-1]}-{tag}.jsonl"


@contextlib.contextmanager
def behind_the_back(database):
    """A transaction that gets past the audit table's append-only trigger (PostgreSQL), as its
    owner or a superuser could: for tests that tamper with the trail."""
    with database.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        yield session


def audit_settings(db_url: str) -> dict:
    return {"hmac_keys": {AUDIT_KEY_ID: AUDIT_KEY}, "current_key_id": AUDIT_KEY_ID,
            "witness_path": str(witness_for(db_url))}


def require_or_skip(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI and is not available")
    pytest.skip(f"{what} not available")


class DatabaseServer:
    """Creates one migrated + seeded template, then a fresh copy of it for each test."""

    def __init__(self, tmp_dir: Path) -> None:
        self.postgres_url = os.environ.get("ATLAS_TEST_DATABASE_URL") or None
        self.tmp_dir = tmp_dir
        self.run_id = uuid.uuid4().hex[:8]
        self.counter = itertools.count(1)
        self.created: list[str] = []
        self.template_url = self._new_url("tpl")
        self._build_template()

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None

    def _admin_engine(self):
        return sa.create_engine(normalise_url(self.postgres_url), isolation_level="AUTOCOMMIT")

    def _new_url(self, suffix: str) -> str:
        if not self.is_postgres:
            return f"sqlite:///{self.tmp_dir / f'atlas-{suffix}.db'}"
        name = f"atlas_t_{self.run_id}_{suffix}"
        parts = urlsplit(self.postgres_url)
        return parts._replace(path=f"/{name}").geturl()

    def _db_name(self, url: str) -> str:
        return urlsplit(url).path.lstrip("/")

    def _build_template(self) -> None:
        from atlas_coord.cli import upgrade_database
        from atlas_coord.db import Database
        from atlas_coord.services.seed import seed_demo_accounts, seed_directory

        if self.is_postgres:
            engine = self._admin_engine()
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self._db_name(self.template_url)}"')
            engine.dispose()
            self.created.append(self.template_url)
        upgrade_database(self.template_url)
        database = Database(self.template_url)
        with database.transaction() as session:
            seed_directory(session)
            seed_demo_accounts(session, DEMO_PASSWORD)
        database.dispose()

    def fresh(self, *, empty: bool = False) -> str:
        url = self._new_url(str(next(self.counter)))
        if self.is_postgres:
            engine = self._admin_engine()
            with engine.connect() as conn:
                if empty:
                    conn.exec_driver_sql(f'CREATE DATABASE "{self._db_name(url)}"')
                else:
                    conn.exec_driver_sql(
                        f'CREATE DATABASE "{self._db_name(url)}" TEMPLATE "{self._db_name(self.template_url)}"'
                    )
            engine.dispose()
            self.created.append(url)
        elif not empty:
            source = Path(sa.engine.make_url(self.template_url).database)
            shutil.copyfile(source, sa.engine.make_url(url).database)
        return url

    def drop(self, url: str) -> None:
        if not self.is_postgres:
            path = Path(sa.engine.make_url(url).database)
            for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                candidate.unlink(missing_ok=True)
            return
        engine = self._admin_engine()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._db_name(url)}" WITH (FORCE)')
        engine.dispose()
        if url in self.created:
            self.created.remove(url)

    def close(self) -> None:
        for url in list(reversed(self.created)):
            self.drop(url)


@pytest.fixture(scope="session")
def database_server(tmp_path_factory):
    if os.environ.get("ATLAS_TEST_DATABASE_URL"):
        url = urlsplit(os.environ["ATLAS_TEST_DATABASE_URL"])
        require_or_skip(_port_open(url.hostname or "127.0.0.1", url.port or 5432), "PostgreSQL")
    server = DatabaseServer(tmp_path_factory.mktemp("db"))
    yield server
    server.close()


@pytest.fixture
def db_url(database_server):
    url = database_server.fresh()
    yield url
    database_server.drop(url)


@pytest.fixture
def database(db_url):
    from atlas_coord.db import Database

    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def session(database):
    """A session on the test's own database; tests commit through ``database.transaction()``."""
    s = database.session_factory()
    yield s
    s.rollback()
    s.close()


def app_settings(db_url: str, **overrides):
    from atlas_coord.config import load_settings

    base = {
        "testing": True,
        "database": {"url": db_url},
        "server": {"secret_key": secrets.token_hex(16)},
        "scheduler": {"embedded": False},
        "audit": audit_settings(db_url),
        # every 40th cell of the coverage grid (~60 cells): the map's matrix builds in a fraction of a second;
        # no build at start-up and no cache file unless a test asks for them
        "coverage": {"cell_stride": 40, "prewarm": False, "cache_dir": ""},
        "encryption": {"keys": {ENCRYPTION_KEY_ID: ENCRYPTION_KEY}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            base.setdefault(key, {}).update(value)
        else:
            base[key] = value
    return load_settings(base, environ={})


@pytest.fixture
def app(db_url):
    from atlas_coord import create_app

    application = create_app(app_settings(db_url))
    yield application
    application.extensions["atlas_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A test client that signs in demo users by name and sends their bearer token."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        if username not in self.tokens:
            response = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(path, method=method.upper(), headers=headers, **kwargs)

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.call("POST", path, user, **kw)

    def put(self, path, user=None, **kw):
        return self.call("PUT", path, user, **kw)

    def patch(self, path, user=None, **kw):
        return self.call("PATCH", path, user, **kw)

    def delete(self, path, user=None, **kw):
        return self.call("DELETE", path, user, **kw)


@pytest.fixture
def api(app):
    return Api(app)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("ATLAS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    require_or_skip(_port_open(parts.hostname or "127.0.0.1", parts.port or 6379), "Redis")
    return url
