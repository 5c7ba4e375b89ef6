"""France keeps its duty roster through the API: bad input names the field, on-duty and gaps
read in Paris time, CSV in and out; Belgium submits at night and France's officer acknowledges
in the console or with the link, which shows in Belgium's timeline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import AlertDelivery
from atlas_coord.scheduler.alerting import run_alerts
from atlas_coord.services.alerts import links
from tests.factories import request_payload, roster_csv

ROSTER = {
    "timezone": "Europe/Paris",
    "fallback_email": "permanence@interieur.example",
    "shifts": [{"weekday": d, "start": "19:00", "end": "07:00", "primary": "demo-ca-fr", "backup": "demo-cc-fr"}
               for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")],
    "officers": [{"user": "demo-ca-fr", "contacts": [{"channel": "email", "address": "ca-fr@duty.example"},
                                                      {"channel": "sms", "address": "+33123456789"}]}],
}


def test_a_roster_put_as_json_says_who_is_on_duty_at_three_and_where_the_days_are_uncovered(api):
    assert api.put("/api/v1/rosters/ca-FR", "demo-ca-fr", json=ROSTER).status_code == 200
    night = api.get("/api/v1/rosters/ca-FR/on-duty?at=2026-12-02T02:00:00%2B00:00", "demo-ca-fr").get_json()
    assert (night["primary"], night["backup"], night["until"]) == ("demo-ca-fr", "demo-cc-fr", "2026-12-02T06:00:00+00:00")
    day = api.get("/api/v1/rosters/ca-FR/on-duty?at=2026-12-02T12:00:00%2B00:00", "demo-ca-fr").get_json()
    assert day["primary"] is None
    gaps = api.get("/api/v1/rosters/ca-FR/gaps?from=2026-12-02T00:00:00%2B00:00&to=2026-12-03T00:00:00%2B00:00",
                   "demo-ca-fr").get_json()
    assert [(g["start"], g["end"]) for g in gaps["items"]] == [("2026-12-02T06:00:00+00:00", "2026-12-02T18:00:00+00:00")]


@pytest.mark.parametrize(("change", "field"), [
    ({"officers": [{"user": "demo-ca-fr", "contacts": [{"channel": "email", "address": "nope"}]}]},
     "officers.0.contacts.0.address"),
    ({"officers": [{"user": "demo-ca-fr", "contacts": [{"channel": "sms", "address": "06 12 34 56 78"}]}]},
     "officers.0.contacts.0.address"),
    ({"fallback_email": "permanence-at-interieur"}, "fallback_email"),
    ({"shifts": [{"weekday": "mon", "start": "08:00", "end": "08:00", "primary": "demo-ca-fr"}]}, "shifts.0"),
    ({"shifts": [{"weekday": "mon", "start": "08:00", "end": "18:00", "primary": "demo-ca-fr"},
                 {"weekday": "mon", "start": "17:00", "end": "20:00", "primary": "demo-cc-fr"}]}, "shifts.1"),
])
def test_bad_rosters_are_refused_naming_the_field_and_nothing_is_written(api, change, field):
    answer = api.put("/api/v1/rosters/ca-FR", "demo-ca-fr", json={**ROSTER, **change})
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]
    assert api.get("/api/v1/rosters/ca-FR", "demo-ca-fr").status_code == 404


def test_the_csv_goes_in_and_out_and_a_bad_csv_lists_every_bad_row(api):
    text = roster_csv("demo-ca-fr", "demo-cc-fr", primary_contacts=(("email", "ca-fr@duty.example"),))
    assert api.put("/api/v1/rosters/ca-FR/csv", "demo-ca-fr", json={"csv": text}).status_code == 200
    exported = api.get("/api/v1/rosters/ca-FR/csv", "demo-ca-fr")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert sorted(exported.get_data(as_text=True).splitlines()) == sorted(text.splitlines())
    bad = text + "contact,,,,,,demo-ca-fr,email,nope\nshift,mon,25:00,26:00,demo-ca-fr,,,,\n"
    answer = api.put("/api/v1/rosters/ca-FR/csv", "demo-ca-fr", json={"csv": bad})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"row 18", "row 19"}


def test_belgium_submits_and_frances_officer_acknowledges_with_the_link_once(api, app):
    assert api.put("/api/v1/rosters/ca-FR/csv", "demo-ca-fr", json={"csv": roster_csv(
        "demo-ca-fr", primary_contacts=(("email", "ca-fr@duty.example"),))}).status_code == 200
    request_id = api.post("/api/v1/requests", "demo-cc-be", json=request_payload(addressees=["FR"])).get_json()["id"]
    settings = app.config["ATLAS_SETTINGS"]
    database = app.extensions["atlas_db"]
    run_alerts(database, settings)
    [ringing] = api.get("/api/v1/alerts", "demo-ca-fr").get_json()["items"]
    assert ringing["reference"] == f"REQ-{request_id}" and ringing["requesting_state"] == "BE"
    assert api.get("/api/v1/alerts", "demo-ca-be").get_json()["items"] == []
    mail = api.get("/api/v1/mailbox", "demo-admin").get_json()["items"]
    assert [m["to"] for m in mail] == ["ca-fr@duty.example"]
    assert api.get("/api/v1/mailbox", "demo-ca-fr").status_code == 403
    with database.transaction() as session:
        email = session.scalar(sa.select(AlertDelivery.id).where(AlertDelivery.channel == "email"))
    token = links.token(settings.server.secret_key, email)
    page = api.client.get(f"/alerts/ack/{token}")
    assert page.status_code == 200 and b"Acknowledge" in page.data  # opening the link uses nothing up
    done = api.client.post(f"/alerts/ack/{token}")
    assert done.status_code == 200 and b"FR duty officer acknowledged" in done.data
    again = api.post("/api/v1/alerts/ack-link", json={"token": token})
    assert again.status_code == 409
    assert api.get("/api/v1/alerts", "demo-ca-fr").get_json()["items"] == []
    timeline = api.get(f"/api/v1/requests/{request_id}/timeline", "demo-cc-be").get_json()["items"]
    assert any(step["action"] == "alert.acknowledge" for step in timeline)
