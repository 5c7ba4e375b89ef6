"""A pooled PostgreSQL connection is pinged before use only when it sat idle (issue #18): a call
that follows another on the same connection costs no round trip more, and a connection whose
server end went away while it sat in the pool is replaced before a call meets it."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from atlas_coord import db


@pytest.fixture
def engine(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the pool's ping is PostgreSQL's (SQLite has no server end to lose)")
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    seen: list[object] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_back_to_back_calls_reuse_the_connection_without_a_ping(engine, pings):
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_a_connection_killed_while_idle_is_replaced_before_a_call_meets_it(engine, pings, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.2)
    killed = backend_pid(engine)
    operator = sa.create_engine(engine.url)  # another client, as an operator's psql would be
    with operator.connect() as admin:
        assert admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": killed}).scalar_one()
    operator.dispose()
    time.sleep(0.3)
    replacement = backend_pid(engine)  # no error reaches the caller
    assert replacement != killed
    assert len(pings) == 1
