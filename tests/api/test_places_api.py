"""A crisis site typed as text (issue #13, item 5): GET /api/v1/places, and ``crisis.site_query``
when raising a request or recording a crisis. Bad input is a 422 naming the field, nothing written."""

from __future__ import annotations

import pytest

from atlas_coord.domain.geo import geodesic_m
from tests.api.test_requests_validation import refused, row_counts
from tests.factories import hijacked_aircraft, request_payload

PLACES = "/api/v1/places"


def _find(api, q: str, user: str = "demo-observer") -> dict:
    response = api.get(PLACES, user, query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_airport_code_resolves_to_the_airport(api):
    body = _find(api, "EBBR")
    assert (body["query"], body["status"], body["closest"]) == ("EBBR", "resolved", [])
    [place] = body["places"]
    assert (place["name"], place["kind"], place["country"]) == ("Brussels Airport", "airport", "BE")
    assert geodesic_m(place["point"]["lat"], place["point"]["lon"], 50.90139, 4.48444) < 100


def test_coordinates_resolve_to_their_point(api):
    [place] = _find(api, "50°54′03.6″N 4°29′03.84″E", user="demo-cmd-fr")["places"]
    assert place["kind"] == "coordinates"
    assert place["point"] == {"lat": pytest.approx(50.901), "lon": pytest.approx(4.4844)}


def test_an_ambiguous_name_offers_the_candidates(api):
    body = _find(api, "Frankfurt", user="demo-cc-fr")
    assert body["status"] == "ambiguous"
    assert [p["name"] for p in body["places"]] == ["Frankfurt am Main", "Frankfurt (Oder)"]


def test_an_unknown_name_gives_the_closest(api):
    body = _find(api, "Brusels")
    assert (body["status"], body["places"]) == ("unknown", [])
    assert "Brussels" in body["closest"]
    assert "Brussels" in body["message"]


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}])
def test_a_missing_empty_or_too_long_q_is_refused_naming_it(api, query):
    response = api.get(PLACES, "demo-observer", query_string=query)
    assert response.status_code == 422
    assert "q" in response.get_json()["error"]["fields"]


def test_someone_not_signed_in_may_not_look_up_places(api):
    assert api.get(PLACES, query_string={"q": "EBBR"}).status_code == 401


# ---------------------------------------------------------------- raising a request with a typed site


def _with_site_query(text: str, **crisis) -> dict:
    body = hijacked_aircraft(site_query=text, **crisis)
    del body["site"]
    return request_payload(crisis=body)


def test_a_request_raised_with_an_airport_code_stores_the_airport_and_its_name(api):
    crisis = hijacked_aircraft(site_query="EBBR")
    del crisis["site"], crisis["place_name"]
    response = api.post("/api/v1/requests", "demo-cc-be", json=request_payload(crisis=crisis))
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["crisis"]
    assert stored["place_name"] == "Brussels Airport"
    assert geodesic_m(stored["site"]["lat"], stored["site"]["lon"], 50.90139, 4.48444) < 100


def test_a_given_place_name_is_kept(api):
    response = api.post("/api/v1/requests", "demo-cc-be", json=_with_site_query("50.9010, 4.4844"))
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["crisis"]
    assert stored["place_name"] == "Brussels Airport, Zaventem"
    assert stored["site"] == {"lat": pytest.approx(50.901), "lon": pytest.approx(4.4844)}


def test_an_unknown_site_query_is_refused_with_the_closest_and_nothing_written(api, database):
    error = refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", _with_site_query("Brusels"), 422,
                    "crisis.site_query")
    assert "Brussels" in error["closest"]
    assert "Brussels" in error["fields"]["crisis.site_query"]


def test_an_ambiguous_site_query_is_refused_with_the_candidates(api, database):
    error = refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", _with_site_query("Frankfurt"), 422,
                    "crisis.site_query")
    assert error["candidates"] == ["Frankfurt am Main (DE)", "Frankfurt (Oder) (DE)"]
    assert "Frankfurt (Oder)" in error["message"]


def test_out_of_range_coordinates_as_text_are_refused(api, database):
    error = refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", _with_site_query("95, 4.48"), 422,
                    "crisis.site_query")
    assert "latitude 95 is outside" in error["message"]


@pytest.mark.parametrize("body", [
    request_payload(crisis=hijacked_aircraft(site_query="EBBR")),
    _with_site_query("EBBR") | {"crisis": {k: v for k, v in _with_site_query("EBBR")["crisis"].items() if k != "site_query"}},
], ids=["both", "neither"])
def test_exactly_one_of_site_and_site_query(api, database, body):
    refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", body, 422, "crisis.site")


def test_a_site_without_a_place_name_is_refused(api, database):
    crisis = hijacked_aircraft()
    del crisis["place_name"]
    refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", request_payload(crisis=crisis), 422,
            "crisis.place_name")


def test_a_site_query_longer_than_100_characters_is_refused(api, database):
    refused(api, database, "POST", "/api/v1/requests", "demo-cc-be", _with_site_query("L" * 101), 422,
            "crisis.site_query")


def test_recording_a_crisis_with_an_unknown_site_query_names_the_field(api, database):
    crisis = hijacked_aircraft(site_query="Zzyzxq")
    del crisis["site"]
    before = row_counts(database)
    response = api.post("/api/v1/crises", "demo-cc-be", json=crisis)
    assert response.status_code == 422
    assert "site_query" in response.get_json()["error"]["fields"]
    assert row_counts(database) == before
