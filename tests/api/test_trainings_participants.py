"""Units are invited, answer, wait for a place, and have their attendance recorded."""

from __future__ import annotations

import sqlalchemy as sa

from atlas_coord.models import AuditRecord, Event
from tests.factories import training_payload, unit_id


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


def plan_workshop(api, host, invite, **extra):
    """A two-place negotiation workshop in Paris (units stay on duty)."""
    defaults = {"kind": "workshop", "title": "Negotiation workshop", "timezone": "Europe/Paris", "capacity": 2,
                "venue": {"name": "RAID HQ, Bièvres", "lat": 48.755, "lon": 2.2}}
    body = training_payload(host_unit_id=host, invite_unit_ids=invite, **{**defaults, **extra})
    response = api.post("/api/v1/trainings", "demo-planner", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(api, user, training_id, unit, yes=True, **extra):
    return api.post(f"/api/v1/trainings/{training_id}/participants/{unit}/response", user,
                    json={"answer": "accept" if yes else "decline", **extra})


def statuses(body):
    return {p["unit_id"]: p["status"] for p in body["participants"]}


def test_a_freed_place_goes_to_the_first_waiting_unit_in_invitation_order(api, database):
    """GIGN, DSI, Cobra and GSG 9 are invited in that order to two places. DSI and Cobra say yes
    first; GSG 9 and then GIGN wait. When DSI withdraws, GIGN moves up: it was invited first."""
    raid, gign, dsi, cobra, gsg9 = ids(database, "fr-raid", "fr-gign", "nl-dsi", "at-eko-cobra", "de-gsg9")
    training = plan_workshop(api, raid, [gign, dsi, cobra, gsg9])
    tid = training["id"]

    assert answer(api, "demo-cmd-nl", tid, dsi).status_code == 200
    assert answer(api, "demo-cmd-at", tid, cobra).status_code == 200
    waiting_de = answer(api, "demo-cmd-de", tid, gsg9).get_json()
    waiting_fr = answer(api, "demo-cmd-fr", tid, gign).get_json()
    assert statuses(waiting_de)[gsg9] == "waitlisted"
    assert statuses(waiting_fr)[gign] == "waitlisted"
    assert waiting_fr["places_taken"] == 2

    after = answer(api, "demo-cmd-nl", tid, dsi, yes=False).get_json()

    assert statuses(after) == {raid: "accepted", gign: "accepted", dsi: "declined", cobra: "accepted", gsg9: "waitlisted"}
    with database.transaction() as s:
        changed = s.scalars(sa.select(Event).where(Event.type == "training.participant_changed")
                            .order_by(Event.seq.desc())).first()
        assert changed.data["promoted_unit_ids"] == [gign]
        assert {f"unit:{dsi}", f"unit:{gign}", "state:NL", "state:FR", "all"} <= set(changed.audience)
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditRecord)
                        .where(AuditRecord.action == "training.respond")) == 5


def test_the_states_competent_authority_may_answer_for_its_unit_but_no_one_else(api, database):
    raid, dsi, cobra = ids(database, "fr-raid", "nl-dsi", "at-eko-cobra")
    tid = plan_workshop(api, raid, [dsi, cobra])["id"]

    assert answer(api, "demo-cmd-at", tid, dsi).status_code == 403  # another unit's commander
    assert answer(api, "demo-ca-be", tid, dsi).status_code == 403  # another state's authority
    assert answer(api, "demo-planner", tid, dsi).status_code == 403  # planners invite, units answer
    response = answer(api, "demo-ca-nl", tid, dsi)
    assert response.status_code == 200
    assert statuses(response.get_json())[dsi] == "accepted"


def test_the_host_does_not_answer_and_a_unit_not_invited_is_not_found(api, database):
    raid, gign, dsi = ids(database, "fr-raid", "fr-gign", "nl-dsi")
    tid = plan_workshop(api, gign, [dsi])["id"]
    assert answer(api, "demo-cmd-fr", tid, gign).status_code == 409
    assert answer(api, "demo-ca-fr", tid, raid).status_code == 404


def test_accepting_runs_the_conflict_check(api, database):
    """Cobra accepted a rope course; a workshop at the same hour then invites it, with an
    override by the planner. Cobra's own "yes" is checked again and refused."""
    raid, gign, cobra = ids(database, "fr-raid", "fr-gign", "at-eko-cobra")
    rope = plan_workshop(api, gign, [cobra], title="Rope course")
    assert answer(api, "demo-cmd-at", rope["id"], cobra).status_code == 200
    overlapping = plan_workshop(api, raid, [cobra], override_reason="Cobra will choose one of the two")

    response = answer(api, "demo-cmd-at", overlapping["id"], cobra)

    assert response.status_code == 409
    (conflict,) = response.get_json()["error"]["conflicts"]
    assert conflict["kind"] == "unit_overlap"
    assert conflict["unit_id"] == cobra
    assert answer(api, "demo-cmd-at", overlapping["id"], cobra, override_reason="I want both, please").status_code == 403


