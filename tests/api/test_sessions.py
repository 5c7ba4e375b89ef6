"""Console sessions held on the server: logout, idle and absolute limits, a password change, and
listing and revoking one's own sessions and tokens (an admin: anyone's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from atlas_coord.config import ConfigError, load_settings
from atlas_coord.models import ApiToken, AuditRecord, User, UserSession, utcnow
from atlas_coord.services import accounts, sessions
from tests.conftest import DEMO_PASSWORD

ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"


class Console:
    """A browser signed in to the console: its cookie and CSRF token."""

    def __init__(self, app, username: str, user_agent: str = "pytest-browser/1.0") -> None:
        self.app = app
        self.browser = app.test_client()
        response = self.browser.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                                     headers={"User-Agent": user_agent})
        assert response.status_code == 200, response.get_json()
        self.csrf = response.get_json()["csrf_token"]
        self.cookie = self.browser.get_cookie("atlas_session").value

    def copy(self):
        """Another client carrying a copy of this cookie (as an attacker who copied it would)."""
        return CopiedCookie(self.app, self.cookie)

    def call(self, method: str, path: str):
        return self.browser.open(path, method=method, headers={"X-CSRF-Token": self.csrf})


class CopiedCookie:
    def __init__(self, app, cookie: str) -> None:
        self.client = app.test_client()
        self.client.set_cookie("atlas_session", cookie)

    def get(self, path: str):
        return self.client.get(path)


def _db(app):
    return app.extensions["atlas_db"]


def _user_id(app, username: str) -> int:
    with _db(app).transaction() as session:
        return session.scalar(sa.select(User.id).where(User.username == username))


def _shift_session(app, username: str, **changes: timedelta) -> None:
    """Move the user's session times into the past, as if that much time had gone by."""
    user_id = _user_id(app, username)
    with _db(app).transaction() as session:
        for row in session.scalars(sa.select(UserSession).where(UserSession.user_id == user_id)):
            for column, delta in changes.items():
                setattr(row, column, getattr(row, column) - delta)


def _audited(app, action: str) -> list[AuditRecord]:
    with _db(app).transaction() as session:
        return list(session.scalars(sa.select(AuditRecord).where(AuditRecord.action == action)))


def test_the_cookie_names_a_session_row_stored_only_as_a_hash(app):
    console = Console(app, "demo-cc-fr")
    with _db(app).transaction() as session:
        row = session.scalar(sa.select(UserSession))
        assert row.user_agent == "pytest-browser/1.0"
        assert row.address == "127.0.0.1"
        assert row.expires_at - row.created_at == timedelta(hours=12)
        assert len(row.id_hash) == 64
        assert row.id_hash not in console.cookie
    assert console.browser.get(ME).get_json()["auth"] == "session"


def test_a_cookie_copied_before_logout_is_refused_after_it(app):
    console = Console(app, "demo-cc-fr")
    copied = console.copy()
    assert copied.get(ME).status_code == 200
    assert console.call("POST", "/api/v1/auth/logout").status_code == 200
    assert copied.get(ME).status_code == 401
    assert console.browser.get(ME).status_code == 401
    [record] = _audited(app, "session.revoke")
    assert record.after["why"] == "logout"


def test_a_session_idle_past_the_limit_is_refused(app):
    console = Console(app, "demo-cc-fr")
    _shift_session(app, "demo-cc-fr", last_seen_at=timedelta(minutes=29))
    assert console.browser.get(ME).status_code == 200  # used in time: the use is noted
    _shift_session(app, "demo-cc-fr", last_seen_at=timedelta(minutes=31))
    assert console.browser.get(ME).status_code == 401


def test_a_session_ends_at_its_absolute_limit_however_busy(app):
    console = Console(app, "demo-cc-fr")
    _shift_session(app, "demo-cc-fr", created_at=timedelta(hours=12), expires_at=timedelta(hours=12, seconds=1))
    assert console.browser.get(ME).status_code == 401


