"""Need-to-know, as a table: who may know that a request exists.

Belgium asks France, Germany and the Netherlands; France offers GIGN. The requesting and addressed
states' crisis centres and competent authorities, GIGN's commander, observers and admins see it.
Everyone else, including Austria, GSG 9's commander and Belgium's own training planner, gets 404
for the request and everything under it: the same answer as for a request that does not exist.
"""

from __future__ import annotations

import pytest

from tests.factories import accept_with, raise_request

VISIBLE = [
    "demo-cc-be", "demo-ca-be",  # the requesting state
    "demo-cc-fr", "demo-ca-fr", "demo-cc-de", "demo-ca-de", "demo-cc-nl", "demo-ca-nl",  # addressed states
    "demo-cmd-fr",  # GIGN was offered and alerted
    "demo-observer", "demo-admin",
]
HIDDEN = [
    "demo-cc-at", "demo-ca-at",  # not addressed
    "demo-cmd-at", "demo-cmd-de", "demo-cmd-nl", "demo-cmd-be",  # their units were not asked
    "demo-planner", "demo-planner-be", "demo-planner-fr",  # training planners have no need to know
]


@pytest.fixture
def scene(database) -> dict[str, int]:
    request_id = raise_request(database, addressees=["FR", "DE", "NL"])
    [deployment_id] = accept_with(database, request_id, "FR", "fr-gign")
    return {"request": request_id, "deployment": deployment_id}


def read_paths(scene) -> list[str]:
    base = f"/api/v1/requests/{scene['request']}"
    return [
        base,
        f"{base}/timeline",
        f"{base}/audit",
        f"{base}/costs",
        f"{base}/ranking-snapshot",
        f"{base}/answers/FR/arrangement",
        f"{base}/deployments/{scene['deployment']}",
    ]


def change_calls(scene) -> list[tuple[str, dict]]:
    base = f"/api/v1/requests/{scene['request']}"
    deployment = f"{base}/deployments/{scene['deployment']}"
    return [
        (f"{base}/seen", {}),
        (f"{base}/withdraw", {"reason": "probing"}),
        (f"{base}/answers/FR/refuse", {"reason": "probing"}),
        (f"{base}/answers/FR/arrangement", {}),
        (f"{deployment}/accept", {}),
        (f"{deployment}/costs", {"category": "OTHER", "currency": "EUR", "amount_minor": 1}),
        (f"{base}/costs/settle", {}),
    ]


@pytest.mark.parametrize("user", VISIBLE)
def test_those_concerned_read_the_request_and_everything_under_it(api, scene, user):
    for path in read_paths(scene):
        response = api.get(path, user)
        assert response.status_code == 200, (path, response.get_json())


@pytest.mark.parametrize("user", HIDDEN)
def test_anyone_else_gets_404_for_the_request_and_everything_under_it(api, scene, user):
    for path in read_paths(scene):
        response = api.get(path, user)
        assert response.status_code == 404, (path, response.get_json())
    for path, body in change_calls(scene):
        method = api.put if path.endswith("/arrangement") else api.post
        response = method(path, user, json=body)
        assert response.status_code == 404, (path, response.get_json())


@pytest.mark.parametrize("user", HIDDEN)
def test_a_hidden_request_looks_exactly_like_a_missing_one(api, scene, user):
    hidden = api.get(f"/api/v1/requests/{scene['request']}", user).get_json()
    missing_id = scene["request"] + 1000
    missing = api.get(f"/api/v1/requests/{missing_id}", user).get_json()
    assert hidden["error"]["code"] == missing["error"]["code"] == "not_found"
    assert hidden["error"]["message"].replace(str(scene["request"]), "N") == \
        missing["error"]["message"].replace(str(missing_id), "N")


@pytest.mark.parametrize(("user", "sees"), [(u, True) for u in VISIBLE] + [(u, False) for u in HIDDEN])
def test_lists_show_only_the_requests_one_may_know_of(api, scene, user, sees):
    body = api.get("/api/v1/requests", user).get_json()
    assert ([item["id"] for item in body["items"]] == [scene["request"]]) is sees
    assert body["total"] == (1 if sees else 0)


def test_a_draft_is_known_only_to_its_requesting_state(api, database):
    draft = raise_request(database, addressees=["FR"], submit=False)
    assert api.get(f"/api/v1/requests/{draft}", "demo-ca-be").status_code == 200
    assert api.get(f"/api/v1/requests/{draft}", "demo-ca-fr").status_code == 404
    assert api.post(f"/api/v1/requests/{draft}/submit", "demo-cc-be", json={}).status_code == 200
    assert api.get(f"/api/v1/requests/{draft}", "demo-ca-fr").status_code == 200


def test_a_commander_sees_the_request_once_the_unit_is_offered(api, database):
    request_id = raise_request(database, addressees=["DE"])
    assert api.get(f"/api/v1/requests/{request_id}", "demo-cmd-de").status_code == 404
    accept_with(database, request_id, "DE", "de-gsg9")
    assert api.get(f"/api/v1/requests/{request_id}", "demo-cmd-de").status_code == 200


def test_the_crisis_is_hidden_like_its_requests(api, scene):
    crisis_id = api.get(f"/api/v1/requests/{scene['request']}", "demo-cc-be").get_json()["crisis"]["id"]
    assert api.get(f"/api/v1/crises/{crisis_id}", "demo-ca-fr").status_code == 200
    assert api.get(f"/api/v1/crises/{crisis_id}", "demo-ca-at").status_code == 404
    assert api.patch(f"/api/v1/crises/{crisis_id}", "demo-ca-at", json={"classification": "SECRET"}).status_code == 404
