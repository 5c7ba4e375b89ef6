"""The classification banner in a real browser: at the top and the bottom of a request's page and
of the list of requests, and following the marking chosen on the new request form."""

from __future__ import annotations

import pytest

from tests.factories import hijacked_aircraft, request_payload

pytestmark = pytest.mark.browser

RESTRICTED = "RESTREINT UE/EU RESTRICTED"


def test_the_marking_banner_tops_and_tails_every_view_of_a_request(consoles, server):
    from playwright.sync_api import expect

    status, request = server.call("POST", "/api/v1/requests", "demo-cc-be",
                                  request_payload(crisis=hijacked_aircraft(classification="VS-NfD")))
    assert status == 201, request
    be = consoles("be-centre", timezone="Europe/Brussels")
    be.sign_in("demo-cc-be")
    page = be.page

    def banners(expected: str) -> None:
        expect(page.locator(".view__inner > .marking-banner--top")).to_have_text(expected)
        expect(page.locator(".view__inner > .marking-banner--bottom")).to_have_text(expected)
        # First and last on the page's view, as marked material carries them.
        assert page.evaluate("""() => {
            const view = document.querySelector(".view__inner");
            return [view.firstElementChild.classList.contains('marking-banner--top'),
                    view.lastElementChild.classList.contains('marking-banner--bottom')];
        }""") == [True, True]

    be.goto(f"/requests/{request['id']}")
    expect(page.locator(".request-body")).to_have_attribute("data-status", "SUBMITTED")
    banners(RESTRICTED)
    be.goto("/requests")
    expect(page.locator("[data-table=requests]")).to_be_visible()
    banners(RESTRICTED)

    be.goto("/requests/new")
    expect(page.get_by_role("heading", name="Raise an assistance request")).to_be_visible()
    banners(RESTRICTED)
    page.get_by_label("Classification marking").select_option("UNCLASSIFIED")
    banners("UNCLASSIFIED")
    page.get_by_label("This is an exercise").check()
    banners("EXERCISE · UNCLASSIFIED · EXERCISE")
    be.shot("marking-banner-new-request")
