"""Need-to-know on every read path (issue #14, item 2): a state a request was not addressed to
learns nothing of it, over REST, the event catch-up page or the live socket.

The story: Belgium asks France only; France accepts with GIGN, whose commander commits the unit
and reports it on scene. Germany's crisis centre, competent authority and unit commander then
call every GET of the OpenAPI document (path ids filled with the story's ids and their own), the
events after 0, and replay and live events on a socket. Nothing they receive may name the
request or the deployment.
"""

from __future__ import annotations

import json
import re
from itertools import product

import pytest

from tests.factories import in_hours, request_payload, unit_id

OUTSIDERS = ("demo-cc-de", "demo-ca-de", "demo-cmd-de")
# Extra queries for the lists, so that the story's unit is on the page read.
LIST_QUERIES = {
    "/api/v1/units": ["", "?state=FR&per_page=500", "?readiness=COMMITTED", "?q=gign"],
    "/api/v1/events": ["?after=0&limit=1000"],
    "/api/v1/places": ["?q=Brussels"],
    "/api/v1/requests": ["", "?per_page=500"],
}


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def run_story(api, database) -> dict[str, int]:
    """BE → FR only; FR accepts with GIGN; GIGN commits, travels and is on scene."""
    with database.transaction() as session:
        gign, gsg9 = unit_id(session, "fr-gign"), unit_id(session, "de-gsg9")
    request = ok(api.post("/api/v1/requests", "demo-cc-be", json=request_payload(addressees=["FR"])), 201)
    base = f"/api/v1/requests/{request['id']}"
    ok(api.post(f"{base}/answers/FR/accept", "demo-ca-fr", json={"units": [gign]}))
    deployment = ok(api.get(base, "demo-cc-be"))["deployments"][0]["id"]
    step = f"{base}/deployments/{deployment}"
    ok(api.post(f"{step}/accept", "demo-cmd-fr", json={"headcount": 40, "transport_mode": "air"}))
    ok(api.post(f"{step}/mobilise", "demo-cmd-fr", json={}))
    ok(api.post(f"{step}/depart", "demo-cmd-fr", json={"eta": in_hours(2)}))
    ok(api.post(f"{step}/arrive", "demo-cmd-fr", json={"on_scene_commander": "Commissaire Luc Peeters"}))
    assert ok(api.get(f"/api/v1/units/{gign}", "demo-cc-be"))["readiness"]["status"] == "COMMITTED"
    return {"request": request["id"], "crisis": request["crisis"]["id"], "deployment": deployment,
            "unit": gign, "own_unit": gsg9}


