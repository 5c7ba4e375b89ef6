"""The requests API's contract: error bodies, who may do what, acknowledgement, arrangements,
costs and settlement, lists, the audit trail, and no 5xx for any input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas_coord.models import AuditRecord, Event
from atlas_coord.services import audit
from tests.factories import accept_with, deployment_steps, hijacked_aircraft, raise_request, request_payload


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def error(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]


@pytest.fixture
def request_id(database) -> int:
    return raise_request(database)


# ---------------------------------------------------------------- illegal transitions and conflicts


def test_an_illegal_transition_is_409_with_the_current_status_and_the_allowed_next_steps(api, request_id):
    body = error(api.post(f"/api/v1/requests/{request_id}/submit", "demo-cc-be", json={}), 409)
    assert body == {
        "code": "illegal_transition",
        "message": f"request {request_id} is SUBMITTED: cannot submit (allowed now: withdraw)",
        "fields": {},
        "current": "SUBMITTED",
        "allowed": ["withdraw"],
    }


def test_a_change_based_on_an_old_version_is_409_with_the_current_version(api, database, request_id):
    accept_with(database, request_id, "FR", "fr-gign")  # bumps the request's version
    body = error(api.post(f"/api/v1/requests/{request_id}/withdraw", "demo-cc-be",
                          json={"reason": "Resolved.", "expected_version": 2}), 409)
    assert body["code"] == "conflict"
    assert (body["current"], body["version"], body["allowed"]) == ("SUBMITTED", 3, ["withdraw"])


def test_a_withdrawn_request_takes_no_answers_and_cannot_be_withdrawn_again(api, database, request_id):
    ok(api.post(f"/api/v1/requests/{request_id}/withdraw", "demo-cc-be", json={"reason": "Hijackers surrendered."}))
    refused = error(api.post(f"/api/v1/requests/{request_id}/answers/FR/refuse", "demo-ca-fr",
                             json={"reason": "Too late."}), 409)
    # Withdrawing lapsed France's answer (issue #16): nothing is awaited from France any more.
    assert (refused["code"], refused["current"], refused["allowed"]) == ("illegal_transition", "LAPSED", [])
    assert "WITHDRAWN" in refused["message"]
    again = error(api.post(f"/api/v1/requests/{request_id}/withdraw", "demo-cc-be", json={}), 409)
    assert (again["current"], again["allowed"]) == ("WITHDRAWN", [])


def test_answering_twice_is_an_illegal_transition(api, database, request_id):
    ok(api.post(f"/api/v1/requests/{request_id}/answers/NL/refuse", "demo-ca-nl", json={"reason": "Committed."}))
    body = error(api.post(f"/api/v1/requests/{request_id}/answers/NL/refuse", "demo-ca-nl",
                          json={"reason": "Still committed."}), 409)
    assert (body["code"], body["current"], body["allowed"]) == ("illegal_transition", "REFUSED", [])


# ---------------------------------------------------------------- who may do what (403 when visible)


@pytest.mark.parametrize(
    ("user", "path", "body"),
    [
        ("demo-ca-be", "answers/FR/refuse", {"reason": "Answering for France."}),  # another state's answer
        ("demo-cc-fr", "answers/FR/refuse", {"reason": "Crisis centres do not answer."}),  # not the authority
        ("demo-ca-fr", "withdraw", {}),  # only the requester withdraws
        ("demo-observer", "withdraw", {}),  # observers change nothing
        ("demo-admin", "answers/FR/refuse", {"reason": "Admins do not answer."}),
        ("demo-cc-be", "seen", {}),  # the requester does not acknowledge its own request
        ("demo-ca-fr", "costs/settle", {}),
    ],
)
def test_the_wrong_party_is_403_when_it_may_see_the_request(api, database, request_id, user, path, body):
    before = count_audit(database)
    method = api.put if path.endswith("arrangement") else api.post
    assert error(method(f"/api/v1/requests/{request_id}/{path}", user, json=body), 403)["code"] == "forbidden"
    assert count_audit(database) == before


def count_audit(database) -> int:
    with database.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))


# ---------------------------------------------------------------- acknowledgement


def test_an_addressed_authority_acknowledges_and_the_requester_sees_it(api, database, request_id):
    seen = ok(api.post(f"/api/v1/requests/{request_id}/seen", "demo-ca-fr", json={}))["items"]
    assert [(a["state"], a["status"]) for a in seen] == [("FR", "PENDING")]
    answers = {a["state"]: a for a in ok(api.get(f"/api/v1/requests/{request_id}", "demo-cc-be"))["answers"]}
    assert answers["FR"]["seen_at"]
    assert answers["FR"]["seen_by_id"]
    assert answers["DE"]["seen_at"] is None

    with database.transaction() as session:
        event = session.scalar(sa.select(Event).where(Event.type == "request.seen"))
    assert (event.data["state"], event.data["seen_by"]) == ("FR", "demo-ca-fr")
    assert "requests:BE" in event.audience

    before = count_audit(database)
    ok(api.post(f"/api/v1/requests/{request_id}/seen", "demo-ca-fr", json={}))
    assert count_audit(database) == before, "acknowledging twice changes nothing"


# ---------------------------------------------------------------- arrangements


def test_arrangements_default_to_art_4_and_either_party_records_them(api, database, request_id):
    base = f"/api/v1/requests/{request_id}/answers/FR/arrangement"
    assert error(api.put(base, "demo-ca-fr", json={}), 409)["current"] == "PENDING"  # nothing to arrange yet
    accept_with(database, request_id, "FR", "fr-gign")

    defaults = ok(api.get(base, "demo-ca-fr"))
    assert (defaults["recorded"], defaults["legal_basis"], defaults["cost_terms"]["default_bearer"]) == (
        False, "DECISION_2008_617", "requesting")

    first = ok(api.put(base, "demo-cc-be", json={"legal_basis": "BILATERAL",
                                                "liaison_officer": {"name": "Inspecteur Jan Claes"}}))
    assert (first["recorded"], first["version"]) == (True, 1)
    second = ok(api.put(base, "demo-ca-fr", json={"legal_basis": "BILATERAL", "expected_version": 1,
                                                 "cost_terms": {"default_bearer": "sending"}}))
    assert (second["version"], second["cost_terms"]["default_bearer"]) == (2, "sending")
    assert error(api.put(base, "demo-ca-fr", json={"expected_version": 1}), 409)["version"] == 2
    assert error(api.put(base, "demo-ca-de", json={}), 403)["code"] == "forbidden"  # DE is not a party to it


# ---------------------------------------------------------------- costs and settlement


@pytest.fixture
def deployed(database, request_id) -> dict:
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    return {"request": request_id, "deployment": gign,
            "costs": f"/api/v1/requests/{request_id}/deployments/{gign}/costs"}


def test_a_unit_that_never_left_has_no_costs(api, deployed):
    body = error(api.post(deployed["costs"], "demo-ca-fr",
                          json={"category": "TRANSPORT", "currency": "EUR", "amount_minor": 1000}), 409)
    assert body["current"] == "ALERTED"


def test_costs_are_settled_once_every_unit_is_back_and_the_request_then_closes(api, database, deployed):
    rid, gign = deployed["request"], deployed["deployment"]
    base = f"/api/v1/requests/{rid}"
    deployment_steps(database, rid, gign, "demo-cmd-fr", "accept", "mobilise")
    cost = ok(api.post(deployed["costs"], "demo-ca-fr",
                       json={"category": "EQUIPMENT", "currency": "EUR", "amount_minor": 99_900}), 201)
    assert (cost["borne_by"], cost["paid_by"], cost["sending_state"]) == ("requesting", "sending", "FR")
    ok(api.post(deployed["costs"], "demo-cc-be",
                json={"category": "OTHER", "currency": "CHF", "amount_minor": 5_000, "paid_by": "requesting"}), 201)

    assert error(api.post(f"{base}/costs/settle", "demo-cc-be", json={}), 409)["unfinished"] == [gign]
    assert error(api.post(f"{base}/close", "demo-cc-be", json={}), 409)["guard"] == \
        "all_deployments_finished_and_costs_settled"

    deployment_steps(database, rid, gign, "demo-cmd-fr", "stand_down", "return_home")
    summary = ok(api.post(f"{base}/costs/settle", "demo-cc-be", json={}))
    assert summary["settled"] is True
    assert summary["totals"]["EUR"]["transfers"] == [{"from": "BE", "to": "FR", "amount_minor": 99_900}]
    assert summary["totals"]["CHF"]["transfers"] == [], "Belgium paid and bears it: nothing to transfer"
    assert error(api.post(deployed["costs"], "demo-ca-fr",
                          json={"category": "OTHER", "currency": "EUR", "amount_minor": 1}), 409)["current"] == "PARTIALLY_MET"
    assert error(api.post(f"{base}/costs/settle", "demo-cc-be", json={}), 409)["code"] == "conflict"

    assert ok(api.post(f"{base}/close", "demo-cc-be", json={}))["status"] == "CLOSED"
    assert error(api.post(f"{base}/withdraw", "demo-cc-be", json={}), 409)["current"] == "CLOSED"


# ---------------------------------------------------------------- lists, crises and the trail


def test_requests_are_listed_newest_first_a_page_at_a_time_and_filtered_by_status(api, database):
    ids = [raise_request(database) for _ in range(3)]
    draft = raise_request(database, submit=False)
    page_one = ok(api.get("/api/v1/requests?per_page=2", "demo-ca-fr"))
    page_two = ok(api.get("/api/v1/requests?per_page=2&page=2", "demo-ca-fr"))
    assert [r["id"] for r in page_one["items"] + page_two["items"]] == ids[::-1]
    assert page_one["total"] == 3, "France does not see Belgium's draft"
    drafts = ok(api.get("/api/v1/requests?status=DRAFT", "demo-cc-be"))
    assert [r["id"] for r in drafts["items"]] == [draft]


def test_a_page_of_requests_costs_the_same_few_queries_however_many_rows_it_holds(api, app, database):
    engine = app.extensions["atlas_db"].engine
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    def statements_for_one_page() -> int:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            ok(api.get("/api/v1/requests?per_page=50", "demo-observer"))
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    raise_request(database)
    statements_for_one_page()  # sign-in and first-use queries out of the way
    with_one = statements_for_one_page()
    for _ in range(6):
        raise_request(database)
    assert statements_for_one_page() == with_one <= 12


def test_the_owner_marks_its_crisis_and_nobody_else_may(api, database):
    crisis = ok(api.post("/api/v1/crises", "demo-ca-be", json=hijacked_aircraft(exercise=True)), 201)
    assert (crisis["state"], crisis["exercise"]) == ("BE", True)
    changed = ok(api.patch(f"/api/v1/crises/{crisis['id']}", "demo-cc-be", json={"classification": "unclassified"}))
    assert (changed["classification"], changed["marking"], changed["version"]) == ("UNCLASSIFIED", "UNCLASSIFIED", 2)
    request = ok(api.post("/api/v1/requests", "demo-cc-be",
                          json=request_payload(crisis=None, crisis_id=crisis["id"])), 201)
    assert (request["crisis"]["classification"], request["marking"]) == ("UNCLASSIFIED", "UNCLASSIFIED")
    assert error(api.patch(f"/api/v1/crises/{crisis['id']}", "demo-ca-fr", json={"classification": "RESTREINT UE"}),
                 403)


def test_the_trail_of_a_request_is_readable_by_its_parties_with_the_hash_links(api, database, request_id):
    accept_with(database, request_id, "FR", "fr-gign")
    trail = ok(api.get(f"/api/v1/requests/{request_id}/audit", "demo-ca-de"))["items"]
    assert [r["action"] for r in trail] == ["crisis.create", "request.create", "request.submit", "answer.accept",
                                            "deployment.alert"]
    assert all(len(r["hash"]) == 64 and len(r["prev_hash"]) == 64 for r in trail)
    later = ok(api.get(f"/api/v1/requests/{request_id}/audit?after_seq={trail[2]['seq']}", "demo-ca-de"))["items"]
    assert [r["seq"] for r in later] == [r["seq"] for r in trail[3:]]


def test_the_ranking_snapshot_is_served_even_before_the_matching_service_exists(api, request_id):
    body = ok(api.get(f"/api/v1/requests/{request_id}/ranking-snapshot", "demo-cc-be"))
    assert body["request_id"] == request_id
    assert "snapshot" in body


# ---------------------------------------------------------------- no 5xx for any input

FIELDS = ["crisis", "crisis_id", "kinds", "operational_necessity", "requirements", "needed_by", "duration_hours",
          "addressees", "address_all", "answer_deadline", "submit", "units", "reason", "counter", "kinds",
          "personnel", "arrival_at", "text", "eta", "on_scene_commander", "until", "headcount", "transport_mode",
          "category", "currency", "amount_minor", "paid_by", "legal_basis", "weapons_manifest",
          "liaison_officer", "cost_terms", "expected_version", "site", "lat", "lon", "code", "quantity"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
    | st.sampled_from(["FR", "BE", "EUR", "TRANSPORT", "2031-01-01T10:00:00+00:00", "ACTION_ARMED", "full"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8),
                                                                inner, max_size=5),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
PATHS = ["", "/submit", "/withdraw", "/close", "/seen", "/answers/FR/accept", "/answers/FR/refuse",
         "/answers/FR/counter-propose", "/answers/FR/counter/accept", "/answers/FR/arrangement",
         "/deployments/1/depart", "/deployments/1/arrive", "/deployments/1/extend", "/deployments/1/costs",
         "/costs/settle"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), body=bodies, user=st.sampled_from(["demo-cc-be", "demo-ca-fr", "demo-cmd-fr"]))
def test_no_input_causes_a_server_error(api, database, request_id, path, body, user):
    if path == "":
        response = api.post("/api/v1/requests", user, json=body)
    elif path.endswith("arrangement"):
        response = api.put(f"/api/v1/requests/{request_id}{path}", user, json=body)
    else:
        response = api.post(f"/api/v1/requests/{request_id}{path}", user, json=body)
    assert response.status_code < 500, (path, body, response.get_json())
    if response.status_code < 400:
        with database.transaction() as session:
            assert audit.verify(session).ok

