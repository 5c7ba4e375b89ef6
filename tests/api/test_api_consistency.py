"""The API behaves the same way everywhere the console meets it (issue #16, item 8): every list
pages, an ended request leaves no answer awaited, one default minimum level, codes in any case,
and a unit commander records his own unit's costs."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from atlas_coord.domain.lifecycle import GUARDS
from atlas_coord.models import RequestAddressee
from tests.factories import accept_with, deployment_steps, raise_request, unit_id
from tests.factories import request_payload as request_body

from .test_matching_api import WHAT_IF


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def request_id(database) -> int:
    return raise_request(database)


# ---------------------------------------------------------------- every list pages


def test_the_audit_trail_pages_with_page_and_per_page_like_every_list(api, database, request_id):
    accept_with(database, request_id, "FR", "fr-gign")
    whole = ok(api.get(f"/api/v1/requests/{request_id}/audit", "demo-ca-de"))
    assert whole["total"] == len(whole["items"]) == 5
    first = ok(api.get(f"/api/v1/requests/{request_id}/audit?page=1&per_page=2", "demo-ca-de"))
    second = ok(api.get(f"/api/v1/requests/{request_id}/audit?page=2&per_page=2", "demo-ca-de"))
    third = ok(api.get(f"/api/v1/requests/{request_id}/audit?page=3&per_page=2", "demo-ca-de"))
    assert [first["total"], first["page"], first["per_page"]] == [5, 1, 2]
    assert [r["seq"] for r in first["items"] + second["items"] + third["items"]] == [r["seq"] for r in whole["items"]]
    after = ok(api.get(f"/api/v1/requests/{request_id}/audit?after_seq={whole['items'][2]['seq']}&per_page=1",
                       "demo-ca-de"))
    assert (after["total"], [r["seq"] for r in after["items"]]) == (2, [whole["items"][3]["seq"]])


def test_the_events_page_with_page_and_per_page_and_still_replay_after_a_seq(api, database, request_id):
    accept_with(database, request_id, "FR", "fr-gign")
    everything = ok(api.get("/api/v1/events?after=0&limit=1000", "demo-ca-fr"))
    seqs = [e["seq"] for e in everything["items"]]
    assert len(seqs) >= 3
    first = ok(api.get("/api/v1/events?page=1&per_page=2", "demo-ca-fr"))
    second = ok(api.get("/api/v1/events?page=2&per_page=2", "demo-ca-fr"))
    assert [e["seq"] for e in first["items"] + second["items"]] == seqs[:4]
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, len(seqs))
    assert first["last_seq"] == seqs[1], "more pages follow: resume after the last item"
    replay = ok(api.get(f"/api/v1/events?after={first['last_seq']}&limit=1000", "demo-ca-fr"))
    assert [e["seq"] for e in replay["items"]] == seqs[2:]
    assert replay["last_seq"] == everything["last_seq"]


@pytest.mark.parametrize(("query", "field"), [("per_page=2&limit=2", "limit"), ("page=0", "page"),
                                              ("per_page=501", "per_page"), ("page=x", "page")])
def test_bad_paging_is_a_422_naming_the_field(api, request_id, query, field):
    for path in ("/api/v1/events", f"/api/v1/requests/{request_id}/audit"):
        response = api.get(f"{path}?{query}", "demo-ca-fr")
        assert response.status_code == 422, (path, response.get_json())
        assert list(response.get_json()["error"]["fields"]) == [field]


# ---------------------------------------------------------------- an ended request awaits no answer


def answers(database, request_id: int) -> dict[str, str]:
    with database.transaction() as session:
        rows = session.execute(sa.select(RequestAddressee.state_code, RequestAddressee.status)
                               .where(RequestAddressee.request_id == request_id))
        return dict(rows.all())


def test_withdrawing_lapses_the_answers_nobody_gave_and_tells_everyone(api, database, request_id):
    accept_with(database, request_id, "FR", "fr-gign")
    ok(api.post(f"/api/v1/requests/{request_id}/answers/NL/refuse", "demo-ca-nl", json={"reason": "Teams committed."}))
    ok(api.post(f"/api/v1/requests/{request_id}/withdraw", "demo-cc-be", json={"reason": "Hijackers surrendered."}))
    assert answers(database, request_id) == {"FR": "ACCEPTED", "NL": "REFUSED", "DE": "LAPSED", "AT": "LAPSED"}
    shown = {a["state"]: a for a in ok(api.get(f"/api/v1/requests/{request_id}", "demo-cc-be"))["answers"]}
    assert shown["DE"]["status"] == "LAPSED"
    trail = ok(api.get(f"/api/v1/requests/{request_id}/audit", "demo-cc-be"))["items"]
    lapses = [r for r in trail if r["action"] == "answer.lapse"]
    assert len(lapses) == 2 and all(r["role"] == "system" for r in lapses)
    germany_hears = ok(api.get("/api/v1/events?after=0&limit=1000", "demo-ca-de"))["items"]
    assert any(e["type"] == "answer.lapsed" and e["data"]["state"] == "DE" for e in germany_hears)
    late = api.post(f"/api/v1/requests/{request_id}/answers/DE/refuse", "demo-ca-de", json={"reason": "Too late."})
    assert late.status_code == 409 and late.get_json()["error"]["current"] == "LAPSED"


def test_closing_lapses_an_undecided_counter_proposal_and_the_silent_states(api, database, request_id):
    with database.transaction() as session:
        gsg9 = unit_id(session, "de-gsg9")
    ok(api.post(f"/api/v1/requests/{request_id}/answers/DE/counter-propose", "demo-ca-de",
                json={"counter": {"kinds": ["other_units"], "units": [gsg9], "text": "GSG 9 instead of the Berlin team."}}))
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise", "stand_down", "return_home")
    ok(api.post(f"/api/v1/requests/{request_id}/costs/settle", "demo-cc-be", json={}))
    ok(api.post(f"/api/v1/requests/{request_id}/close", "demo-cc-be", json={}))
    assert answers(database, request_id) == {"FR": "ACCEPTED", "DE": "LAPSED", "NL": "LAPSED", "AT": "LAPSED"}


def test_a_409_speaks_of_the_request_not_of_python(api, database, request_id):
    ok(api.post(f"/api/v1/requests/{request_id}/withdraw", "demo-cc-be", json={}))
    message = api.post(f"/api/v1/requests/{request_id}/answers/FR/refuse", "demo-ca-fr",
                       json={"reason": "Too late."}).get_json()["error"]["message"]
    assert message == f"request {request_id} is WITHDRAWN: nothing is awaited from FR any more (its answer lapsed)"
    assert not [text for text in GUARDS.values() if re.search(r"\w\(\)", text)], "no Python names in 409 messages"


# ---------------------------------------------------------------- one default minimum level


def test_raising_and_matching_default_to_the_same_minimum_level(api, database):
    document = ok(api.get("/api/v1/openapi.json", None))
    schemas = document["components"]["schemas"]
    assert schemas["RequirementIn"]["properties"]["min_level"]["default"] == "full"
    assert schemas["MatchRequirement"]["properties"]["min_level"]["default"] == "full"
    created = ok(api.post("/api/v1/requests", "demo-cc-be", json=request_body(
        requirements=[{"code": "ENV_AIRCRAFT"}])), 201)
    assert created["requirements"][0]["min_level"] == "full"
    what_if = {**WHAT_IF, "requirements": [{"code": "ENV_AIRCRAFT"}]}
    with database.transaction() as session:
        berlin = unit_id(session, "de-gsg9-berlin")  # holds aircraft interventions only in part
    def berlin_covers(requirement: dict) -> bool | str:
        body = ok(api.post("/api/v1/match", "demo-planner", json={**what_if, "requirements": [requirement], "limit": 100}))
        [row] = [c for c in body["candidates"] if c["unit_id"] == berlin]
        return row["capability_fit"][0]["covered"]

    assert berlin_covers({"code": "ENV_AIRCRAFT"}) == berlin_covers({"code": "ENV_AIRCRAFT", "min_level": "full"}) \
        == "partial"
    assert berlin_covers({"code": "ENV_AIRCRAFT", "min_level": "limited"}) is True


# ---------------------------------------------------------------- codes in any case


def test_codes_are_accepted_in_any_case_and_stored_in_upper_case(api, database, request_id):
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept")
    cost = ok(api.post(f"/api/v1/requests/{request_id}/deployments/{gign}/costs", "demo-ca-fr",
                       json={"category": "transport", "currency": "eur", "amount_minor": 12_500}), 201)
    assert (cost["category"], cost["currency"]) == ("TRANSPORT", "EUR")
    arrangement = ok(api.put(f"/api/v1/requests/{request_id}/answers/fr/arrangement", "demo-ca-fr",
                             json={"legal_basis": "decision_2008_617",
                                   "cost_terms": {"overrides": {"accommodation": "sending"}}}))
    assert arrangement["cost_terms"]["overrides"] == {"ACCOMMODATION": "sending"}
    units = ok(api.get("/api/v1/units?capability=env_aircraft&readiness=ready&state=fr", "demo-ca-fr"))["items"]
    assert units and all(u["state"] == "FR" for u in units)
    status = ok(api.get(f"/api/v1/requests/{request_id}", "demo-cc-be"))["status"]
    listed = ok(api.get(f"/api/v1/requests?status={status.lower()}", "demo-cc-be"))["items"]
    assert request_id in {r["id"] for r in listed}


# ---------------------------------------------------------------- the commander records his unit's costs


def test_a_unit_commander_records_his_own_units_costs_and_no_other(api, database, request_id):
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    [gsg9] = accept_with(database, request_id, "DE", "de-gsg9")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    base = f"/api/v1/requests/{request_id}/deployments"
    cost = ok(api.post(f"{base}/{gign}/costs", "demo-cmd-fr",
                       json={"category": "ACCOMMODATION", "currency": "EUR", "amount_minor": 84_000}), 201)
    assert (cost["borne_by"], cost["sending_state"]) == ("requesting", "FR"), "Art. 4: recording is not bearing"
    other = api.post(f"{base}/{gsg9}/costs", "demo-cmd-fr",
                     json={"category": "TRANSPORT", "currency": "EUR", "amount_minor": 1})
    assert other.status_code in (403, 404)
    settle = api.post(f"/api/v1/requests/{request_id}/costs/settle", "demo-cmd-fr", json={})
    assert settle.status_code == 403, "only the requester settles"


# ---------------------------------------------------------------- the units directory (item 7)


def unit_names(api, query: str) -> set[str]:
    return {u["name"] for u in ok(api.get(f"/api/v1/units?per_page=500&{query}", "demo-ca-fr"))["items"]}


def test_searching_units_finds_them_by_the_names_of_their_capabilities(api):
    aircraft_capable = unit_names(api, "capability=ENV_AIRCRAFT")
    assert len(aircraft_capable) > 5
    assert unit_names(api, "q=aircraft") == unit_names(api, "q=AIRCRAFT") == aircraft_capable
    negotiators = unit_names(api, "q=negotiation")
    assert negotiators == unit_names(api, "capability=NEG")
    assert unit_names(api, "q=aircraft&state=FR&readiness=ready") == unit_names(
        api, "capability=env_aircraft&state=fr&readiness=READY")
    assert unit_names(api, "q=gign") == {"GIGN"}


@pytest.mark.parametrize("text", ["%", "g_gn", "air%craft", "\\"])
def test_search_wildcards_are_taken_literally(api, text):
    from urllib.parse import quote

    assert unit_names(api, f"q={quote(text)}") == set()
