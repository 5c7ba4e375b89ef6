"""Belgium submits a request at night: France's duty officer's console rings (the alert bar, the
WebAudio beep, a browser notification) until the officer acknowledges, and the acknowledgement
shows in Belgium's timeline of the request without a reload."""

from __future__ import annotations

import re

import pytest

from tests.factories import request_payload, roster_csv

pytestmark = pytest.mark.browser
LIVE = 15_000


def test_frances_console_rings_when_belgium_submits_and_the_ack_shows_in_belgiums_timeline(consoles, server, live_app):
    from playwright.sync_api import expect

    from atlas_coord.scheduler.alerting import AlertDispatcher

    status, _ = server.call("PUT", "/api/v1/rosters/ca-FR/csv", "demo-ca-fr", {"csv": roster_csv(
        "demo-ca-fr", primary_contacts=(("email", "ca-fr@duty.example"),))})
    assert status == 200
    dispatcher = AlertDispatcher(live_app.extensions["atlas_db"], live_app.config["ATLAS_SETTINGS"]).start()
    try:
        fr = consoles("fr-duty-officer", timezone="Europe/Paris")
        fr.context.grant_permissions(["notifications"], origin=server.url)
        fr.sign_in("demo-ca-fr")
        fr.goto("/requests")
        expect(fr.page.locator("#alert-bar")).to_be_hidden()

        status, created = server.call("POST", "/api/v1/requests", "demo-cc-be", request_payload(addressees=["FR"]))
        assert status == 201, created
        request_id = created["id"]

        bar = fr.page.locator("#alert-bar")
        expect(bar).to_be_visible(timeout=LIVE)
        expect(bar).to_contain_text(f"REQ-{request_id}")
        expect(bar).to_contain_text("requesting state BE")
        expect(bar).to_have_attribute("data-beeps", re.compile(r"^[1-9][0-9]*$"))  # at once, then every few seconds
        fr.shot("duty-01-fr-console-rings")

        be = consoles("be-centre", timezone="Europe/Brussels")
        be.sign_in("demo-cc-be")
        be.goto(f"/requests/{request_id}/timeline")
        expect(be.page.locator("[data-timeline]")).to_be_visible()

        bar.get_by_role("button", name="Acknowledge").click()
        expect(bar).to_be_hidden()
        expect(be.page.locator("[data-timeline]")).to_contain_text("FR duty officer acknowledged", timeout=LIVE)
        be.shot("duty-02-be-timeline-ack")
    finally:
        dispatcher.stop()
