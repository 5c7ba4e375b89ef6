"""A signed-in user changes their password (issue #14, sessions): the current password first,
the policy (12 characters, not a common password), and every other console session and bearer
token ends at once while the one that made the change stays; refusals are audited."""

from __future__ import annotations

import sqlalchemy as sa

from atlas_coord.models import AuditRecord
from atlas_coord.services import accounts

PASSWORD = "first-passphrase-for-changing"
NEW_PASSWORD = "a-second-and-longer-passphrase"
CHANGE = "/api/v1/auth/password"


def make_observer(app, username: str) -> None:
    with app.extensions["atlas_db"].transaction() as s:
        accounts.create_user(s, None, username=username, password=PASSWORD,
                             grants=[accounts.GrantSpec.parse("observer")])


def sign_in(app, username: str, password: str = PASSWORD):
    return app.test_client().post("/api/v1/auth/token", json={"username": username, "password": password})


def console(app, username: str):
    browser = app.test_client()
    answer = browser.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return browser, answer.get_json()["csrf_token"]


def actions(app, username: str) -> list[str]:
    with app.extensions["atlas_db"].transaction() as s:
        return list(s.scalars(sa.select(AuditRecord.action).order_by(AuditRecord.seq)))


def test_changing_the_password_ends_every_other_sign_in_but_this_one(app):
    make_observer(app, "pw-changer")
    here, csrf = console(app, "pw-changer")
    elsewhere, _ = console(app, "pw-changer")
    token = sign_in(app, "pw-changer").get_json()["token"]
    changed = here.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                        headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() == {"changed": True, "sessions_ended": 1, "tokens_ended": 1}
    assert here.get("/api/v1/auth/me").status_code == 200
    assert elsewhere.get("/api/v1/auth/me").status_code == 401
    assert app.test_client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(app, "pw-changer").status_code == 401
    assert sign_in(app, "pw-changer", NEW_PASSWORD).status_code == 200
    assert "user.password_changed" in actions(app, "pw-changer")


def test_a_bearer_token_changes_it_too_and_keeps_itself(app):
    make_observer(app, "pw-token")
    token = sign_in(app, "pw-token").get_json()["token"]
    other = sign_in(app, "pw-token").get_json()["token"]
    client = app.test_client()
    changed = client.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                          headers={"Authorization": f"Bearer {token}"})
    assert changed.get_json() == {"changed": True, "sessions_ended": 0, "tokens_ended": 1}
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(app):
    make_observer(app, "pw-weak")
    browser, csrf = console(app, "pw-weak")
    wrong = browser.post(CHANGE, json={"current_password": "not-my-password", "new_password": NEW_PASSWORD},
                         headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 422 and list(wrong.get_json()["error"]["fields"]) == ["current_password"]
    assert "user.password_change_refused" in actions(app, "pw-weak")
    for weak in ("short-pw-1", "password12345", PASSWORD):
        refused = browser.post(CHANGE, json={"current_password": PASSWORD, "new_password": weak},
                               headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 422 and list(refused.get_json()["error"]["fields"]) == ["new_password"], weak
    assert sign_in(app, "pw-weak").status_code == 200
    # The console's change needs the CSRF token, and nobody changes a password signed out.
    assert browser.post(CHANGE, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 403
    assert app.test_client().post(CHANGE, json={"current_password": PASSWORD,
                                                "new_password": NEW_PASSWORD}).status_code == 401
