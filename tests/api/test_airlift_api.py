"""A state's airlift over the API, and the loader the ranking reads (seeded directory)."""

from __future__ import annotations

from atlas_coord.domain.airlift import AirliftAsset
from atlas_coord.domain.choices import AirliftKind
from atlas_coord.services.airlift import airlift_for_states


def test_a_state_lists_its_own_aircraft_and_those_partners_lend_it(api):
    response = api.get("/api/v1/states/lu/airlift", "demo-cc-fr")
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "LU"
    own = {a["key"]: a for a in body["own"]}
    assert set(own) == {"lu-a400m", "lu-h145m"}
    assert own["lu-a400m"]["base_icao"] == "EBMB"
    assert own["lu-a400m"]["base"] == {"lat": 50.90139, "lon": 4.48444}  # Melsbroek, on Zaventem's runways
    assert own["lu-a400m"]["source_url"].startswith("https://")
    lent = {a["key"] for a in body["partners"]}
    assert {"be-a400m", "de-a400m", "fr-a400m"} <= lent  # the EATC members
    assert all(a["partners_assumed"] for a in body["partners"])


def test_an_island_state_without_aeroplanes_is_lent_nordic_ones(api):
    body = api.get("/api/v1/states/IS/airlift", "demo-observer").get_json()
    assert [a["kind"] for a in body["own"]] == ["helicopter"]
    assert {a["state"] for a in body["partners"] if a["kind"] == "fixed_wing"} >= {"DK", "NO", "SE"}


def test_an_unknown_state_is_a_404_naming_the_code(api):
    response = api.get("/api/v1/states/XX/airlift", "demo-observer")
    assert response.status_code == 404
    assert "code" in response.get_data(as_text=True)


def test_the_loader_gives_every_state_its_own_assets_first_then_lent_ones(session):
    airlift = airlift_for_states(session)
    assert len(airlift) == 31
    for state, assets in airlift.items():
        assert assets, f"{state} has no airlift"
        assert all(isinstance(a, AirliftAsset) and a.may_carry(state) for a in assets)
        owners = [a.state == state for a in assets]
        assert owners == sorted(owners, reverse=True), f"{state}: own assets are not first"
    c17 = next(a for a in airlift["EE"] if a.aircraft_type.startswith("Boeing C-17"))
    assert (c17.state, c17.base_icao, c17.kind, c17.seats) == ("HU", "LHPA", AirliftKind.FIXED_WING, 102)
    assert any(a.kind == AirliftKind.FIXED_WING for a in airlift["EE"]), "Estonia flies only on a partner's aeroplane"
