"""The second factor (issue #14, item 4): TOTP enrolment with a QR code drawn offline, single-use
recovery codes, replayed codes refused, required for the configured roles but not for demo
accounts, wrong codes counted by the sign-in throttle, and no bearer token before the second factor."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from atlas_coord.config import ConfigError, load_settings
from atlas_coord.models import AuditRecord, RecoveryCode, TotpFactor, User, utcnow
from atlas_coord.services import accounts
from tests.conftest import DEMO_PASSWORD, app_settings

PASSWORD = "a-long-and-unusual-passphrase-7"
_addresses = (f"198.51.100.{n % 250 + 1}" for n in itertools.count())


def post(client, path, body, **kw):
    """Each call from a new address, so the per-address sign-in rate limit stays out of the way."""
    return client.post(path, json=body, environ_base={"REMOTE_ADDR": next(_addresses)}, **kw)


def make_user(database, username: str, role: str = "crisis_centre:FR") -> int:
    with database.transaction() as s:
        user = accounts.create_user(s, None, username=username, password=PASSWORD,
                                    grants=[accounts.GrantSpec.parse(role)])
        return user.id


def enrol(client, username: str, *, path: str = "/api/v1/auth/token") -> tuple[pyotp.TOTP, list[str], dict]:
    """Sign in with the password, follow the enrolment token, confirm with the current code."""
    refused = post(client, path, {"username": username, "password": PASSWORD})
    assert refused.status_code == 403, refused.get_json()
    token = refused.get_json()["error"]["enrolment_token"]
    started = post(client, "/api/v1/auth/mfa/totp", {"enrolment_token": token}).get_json()
    totp = pyotp.TOTP(started["secret"])
    confirmed = post(client, "/api/v1/auth/mfa/totp/confirm", {"enrolment_token": token, "code": totp.now()})
    assert confirmed.status_code == 200, confirmed.get_json()
    return totp, confirmed.get_json()["recovery_codes"], confirmed.get_json()


def next_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: valid now (one step of tolerance), and later than any used."""
    return totp.at(utcnow() + timedelta(seconds=30))


def audit_actions(database, user_id: int) -> list[str]:
    with database.transaction() as s:
        return list(s.scalars(sa.select(AuditRecord.action).where(AuditRecord.subject_type == "user",
                                                                  AuditRecord.subject_id == str(user_id))
                              .order_by(AuditRecord.seq)))


def test_a_required_role_gets_no_bearer_token_before_enrolling(client, database):
    make_user(database, "mfa-cc")
    for path in ("/api/v1/auth/token", "/api/v1/auth/login"):
        answer = post(client, path, {"username": "mfa-cc", "password": PASSWORD})
        assert answer.status_code == 403
        error = answer.get_json()["error"]
        assert error["code"] == "second_factor_enrolment_required"
        assert error["enrolment_token"]
        assert "user_id" not in error
    # The enrolment token reaches the enrolment endpoints and nothing else.
    token = answer.get_json()["error"]["enrolment_token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert post(client, "/api/v1/auth/mfa/totp", {"enrolment_token": token + "x"}).status_code == 401
    assert post(client, "/api/v1/auth/mfa/totp", {}).status_code == 401


def test_enrolment_shows_the_qr_once_and_confirms_with_a_first_code(client, database):
    user_id = make_user(database, "mfa-enrol")
    token = post(client, "/api/v1/auth/token", {"username": "mfa-enrol", "password": PASSWORD}).get_json()["error"]["enrolment_token"]
    started = post(client, "/api/v1/auth/mfa/totp", {"enrolment_token": token}).get_json()
    assert started["otpauth_uri"].startswith("otpauth://totp/ATLAS:mfa-enrol?")
    assert started["qr_svg"].startswith("data:image/svg+xml")
    totp = pyotp.TOTP(started["secret"])
    wrong = post(client, "/api/v1/auth/mfa/totp/confirm", {"enrolment_token": token, "code": "000000"
                                                           if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "code" in wrong.get_json()["error"]["fields"]
    confirmed = post(client, "/api/v1/auth/mfa/totp/confirm", {"enrolment_token": token, "code": totp.now()})
    assert confirmed.status_code == 200
    body = confirmed.get_json()
    assert len(body["recovery_codes"]) == 10 and len(set(body["recovery_codes"])) == 10
    assert body["mfa"] == {"enrolled": True, "required": True, "demo_exempt": False, "totp": True,
                           "security_keys": 0, "security_keys_offered": False}
    assert body["user"] is None  # a token from POST /auth/token opens no console session
    # Enrolled: a second start is refused and never shows the secret again.
    again = post(client, "/api/v1/auth/mfa/totp", {"enrolment_token": token})
    assert again.status_code == 409 and "secret" not in again.get_json()
    with database.transaction() as s:
        stored = [row.code_hash for row in s.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == user_id))]
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in body["recovery_codes"] for h in stored)
    assert audit_actions(database, user_id)[-2:] == ["mfa.totp_started", "mfa.enrolled"]


