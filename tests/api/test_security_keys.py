"""Security keys (WebAuthn) as a second factor for admins (issue #14, item 4): an admin who signs
in with a TOTP code registers a key, then signs in with the key instead of a code; a replayed
assertion, a foreign origin, another user's challenge and a removed key are refused; every
registration, use and removal is audited; no bearer token before the second factor."""

from __future__ import annotations

import pytest

from tests.api.test_mfa import PASSWORD, audit_actions, enrol, make_user, next_code, post
from tests.soft_authenticator import SoftAuthenticator


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def signed_in_admin(client, database, username: str):
    """An admin (a role that must have a second factor) enrolled with TOTP and holding a token."""
    user_id = make_user(database, username, role="admin")
    totp, _codes, _ = enrol(client, username)
    token = post(client, "/api/v1/auth/token", {"username": username, "password": PASSWORD,
                                                "otp": next_code(totp)}).get_json()["token"]
    return user_id, token


def register_key(client, token: str, key: SoftAuthenticator, label: str = "YubiKey 5"):
    options = post(client, "/api/v1/auth/mfa/webauthn/options", {}, headers=bearer(token))
    assert options.status_code == 200, options.get_json()
    public_key = options.get_json()["public_key"]
    assert public_key["rp"]["id"] == "localhost" and public_key["attestation"] == "none"
    return post(client, "/api/v1/auth/mfa/webauthn", {"label": label, "credential": key.register(public_key)},
                headers=bearer(token))


def ask_for_key(client, username: str) -> dict:
    """The password alone: 401 second_factor_required with the options of a fresh challenge."""
    answer = post(client, "/api/v1/auth/token", {"username": username, "password": PASSWORD})
    assert answer.status_code == 401
    error = answer.get_json()["error"]
    assert error["code"] == "second_factor_required" and "webauthn" in error["methods"]
    return error["webauthn_options"]


def test_an_admin_registers_a_key_and_signs_in_with_it_instead_of_a_code(client, database):
    user_id, token = signed_in_admin(client, database, "wa-admin")
    key = SoftAuthenticator()
    registered = register_key(client, token, key)
    assert registered.status_code == 201, registered.get_json()
    assert registered.get_json()["label"] == "YubiKey 5"
    listed = client.get("/api/v1/auth/mfa/webauthn", headers=bearer(token)).get_json()
    assert listed["offered"] is True and [k["label"] for k in listed["keys"]] == ["YubiKey 5"]
    me = client.get("/api/v1/auth/me", headers=bearer(token)).get_json()
    assert me["mfa"]["security_keys"] == 1 and me["mfa"]["totp"] is True

    options = ask_for_key(client, "wa-admin")
    signed = post(client, "/api/v1/auth/token", {"username": "wa-admin", "password": PASSWORD,
                                                 "webauthn": key.sign_in(options)})
    assert signed.status_code == 200 and signed.get_json()["token"]
    console = post(client, "/api/v1/auth/login", {"username": "wa-admin", "password": PASSWORD,
                                                  "webauthn": key.sign_in(ask_for_key(client, "wa-admin"))})
    assert console.status_code == 200 and console.get_json()["user"]["username"] == "wa-admin"
    actions = audit_actions(database, user_id)
    assert "mfa.webauthn_registered" in actions and actions.count("mfa.webauthn_used") == 2


def test_a_replayed_forged_or_foreign_assertion_gets_no_token(client, database):
    user_id, token = signed_in_admin(client, database, "wa-replay")
    key = SoftAuthenticator()
    assert register_key(client, token, key).status_code == 201
    options = ask_for_key(client, "wa-replay")
    assertion = key.sign_in(options)
    assert post(client, "/api/v1/auth/token", {"username": "wa-replay", "password": PASSWORD,
                                               "webauthn": assertion}).status_code == 200
    replayed = post(client, "/api/v1/auth/token", {"username": "wa-replay", "password": PASSWORD, "webauthn": assertion})
    assert replayed.status_code == 422 and "webauthn" in replayed.get_json()["error"]["fields"]

    phishing = key.sign_in(ask_for_key(client, "wa-replay"), origin="https://atlas-login.example.com")
    refused = post(client, "/api/v1/auth/token", {"username": "wa-replay", "password": PASSWORD, "webauthn": phishing})
    assert refused.status_code == 422 and "webauthn" in refused.get_json()["error"]["fields"]

    stranger = SoftAuthenticator()  # a key never registered for the account
    other = post(client, "/api/v1/auth/token", {"username": "wa-replay", "password": PASSWORD,
                                                "webauthn": stranger.sign_in(ask_for_key(client, "wa-replay"))})
    assert other.status_code == 422
    # The key does not stand in for the password.
    wrong = post(client, "/api/v1/auth/token", {"username": "wa-replay", "password": "not-the-password-at-all",
                                                "webauthn": key.sign_in(ask_for_key(client, "wa-replay"))})
    assert wrong.status_code == 401
    assert audit_actions(database, user_id).count("mfa.webauthn_used") == 1


