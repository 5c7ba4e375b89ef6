"""Issue #13 item 6: realistic European incidents ranked over the seeded directory and airlift.

The sites are real places; the incidents are hypothetical. Each row names in a comment the public
precedent its incident type is drawn from. The directory and airlift come from the seed files,
converted as the service converts them (``tests.factories.seed_snapshots`` / ``seed_airlift``); every
unit is READY, as seeded. Each rule is its own parametrized test, so a failure names the scenario
and the rule a practitioner would sign:

* the nearest capable units are where a practitioner looks first (top 5, or named ranks);
* no road leg crosses open sea: both ends of every road leg lie on one landmass;
* beyond 1,000 km a unit whose state has an aeroplane flies;
* no unit ranks above a faster one without a stated reason, and never above one 2 h faster;
* a deadline nobody meets still yields every candidate, flagged late, least late first;
* a ship at sea is reached by helicopter or boat; an island is reached by air, or by a ferry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import MatchQuery, RankingResult, Requirement, rank_units
from atlas_coord.domain.transport.air import airports
from atlas_coord.domain.transport.land import landmass_of
from atlas_coord.domain.transport.links import LINKS
from atlas_coord.domain.transport.sea import PORTS
from tests.factories import seed_airlift, seed_snapshots

NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
AIR = ('flight', 'helicopter')
SURFACE_LINKS = ('bridge', 'shuttle', 'ferry')


@dataclass(frozen=True)
class Scenario:
    id: str
    site: tuple[float, float]
    requesting: str
    needs: tuple[str, ...]
    domestic: bool = False  # the requesting state's own units ranked too
    deadline_h: float | None = None
    top5: tuple[str, ...] = ()  # nearest capable units: each in the top 5
    first: str | None = None  # the unit a practitioner would alert first
    near_top: tuple[str, ...] = ()  # units a practitioner expects within the first ``near_rank``
    near_rank: int = 10
    at_sea: bool = False
    island: tuple[str, ...] = ()  # modes, one of which a unit from another landmass must use
    nobody_on_time: bool = False


SCENARIOS = (
    # Hijacked airliner on the apron, 3 h deadline (README example). Precedents: Lufthansa 181, 1977
    # (GSG 9 at Mogadishu); Air France 8969, 1994 (GIGN at Marseille-Marignane).
    Scenario('brussels-airport-hijack', (50.901, 4.484), 'BE', ('ENV_AIRCRAFT',), deadline_h=3,
             top5=('GIGN', 'RAID', 'DSI', 'GSG 9'), nobody_on_time=True),
    # Hijacked airliner at Schiphol, the Dutch unit ranked too. Precedent: Air France 8969, 1994.
    Scenario('schiphol-hijack', (52.31, 4.76), 'NL', ('ENV_AIRCRAFT',), domestic=True,
             first='DSI', top5=('DSU', 'GSG 9', 'GIGN', 'RAID')),
    # Hijacked airliner at Helsinki-Vantaa. Precedent: Lufthansa 181, 1977.
    Scenario('helsinki-vantaa-hijack', (60.317, 24.963), 'FI', ('ENV_AIRCRAFT',), domestic=True,
             first='Karhu', top5=('NI',)),
    # Hijacked airliner at Larnaca. Precedents: the 1978 Larnaca airport raid (Egyptian commando) and
    # Kuwait Airways 422, 1988, held at Larnaca. Cyprus has no car ferry to the mainland: by air.
    Scenario('larnaca-hijack', (34.875, 33.625), 'CY', ('ENV_AIRCRAFT',),
             top5=('EKAM',), island=AIR),
    # Hostage-taking in a Warsaw metro train (Centrum). Precedent: Brussels 2016 (Maelbeek metro).
    Scenario('warsaw-metro-hostages', (52.2305, 21.0107), 'PL', ('ENV_TRAIN',), domestic=True,
             first='BOA', top5=('GSG 9 Berlin', 'URNA'), near_top=('ARAS',), near_rank=12),
    # Train held on the line near Utrecht. Precedents: the Dutch train hijackings at Wijster (1975)
    # and De Punt (1977).
    Scenario('utrecht-train-hijack', (52.10, 5.05), 'NL', ('ENV_TRAIN',), domestic=True,
             first='DSI', top5=('GSG 9', 'DSU')),
    # Hostage-taking on a train at Madrid Atocha. Precedents: Madrid 2004 (Atocha) and the 2015 Thalys attack.
    Scenario('madrid-atocha-train', (40.4066, -3.6892), 'ES', ('ENV_TRAIN',), domestic=True,
             first='GEO', top5=('GIGN', 'RAID')),
    # Ferry seized at sea between Tallinn and Helsinki. Precedent: Achille Lauro, 1985.
    Scenario('ferry-tallinn-helsinki', (59.80, 24.85), 'FI', ('ENV_MARITIME',), domestic=True,
             first='Karhu', top5=('K-Komando', 'NI'), at_sea=True),
    # Ferry seized at sea east of Gotland. Precedent: Achille Lauro, 1985.
    Scenario('ferry-off-gotland', (57.30, 19.60), 'SE', ('ENV_MARITIME',), domestic=True,
             first='NI', top5=('Karhu', 'K-Komando'), at_sea=True),
    # Hijacked airliner at Malta International. Precedents: EgyptAir 648, 1985 and Afriqiyah
    # Airways 209, 2016, both at Luqa. Malta: by air, or the Pozzallo–Valletta ferry.
    Scenario('malta-luqa-hijack', (35.857, 14.4775), 'MT', ('ENV_AIRCRAFT',),
             top5=('NOCS', 'GIS'), island=(*AIR, 'ferry')),
    # School siege in Reykjavík, 4 h deadline nobody can meet. Precedent: Beslan, 2004.
    Scenario('reykjavik-school-siege', (64.1466, -21.9426), 'IS', ('ENV_BUILDING',), deadline_h=4,
             top5=('PSNI Tactical Unit',), island=AIR, nobody_on_time=True),
    # Hostage-taking in a Dublin supermarket. Precedent: Paris Hypercacher, 2015.
    Scenario('dublin-supermarket', (53.35, -6.26), 'IE', ('ENV_BUILDING',),
             first='PSNI Tactical Unit', island=(*AIR, 'ferry')),
    # Hostage-taking in central Belfast, British units not requested. Precedent: Paris Hypercacher, 2015.
    Scenario('belfast-hostages', (54.597, -5.93), 'GB', ('ENV_BUILDING',),
             first='Garda ERU', island=(*AIR, 'ferry')),
    # Hostage-taking in a Vilnius office building. Precedent: Paris Hypercacher, 2015.
    Scenario('vilnius-hostages', (54.687, 25.28), 'LT', ('ENV_BUILDING',),
             first='BOA', near_top=('OMEGA',), near_rank=8),
    # Attacks at Riga airport and in the city. Precedent: Brussels 2016.
    Scenario('riga-hostages', (56.9496, 24.1052), 'LV', ('ENV_BUILDING',),
             top5=('ARAS', 'K-Komando', 'Karhu', 'NI')),
    # Hostage-taking in central Lisbon (README example). Precedent: Paris Hypercacher, 2015.
    Scenario('lisbon-hostages', (38.7223, -9.1393), 'PT', ('ENV_BUILDING',), top5=('UEI', 'GEO')),
    # Hostage-taking in Seville, Spanish units not requested. Precedent: Paris Hypercacher, 2015.
    Scenario('seville-hostages', (37.39, -5.99), 'ES', ('ENV_BUILDING',), top5=('GOE', 'GIGN', 'RAID')),
    # Hostage-taking in Zagreb. Precedent: Paris Hypercacher, 2015.
    Scenario('zagreb-hostages', (45.815, 15.98), 'HR', ('ENV_BUILDING',),
             first='SEP', top5=('EKO Cobra', 'TEK')),
    # Bus seized in Ljubljana. Precedent: the 2012 attack on a tourist bus at Burgas airport.
    Scenario('ljubljana-bus', (46.056, 14.5058), 'SI', ('ENV_BUS',), top5=('EKO Cobra', 'ATJ Lučko')),
    # Bus seized in Sofia. Precedent: Burgas, 2012.
    Scenario('sofia-bus', (42.6977, 23.3219), 'BG', ('ENV_BUS',), top5=('BSIJ', 'SIAS', 'EKAM')),
    # Gunman on a lake island near Oslo. Precedent: Utøya, 2011.
    Scenario('utoya-island', (60.0236, 10.2489), 'NO', ('ENV_RURAL',), domestic=True, first='Delta', top5=('NI',)),
)
IDS = [s.id for s in SCENARIOS]
BY_ID = {s.id: s for s in SCENARIOS}


@functools.cache
def directory():
    return seed_snapshots(), seed_airlift()


@functools.cache
def ranked(scenario_id: str) -> RankingResult:
    s = BY_ID[scenario_id]
    units, airlift = directory()
    query = MatchQuery(GeoPoint(*s.site), s.requesting, tuple(Requirement(c) for c in s.needs), now=NOW,
                       needed_by=None if s.deadline_h is None else NOW + timedelta(hours=s.deadline_h),
                       include_requesting_state=s.domestic)
    return rank_units(query, units, airlift=airlift)


def names(result: RankingResult, n: int | None = None) -> list[str]:
    return [c.name for c in result.candidates[:n]]


# --------------------------------------------------------------------------- places of leg ends

_TERMINALS = {t.name: (t.lat, t.lon) for link in LINKS for t in (link.a, link.b)}
_PORTS = {n: (lat, lon) for n, lat, lon in PORTS}


@functools.cache
def _airports() -> dict[str, tuple[float, float]]:
    index = airports()
    return {p.name: (p.point.lat, p.point.lon) for p in index.places}


def _end_point(leg, towards_road: bool) -> tuple[float, float]:
    """Where ``leg`` meets the road leg next to it (its end if it comes before, its start after)."""
    name = leg.to_name if towards_road else leg.from_name
    if leg.mode in SURFACE_LINKS:
        return _TERMINALS[name]
    if leg.mode in ('flight', 'wait'):
        return _airports()[name]
    assert leg.mode == 'boat', leg
    return _PORTS[name]


def road_leg_ends(candidate, site):
    """``(leg, start, end)`` of every road leg of the candidate's route, with coordinates."""
    steps = candidate.eta.steps
    for k, leg in enumerate(steps):
        if leg.mode != 'road':
            continue
        start = candidate.from_station if k == 0 else _end_point(steps[k - 1], towards_road=True)
        end = (site.lat, site.lon) if k == len(steps) - 1 else _end_point(steps[k + 1], towards_road=False)
        yield leg, start, end


