"""How long until a unit is on site: notice to move, break-off, and the fastest transport."""

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_coord.domain.eta import (
    AIR_CODES,
    DEFAULT_ETA,
    MODES,
    EtaParams,
    estimate_eta,
    eta_minutes_many,
    format_minutes,
)

KM = 1000.0
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)


def test_nearby_helicopter_unit_beats_the_road():
    """EKO Cobra flies 80 km to the site: 19 min in the air plus 20 min overhead beats 73 min of convoy."""
    eta = estimate_eta(80 * KM, air_transport='helicopter', notice_min=30)
    assert eta.mode == 'helicopter'
    assert eta.travel_min == pytest.approx(80 / 250 * 60)
    assert eta.overhead_min == 20
    assert eta.total_min == pytest.approx(30 + 20 + 19.2)
    road = estimate_eta(80 * KM, air_transport='none', notice_min=30)
    assert road.mode == 'road'
    assert road.total_min > eta.total_min


def test_very_close_sites_are_reached_by_road_even_with_a_helicopter():
    """Five kilometres across town: the helicopter's take-off and landing cost more than driving."""
    eta = estimate_eta(5 * KM, air_transport='helicopter', notice_min=15)
    assert eta.mode == 'road'
    assert eta.route_km == pytest.approx(6.5)
    assert eta.total_min == pytest.approx(15 + 6.5 / 85 * 60)


def test_fixed_wing_wins_over_very_long_distances():
    """A unit with a C-130J 1,800 km away flies; the same unit 60 km away drives."""
    far = estimate_eta(1800 * KM, air_transport='fixed_wing', notice_min=120, now=NOW)
    assert far.mode == 'fixed_wing'
    assert far.transfer_min == 15 + 30  # to the airfield, and the final road leg
    assert far.overhead_min == 75
    assert far.travel_min == pytest.approx(1800 * 1.1 / 640 * 60)
    assert far.arrival == NOW + timedelta(minutes=far.total_min)
    near = estimate_eta(60 * KM, air_transport='fixed_wing', notice_min=120)
    assert near.mode == 'road'


def test_fixed_wing_beats_a_helicopter_beyond_one_leg():
    """At 900 km, a refuelling helicopter is slower than a transport aircraft."""
    heli = estimate_eta(900 * KM, air_transport='helicopter', notice_min=0)
    plane = estimate_eta(900 * KM, air_transport='fixed_wing', notice_min=0)
    assert heli.mode == 'helicopter'
    assert plane.total_min < heli.total_min


@pytest.mark.parametrize(
    ('km', 'legs', 'stops'),
    [(100, 1, 0), (550, 1, 0), (551, 2, 1), (1100, 2, 1), (1150, 3, 2)],
)
def test_helicopter_refuelling_stops_are_counted(km, legs, stops):
    """Every 550 km the helicopter lands for 25 minutes of fuel."""
    eta = estimate_eta(km * KM, air_transport='helicopter', notice_min=0)
    assert eta.mode == 'helicopter'
    assert (eta.legs, eta.refuel_stops) == (legs, stops)
    assert eta.overhead_min == 20 + 25 * stops
    if stops:
        word = 'stop' if stops == 1 else 'stops'
        assert f'{stops} refuelling {word}' in eta.summary()


def test_helicopters_are_not_used_beyond_their_maximum_distance():
    eta = estimate_eta(1300 * KM, air_transport='helicopter', notice_min=0)
    assert eta.mode == 'road'


def test_no_road_beyond_the_road_limit():
    """Reykjavik's unit has no aircraft: a 4,000 km drive to Nicosia is not an option."""
    assert estimate_eta(4000 * KM, air_transport='none', notice_min=20) is None
    assert estimate_eta(2400 * KM, air_transport='none', notice_min=20).mode == 'road'


def test_components_add_up_and_break_off_is_added():
    eta = estimate_eta(700 * KM, air_transport='helicopter', notice_min=180, break_off_min=60, now=NOW)
    assert eta.total_min == pytest.approx(
        eta.mobilisation_min + eta.break_off_min + eta.transfer_min + eta.overhead_min + eta.travel_min)
    assert eta.break_off_min == 60
    plain = estimate_eta(700 * KM, air_transport='helicopter', notice_min=180)
    assert eta.total_min - plain.total_min == pytest.approx(60)


