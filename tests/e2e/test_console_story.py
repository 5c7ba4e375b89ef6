"""The console's stories in a real browser (Debian's chromium, headless, through Playwright).

Main story: Belgium's crisis centre raises a request from the map; France's competent authority,
in a second browser context, sees it appear live and counter-proposes; the requester accepts the
counter-proposal; GIGN's commander accepts the deployment and reports ON_SCENE; the first two
screens show all of it without a reload.

Second story: a network planner plans a field exercise that would leave Belgium without a READY
unit for its critical capabilities; the readiness guard blocks it and the page says why (state,
capability, window, figure).

Screenshots of every main view go to test-artifacts/.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from .conftest import WALL

pytestmark = pytest.mark.browser

LIVE = 15_000  # ms: how long a live update may take to show


def _expect():
    from playwright.sync_api import expect

    return expect


def _click_map_at(page, map_id: str, lat: float, lon: float, zoom: int = 8) -> None:
    """Centre the Leaflet map on a position (as a user zooming in would) and click it there."""
    # (Locator polling, not wait_for_function: the page's CSP forbids eval, which that uses.)
    _expect()(page.locator(f"#{map_id}")).to_have_attribute("data-basemap", "loaded")
    page.evaluate(f"() => {{ window.atlasMap.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")
    page.wait_for_timeout(300)
    point = page.evaluate(f"(() => {{ const p = window.atlasMap.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()")
    page.locator(f"#{map_id}").click(position={"x": point[0], "y": point[1]})


def test_request_counter_proposal_and_deployment_live_across_three_screens(consoles, unit_ids):
    expect = _expect()
    gign = unit_ids["fr-gign"]

    # France's competent authority watches its request list (Paris time).
    fr = consoles("fr-authority", timezone="Europe/Paris")
    fr.sign_in("demo-ca-fr")
    fr.goto("/requests")
    expect(fr.page.get_by_role("heading", name="Assistance requests")).to_be_visible()

    # Belgium's crisis centre raises a request from the map.
    be = consoles("be-centre", timezone="Europe/Brussels")
    be.sign_in("demo-cc-be")
    be.goto("/map")
    expect(be.page.locator("#atlas-map path.atlas-unit-marker").first).to_be_attached()
    expect(be.page.locator("#atlas-map")).to_have_attribute("data-basemap", "loaded")
    be.shot("01-map-units-by-readiness")
    _click_map_at(be.page, "atlas-map", 50.9014, 4.4844)
    expect(be.page.locator(".position")).to_contain_text("50.90")
    be.page.get_by_role("button", name="Raise a request here").click()

    page = be.page
    expect(page.get_by_role("heading", name="Raise an assistance request")).to_be_visible()
    # The site picked on the map (to the pixel) fills the coordinates.
    assert abs(float(page.get_by_label("Latitude").input_value()) - 50.9014) < 0.01
    assert abs(float(page.get_by_label("Longitude").input_value()) - 4.4844) < 0.01
    page.get_by_label("Crisis type").select_option("aircraft_hijacking")
    page.get_by_label("Place name").fill("Brussels Airport, Zaventem")
    page.get_by_label("Description").fill("An airliner on the apron with about 180 passengers; armed hijackers on board.")
    page.get_by_label("Capability", exact=True).select_option("ENV_AIRCRAFT")
    page.get_by_label("Operational necessity (Art. 3(1))").fill(
        "The DSU is engaged at a second site; an aircraft intervention team is needed within hours."
    )

    # A wrong latitude is refused by the API and the message sits next to the latitude field.
    page.get_by_label("Latitude").fill("91")
    page.get_by_label("FR · France").check()
    page.get_by_role("button", name="Submit the request").click()
    lat_field = page.locator('[data-field="crisis.site.lat"]')
    expect(lat_field.locator(".field__error")).to_be_visible()
    expect(page.get_by_label("Latitude")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Latitude")).to_be_focused()
    be.shot("02-request-form-field-error")
    be.assert_labelled()
    page.get_by_label("Latitude").fill("50.9014")
    page.get_by_role("button", name="Submit the request").click()

    expect(page.locator(".request-body")).to_have_attribute("data-status", "SUBMITTED")
    request_id = int(page.locator(".request-body").get_attribute("data-request-id"))
    be_answer = page.locator('.answer-card[data-state="FR"]')
    expect(be_answer).to_have_attribute("data-status", "PENDING")

    # France sees the new request appear without a reload, opens it and counter-proposes.
    row = fr.page.locator(f'tr[data-request-id="{request_id}"]')
    expect(row).to_be_visible(timeout=LIVE)
    expect(fr.page.locator("#live-log")).to_contain_text(f"Request #{request_id}")
    fr.shot("03-requests-list-live")
    row.get_by_role("link").first.click()  # the request (the "Your move" column links too)
    panel = fr.page.locator('[data-answer-panel="FR"]')
    expect(panel).to_be_visible()
    # Opening the request acknowledged it; Belgium sees "seen" live.
    expect(be_answer.locator('[data-seen="true"]')).to_be_visible(timeout=LIVE)

    panel.get_by_label("Counter-propose").check()
    panel.get_by_label("A later arrival").check()
    panel.get_by_label("Other units").check()
    panel.get_by_role("checkbox", name="GIGN").check()
    panel.get_by_label("The proposal, in words").fill(
        "GIGN instead of RAID, by helicopter from Versailles-Satory, arriving later than asked."
    )
    fr.shot("04-answer-panel-counter-proposal")
    fr.assert_labelled()
    panel.get_by_role("button", name="Send the counter-proposal").click()
    fr_card = fr.page.locator('.answer-card[data-state="FR"]')
    expect(fr_card).to_have_attribute("data-status", "COUNTER_PROPOSED")

    # Belgium sees the counter-proposal live and accepts it.
    expect(be_answer).to_have_attribute("data-status", "COUNTER_PROPOSED", timeout=LIVE)
    expect(be_answer.locator('[data-counter="FR"]')).to_contain_text("GIGN instead of RAID")
    be.shot("05-requester-counter-decision")
    be_answer.get_by_role("button", name="Accept the counter-proposal").click()
    expect(be_answer).to_have_attribute("data-status", "COUNTER_ACCEPTED")
    be_dep = page.locator(f'.deployment-card[data-unit-id="{gign}"]')
    expect(be_dep).to_have_attribute("data-status", "ALERTED")

    # France's screen follows without a reload.
    expect(fr_card).to_have_attribute("data-status", "COUNTER_ACCEPTED", timeout=LIVE)
    fr_dep = fr.page.locator(f'.deployment-card[data-unit-id="{gign}"]')
    expect(fr_dep).to_have_attribute("data-status", "ALERTED", timeout=LIVE)

    # GIGN's commander accepts the deployment and reports it through to ON_SCENE.
    cmd = consoles("gign-commander", timezone="Europe/Paris")
    cmd.sign_in("demo-cmd-fr")
    cmd.page.get_by_role("link", name="My unit").click()
    card = cmd.page.locator('.deployment-card[data-deployment-id]').filter(has_text=f"Request #{request_id}")
    expect(card).to_have_attribute("data-status", "ALERTED")
    cmd.shot("06-commander-alerted")
    cmd.assert_labelled()

    def step(action: str, status: str, fill=None) -> None:
        card.locator(f'button[data-action="{action}"]').click()
        if fill:
            fill(card)
        card.locator(f'button[data-confirm="{action}"]').click()
        expect(card).to_have_attribute("data-status", status, timeout=20_000)  # the step answers, then the card follows live

    step("unit_accept", "ACCEPTED", lambda c: c.get_by_label("Headcount").fill("24"))
    expect(cmd.page.locator(".page-head .badge").first).to_have_text("COMMITTED")
    step("mobilise", "MOBILISING")
    step("depart", "EN_ROUTE")
    expect(card).to_contain_text("ETA at the scene")
    step("arrive", "ON_SCENE", lambda c: c.get_by_label("On-scene commander (requesting state, Art. 3(3))").fill("Cdt. L. Peeters (DSU)"))
    cmd.shot("07-commander-on-scene")

    # Belgium and France see ON_SCENE, the ETA and the on-scene commander without a reload.
    for dep in (be_dep, fr_dep):
        expect(dep).to_have_attribute("data-status", "ON_SCENE", timeout=LIVE)
        expect(dep).to_contain_text("Cdt. L. Peeters (DSU)")
    be.page.evaluate("window.scrollTo(0, 0)")
    be.shot("08-request-detail-on-scene", full_page=True)
    fr.shot("09-authority-sees-on-scene")

    # The requester's timeline, the audit trail, and the ranking are one tab away.
    be.page.locator('[data-tab="timeline"]').click()
    expect(be.page.locator('[data-timeline] .timeline__step').first).to_be_visible()
    expect(be.page.locator("[data-timeline]")).to_contain_text("Answer counter propose")
    be.shot("10-timeline")
    fr.page.locator('[data-tab="audit"]').click()
    expect(fr.page.locator('table[data-table="audit"] tbody tr').first).to_be_visible()
    fr.shot("11-audit")
    be.page.locator('[data-tab="ranking"]').click()
    candidates = be.page.locator('table[data-table="candidates"] tbody tr')
    expect(candidates.first).to_be_visible()
    expect(be.page.locator("[data-ranking-source]")).to_have_attribute("data-ranking-source", "live")
    first = candidates.first
    first.get_by_text("Why").click()
    expect(first.locator(".explain").first).not_to_be_empty()
    expect(be.page.locator("[data-team] li").first).to_be_visible()
    # The excluded units are folded under their counts by reason; opening shows them.
    excluded = be.page.locator("details[data-excluded]")
    expect(excluded.locator("summary")).to_contain_text("Excluded units")
    excluded.locator("summary").click()
    expect(be.page.locator('table[data-table="excluded"] tbody tr').first).to_be_visible()
    be.shot("12-candidates")
    be.page.get_by_label("Ranking as of").select_option("snapshot")
    expect(be.page.locator("[data-ranking-source]")).to_have_attribute("data-ranking-source", "snapshot")
    be.page.get_by_label("Team covers each requirement twice (redundancy)").check()
    expect(be.page.locator("[data-team]")).to_be_visible()

    # Readiness follows the deployment: GIGN is COMMITTED on France's map and drawn at the crisis
    # site, where it is ON SCENE; the request is MET, so selecting it draws no candidate lines
    # (issue 16; tests/e2e/test_operator_views.py follows a deployment along its route).
    fr.goto("/map")
    marker = fr.page.locator(f'#atlas-map path[data-unit-id="{gign}"]')
    expect(marker).to_have_attribute("data-status", "COMMITTED")
    expect(marker).to_have_attribute("data-where", "on_scene")
    expect(fr.page.locator(f'#atlas-map [data-request-id="{request_id}"]')).to_be_attached()
    fr.page.locator(f'li[data-request-id="{request_id}"] button').click()
    expect(fr.page.locator(".side-section").filter(has_text="awaits no more units")).to_be_visible()
    expect(fr.page.locator("#atlas-map .atlas-candidate-line")).to_have_count(0)
    fr.page.wait_for_timeout(800)  # the map flies to the site
    fr.shot("20-map-request-candidates")


def test_refuse_needs_a_reason_accept_names_units_and_the_requester_withdraws(consoles, server, unit_ids):
    """Germany refuses (the missing reason is shown at the reason field), the Netherlands accepts
    with DSI, and Belgium sees both and withdraws: each screen follows live."""
    from tests.factories import request_payload

    expect = _expect()
    status, created = server.call("POST", "/api/v1/requests", "demo-cc-be", request_payload(addressees=["DE", "NL"]))
    assert status == 201, created
    request_id = created["id"]

    be = consoles("be-centre")
    be.sign_in("demo-cc-be")
    be.goto(f"/requests/{request_id}")
    de = consoles("de-authority", timezone="Europe/Berlin")
    de.sign_in("demo-ca-de")
    de.goto(f"/requests/{request_id}")
    panel = de.page.locator('[data-answer-panel="DE"]')
    panel.get_by_label("Refuse").check()
    panel.get_by_role("button", name="Refuse the request").click()
    reason = panel.get_by_label("Reason for refusing (required)")
    expect(panel.locator('[data-field="reason"] .field__error')).to_be_visible()
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Our unit is committed to a national operation this week.")
    panel.get_by_role("button", name="Refuse the request").click()
    expect(de.page.locator('.answer-card[data-state="DE"]')).to_have_attribute("data-status", "REFUSED")
    expect(be.page.locator('.answer-card[data-state="DE"]')).to_have_attribute("data-status", "REFUSED", timeout=LIVE)
    expect(be.page.locator('.answer-card[data-state="DE"]')).to_contain_text("national operation")

    nl = consoles("nl-authority", timezone="Europe/Amsterdam")
    nl.sign_in("demo-ca-nl")
    nl.goto(f"/requests/{request_id}")
    panel = nl.page.locator('[data-answer-panel="NL"]')
    panel.get_by_role("button", name="Accept the request").click()  # no unit chosen
    expect(panel.locator('[data-field="units"] .field__error')).to_be_visible()
    panel.get_by_role("checkbox", name="DSI").check()
    panel.get_by_role("button", name="Accept the request").click()
    expect(nl.page.locator('.answer-card[data-state="NL"]')).to_have_attribute("data-status", "ACCEPTED")
    be_dep = be.page.locator(f'.deployment-card[data-unit-id="{unit_ids["nl-dsi"]}"]')
    expect(be_dep).to_have_attribute("data-status", "ALERTED", timeout=LIVE)

    be.page.get_by_role("button", name="Withdraw…").click()
    be.page.get_by_label("Reason for withdrawing").fill("The hijackers surrendered.")
    be.page.get_by_role("button", name="Withdraw the request").click()
    expect(be.page.locator(".request-body")).to_have_attribute("data-status", "WITHDRAWN")
    for other in (de, nl):
        expect(other.page.locator(".request-body")).to_have_attribute("data-status", "WITHDRAWN", timeout=LIVE)
    be.shot("21-request-withdrawn")


def test_typing_a_refusal_survives_a_live_update_of_the_request(consoles, server):
    """Germany is writing its reason when the Netherlands acknowledges the same request: the
    screen follows live, and the reason, the caret and the keyboard stay where they were."""
    from tests.factories import request_payload

    expect = _expect()
    status, created = server.call("POST", "/api/v1/requests", "demo-cc-be", request_payload(addressees=["DE", "NL"]))
    assert status == 201, created
    request_id = created["id"]
    de = consoles("de-authority", timezone="Europe/Berlin")
    de.sign_in("demo-ca-de")
    de.goto(f"/requests/{request_id}")
    page = de.page
    expect(page.locator('.answer-card[data-state="DE"] [data-seen="true"]')).to_be_visible(timeout=LIVE)
    panel = page.locator('[data-answer-panel="DE"]')
    panel.get_by_label("Refuse").check()
    reason = panel.get_by_label("Reason for refusing (required)")
    reason.click()
    page.keyboard.type("Our unit is committed")

    status, _ = server.call("POST", f"/api/v1/requests/{request_id}/seen", "demo-ca-nl", {})
    assert status == 200
    expect(page.locator('.answer-card[data-state="NL"] [data-seen="true"]')).to_be_visible(timeout=LIVE)

    page.keyboard.type(" this week.")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Our unit is committed this week.")
    panel.get_by_role("button", name="Refuse the request").click()
    expect(page.locator('.answer-card[data-state="DE"]')).to_have_attribute("data-status", "REFUSED")
    assert de.errors == []


def test_connection_indicator_and_catch_up_after_a_drop(consoles, server, unit_ids):
    """The indicator shows the drop; events missed meanwhile arrive after the reconnect."""
    expect = _expect()
    be = consoles("be-centre")
    be.sign_in("demo-cc-be")
    be.goto("/units")
    expect(be.page.locator('table[data-table="units"]')).to_be_visible()
    gign_row = be.page.locator("tr", has_text="GIGN").first
    # Cut the socket (as a network drop would) and change readiness while it is down.
    be.tolerated.append("ERR_INTERNET_DISCONNECTED")
    be.context.set_offline(True)
    be.page.evaluate("import('/static/js/live.js').then((m) => m.simulateDrop())")
    expect(be.page.locator("#conn")).not_to_have_attribute("data-state", "connected", timeout=LIVE)
    be.shot("13-connection-lost")
    gign = unit_ids["fr-gign"]
    status, answer = server.call("PUT", f"/api/v1/units/{gign}/readiness", "demo-cmd-fr", {"status": "LIMITED", "reason": "half the team on leave"})
    assert status == 200, answer
    be.context.set_offline(False)
    expect(be.page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(gign_row).to_contain_text("LIMITED", timeout=LIVE)
    expect(be.page.locator("#live-log")).to_contain_text("LIMITED")


def test_commander_sets_readiness_with_reason_and_axes(consoles, unit_ids):
    expect = _expect()
    gign = unit_ids["fr-gign"]
    watcher = consoles("observer", timezone="Europe/Berlin")
    watcher.sign_in("demo-observer")
    watcher.goto("/map")
    marker = watcher.page.locator(f'#atlas-map path[data-unit-id="{gign}"]')
    expect(marker).to_have_attribute("data-status", "READY")

    cmd = consoles("gign-commander", timezone="Europe/Paris")
    cmd.sign_in("demo-cmd-fr")
    cmd.goto(f"/units/{gign}")
    form = cmd.page.locator('form[data-form="readiness"]')
    form.get_by_label("Status").select_option("TRAINING")
    form.get_by_role("button", name="Report readiness").click()
    # The API's field errors land next to their fields: no reason, no break-off time.
    expect(form.locator('[data-field="reason"] .field__error')).to_be_visible()
    expect(form.locator('[data-field="break_off_min"] .field__error')).to_be_visible()
    form.get_by_label("Can break off within (minutes)").fill("90")
    form.get_by_label("Equipment").select_option("partial")
    form.get_by_label("Reason").fill("Joint exercise with RAID in Bièvres")
    form.get_by_role("button", name="Report readiness").click()
    expect(cmd.page.locator(".page-head .badge").first).to_have_text("TRAINING")
    expect(cmd.page.locator('table[data-table="readiness-history"]')).to_contain_text("Joint exercise with RAID")
    cmd.shot("14-commander-readiness")
    expect(marker).to_have_attribute("data-status", "TRAINING", timeout=LIVE)
    watcher.shot("15-map-after-readiness-change")


def test_planner_readiness_guard_blocks_a_training_and_says_why(consoles, unit_ids):
    expect = _expect()
    dsu = unit_ids["be-dsu"]
    planner = consoles("planner", timezone="Europe/Brussels")
    planner.sign_in("demo-planner")
    day = (date.today() + timedelta(days=10)).isoformat()
    planner.goto(f"/trainings/new?date={day}")
    page = planner.page
    expect(page.get_by_role("heading", name="Plan a training or exercise")).to_be_visible()
    page.get_by_label("Title").fill("DSU aircraft intervention drill")
    page.get_by_label("Kind").select_option("field_exercise")
    page.get_by_label("Host unit").select_option(str(dsu))
    page.get_by_label("Starts (venue time)").fill(f"{day}T08:00")
    page.get_by_label("Ends (venue time)").fill(f"{day}T18:00")

    # The dry-run check shows the conflicts at the top of the form, counted by kind, state and
    # capability (names, one range in the viewer's zone), the single conflicts on demand.
    check = page.locator(".check-result")
    expect(check).to_have_attribute("data-check", "conflicts", timeout=LIVE)
    belgium = check.locator('.conflict-kind[data-kind="readiness_guard"] .conflict-state[data-state="BE"]')
    expect(belgium).to_contain_text("Belgium")
    aircraft = belgium.locator('.conflict-group[data-capability="ENV_AIRCRAFT"]')
    expect(aircraft).to_contain_text("Aircraft")
    expect(aircraft).not_to_contain_text("ENV_AIRCRAFT")
    expect(belgium.locator('[data-fact="window"]').first).to_contain_text(f"{day[8:]} ")
    aircraft.locator("summary").click()
    expect(aircraft.locator(".conflict-entries li").first).to_contain_text("no READY unit left")
    planner.shot("16-training-form-full", full_page=True)
    summary = page.locator("[data-check-summary]")
    expect(summary).to_contain_text("conflict")
    summary.click()
    planner.shot("16-training-form-readiness-guard")
    planner.assert_labelled()

    # Saving anyway is refused with the same reasons; an override needs a reason.
    page.get_by_role("button", name="Plan the training").click()
    expect(page.locator(".form-errors")).to_contain_text("planning conflict")
    expect(page.get_by_label("Override reason (recorded in the audit trail)")).to_be_focused()
    page.get_by_label("Override reason (recorded in the audit trail)").fill(
        "Belgian Federal Police reserve covers the capital region that day (agreed by the DSU chief)."
    )
    page.get_by_role("button", name="Save despite the conflicts").click()
    expect(page.locator(".page-head h1")).to_have_text("DSU aircraft intervention drill")
    expect(page.locator("[data-override]")).to_contain_text("Saved despite")
    expect(page.locator("[data-override]")).to_contain_text("planning conflict")

    # The calendar marks the day and lists why (month and week views).
    planner.goto(f"/trainings?view=month&date={day}")
    chip = page.locator(f'[data-day="{day}"] .cal-event--conflict')
    expect(chip).to_be_visible()
    expect(page.locator("#cal-conflicts")).to_be_visible()
    planner.shot("17-calendar-month")
    planner.assert_labelled()
    page.get_by_role("button", name="Week").click()
    expect(page.locator(f'.cal-week__day[data-day="{day}"] .cal-event--conflict')).to_be_visible()
    planner.shot("18-calendar-week")


def test_wall_display_and_keyboard(consoles):
    """The map reads on a 2560×1440 wall display, and the console is usable from the keyboard."""
    expect = _expect()
    wall = consoles("wall", viewport=WALL)
    wall.page.goto(f"{wall.server.url}/#/signin")
    page = wall.page
    # Keyboard only. The skip link comes first, and moves focus to the page's heading without
    # touching the route; the user name field follows.
    page.get_by_label("User name").focus()
    page.keyboard.press("Shift+Tab")
    assert "Skip" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#/signin"
    assert page.evaluate("document.activeElement.tagName") == "H1"
    page.keyboard.press("Tab")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type("demo-observer")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-password-for-tests")
    page.keyboard.press("Enter")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected")
    expect(page.locator("#atlas-map path.atlas-unit-marker").first).to_be_attached()
    expect(page.locator("#atlas-map")).to_have_attribute("data-basemap", "loaded")
    font_px = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert font_px >= 20, font_px
    wall.shot("19-wall-display-map")
    # Nav links work from the keyboard; every control of the units view has a label.
    page.locator('a[data-nav="units"]').focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Units of the ATLAS network")).to_be_visible()
    wall.assert_labelled()


def test_leaving_the_map_while_the_land_redraws_raises_no_script_error(consoles):
    """A canvas redraw that lands after the map view is gone (the user moved on mid-animation)
    does nothing, instead of throwing in the page (Leaflet 1.9.4 reads the destroyed canvas)."""
    expect = _expect()
    observer = consoles("observer")
    observer.sign_in("demo-observer")
    page = observer.page
    expect(page.locator("#atlas-map")).to_have_attribute("data-basemap", "loaded")
    page.evaluate("() => { window.landRenderer = window.atlasMap.basemapLayer.getLayers()[0]._renderer; }")
    observer.goto("/trainings")
    expect(page.locator("#atlas-map")).to_have_count(0)
    outcome = page.evaluate(
        """() => {
            const renderer = window.landRenderer;
            try { renderer._redraw(); renderer._updatePaths(); return renderer._container ? 'canvas kept' : 'no error'; }
            catch (error) { return String(error); }
        }"""
    )
    assert outcome == "no error"
    assert observer.errors == []


def test_leaving_the_map_mid_zoom_raises_no_script_error(consoles):
    """A zoom animation's late steps (the next frame, the 250 ms transition end) that land after
    the map view is gone do nothing, instead of throwing "reading '_leaflet_pos'" in the page
    (Leaflet 1.9.4 reads the removed map pane; seen at browser-test teardown)."""
    expect = _expect()
    observer = consoles("observer")
    observer.sign_in("demo-observer")
    page = observer.page
    expect(page.locator("#atlas-map")).to_have_attribute("data-basemap", "loaded")
    page.evaluate("() => { window.leftMap = window.atlasMap; }")
    observer.goto("/trainings")
    expect(page.locator("#atlas-map")).to_have_count(0)
    outcome = page.evaluate(
        """() => {
            const map = window.leftMap;
            map._animatingZoom = true;
            try { map._animateZoom(L.latLng(50, 10), 6); map._onZoomTransitionEnd(); return 'no error'; }
            catch (error) { return String(error); }
        }"""
    )
    assert outcome == "no error"
    assert observer.errors == []
