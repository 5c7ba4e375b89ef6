"""The inbox (issue 16): what needs my action now, for each role, soonest deadline first."""

from __future__ import annotations

from tests.factories import accept_with, deployment_steps, in_hours, raise_request, unit_id


def inbox_of(api, user: str) -> list[dict]:
    response = api.get("/api/v1/inbox", user)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == len(body["items"])
    return body["items"]


def test_a_submitted_request_waits_in_the_inbox_of_each_addressed_authority_until_it_answers(api, database):
    request_id = raise_request(database, addressees=["FR", "DE"])

    [item] = inbox_of(api, "demo-ca-fr")
    assert item["kind"] == "answer_due"
    assert item["title"] == "Answer for FR: accept, refuse or counter-propose"
    assert item["request_id"] == request_id and item["reference"].startswith(f"Request #{request_id} · ")
    assert item["reference"].endswith("(BE)") and item["marking"] == "RESTREINT UE/EU RESTRICTED"
    assert item["deadline"] and item["link"] == f"#/requests/{request_id}/answers"
    assert [i["state"] for i in inbox_of(api, "demo-ca-de")] == ["DE"]
    # The requester and the Dutch authority (not addressed) have nothing to do.
    assert inbox_of(api, "demo-cc-be") == [] and inbox_of(api, "demo-ca-nl") == []

    assert api.post(f"/api/v1/requests/{request_id}/answers/FR/refuse", "demo-ca-fr",
                    json={"reason": "units committed at home"}).status_code == 200
    assert inbox_of(api, "demo-ca-fr") == []
    assert len(inbox_of(api, "demo-ca-de")) == 1


def test_the_inbox_is_sorted_by_deadline_and_forgets_withdrawn_requests(api, database):
    later = raise_request(database, addressees=["FR"], answer_deadline=in_hours(3), needed_by=in_hours(5))
    sooner = raise_request(database, addressees=["FR"], answer_deadline=in_hours(1))
    assert [i["request_id"] for i in inbox_of(api, "demo-ca-fr")] == [sooner, later]

    assert api.post(f"/api/v1/requests/{sooner}/withdraw", "demo-cc-be", json={"reason": "resolved locally"}).status_code == 200
    assert [i["request_id"] for i in inbox_of(api, "demo-ca-fr")] == [later]


def test_a_counter_proposal_waits_for_the_requester_to_decide(api, database):
    request_id = raise_request(database, addressees=["NL"])
    with database.transaction() as session:
        dsi = unit_id(session, "nl-dsi")
    counter = {"counter": {"kinds": ["other_units"], "units": [dsi], "text": "The DSI instead of the units asked for."}}
    assert api.post(f"/api/v1/requests/{request_id}/answers/NL/counter-propose", "demo-ca-nl", json=counter).status_code == 200

    [item] = inbox_of(api, "demo-cc-be")
    assert item["kind"] == "counter_to_decide" and item["state"] == "NL"
    assert "counter-proposal of NL" in item["title"]
    assert inbox_of(api, "demo-ca-nl") == []

    assert api.post(f"/api/v1/requests/{request_id}/answers/NL/counter/reject", "demo-cc-be", json={}).status_code == 200
    assert inbox_of(api, "demo-cc-be") == []


def test_the_commander_is_asked_for_each_next_report_until_the_unit_is_on_scene(api, database):
    request_id = raise_request(database, addressees=["FR"])
    [deployment_id] = accept_with(database, request_id, "FR", "fr-gign")

    def step_titles():
        return [(i["kind"], i["title"], i["deployment_id"]) for i in inbox_of(api, "demo-cmd-fr")]

    assert step_titles() == [("deployment_step", "GIGN is alerted: accept or decline the deployment", deployment_id)]
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "accept")
    assert step_titles()[0][1] == "Report GIGN mobilising"
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "mobilise", "depart")
    [item] = inbox_of(api, "demo-cmd-fr")
    assert item["title"] == "Report GIGN on scene when it arrives" and item["link"] == f"#/requests/{request_id}/deployments"
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "arrive")
    assert inbox_of(api, "demo-cmd-fr") == []
    # Another state's commander never sees GIGN's deployment.
    assert inbox_of(api, "demo-cmd-de") == []


def test_a_deployment_tells_when_it_left_and_when_it_arrived(api, database):
    request_id = raise_request(database, addressees=["FR"])
    [deployment_id] = accept_with(database, request_id, "FR", "fr-gign")
    url = f"/api/v1/requests/{request_id}/deployments/{deployment_id}"
    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "accept", "mobilise")
    body = api.get(url, "demo-cc-be").get_json()
    assert body["departed_at"] is None and body["arrived_at"] is None

    deployment_steps(database, request_id, deployment_id, "demo-cmd-fr", "depart")
    departed = api.get(url, "demo-cc-be").get_json()
    assert departed["status"] == "EN_ROUTE" and departed["departed_at"] and departed["arrived_at"] is None

    arrived = api.post(f"{url}/arrive", "demo-cc-be", json={"on_scene_commander": "Commissaire Peeters"}).get_json()
    assert arrived["status"] == "ON_SCENE"
    assert arrived["arrived_at"] >= departed["departed_at"] and arrived["departed_at"] == departed["departed_at"]
    listed = api.get(f"/api/v1/requests/{request_id}", "demo-cc-be").get_json()["deployments"]
    assert listed[0]["arrived_at"] == arrived["arrived_at"]


def test_roles_that_act_on_nothing_have_an_empty_inbox(api, database):
    raise_request(database, addressees=["FR"])
    for user in ("demo-admin", "demo-observer", "demo-planner"):
        assert inbox_of(api, user) == []
    assert api.get("/api/v1/inbox").status_code == 401