def test_the_console_enrolment_opens_the_session(client, database):
    make_user(database, "mfa-console")
    _, _, body = enrol(client, "mfa-console", path="/api/v1/auth/login")
    assert body["user"]["username"] == "mfa-console" and body["csrf_token"]
    me = client.get("/api/v1/auth/me").get_json()
    assert me["auth"] == "session"
    assert me["mfa"] == {"enrolled": True, "required": True, "demo_exempt": False, "totp": True,
                           "security_keys": 0, "security_keys_offered": False}


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/login"])
def test_sign_in_asks_for_the_code_and_refuses_a_replay(client, database, path):
    make_user(database, "mfa-otp")
    totp, _, _ = enrol(client, "mfa-otp")
    no_code = post(client, path, {"username": "mfa-otp", "password": PASSWORD})
    assert no_code.status_code == 401
    assert no_code.get_json()["error"]["code"] == "second_factor_required"
    # A wrong password with a code is still the one uniform answer.
    wrong_password = post(client, path, {"username": "mfa-otp", "password": "not-the-password-1", "otp": next_code(totp)})
    assert wrong_password.status_code == 401 and wrong_password.get_json()["error"]["code"] == "unauthenticated"
    code = next_code(totp)
    assert post(client, path, {"username": "mfa-otp", "password": PASSWORD, "otp": code}).status_code == 200
    # A new client: a signed-in console session would have to echo its CSRF token.
    replay = post(client.application.test_client(), path, {"username": "mfa-otp", "password": PASSWORD, "otp": code})
    assert replay.status_code == 422
    assert "otp" in replay.get_json()["error"]["fields"]


def test_a_wrong_code_is_a_counted_failed_attempt(client, database):
    user_id = make_user(database, "mfa-wrong")
    totp, _, _ = enrol(client, "mfa-wrong")
    bad = "123456" if next_code(totp) != "123456" else "654321"
    for attempt in range(1, 6):
        answer = post(client, "/api/v1/auth/token", {"username": "mfa-wrong", "password": PASSWORD, "otp": bad})
        assert answer.status_code == 422
        assert answer.get_json()["error"]["fields"] == {"otp": "the code is not valid"}
        with database.transaction() as s:
            user = s.get(User, user_id)
            assert user.failed_logins == attempt
    assert user.locked_until is not None  # the throttle applies to codes as to passwords
    assert "user.sign_in_refused" in audit_actions(database, user_id)


def test_recovery_codes_work_once_each(client, database):
    user_id = make_user(database, "mfa-recover")
    _, codes, _ = enrol(client, "mfa-recover")
    first = post(client, "/api/v1/auth/token", {"username": "mfa-recover", "password": PASSWORD,
                                                "recovery_code": codes[0].upper()})
    assert first.status_code == 200, first.get_json()
    again = post(client, "/api/v1/auth/token", {"username": "mfa-recover", "password": PASSWORD, "recovery_code": codes[0]})
    assert again.status_code == 422 and "recovery_code" in again.get_json()["error"]["fields"]
    assert post(client, "/api/v1/auth/token", {"username": "mfa-recover", "password": PASSWORD,
                                               "recovery_code": codes[1]}).status_code == 200
    assert audit_actions(database, user_id).count("mfa.recovery_code_used") == 2


def test_demo_accounts_and_other_roles_need_no_second_factor(client, database):
    make_user(database, "mfa-observer", role="observer")
    assert post(client, "/api/v1/auth/token", {"username": "mfa-observer", "password": PASSWORD}).status_code == 200
    token = post(client, "/api/v1/auth/token", {"username": "demo-cc-fr", "password": DEMO_PASSWORD}).get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["mfa"] == {"enrolled": False, "required": False, "demo_exempt": True, "totp": False,
                         "security_keys": 0, "security_keys_offered": False}
    assert me["user"]["is_demo"] is True


def test_the_required_roles_come_from_the_configuration(db_url, database):
    from atlas_coord import create_app

    make_user(database, "mfa-ca", role="competent_authority:FR")
    app = create_app(app_settings(db_url, auth={"mfa_required_roles": ["admin"]}))
    try:
        answer = post(app.test_client(), "/api/v1/auth/token", {"username": "mfa-ca", "password": PASSWORD})
        assert answer.status_code == 200
    finally:
        app.extensions["atlas_db"].dispose()
    with pytest.raises(ConfigError, match="mfa_required_roles"):
        load_settings({"testing": True, "auth": {"mfa_required_roles": ["admin", "wizard"]}}, environ={})


def test_an_admin_resets_anyone_others_only_themselves(client, database):
    user_id = make_user(database, "mfa-reset")
    enrol(client, "mfa-reset")
    cc = post(client, "/api/v1/auth/token", {"username": "demo-cc-fr", "password": DEMO_PASSWORD}).get_json()["token"]
    admin = post(client, "/api/v1/auth/token", {"username": "demo-admin", "password": DEMO_PASSWORD}).get_json()["token"]
    refused = client.delete(f"/api/v1/auth/mfa?user_id={user_id}", headers={"Authorization": f"Bearer {cc}"})
    assert refused.status_code == 403
    done = client.delete(f"/api/v1/auth/mfa?user_id={user_id}", headers={"Authorization": f"Bearer {admin}"})
    assert done.status_code == 200
    assert done.get_json() == {"user_id": user_id, "mfa": {"enrolled": False, "required": True, "demo_exempt": False,
                                                                  "totp": False, "security_keys": 0,
                                                                  "security_keys_offered": False}}
    with database.transaction() as s:
        assert s.get(TotpFactor, user_id) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user_id)) == 0
    assert audit_actions(database, user_id)[-1] == "mfa.reset"
    # Reset: the next sign-in must enrol again.
    answer = post(client, "/api/v1/auth/token", {"username": "mfa-reset", "password": PASSWORD})
    assert answer.get_json()["error"]["code"] == "second_factor_enrolment_required"
