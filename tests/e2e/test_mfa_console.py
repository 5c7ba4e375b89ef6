"""The second factor in the console (issue #14, item 4): a crisis-centre user who is no demo
account enrols at first sign-in (QR code drawn by the server, a first code, ten recovery codes),
signs out, and signs in again with a code from the authenticator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from atlas_coord.db import Database
from atlas_coord.services import accounts

pytestmark = pytest.mark.browser

PASSWORD = "console-second-factor-passphrase"


def _create_crisis_centre_user(db_url: str, username: str) -> None:
    database = Database(db_url)
    try:
        with database.transaction() as session:
            accounts.create_user(session, None, username=username, password=PASSWORD,
                                 grants=[accounts.GrantSpec.parse("crisis_centre:BE")], display_name="Centre duty officer")
    finally:
        database.dispose()


def _submit_password(page, server, username: str) -> None:
    page.goto(f"{server.url}/#/signin")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_at_first_sign_in_then_sign_in_with_a_code(consoles, server, db_url):
    _create_crisis_centre_user(db_url, "be-duty-officer")
    console = consoles("be-duty-officer")
    page = console.page

    _submit_password(page, server, "be-duty-officer")
    qr = page.locator("img.mfa__qr")
    expect(qr).to_be_visible()
    assert page.evaluate("() => document.querySelector('img.mfa__qr').naturalWidth") > 0  # drawn, not fetched
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    totp = pyotp.TOTP(page.locator("[data-mfa-secret]").inner_text().strip())
    console.assert_labelled()
    page.get_by_label("First code from the app").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".mfa__code-list li")).to_have_count(10)
    page.get_by_role("button", name="I have saved these codes").click()
    expect(page.locator("#who")).to_contain_text("Centre duty officer")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected")

    page.locator("#signout").click()
    expect(page.get_by_label("User name")).to_be_visible()

    _submit_password(page, server, "be-duty-officer")
    code_field = page.get_by_label("Code from your authenticator app")
    expect(code_field).to_be_visible()
    # The next time step's code: the first one was used at enrolment and may not be replayed.
    code_field.fill(totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_contain_text("Centre duty officer")
    expect(page.locator("#who")).not_to_contain_text("demo account")


def test_a_demo_account_is_labelled_as_exempt(consoles):
    console = consoles("demo")
    console.sign_in("demo-cc-be")
    expect(console.page.locator("#who")).to_contain_text("demo account: no second factor")
