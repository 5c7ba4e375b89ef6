"""The transport model (issue #13 item 1): roads only over land and links, airlift, boats to ships.

Pure domain tests: no app, no network. Places are real European cities and terminals.
"""

from __future__ import annotations

import math
import re

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from atlas_coord.domain.eta import DEFAULT_ETA, helicopter_times
from atlas_coord.domain.geo import GeoPoint, geodesic_m
from atlas_coord.domain.transport.air import AIRCRAFT, Airlift, airports, flight_minutes
from atlas_coord.domain.transport.land import WATER_GAP_KM, land, landmass_name, landmass_of
from atlas_coord.domain.transport.links import LINKS
from atlas_coord.domain.transport.params import DEFAULT_TRANSPORT, TransportParams
from atlas_coord.domain.transport.plan import (
    TransportOptions,
    best_route,
    helicopter_lower_minutes,
    lower_bound_minutes,
    surface_lower_minutes,
)
from atlas_coord.domain.transport.road import road_minutes, road_network
from atlas_coord.domain.transport.route import Leg, Place, Route, great_circle_km, short_minutes
from atlas_coord.domain.transport.sea import PORTS

CITIES = {
    'Reykjavík': GeoPoint(64.147, -21.94),
    'Belfast': GeoPoint(54.597, -5.93),
    'Dublin': GeoPoint(53.35, -6.26),
    'Stockholm': GeoPoint(59.33, 18.07),
    'Copenhagen': GeoPoint(55.676, 12.568),
    'Malmö': GeoPoint(55.605, 13.0),
    'Paris': GeoPoint(48.857, 2.352),
    'London': GeoPoint(51.507, -0.128),
    'Warsaw': GeoPoint(52.23, 21.01),
    'Vilnius': GeoPoint(54.687, 25.28),
    'Helsinki': GeoPoint(60.17, 24.94),
    'Tallinn': GeoPoint(59.437, 24.754),
    'Lisbon': GeoPoint(38.72, -9.14),
    'Madrid': GeoPoint(40.417, -3.704),
    'Rome': GeoPoint(41.9, 12.5),
    'Athens': GeoPoint(37.98, 23.73),
    'Heraklion': GeoPoint(35.34, 25.13),
    'Valletta': GeoPoint(35.899, 14.514),
    'Nicosia': GeoPoint(35.17, 33.36),
    'Oslo': GeoPoint(59.91, 10.75),
    'Tromsø': GeoPoint(69.65, 18.96),
    'Vienna': GeoPoint(48.21, 16.37),
    'Bari': GeoPoint(41.12, 16.87),
    'Brussels': GeoPoint(50.85, 4.35),
    'Kuressaare': GeoPoint(58.25, 22.48),
    'Palermo': GeoPoint(38.12, 13.36),
    'Berlin': GeoPoint(52.52, 13.4),
}
ROAD_ONLY = TransportOptions()
C130 = Airlift('C-130J', mobilisation_min=120, seats=60)
WITH_AIRLIFT = TransportOptions(airlift=C130)
#: 50 km west of Gotland's coast, in the open Baltic.
OFF_GOTLAND = GeoPoint(57.45, 17.25)


def route(a: str, b: str, options: TransportOptions = ROAD_ONLY) -> Route | None:
    return best_route(CITIES[a], CITIES[b], options, origin_name=a, site_name=b)


def longest_water_km(a: GeoPoint, b: GeoPoint, landmass: int) -> float:
    """Longest piece of the straight segment a-b off its landmass's polygon, km (shapely, not the raster)."""
    line = LineString([(a.lon, a.lat), (b.lon, b.lat)])
    off = line.difference(land().polygons[landmass])
    pieces = getattr(off, 'geoms', [off])
    longest = 0.0
    for piece in pieces:
        if piece.is_empty:
            continue
        (x0, y0), (x1, y1) = piece.coords[0], piece.coords[-1]
        longest = max(longest, great_circle_km(GeoPoint(y0, x0), GeoPoint(y1, x1)))
    return longest


