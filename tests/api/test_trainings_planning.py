"""A planner schedules exercises; the planning rules keep the map from being emptied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import AuditRecord, Event, Training, TrainingParticipant
from tests.factories import EXERCISE_UNITS, four_unit_exercise_payload, training_payload, unit_id


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


def count_trainings(database) -> int:
    with database.transaction() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Training))


def test_an_exercise_taking_belgiums_only_aircraft_unit_off_duty_is_blocked_naming_state_capability_window_and_figure(api, database):
    """Belgium has one unit, the DSU. An aircraft field exercise hosted by it on 10 March 2027
    (08:00-16:00 in Brussels, i.e. 07:00-15:00 UTC) would leave Belgium without any READY unit
    for an aircraft hijack."""
    (dsu,) = ids(database, "be-dsu")

    response = api.post("/api/v1/trainings", "demo-planner", json=training_payload(host_unit_id=dsu))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "training_conflict"
    aircraft = next(c for c in error["conflicts"] if c["capability"] == "ENV_AIRCRAFT")
    assert aircraft["kind"] == "readiness_guard"
    assert aircraft["state"] == "BE"
    assert (aircraft["window_start"], aircraft["window_end"]) == ("2027-03-10T07:00:00Z", "2027-03-10T15:00:00Z")
    assert aircraft["figure"] == 0
    assert aircraft["message"] == ("Belgium would have no READY unit with ENV_AIRCRAFT from 2027-03-10 07:00 "
                                   "to 15:00 UTC (1 unit holds it; 0 left).")
    assert "Belgium" in error["message"]
    assert count_trainings(database) == 0


def test_the_planner_overrides_with_a_reason_the_training_is_saved_and_the_override_audited(api, database):
    (dsu,) = ids(database, "be-dsu")
    reason = "Federal Police keeps a reinforced DSU standby team in Brussels that day"

    response = api.post("/api/v1/trainings", "demo-planner",
                        json=training_payload(host_unit_id=dsu, override_reason=reason))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["override"]["reason"] == reason
    assert {(c["state"], c["capability"]) for c in body["overridden_conflicts"]} >= {("BE", "ENV_AIRCRAFT")}
    with database.transaction() as s:
        record = s.scalar(sa.select(AuditRecord).where(AuditRecord.action == "training.override"))
        assert record.actor_name == "demo-planner"
        assert record.subject_id == str(body["id"])
        assert record.after["reason"] == reason
        assert any(c["capability"] == "ENV_AIRCRAFT" and c["state"] == "BE" for c in record.after["conflicts"])
        assert s.scalar(sa.select(AuditRecord).where(AuditRecord.action == "training.create")) is not None
        created = s.scalar(sa.select(Event).where(Event.type == "training.created"))
        assert "all" in created.audience
        assert f"unit:{dsu}" in created.audience


def test_the_belgian_state_planner_may_override_belgian_conflicts_but_not_plan_in_the_netherlands(api, database):
    dsu, dsi = ids(database, "be-dsu", "nl-dsi")
    reason = "Federal Police keeps a reinforced DSU standby team in Brussels that day"

    saved = api.post("/api/v1/trainings", "demo-planner-be", json=training_payload(host_unit_id=dsu, override_reason=reason))
    elsewhere = api.post("/api/v1/trainings", "demo-planner-be",
                         json=training_payload(host_unit_id=dsi, kind="workshop", title="NL workshop"))

    assert saved.status_code == 201
    assert elsewhere.status_code == 403


def test_a_unit_commander_may_not_plan_and_may_not_override(api, database):
    (gign,) = ids(database, "fr-gign")
    response = api.post("/api/v1/trainings", "demo-cmd-fr", json=training_payload(host_unit_id=gign, kind="workshop"))
    assert response.status_code == 403


def test_a_plan_that_leaves_every_state_covered_is_saved_with_the_host_taking_part(api, database):
    """France has two units with every critical capability; GIGN may train while RAID stays home."""
    gign, dsi = ids(database, "fr-gign", "nl-dsi")

    response = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, title="Aircraft assault, Roissy", timezone="Europe/Paris",
        venue={"name": "Paris-Charles de Gaulle", "lat": 49.0097, "lon": 2.5479}, invite_unit_ids=[dsi],
        kind="table_top"))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["units_off_duty"] is False  # a table-top keeps units on duty by default
    assert body["start_utc"] == "2027-03-10T07:00:00Z"
    assert [(p["unit_id"], p["role"], p["status"]) for p in body["participants"]] == [
        (gign, "host", "accepted"), (dsi, "guest", "invited")]
    assert body["overridden_conflicts"] == []
    assert body["override"] is None


def test_the_dry_run_check_returns_the_conflicts_and_saves_nothing(api, database):
    (dsu,) = ids(database, "be-dsu")

    response = api.post("/api/v1/trainings/check", "demo-planner", json=training_payload(host_unit_id=dsu))

    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is False
    assert ("BE", "ENV_AIRCRAFT") in {(c["state"], c["capability"]) for c in body["conflicts"]}
    assert body["occurrences_checked"] == 1
    assert count_trainings(database) == 0


def test_a_unit_cannot_be_in_two_overlapping_trainings(api, database):
    gign, raid = ids(database, "fr-gign", "fr-raid")
    first = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", title="Negotiation workshop", invite_unit_ids=[raid],
        timezone="Europe/Paris", start_local="2027-03-10T09:00", end_local="2027-03-10T12:00"))
    assert first.status_code == 201

    second = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=raid, kind="workshop", title="Rope access", timezone="Europe/Paris",
        start_local="2027-03-10T11:00", end_local="2027-03-10T17:00"))

    assert second.status_code == 409
    (overlap,) = second.get_json()["error"]["conflicts"]
    assert overlap["kind"] == "unit_overlap"
    assert overlap["unit_id"] == raid
    assert overlap["state"] == "FR"
    assert (overlap["window_start"], overlap["window_end"], overlap["figure"]) == (
        "2027-03-10T10:00:00Z", "2027-03-10T11:00:00Z", 60)
    assert overlap["details"]["training_id"] == first.get_json()["id"]


def test_a_deployed_unit_cannot_be_invited(api, database):
    gign, cobra = ids(database, "fr-gign", "at-eko-cobra")
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'COMMITTED' WHERE id = :id"), {"id": cobra})

    response = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", invite_unit_ids=[cobra], timezone="Europe/Paris"))

    assert response.status_code == 409
    (deployed,) = response.get_json()["error"]["conflicts"]
    assert deployed["kind"] == "unit_deployed"
    assert deployed["unit_id"] == cobra
    assert "with no planned return" in deployed["message"]


@pytest.mark.parametrize(("change", "field"), [
    ({"rrule": "FREQ=HOURLY"}, "rrule"),
    ({"rrule": "FREQ=MONTHLY;BYDAY=XX"}, "rrule"),
    ({"end_local": "2027-03-10T07:00"}, "end_local"),
    ({"end_local": "2027-04-10T07:00"}, "end_local"),
    ({"timezone": "Europe/Atlantis"}, "timezone"),
    ({"venue": {"name": "Nowhere", "lat": 91, "lon": 4.4}}, "venue.lat"),
    ({"host_unit_id": 99999}, "host_unit_id"),
    ({"invite_unit_ids": [99999]}, "invite_unit_ids.0"),
    ({"capacity": 0}, "capacity"),
    ({"capabilities": ["TELEPORT"]}, "capabilities.0"),
    ({"start_local": "2027-03-10T08:00+01:00"}, "start_local"),
    ({"rrule": "FREQ=MONTHLY;BYDAY=+3WE"}, "start_local"),  # 10 March 2027 is the 2nd Wednesday
    ({"rrule": "FREQ=WEEKLY", "exdates": ["2027-03-11T08:00"]}, "exdates.0"),
    ({"kind": "picnic"}, "kind"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(api, database, change, field):
    (gign,) = ids(database, "fr-gign")
    body = training_payload(host_unit_id=gign, kind="workshop", timezone="Europe/Paris")
    body.update(change)

    response = api.post("/api/v1/trainings", "demo-planner", json=body)

    assert 400 <= response.status_code < 500
    assert response.status_code != 409
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert count_trainings(database) == 0


def test_align_start_moves_a_series_to_its_first_occurrence(api, database):
    (gign,) = ids(database, "fr-gign")
    response = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", timezone="Europe/Paris", rrule="FREQ=MONTHLY;BYDAY=+3WE",
        align_start=True, start_local="2027-03-01T09:00", end_local="2027-03-01T12:00"))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["start_local"], body["end_local"]) == ("2027-03-17T09:00", "2027-03-17T12:00")


def test_nothing_is_saved_when_the_invited_units_do_not_exist_even_with_an_override(api, database):
    (dsu,) = ids(database, "be-dsu")
    response = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=dsu, invite_unit_ids=[dsu + 1000], override_reason="a long enough reason here"))
    assert response.status_code == 422
    with database.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(TrainingParticipant)) == 0


def test_checking_a_change_to_a_saved_training_does_not_conflict_with_its_own_slot(api, database):
    gign, raid = ids(database, "fr-gign", "fr-raid")
    saved = api.post("/api/v1/trainings", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", timezone="Europe/Paris", invite_unit_ids=[raid])).get_json()

    moved = training_payload(host_unit_id=gign, kind="workshop", timezone="Europe/Paris",
                             start_local="2027-03-10T10:00", end_local="2027-03-10T18:00")
    as_change = api.post("/api/v1/trainings/check", "demo-planner", json={**moved, "training_id": saved["id"]})
    as_new = api.post("/api/v1/trainings/check", "demo-planner", json=moved)

    assert as_change.get_json()["ok"] is True
    assert {c["kind"] for c in as_new.get_json()["conflicts"]} == {"unit_overlap"}


def exercise_units(database) -> dict[str, int]:
    return dict(zip(EXERCISE_UNITS, ids(database, *EXERCISE_UNITS), strict=True))


def test_the_check_of_a_four_unit_exercise_summarises_its_conflicts_by_kind_state_and_capability(api, database):
    """GIGN hosts RAID, GSG 9 and DSI for three days: close to a hundred conflicts, which the
    planner reads as a few counts (readiness guards in three states, coverage gaps by capability)."""
    response = api.post("/api/v1/trainings/check", "demo-planner", json=four_unit_exercise_payload(exercise_units(database)))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    summary = body["summary"]
    assert body["ok"] is False
    assert summary["total"] == len(body["conflicts"]) > 40
    assert summary["not_listed"] == 0
    assert [k["kind"] for k in summary["kinds"]] == ["readiness_guard", "coverage_threshold"]
    assert sum(k["count"] for k in summary["kinds"]) == summary["total"]
    guards = summary["kinds"][0]
    assert guards["label"] == "Readiness guard"
    assert {s["name"] for s in guards["states"]} == {"France", "Germany", "the Netherlands"}
    france = next(s for s in guards["states"] if s["state"] == "FR")
    assert {g["capability_name"] for g in france["groups"]} >= {"Aircraft", "Crisis negotiation"}
    aircraft = next(g for g in france["groups"] if g["capability"] == "ENV_AIRCRAFT")
    assert (aircraft["window_start"], aircraft["window_end"]) == ("2027-03-09T07:00:00Z", "2027-03-11T17:00:00Z")
    assert body["conflicts"][aircraft["conflicts"][0]]["capability"] == "ENV_AIRCRAFT"
    (network,) = summary["kinds"][1]["states"]
    assert (network["state"], network["name"]) == (None, "Across the network")
    assert all(g["capability_name"] and g["points"] for g in network["groups"])
    counts = [g["count"] for g in network["groups"]]
    assert counts == sorted(counts, reverse=True)


def test_a_blocked_save_and_a_saved_override_carry_the_same_summary(api, database):
    payload = four_unit_exercise_payload(exercise_units(database))

    blocked = api.post("/api/v1/trainings", "demo-planner", json=payload)
    saved = api.post("/api/v1/trainings", "demo-planner",
                     json={**payload, "override_reason": "Approved by the four competent authorities"})

    assert blocked.status_code == 409
    error = blocked.get_json()["error"]
    assert error["summary"]["total"] == len(error["conflicts"])
    assert saved.status_code == 201, saved.get_json()
    detail = api.get(f"/api/v1/trainings/{saved.get_json()['id']}?from=2027-03-01&to=2027-03-31", "demo-planner").get_json()
    assert detail["override_summary"]["total"] == len(detail["override"]["conflicts"]) == error["summary"]["total"]
    assert [k["count"] for k in detail["override_summary"]["kinds"]] == [k["count"] for k in error["summary"]["kinds"]]
    (occurrence,) = detail["occurrences"]
    assert occurrence["conflict_summary"]["total"] == len(occurrence["conflicts"])


def test_a_plan_without_conflicts_has_an_empty_summary(api, database):
    gign, raid = ids(database, "fr-gign", "fr-raid")

    body = api.post("/api/v1/trainings/check", "demo-planner", json=training_payload(
        host_unit_id=gign, kind="workshop", timezone="Europe/Paris", invite_unit_ids=[raid])).get_json()

    assert body["ok"] is True
    assert body["summary"] == {"total": 0, "not_listed": 0, "kinds": []}
