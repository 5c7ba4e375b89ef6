"""Recurring trainings: wall time across daylight saving, exceptions, single-occurrence edits,
changes with compare-and-set, cancellation and listing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from atlas_coord.models import Event
from tests.factories import training_payload, unit_id

BERLIN = ZoneInfo("Europe/Berlin")


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


def berlin_series(api, host, **extra):
    """Every third Wednesday, 09:00-12:00 in Berlin, from January 2027 (a command-post staff meeting)."""
    body = training_payload(
        host_unit_id=host, kind="meeting", title="Command post staff meeting",
        venue={"name": "GSG 9, Sankt Augustin", "lat": 50.77, "lon": 7.19}, timezone="Europe/Berlin",
        start_local="2027-01-20T09:00", end_local="2027-01-20T12:00", rrule="FREQ=MONTHLY;BYDAY=+3WE", **extra)
    response = api.post("/api/v1/trainings", "demo-planner", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def occurrences(api, tid, start="2027-01-01", end="2027-06-30"):
    response = api.get(f"/api/v1/trainings/{tid}?from={start}&to={end}", "demo-observer")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["occurrences"]


def test_a_monthly_series_at_nine_in_berlin_stays_at_nine_across_the_march_change(api, database):
    (gsg9,) = ids(database, "de-gsg9")
    tid = berlin_series(api, gsg9)["id"]

    found = occurrences(api, tid)

    expected_days = [(1, 20), (2, 17), (3, 17), (4, 21), (5, 19), (6, 16)]
    assert [o["recurrence_id"] for o in found] == [f"2027-{m:02d}-{d:02d}T09:00" for m, d in expected_days]
    for occurrence, (month, day) in zip(found, expected_days, strict=True):
        local = datetime(2027, month, day, 9, 0, tzinfo=BERLIN)
        assert datetime.fromisoformat(occurrence["start_local"]) == local
        assert datetime.fromisoformat(occurrence["start_utc"].replace("Z", "+00:00")) == local
    assert [o["start_utc"][11:16] for o in found] == ["08:00", "08:00", "08:00", "07:00", "07:00", "07:00"]
    assert [o["start_local"][-6:] for o in found] == ["+01:00"] * 3 + ["+02:00"] * 3


def test_one_occurrence_is_moved_one_cancelled_one_excluded_and_an_edit_can_be_undone(api, database):
    (gsg9,) = ids(database, "de-gsg9")
    tid = berlin_series(api, gsg9, exdates=["2027-05-19T09:00"])["id"]

    moved = api.put(f"/api/v1/trainings/{tid}/occurrences/2027-02-17T09:00", "demo-planner",
                    json={"start_local": "2027-02-18T14:00", "end_local": "2027-02-18T17:00", "title": "Staff meeting (moved)"})
    cancelled = api.put(f"/api/v1/trainings/{tid}/occurrences/2027-03-17T09:00", "demo-planner", json={"cancelled": True})
    stray = api.put(f"/api/v1/trainings/{tid}/occurrences/2027-03-18T09:00", "demo-planner", json={"cancelled": True})
    garbled = api.put(f"/api/v1/trainings/{tid}/occurrences/tomorrow", "demo-planner", json={"cancelled": True})
    assert moved.status_code == 200
    assert cancelled.status_code == 200
    assert stray.status_code == 404
    assert "recurrence_id" in stray.get_json()["error"]["fields"]
    assert garbled.status_code == 422
    assert "recurrence_id" in garbled.get_json()["error"]["fields"]

    found = {o["recurrence_id"]: o for o in occurrences(api, tid)}
    assert sorted(found) == ["2027-01-20T09:00", "2027-02-17T09:00", "2027-04-21T09:00", "2027-06-16T09:00"]
    assert found["2027-02-17T09:00"]["start_local"] == "2027-02-18T14:00+01:00"
    assert found["2027-02-17T09:00"]["title"] == "Staff meeting (moved)"

    undo = api.delete(f"/api/v1/trainings/{tid}/occurrences/2027-02-17T09:00", "demo-planner")
    assert undo.status_code == 200
    assert occurrences(api, tid)[1]["start_local"] == "2027-02-17T09:00+01:00"


def test_a_change_with_a_stale_version_is_refused_and_a_fresh_one_moves_the_series(api, database):
    (gsg9,) = ids(database, "de-gsg9")
    created = berlin_series(api, gsg9)
    tid, version = created["id"], created["version"]
    assert api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={"title": "Renamed"}).status_code == 200

    stale = api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={"title": "Mine", "expected_version": version})
    fresh = api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={
        "rrule": "FREQ=MONTHLY;BYDAY=+1MO", "start_local": "2027-02-01T10:00", "end_local": "2027-02-01T12:00",
        "expected_version": version + 1})

    assert stale.status_code == 409
    assert stale.get_json()["error"]["current"]["version"] == version + 1
    assert fresh.status_code == 200, fresh.get_json()
    assert fresh.get_json()["title"] == "Renamed"
    assert [o["recurrence_id"] for o in occurrences(api, tid, "2027-01-01", "2027-03-31")] == [
        "2027-02-01T10:00", "2027-03-01T10:00"]
    bad = api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={"end_local": "2027-02-01T09:00"})
    assert bad.status_code == 422
    assert "end_local" in bad.get_json()["error"]["fields"]


def test_a_cancelled_training_cannot_be_changed_and_says_so(api, database):
    (gsg9,) = ids(database, "de-gsg9")
    tid = berlin_series(api, gsg9)["id"]
    assert api.post(f"/api/v1/trainings/{tid}/cancel", "demo-planner", json={"reason": "budget"}).status_code == 200

    again = api.post(f"/api/v1/trainings/{tid}/cancel", "demo-planner", json={"reason": "budget"})
    change = api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={"title": "Back on"})

    assert again.status_code == 409
    assert change.status_code == 409
    assert api.get(f"/api/v1/trainings/{tid}", "demo-observer").get_json()["status"] == "cancelled"


def test_the_list_filters_by_occurrence_dates_unit_state_and_pages(api, database):
    gsg9, gign, dsi = ids(database, "de-gsg9", "fr-gign", "nl-dsi")
    series = berlin_series(api, gsg9)["id"]  # third Wednesdays from January 2027
    single = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", timezone="Europe/Paris", invite_unit_ids=[dsi],
        start_local="2027-02-03T09:00", end_local="2027-02-03T17:00")).get_json()["id"]

    def listed(query):
        response = api.get(f"/api/v1/trainings?{query}", "demo-cmd-nl")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return [t["id"] for t in body["items"]], body["total"]

    assert listed("") == ([series, single], 2)
    assert listed("from=2027-02-01&to=2027-02-10") == ([single], 1)  # no third Wednesday in that week
    assert listed("from=2027-02-01&to=2027-02-20") == ([series, single], 2)
    assert listed(f"unit={dsi}") == ([single], 1)
    assert listed("state=DE") == ([series], 1)
    assert listed("state=NL") == ([single], 1)
    assert listed("kind=meeting") == ([series], 1)
    assert listed("per_page=1&page=2") == ([single], 2)
    bad = api.get("/api/v1/trainings?from=2027-02-10&to=2027-02-01", "demo-cmd-nl")
    assert bad.status_code == 422
    assert "to" in bad.get_json()["error"]["fields"]


def test_a_training_shows_its_occurrences_with_the_conflicts_they_add(api, database):
    """An overridden weekly Belgian exercise: each occurrence in the window carries its BE conflicts."""
    (dsu,) = ids(database, "be-dsu")
    body = training_payload(host_unit_id=dsu, rrule="FREQ=WEEKLY;COUNT=4",
                            override_reason="Federal Police standby team covers the gap")
    tid = api.post("/api/v1/trainings", "demo-planner", json=body).get_json()["id"]

    detail = api.get(f"/api/v1/trainings/{tid}?from=2027-03-01&to=2027-03-31", "demo-observer").get_json()

    assert [o["recurrence_id"][:10] for o in detail["occurrences"]] == ["2027-03-10", "2027-03-17", "2027-03-24", "2027-03-31"]
    for occurrence in detail["occurrences"]:
        aircraft = [c for c in occurrence["conflicts"] if c["capability"] == "ENV_AIRCRAFT"]
        assert len(aircraft) == 1
        assert aircraft[0]["state"] == "BE"
        assert aircraft[0]["window_start"] == occurrence["start_utc"]


def test_every_change_is_published_to_everyone(api, database):
    (gsg9,) = ids(database, "de-gsg9")
    tid = berlin_series(api, gsg9)["id"]
    api.patch(f"/api/v1/trainings/{tid}", "demo-planner", json={"title": "Renamed"})
    api.put(f"/api/v1/trainings/{tid}/occurrences/2027-03-17T09:00", "demo-planner", json={"cancelled": True})
    with database.transaction() as s:
        rows = list(s.scalars(sa.select(Event).where(Event.subject == f"training:{tid}").order_by(Event.seq)))
    assert [e.type for e in rows] == ["training.created", "training.updated", "training.updated"]
    assert all("all" in e.audience for e in rows)
    assert rows[2].data["occurrence"] == {"recurrence_id": "2027-03-17T09:00", "cancelled": True,
                                          "start_local": None, "end_local": None, "title": None}