def assert_no_road_over_sea(a: str, b: str) -> list:
    """Every road piece of the road route a → b stays on one landmass, over water only where a bridge,
    tunnel or the coastline's generalisation allows (the raster's cell size as tolerance)."""
    net = road_network()
    pieces = net.segments(Place(a, CITIES[a]), Place(b, CITIES[b]))
    for start, end, link in pieces:
        if link is not None:
            continue
        la, lb = landmass_of(start.point), landmass_of(end.point)
        assert la == lb is not None, f'road piece {start.name} → {end.name} joins two landmasses'
        assert longest_water_km(start.point, end.point, la) <= WATER_GAP_KM + 5.0, (
            f'road piece {start.name} → {end.name} crosses open sea'
        )
    return pieces


# --------------------------------------------------------------------------- land


def test_cities_stand_on_their_landmasses():
    assert landmass_name(landmass_of(CITIES['Copenhagen'])) == 'Zealand'
    assert landmass_name(landmass_of(CITIES['Malmö'])) == 'Eurasia'
    assert landmass_name(landmass_of(CITIES['London'])) == 'Great Britain'
    assert landmass_of(CITIES['Belfast']) == landmass_of(CITIES['Dublin'])
    assert landmass_name(landmass_of(CITIES['Reykjavík'])) == 'Iceland'
    assert landmass_name(landmass_of(CITIES['Valletta'])) == 'Malta'


def test_a_harbour_snaps_to_its_coast_and_a_ship_far_out_is_at_sea():
    # Helsinki South Harbour, on the water a few hundred metres from the quay
    assert landmass_name(landmass_of(GeoPoint(60.160, 24.962))) == 'Eurasia'
    assert landmass_of(OFF_GOTLAND) is None
    assert landmass_of(GeoPoint(55.0, 3.0)) is None  # the middle of the North Sea


def test_every_link_terminal_and_port_is_on_land_and_every_figure_has_a_source():
    for link in LINKS:
        for t in (link.a, link.b):
            assert landmass_of(GeoPoint(t.lat, t.lon)) is not None, f'{link.name}: {t.name} is at sea'
        assert link.source and link.minutes > 0 and link.kind in ('bridge', 'shuttle', 'ferry')
    for name, lat, lon in PORTS:
        assert landmass_of(GeoPoint(lat, lon)) is not None, f'port {name} is at sea'
    for aircraft in AIRCRAFT.values():
        assert aircraft.source


def test_islands_without_a_car_ferry_have_no_road():
    assert route('Reykjavík', 'Belfast') is None
    assert route('Athens', 'Nicosia') is None


# --------------------------------------------------------------------------- road


def test_a_convoy_drives_300_road_km_in_3_hours():
    assert road_minutes(300 / 1.2) == pytest.approx(180.0)


def test_warsaw_to_vilnius_is_a_single_road_leg():
    r = route('Warsaw', 'Vilnius')
    assert r.modes == ('road',)
    assert 4 * 60 < r.total_minutes < 6 * 60
    assert_no_road_over_sea('Warsaw', 'Vilnius')


def test_copenhagen_to_malmo_crosses_the_oresund_bridge():
    r = route('Copenhagen', 'Malmö')
    bridge = [leg for leg in r.legs if leg.mode == 'bridge' and 'Malmö' in (leg.from_name, leg.to_name)]
    assert bridge, r.summary()
    assert r.total_minutes < 60


def test_paris_to_london_uses_the_channel_tunnel_or_flies():
    assert route('Paris', 'London').main_mode in ('shuttle', 'ferry')
    assert route('Paris', 'London', WITH_AIRLIFT).main_mode in ('shuttle', 'ferry', 'flight')


def test_stockholm_to_belfast_never_drives_across_the_sea():
    by_road = route('Stockholm', 'Belfast')
    assert 'ferry' in by_road.modes  # the Irish Sea is crossed by ferry, never by road
    pieces = assert_no_road_over_sea('Stockholm', 'Belfast')
    assert any(link is not None for _a, _b, link in pieces)
    assert route('Stockholm', 'Belfast', WITH_AIRLIFT).main_mode == 'flight'


def test_helsinki_to_tallinn_takes_the_ferry_not_a_road_across_the_gulf():
    r = route('Helsinki', 'Tallinn')
    assert 'ferry' in r.modes, r.summary()
    assert r.total_minutes > 120  # the 2 h crossing plus boarding, not an 80 km drive
    assert_no_road_over_sea('Helsinki', 'Tallinn')


