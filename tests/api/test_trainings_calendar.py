"""Calendars: an ICS file per training and revocable subscription feeds per unit and per state,
parsed with the icalendar library and checked against zoneinfo."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import rrulestr
from icalendar import Calendar

from atlas_coord.models import AuditRecord, CalendarFeedToken
from tests.factories import training_payload, unit_id

BERLIN = ZoneInfo("Europe/Berlin")


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


def plan_series(api, host, invite):
    """Every third Wednesday 09:00-12:00 in Berlin, six times, without May, with February moved."""
    body = training_payload(
        host_unit_id=host, kind="meeting", title="Command post staff meeting", invite_unit_ids=invite,
        venue={"name": "GSG 9, Sankt Augustin", "lat": 50.77, "lon": 7.19}, timezone="Europe/Berlin",
        start_local="2027-01-20T09:00", end_local="2027-01-20T12:00", rrule="FREQ=MONTHLY;BYDAY=+3WE;COUNT=6",
        exdates=["2027-05-19T09:00"])
    response = api.post("/api/v1/trainings", "demo-planner", json=body)
    assert response.status_code == 201, response.get_json()
    tid = response.get_json()["id"]
    moved = api.put(f"/api/v1/trainings/{tid}/occurrences/2027-02-17T09:00", "demo-planner",
                    json={"start_local": "2027-02-18T14:00", "end_local": "2027-02-18T17:00"})
    assert moved.status_code == 200
    return tid


def parse(response) -> Calendar:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_the_ics_of_a_series_carries_vtimezone_rrule_exdate_the_moved_occurrence_and_attendees(api, database):
    gsg9, dsi, cobra = ids(database, "de-gsg9", "nl-dsi", "at-eko-cobra")
    tid = plan_series(api, gsg9, [dsi, cobra])
    api.post(f"/api/v1/trainings/{tid}/participants/{dsi}/response", "demo-cmd-nl", json={"answer": "accept"})
    api.post(f"/api/v1/trainings/{tid}/participants/{cobra}/response", "demo-cmd-at", json={"answer": "decline"})

    calendar = parse(api.get(f"/api/v1/trainings/{tid}.ics", "demo-observer"))

    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Berlin"
    master, moved = calendar.walk("VEVENT")
    assert str(master["UID"]) == str(moved["UID"]) == f"training-{tid}@atlas-coord"
    start = master.decoded("DTSTART")
    assert start == datetime(2027, 1, 20, 9, 0, tzinfo=BERLIN)
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    rule = master["RRULE"].to_ical().decode()
    assert "FREQ=MONTHLY" in rule
    assert "BYDAY=+3WE" in rule
    assert "COUNT=6" in rule
    (exdate,) = master["EXDATE"].dts
    assert exdate.dt == datetime(2027, 5, 19, 9, 0, tzinfo=BERLIN)
    assert moved.decoded("RECURRENCE-ID") == datetime(2027, 2, 17, 9, 0, tzinfo=BERLIN)
    assert moved.decoded("DTSTART") == datetime(2027, 2, 18, 14, 0, tzinfo=BERLIN)
    attendees = {str(a.params["CN"]): (str(a.params["PARTSTAT"]), str(a.params["ROLE"])) for a in master["ATTENDEE"]}
    assert attendees == {"GSG 9": ("ACCEPTED", "CHAIR"), "DSI": ("ACCEPTED", "REQ-PARTICIPANT"),
                         "EKO Cobra": ("DECLINED", "REQ-PARTICIPANT")}
    assert {str(a) for a in master["ATTENDEE"]} == {f"urn:atlas-coord:unit:{u}" for u in (gsg9, dsi, cobra)}

    # What a calendar client expands from the file is what the API says, in UTC.
    naive = start.replace(tzinfo=None)
    client = [d.replace(tzinfo=BERLIN) for d in rrulestr(rule, dtstart=naive)]
    client = [d for d in client if d != exdate.dt]
    api_view = api.get(f"/api/v1/trainings/{tid}?from=2027-01-01&to=2027-12-31", "demo-observer").get_json()
    api_starts = {o["recurrence_id"]: o["start_utc"] for o in api_view["occurrences"]}
    assert len(client) == len(api_starts) == 5
    for local in client:
        key = local.strftime("%Y-%m-%dT%H:%M")
        expected = local if key != "2027-02-17T09:00" else datetime(2027, 2, 18, 14, 0, tzinfo=BERLIN)
        assert api_starts[key] == expected.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_commander_subscribes_to_the_units_feed_and_revokes_it(api, database):
    gsg9, dsi = ids(database, "de-gsg9", "nl-dsi")
    tid = plan_series(api, gsg9, [dsi])
    created = api.post("/api/v1/calendar-feeds", "demo-cmd-nl", json={"scope": "unit", "unit_id": dsi, "label": "ops room"})
    assert created.status_code == 201, created.get_json()
    feed = created.get_json()
    assert feed["url"] == f"/calendar/unit/{dsi}.ics?token={feed['token']}"

    calendar = parse(api.get(feed["url"]))
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {f"training-{tid}@atlas-coord"}
    assert str(calendar["X-WR-CALNAME"]).endswith("DSI")
    assert calendar.walk("VTIMEZONE")
    assert "RRULE" in calendar.walk("VEVENT")[0]

    with database.transaction() as s:
        row = s.get(CalendarFeedToken, feed["id"])
        assert row.token_hash != feed["token"]
        assert feed["token"] not in str(row.token_hash)
        assert row.last_used_at is not None
        audit_text = " ".join(str(r.after) for r in s.scalars(sa.select(AuditRecord)))
        assert feed["token"] not in audit_text
    assert api.get(f"/calendar/unit/{dsi}.ics?token=wrong-token-0123456789").status_code == 404
    assert api.get(f"/calendar/unit/{gsg9}.ics?token={feed['token']}").status_code == 404
    assert api.get(f"/calendar/state/NL.ics?token={feed['token']}").status_code == 404

    listed = api.get("/api/v1/calendar-feeds", "demo-cmd-nl").get_json()["items"]
    assert [f["id"] for f in listed] == [feed["id"]]
    assert "token" not in listed[0]
    assert api.delete(f"/api/v1/calendar-feeds/{feed['id']}", "demo-cmd-de").status_code == 404  # another state cannot even learn the feed exists
    assert api.delete(f"/api/v1/calendar-feeds/{feed['id']}", "demo-cmd-nl").status_code == 200
    assert api.get(feed["url"]).status_code == 404


def test_a_state_feed_shows_trainings_involving_its_units_for_its_authority_only(api, database):
    gsg9, dsi, gign = ids(database, "de-gsg9", "nl-dsi", "fr-gign")
    dutch = plan_series(api, gsg9, [dsi])
    french_only = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", timezone="Europe/Paris")).get_json()["id"]

    assert api.post("/api/v1/calendar-feeds", "demo-ca-be", json={"scope": "state", "state": "NL"}).status_code == 403
    assert api.post("/api/v1/calendar-feeds", "demo-cmd-nl", json={"scope": "state", "state": "NL"}).status_code == 403
    missing = api.post("/api/v1/calendar-feeds", "demo-ca-nl", json={"scope": "state"})
    assert missing.status_code == 422
    assert "state" in missing.get_json()["error"]["fields"]
    feed = api.post("/api/v1/calendar-feeds", "demo-ca-nl", json={"scope": "state", "state": "nl"}).get_json()

    calendar = parse(api.get(feed["url"]))
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {f"training-{dutch}@atlas-coord"}
    assert french_only != dutch


def test_feeds_answer_not_modified_when_nothing_changed(api, database):
    gsg9, dsi = ids(database, "de-gsg9", "nl-dsi")
    plan_series(api, gsg9, [dsi])
    feed = api.post("/api/v1/calendar-feeds", "demo-planner", json={"scope": "unit", "unit_id": dsi}).get_json()
    first = api.get(feed["url"])
    again = api.get(feed["url"], headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200
    assert again.status_code == 304


def test_a_cancelled_training_stays_in_the_export_as_cancelled(api, database):
    gsg9, dsi = ids(database, "de-gsg9", "nl-dsi")
    tid = plan_series(api, gsg9, [dsi])
    api.post(f"/api/v1/trainings/{tid}/cancel", "demo-planner", json={"reason": "budget"})
    master = parse(api.get(f"/api/v1/trainings/{tid}.ics", "demo-cmd-nl")).walk("VEVENT")[0]
    assert str(master["STATUS"]) == "CANCELLED"
    assert int(master["SEQUENCE"]) >= 2
