"""Fixtures for the live layer: the app served for real on loopback, and client factories."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.factories import unit_id

from .servers import LiveClient, ThreadServer


@pytest.fixture(autouse=True)
def _fast_client_close(monkeypatch):
    """websocket-client waits up to 3 s for the server's close frame, which the client's own read
    thread has usually consumed already; a short wait keeps the suite fast."""
    import websocket

    original = websocket.WebSocket.close

    def close(self, status=websocket.STATUS_NORMAL, reason=b"", timeout=0.2):
        return original(self, status, reason, timeout)

    monkeypatch.setattr(websocket.WebSocket, "close", close)


@pytest.fixture
def live_server(app):
    """The test's app served by Werkzeug + simple-websocket (threading mode) on a free port."""
    with ThreadServer(app) as server:
        yield server


@pytest.fixture
def clients(live_server, api):
    """``clients("demo-ca-fr", after=12)`` → a connected LiveClient; all are closed at the end."""
    opened: list[LiveClient] = []

    def open_client(user: str | None, *, after: int | None = None, token: str | None = None, headers=None, wait_ready=True):
        client = LiveClient(
            live_server.url, token=token or (api.token(user) if user else None), after=after, headers=headers
        )
        opened.append(client)
        client.connect()
        if wait_ready:
            client.ready = client.wait_for("ready")
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def api_for():
    """Signed-in API clients for an app a test built itself."""
    return Api


@pytest.fixture
def synthetic_requests(monkeypatch):
    """Decide request visibility from the outbox alone, as the live layer does without the requests
    service; tests then publish a request's events directly with a realistic audience."""
    import atlas_coord.realtime.live as live_module
    import atlas_coord.realtime.rooms as rooms_module

    monkeypatch.setattr(rooms_module, "requests_service_function", lambda name: None)
    monkeypatch.setattr(live_module, "requests_service_function", lambda name: None)


@pytest.fixture
def fr_gign(database):
    # A short transaction: on SQLite an open one would hold the write lock for the whole test.
    with database.transaction() as session:
        return unit_id(session, "fr-gign")


def set_readiness(api, unit: int, status: str = "LIMITED", user: str = "demo-cmd-fr", reason: str = "test change"):
    response = api.put(f"/api/v1/units/{unit}/readiness", user, json={"status": status, "reason": reason})
    assert response.status_code == 200, response.get_json()
    return response.get_json()
