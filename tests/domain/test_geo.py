"""Distances the board shows must be the true WGS84 distances, and never in (lon, lat) order."""

import math

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_coord.domain.geo import (
    HAVERSINE_LOWER,
    HAVERSINE_UPPER,
    exact_bounds_m,
    geodesic_m,
    geodesic_many_m,
    haversine_from_vectors_m,
    haversine_many_m,
    unit_vectors,
    validate_lat_lon,
)

CITIES = {
    'Paris': (48.8566, 2.3522),
    'Berlin': (52.5200, 13.4050),
    'Dublin': (53.3498, -6.2603),
    'Athens': (37.9838, 23.7275),
    'Reykjavik': (64.1466, -21.9426),
    'Nicosia': (35.1856, 33.3823),
    'Lisbon': (38.7223, -9.1393),
    'Helsinki': (60.1699, 24.9384),
    'Oslo': (59.91, 10.75),
    'Valletta': (35.8989, 14.5146),
}
PAIRS = [('Paris', 'Berlin'), ('Dublin', 'Athens'), ('Reykjavik', 'Nicosia'), ('Lisbon', 'Helsinki'),
         ('Oslo', 'Valletta')]


def reference_m(a, b):
    return Geodesic.WGS84.Inverse(a[0], a[1], b[0], b[1])['s12']


@pytest.mark.parametrize(('a', 'b'), PAIRS)
def test_city_pairs_match_geographiclib_within_a_metre(a, b):
    """The duty officer compares our Paris-Berlin figure with GeographicLib: same to the metre."""
    pa, pb = CITIES[a], CITIES[b]
    expected = reference_m(pa, pb)
    assert geodesic_m(*pa, *pb) == pytest.approx(expected, abs=1.0)
    assert geodesic_m(*pb, *pa) == pytest.approx(expected, abs=1.0)
    many = geodesic_many_m(pa[0], pa[1], [pb[0]], [pb[1]])
    assert many.shape == (1,)
    assert many[0] == pytest.approx(expected, abs=1.0)


def test_known_distances_are_plausible():
    """Paris-Berlin is about 878 km, Reykjavik-Nicosia about 4,900 km."""
    assert geodesic_m(*CITIES['Paris'], *CITIES['Berlin']) / 1000 == pytest.approx(878, abs=3)
    assert 4800 < geodesic_m(*CITIES['Reykjavik'], *CITIES['Nicosia']) / 1000 < 5000


def test_many_points_at_once_match_reference():
    names = list(CITIES)
    lats = [CITIES[n][0] for n in names]
    lons = [CITIES[n][1] for n in names]
    got = geodesic_many_m(*CITIES['Oslo'], lats, lons)
    for name, d in zip(names, got, strict=True):
        assert d == pytest.approx(reference_m(CITIES['Oslo'], CITIES[name]), abs=1.0)


def test_swapping_lat_and_lon_gives_a_very_different_answer():
    """Oslo is at lat 59.91, lon 10.75. Read as (lon, lat) it would lie in the Arabian Sea."""
    oslo, berlin = CITIES['Oslo'], CITIES['Berlin']
    right = geodesic_m(oslo[0], oslo[1], berlin[0], berlin[1])
    swapped = geodesic_m(oslo[1], oslo[0], berlin[0], berlin[1])
    assert right / 1000 == pytest.approx(reference_m(oslo, berlin) / 1000, abs=0.001)
    assert abs(swapped - right) > 3_000_000


def test_empty_and_mismatched_arrays():
    assert geodesic_many_m(0, 0, [], []).shape == (0,)
    with pytest.raises(ValueError, match='shape'):
        geodesic_many_m(0, 0, [1.0, 2.0], [1.0])


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-90, 90), st.floats(-180, 180),
    st.lists(st.tuples(st.floats(-90, 90), st.floats(-180, 180)), min_size=1, max_size=20),
)
def test_haversine_bounds_always_bracket_the_exact_distance(lat, lon, points):
    """The prefilter may only skip work: its bounds must hold anywhere on Earth."""
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    exact = geodesic_many_m(lat, lon, lats, lons)
    hv = haversine_from_vectors_m(lat, lon, unit_vectors(lats, lons))
    np.testing.assert_allclose(hv, haversine_many_m(lat, lon, lats, lons), rtol=1e-9, atol=1e-3)
    lower, upper = exact_bounds_m(hv)
    assert np.all(lower <= exact)
    assert np.all(exact <= upper)


def test_bound_factors_are_the_documented_ones():
    assert abs(HAVERSINE_LOWER - 0.99441) < 1e-5
    assert abs(HAVERSINE_UPPER - 1.00449) < 1e-5


@pytest.mark.parametrize(
    ('lat', 'lon', 'field', 'text'),
    [
        (91, 0, 'lat', 'within -90..90'),
        (-90.0001, 0, 'lat', 'within -90..90'),
        (0, 180.5, 'lon', 'within -180..180'),
        (math.nan, 0, 'lat', 'finite'),
        (0, math.inf, 'lon', 'finite'),
        ('north', 0, 'lat', 'finite'),
        (True, 0, 'lat', 'finite'),
        (0, None, 'lon', 'finite'),
    ],
)
def test_validate_lat_lon_names_the_field(lat, lon, field, text):
    with pytest.raises(ValueError, match=f"'{field}' must .*{text}"):
        validate_lat_lon(lat, lon)


def test_validate_lat_lon_accepts_edges_and_returns_floats():
    assert validate_lat_lon(90, -180) == (90.0, -180.0)
    assert validate_lat_lon('59.91', 10.75) == (59.91, 10.75)
