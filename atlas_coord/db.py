"""Engine and session wiring for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite: WAL, foreign keys, and every transaction opened with ``BEGIN IMMEDIATE`` so that a
read-then-write cannot lose an update and ``FOR UPDATE`` (a no-op there) is never relied on.
PostgreSQL: psycopg 3; transactions that must be serialised take an advisory lock.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# Advisory-lock key that serialises appends to the audit chain and the event outbox, so that
# sequence numbers and hash links are assigned in commit order on PostgreSQL.
CHAIN_LOCK_KEY = 0x41544C4153  # "ATLAS"

# A pooled PostgreSQL connection idle this long is pinged before it is used (see make_engine).
PING_AFTER_IDLE_SECONDS = 1.0


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def _prepare_sqlite_file(url: sa.engine.URL) -> None:
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = sa.create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            # Let SQLAlchemy's "begin" event emit the BEGIN itself (pysqlite recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(connection):  # pragma: no cover - exercised by every test
            # A deferred BEGIN cannot upgrade its read lock while another writer is active and
            # fails with "database is locked"; IMMEDIATE takes the write lock up front.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
    _ping_connections_that_sat_idle(engine)
    return engine


def _ping_connections_that_sat_idle(engine: Engine) -> None:
    """Check a pooled connection with a round trip before it is used, as ``pool_pre_ping`` does,
    but only when it sat in the pool for :data:`PING_AFTER_IDLE_SECONDS` or more.

    ``pool_pre_ping`` pings at every checkout: one round trip more on every API call (the sign-in
    check's), and under load each round trip is one more wait for the GIL (issue #18,
    docs/performance.md). A connection returned a moment ago by a call that used it is alive
    unless the server went away in that moment; a restart of PostgreSQL takes longer than that,
    so every connection from before it is pinged and replaced. In the rare case left (a
    connection cut within the second, e.g. ``pg_terminate_backend``), the call that meets it gets
    the 503 of an unreachable database, and SQLAlchemy, seeing a disconnect, replaces every
    pooled connection before the next checkout.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _note_idle_since(_dbapi_connection, record, *_):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out a fresh one (up to three times).
            raise sa.exc.DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def lock_chain(session: Session) -> None:
    """Serialise audit/outbox appends until this transaction ends (no-op on SQLite,
    where BEGIN IMMEDIATE already serialises writers)."""
    if is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


class Database:
    """One engine and session factory per app (or per CLI / scheduler process)."""

    def __init__(self, url: str, *, pool_size: int = 5, session_info: dict | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        # ``session_info`` starts every session's ``info`` (the audit anchor: services/audit_chain.py).
        self.session_factory = sessionmaker(
            bind=self.engine, expire_on_commit=False, autoflush=True, info=dict(session_info or {})
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work for code outside a web request (CLI, scheduler, tests)."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        # A raw DBAPI connection: on SQLite it runs without the "BEGIN IMMEDIATE" of every
        # SQLAlchemy transaction, which would wait for the write lock held by the calling
        # request's own session (a signed-in /healthz then answered 503 after the busy timeout).
        try:
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                cursor.close()
            finally:
                connection.close()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def dispose(self) -> None:
        self.engine.dispose()
