"""Matching over the API: a crisis centre sees who can help, why, who cannot and why, and a team."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models.requests import AssistanceRequest
from tests.factories import request_payload, unit_id

WHAT_IF = {
    "site": {"lat": 50.90, "lon": 4.48},  # Brussels Airport
    "requesting_state": "BE",
    "requirements": [
        {"code": "ENV_AIRCRAFT", "quantity": 1, "min_level": "full", "critical": True},
        {"code": "NEG", "quantity": 4, "min_level": "limited"},
    ],
    "kinds": ["ACTION_ARMED"],
}


def test_a_submitted_request_gets_ranked_candidates_every_exclusion_and_a_team(api):
    created = api.post("/api/v1/requests", "demo-cc-be", json=request_payload())
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    body = api.get(f"/api/v1/requests/{request_id}/candidates", "demo-cc-be").get_json()
    candidates, excluded = body["candidates"], body["excluded"]
    assert candidates and [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    # score = effective minutes, lower is better; punctual units first, each group in its order
    on_time = [c["on_time"] for c in candidates]
    assert on_time == sorted(on_time, reverse=True)
    scores = [c["score"] for c in candidates if c["on_time"]]
    assert scores == sorted(scores)
    assert all((c["late_by_min"] is None) is c["on_time"] for c in candidates)
    first = candidates[0]
    assert first["state"] != "BE"
    assert first["explanation"] and first["score_parts"]
    assert {"mobilisation_min", "travel_min", "total_min", "mode"} <= set(first["eta"])
    # each leg carries the waypoints the map draws it along, from the unit's station to the site
    for c in candidates:
        drawn = [leg["points"] for leg in c["eta"]["steps"] if leg["mode"] != "wait"]
        assert drawn and all(len(p) >= 2 for p in drawn), c["eta"]["steps"]
        assert drawn[0][0] == pytest.approx(c["from_station"], abs=1e-5)
        assert drawn[-1][-1] == pytest.approx([50.9014, 4.4844])  # Brussels Airport (hijacked_aircraft)
    # Belgium's own DSU is not a candidate for Belgium's request, and says why.
    reasons = {e["unit_id"]: e["reason"] for e in excluded}
    with api.app.extensions["atlas_db"].transaction() as s:
        dsu = unit_id(s, "be-dsu")
    assert reasons[dsu] == "requesting_state"
    assert len(candidates) + len(excluded) == 39
    team = body["team"]
    assert team["members"] and not team["uncovered"]
    covered = {code for m in team["members"] for code in m["contributes"]}
    assert {"ENV_AIRCRAFT", "NEG"} <= covered


def test_the_ranking_is_frozen_on_the_request_when_it_is_submitted(api, database):
    request_id = api.post("/api/v1/requests", "demo-cc-be", json=request_payload()).get_json()["id"]
    with database.transaction() as s:
        snapshot = s.get(AssistanceRequest, request_id).ranking_snapshot
    assert snapshot["query"]["requesting_state"] == "BE"
    assert snapshot["candidates"] and snapshot["team"]["members"]
    assert snapshot["taken_at"]


def test_a_state_not_addressed_cannot_see_the_candidates_of_a_request(api):
    request_id = api.post(
        "/api/v1/requests", "demo-cc-be", json=request_payload(addressees=["FR", "DE"])
    ).get_json()["id"]
    assert api.get(f"/api/v1/requests/{request_id}/candidates", "demo-ca-nl").status_code == 404
    assert api.get(f"/api/v1/requests/{request_id}/candidates", "demo-observer").status_code == 200


def test_what_if_matching_for_a_planner_is_deterministic(api):
    first = api.post("/api/v1/match", "demo-planner", json=WHAT_IF).get_json()
    second = api.post("/api/v1/match", "demo-planner", json=WHAT_IF).get_json()
    assert [c["unit_id"] for c in first["candidates"]] == [c["unit_id"] for c in second["candidates"]]
    assert first["candidates"][0]["state"] in {"NL", "FR", "DE", "LU"}


def test_a_deadline_nobody_meets_still_ranks_everyone_flagged_late(api):
    """A hijacked aircraft at Brussels Airport, needed in 30 minutes: nobody makes it, yet the board
    ranks every capable unit by lateness, the team is proposed from late units and says so, and
    ENV_AIRCRAFT is not among the needs nobody can meet: it says when it can be met."""
    from datetime import UTC, datetime, timedelta

    needed_by = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    body = api.post("/api/v1/match", "demo-planner", json={**WHAT_IF, "needed_by": needed_by, "limit": 100}).get_json()
    candidates = body["candidates"]
    assert len(candidates) > 20
    assert not any(c["on_time"] for c in candidates)
    late = [c["late_by_min"] for c in candidates]
    assert late == sorted(late) and late[0] > 0
    assert any(line.startswith("Late by") for line in candidates[0]["explanation"])
    assert "too_far_for_deadline" not in body["excluded_counts"]
    team = body["team"]
    assert team["members"]
    assert "ENV_AIRCRAFT" not in {u["code"] for u in team["uncovered"]}
    aircraft = next(n for n in team["late_needs"] if n["code"] == "ENV_AIRCRAFT")
    assert aircraft["late_by_min"] > 0 and aircraft["earliest_arrival"] and aircraft["units"]
    assert any(note.startswith("Late units used") for note in team["notes"])


def test_a_unit_in_training_carries_its_break_off_time_and_an_unavailable_one_is_excluded(api, database):
    with database.transaction() as s:
        gign, cobra = unit_id(s, "fr-gign"), unit_id(s, "at-eko-cobra")
    api.put(f"/api/v1/units/{gign}/readiness", "demo-cmd-fr", json={"status": "TRAINING", "reason": "exercise", "break_off_min": 90})
    api.put(f"/api/v1/units/{cobra}/readiness", "demo-cmd-at", json={"status": "UNAVAILABLE", "reason": "stand-down"})
    body = api.post("/api/v1/match", "demo-planner", json=WHAT_IF).get_json()
    gign_row = next(c for c in body["candidates"] if c["unit_id"] == gign)
    assert gign_row["eta"]["break_off_min"] == 90
    assert any("break off" in line.lower() for line in gign_row["explanation"])
    assert {e["unit_id"]: e["reason"] for e in body["excluded"]}[cobra] == "unavailable"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": {"lat": 91, "lon": 4.4}}, "site.lat"),
        ({"requesting_state": "XX"}, "requesting_state"),
        ({"requirements": [{"code": "TELEPORT"}]}, "requirements.0.code"),
        ({"requirements": []}, "requirements"),
        ({"kinds": ["MAGIC"]}, "kinds.0"),
        ({"needed_by": "tomorrow"}, "needed_by"),
    ],
)
def test_bad_what_if_input_names_the_field(api, change, field):
    response = api.post("/api/v1/match", "demo-planner", json={**WHAT_IF, **change})
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["error"]["fields"]


def test_observers_cannot_run_what_if_matching(api):
    assert api.post("/api/v1/match", "demo-observer", json=WHAT_IF).status_code == 403


def test_unknown_request_is_404(api, database):
    with database.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest)) == 0
    assert api.get("/api/v1/requests/424242/candidates", "demo-admin").status_code == 404