def test_the_limits_come_from_the_configuration(db_url):
    from atlas_coord import create_app
    from tests.conftest import app_settings

    app = create_app(app_settings(db_url, auth={"session_idle_minutes": 5, "session_absolute_hours": 1}))
    try:
        console = Console(app, "demo-cc-fr")
        _shift_session(app, "demo-cc-fr", last_seen_at=timedelta(minutes=6))
        assert console.browser.get(ME).status_code == 401
        with _db(app).transaction() as session:
            row = session.scalar(sa.select(UserSession))
            assert row.expires_at - row.created_at == timedelta(hours=1)
    finally:
        _db(app).dispose()


def test_last_seen_is_written_at_most_once_a_minute(app):
    console = Console(app, "demo-cc-fr")

    def last_seen():
        with _db(app).transaction() as session:
            return session.scalar(sa.select(UserSession.last_seen_at))

    first = last_seen()
    assert console.browser.get(ME).status_code == 200
    assert last_seen() == first
    _shift_session(app, "demo-cc-fr", last_seen_at=timedelta(seconds=61))
    assert console.browser.get(ME).status_code == 200
    assert last_seen() > first


@pytest.mark.parametrize(("idle", "absolute"), [(0, 12), (30, 0), (24 * 60 + 1, 48), (121, 2)])
def test_bad_session_limits_stop_start_up_naming_the_key(idle, absolute):
    with pytest.raises(ConfigError, match="session_"):
        load_settings({"testing": True, "auth": {"session_idle_minutes": idle, "session_absolute_hours": absolute}},
                      environ={})


def test_a_password_change_ends_every_session_and_token(app, api):
    console = Console(app, "demo-cc-fr")
    token = api.token("demo-cc-fr")
    other_token = api.token("demo-cc-de")
    with _db(app).transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == "demo-cc-fr"))
        assert accounts.change_password(session, None, user, "a much longer new passphrase 7") == (1, 1)
    assert console.browser.get(ME).status_code == 401
    assert api.client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.client.get(ME, headers={"Authorization": f"Bearer {other_token}"}).status_code == 200
    [record] = _audited(app, "user.sessions_revoke")
    assert record.after == {"why": "password changed", "sessions": 1, "tokens": 1}


def test_a_hash_made_with_older_parameters_is_upgraded_at_sign_in_and_ends_nothing(app):
    """A password stored under argon2-cffi's default parameters (as before issue #18) still
    signs in; the stored hash is then remade with the current ones, and the user's other
    sessions live on (only a new password ends them)."""
    from argon2 import PasswordHasher

    console = Console(app, "demo-cc-fr")
    with _db(app).transaction() as session:
        user = session.scalar(sa.select(User).where(User.username == "demo-cc-fr"))
        user.password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    assert "m=65536,t=3,p=4" in _stored_hash(app, "demo-cc-fr")

    Console(app, "demo-cc-fr")

    assert "$argon2id$v=19$m=19456,t=2,p=1$" in _stored_hash(app, "demo-cc-fr")
    assert console.browser.get(ME).status_code == 200
    Console(app, "demo-cc-fr")  # the upgraded hash verifies the same password


def _stored_hash(app, username: str) -> str:
    with _db(app).transaction() as session:
        return session.scalar(sa.select(User.password_hash).where(User.username == username))


def test_a_user_lists_their_own_sessions_and_tokens_without_secrets(app, api):
    console = Console(app, "demo-cc-fr", user_agent="Firefox")
    Console(app, "demo-cc-fr", user_agent="Chromium")
    Console(app, "demo-cc-de")
    token = api.token("demo-cc-fr")
    body = console.browser.get(SESSIONS).get_json()
    assert [(row["user_agent"], row["current"]) for row in body["sessions"]] == [("Chromium", False), ("Firefox", True)]
    assert [(row["label"], row["current"]) for row in body["tokens"]] == [("api", False)]
    text = str(body)
    assert console.cookie not in text and token not in text and "hash" not in text
    by_token = api.get(SESSIONS, "demo-cc-fr").get_json()
    assert [row["current"] for row in by_token["tokens"]] == [True]
    assert not any(row["current"] for row in by_token["sessions"])


