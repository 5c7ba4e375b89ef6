"""Consistency checks for the illustrative ATLAS directory seed (atlas_coord/seed/directory.json)."""
import json
import re
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

TAXONOMY = {
    "environment": {"ENV_AIRCRAFT", "ENV_BUS", "ENV_TRAIN", "ENV_MARITIME", "ENV_BUILDING", "ENV_RURAL"},
    "specialist": {
        "NEG", "SNIPER_OBS", "ACCESS_ROPE", "AIR_INSERT", "BREACH_MECH", "BREACH_EXPL",
        "EOD", "DIVE", "CBRN", "K9", "TACMED",
    },
    "support": {"C2", "RECON_SURV", "UAS", "UGV", "ARMOUR"},
}
ALL_CODES = set().union(*TAXONOMY.values())

# Rows marked [?] in section 3 of the domain brief -> unit keys in the seed.
FLAGGED_UNSURE = {
    "cy-eao",            # CY EAO, local name unsure
    "de-gsg9-berlin",    # DE GSG 9, Berlin location
    "de-sek-bw",         # DE SEK BW, base Göppingen
    "mt-siu",            # MT SIU
    "nl-dsi",            # NL DSI, base Doorn/Driebergen
    "pt-gnr-gioe",       # PT GIOE, base Lisbon
    "ch-swiss-siu",      # CH, fedpol / cantonal units
    "gb-psni-tactical",  # GB PSNI tactical unit
}

EXPECTED_STATES = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "NO", "IS", "CH", "GB",
}
ASSOCIATED = {"NO", "IS", "CH"}
PARTNER = {"GB"}


@pytest.fixture(scope="module")
def seed():
    text = resources.files("atlas_coord.seed").joinpath("directory.json").read_text(encoding="utf-8")
    return json.loads(text)


@pytest.fixture(scope="module")
def units(seed):
    return seed["units"]


@pytest.fixture(scope="module")
def states(seed):
    return {s["code"]: s for s in seed["states"]}


def test_top_level_shape_and_notice(seed):
    assert set(seed) == {"notice", "capabilities", "states", "authorities", "units"}
    notice = seed["notice"].lower()
    assert "illustrative" in notice
    assert "not an official" in notice


def test_capability_taxonomy_exact(seed):
    caps = seed["capabilities"]
    codes = [c["code"] for c in caps]
    assert len(codes) == len(set(codes))
    assert set(codes) == ALL_CODES
    for c in caps:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", c["code"])
        assert c["code"] in TAXONOMY[c["family"]]
        assert c["name"].strip()
        assert len(c["description"].strip()) > 20


def test_counts(units, states):
    assert len(units) >= 38
    assert len(states) >= 29
    assert len({u["state"] for u in units}) >= 29


def test_states(seed, states, units):
    assert len(states) == len(seed["states"]), "duplicate state codes"
    assert set(states) == EXPECTED_STATES
    assert {u["state"] for u in units} == set(states), "every state has a unit and vice versa"
    for code, s in states.items():
        assert re.fullmatch(r"[A-Z]{2}", code)
        expected = "associated" if code in ASSOCIATED else "partner" if code in PARTNER else "eu"
        assert s["membership"] == expected, code
        crit = s["critical_capabilities"]
        assert 2 <= len(crit) <= 4, code
        assert len(set(crit)) == len(crit)
        assert set(crit) <= ALL_CODES, code
    assert sum(1 for s in states.values() if s["membership"] == "eu") == 27


def test_timezones_resolve(states):
    for s in states.values():
        ZoneInfo(s["timezone"])  # raises if unknown
    assert states["IE"]["timezone"] == "Europe/Dublin"
    assert states["IS"]["timezone"] == "Atlantic/Reykjavik"
    assert states["CY"]["timezone"] == "Asia/Nicosia"
    assert states["PT"]["timezone"] == "Europe/Lisbon"
    assert states["GB"]["timezone"] == "Europe/London"


def test_authorities(seed, states):
    auths = seed["authorities"]
    for a in auths:
        assert a["state"] in states
        assert a["name"].strip()
        assert a["kind"] in {"ministry", "police_hq", "crisis_centre"}
        assert isinstance(a["may_request"], bool) and isinstance(a["may_answer"], bool)
        assert a["may_request"] or a["may_answer"]
        channel = a["contact_channel"]
        assert "(illustrative)" in channel
        assert sum(ch.isdigit() for ch in channel) <= 3, f"looks like a phone number: {channel}"
        assert "@" not in channel, f"looks like an e-mail address: {channel}"
    for code in states:
        own = [a for a in auths if a["state"] == code]
        assert any(a["may_request"] for a in own), f"{code}: no requesting authority"
        assert any(a["may_answer"] for a in own), f"{code}: no answering authority"


def test_unit_keys_unique_and_slugs(units):
    keys = [u["key"] for u in units]
    assert len(keys) == len(set(keys))
    for k in keys:
        assert re.fullmatch(r"[a-z]{2}(-[a-z0-9]+)+", k), k


def test_units_reference_known_states(units, states):
    for u in units:
        assert u["state"] in states, u["key"]
        assert u["key"].startswith(u["state"].lower() + "-")


def _check_coord(lat, lon, where):
    assert isinstance(lat, (int, float)) and isinstance(lon, (int, float)), where
    assert -90 <= lat <= 90 and -180 <= lon <= 180, where
    # Europe-ish bounding box (Cyprus to Iceland, Lisbon to the Black Sea)
    assert 34.0 <= lat <= 72.0, where
    assert -25.0 <= lon <= 35.0, where
    assert round(lat, 2) == lat and round(lon, 2) == lon, f"{where}: use 2 decimals"


