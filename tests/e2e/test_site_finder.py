"""Typing the crisis site (issue #13, item 5) in a real browser: an airport code, an ambiguous name
and a misspelt one on the new request form, then a submission that stores the found site."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_an_airport_code_finds_the_site_shows_it_and_the_request_stores_it(consoles, server):
    from playwright.sync_api import expect

    be = consoles("be-centre", timezone="Europe/Brussels")
    be.sign_in("demo-cc-be")
    be.goto("/requests/new")
    page = be.page
    expect(page.get_by_role("heading", name="Raise an assistance request")).to_be_visible()
    finder = page.get_by_label("Find the site")
    result = page.locator("[data-site-result]")

    # An ambiguous name offers a pick list; picking one moves the site there.
    finder.fill("Frankfurt")
    finder.press("Enter")
    expect(result).to_have_attribute("data-site-result", "ambiguous")
    page.get_by_role("button", name="Frankfurt (Oder) (DE)").click()
    expect(result).to_contain_text("Frankfurt (Oder) (DE) · 52.34714, 14.55062")
    assert abs(float(page.get_by_label("Latitude").input_value()) - 52.347) < 0.001

    # A misspelt name says so at the field, with the closest match.
    finder.fill("Brusels")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(result).to_have_attribute("data-site-result", "unknown")
    expect(result).to_contain_text("closest: Brussels")

    # The ICAO code of Brussels Airport: Enter looks it up (and does not submit the form).
    finder.fill("EBBR")
    finder.press("Enter")
    expect(result).to_contain_text("Brussels Airport (BE) · 50.90139, 4.48444")
    expect(page.get_by_label("Place name")).to_have_value("Brussels Airport")
    assert page.get_by_label("Latitude").input_value() == "50.90139"
    assert page.get_by_label("Longitude").input_value() == "4.48444"
    expect(page.locator("#request-map")).to_have_attribute("data-site", "50.90139,4.48444")
    assert page.url.endswith("#/requests/new"), "Enter in the finder submitted the form"
    be.assert_labelled()
    be.shot("site-finder-ebbr")

    page.get_by_label("Crisis type").select_option("aircraft_hijacking")
    page.get_by_label("Description").fill("An airliner on the apron with about 180 passengers; armed hijackers on board.")
    page.get_by_label("Capability", exact=True).select_option("ENV_AIRCRAFT")
    page.get_by_label("Operational necessity (Art. 3(1))").fill(
        "The DSU is engaged at a second site; an aircraft intervention team is needed within hours."
    )
    page.get_by_label("FR · France").check()
    page.get_by_role("button", name="Submit the request").click()

    expect(page.locator(".request-body")).to_have_attribute("data-status", "SUBMITTED")
    request_id = int(page.locator(".request-body").get_attribute("data-request-id"))
    status, body = server.call("GET", f"/api/v1/requests/{request_id}", "demo-cc-be")
    assert status == 200, body
    assert body["crisis"]["place_name"] == "Brussels Airport"
    assert body["crisis"]["site"] == {"lat": 50.90139, "lon": 4.48444}
