"""The ETA's shared figures and words: helicopter legs, the breakdown's summary, minutes as read.

The ETA itself (notice + the transport model's route) is tested with the transport model
(test_transport*.py) and the ranking (test_ranking*.py).
"""

import dataclasses
import math
from datetime import UTC, datetime

import pytest

from atlas_coord.domain.eta import DEFAULT_ETA, EtaBreakdown, EtaParams, format_minutes, helicopter_times

NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)


def test_a_helicopter_flies_at_block_speed_after_its_take_off_and_landing_overhead():
    """EKO Cobra flies 80 km to the site: 19 min in the air plus 20 min overhead."""
    transfer, overhead, travel, legs = helicopter_times(80.0)
    assert (transfer, overhead, legs) == (0.0, 20.0, 1)
    assert travel == pytest.approx(80 / 250 * 60)


@pytest.mark.parametrize(
    ('km', 'legs', 'stops'),
    [(100, 1, 0), (550, 1, 0), (551, 2, 1), (1100, 2, 1), (1150, 3, 2)],
)
def test_helicopter_refuelling_stops_are_counted(km, legs, stops):
    """Every 550 km the helicopter lands for 25 minutes of fuel."""
    _transfer, overhead, _travel, got = helicopter_times(float(km))
    assert got == legs
    assert overhead == 20 + 25 * stops


def _breakdown(**overrides) -> EtaBreakdown:
    values = dict(mode='helicopter', distance_km=412.0, route_km=412.0, mobilisation_min=30.0, break_off_min=0.0,
                  transfer_min=0.0, overhead_min=20.0, travel_min=98.9, legs=1, refuel_stops=0, total_min=148.9)
    return EtaBreakdown(**{**values, **overrides})


def test_summary_reads_like_the_board():
    assert _breakdown().summary() == 'Helicopter: 412 km, ETA 2 h 29 min'
    flown = _breakdown(mode='fixed_wing', distance_km=1270.0, total_min=310.0,
                       route_summary='road 45 min to EBBR, flight 1 h 50, road 25 min')
    assert flown.summary() == 'Fixed wing: 1,270 km, road 45 min to EBBR, flight 1 h 50, road 25 min, ETA 5 h 10 min'


# --------------------------------------------------------------------------- parameters


def test_config_overrides_any_parameter():
    p = EtaParams.from_mapping({'helicopter_speed_kmh': 270, 'helicopter_range_km': 400})
    assert p.helicopter_speed_kmh == 270.0
    assert p.helicopter_range_km == 400.0
    assert p.fixed_wing_overhead_min == DEFAULT_ETA.fixed_wing_overhead_min
    assert EtaParams.from_mapping(None) == DEFAULT_ETA
    assert EtaParams.from_mapping(dataclasses.asdict(p)) == p


def test_unknown_config_key_is_named():
    """The straight-line model's road figures are gone from [eta]: the road is [transport]'s."""
    with pytest.raises(ValueError, match="'road_speed_kmh'"):
        EtaParams.from_mapping({'road_speed_kmh': 100})


@pytest.mark.parametrize(('key', 'value'), [
    ('helicopter_speed_kmh', 0), ('helicopter_speed_kmh', -5), ('helicopter_range_km', 0),
    ('fixed_wing_routing_factor', 0.5), ('fixed_wing_overhead_min', math.nan), ('helicopter_max_km', 'far'),
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


@pytest.mark.parametrize(('minutes', 'text'), [
    (0, '0 min'), (44.2, '45 min'), (60, '1 h'), (155, '2 h 35 min'), (61, '1 h 01 min'), (math.inf, 'never'),
])
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text