def leaks(text: str, ids: dict[str, int]) -> list[str]:
    """The places in ``text`` that name the story's request (in a request or deployment context)
    or its deployment."""
    rid, did = ids["request"], ids["deployment"]
    patterns = [
        rf"\brequests? #?{rid}\b", rf'"request_id": {rid}\b', rf"\brequests?[:/]{rid}\b",
        rf"\bdeployments? #?{did}\b", rf'"deployment_id": {did}\b', rf"\bdeployments?[:/]{did}\b",
    ]
    return [m.group(0) for pattern in patterns for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def path_values(ids: dict[str, int]) -> dict[str, list]:
    """Candidate values of each path parameter: the story's ids and the outsider's own."""
    return {
        "request_id": [ids["request"]], "deployment_id": [ids["deployment"]], "crisis_id": [ids["crisis"]],
        "unit_id": [ids["unit"], ids["own_unit"]], "state": ["FR", "BE", "DE"], "code": ["FR", "BE", "DE"],
        "training_id": [1], "org": ["ca-FR", "cc-BE", "ca-DE", f"unit-{ids['unit']}"],
    }


def get_paths(api) -> list[str]:
    """Every GET of the OpenAPI document, its path ids filled in every way (see path_values)."""
    document = ok(api.get("/api/v1/openapi.json", "demo-cc-de"))
    return [path for path, operations in document["paths"].items() if "get" in operations]


GHOSTS = {"request": 987_651, "deployment": 987_652, "crisis": 987_653}


def urls(paths: list[str], ids: dict[str, int]) -> list[tuple[str, str]]:
    """(url, the same url naming a request, deployment and crisis that never existed)."""
    values = path_values(ids)
    ghost_of = {str(ids[name]): str(ghost) for name, ghost in GHOSTS.items()}
    found = []
    for path in paths:
        names = re.findall(r"{(\w+)}", path)
        assert set(names) <= set(values), f"no value for a path id of {path}: fill it in path_values"
        for combo in product(*(values[name] for name in names)):
            url, ghost = path, path
            for name, value in zip(names, combo, strict=True):
                url = url.replace(f"{{{name}}}", str(value))
                ghost = ghost.replace(f"{{{name}}}", ghost_of.get(str(value), str(value)) if name in
                                      ("request_id", "deployment_id", "crisis_id") else str(value))
            found.extend((url + query, ghost + query) for query in LIST_QUERIES.get(path, [""]))
    return found


def rest_bodies(api, user: str, addresses: list[tuple[str, str]], ids: dict[str, int]) -> dict[str, str]:
    """The bodies the user reads. A refusal must be the very answer given for ids that never
    existed (the caller's own number echoed back tells nothing): it is compared, not scanned."""
    bodies = {}
    for url, ghost in addresses:
        response = api.get(url, user)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code in (403, 404) and ghost != url:
            unknown = api.get(ghost, user)
            assert response.status_code == unknown.status_code, (url, ghost)
            echoed = unknown.get_data(as_text=True)
            for name, number in GHOSTS.items():
                echoed = echoed.replace(str(number), str(ids[name]))
            assert response.get_data(as_text=True) == echoed, (url, ghost)
            continue
        bodies[url] = response.get_data(as_text=True)
    return bodies


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_an_outsider_learns_nothing_of_a_request_on_any_read_path(outsider, api, database, clients):
    live = clients(outsider)
    ids = run_story(api, database)
    assert api.get(f"/api/v1/requests/{ids['request']}", outsider).status_code == 404

    seen = rest_bodies(api, outsider, urls(get_paths(api), ids), ids)
    replayed = clients(outsider, after=0)
    newest = max(json.loads(seen["/api/v1/events?after=0&limit=1000"])["last_seq"], 1)
    live.drain()
    seen["socket: live events"] = json.dumps(live.events())
    seen["socket: replay after 0"] = json.dumps(replayed.events())
    seen["socket: replay call"] = json.dumps(live.call("replay", {"after": 0}))
    readiness = [e for e in live.events() + replayed.events() if e["type"] == "readiness.changed"]
    assert readiness, "the outsider should still see that the unit's readiness changed"
    assert newest >= max(e["seq"] for e in readiness)

    found = {where: hits for where, text in seen.items() if (hits := leaks(text, ids))}
    assert found == {}


def test_the_request_s_own_parties_read_the_full_reason(api, database):
    ids = run_story(api, database)
    full = f"committed to request {ids['request']} (deployment {ids['deployment']})"
    for user in ("demo-cc-be", "demo-ca-fr", "demo-cmd-fr", "demo-observer"):
        assert ok(api.get(f"/api/v1/units/{ids['unit']}", user))["readiness"]["reason"] == full
        history = ok(api.get(f"/api/v1/units/{ids['unit']}/readiness/history", user))["items"]
        assert history[0]["reason"] == full
    outsider = ok(api.get(f"/api/v1/units/{ids['unit']}", "demo-cc-de"))["readiness"]
    assert (outsider["status"], outsider["reason"]) == ("COMMITTED", "committed to an operation")


def test_old_events_from_before_need_to_know_replay_without_the_reference(api, database, clients):
    """An outbox written before readiness reasons were need-to-know holds the full reason in
    ``readiness.changed`` and ``directory.unit_updated``; replaying it (REST catch-up, socket
    replay) must not hand that reference to an outsider, nor to anyone (they are broadcasts)."""
    from atlas_coord.services import events

    ids = run_story(api, database)
    full = f"committed to request {ids['request']} (deployment {ids['deployment']})"
    with database.transaction() as session:
        old_readiness = {"unit_id": ids["unit"], "state": "FR", "name": "GIGN", "version": 9,
                         "readiness": {"status": "COMMITTED", "reason": full}}
        events.publish(session, "readiness.changed", f"unit:{ids['unit']}", old_readiness, [events.ROOM_ALL])
        events.publish(session, "directory.unit_updated", f"unit:{ids['unit']}",
                       {"unit": {"id": ids["unit"], "readiness": {"status": "COMMITTED", "reason": full}}},
                       [events.ROOM_ALL])
    for reader in ("demo-cc-de", "demo-cc-be"):
        page = api.get("/api/v1/events?after=0&limit=1000", reader).get_data(as_text=True)
        replayed = clients(reader, after=0)
        replay_call = replayed.call("replay", {"after": 0})
        seen = {"rest": page, "socket replay": json.dumps(replayed.events()), "replay call": json.dumps(replay_call)}
        assert all(full not in text for text in seen.values()), reader
        assert "committed to an operation" in page
        if reader == "demo-cc-de":  # the outsider: nothing names the request at all
            assert {where: hits for where, text in seen.items() if (hits := leaks(text, ids))} == {}
