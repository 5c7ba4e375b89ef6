"""The directory over the API: what each role may read and change, and clear errors for bad input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import AuditRecord, ReadinessChange, Unit
from tests.factories import unit_id, unit_payload


def count(database, model) -> int:
    with database.transaction() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_health_reports_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_is_503_when_the_database_is_gone(tmp_path):
    from atlas_coord import create_app
    from tests.conftest import app_settings

    # A directory where SQLite cannot create a file: the database is unreachable.
    app = create_app(app_settings(f"sqlite:///{tmp_path}/missing/dir/\0bad.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_the_seeded_directory_lists_every_atlas_unit_with_the_contract_fields(api):
    response = api.get("/api/v1/units?per_page=500", "demo-observer")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 38
    assert len({u["state"] for u in body["items"]}) >= 29
    gign = next(u for u in body["items"] if u["key"] == "fr-gign")
    assert gign["state"] == "FR"
    assert gign["base"] == {"lat": 48.78, "lon": 2.12}
    assert "ENV_AIRCRAFT" in gign["capabilities"]
    assert gign["readiness"]["status"] == "READY"
    assert len(gign["stations"]) >= 3


def test_units_are_paged_in_a_stable_order(api):
    first = api.get("/api/v1/units?per_page=10&page=1", "demo-observer").get_json()
    second = api.get("/api/v1/units?per_page=10&page=2", "demo-observer").get_json()
    everything = api.get("/api/v1/units?per_page=500", "demo-observer").get_json()
    assert [u["id"] for u in first["items"] + second["items"]] == [u["id"] for u in everything["items"][:20]]
    assert first["total"] == everything["total"]
    keys = [(u["state"], u["name"], u["id"]) for u in everything["items"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("state=FR", lambda u: u["state"] == "FR"),
        ("capability=ENV_MARITIME", lambda u: "ENV_MARITIME" in u["capabilities"]),
        ("readiness=READY", lambda u: u["readiness"]["status"] == "READY"),
        ("q=cobra", lambda u: "cobra" in (u["name"] + u["local_name"] + u["english_name"]).lower()),
    ],
)
def test_unit_filters_keep_only_matching_units(api, query, check):
    body = api.get(f"/api/v1/units?{query}&per_page=500", "demo-cc-be").get_json()
    assert body["items"], query
    assert all(check(u) for u in body["items"])
    assert body["total"] == len(body["items"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=XX", "state"),
        ("capability=TELEPORT", "capability"),
        ("readiness=SLEEPING", "readiness"),
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_filters_get_a_4xx_naming_the_field(api, query, field):
    response = api.get(f"/api/v1/units?{query}", "demo-observer")
    assert response.status_code in (400, 422)
    assert field in response.get_json()["error"]["fields"]


def test_unknown_unit_is_404(api):
    response = api.get("/api/v1/units/999999", "demo-observer")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_reading_without_signing_in_is_401(client):
    response = client.get("/api/v1/units")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


# Who may do what in the directory: one table, every role, own state and another state.
DIRECTORY_ACTIONS = [
    # (user, action, target, expected status)
    ("demo-admin", "create", "BE", 201),
    ("demo-ca-be", "create", "BE", 201),
    ("demo-ca-be", "create", "FR", 403),
    ("demo-cc-be", "create", "BE", 403),
    ("demo-cmd-be", "create", "BE", 403),
    ("demo-planner", "create", "BE", 403),
    ("demo-observer", "create", "BE", 403),
    ("demo-admin", "update", "fr-gign", 200),
    ("demo-ca-fr", "update", "fr-gign", 200),
    ("demo-ca-be", "update", "fr-gign", 403),
    ("demo-cc-fr", "update", "fr-gign", 403),
    ("demo-cmd-fr", "update", "fr-gign", 403),
    ("demo-observer", "update", "fr-gign", 403),
    ("demo-cmd-fr", "readiness", "fr-gign", 200),
    ("demo-cmd-be", "readiness", "fr-gign", 403),
    ("demo-ca-fr", "readiness", "fr-gign", 403),
    ("demo-cc-fr", "readiness", "fr-gign", 403),
    ("demo-planner", "readiness", "fr-gign", 403),
    ("demo-observer", "readiness", "fr-gign", 403),
    ("demo-admin", "readiness", "fr-gign", 200),
    ("demo-observer", "read", "fr-gign", 200),
    ("demo-planner-be", "read", "fr-gign", 200),
]


@pytest.mark.parametrize(("user", "action", "target", "expected"), DIRECTORY_ACTIONS)
def test_directory_permissions(api, database, user, action, target, expected):
    audit_before = count(database, AuditRecord)
    if action == "create":
        response = api.post("/api/v1/units", user, json=unit_payload(state=target, key=None))
    else:
        with database.transaction() as s:
            target_id = unit_id(s, target)
        if action == "update":
            response = api.patch(f"/api/v1/units/{target_id}", user, json={"personnel": 77})
        elif action == "readiness":
            response = api.put(
                f"/api/v1/units/{target_id}/readiness", user, json={"status": "LIMITED", "reason": "two snipers sick"}
            )
        else:
            response = api.get(f"/api/v1/units/{target_id}", user)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        assert response.get_json()["error"]["code"] == "forbidden"
        assert count(database, AuditRecord) == audit_before
    elif action != "read":
        assert count(database, AuditRecord) == audit_before + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base": {"lat": 91, "lon": 4.4}}, "base.lat"),
        ({"base": {"lat": 50.8, "lon": -181}}, "base.lon"),
        ({"base": {"lat": "north", "lon": 4.4}}, "base.lat"),
        ({"state": "XX"}, "state"),
        ({"state": "BEL"}, "state"),
        ({"capabilities": [{"code": "TELEPORT", "level": "full"}]}, "capabilities.0.code"),
        ({"capabilities": [{"code": "NEG", "level": "superb"}]}, "capabilities.0.level"),
        ({"capabilities": [{"code": "NEG", "quantity": 0}]}, "capabilities.0.quantity"),
        ({"personnel": "forty"}, "personnel"),
        ({"tier": "T9"}, "tier"),
        ({"name": ""}, "name"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_unit_input_is_refused_naming_the_field_and_nothing_is_written(api, database, change, field):
    units_before = count(database, Unit)
    audit_before = count(database, AuditRecord)
    response = api.post("/api/v1/units", "demo-admin", json=unit_payload(**change))
    assert 400 <= response.status_code < 500
    error = response.get_json()["error"]
    assert field in error["fields"], error
    assert error["message"]
    assert count(database, Unit) == units_before
    assert count(database, AuditRecord) == audit_before


def test_a_body_that_is_not_json_or_not_an_object_is_refused(api):
    assert api.post("/api/v1/units", "demo-admin", data="state=BE", content_type="text/plain").status_code == 415
    response = api.post("/api/v1/units", "demo-admin", json=[1, 2, 3])
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"body": "not a JSON object"}


def test_an_oversized_body_gets_413_and_nothing_is_written(api, database):
    units_before = count(database, Unit)
    big = unit_payload(source_note="x" * 400_000)
    response = api.post("/api/v1/units", "demo-admin", json=big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert count(database, Unit) == units_before


def test_a_competent_authority_adds_a_unit_that_then_appears_in_the_directory(api):
    created = api.post("/api/v1/units", "demo-ca-be", json=unit_payload())
    assert created.status_code == 201
    unit = created.get_json()
    assert unit["state"] == "BE" and unit["capabilities"] == ["ENV_BUILDING", "NEG"]
    listed = api.get("/api/v1/units?state=BE&q=antwerp", "demo-observer").get_json()
    assert [u["id"] for u in listed["items"]] == [unit["id"]]


def test_a_stale_version_cannot_overwrite_a_newer_change(api, database):
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    version = api.get(f"/api/v1/units/{gign}", "demo-ca-fr").get_json()["version"]
    first = api.patch(f"/api/v1/units/{gign}", "demo-ca-fr", json={"personnel": 400, "expected_version": version})
    assert first.status_code == 200
    stale = api.patch(f"/api/v1/units/{gign}", "demo-ca-fr", json={"personnel": 10, "expected_version": version})
    assert stale.status_code == 409
    assert api.get(f"/api/v1/units/{gign}", "demo-ca-fr").get_json()["personnel"] == 400


def test_readiness_history_is_kept_with_reasons(api, database):
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    steps = [
        {"status": "LIMITED", "reason": "helicopter in maintenance", "transport": "partial"},
        {"status": "TRAINING", "reason": "joint exercise in Satory", "break_off_min": 60},
        {"status": "READY", "reason": "exercise over"},
    ]
    for step in steps:
        assert api.put(f"/api/v1/units/{gign}/readiness", "demo-cmd-fr", json=step).status_code == 200
    history = api.get(f"/api/v1/units/{gign}/readiness/history", "demo-observer").get_json()["items"]
    assert [h["status"] for h in history[:3]] == ["READY", "TRAINING", "LIMITED"]
    assert [h["previous_status"] for h in history[:3]] == ["TRAINING", "LIMITED", "READY"]
    assert history[1]["break_off_min"] == 60
    assert history[2]["transport"] == "partial"
    assert history[2]["reason"] == "helicopter in maintenance"
    with database.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ReadinessChange).where(ReadinessChange.unit_id == gign)) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "TRAINING", "reason": "exercise"}, "break_off_min"),
        ({"status": "READY", "reason": "all fine", "break_off_min": 30}, "break_off_min"),
        ({"status": "COMMITTED", "reason": "by hand"}, "status"),
        ({"status": "READY"}, "reason"),
        ({"status": "READY", "reason": "fine", "personnel": "half"}, "personnel"),
    ],
)
def test_bad_readiness_reports_are_refused(api, database, body, field):
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    response = api.put(f"/api/v1/units/{gign}/readiness", "demo-cmd-fr", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert api.get(f"/api/v1/units/{gign}", "demo-cmd-fr").get_json()["readiness"]["status"] == "READY"


def test_states_authorities_and_capabilities_are_listed(api):
    states = api.get("/api/v1/states?per_page=500", "demo-observer").get_json()
    assert {"NO", "IS", "CH"} <= {s["code"] for s in states["items"] if s["membership"] == "associated"}
    assert next(s for s in states["items"] if s["code"] == "IE")["timezone"] == "Europe/Dublin"
    authorities = api.get("/api/v1/authorities?per_page=500", "demo-observer").get_json()
    assert {a["state"] for a in authorities["items"]} == {s["code"] for s in states["items"]}
    capabilities = api.get("/api/v1/capabilities?per_page=500", "demo-observer").get_json()
    assert {"environment", "specialist", "support"} == {c["family"] for c in capabilities["items"]}
