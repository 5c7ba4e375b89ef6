"""Fuzzing the API from its own OpenAPI document (schemathesis).

Whatever a client sends, the API answers with a status the document lists for the operation, a
body that matches the schema documented for that status, and the documented content type; and
never a 5xx. Each operation runs as its own test on a fresh copy of the seeded database, signed
in as a demo user with a bearer token.
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from atlas_coord import __version__
from atlas_coord.api import auth, directory, events, matching, places, requests, system, trainings  # noqa: F401  (registers)
from atlas_coord.api.openapi import build_document
from tests.factories import (
    accept_with,
    deployment_steps,
    raise_request,
    signed_in,
    training_payload,
    unit_id,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

EXAMPLES = int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "12"))
CONFIG = schemathesis.Config.from_dict({
    "generation": {"deterministic": True, "max-examples": EXAMPLES},
    "phases": {"coverage": {"enabled": os.environ.get("ATLAS_FUZZ_COVERAGE") == "1"}},
})
schema = schemathesis.openapi.from_dict(build_document(__version__), config=CONFIG)

# The crisis centre of France may do the most (raise requests, what-if matching, feeds); the
# observer may read everything and change nothing.
USERS = ["demo-cc-fr", "demo-observer"]


@pytest.fixture
def scene(app, database):
    """Something behind the small ids the fuzzer tries first, so that its cases reach the success
    paths too: request 1 of France answered by Germany with a deployment on its way, request 2 of
    Belgium addressed to France, a training hosted by a French unit and a calendar feed."""
    from atlas_coord.services import calendars
    from atlas_coord.services import trainings as training_service
    from atlas_coord.services.trainings.commands import TrainingCreate

    request_fr = raise_request(database, "demo-cc-fr", addressees=["DE", "NL"])
    raise_request(database, "demo-cc-be", addressees=["FR", "DE"])
    [deployment] = accept_with(database, request_fr, "DE", "de-gsg9")
    deployment_steps(database, request_fr, deployment, "demo-cmd-de", "accept", "mobilise")
    with signed_in(database, "demo-planner") as (session, actor):
        body = training_payload(host_unit_id=unit_id(session, "fr-raid"), rrule="FREQ=WEEKLY;COUNT=4",
                                override_reason="fuzz scene")
        training_service.create_training(session, actor, app.config["ATLAS_SETTINGS"], TrainingCreate.model_validate(body))
    with signed_in(database, "demo-admin") as (session, actor):
        calendars.create_feed(session, actor, scope="unit", unit_id=unit_id(session, "fr-gign"))


@pytest.mark.parametrize("user", USERS)
@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented(case, scene, api, user):
    """A documented status, body and content type for any input, and never a server error."""
    case.call_and_validate(app=api.app, headers={"Authorization": f"Bearer {api.token(user)}"}, checks=CHECKS)


# ---------------------------------------------------------------- what the fuzzer found, pinned down

BIG = 2**40  # beyond PostgreSQL's INTEGER, which every id, seq and version column is


def test_a_signed_in_health_check_reports_the_database_as_up(api):
    """A probe that carries a bearer token (or a console session) used to wait for the write lock
    its own request held on SQLite and answer 503 "unreachable" after the 15 s busy timeout."""
    response = api.get("/healthz", "demo-observer")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["database"] == "ok"


@pytest.mark.parametrize(("path", "field"), [
    (f"/api/v1/units/{BIG}", "unit_id"),
    (f"/api/v1/units/{2**70}", "unit_id"),  # beyond SQLite's 64-bit integers too
    (f"/api/v1/crises/{BIG}", "crisis_id"),
    (f"/api/v1/requests/1/deployments/{BIG}", "deployment_id"),
    (f"/api/v1/trainings/{BIG}/attendance", "training_id"),
])
def test_an_id_too_large_to_exist_is_not_found(api, path, field):
    response = api.get(path, "demo-cc-fr")
    assert response.status_code == 404, response.get_json()
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("get", f"/api/v1/events?after={BIG}", None, "after"),
    ("get", f"/api/v1/requests/1/audit?after_seq={BIG}", None, "after_seq"),
    ("get", f"/api/v1/trainings?unit={BIG}", None, "unit"),
    ("post", "/api/v1/calendar-feeds", {"scope": "unit", "unit_id": BIG}, "unit_id"),
    ("post", "/api/v1/requests/1/submit", {"expected_version": BIG}, "expected_version"),
    ("patch", "/api/v1/crises/1", {"expected_version": BIG}, "expected_version"),
])
def test_a_number_too_large_for_an_id_is_rejected_naming_the_field(api, method, path, body, field):
    response = api.call(method, path, "demo-cc-fr", **({"json": body} if body is not None else {}))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_a_nul_character_in_a_body_is_rejected_naming_the_field(api):
    """PostgreSQL text columns cannot store NUL: recording the crisis used to fail with a 500."""
    from tests.factories import hijacked_aircraft

    response = api.post("/api/v1/crises", "demo-cc-fr", json=hijacked_aircraft(description="Armed men\x00 on board"))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == {"description": "must not contain NUL characters"}
    nested = api.post("/api/v1/requests", "demo-cc-be",
                      json={"crisis": hijacked_aircraft(place_name="Zaventem\x00"), "kinds": ["EXPERTISE"]})
    assert nested.status_code == 422
    assert "crisis.place_name" in nested.get_json()["error"]["fields"]


def test_a_nul_character_in_a_query_or_path_is_rejected_naming_the_parameter(api):
    search = api.get("/api/v1/units?q=Cobra%00", "demo-cc-fr")
    assert search.status_code == 422, search.get_json()
    assert "q" in search.get_json()["error"]["fields"]
    answer = api.get("/api/v1/requests/1/answers/F%00/arrangement", "demo-cc-fr")
    assert answer.status_code == 422, answer.get_json()
    assert "state" in answer.get_json()["error"]["fields"]


def test_the_document_types_each_path_parameter_after_its_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    accept = document["paths"]["/api/v1/requests/{request_id}/answers/{state}/accept"]["post"]
    types = {p["name"]: p["schema"]["type"] for p in accept["parameters"] if p["in"] == "path"}
    assert types == {"request_id": "integer", "state": "string"}
    feed = document["paths"]["/calendar/state/{state}.ics"]["get"]
    assert [p["schema"]["type"] for p in feed["parameters"] if p["in"] == "path"] == ["string"]
    assert set(accept["responses"]) >= {"200", "400", "401", "403", "404", "409", "413", "415", "422"}
    assert accept["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "default" not in accept["responses"]