def test_inviting_more_units_checks_them_and_refuses_one_invited_twice(api, database):
    raid, dsi, cobra = ids(database, "fr-raid", "nl-dsi", "at-eko-cobra")
    tid = plan_workshop(api, raid, [dsi])["id"]

    again = api.post(f"/api/v1/trainings/{tid}/participants", "demo-planner", json={"unit_ids": [dsi]})
    more = api.post(f"/api/v1/trainings/{tid}/participants", "demo-planner", json={"unit_ids": [cobra]})
    unknown = api.post(f"/api/v1/trainings/{tid}/participants", "demo-planner", json={"unit_ids": [99999]})

    assert again.status_code == 422
    assert "unit_ids.0" in again.get_json()["error"]["fields"]
    assert unknown.status_code == 422
    assert "unit_ids.0" in unknown.get_json()["error"]["fields"]
    assert more.status_code == 200
    invited = [(p["unit_id"], p["invitation_order"]) for p in more.get_json()["participants"] if p["role"] == "guest"]
    assert invited == [(dsi, 1), (cobra, 2)]


def test_attendance_is_recorded_per_occurrence_once_it_has_started(api, database):
    """A weekly course that began in the past: the planner records who came on the first day;
    the DSI commander corrects his own unit; the next, future session cannot be recorded yet."""
    raid, dsi, cobra = ids(database, "fr-raid", "nl-dsi", "at-eko-cobra")
    training = plan_workshop(api, raid, [dsi, cobra], rrule="FREQ=WEEKLY;COUNT=200",
                             start_local="2026-01-07T09:00", end_local="2026-01-07T12:00")
    tid = training["id"]
    first = {"recurrence_id": "2026-01-07T09:00", "entries": [
        {"unit_id": dsi, "attended": True, "personnel": 6, "hours": 3},
        {"unit_id": cobra, "attended": False, "note": "called out"}]}

    assert api.put(f"/api/v1/trainings/{tid}/attendance", "demo-planner", json=first).status_code == 200
    fix = {"recurrence_id": "2026-01-07T09:00", "entries": [{"unit_id": dsi, "attended": True, "personnel": 5}]}
    assert api.put(f"/api/v1/trainings/{tid}/attendance", "demo-cmd-nl", json=fix).status_code == 200
    other_unit = {"recurrence_id": "2026-01-07T09:00", "entries": [{"unit_id": cobra, "attended": True}]}
    assert api.put(f"/api/v1/trainings/{tid}/attendance", "demo-cmd-nl", json=other_unit).status_code == 403
    future = {"recurrence_id": "2026-12-30T09:00", "entries": [{"unit_id": dsi, "attended": True}]}
    assert api.put(f"/api/v1/trainings/{tid}/attendance", "demo-planner", json=future).status_code == 409
    not_an_occurrence = {"recurrence_id": "2026-01-08T09:00", "entries": [{"unit_id": dsi, "attended": True}]}
    assert api.put(f"/api/v1/trainings/{tid}/attendance", "demo-planner", json=not_an_occurrence).status_code == 404

    rows = api.get(f"/api/v1/trainings/{tid}/attendance", "demo-observer").get_json()["items"]
    assert sorted((r["unit_id"], r["attended"], r["personnel"]) for r in rows) == sorted([(dsi, True, 5), (cobra, False, None)])


def test_events_and_rooms_for_the_participants(api, database):
    raid, dsi = ids(database, "fr-raid", "nl-dsi")
    tid = plan_workshop(api, raid, [dsi])["id"]
    answer(api, "demo-cmd-nl", tid, dsi)
    api.post(f"/api/v1/trainings/{tid}/cancel", "demo-planner", json={"reason": "venue unavailable"})

    with database.transaction() as s:
        types = [e.type for e in s.scalars(sa.select(Event).where(Event.subject == f"training:{tid}").order_by(Event.seq))]
        cancelled = s.scalar(sa.select(Event).where(Event.type == "training.cancelled"))
    assert types == ["training.created", "training.participant_changed", "training.cancelled"]
    assert {"all", f"unit:{raid}", f"unit:{dsi}", "state:FR", "state:NL"} <= set(cancelled.audience)
    assert cancelled.data["reason"] == "venue unavailable"
