"""The coverage map over the API: who waits longest for a capable unit, and what a change does."""

from __future__ import annotations

import numpy as np
import pytest

from atlas_coord.serializers.coverage import CellFeature
from atlas_coord.services.coverage import live
from tests.conftest import app_settings
from tests.factories import request_payload, training_payload, unit_id


def _minutes(body):
    return body["cells"]["minutes"]


def test_a_planner_reads_the_map_as_geojson_with_summaries(api):
    body = api.get("/api/v1/coverage?capability=ENV_MARITIME&threshold=240", "demo-planner").get_json()
    assert body["type"] == "FeatureCollection"
    feature = body["features"][0]
    for f in body["features"]:
        CellFeature.model_validate(f)  # the fast path's dicts are the documented model
    assert feature["geometry"]["type"] == "Polygon" and len(feature["geometry"]["coordinates"][0]) == 5
    assert {"state", "sea", "minutes", "beyond"} <= set(feature["properties"])
    assert body["capability"] == "ENV_MARITIME" and body["threshold_min"] == 240
    kinds = {s["kind"] for s in body["summaries"]}
    assert kinds == {"state", "region"}
    for s in body["summaries"]:
        assert 0 <= s["area_beyond"] <= 1 and 0 <= s["population_beyond"] <= 1


def test_the_grid_form_is_parallel_arrays(api):
    body = api.get("/api/v1/coverage?format=grid", "demo-observer").get_json()
    cells = body["cells"]
    assert body["type"] == "CoverageGrid" and body["capability"] == "ANY_TIER1"
    assert len({len(v) for v in cells.values()}) == 1
    reached = [m for m in cells["minutes"] if m is not None]
    assert reached and min(reached) >= 0


@pytest.mark.parametrize(("query", "field"), [
    ("capability=TELEPATHY", "capability"),
    ("threshold=0", "threshold"),
    ("threshold=5000", "threshold"),
    ("format=png", "format"),
])
def test_bad_map_queries_name_the_field(api, query, field):
    response = api.get(f"/api/v1/coverage?{query}", "demo-planner")
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("body", "field"), [
    ({"capability": "TELEPATHY"}, "capability"),
    ({"threshold": -1}, "threshold"),
    ({"unavailable_unit_ids": [99999]}, "unavailable_unit_ids.0"),
    ({"withheld_states": ["XX"]}, "withheld_states.0"),
    ({"training_id": 99999}, "training_id"),
])
def test_bad_what_ifs_name_the_field(api, body, field):
    response = api.post("/api/v1/coverage/what-if", "demo-planner", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_france_withholding_its_units_never_shortens_a_wait_and_lengthens_some(api):
    body = api.post("/api/v1/coverage/what-if", "demo-planner",
                    json={"withheld_states": ["FR"], "capability": "ANY_TIER1", "threshold": 180}).get_json()
    now, after = body["minutes_now"], _minutes(body)
    inf = float("inf")
    assert all((a if a is not None else inf) >= (b if b is not None else inf) for a, b in zip(after, now, strict=True))
    assert body["changed"] > 0
    assert body["sentence"]


def test_a_request_s_deployments_are_a_what_if_only_for_those_who_may_see_it(api):
    created = api.post("/api/v1/requests", "demo-cc-be", json=request_payload(addressees=["NL", "AT"]))
    request_id = created.get_json()["id"]
    assert api.post("/api/v1/coverage/what-if", "demo-cc-be", json={"request_id": request_id}).status_code == 200
    hidden = api.post("/api/v1/coverage/what-if", "demo-cc-fr", json={"request_id": request_id})
    assert hidden.status_code == 404


def test_a_readiness_change_carries_the_coverage_maps_diff(api, database):
    api.get("/api/v1/coverage?format=grid", "demo-planner")  # this worker's model is warm now
    with database.transaction() as s:
        gign = unit_id(s, "fr-gign")
    changed = api.put(f"/api/v1/units/{gign}/readiness", "demo-cmd-fr",
                      json={"status": "UNAVAILABLE", "reason": "vehicles in maintenance"})
    assert changed.status_code == 200, changed.get_json()
    events = api.get("/api/v1/events?limit=1000", "demo-planner").get_json()["items"]
    (event,) = [e for e in events if e["type"] == "readiness.changed" and e["data"]["unit_id"] == gign]
    data = event["data"]["coverage"]
    assert data["available"] is False
    assert "ANY_TIER1" in data["capabilities"]
    assert data["cells"] is not None  # the diff: [cell, minutes] per capability
    after = api.get("/api/v1/coverage?format=grid", "demo-planner").get_json()
    for cell, minutes in data["cells"].get("ANY_TIER1") or []:
        assert _minutes(after)[cell] == minutes


def test_the_model_heals_after_a_rolled_back_change(api, database):
    """The cache syncs readiness from the database at every read."""
    before = _minutes(api.get("/api/v1/coverage?format=grid", "demo-planner").get_json())
    model = next(iter(live._models.values()))
    model.set_available(model.ids[0], False)  # as if a change had been rolled back after the event
    again = _minutes(api.get("/api/v1/coverage?format=grid", "demo-planner").get_json())
    assert again == before


def test_an_exercise_s_what_if_is_said_in_words(api, database):
    """From a training plan: what holding the northern tier-1 units for a day does to the map."""
    with database.transaction() as s:
        ids = {k: unit_id(s, k) for k in ("se-ni", "de-gsg9", "pl-boa", "no-delta")}
    body = training_payload(host_unit_id=ids["se-ni"], invite_unit_ids=[ids["de-gsg9"], ids["pl-boa"], ids["no-delta"]],
                            override_reason="a what-if for the test")
    created = api.post("/api/v1/trainings", "demo-planner", json=body)
    assert created.status_code == 201, created.get_json()
    said = api.post("/api/v1/coverage/what-if", "demo-planner",
                    json={"training_id": created.get_json()["id"], "threshold": 240}).get_json()
    assert said["days"] == 1
    assert said["sentence"].startswith("For 1 day ")
    assert said["sentence"].endswith("tier-1 unit within 4 h")
    for region in said["lost_regions"]:
        assert region in said["sentence"]


def test_a_second_worker_reads_the_matrix_the_first_one_kept(database, db_url, tmp_path, monkeypatch):
    """With ``[coverage] cache_dir`` the transport model runs once per directory, not once per worker."""
    settings = app_settings(db_url, coverage={"cache_dir": str(tmp_path)})
    monkeypatch.setattr(live, "_models", {})
    with database.transaction() as s:
        first = live.model_for(live.load_inputs(s, settings))
    assert len(list(tmp_path.glob("coverage-*.npy"))) == 1

    def never(*_args):
        raise AssertionError("the matrix was recomputed")

    monkeypatch.setattr(live, "_models", {})  # a new worker
    monkeypatch.setattr(live, "unit_cell_minutes", never)
    with database.transaction() as s:
        second = live.model_for(live.load_inputs(s, settings))
    assert np.array_equal(first.minutes, second.minutes)
