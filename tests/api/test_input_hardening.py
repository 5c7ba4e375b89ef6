"""Input hardening (issue #14, item 6): JSON nesting is limited before parsing, search text is
not a LIKE pattern, numbers are never booleans, 405 names the allowed methods, and no response
tells the server's versions."""

from __future__ import annotations

import http.client
import threading

import pytest
from flask import Flask

from atlas_coord.api.core import MAX_JSON_DEPTH, json_depth
from atlas_coord.services.inputs import like_contains
from atlas_coord.serving import InFlight, stoppable_server
from tests.conftest import DEMO_PASSWORD
from tests.factories import unit_id, unit_payload


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b'{"a": "quote \\" and [ bracket"}') == 1
    assert json_depth(b"42") == 0
    assert json_depth(nested(50_000)) == 50_000


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/login"])
def test_deeply_nested_json_is_a_400_on_the_sign_in_endpoints(client, path):
    for body in (nested(50_000), b'{"username": ' + nested(50_000) + b"}"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, response.data[:200]
        error = response.get_json()["error"]
        assert error["code"] == "bad_json" and f"deeper than {MAX_JSON_DEPTH}" in error["message"]


def test_deeply_nested_json_is_a_400_on_an_authenticated_endpoint_and_moderate_nesting_passes(api):
    response = api.post("/api/v1/units", "demo-admin", data=b'{"name": ' + nested(50_000) + b"}",
                        content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"body": f"nested deeper than {MAX_JSON_DEPTH} levels"}
    shallow = api.post("/api/v1/units", "demo-admin", data=b'{"name": ' + nested(MAX_JSON_DEPTH - 1) + b"}",
                       content_type="application/json")
    assert shallow.status_code == 422  # parsed, then refused by the model


@pytest.mark.parametrize("q", ["%", "_", "%%", "\\"])
def test_like_wildcards_in_the_search_text_match_only_themselves(api, q):
    response = api.get("/api/v1/units", "demo-observer", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_json()["total"] == 0


def test_like_contains_escapes_the_wildcards_and_the_escape_character():
    assert like_contains("a%b_c\\d") == "%a\\%b\\_c\\\\d%"


def test_the_search_still_finds_by_name(api):
    assert api.get("/api/v1/units", "demo-observer", query_string={"q": "gign"}).get_json()["total"] >= 1


@pytest.mark.parametrize("point", [{"lat": True, "lon": 4.4}, {"lat": 50.8, "lon": False}])
def test_booleans_are_not_coordinates_on_create_and_update(api, database, point):
    field = "base.lat" if point["lat"] is True else "base.lon"
    created = api.post("/api/v1/units", "demo-admin", json=unit_payload(base=point))
    assert created.status_code == 422 and field in created.get_json()["error"]["fields"]
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    updated = api.patch(f"/api/v1/units/{gign}", "demo-admin", json={"base": point})
    assert updated.status_code == 422 and field in updated.get_json()["error"]["fields"]


def test_booleans_are_not_counts(api, database):
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    response = api.patch(f"/api/v1/units/{gign}", "demo-admin", json={"personnel": True})
    assert response.status_code == 422
    assert "not true or false" in response.get_json()["error"]["fields"]["personnel"]
    # Query strings still carry numbers as text.
    assert api.get("/api/v1/units", "demo-observer", query_string={"per_page": "2"}).status_code == 200


def test_a_405_names_the_allowed_methods(client):
    response = client.put("/api/v1/auth/token", json={"username": "x", "password": DEMO_PASSWORD})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"POST", "DELETE"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_the_served_server_header_tells_no_version():
    app = Flask(__name__)
    app.add_url_rule("/", "root", lambda: "ok")
    server = stoppable_server("127.0.0.1", 0, InFlight(app))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Server") == "atlas-coord"
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