@pytest.mark.parametrize(
    ('a', 'b'),
    [('Oslo', 'Tromsø'), ('Vienna', 'Bari'), ('Lisbon', 'Madrid'), ('Rome', 'Athens'), ('Stockholm', 'Helsinki'),
     ('Berlin', 'Copenhagen'), ('Tallinn', 'Kuressaare'), ('Rome', 'Palermo'), ('Rome', 'Valletta'),
     ('Athens', 'Heraklion')],
)
def test_no_road_piece_crosses_open_sea(a, b):
    r = route(a, b)
    assert r is not None, f'{a} → {b} should be reachable by road and ferry'
    assert_no_road_over_sea(a, b)
    assert r.total_minutes >= great_circle_km(CITIES[a], CITIES[b]) / 100 * 60  # never faster than 100 km/h


# --------------------------------------------------------------------------- air


def test_reykjavik_to_belfast_flies():
    r = route('Reykjavík', 'Belfast', WITH_AIRLIFT)
    assert r.main_mode == 'flight'
    assert r.legs[0].to_name == 'BIRK' or r.legs[0].to_name == 'BIKF'


BEYOND_1000 = [(a, b) for a in CITIES for b in CITIES if a < b and great_circle_km(CITIES[a], CITIES[b]) > 1000]


@pytest.mark.parametrize(('a', 'b'), BEYOND_1000[::7])
def test_beyond_1000_km_with_airlift_the_unit_flies(a, b):
    assert route(a, b, WITH_AIRLIFT).main_mode == 'flight'


def test_the_flight_waits_for_the_aircraft_and_reads_as_in_the_issue():
    r = route('Lisbon', 'Brussels', TransportOptions(airlift=Airlift('C-130J', mobilisation_min=0, seats=60)))
    assert re.fullmatch(r'road \d+ min to LPPT, flight \d h \d\d, road \d+ min', r.summary()), r.summary()
    waiting = route('Lisbon', 'Brussels', WITH_AIRLIFT)
    wait = [leg for leg in waiting.legs if leg.mode == 'wait']
    assert wait and waiting.total_minutes == pytest.approx(r.total_minutes + wait[0].minutes)


def test_an_aircraft_based_elsewhere_first_flies_to_the_pick_up_airport():
    """The A400M at Orléans-Bricy (LFOJ) must fly to Lisbon before a unit there can board: the
    flight leaves when it arrives, and the summary says what the unit waits for."""
    bricy = Airlift('A400M', mobilisation_min=0, seats=100, base=GeoPoint(47.988, 1.761), base_icao='LFOJ')
    at_hand = route('Lisbon', 'Brussels', TransportOptions(airlift=Airlift('A400M', 0, 100)))
    positioned = route('Lisbon', 'Brussels', TransportOptions(airlift=bricy))
    wait = [leg for leg in positioned.legs if leg.mode == 'wait']
    dep = next(leg for leg in positioned.legs if leg.mode == 'flight').from_name
    positioning = flight_minutes(great_circle_km(bricy.base, airports().places[airports().names.index(dep)].point),
                                 bricy)
    road_to_dep = sum(leg.minutes for leg in positioned.legs[:positioned.legs.index(wait[0])])
    assert wait[0].minutes == pytest.approx(positioning - road_to_dep)
    assert positioned.total_minutes > at_hand.total_minutes + 60
    assert f'waiting {short_minutes(wait[0].minutes)} at {dep} for the A400M from LFOJ' in positioned.summary()
    # boarding on the aircraft's own airfield (Melsbroek is Brussels Airport's military side): no positioning
    melsbroek = Airlift('A400M', 0, 100, base=GeoPoint(50.90139, 4.48444), base_icao='EBMB')
    home = route('Brussels', 'Lisbon', TransportOptions(airlift=melsbroek))
    assert home.modes[:2] == ('road', 'flight') and home.legs[1].from_name == 'EBBR', home.summary()


def test_suitable_airports_exclude_heliports_and_lie_in_europe():
    air = airports()
    assert 'EBBR' in air.names and 'LPPT' in air.names and 'BIRK' in air.names
    assert not any(code.startswith(('K', 'Z', 'Y')) for code in air.names)