def test_a_user_revokes_their_own_session_and_token_but_nobody_elses(app, api):
    mine, other = Console(app, "demo-cc-fr"), Console(app, "demo-cc-de")
    spare = Console(app, "demo-cc-fr")
    listed = mine.browser.get(SESSIONS).get_json()
    spare_id = next(row["id"] for row in listed["sessions"] if not row["current"])
    other_id = other.browser.get(SESSIONS).get_json()["sessions"][0]["id"]

    assert mine.call("DELETE", f"{SESSIONS}/{other_id}").status_code == 404
    assert other.browser.get(ME).status_code == 200
    response = mine.call("DELETE", f"{SESSIONS}/{spare_id}")
    assert response.status_code == 200 and response.get_json() == {"id": spare_id, "revoked": True}
    assert spare.browser.get(ME).status_code == 401
    assert mine.browser.get(ME).status_code == 200

    token, other_token = api.token("demo-cc-fr"), api.token("demo-cc-de")
    with _db(app).transaction() as session:
        token_id, other_token_id = (session.scalar(sa.select(ApiToken.id).where(ApiToken.token_hash == accounts._token_digest(t)))
                                    for t in (token, other_token))
    assert mine.call("DELETE", f"/api/v1/auth/tokens/{other_token_id}").status_code == 404
    assert mine.call("DELETE", f"/api/v1/auth/tokens/{token_id}").status_code == 200
    assert api.client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.client.get(ME, headers={"Authorization": f"Bearer {other_token}"}).status_code == 200
    assert len(_audited(app, "session.revoke")) == 1
    assert len(_audited(app, "token.revoke")) == 1


def test_an_admin_ends_every_session_and_token_of_a_user(app, api):
    console, token = Console(app, "demo-cc-fr"), api.token("demo-cc-fr")
    user_id = _user_id(app, "demo-cc-fr")
    assert api.delete(f"/api/v1/users/{user_id}/sessions", "demo-cc-de").status_code == 403
    assert console.browser.get(ME).status_code == 200
    response = api.delete(f"/api/v1/users/{user_id}/sessions", "demo-admin")
    assert response.status_code == 200
    assert response.get_json() == {"user_id": user_id, "sessions": 1, "tokens": 1}
    assert console.browser.get(ME).status_code == 401
    assert api.client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.delete("/api/v1/users/999999/sessions", "demo-admin").status_code == 404
    [record] = _audited(app, "user.sessions_revoke")
    assert record.after["why"] == "revoked by an admin"


def test_a_session_of_a_disabled_account_is_refused(app):
    console = Console(app, "demo-cc-fr")
    with _db(app).transaction() as session:
        session.scalar(sa.select(User).where(User.username == "demo-cc-fr")).is_active = False
    assert console.browser.get(ME).status_code == 401


def test_resolve_refuses_revoked_lapsed_and_unknown_ids(session):
    user = session.scalar(sa.select(User).where(User.username == "demo-cc-fr"))
    limits = sessions.Limits()
    session_id, row = sessions.start(session, user, limits=limits)
    assert sessions.resolve(session, session_id, limits=limits) == (user, row)
    assert sessions.resolve(session, "not-a-session", limits=limits) is None
    assert sessions.resolve(session, None, limits=limits) is None
    row.expires_at = utcnow() - timedelta(seconds=1)
    assert sessions.resolve(session, session_id, limits=limits) is None


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_behind_tls(db_url):
    from atlas_coord import create_app
    from tests.conftest import app_settings

    for secure in (False, True):
        app = create_app(app_settings(db_url, server={"secure_cookies": secure}))
        try:
            answer = app.test_client().post("/api/v1/auth/login", json={"username": "demo-cc-fr", "password": DEMO_PASSWORD})
            cookie = answer.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert ("Secure" in cookie) is secure
        finally:
            app.extensions["atlas_db"].dispose()