def test_summary_reads_like_the_board():
    eta = estimate_eta(412 * KM, air_transport='helicopter', notice_min=30)
    assert eta.summary() == 'Helicopter: 412 km, ETA 2 h 29 min'
    road = estimate_eta(100 * KM, air_transport='none', notice_min=30)
    assert road.summary().startswith('Road: 100 km (130 km by road), ETA ')


def test_invalid_inputs():
    with pytest.raises(ValueError, match='air_transport'):
        estimate_eta(1.0, air_transport='balloon', notice_min=0)
    with pytest.raises(ValueError, match='distance_m'):
        estimate_eta(-1.0, notice_min=0)


# --------------------------------------------------------------------------- parameters


def test_config_overrides_any_parameter():
    p = EtaParams.from_mapping({'road_speed_kmh': 100, 'helicopter_range_km': 400})
    assert p.road_speed_kmh == 100.0
    assert p.helicopter_range_km == 400.0
    assert p.helicopter_speed_kmh == DEFAULT_ETA.helicopter_speed_kmh
    assert EtaParams.from_mapping(None) == DEFAULT_ETA
    assert EtaParams.from_mapping(dataclasses.asdict(p)) == p


def test_unknown_config_key_is_named():
    with pytest.raises(ValueError, match="'road_speed_kph'"):
        EtaParams.from_mapping({'road_speed_kph': 100})


@pytest.mark.parametrize(('key', 'value'), [
    ('road_speed_kmh', 0), ('road_speed_kmh', -5), ('helicopter_range_km', 0), ('road_detour_factor', 0.5),
    ('fixed_wing_overhead_min', math.nan), ('road_max_km', 'far'),
])
def test_invalid_config_value_is_named(key, value):
    with pytest.raises(ValueError, match=f"'{key}'"):
        EtaParams.from_mapping({key: value})


def test_every_parameter_is_documented_with_its_source():
    """Each figure cites docs/domain.md section 6 or says it is a modelling assumption."""
    import inspect

    from atlas_coord.domain import eta as module

    source = inspect.getsource(module.EtaParams)
    for name in dataclasses.asdict(DEFAULT_ETA):
        block = source.split(f'    {name}:')[0].rsplit('\n\n', 1)[-1]
        assert '[M' in block or '[V' in block, name


# --------------------------------------------------------------------------- vectorised = scalar

distances = st.floats(0, 5_000_000, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(distances, st.sampled_from(list(AIR_CODES)), st.floats(0, 400), st.floats(0, 120)),
                min_size=1, max_size=30))
def test_vectorised_eta_agrees_with_scalar_to_the_bit(rows):
    d = np.array([r[0] for r in rows])
    air = np.array([AIR_CODES[r[1]] for r in rows], dtype=np.int8)
    fixed = np.array([r[2] for r in rows]) + np.array([r[3] for r in rows])
    total, mode = eta_minutes_many(d, air, fixed)
    for i, (dist, air_name, notice, brk) in enumerate(rows):
        eta = estimate_eta(dist, air_transport=air_name, notice_min=notice, break_off_min=brk)
        if eta is None:
            assert math.isinf(total[i])
            assert mode[i] == -1
        else:
            assert total[i] == eta.total_min
            assert MODES[mode[i]] == eta.mode


@settings(max_examples=300, deadline=None)
@given(distances, distances, st.sampled_from(list(AIR_CODES)))
def test_eta_never_decreases_with_distance(a, b, air):
    """The ranking's dominance property needs: closer never means later."""
    near, far = sorted((a, b))
    e_near = estimate_eta(near, air_transport=air, notice_min=30)
    e_far = estimate_eta(far, air_transport=air, notice_min=30)
    t_near = math.inf if e_near is None else e_near.total_min
    t_far = math.inf if e_far is None else e_far.total_min
    assert t_near <= t_far


@pytest.mark.parametrize(('minutes', 'text'), [
    (0, '0 min'), (44.2, '45 min'), (60, '1 h'), (155, '2 h 35 min'), (61, '1 h 01 min'), (math.inf, 'never'),
])
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text