def test_leg_summaries_read_as_in_the_issue():
    r = Route((
        Leg('road', 'station', 'EBBR', 60.0, 45.0),
        Leg('flight', 'EBBR', 'LPPT', 1700.0, 110.0),
        Leg('road', 'LPPT', 'site', 30.0, 24.2),
    ))
    assert r.summary() == 'road 45 min to EBBR, flight 1 h 50, road 25 min'
    assert r.total_minutes == pytest.approx(179.2)
    ferry = Route((Leg('road', 'station', 'Holyhead', 100, 70), Leg('ferry', 'Holyhead', 'Dublin', 110, 285),
                   Leg('road', 'Dublin', 'site', 5, 6)))
    assert ferry.summary() == 'road 1 h 10 to Holyhead, ferry Holyhead–Dublin 4 h 45, road 6 min'
    assert Route((Leg('helicopter', 'station', 'site', 412, 120),)).summary() == 'helicopter 2 h'


# --------------------------------------------------------------------------- helicopter and sea


def test_helicopter_legs_use_the_eta_models_figures():
    r = best_route(CITIES['Vienna'], CITIES['Warsaw'], TransportOptions(helicopter=True))
    transfer, overhead, travel, _legs = helicopter_times(geodesic_m(48.21, 16.37, 52.23, 21.01) / 1000.0)
    assert r.modes == ('helicopter',)
    assert r.total_minutes == pytest.approx(transfer + overhead + travel, rel=0.01)  # sphere vs ellipsoid only
    far = best_route(CITIES['Lisbon'], CITIES['Warsaw'], TransportOptions(helicopter=True))
    assert 'helicopter' not in far.modes  # beyond EtaParams.helicopter_max_km


def test_a_ship_off_gotland_is_reached_by_helicopter_or_boat():
    heli = best_route(CITIES['Stockholm'], OFF_GOTLAND, TransportOptions(helicopter=True))
    assert heli.modes == ('helicopter',)
    for options in (ROAD_ONLY, WITH_AIRLIFT):
        r = best_route(CITIES['Stockholm'], OFF_GOTLAND, options)
        assert r.legs[-1].mode == 'boat', r.summary()
        assert r.legs[-1].km < 150


# --------------------------------------------------------------------------- lower bound

