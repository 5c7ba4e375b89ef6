"""Ending a console session closes its live sockets at once: logout, the user revoking it, an admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.models import User, UserSession
from tests.conftest import DEMO_PASSWORD
from tests.realtime.test_live import refusal, wait_disconnected


def _console(app, username: str):
    browser = app.test_client()
    response = browser.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200
    return browser, response.get_json()["csrf_token"]


def _logout(app, browser, csrf, api):
    browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})


def _revoke_own(app, browser, csrf, api):
    [row] = browser.get("/api/v1/auth/sessions").get_json()["sessions"]
    browser.delete(f"/api/v1/auth/sessions/{row['id']}", headers={"X-CSRF-Token": csrf})


def _admin_revokes(app, browser, csrf, api):
    with app.extensions["atlas_db"].transaction() as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == "demo-cc-nl"))
    assert api.delete(f"/api/v1/users/{user_id}/sessions", "demo-admin").status_code == 200


def _password_changed_elsewhere(app, browser, csrf, api):
    other_browser, other_csrf = _console(app, "demo-cc-nl")
    changed = other_browser.post("/api/v1/auth/password", headers={"X-CSRF-Token": other_csrf},
                                 json={"current_password": DEMO_PASSWORD, "new_password": "a-brand-new-passphrase-42"})
    assert changed.status_code == 200 and changed.get_json()["sessions_ended"] == 1


@pytest.mark.parametrize("revoke", [_logout, _revoke_own, _admin_revokes, _password_changed_elsewhere],
                         ids=["logout", "own", "admin", "password"])
def test_ending_a_console_session_closes_its_socket_at_once(clients, live_server, app, api, revoke):
    browser, csrf = _console(app, "demo-cc-nl")
    cookie = browser.get_cookie("atlas_session").value
    socket = clients(None, headers={"Cookie": f"atlas_session={cookie}"})
    other = clients("demo-cc-de")
    assert socket.ready["user"] == "demo-cc-nl"

    revoke(app, browser, csrf, api)

    # No heartbeat sweep: the revocation's commit itself ends the socket.
    assert socket.wait_for("session_ended", timeout=1.0) == {"reason": "signed_out"}
    wait_disconnected(socket, timeout=1.0)
    assert other.sio.connected
    assert refusal(live_server.url, headers={"Cookie": f"atlas_session={cookie}"}) == {"message": "unauthenticated"}


def test_the_heartbeat_sweep_ends_a_socket_whose_session_idled_out(clients, app):
    browser, _csrf = _console(app, "demo-cc-nl")
    socket = clients(None, headers={"Cookie": f"atlas_session={browser.get_cookie('atlas_session').value}"})
    assert app.extensions["atlas_realtime"].end_lapsed_sessions() == []
    with app.extensions["atlas_db"].transaction() as session:
        row = session.scalar(sa.select(UserSession))
        row.last_seen_at -= timedelta(minutes=31)
    assert len(app.extensions["atlas_realtime"].end_lapsed_sessions()) == 1
    assert socket.wait_for("session_ended") == {"reason": "signed_out"}