def test_registration_is_for_admins_and_needs_the_right_origin_and_challenge(client, database):
    _, token = signed_in_admin(client, database, "wa-reg")
    key = SoftAuthenticator()
    options = post(client, "/api/v1/auth/mfa/webauthn/options", {}, headers=bearer(token)).get_json()["public_key"]
    foreign = post(client, "/api/v1/auth/mfa/webauthn", {"label": "k", "credential": key.register(
        options, origin="https://evil.example.com")}, headers=bearer(token))
    assert foreign.status_code == 422 and "credential" in foreign.get_json()["error"]["fields"]
    # The challenge was used up by that attempt.
    again = post(client, "/api/v1/auth/mfa/webauthn", {"label": "k", "credential": key.register(options)},
                 headers=bearer(token))
    assert again.status_code == 422
    garbage = post(client, "/api/v1/auth/mfa/webauthn", {"label": "k", "credential": {"response": 7}},
                   headers=bearer(token))
    assert garbage.status_code == 422 and "credential" in garbage.get_json()["error"]["fields"]

    observer_id = make_user(database, "wa-observer", role="observer")
    observer = post(client, "/api/v1/auth/token", {"username": "wa-observer", "password": PASSWORD}).get_json()["token"]
    assert post(client, "/api/v1/auth/mfa/webauthn/options", {}, headers=bearer(observer)).status_code == 403
    assert client.get("/api/v1/auth/mfa/webauthn", headers=bearer(observer)).get_json()["offered"] is False
    assert "mfa.webauthn_registered" not in audit_actions(database, observer_id)


def test_removing_a_key_is_audited_and_it_signs_in_no_more(client, database):
    user_id, token = signed_in_admin(client, database, "wa-remove")
    key = SoftAuthenticator()
    key_id = register_key(client, token, key).get_json()["id"]
    intruder_id = make_user(database, "wa-intruder", role="observer")
    intruder = post(client, "/api/v1/auth/token", {"username": "wa-intruder", "password": PASSWORD}).get_json()["token"]
    assert client.delete(f"/api/v1/auth/mfa/webauthn/{key_id}", headers=bearer(intruder)).status_code == 404
    removed = client.delete(f"/api/v1/auth/mfa/webauthn/{key_id}", headers=bearer(token))
    assert removed.status_code == 200 and removed.get_json() == {"id": key_id, "removed": True}
    answer = post(client, "/api/v1/auth/token", {"username": "wa-remove", "password": PASSWORD}).get_json()["error"]
    assert answer["methods"] == ["totp", "recovery_code"] and "webauthn_options" not in answer
    assert "mfa.webauthn_removed" in audit_actions(database, user_id)
    assert "mfa.webauthn_removed" not in audit_actions(database, intruder_id)


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/login"])
def test_an_admin_reset_removes_the_keys_too(client, database, path):
    user_id, token = signed_in_admin(client, database, f"wa-reset-{path[-5:]}")
    assert register_key(client, token, SoftAuthenticator()).status_code == 201
    admin = post(client, "/api/v1/auth/token", {"username": "demo-admin", "password": "demo-password-for-tests"})
    done = client.delete(f"/api/v1/auth/mfa?user_id={user_id}", headers=bearer(admin.get_json()["token"]))
    assert done.status_code == 200 and done.get_json()["mfa"]["security_keys"] == 0
    # No second factor left, and the role requires one: enrol again, no bearer token meanwhile.
    again = post(client, path, {"username": f"wa-reset-{path[-5:]}", "password": PASSWORD})
    assert again.status_code == 403 and again.get_json()["error"]["code"] == "second_factor_enrolment_required"
