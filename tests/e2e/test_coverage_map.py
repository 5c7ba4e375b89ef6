"""A planner watches the coverage map (issue #17): the layer of "time to the first tier-1 unit"
changes when an exercise takes the northern tier-1 units off duty at that time.

With ``ATLAS_README_SCREENSHOTS=1`` the whole 50 km grid is used and the map is saved as
docs/screenshots/coverage-map.png for the README (otherwise every 40th cell, quick)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import app_settings
from tests.factories import training_payload

pytestmark = pytest.mark.browser

README_SHOTS = bool(os.environ.get("ATLAS_README_SCREENSHOTS"))
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "coverage-map.png"


@pytest.fixture
def live_app(db_url):
    from atlas_coord import create_app

    overrides = {"coverage": {"cell_stride": 1}} if README_SHOTS else {}
    application = create_app(app_settings(db_url, **overrides))
    yield application
    application.extensions["atlas_db"].dispose()


def test_a_planner_sees_the_coverage_layer_change_when_an_exercise_is_added(consoles, server, unit_ids):
    from playwright.sync_api import expect

    planner = consoles("planner", timezone="Europe/Brussels")
    planner.sign_in("demo-planner")
    planner.goto("/map")
    page = planner.page
    mapbox = page.locator("#atlas-map")
    page.get_by_label("Coverage: time to the first capable unit").check()
    expect(mapbox).to_have_attribute("data-coverage", "loaded", timeout=120_000)
    page.get_by_label("When (your time; empty: now)").fill("2027-03-10T12:00")
    page.get_by_label("When (your time; empty: now)").dispatch_event("change")
    expect(page.get_by_role("status").filter(has_text="cells beyond")).to_be_visible()
    before = int(mapbox.get_attribute("data-coverage-beyond"))
    planner.assert_labelled()

    # The exercise: Sweden's NI hosts GSG 9, BOA and Delta in Stockholm on that day, all off duty.
    body = training_payload(
        host_unit_id=unit_ids["se-ni"], title="Northern tier-1 exercise",
        venue={"name": "Stockholm Arlanda", "lat": 59.65, "lon": 17.92}, timezone="Europe/Stockholm",
        invite_unit_ids=[unit_ids["de-gsg9"], unit_ids["pl-boa"], unit_ids["no-delta"]],
        override_reason="the exercise is the point of this test")
    status, created = server.call("POST", "/api/v1/trainings", "demo-planner", body)
    assert status == 201, created

    # Live: the training event refetches the layer; more cells now wait beyond 4 h.
    expect(mapbox).not_to_have_attribute("data-coverage-beyond", str(before), timeout=30_000)
    after = int(mapbox.get_attribute("data-coverage-beyond"))
    assert after > before
    page.get_by_text("Table by state and region").click()
    table = page.get_by_test_id("coverage-table")
    expect(table.locator("tr[data-area='Nordic']")).to_be_visible()
    planner.shot("coverage-map")
    if README_SHOTS:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    # From the training plan: the exercise's what-if in words.
    planner.goto(f"/trainings/{created['id']}")
    expect(page.get_by_test_id("coverage-what-if")).to_contain_text("within 4 h")