# --------------------------------------------------------------------------- the rules


def test_the_table_has_at_least_twelve_incidents_across_the_regions():
    assert len(SCENARIOS) >= 12 and len(set(IDS)) == len(IDS)
    assert {s.requesting for s in SCENARIOS} >= {'BE', 'NL', 'FI', 'CY', 'PL', 'ES', 'MT', 'IS', 'IE', 'GB', 'LT',
                                                  'LV', 'PT', 'HR', 'SI', 'BG'}


@pytest.mark.parametrize('scenario_id', IDS)
def test_the_nearest_capable_units_are_at_the_top(scenario_id):
    s, result = BY_ID[scenario_id], ranked(scenario_id)
    top = names(result)
    assert result.candidates, 'no candidate at all'
    if s.first:
        assert top[0] == s.first, top[:5]
    missing = [n for n in s.top5 if n not in top[:5]]
    assert not missing, f'{missing} not in the top 5: {top[:5]}'
    far = [n for n in s.near_top if n not in top[: s.near_rank]]
    assert not far, f'{far} not in the top {s.near_rank}: {top[: s.near_rank]}'


@pytest.mark.parametrize('scenario_id', IDS)
def test_no_road_leg_crosses_open_sea(scenario_id):
    s, result = BY_ID[scenario_id], ranked(scenario_id)
    site = GeoPoint(*s.site)
    for c in result.candidates:
        for leg, start, end in road_leg_ends(c, site):
            a, b = landmass_of(GeoPoint(*start)), landmass_of(GeoPoint(*end))
            assert a is not None and a == b, f'{c.name}: {leg.summary()} joins landmass {a} to {b} ({c.eta.route_summary})'


