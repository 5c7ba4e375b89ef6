"""Security keys in the console (issue #14, item 4), in Debian's chromium with a virtual
authenticator (CDP ``WebAuthn.addVirtualAuthenticator``): an admin signs in with a TOTP code,
registers a key on the "Second factor" page, signs out, signs in with the key instead of a
code, and changes the password there. The console is reached as http://localhost:<port>, the
relying party's host name (browsers refuse WebAuthn on an IP address)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from atlas_coord.db import Database
from atlas_coord.models import AuditRecord, User
from atlas_coord.services import accounts, mfa
from atlas_coord.services.secret_box import SecretBox
from tests.conftest import ENCRYPTION_KEY, ENCRYPTION_KEY_ID
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "an-admin-passphrase-for-keys"
USERNAME = "eu-key-admin"


@pytest.fixture
def server(live_app):
    """The live server, reached at http://localhost:<port>, which is also the WebAuthn origin."""
    srv = LiveServer(live_app).start()
    srv.url = f"http://localhost:{srv.server.server_port}"
    settings = live_app.config["ATLAS_SETTINGS"]
    live_app.config["ATLAS_SETTINGS"] = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"webauthn_origins": [srv.url]})})
    yield srv
    srv.stop()


def _admin_with_totp(db_url: str) -> pyotp.TOTP:
    """An admin (not a demo account) who already enrolled an authenticator app."""
    box = SecretBox(keys={ENCRYPTION_KEY_ID: ENCRYPTION_KEY}, current_key_id=ENCRYPTION_KEY_ID)
    database = Database(db_url)
    try:
        with database.transaction() as session:
            user = accounts.create_user(session, None, username=USERNAME, password=PASSWORD,
                                        grants=[accounts.GrantSpec.parse("admin")], display_name="Network administrator")
            enrolment = mfa.start_totp(session, None, user, issuer="ATLAS", box=box)
            totp = pyotp.TOTP(enrolment.secret)
            mfa.confirm_totp(session, None, user, totp.at(datetime.now(UTC) - timedelta(seconds=30)), box=box)
        return totp
    finally:
        database.dispose()


def _audit_actions(db_url: str) -> list[str]:
    database = Database(db_url)
    try:
        with database.transaction() as session:
            user_id = session.scalar(sa.select(User.id).where(User.username == USERNAME))
            return list(session.scalars(sa.select(AuditRecord.action).where(
                AuditRecord.subject_type == "user", AuditRecord.subject_id == str(user_id)).order_by(AuditRecord.seq)))
    finally:
        database.dispose()


def _submit_password(page, server) -> None:
    page.goto(f"{server.url}/#/signin")
    page.get_by_label("User name").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def signed_in_on_the_map(page) -> None:
    """Signed in and the console's own move to the map done: a view opened before that move would
    be replaced by it (the race that made this story fail now and then)."""
    expect(page.locator("#who")).to_contain_text("Network administrator")
    expect(page).to_have_url(re.compile(r"#/map$"))
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected")


def test_an_admin_registers_a_security_key_and_signs_in_with_it(consoles, server, db_url):
    totp = _admin_with_totp(db_url)
    console = consoles("eu-admin")
    page = console.page
    cdp = console.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

    _submit_password(page, server)
    code = page.get_by_label("Code from your authenticator app")
    expect(code).to_be_visible()
    code.fill(totp.now())
    page.get_by_role("button", name="Sign in").click()
    signed_in_on_the_map(page)

    console.goto("/mfa")
    page.get_by_label("Name of the key").fill("Virtual key")
    page.get_by_role("button", name="Add a security key").click()
    expect(page.locator("[data-security-key='Virtual key']")).to_be_visible()
    console.assert_labelled()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1

    page.locator("#signout").click()
    expect(page.get_by_label("User name")).to_be_visible()
    _submit_password(page, server)
    use_key = page.get_by_role("button", name="Use security key")
    expect(use_key).to_be_visible()
    use_key.click()
    signed_in_on_the_map(page)

    console.goto("/mfa")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a-changed-admin-passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".form__done")).to_contain_text("Password changed")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected")  # this session stays

    actions = _audit_actions(db_url)
    assert {"mfa.webauthn_registered", "mfa.webauthn_used", "user.password_changed"} <= set(actions)

