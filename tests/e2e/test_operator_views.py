"""The console for operators under stress (issue 16), in Debian's chromium.

The inbox: Belgium submits a request; France's competent authority, already signed in, sees it
arrive in its inbox and the count in the top bar rise without a reload; once France has answered,
the item is gone and the count is back to zero.

The map follows the operation: GIGN is drawn at its station while ALERTED, on its route between
station and site while EN ROUTE (placed by the share of its travel time elapsed), at the site
(beside the crisis marker, not under it) once ON SCENE, with its arrival time; the request, now
MET, draws no candidate lines. At 1366×768 the map view fits the screen without a page scroll.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import in_hours, request_payload

pytestmark = pytest.mark.browser

LIVE = 15_000  # ms: how long a live update may take to show


def _expect():
    from playwright.sync_api import expect

    return expect


def test_a_new_request_arrives_in_the_inbox_live_and_leaves_it_once_answered(consoles, server):
    expect = _expect()
    fr = consoles("fr-authority", timezone="Europe/Paris")
    fr.sign_in("demo-ca-fr")
    fr.goto("/requests")
    count = fr.page.locator("#inbox-count")
    expect(count).to_have_text("0")

    status, created = server.call("POST", "/api/v1/requests", "demo-cc-be", request_payload(addressees=["FR", "DE"]))
    assert status == 201, created
    request_id = created["id"]

    # Live: the count in the top bar and the "Your move" column, without a reload.
    expect(count).to_have_text("1", timeout=LIVE)
    expect(fr.page.locator("#inbox-link")).to_have_attribute("aria-label", "Inbox: 1 item needs your action")
    row = fr.page.locator(f'tr[data-request-id="{request_id}"]')
    expect(row.locator(".your-move")).to_contain_text("Answer (FR)", timeout=LIVE)
    fr.shot("30-requests-your-move")

    fr.page.locator("#inbox-link").click()
    item = fr.page.locator(f'.inbox-item[data-request-id="{request_id}"]')
    expect(item).to_have_attribute("data-kind", "answer_due")
    expect(item).to_contain_text("Answer for FR: accept, refuse or counter-propose")
    expect(item).to_contain_text(f"Request #{request_id}")
    expect(item.locator("time .time__rel")).to_be_visible()  # the deadline counts down
    expect(fr.page.locator(".marking-banner--top")).to_have_text("RESTREINT UE/EU RESTRICTED")  # the request's marking
    fr.shot("31-inbox")
    fr.assert_labelled()

    item.get_by_role("link").click()
    panel = fr.page.locator('[data-answer-panel="FR"]')
    panel.get_by_label("Refuse").check()
    panel.get_by_label("Reason for refusing (required)").fill("Our units are committed at home this week.")
    panel.get_by_role("button", name="Refuse the request").click()
    expect(fr.page.locator('.answer-card[data-state="FR"]')).to_have_attribute("data-status", "REFUSED")
    expect(count).to_have_text("0", timeout=LIVE)
    fr.goto("/inbox")
    expect(fr.page.locator(".inbox-empty")).to_contain_text("Nothing needs your action now.")


def _unit_place(page, unit_id: int) -> dict:
    """Where the map puts the unit (its true place) and where it draws it (after spreading)."""
    return page.evaluate(
        """(id) => {
            let found = null;
            window.atlasMap.eachLayer((layer) => {
                if (layer.unit && layer.unit.id === id && layer.atlasHome) {
                    const drawn = layer.getLatLng();
                    found = {lat: layer.atlasHome.lat, lon: layer.atlasHome.lng, drawnLat: drawn.lat, drawnLon: drawn.lng,
                             where: layer.getElement() ? layer.getElement().dataset.where : null};
                }
            });
            return found;
        }""",
        unit_id,
    )


def _pixels_between(page, a: tuple[float, float], b: tuple[float, float]) -> float:
    return page.evaluate(
        "([a, b]) => window.atlasMap.latLngToContainerPoint(a).distanceTo(window.atlasMap.latLngToContainerPoint(b))",
        [list(a), list(b)],
    )


def test_the_map_follows_a_deployment_from_station_to_site(consoles, server, unit_ids):
    expect = _expect()
    gign = unit_ids["fr-gign"]
    # One negotiator team is all Belgium needs: with GIGN on its way the request is MET.
    body = request_payload(addressees=["FR"], requirements=[{"code": "NEG", "quantity": 1, "min_level": "full"}])
    status, created = server.call("POST", "/api/v1/requests", "demo-cc-be", body)
    assert status == 201, created
    request_id = created["id"]
    site = (created["crisis"]["site"]["lat"], created["crisis"]["site"]["lon"])
    status, _ = server.call("POST", f"/api/v1/requests/{request_id}/answers/FR/accept", "demo-ca-fr", {"units": [gign]})
    assert status == 200

    be = consoles("be-centre")
    be.sign_in("demo-cc-be")
    be.goto("/map")
    expect(be.page.locator(f'#atlas-map path[data-unit-id="{gign}"]')).to_have_attribute("data-where", "station")
    station = _unit_place(be.page, gign)
    assert abs(station["lat"] - 48.78) < 0.01 and abs(station["lon"] - 2.12) < 0.01  # Versailles-Satory
    # Still SUBMITTED (GIGN's commander has not accepted yet): selecting it draws the candidates.
    request_button = be.page.locator(f'li[data-request-id="{request_id}"] button')
    request_button.click()
    expect(be.page.locator("#atlas-map .atlas-candidate-line").first).to_be_attached()
    expect(be.page.locator("#atlas-map .atlas-route-leg").first).to_be_attached()  # drawn along the route's legs
    request_button.click()  # deselect
    expect(be.page.locator("#atlas-map .atlas-candidate-line")).to_have_count(0)

    deployment = server.call("GET", f"/api/v1/requests/{request_id}", "demo-cc-be")[1]["deployments"][0]
    base = f"/api/v1/requests/{request_id}/deployments/{deployment['id']}"
    for step, payload in (("accept", {}), ("mobilise", {}), ("depart", {"eta": in_hours(2)})):
        status, deployment = server.call("POST", f"{base}/{step}", "demo-cmd-fr", payload)
        assert status == 200, deployment

    # EN ROUTE: on the route, as far along as the time elapsed. The browser's clock is set to
    # half-way between the departure and the ETA to see it in the middle.
    left, eta = datetime.fromisoformat(deployment["departed_at"]), datetime.fromisoformat(deployment["eta"])
    be.page.clock.set_fixed_time(left + (eta - left) / 2)
    be.goto("/requests")
    be.goto("/map")
    marker = be.page.locator(f'#atlas-map path[data-unit-id="{gign}"]')
    expect(marker).to_have_attribute("data-where", "en_route")
    expect(be.page.locator("#atlas-map .atlas-route-line")).to_have_count(1)
    middle = _unit_place(be.page, gign)
    assert abs(middle["lat"] - (station["lat"] + site[0]) / 2) < 0.05
    assert abs(middle["lon"] - (station["lon"] + site[1]) / 2) < 0.05
    be.shot("32-map-en-route")

    # ON SCENE (reported by Belgium, which directs the operation): at the site, live, beside the
    # crisis marker rather than under it.
    be.page.clock.set_fixed_time(eta + timedelta(minutes=5))
    status, arrived = server.call("POST", f"{base}/arrive", "demo-cc-be", {"on_scene_commander": "Cdt. L. Peeters (DSU)"})
    assert status == 200 and arrived["arrived_at"]
    expect(marker).to_have_attribute("data-where", "on_scene", timeout=LIVE)
    at_site = _unit_place(be.page, gign)
    assert abs(at_site["lat"] - site[0]) < 1e-6 and abs(at_site["lon"] - site[1]) < 1e-6
    assert _pixels_between(be.page, (at_site["drawnLat"], at_site["drawnLon"]), site) >= 20
    expect(be.page.locator("#atlas-map .atlas-route-line")).to_have_count(0)

    # The request is MET: selecting it draws no candidate lines.
    request_button.click()
    expect(be.page.locator(".side-section").filter(has_text="awaits no more units")).to_be_visible()
    expect(be.page.locator("#atlas-map .atlas-candidate-line")).to_have_count(0)
    marker.focus()
    marker.press("Enter")
    expect(be.page.locator("[data-unit-place]")).to_contain_text("On scene since")
    be.shot("33-map-on-scene")

    # The page fits the laptop screen: no page scroll on the map view.
    sizes = be.page.evaluate("() => [document.documentElement.scrollHeight, window.innerHeight]")
    assert sizes[0] <= sizes[1], f"the map view is {sizes[0]} px tall in a {sizes[1]} px window"

    # The request page shows the arrival time, not an ETA.
    be.goto(f"/requests/{request_id}")
    card = be.page.locator(f'.deployment-card[data-unit-id="{gign}"]')
    expect(card).to_have_attribute("data-status", "ON_SCENE")
    expect(card).to_contain_text("On scene since")
    expect(card).not_to_contain_text("ETA at the scene")
