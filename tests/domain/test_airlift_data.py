"""The airlift seed (atlas_coord/seed/airlift.json): every state with units can fly, every row is
sourced or a stated assumption, bases are real airports, figures are plausible."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from atlas_coord.domain.airlift import AirliftAsset
from atlas_coord.domain.airports import airports_by
from atlas_coord.domain.choices import AirliftKind
from atlas_coord.domain.geo import GeoPoint, geodesic_m


def _seed(name):
    return json.loads(resources.files("atlas_coord.seed").joinpath(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def assets():
    return _seed("airlift.json")["assets"]


@pytest.fixture(scope="module")
def directory():
    return _seed("directory.json")


def test_every_state_with_units_has_airlift(assets, directory):
    with_units = {u["state"] for u in directory["units"]}
    own = {a["state"] for a in assets}
    assert with_units - own == set(), "states with units but no airlift row"
    assert own <= {s["code"] for s in directory["states"]}


def test_every_state_with_units_can_fly_fixed_wing_own_or_lent(assets, directory):
    """Beyond helicopter range a unit needs an aeroplane: its state's, or a partner's."""
    fixed = [a for a in assets if a["kind"] == "fixed_wing"]
    for state in {u["state"] for u in directory["units"]} - {"HR"}:
        assert any(a["state"] == state or state in a["partners"] for a in fixed), state


def test_croatia_has_no_fixed_wing_and_says_so(assets):
    [heli] = [a for a in assets if a["state"] == "HR"]
    assert "no transport aeroplane" in heli["source_note"]


def test_every_row_is_sourced_or_an_assumption_with_a_reason(assets):
    keys = [a["key"] for a in assets]
    assert len(keys) == len(set(keys))
    for a in assets:
        url = a["source_url"]
        assert url is None or url.startswith(("https://", "http://")), a["key"]
        assert url or a["assumption"], f"{a['key']}: neither a source nor an assumption"
        if a["assumption"]:
            assert "assumption" in (a["source_note"] or "").lower(), f"{a['key']}: assumption without a reason"
        assert a["mobilisation_assumed"] is True, "no mobilisation time is sourced yet (docs/airlift.md)"
        assert "assumption" in a["availability"].lower(), a["key"]
        if a["partners"]:
            assert a["partners_assumed"] and "assumption" in a["source_note"].lower(), a["key"]


def test_bases_are_the_airports_named(assets):
    airports = airports_by('ICAO')
    for a in assets:
        if a["base_icao"] is None:
            assert a["base_name"].strip(), a["key"]
            continue
        airport = airports[a["base_icao"]]
        assert geodesic_m(a["lat"], a["lon"], airport["lat"], airport["lon"]) < 2_000, a["key"]


def test_figures_are_plausible(assets, directory):
    states = {s["code"] for s in directory["states"]}
    for a in assets:
        assert a["kind"] in AirliftKind.codes(), a["key"]
        assert a["key"].startswith(a["state"].lower() + "-"), a["key"]
        assert 1 <= a["aircraft_count"] <= 60, a["key"]
        limit = 130 if a["kind"] == "fixed_wing" else 35
        assert 4 <= a["seats"] <= limit, a["key"]
        assert 15 <= a["mobilisation_min"] <= 480, a["key"]
        assert set(a["partners"]) <= states - {a["state"]}, a["key"]
        assert a["partners"] == sorted(a["partners"]), a["key"]


def test_a_domain_value_builds_from_every_row(assets):
    for a in assets:
        value = AirliftAsset(state=a["state"], kind=a["kind"], aircraft_type=a["aircraft_type"], seats=a["seats"],
                             mobilisation_min=a["mobilisation_min"], base_icao=a["base_icao"],
                             base=GeoPoint(a["lat"], a["lon"]), count=a["aircraft_count"],
                             partners=tuple(a["partners"]))
        assert value.may_carry(a["state"])
        assert (value.lat, value.lon) == (a["lat"], a["lon"])


def test_the_domain_value_refuses_nonsense():
    point = GeoPoint(50.0, 4.0)
    with pytest.raises(ValueError, match="seats"):
        AirliftAsset("BE", "fixed_wing", "A400M", 0, 180, "EBMB", point)
    with pytest.raises(ValueError, match="mobilisation_min"):
        AirliftAsset("BE", "fixed_wing", "A400M", 116, -1, "EBMB", point)
    with pytest.raises(ValueError):
        AirliftAsset("BE", "boat", "A400M", 116, 180, "EBMB", point)
    lent = AirliftAsset("BE", "fixed_wing", "A400M", 116, 180, "EBMB", point, partners=("LU",))
    assert lent.may_carry("LU") and not lent.may_carry("FR")
