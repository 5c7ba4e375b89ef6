"""Bad input is refused with a clear 4xx naming the field, and nothing is written.

"Nothing is written" is checked by counting every row the request workflow can touch (requests,
answers, deployments, costs, arrangements, readiness history, audit records and events) before and
after each refused call.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import (
    Arrangement,
    AssistanceRequest,
    AuditRecord,
    CostItem,
    Crisis,
    Deployment,
    Event,
    OfferedUnit,
    ReadinessChange,
    RequestAddressee,
)
from tests.factories import (
    accept_with,
    deployment_steps,
    hijacked_aircraft,
    in_hours,
    raise_request,
    request_payload,
)

TABLES = (AssistanceRequest, Crisis, RequestAddressee, OfferedUnit, Arrangement, Deployment, CostItem,
          ReadinessChange, AuditRecord, Event)


def row_counts(database) -> dict[str, int]:
    with database.transaction() as session:
        return {m.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES}


def refused(api, database, method: str, path: str, user: str, body, status: int, field: str | None) -> dict:
    before = row_counts(database)
    response = api.call(method, path, user, json=body)
    error = response.get_json()["error"]
    assert response.status_code == status, error
    if field is not None:
        assert field in error["fields"], error
        assert error["message"]
    assert row_counts(database) == before, "a refused call wrote something"
    return error


def with_crisis(**changes) -> dict:
    return request_payload(crisis=hijacked_aircraft(**changes))


def without(key: str) -> dict:
    body = request_payload()
    del body[key]
    return body


# (case, body, status, field)
RAISE_CASES = [
    ("latitude 91", with_crisis(site={"lat": 91, "lon": 4.48}), 422, "crisis.site.lat"),
    ("longitude as text", with_crisis(site={"lat": 50.9, "lon": "east"}), 422, "crisis.site.lon"),
    ("unknown crisis type", with_crisis(type="alien_invasion"), 422, "crisis.type"),
    ("crisis starting tomorrow", with_crisis(started_at=in_hours(24)), 422, "crisis.started_at"),
    ("exercise flag as text", with_crisis(exercise="yes"), 422, "crisis.exercise"),
    ("no classification", with_crisis(classification=""), 422, "crisis.classification"),
    ("unknown capability", request_payload(requirements=[{"code": "ENV_AIRCRAFT", "quantity": 1},
                                                         {"code": "TELEPORT", "quantity": 1}]), 422, "requirements.1.code"),
    ("capability twice", request_payload(requirements=[{"code": "NEG", "quantity": 1},
                                                       {"code": "NEG", "quantity": 2}]), 422, "requirements.1.code"),
    ("quantity zero", request_payload(requirements=[{"code": "NEG", "quantity": 0}]), 422, "requirements.0.quantity"),
    ("quantity as float", request_payload(requirements=[{"code": "NEG", "quantity": 2.5}]), 422, "requirements.0.quantity"),
    ("unknown level", request_payload(requirements=[{"code": "NEG", "min_level": "heroic"}]), 422, "requirements.0.min_level"),
    ("unknown addressed state", request_payload(addressees=["FR", "XX"]), 422, "addressees.1"),
    ("addressing its own state", request_payload(addressees=["BE", "FR"]), 422, "addressees.0"),
    ("the same state twice", request_payload(addressees=["FR", "FR"]), 422, "addressees"),
    ("nobody addressed", request_payload(addressees=[]), 422, "addressees"),
    ("a list and all", request_payload(address_all=True), 422, "addressees"),
    ("answer deadline in the past", request_payload(answer_deadline=in_hours(-1)), 422, "answer_deadline"),
    ("needed by in the past", request_payload(needed_by=in_hours(-2)), 422, "needed_by"),
    ("time without zone", request_payload(needed_by="2031-01-01T10:00:00"), 422, "needed_by"),
    ("not a time", request_payload(answer_deadline="soon"), 422, "answer_deadline"),
    ("duration as text", request_payload(duration_hours="48"), 422, "duration_hours"),
    ("duration zero", request_payload(duration_hours=0), 422, "duration_hours"),
    ("kinds not a list", request_payload(kinds="ACTION_ARMED"), 422, "kinds"),
    ("unknown kind", request_payload(kinds=["SUPPORT"]), 422, "kinds.0"),
    ("armed and unarmed", request_payload(kinds=["ACTION_ARMED", "ACTION_UNARMED"]), 422, "kinds"),
    ("no kinds", request_payload(kinds=[]), 422, "kinds"),
    ("no operational necessity", without("operational_necessity"), 422, "operational_necessity"),
    ("operational necessity too short", request_payload(operational_necessity="help"), 422, "operational_necessity"),
    ("a crisis and a crisis id", request_payload(crisis_id=1), 422, "crisis_id"),
    ("neither crisis nor crisis id", without("crisis"), 422, "crisis_id"),
    ("unknown crisis id", request_payload(crisis=None, crisis_id=999999), 422, "crisis_id"),
    ("unknown requesting state", request_payload(requesting_state="XX"), 422, "requesting_state"),
    ("submit as text", request_payload(submit="true"), 422, "submit"),
    ("an unknown field", request_payload(colour="red"), 422, "colour"),
]


@pytest.mark.parametrize(("body", "status", "field"), [c[1:] for c in RAISE_CASES], ids=[c[0] for c in RAISE_CASES])
def test_raising_a_request_refuses_bad_bodies(api, database, body, status, field):
    refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", body, status, field)


def test_raising_for_another_state_is_forbidden(api, database):
    refused(api, database, "POST", "/api/v1/requests", "demo-cc-be",
            request_payload(requesting_state="FR", addressees=["DE"]), 403, None)
    refused(api, database, "POST", "/api/v1/requests", "demo-cmd-be", request_payload(), 403, None)


def test_a_body_that_is_not_a_json_object_is_refused(api, database):
    before = row_counts(database)
    assert api.post("/api/v1/requests", "demo-cc-be", json=[1, 2]).status_code == 400
    assert api.post("/api/v1/requests", "demo-cc-be", data="kinds=ACTION_ARMED").status_code == 415
    assert row_counts(database) == before


@pytest.fixture
def submitted(database) -> dict[str, int]:
    request_id = raise_request(database)
    with database.transaction() as session:
        from tests.factories import unit_id

        units = {key: unit_id(session, key) for key in ("fr-gign", "fr-raid", "de-gsg9", "at-eko-cobra")}
    return {"request": request_id, **units}


def answer_cases(ids: dict[str, int]) -> list[tuple]:
    counter = {"kinds": ["fewer_personnel"], "units": [ids["fr-gign"]], "personnel": 10, "text": "A smaller team."}
    return [
        ("unknown unit", "accept", {"units": [999999]}, 422, "units.0"),
        ("another state's unit", "accept", {"units": [ids["fr-gign"], ids["de-gsg9"]]}, 422, "units.1"),
        ("no units", "accept", {"units": []}, 422, "units"),
        ("unit ids as text", "accept", {"units": ["gign"]}, 422, "units.0"),
        ("the same unit twice", "accept", {"units": [ids["fr-gign"], ids["fr-gign"]]}, 422, "units"),
        ("refusal without reason", "refuse", {}, 422, "reason"),
        ("refusal with a blank reason", "refuse", {"reason": "   "}, 422, "reason"),
        ("counter without text", "counter-propose", {"counter": {**counter, "text": ""}}, 422, "counter.text"),
        ("fewer personnel without a number", "counter-propose",
         {"counter": {**counter, "personnel": None}}, 422, "counter.personnel"),
        ("personnel as float", "counter-propose", {"counter": {**counter, "personnel": 9.5}}, 422, "counter.personnel"),
        ("later arrival in the past", "counter-propose",
         {"counter": {**counter, "kinds": ["later_arrival"], "personnel": None, "arrival_at": in_hours(-1)}},
         422, "counter.arrival_at"),
        ("other kind without the kind", "counter-propose",
         {"counter": {**counter, "kinds": ["other_assistance_kind"], "personnel": None}}, 422, "counter.assistance_kinds"),
        ("counter with another state's unit", "counter-propose",
         {"counter": {**counter, "units": [ids["at-eko-cobra"]]}}, 422, "counter.units.0"),
        ("unknown counter kind", "counter-propose", {"counter": {**counter, "kinds": ["bribe"]}}, 422, "counter.kinds.0"),
    ]


ANSWER_CASE_IDS = [c[0] for c in answer_cases(dict.fromkeys(("fr-gign", "fr-raid", "de-gsg9", "at-eko-cobra"), 0))]


@pytest.mark.parametrize("case", ANSWER_CASE_IDS)
def test_answering_refuses_bad_bodies(api, database, submitted, case):
    _, action, body, status, field = next(c for c in answer_cases(submitted) if c[0] == case)
    refused(api, database, "POST", f"/api/v1/requests/{submitted['request']}/answers/FR/{action}", "demo-ca-fr",
            body, status, field)


def test_answering_for_a_state_that_is_not_addressed_is_404(api, database, submitted):
    refused(api, database, "POST", f"/api/v1/requests/{submitted['request']}/answers/IT/refuse", "demo-ca-fr",
            {"reason": "Not ours to answer."}, 404, None)


@pytest.fixture
def mobilising(database) -> dict[str, int]:
    request_id = raise_request(database)
    [deployment_id] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "accept", "mobilise")
    return {"request": request_id, "deployment": deployment_id}


DEPLOYMENT_CASES = [
    ("depart without eta", "depart", {}, 422, "eta"),
    ("eta without zone", "depart", {"eta": "2031-01-01T10:00:00"}, 422, "eta"),
    ("eta in the past", "depart", {"eta": in_hours(-3)}, 422, "eta"),
    ("unknown transport", "depart", {"eta": in_hours(2), "transport_mode": "teleport"}, 422, "transport_mode"),
    ("arrival without on-scene commander", "arrive", {}, 422, "on_scene_commander"),
    ("negative headcount", "mobilise", {"headcount": -1}, 422, "headcount"),
    ("extension in the past", "extend", {"until": in_hours(-1)}, 422, "until"),
    ("extension shorter than planned", "extend", {"until": in_hours(5)}, 422, "until"),
    ("recall without reason", "recall", {}, 422, "reason"),
    ("stale expected version", "depart", {"eta": in_hours(2), "expected_version": 1}, 409, None),
]


@pytest.mark.parametrize(("action", "body", "status", "field"), [c[1:] for c in DEPLOYMENT_CASES],
                         ids=[c[0] for c in DEPLOYMENT_CASES])
def test_deployment_steps_refuse_bad_bodies(api, database, mobilising, action, body, status, field):
    user = {"extend": "demo-cc-be", "recall": "demo-ca-fr"}.get(action, "demo-cmd-fr")
    path = f"/api/v1/requests/{mobilising['request']}/deployments/{mobilising['deployment']}/{action}"
    refused(api, database, "POST", path, user, body, status, field)


COST_CASES = [
    ("amount as float", {"amount_minor": 1250.5}, "amount_minor"),
    ("amount as a whole float", {"amount_minor": 1250.0}, "amount_minor"),
    ("amount as text", {"amount_minor": "1250"}, "amount_minor"),
    ("negative amount", {"amount_minor": -100}, "amount_minor"),
    ("currency as a word", {"currency": "euro"}, "currency"),
    ("currency with a digit", {"currency": "EU1"}, "currency"),  # lower case is fine since issue #16
    ("unknown category", {"category": "FOOD"}, "category"),
    ("unknown payer", {"paid_by": "nato"}, "paid_by"),
]


@pytest.mark.parametrize(("change", "field"), [c[1:] for c in COST_CASES], ids=[c[0] for c in COST_CASES])
def test_recording_a_cost_refuses_bad_bodies(api, database, mobilising, change, field):
    body = {"category": "TRANSPORT", "currency": "EUR", "amount_minor": 125_000, **change}
    path = f"/api/v1/requests/{mobilising['request']}/deployments/{mobilising['deployment']}/costs"
    refused(api, database, "POST", path, "demo-ca-fr", body, 422, field)


ARRANGEMENT_CASES = [
    ("unknown legal basis", {"legal_basis": "NATO_ART_5"}, "legal_basis"),
    ("manifest quantity zero", {"weapons_manifest": [{"item": "rifle", "category": "weapon", "quantity": 0}]},
     "weapons_manifest.0.quantity"),
    ("manifest category", {"weapons_manifest": [{"item": "tank", "category": "vehicle", "quantity": 1}]},
     "weapons_manifest.0.category"),
    ("liaison without name", {"liaison_officer": {"phone": "+32 2 000 00 00"}}, "liaison_officer.name"),
    ("unknown bearer", {"cost_terms": {"default_bearer": "eu_budget"}}, "cost_terms.default_bearer"),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in ARRANGEMENT_CASES], ids=[c[0] for c in ARRANGEMENT_CASES])
def test_recording_arrangements_refuses_bad_bodies(api, database, mobilising, body, field):
    path = f"/api/v1/requests/{mobilising['request']}/answers/FR/arrangement"
    refused(api, database, "PUT", path, "demo-cc-be", body, 422, field)


@pytest.mark.parametrize(("query", "field"), [("per_page=0", "per_page"), ("status=SLEEPING", "status"),
                                              ("page=x", "page")])
def test_listing_refuses_bad_queries(api, database, query, field):
    response = api.get(f"/api/v1/requests?{query}", "demo-cc-be")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
