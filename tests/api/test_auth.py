"""Signing in: bearer tokens for API clients, a session cookie with CSRF for the console, throttling."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD


def test_a_token_is_issued_for_a_good_login_and_refused_for_a_bad_one(client):
    good = client.post("/api/v1/auth/token", json={"username": "demo-cc-be", "password": DEMO_PASSWORD})
    assert good.status_code == 200
    token = good.get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["roles"] == [{"role": "crisis_centre", "state": "BE", "unit_id": None}]
    bad = client.post("/api/v1/auth/token", json={"username": "demo-cc-be", "password": "wrong-password"})
    assert bad.status_code == 401
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password"})
    assert unknown.status_code == 401
    assert bad.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]


def test_a_revoked_token_is_refused(client):
    token = client.post("/api/v1/auth/token", json={"username": "demo-observer", "password": DEMO_PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 200
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_an_invented_token_is_refused(client):
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_the_console_session_needs_the_csrf_token_for_changes(client, database):
    from tests.factories import unit_id

    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    login = client.post("/api/v1/auth/login", json={"username": "demo-cmd-fr", "password": DEMO_PASSWORD})
    assert login.status_code == 200
    csrf = login.get_json()["csrf_token"]
    assert client.get("/api/v1/units").status_code == 200
    change = {"status": "LIMITED", "reason": "vehicle breakdown"}
    refused = client.put(f"/api/v1/units/{gign}/readiness", json=change)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "csrf"
    accepted = client.put(f"/api/v1/units/{gign}/readiness", json=change, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert client.get("/api/v1/units").status_code == 401


def test_repeated_wrong_passwords_make_the_account_wait_with_the_same_answer(client):
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "demo-ca-nl", "password": "guess-guess"}).status_code == 401
    waiting = client.post("/api/v1/auth/token", json={"username": "demo-ca-nl", "password": DEMO_PASSWORD})
    assert waiting.status_code == 401
    assert waiting.get_json()["error"]["message"] == "wrong user name or password"


def test_login_input_is_validated(client):
    response = client.post("/api/v1/auth/token", json={"username": "demo-ca-nl"})
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]


def test_the_openapi_document_describes_the_validated_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    create = document["paths"]["/api/v1/units"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/UnitCreate"
    lat = document["components"]["schemas"]["Point"]["properties"]["lat"]
    assert lat["maximum"] == 90 and lat["minimum"] == -90
    assert "/api/v1/auth/token" in document["paths"]


def test_every_response_carries_security_headers_and_a_csp_without_unsafe_inline(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://localhost").headers
