"""Classification markings through the API: a crisis marked above the accreditation ceiling, or
with no known marking, is refused with nothing written; the marking travels in the crisis and
request bodies, in the events about them and in the training calendars."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from atlas_coord import create_app
from atlas_coord.models import AssistanceRequest, AuditRecord, Crisis, Event
from tests.conftest import Api, app_settings
from tests.factories import hijacked_aircraft, request_payload, training_payload, unit_id

RESTRICTED = "RESTREINT UE/EU RESTRICTED"


def counts(database) -> tuple[int, int, int, int]:
    with database.transaction() as session:
        return tuple(session.scalar(sa.select(sa.func.count()).select_from(table))
                     for table in (Crisis, AssistanceRequest, AuditRecord, Event))


@pytest.mark.parametrize(("marking", "message"), [
    ("CONFIDENTIEL UE", "above this installation's accreditation ceiling RESTREINT UE/EU RESTRICTED"),
    ("VS-Vertraulich", "above this installation's accreditation ceiling RESTREINT UE/EU RESTRICTED"),
    ("internal use only", "unknown marking"),
])
def test_a_request_marked_above_the_ceiling_or_unknown_is_refused_and_nothing_is_written(api, database, marking,
                                                                                          message):
    before = counts(database)
    response = api.post("/api/v1/requests", "demo-cc-be",
                        json=request_payload(crisis=hijacked_aircraft(classification=marking)))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert "crisis.classification" in error["fields"]
    assert message in error["message"] or message in error["fields"]["crisis.classification"]
    assert counts(database) == before


def test_a_crisis_and_its_change_above_the_ceiling_are_refused_naming_the_field(api, database):
    refused = api.post("/api/v1/crises", "demo-ca-be", json=hijacked_aircraft(classification="SECRET UE/EU SECRET"))
    assert refused.status_code == 422
    assert "RESTREINT UE/EU RESTRICTED" in refused.get_json()["error"]["fields"]["classification"]
    crisis = api.post("/api/v1/crises", "demo-ca-be", json=hijacked_aircraft(classification="vs-nfd")).get_json()
    assert (crisis["classification"], crisis["marking"]) == (RESTRICTED, RESTRICTED)  # stored as its code
    before = counts(database)
    raised = api.patch(f"/api/v1/crises/{crisis['id']}", "demo-ca-be", json={"classification": "EU Top Secret"})
    assert raised.status_code == 422
    assert "classification" in raised.get_json()["error"]["fields"]
    assert counts(database) == before
    assert api.get(f"/api/v1/crises/{crisis['id']}", "demo-ca-be").get_json()["version"] == 1


def test_an_installation_accredited_higher_takes_higher_markings(db_url, database):
    app = create_app(app_settings(db_url, security={"accreditation_ceiling": "SECRET UE/EU SECRET"}))
    try:
        made = Api(app).post("/api/v1/requests", "demo-cc-be",
                             json=request_payload(crisis=hijacked_aircraft(classification="confidentiel ue")))
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["marking"] == made.get_json()["crisis"]["marking"] == "CONFIDENTIEL UE/EU CONFIDENTIAL"
    finally:
        app.extensions["atlas_db"].dispose()


def test_the_marking_is_in_the_bodies_and_in_every_event_about_the_request(api, database):
    made = api.post("/api/v1/requests", "demo-cc-be", json=request_payload())
    assert made.status_code == 201
    request = made.get_json()
    assert (request["marking"], request["crisis"]["marking"]) == (RESTRICTED, RESTRICTED)
    listed = api.get("/api/v1/requests", "demo-cc-be").get_json()["items"]
    assert [item["marking"] for item in listed] == [RESTRICTED]
    with database.transaction() as session:
        gign = unit_id(session, "fr-gign")
    assert api.post(f"/api/v1/requests/{request['id']}/answers/FR/accept", "demo-ca-fr",
                    json={"units": [gign]}).status_code == 200
    with database.transaction() as session:
        about_it = [(e.type, e.data) for e in session.scalars(sa.select(Event).order_by(Event.seq))
                    if e.subject.startswith(("request:", "crisis:")) or "request_id" in e.data]
    assert {"request.created", "request.submitted", "answer.given", "deployment.alerted"} <= {t for t, _ in about_it}
    assert all(data.get("marking") == RESTRICTED for _, data in about_it), about_it


def test_training_calendars_carry_the_configured_calendar_marking(db_url, database):
    app = create_app(app_settings(db_url, security={"calendar_marking": "RESTREINT UE"}))
    try:
        api = Api(app)
        with database.transaction() as session:
            host = unit_id(session, "de-gsg9")
        made = api.post("/api/v1/trainings", "demo-planner", json=training_payload(host_unit_id=host, kind="meeting"))
        assert made.status_code == 201, made.get_json()
        response = api.get(f"/api/v1/trainings/{made.get_json()['id']}.ics", "demo-observer")
        assert response.status_code == 200
        calendar = Calendar.from_ical(response.data)
        assert str(calendar["X-ATLAS-MARKING"]) == RESTRICTED
        for event in calendar.walk("VEVENT"):
            assert (str(event["CLASS"]), str(event["X-ATLAS-MARKING"])) == ("CONFIDENTIAL", RESTRICTED)
    finally:
        app.extensions["atlas_db"].dispose()


def test_by_default_training_calendars_are_unclassified_and_public(api, database):
    with database.transaction() as session:
        host = unit_id(session, "de-gsg9")
    made = api.post("/api/v1/trainings", "demo-planner", json=training_payload(host_unit_id=host, kind="meeting"))
    calendar = Calendar.from_ical(api.get(f"/api/v1/trainings/{made.get_json()['id']}.ics", "demo-observer").data)
    (event,) = calendar.walk("VEVENT")
    assert (str(event["CLASS"]), str(event["X-ATLAS-MARKING"])) == ("PUBLIC", "UNCLASSIFIED")


def test_every_export_of_a_request_carries_its_marking_costs_timeline_audit_and_their_events(api, database):
    from tests.factories import accept_with, deployment_steps, raise_request

    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    base = f"/api/v1/requests/{request_id}"
    assert api.post(f"{base}/deployments/{gign}/costs", "demo-ca-fr",
                    json={"category": "EQUIPMENT", "currency": "EUR", "amount_minor": 99_900}).status_code == 201
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "stand_down", "return_home")
    assert api.post(f"{base}/costs/settle", "demo-cc-be", json={}).status_code == 200
    for export in ("timeline", "audit"):
        response = api.get(f"{base}/{export}", "demo-cc-be")
        assert response.status_code == 200
        assert response.get_json()["marking"] == response.headers["X-ATLAS-Marking"] == RESTRICTED, export
        assert response.get_json()["items"], export
    with database.transaction() as session:
        about_it = [(e.type, e.data) for e in session.scalars(sa.select(Event).order_by(Event.seq))
                    if e.data.get("request_id") == request_id]
    assert {"cost.recorded", "costs.settled", "deployment.status_changed"} <= {t for t, _ in about_it}
    assert all(data.get("marking") == RESTRICTED for _, data in about_it), about_it