def test_coordinates(units):
    for u in units:
        _check_coord(u["lat"], u["lon"], u["key"])
        for st in u["stations"]:
            assert st["name"].strip()
            _check_coord(st["lat"], st["lon"], f"{u['key']}/{st['name']}")


def test_french_units_have_regional_stations(units):
    by_key = {u["key"]: u for u in units}
    assert len(by_key["fr-gign"]["stations"]) >= 3
    assert len(by_key["fr-raid"]["stations"]) >= 3
    # the table's GSG 9 Berlin row stays a unit of its own
    assert "de-gsg9-berlin" in by_key


def test_unit_attributes(units):
    for u in units:
        k = u["key"]
        for field in ("local_name", "name", "english_name", "parent_agency", "base_city"):
            assert isinstance(u[field], str) and u[field].strip(), (k, field)
        assert u["tier"] in {"T1", "T2", "T3"}, k
        assert isinstance(u["personnel"], int) and 15 <= u["personnel"] <= 2000, k
        assert u["air_transport"] in {"helicopter", "fixed_wing", "none"}, k
        assert "en" in u["languages"], k
        assert all(re.fullmatch(r"[a-z]{2}", lang) for lang in u["languages"]), k
        assert isinstance(u["notice_domestic_min"], int) and 0 < u["notice_domestic_min"] <= 120, k
        assert isinstance(u["notice_international_min"], int), k
        assert 120 <= u["notice_international_min"] <= 360, k
        assert u["notice_domestic_min"] < u["notice_international_min"], k


def test_unit_capabilities(units):
    for u in units:
        k = u["key"]
        caps = u["capabilities"]
        codes = [c["code"] for c in caps]
        assert len(codes) == len(set(codes)), f"{k}: duplicate capability"
        assert set(codes) <= ALL_CODES, f"{k}: unknown codes {set(codes) - ALL_CODES}"
        assert "ENV_BUILDING" in codes, k
        assert len(codes) >= 5, k
        for c in caps:
            assert c["level"] in {"full", "limited"}, (k, c)
            q = c.get("quantity")
            assert q is None or (isinstance(q, int) and not isinstance(q, bool) and q > 0), (k, c)
        neg = next((c for c in caps if c["code"] == "NEG"), None)
        if neg is not None:
            assert neg["quantity"] is not None and 2 <= neg["quantity"] <= 8, k
        sniper = next((c for c in caps if c["code"] == "SNIPER_OBS"), None)
        if sniper is not None:
            assert sniper["quantity"], k


def test_capabilities_vary_between_units(units):
    profiles = {frozenset((c["code"], c["level"]) for c in u["capabilities"]) for u in units}
    assert len(profiles) >= len(units) * 0.8
    sizes = [len(u["capabilities"]) for u in units]
    assert max(sizes) - min(sizes) >= 8


def test_flagged_rows_carry_source_note(units):
    by_key = {u["key"]: u for u in units}
    assert set(by_key) >= FLAGGED_UNSURE
    for k in FLAGGED_UNSURE:
        note = by_key[k]["source_note"]
        assert isinstance(note, str) and note.strip(), k
    for u in units:
        assert u["source_note"] is None or (isinstance(u["source_note"], str) and u["source_note"].strip())


def test_support_office_is_not_a_unit(units):
    for u in units:
        assert "support office" not in u["name"].lower()
        assert "support office" not in u["english_name"].lower()


# A station this close to another unit's base or station of the same state is the same place:
# the detachment would be ranked twice (issue #13: GSG 9's "Berlin location").
DUPLICATE_STATION_KM = 5.0


def _places(units):
    for u in units:
        yield u["key"], u["state"], "base", u["lat"], u["lon"]
        for st in u["stations"]:
            yield u["key"], u["state"], st["name"], st["lat"], st["lon"]


def test_no_station_duplicates_another_units_place(units):
    from atlas_coord.domain.geo import geodesic_m

    places = list(_places(units))
    duplicates = [
        (key, name, other_key, other_name, round(geodesic_m(lat, lon, olat, olon) / 1000, 1))
        for key, state, name, lat, lon in places if name != "base"
        for other_key, other_state, other_name, olat, olon in places
        if other_state == state and other_key != key
        and geodesic_m(lat, lon, olat, olon) <= DUPLICATE_STATION_KM * 1000
    ]
    assert duplicates == [], f"stations within {DUPLICATE_STATION_KM} km of another unit's place: {duplicates}"


def test_the_duplicate_check_finds_the_gsg9_berlin_case(units):
    """The check above fails on the case issue #13 reported (a test that cannot fail is a defect)."""
    from atlas_coord.domain.geo import geodesic_m

    berlin = next(u for u in units if u["key"] == "de-gsg9-berlin")
    assert geodesic_m(52.52, 13.4, berlin["lat"], berlin["lon"]) <= DUPLICATE_STATION_KM * 1000
    gsg9 = next(u for u in units if u["key"] == "de-gsg9")
    assert "GSG 9 Berlin location" not in {st["name"] for st in gsg9["stations"]}


def test_air_transport_is_reviewed_in_the_source_note(units):
    for u in units:
        assert "Air transport:" in (u["source_note"] or ""), u["key"]
