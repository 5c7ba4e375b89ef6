"""The ranking's ETA is the transport model's route (domain/ranking/routes.py): airlift from the
directory, mobilisation counted from the alert, legs in the breakdown, and the pruning bound."""

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas_coord.domain.geo import GeoPoint, geodesic_m
from atlas_coord.domain.ranking import MatchQuery, UnitSnapshot, rank_units
from atlas_coord.domain.ranking.routes import (
    AIRCRAFT_CLASSES,
    aircraft_class,
    airlift_options,
    lower_bounds,
    unit_route,
)
from atlas_coord.domain.transport.air import AIRCRAFT, Airlift
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT

SEED = Path(__file__).resolve().parents[2] / 'atlas_coord' / 'seed' / 'airlift.json'
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
LISBON, WARSAW = (38.72, -9.14), GeoPoint(52.2297, 21.0122)


def test_every_seeded_fixed_wing_type_maps_to_a_speed_class():
    assets = json.loads(SEED.read_text())['assets']
    types = {a['aircraft_type'] for a in assets if a['kind'] == 'fixed_wing'}
    assert types and all(aircraft_class(t) in AIRCRAFT for t in types), [t for t in types if not aircraft_class(t)]
    assert set(AIRCRAFT_CLASSES.values()) <= set(AIRCRAFT)
    assert aircraft_class('Antonov An-124') is None  # never a guessed speed


def test_a_slower_and_later_aircraft_is_dropped_from_the_options():
    from atlas_coord.domain.airlift import AirliftAsset

    def asset(t, mob):
        return AirliftAsset('PT', 'fixed_wing', t, 60, mob, None, GeoPoint(38.7, -9.1))

    opts = airlift_options([asset('CASA C-295M', 240), asset('Airbus A400M Atlas', 180),
                            asset('Dassault Falcon 900EX / Cessna Citation', 300)])
    assert [(o.aircraft, o.mobilisation_min) for o in opts] == [('A400M', 180.0), ('business_jet', 300.0)]


def portugal(**kw):
    return UnitSnapshot(id=1, state='PT', name='GOE', lat=LISBON[0], lon=LISBON[1], air_transport='none',
                        notice_international_min=120, **kw)


def test_lisbon_to_warsaw_is_by_air_and_the_flight_waits_for_the_aircraft_from_the_alert():
    """A 180-min aircraft and a 120-min notice: the unit reaches the airport at about 125 min and
    waits for the aircraft, ready 180 min after the alert, not 180 min after the unit leaves."""
    q = MatchQuery(WARSAW, 'PL', (), now=NOW)
    air = {'PT': (Airlift('C-295', 180.0, 60),)}
    c = rank_units(q, [portugal()], airlift=air).candidates[0]
    assert c.eta.mode == 'fixed_wing'
    modes = [leg.mode for leg in c.eta.steps]
    assert modes[0] == 'road' and 'flight' in modes and modes[-1] == 'road'
    assert c.eta.route_summary.startswith('road ') and 'flight ' in c.eta.route_summary
    wait = sum(leg.minutes for leg in c.eta.steps if leg.mode == 'wait')
    to_airport = c.eta.steps[0].minutes
    assert math.isclose(120 + to_airport + wait, 180, abs_tol=1e-6)
    parts = c.eta.mobilisation_min + c.eta.break_off_min + c.eta.transfer_min + c.eta.overhead_min + c.eta.travel_min
    assert math.isclose(parts, c.eta.total_min, abs_tol=1e-6)
    # without airlift the same unit drives about 2,800 km: much later
    road = rank_units(q, [portugal()]).candidates[0]
    assert road.eta.mode == 'road' and road.eta.total_min > c.eta.total_min + 600


def test_no_road_leg_crosses_the_sea_to_reykjavik():
    """A unit in Copenhagen without aircraft cannot drive to Reykjavík (no car ferry is modelled):
    out of range; with its state's airlift it flies."""
    u = UnitSnapshot(id=1, state='DK', name='AKS', lat=55.68, lon=12.57, air_transport='none')
    q = MatchQuery(GeoPoint(64.15, -21.94), 'IS', (), now=NOW)
    assert rank_units(q, [u]).excluded_counts == {'out_of_range': 1}
    c = rank_units(q, [u], airlift={'DK': (Airlift('C-130J', 180.0, 90),)}).candidates[0]
    assert c.eta.mode == 'fixed_wing'


def random_case(draw):
    lat1, lon1 = draw(st.floats(36, 69)), draw(st.floats(-9, 34))
    lat2, lon2 = draw(st.floats(36, 69)), draw(st.floats(-9, 34))
    heli = draw(st.booleans())
    airlifts = draw(st.lists(st.builds(Airlift, st.sampled_from(sorted(AIRCRAFT)), st.sampled_from([0.0, 60.0, 180.0]),
                                       st.just(10)), max_size=2))
    fixed = draw(st.sampled_from([15.0, 120.0, 240.0]))
    return (lat1, lon1), GeoPoint(lat2, lon2), heli, tuple(airlifts), fixed


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.composite(random_case)())
def test_the_ranking_bound_never_exceeds_the_exact_route(case):
    base, site, heli, airlifts, fixed = case
    exact = unit_route([base], site, heli, airlifts, fixed)
    d = geodesic_m(base[0], base[1], site.lat, site.lon)
    cruise = max((a.cruise_kmh for a in airlifts), default=math.nan)
    mob = min((a.mobilisation_min for a in airlifts), default=math.nan)
    bound = lower_bounds(np.array([d]), np.array([heli]), np.array([cruise]), np.array([mob]), np.array([fixed]),
                         DEFAULT_TRANSPORT)[0]
    if exact is not None:
        assert bound <= exact.minutes


def test_the_pruned_ranking_equals_the_unpruned_one_with_airlift_and_deadlines():
    rng = np.random.default_rng(5)
    units = []
    for i in range(300):
        units.append(UnitSnapshot(
            id=i + 1, state=f'S{i % 7}', name=f'U{i:03d}', lat=float(rng.uniform(40, 60)),
            lon=float(rng.uniform(-5, 25)), air_transport=str(rng.choice(['none', 'helicopter', 'fixed_wing'])),
            notice_international_min=int(rng.choice([60, 120, 240])), tier=str(rng.choice(['T1', 'T2', 'T3'])),
            readiness=str(rng.choice(['READY', 'LIMITED', 'TRAINING']))))
    air = {f'S{k}': (Airlift(sorted(AIRCRAFT)[k % 4], float(60 * k), 20),) for k in range(0, 7, 2)}
    for site, budget in (((50.9, 4.48), 240), ((38.71, -9.14), None), ((52.23, 21.01), 420)):
        q = MatchQuery(GeoPoint(*site), 'RQ', (), now=NOW,
                       needed_by=None if budget is None else NOW + timedelta(minutes=budget))
        full = rank_units(q, units, airlift=air)
        for limit in (1, 5, 20):
            assert rank_units(q, units, airlift=air, limit=limit).candidates == full.candidates[:limit]
