"""The whole story over the API, five states: a hijacked aircraft at Brussels Airport.

Belgium's crisis centre asks France, Germany, the Netherlands and Austria for armed assistance.
The Netherlands refuses; Austria proposes a smaller team arriving later, which Belgium accepts;
France and Germany accept. GSG 9's commander declines, GIGN's and EKO Cobra's accept. The units
travel, act under the Belgian on-scene commander, stand down and return; their readiness goes
COMMITTED and back. Costs are recorded under the agreed Art. 4 terms and settled, the request is
closed, the timeline tells every step in order, and the audit chain is intact.
"""

from __future__ import annotations

from atlas_coord.services import audit
from tests.factories import in_hours, request_payload, unit_id


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_a_hijacked_aircraft_at_brussels_airport(api, database):
    with database.transaction() as session:
        units = {key: unit_id(session, key) for key in ("fr-gign", "de-gsg9", "at-eko-cobra")}
    gign, gsg9, cobra = units["fr-gign"], units["de-gsg9"], units["at-eko-cobra"]

    # --- Belgium raises and submits the request (Art. 3(1)).
    request = ok(api.post("/api/v1/requests", "demo-cc-be", json=request_payload(
        requirements=[{"code": "ENV_AIRCRAFT", "quantity": 2, "min_level": "full"},
                      {"code": "NEG", "quantity": 4, "min_level": "full"}],
    )), 201)
    rid = request["id"]
    base = f"/api/v1/requests/{rid}"
    assert request["status"] == "SUBMITTED"
    assert request["crisis"]["type"] == "aircraft_hijacking"
    assert request["addressed_states"] == ["AT", "DE", "FR", "NL"]
    assert {a["state"]: a["status"] for a in request["answers"]} == dict.fromkeys(["AT", "DE", "FR", "NL"], "PENDING")

    # --- The addressed authorities acknowledge; Belgium sees who read it.
    for state in ("nl", "at"):
        ok(api.post(f"{base}/seen", f"demo-ca-{state}", json={}))
    seen = {a["state"]: a["seen_at"] for a in ok(api.get(base, "demo-cc-be"))["answers"]}
    assert seen["NL"]
    assert seen["AT"]
    assert seen["FR"] is None

    # --- The three-way answer: NL refuses, AT counter-proposes, FR and DE accept.
    ok(api.post(f"{base}/answers/NL/refuse", "demo-ca-nl",
                json={"reason": "The DSI is committed to a domestic operation in Rotterdam."}))
    ok(api.post(f"{base}/answers/AT/counter-propose", "demo-ca-at", json={"counter": {
        "kinds": ["fewer_personnel", "later_arrival"],
        "units": [cobra],
        "personnel": 24,
        "arrival_at": in_hours(6),
        "text": "One aircraft-entry team of 24 from Wiener Neustadt, by helicopter, after 6 hours.",
    }}))
    ok(api.post(f"{base}/answers/FR/accept", "demo-ca-fr", json={"units": [gign]}))
    ok(api.post(f"{base}/answers/DE/accept", "demo-ca-de", json={"units": [gsg9]}))
    ok(api.post(f"{base}/answers/AT/counter/accept", "demo-cc-be", json={"reason": "A smaller team still helps."}))

    # --- The practical arrangements with France (Art. 1), with a cost deviation (Art. 4).
    ok(api.put(f"{base}/answers/FR/arrangement", "demo-ca-fr", json={
        "legal_basis": "DECISION_2008_617",
        "weapons_manifest": [{"item": "HK416 rifle", "category": "weapon", "quantity": 20},
                             {"item": "5.56 mm rounds", "category": "ammunition", "quantity": 6000},
                             {"item": "aircraft boarding ladders", "category": "equipment", "quantity": 4}],
        "liaison_officer": {"name": "Capitaine Claire Moreau", "phone": "+33 1 23 45 67 89"},
        "cost_terms": {"default_bearer": "requesting", "overrides": {"ACCOMMODATION": "sending"},
                       "note": "France bears its own accommodation."},
    }))
    arrangement = ok(api.get(f"{base}/answers/FR/arrangement", "demo-cc-be"))
    assert arrangement["cost_terms"]["overrides"] == {"ACCOMMODATION": "sending"}
    assert arrangement["liaison_officer"]["name"] == "Capitaine Claire Moreau"

    request = ok(api.get(base, "demo-cc-be"))
    answers = {a["state"]: a["status"] for a in request["answers"]}
    assert answers == {"AT": "COUNTER_ACCEPTED", "DE": "ACCEPTED", "FR": "ACCEPTED", "NL": "REFUSED"}
    deployment_of = {d["unit"]["key"]: d["id"] for d in request["deployments"]}
    assert set(deployment_of) == {"fr-gign", "de-gsg9", "at-eko-cobra"}
    assert all(d["status"] == "ALERTED" for d in request["deployments"])
    fr_dep, de_dep, at_dep = (f"{base}/deployments/{deployment_of[k]}" for k in ("fr-gign", "de-gsg9", "at-eko-cobra"))

    # --- One commander declines, the others accept; the request is met.
    ok(api.post(f"{de_dep}/decline", "demo-cmd-de", json={"reason": "GSG 9 is committed to a domestic operation."}))
    ok(api.post(f"{fr_dep}/accept", "demo-cmd-fr", json={"headcount": 40, "transport_mode": "air"}))
    assert ok(api.get(base, "demo-cc-be"))["status"] == "PARTIALLY_MET"
    ok(api.post(f"{at_dep}/accept", "demo-cmd-at", json={"transport_mode": "air"}))
    assert ok(api.get(base, "demo-cc-be"))["status"] == "MET"
    for key in ("fr-gign", "at-eko-cobra"):
        assert ok(api.get(f"/api/v1/units/{units[key]}", "demo-observer"))["readiness"]["status"] == "COMMITTED"
    assert ok(api.get(f"/api/v1/units/{gsg9}", "demo-observer"))["readiness"]["status"] == "READY"

    # --- They travel and act under the Belgian on-scene commander (Art. 3(3)).
    for dep, commander in ((fr_dep, "demo-cmd-fr"), (at_dep, "demo-cmd-at")):
        ok(api.post(f"{dep}/mobilise", commander, json={}))
        ok(api.post(f"{dep}/depart", commander, json={"eta": in_hours(2)}))
    ok(api.post(f"{fr_dep}/arrive", "demo-cmd-fr", json={"on_scene_commander": "Commissaire Luc Peeters"}))
    ok(api.post(f"{at_dep}/arrive", "demo-cc-be", json={"on_scene_commander": "Commissaire Luc Peeters"}))
    on_scene = ok(api.get(fr_dep, "demo-cmd-fr"))
    assert (on_scene["status"], on_scene["on_scene_commander"]) == ("ON_SCENE", "Commissaire Luc Peeters")
    ok(api.post(f"{fr_dep}/extend", "demo-cc-be", json={"until": in_hours(96), "reason": "Night assault postponed."}))

    # --- Belgium stands the units down; they return; readiness goes back.
    for dep, commander in ((fr_dep, "demo-cmd-fr"), (at_dep, "demo-cmd-at")):
        assert ok(api.post(f"{dep}/stand-down", "demo-cc-be", json={"reason": "Aircraft secured."}))["status"] == "STOOD_DOWN"
        assert ok(api.post(f"{dep}/return", commander, json={}))["status"] == "RETURNED"
    for key in ("fr-gign", "at-eko-cobra"):
        history = ok(api.get(f"/api/v1/units/{units[key]}/readiness/history", "demo-observer"))["items"]
        assert [(h["previous_status"], h["status"], h["source"]) for h in history[:2]] == [
            ("COMMITTED", "READY", "deployment"), ("READY", "COMMITTED", "deployment")]

    # --- Costs under Art. 4: Belgium bears them, except France's accommodation (agreed otherwise).
    ok(api.post(f"{fr_dep}/costs", "demo-ca-fr", json={"category": "TRANSPORT", "currency": "EUR",
                                                       "amount_minor": 1_850_000, "note": "Two A400M rotations"}), 201)
    ok(api.post(f"{fr_dep}/costs", "demo-ca-fr", json={"category": "ACCOMMODATION", "currency": "EUR",
                                                       "amount_minor": 420_000}), 201)
    ok(api.post(f"{at_dep}/costs", "demo-ca-at", json={"category": "TRANSPORT", "currency": "EUR",
                                                       "amount_minor": 960_000}), 201)
    ok(api.post(f"{at_dep}/costs", "demo-cc-be", json={"category": "ACCOMMODATION", "currency": "EUR",
                                                       "amount_minor": 300_000, "paid_by": "requesting",
                                                       "note": "Hotel booked by the Belgian police"}), 201)
    costs = ok(api.get(f"{base}/costs", "demo-cc-be"))
    assert [(c["sending_state"], c["category"], c["borne_by"]) for c in costs["items"]] == [
        ("FR", "TRANSPORT", "requesting"), ("FR", "ACCOMMODATION", "sending"),
        ("AT", "TRANSPORT", "requesting"), ("AT", "ACCOMMODATION", "requesting")]
    eur = costs["totals"]["EUR"]
    assert eur["total"] == 3_530_000
    assert eur["by_bearer"] == {"requesting": 3_110_000, "sending": 420_000}
    assert eur["transfers"] == [{"from": "BE", "to": "AT", "amount_minor": 960_000},
                                {"from": "BE", "to": "FR", "amount_minor": 1_850_000}]

    # --- Settled, then closed.
    assert ok(api.post(f"{base}/costs/settle", "demo-cc-be", json={}))["settled"] is True
    closed = ok(api.post(f"{base}/close", "demo-cc-be", json={}))
    assert closed["status"] == "CLOSED"

    # --- The timeline tells every step, in order, with actor, role and time.
    steps = ok(api.get(f"{base}/timeline", "demo-observer"))["items"]
    assert [s["seq"] for s in steps] == sorted(s["seq"] for s in steps)
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    assert all(s["actor"] and s["role"] and s["at"] for s in steps)
    story = [(s["actor"], s["action"], s["to"]) for s in steps if s["action"] != "unit.readiness"]
    assert story == [
        ("demo-cc-be", "crisis.create", None),
        ("demo-cc-be", "request.create", "DRAFT"),
        ("demo-cc-be", "request.submit", "SUBMITTED"),
        ("demo-ca-nl", "request.seen", None),
        ("demo-ca-at", "request.seen", None),
        ("demo-ca-nl", "answer.refuse", "REFUSED"),
        ("demo-ca-at", "answer.counter_propose", "COUNTER_PROPOSED"),
        ("demo-ca-fr", "answer.accept", "ACCEPTED"),
        ("system", "deployment.alert", "ALERTED"),
        ("demo-ca-de", "answer.accept", "ACCEPTED"),
        ("system", "deployment.alert", "ALERTED"),
        ("demo-cc-be", "answer.accept_counter", "COUNTER_ACCEPTED"),
        ("system", "deployment.alert", "ALERTED"),
        ("demo-ca-fr", "arrangement.record", None),
        ("demo-cmd-de", "deployment.unit_decline", "DECLINED"),
        ("demo-cmd-fr", "deployment.unit_accept", "ACCEPTED"),
        ("system", "request.recompute", "PARTIALLY_MET"),
        ("demo-cmd-at", "deployment.unit_accept", "ACCEPTED"),
        ("system", "request.recompute", "MET"),
        ("demo-cmd-fr", "deployment.mobilise", "MOBILISING"),
        ("demo-cmd-fr", "deployment.depart", "EN_ROUTE"),
        ("demo-cmd-at", "deployment.mobilise", "MOBILISING"),
        ("demo-cmd-at", "deployment.depart", "EN_ROUTE"),
        ("demo-cmd-fr", "deployment.arrive", "ON_SCENE"),
        ("demo-cc-be", "deployment.arrive", "ON_SCENE"),
        ("demo-cc-be", "deployment.extend", "ON_SCENE"),
        ("demo-cc-be", "deployment.stand_down", "STOOD_DOWN"),
        ("demo-cmd-fr", "deployment.return", "RETURNED"),
        ("demo-cc-be", "deployment.stand_down", "STOOD_DOWN"),
        ("demo-cmd-at", "deployment.return", "RETURNED"),
        ("demo-ca-fr", "cost.record", None),
        ("demo-ca-fr", "cost.record", None),
        ("demo-ca-at", "cost.record", None),
        ("demo-cc-be", "cost.record", None),
        ("demo-cc-be", "costs.settle", None),
        ("demo-cc-be", "request.close", "CLOSED"),
    ]
    readiness = [(s["actor"], s["from"], s["to"]) for s in steps if s["action"] == "unit.readiness"]
    assert readiness == [("demo-cmd-fr", "READY", "COMMITTED"), ("demo-cmd-at", "READY", "COMMITTED"),
                         ("demo-cmd-fr", "COMMITTED", "READY"), ("demo-cmd-at", "COMMITTED", "READY")]
    roles = {s["actor"]: s["role"] for s in steps}
    assert roles["demo-cc-be"] == "crisis_centre:BE"
    assert roles["demo-ca-fr"] == "competent_authority:FR"
    assert roles["demo-cmd-fr"] == f"unit_commander:{gign}"

    # --- The trail is readable by the parties and the chain is intact.
    trail = ok(api.get(f"{base}/audit", "demo-ca-at"))["items"]
    assert len(trail) == len(steps)
    with database.transaction() as session:
        assert audit.verify(session).ok