@pytest.mark.parametrize('scenario_id', IDS)
def test_beyond_1000_km_a_unit_whose_state_has_an_aeroplane_flies(scenario_id):
    """Croatia has no transport aeroplane (airlift.json, test_airlift_data): its unit may drive. A
    unit's own helicopter, refuelling on the way, is air too: to a ship at sea (GSG 9 to a ferry off
    Gotland), and on land up to ``helicopter_max_km`` when the state's aircraft must first fly in
    from its base (GSG 9 to Utøya: helicopter 4 h 57 against 2 h 46 of flight after 1 h 53 waiting
    at Cologne for the A400M from Melsbroek)."""
    air = {'flight', 'helicopter'}
    units, airlift = directory()
    by_id = {u.id: u for u in units}
    for c in ranked(scenario_id).candidates:
        can_fly = bool(airlift.get(c.state)) or by_id[c.unit_id].air_transport == 'fixed_wing'
        if c.distance_m > 1_000_000 and can_fly:
            assert air & {leg.mode for leg in c.eta.steps}, f'{c.name}: {c.eta.route_summary}'


@pytest.mark.parametrize('scenario_id', IDS)
def test_no_unit_ranks_above_a_faster_one_without_a_stated_reason(scenario_id):
    cands = ranked(scenario_id).candidates
    for i, a in enumerate(cands):
        for b in cands[i + 1 :]:
            assert a.eta.total_min <= b.eta.total_min + 120, f'{a.name} ranked above {b.name}, more than 2 h slower'
        if i + 1 < len(cands) and a.eta.total_min > cands[i + 1].eta.total_min + 1e-6:
            said, other = a.explanation[-1], cands[i + 1].name
            # within the minute the sentence says 'same arrival time' and names the credit
            stated = f'Ranked above {other} although' in said or (
                said.startswith(f'Ranked above {other}: same arrival time, ') and 'credit' in said)
            assert stated, said