EUROPE = st.builds(GeoPoint, st.floats(36.0, 66.0), st.floats(-10.0, 30.0))
OPTIONS = st.builds(
    TransportOptions,
    helicopter=st.booleans(),
    airlift=st.none() | st.builds(Airlift, st.sampled_from(sorted(AIRCRAFT)), st.floats(0, 300), st.just(20)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EUROPE, EUROPE, OPTIONS)
def test_lower_bound_never_exceeds_the_route_time(a, b, options):
    r = best_route(a, b, options)
    if r is None:
        return
    distance_km = geodesic_m(a.lat, a.lon, b.lat, b.lon) / 1000.0
    assert lower_bound_minutes(distance_km, options) <= r.total_minutes + 1e-9


@pytest.mark.parametrize('link', LINKS, ids=lambda k: k.name)
def test_the_surface_bound_holds_across_every_link(link):
    """The road bound counts links at their own speed: a route over the fastest bridge or tunnel,
    from just before one terminal to just after the other, still takes at least the bound."""
    a, b = GeoPoint(link.a.lat, link.a.lon), GeoPoint(link.b.lat, link.b.lon)
    for start, end in ((a, b), (b, a)):
        r = best_route(start, end, ROAD_ONLY)
        if r is None:
            continue
        distance_km = geodesic_m(start.lat, start.lon, end.lat, end.lon) / 1000.0
        assert lower_bound_minutes(distance_km, ROAD_ONLY) <= r.total_minutes + 1e-9
        assert float(surface_lower_minutes(great_circle_km(start, end))) <= r.total_minutes + 1e-9


def test_no_helicopter_bound_beyond_the_helicopter_range():
    """Beyond helicopter_max_km a helicopter cannot fly: its bound is infinite, so a far unit with a
    helicopter is bounded by its surface time (tighter pruning), and refuelling stops count."""
    eta = DEFAULT_TRANSPORT.eta
    assert math.isinf(float(helicopter_lower_minutes(eta.helicopter_max_km + 1.0)))
    two_legs = float(helicopter_lower_minutes(eta.helicopter_range_km + 1.0))
    assert two_legs >= eta.helicopter_overhead_min + eta.helicopter_refuel_min
    far = eta.helicopter_max_km * 1.5
    assert lower_bound_minutes(far, TransportOptions(helicopter=True)) == lower_bound_minutes(far, ROAD_ONLY)


def test_lower_bound_is_tight_enough_to_prune():
    fastest = TransportOptions(helicopter=True, airlift=Airlift('business_jet', 0, 8))
    assert lower_bound_minutes(0.0, fastest) == 0.0
    assert lower_bound_minutes(1500.0, fastest) > 120  # at least overhead + flight at jet speed
    assert lower_bound_minutes(300.0, ROAD_ONLY) > 150  # 300 km cannot be driven in 2.5 h
    # 1,000 km by road: at convoy progress (100 km/h over 1.2x the distance) less the links' few minutes
    assert lower_bound_minutes(1000.0, ROAD_ONLY) > 1000.0 / (100.0 / 1.2) * 60.0 - 10.0


# --------------------------------------------------------------------------- figures


def test_transport_parameters_are_checked_by_name():
    with pytest.raises(ValueError, match="'road_speed_kmh'"):
        TransportParams.from_mapping({'road_speed_kmh': 0})
    with pytest.raises(ValueError, match="'warp_speed'"):
        TransportParams.from_mapping({'warp_speed': 9})
    with pytest.raises(ValueError, match="'aircraft'"):
        Airlift('Concorde', 0, 100)
    with pytest.raises(ValueError, match="'mobilisation_min'"):
        Airlift('C-130J', math.nan, 60)
    assert TransportParams.from_mapping({'road_speed_kmh': 90}).eta is DEFAULT_ETA


def test_land_lookup_indexes_tiles_not_whole_continents():
    data = land()
    assert max(shapely.get_num_coordinates(g) for g in data.geoms) < 2000
    assert len(data.names) == len(data.polygons)


# --------------------------------------------------------------------------- map lines


@pytest.mark.parametrize(('origin', 'site', 'options'), [
    (CITIES['Stockholm'], CITIES['Belfast'], ROAD_ONLY),  # roads, bridges and ferries
    (CITIES['Lisbon'], CITIES['Stockholm'], WITH_AIRLIFT),  # road, wait, flight, road
    (CITIES['Stockholm'], OFF_GOTLAND, ROAD_ONLY),  # road to a port, then a boat
    (CITIES['Vienna'], CITIES['Warsaw'], TransportOptions(helicopter=True)),
])
def test_every_leg_carries_the_waypoints_a_map_draws_it_along(origin, site, options):
    """The console draws a candidate's line along its legs: the first leg starts at the station, each
    leg starts where the previous one ended, the last ends at the site."""
    r = best_route(origin, site, options)
    assert r is not None
    drawn = [leg for leg in r.legs if leg.mode != 'wait']
    assert all(len(leg.points) >= 2 for leg in drawn), r.legs
    assert drawn[0].points[0] == (origin.lat, origin.lon)
    assert drawn[-1].points[-1] == (site.lat, site.lon)
    for before, after in zip(r.legs, r.legs[1:], strict=False):
        assert before.points[-1] == after.points[0], (before, after)


def test_a_pairs_road_minutes_are_worked_out_once_and_the_store_stays_bounded(monkeypatch):
    """Explaining a ranking asks for the same drives again and again (a station to its airport in
    every ranking, an airport to the site for every candidate flying there): the second time the
    answer is remembered, with no land check; with a cap, whose answer may be inexact, it is not."""
    from atlas_coord.domain.transport import road

    net = road_network()
    lyon, grenoble = Place('Lyon', GeoPoint(45.764, 4.8357)), Place('Grenoble', GeoPoint(45.1885, 5.7245))
    checks: list[tuple] = []
    real = net.mask.segment_on_land
    monkeypatch.setattr(net.mask, 'segment_on_land', lambda *args: checks.append(args) or real(*args))
    net._pairs.clear()
    first = net.minutes(lyon, grenoble)
    assert checks and math.isfinite(first[0])
    checks.clear()
    assert net.minutes(lyon, grenoble) == first and net.route(lyon, grenoble) == net.route(lyon, grenoble)
    assert checks == []
    net.minutes(lyon, grenoble, cap=first[0] + 60)
    assert checks  # a capped question is answered afresh
    monkeypatch.setattr(road, '_PAIRS_MAX', 3)
    for k in range(5):
        net.minutes(lyon, Place('near Grenoble', GeoPoint(45.1885 + k / 100, 5.7245)))
    assert len(net._pairs) <= 3
