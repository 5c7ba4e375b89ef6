"""Fixtures for the live layer: the app served for real on loopback, and client factories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.models import User
from atlas_coord.services import accounts
from atlas_coord.services import requests as requests_service
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


def raise_request(database, username: str, addressees: list[str]) -> int:
    """A real request raised and submitted by ``username`` (a crisis centre) to ``addressees``."""
    from atlas_coord.services.requests.commands import RequestCreate

    now = datetime.now(UTC)
    body = RequestCreate.model_validate(
        {
            "crisis": {
                "type": "hostage_taking",
                "site": {"lat": 50.85, "lon": 4.35},
                "place_name": "Brussels",
                "started_at": (now - timedelta(hours=1)).isoformat(),
                "description": "Hostages held in an office building (exercise data)",
                "classification": "RESTREINT UE",
                "exercise": True,
            },
            "kinds": ["EXPERTISE"],
            "operational_necessity": "Negotiators with Dutch and French are needed at once",
            "needed_by": (now + timedelta(hours=6)).isoformat(),
            "duration_hours": 24,
            "addressees": addressees,
            "answer_deadline": (now + timedelta(hours=2)).isoformat(),
            "submit": True,
        }
    )
    with database.transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        return requests_service.raise_request(session, accounts.actor_for(session, user), body).id


@pytest.fixture
def fr_gign(database):
    # A short transaction: on SQLite an open one would hold the write lock for the whole test.
    with database.transaction() as session:
        return unit_id(session, "fr-gign")


def set_readiness(api, unit: int, status: str = "LIMITED", user: str = "demo-cmd-fr", reason: str = "test change"):
    response = api.put(f"/api/v1/units/{unit}/readiness", user, json={"status": status, "reason": reason})
    assert response.status_code == 200, response.get_json()
    return response.get_json()
