"""Issue #16 in the browser: the units table an operator can filter at a glance (capability,
readiness, state, a search that knows capability names) with 15 or more rows on a laptop screen,
and a bad form answered in plain words at the field, never with a raw field path."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

ROWS = 'table[data-table="units"] tbody tr'


def _expect():
    from playwright.sync_api import expect

    return expect


def rows_on_screen(page) -> int:
    """How many unit rows are wholly inside the window without scrolling."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table[data-table="units"] tbody tr')]
            .filter((tr) => { const r = tr.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })
            .length"""
    )


def column(page, index: int, attribute: str | None = None) -> list[str]:
    cells = page.locator(f"{ROWS} td:nth-child({index})")
    return cells.evaluate_all(f"(tds) => tds.map((td) => {'td.title' if attribute == 'title' else 'td.textContent'})")


def caption_count(page) -> int:
    return int(page.locator('table[data-table="units"] caption').inner_text().split()[0])


def test_the_units_table_filters_by_capability_readiness_state_and_capability_names(consoles):
    expect = _expect()
    be = consoles("be-centre")
    be.sign_in("demo-cc-be")
    be.goto("/units")
    expect(be.page.locator(ROWS).first).to_be_visible()
    everyone = caption_count(be.page)
    assert rows_on_screen(be.page) >= 15, "compact rows: at least 15 units on a 1366x768 screen"
    be.shot("units-compact")
    be.assert_labelled()

    filters = be.page.locator('[data-filters="units"]')
    filters.get_by_label("Capability").select_option(label="Aircraft (ENV_AIRCRAFT)")
    expect(be.page.locator('table[data-table="units"] caption')).not_to_have_text(f"{everyone} units")
    aircraft = caption_count(be.page)
    assert 0 < aircraft < everyone
    assert all("ENV_AIRCRAFT" in title for title in column(be.page, 8, "title"))
    assert all(text.startswith("Aircraft") for text in column(be.page, 8)), "the capability asked for comes first"

    filters.get_by_label("Readiness").select_option(label="Ready")
    filters.get_by_label("State").select_option(label="France (FR)")
    expect(be.page.locator(ROWS).first).to_contain_text("GIGN")
    assert set(column(be.page, 2)) == {"FR"}
    assert {text.strip() for text in column(be.page, 5)} == {"READY"}

    for label in ("Capability", "Readiness", "State"):
        filters.get_by_label(label).select_option(index=0)
    expect(be.page.locator('table[data-table="units"] caption')).to_have_text(f"{everyone} units")
    filters.get_by_label("Search").fill("aircraft")
    expect(be.page.locator('table[data-table="units"] caption')).to_have_text(f"{aircraft} units")
    names = column(be.page, 1)
    assert any("aircraft" not in name.lower() for name in names), "found by the capability's name, not the unit's"
    assert all(text.startswith("Aircraft") for text in column(be.page, 8))
    be.shot("units-search-aircraft")


def test_a_bad_form_is_answered_in_plain_words_at_the_field(consoles):
    expect = _expect()
    be = consoles("be-centre")
    be.sign_in("demo-cc-be")
    be.goto("/requests/new")
    form = be.page.locator("form").filter(has=be.page.get_by_label("Latitude"))
    be.page.get_by_label("Latitude").fill("")
    be.page.get_by_label("Longitude").fill("4.48")
    be.page.get_by_role("button", name="Submit the request").first.click()
    latitude = be.page.locator('[data-field="crisis.site.lat"] .field__error')
    expect(latitude).to_have_text("Enter the latitude as a number, e.g. 50.9.")
    assert "crisis.site.lat" in latitude.get_attribute("title"), "the field path stays in the tooltip"
    text = form.inner_text()
    for raw in ("crisis.site", "Input should be", "String should have", "validation_error", "address_all", "()"):
        assert raw not in text, f"{raw!r} reached the page"
    be.shot("plain-words-at-the-field")


def test_signing_in_logs_no_401_and_a_reload_keeps_the_session(consoles):
    """Issue #16 item 9: the console does not ask /auth/me when it knows there is no session."""
    expect = _expect()
    be = consoles("be-centre")
    refused: list[str] = []
    be.page.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
    be.sign_in("demo-cc-be")
    assert refused == [], f"401s while signing in: {refused}"
    be.page.reload()
    expect(be.page.locator("#who")).to_contain_text("demo")
    be.page.get_by_role("button", name="Sign out").click()
    expect(be.page.get_by_label("User name")).to_be_visible()
    be.page.reload()
    expect(be.page.get_by_label("User name")).to_be_visible()
    assert refused == [], f"401s after signing out: {refused}"
