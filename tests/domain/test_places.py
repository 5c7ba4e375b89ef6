"""A crisis site typed as coordinates, an airport code or a place name (issue #13, item 5)."""

from __future__ import annotations

import pytest

from atlas_coord.domain.geo import geodesic_m
from atlas_coord.domain.places import MAX_QUERY, atlas_states, resolve_site

# Brussels Airport's aerodrome reference point, 50°54′05″N 4°29′04″E.
EBBR_ARP = (50.90139, 4.48444)


def _only(text: str):
    resolution = resolve_site(text)
    assert resolution.status == 'resolved', resolution
    assert len(resolution.places) == 1
    return resolution.place


@pytest.mark.parametrize('text', ['50.9010, 4.4844', '50.9010 N 4.4844 E', '50.9010;4.4844', ' 50.9010   4.4844 '])
def test_decimal_and_dms_give_the_same_point_within_a_metre(text):
    dms = _only('50°54′03.6″N 4°29′03.84″E')
    decimal = _only(text)
    assert decimal.kind == dms.kind == 'coordinates'
    assert geodesic_m(dms.point.lat, dms.point.lon, decimal.point.lat, decimal.point.lon) < 1.0
    assert decimal.name == '50.90100, 4.48440'


def test_southern_and_western_hemispheres_are_negative():
    place = _only("38°43′N 9°08′W")
    assert place.point.lat == pytest.approx(38 + 43 / 60)
    assert place.point.lon == pytest.approx(-(9 + 8 / 60))
    assert _only('33.9 S, 151.2 E').point.lat == pytest.approx(-33.9)


@pytest.mark.parametrize(('text', 'said'), [
    ('95, 10', 'latitude 95 is outside -90..90'),
    ('-91.5 4', 'latitude -91.5 is outside'),
    ('10, 200', 'longitude 200 is outside -180..180'),
    ('50°61′N 4°E', 'minutes 61 of the latitude must be below 60'),
    ('4.48 E, 50.9 N', 'give the latitude (N/S) first'),
])
def test_out_of_range_coordinates_are_refused_with_the_reason(text, said):
    resolution = resolve_site(text)
    assert resolution.status == 'unknown'
    assert resolution.places == ()
    assert said in resolution.message


@pytest.mark.parametrize('text', ['50 54 03.6 N, 4 29 03.84 E', '1e3, 5', '1, 2, 3', '12'])
def test_text_geopy_would_misread_is_refused_not_guessed(text):
    # geopy reads the first as (29, 3.84) and the second as (3, 5).
    resolution = resolve_site(text)
    assert resolution.status == 'unknown'
    assert 'is not coordinates that can be read' in resolution.message


@pytest.mark.parametrize('code', ['EBBR', 'BRU', 'ebbr'])
def test_icao_and_iata_codes_give_brussels_airport_at_its_reference_point(code):
    place = _only(code)
    assert (place.name, place.kind, place.country) == ('Brussels Airport', 'airport', 'BE')
    # airportsdata's own EBBR position is 45 km off (see AIRPORT_CORRECTIONS).
    assert geodesic_m(place.point.lat, place.point.lon, *EBBR_ARP) < 100


def test_another_airport_comes_from_the_package():
    place = _only('LPPT')
    assert place.name == 'Lisbon Portela Airport'
    assert geodesic_m(place.point.lat, place.point.lon, 38.7813, -9.1359) < 500


@pytest.mark.parametrize('text', ['lisbon', 'Lisboa', 'LISBOA', 'Lisbon '])
def test_a_place_name_in_any_case_or_language_gives_lisbon(text):
    place = _only(text)
    assert (place.name, place.kind, place.country) == ('Lisbon', 'place', 'PT')
    assert geodesic_m(place.point.lat, place.point.lon, 38.7223, -9.1393) < 3_000


@pytest.mark.parametrize(('text', 'name'), [('Malmo', 'Malmö'), ('reykjavik', 'Reykjavík'), ('København', 'Copenhagen')])
def test_accents_do_not_matter(text, name):
    assert _only(text).name == name


def test_a_city_name_is_read_as_a_place_before_an_airport_code():
    assert _only('Bonn').kind == 'place'


def test_frankfurt_is_ambiguous_and_offers_both_most_populous_first():
    resolution = resolve_site('Frankfurt')
    assert resolution.status == 'ambiguous'
    assert resolution.place is None
    names = [place.name for place in resolution.places]
    assert names[:2] == ['Frankfurt am Main', 'Frankfurt (Oder)']
    assert 'Frankfurt (Oder)' in resolution.message


def test_valencia_offers_the_spanish_city_and_valence():
    resolution = resolve_site('Valencia')
    assert resolution.status == 'ambiguous'
    assert [(p.name, p.country) for p in resolution.places] == [('Valencia', 'ES'), ('Valence', 'FR')]


def test_a_misspelt_name_is_unknown_with_the_right_one_among_the_closest():
    resolution = resolve_site('Brusels')
    assert resolution.status == 'unknown'
    assert resolution.places == ()
    assert 'Brussels' in resolution.closest
    assert 'Brussels' in resolution.message


def test_an_unknown_code_offers_codes():
    resolution = resolve_site('EBBQ')
    assert resolution.status == 'unknown'
    assert 'EBBR' in resolution.closest


def test_places_outside_the_atlas_states_are_not_offered():
    assert resolve_site('Montreal').status == 'unknown'
    assert {'NO', 'IS', 'CH', 'GB', 'DE', 'PT'} <= atlas_states()


@pytest.mark.parametrize('text', ['', '   ', 'x' * (MAX_QUERY + 1)])
def test_empty_or_too_long_text_is_unknown(text):
    assert resolve_site(text).status == 'unknown'