@pytest.mark.parametrize('scenario_id', IDS)
def test_late_units_stay_flagged_after_the_punctual_ones(scenario_id):
    s, result = BY_ID[scenario_id], ranked(scenario_id)
    late = [c for c in result.candidates if not c.on_time]
    assert all(c.late_by_min and c.late_by_min > 0 for c in late)
    flags = [c.on_time for c in result.candidates]
    assert flags == sorted(flags, reverse=True), 'a late unit ranks above a punctual one'
    if s.nobody_on_time:
        assert result.candidates_total >= 20 and len(late) == len(result.candidates)
        assert [c.late_by_min for c in late] == sorted(c.late_by_min for c in late)
    elif s.deadline_h is None:
        assert not late


@pytest.mark.parametrize('scenario_id', [i for i in IDS if BY_ID[i].at_sea])
def test_a_ship_at_sea_is_reached_by_helicopter_or_boat(scenario_id):
    assert landmass_of(GeoPoint(*BY_ID[scenario_id].site)) is None, 'the site is not at sea'
    for c in ranked(scenario_id).candidates:
        assert c.eta.steps[-1].mode in ('helicopter', 'boat'), f'{c.name}: {c.eta.route_summary}'


@pytest.mark.parametrize('scenario_id', [i for i in IDS if BY_ID[i].island])
def test_an_island_is_reached_by_air_or_by_ferry(scenario_id):
    s = BY_ID[scenario_id]
    island = landmass_of(GeoPoint(*s.site))
    offshore = [c for c in ranked(scenario_id).candidates if landmass_of(GeoPoint(*c.from_station)) != island]
    assert offshore
    for c in offshore:
        assert set(s.island) & {leg.mode for leg in c.eta.steps}, f'{c.name}: {c.eta.route_summary}'


def test_the_road_rule_is_not_vacuous():
    """The scenarios' routes put road legs next to a link, a flight and a boat, all resolved to places;
    a road leg drawn across the Channel would be caught."""
    seen = set()
    for scenario_id in IDS:
        site = GeoPoint(*BY_ID[scenario_id].site)
        for c in ranked(scenario_id).candidates:
            steps = c.eta.steps
            for k, _leg in enumerate(steps):
                if steps[k].mode == 'road':
                    seen |= {steps[j].mode for j in (k - 1, k + 1) if 0 <= j < len(steps)}
            list(road_leg_ends(c, site))
    assert {'ferry', 'bridge', 'flight', 'boat'} <= seen, seen
    dover, calais = _TERMINALS['Dover'], _TERMINALS['Calais']
    assert landmass_of(GeoPoint(*dover)) != landmass_of(GeoPoint(*calais))


# --------------------------------------------------------------------------- aircraft positioning


@functools.cache
def _fixed_wing() -> tuple:
    """``(may carry, mobilisation from the alert, base (lat, lon), cruise km/h)`` of every seeded
    fixed-wing aircraft of a known speed class (``airlift.json``)."""
    from atlas_coord.domain.ranking.routes import aircraft_class
    from atlas_coord.domain.transport.air import AIRCRAFT
    from atlas_coord.services.seed import load_airlift

    out = []
    for a in load_airlift()['assets']:
        cls = aircraft_class(a['aircraft_type']) if a['kind'] == 'fixed_wing' else None
        if cls:
            out.append(({a['state'], *a['partners']}, a['mobilisation_min'], (a['lat'], a['lon']),
                        AIRCRAFT[cls].cruise_kmh))
    return tuple(out)


def _earliest_wheels_up(state: str, icao: str) -> float:
    """A lower bound of when any aircraft that may carry ``state``'s unit can leave ``icao``: its
    mobilisation (request to wheels-up at its base) plus a straight positioning flight to ``icao``
    at cruise speed, no overhead. The unit's own aircraft (none is seeded) would be ready at once."""
    from atlas_coord.domain.transport.route import haversine_km

    dep = _airports()[icao]
    return min((mob + haversine_km(*base, *dep) / cruise * 60.0
                for carries, mob, base, cruise in _fixed_wing() if state in carries), default=0.0)


def _leaves_too_soon(c) -> bool:
    """True if the candidate's flight leaves before an aircraft could reach its departure airport."""
    steps = c.eta.steps
    k = next((i for i, leg in enumerate(steps) if leg.mode == 'flight'), None)
    if k is None:
        return False
    wheels_up = c.eta.mobilisation_min + c.eta.break_off_min + sum(leg.minutes for leg in steps[:k])
    return wheels_up + 1e-6 < _earliest_wheels_up(c.state, steps[k].from_name)


@pytest.mark.parametrize('scenario_id', IDS)
def test_no_flight_leaves_before_an_aircraft_can_reach_its_airport(scenario_id):
    too_soon = [f'{c.name}: {c.eta.route_summary}' for c in ranked(scenario_id).candidates if _leaves_too_soon(c)]
    assert not too_soon, too_soon
