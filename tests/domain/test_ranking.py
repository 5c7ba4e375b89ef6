"""Which units can help, how well and how soon: the ranking a crisis centre sees."""

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas_coord.domain.eta import EtaParams
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import (
    REASONS,
    CapabilityHolding,
    MatchQuery,
    Requirement,
    UnitIndex,
    UnitSnapshot,
    rank_units,
)
from atlas_coord.serializers.ranking import RankingOut

NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
SEED = Path(__file__).resolve().parents[2] / 'atlas_coord' / 'seed' / 'directory.json'
CODES = ['ENV_BUILDING', 'ENV_AIRCRAFT', 'NEG', 'SNIPER_OBS', 'EOD', 'DIVE', 'CBRN', 'TACMED', 'K9']


def directory_units() -> list[UnitSnapshot]:
    """The illustrative ATLAS directory shipped with the app, ids 1..39 in file order."""
    data = json.loads(SEED.read_text(encoding='utf-8'))
    return [
        UnitSnapshot(
            id=i, state=u['state'], name=u['name'], lat=u['lat'], lon=u['lon'],
            stations=tuple((s['lat'], s['lon']) for s in u['stations']), tier=u['tier'],
            personnel=u['personnel'], air_transport=u['air_transport'],
            notice_domestic_min=u['notice_domestic_min'], notice_international_min=u['notice_international_min'],
            capabilities={c['code']: CapabilityHolding(c['level'], c['quantity']) for c in u['capabilities']},
        )
        for i, u in enumerate(data['units'], start=1)
    ]


def by_name(units, name):
    (unit,) = [u for u in units if u.name == name]
    return unit


def unit(uid, state='XA', lat=50.0, lon=10.0, **kw):
    kw.setdefault('capabilities', {'ENV_BUILDING': CapabilityHolding('full')})
    return UnitSnapshot(id=uid, state=state, name=kw.pop('name', f'Unit {uid}'), lat=lat, lon=lon, **kw)


def query(lat=50.0, lon=10.0, state='RQ', reqs=(Requirement('ENV_BUILDING'),), **kw):
    kw.setdefault('now', NOW)
    return MatchQuery(GeoPoint(lat, lon), state, tuple(reqs), **kw)


def wire(result):
    """The ranking as the API and the stored snapshot write it."""
    return RankingOut.of(result).wire()


def geographiclib_m(lat1, lon1, lat2, lon2):
    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)['s12']


def point_at(lat, lon, azimuth, km):
    g = Geodesic.WGS84.Direct(lat, lon, azimuth, km * 1000)
    return g['lat2'], g['lon2']


def random_units(n, seed, *, site=(50.0, 10.0), spread=12.0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        caps = {}
        for code in CODES:
            if rng.random() < 0.5:
                caps[code] = CapabilityHolding(rng.choice(['full', 'limited']),
                                               rng.choice([None, 1, 2, 3]))
        readiness = rng.choice(['READY'] * 6 + ['LIMITED', 'TRAINING', 'COMMITTED', 'UNAVAILABLE'])
        stations = tuple(
            (site[0] + rng.uniform(-spread, spread) * 0.8, site[1] + rng.uniform(-spread, spread))
            for _ in range(rng.choice([0, 0, 0, 1, 2]))
        )
        out.append(UnitSnapshot(
            id=1000 + i, state=rng.choice(['RQ', 'AA', 'BB', 'CC']), name=f'U{rng.randrange(100):02d}',
            lat=site[0] + rng.uniform(-spread, spread) * 0.8, lon=site[1] + rng.uniform(-spread, spread),
            stations=stations, tier=rng.choice(['T1', 'T2', 'T3']),
            air_transport=rng.choice(['none', 'helicopter', 'fixed_wing']),
            notice_domestic_min=rng.choice([15, 30]), notice_international_min=rng.choice([120, 180, 240]),
            capabilities=caps, readiness=readiness,
            break_off_min=rng.choice([None, 30, 90]) if readiness == 'TRAINING' else None,
            committed_request_id=rng.choice([None, 7, 8]) if readiness == 'COMMITTED' else None,
        ))
    return out


# --------------------------------------------------------------------------- the real directory


def test_a_crisis_in_oslo_finds_the_oslo_unit_first():
    """A crisis centre in Oslo sees a siege at the opera (lat 59.91, lon 10.75) and ranks every
    unit by distance: Norway's own Delta is first, a few metres away. Had the site been read in
    (lon, lat) order it would lie in the Arabian Sea, beyond the reach of every unit."""
    units = directory_units()
    q = query(59.91, 10.75, 'NO', reqs=(), include_requesting_state=True)
    result = rank_units(q, units)
    nearest = min(result.candidates, key=lambda c: c.distance_m)
    assert (nearest.state, nearest.name) == ('NO', 'Delta')
    assert nearest.distance_m < 1000
    assert result.candidates[0].name == 'Delta'  # domestic notice and no travel: first overall too

    swapped = rank_units(query(10.75, 59.91, 'NO', reqs=(), include_requesting_state=True), units)
    assert swapped.candidates == []
    assert swapped.excluded_counts == {'out_of_range': len(units)}
    assert min(e.details['distance_m'] for e in swapped.excluded) > 3_000_000


def test_every_distance_is_the_geographiclib_distance_from_the_nearest_base():
    """A request for Paris: each unit's figure is the exact geodesic from its nearest base."""
    units = directory_units()
    result = rank_units(query(48.8566, 2.3522, 'BE', reqs=()), units)
    assert len(result.candidates) > 30
    for c in result.candidates:
        u = next(x for x in units if x.id == c.unit_id)
        expected = min(geographiclib_m(48.8566, 2.3522, lat, lon) for lat, lon in u.bases)
        assert c.distance_m == pytest.approx(expected, abs=1.0)
        assert c.from_station in u.bases


def test_a_secondary_station_is_used_when_it_is_nearer():
    """A hijacked bus in Toulouse: GIGN answers from its Toulouse antenna, not from Satory."""
    units = directory_units()
    result = rank_units(query(43.60, 1.44, 'ES', reqs=(), include_requesting_state=True), units)
    gign = next(c for c in result.candidates if c.name == 'GIGN')
    assert gign.from_station == (43.6, 1.44)
    assert gign.distance_m < 100
    assert any('secondary station' in s for s in gign.explanation)


def test_explanations_read_like_the_board():
    """Vienna asks for negotiators, divers, bomb disposal and CBRN: each line says why."""
    units = directory_units()
    reqs = (Requirement('NEG', 2, 'full', critical=True), Requirement('DIVE'), Requirement('EOD'),
            Requirement('CBRN'))
    result = rank_units(query(48.21, 16.37, 'AT', reqs=reqs), units)
    for c in result.candidates:
        covered = sum(1 for f in c.capability_fit if f.covered is True)
        assert c.explanation[0].startswith(
            f'Covers {covered} of 4' if covered < 4 else 'Covers all 4 required capabilities')
        assert any(s.startswith(('Road:', 'Ferry:', 'Shuttle:', 'Helicopter:', 'Fixed wing:')) for s in c.explanation)
        assert 'International notice to move' in ' '.join(c.explanation)
    lux = next(c for c in result.candidates if c.state == 'LU')
    missing = [f.code for f in lux.capability_fit if f.covered is False]
    assert missing
    assert f'missing {", ".join(missing)}' in lux.explanation[0]


def test_readable_capability_sentence_for_one_missing_capability():
    u = unit(1, capabilities={c: CapabilityHolding('full') for c in ('NEG', 'DIVE', 'K9')})
    reqs = [Requirement(c) for c in ('NEG', 'DIVE', 'K9', 'EOD')]
    (c,) = rank_units(query(reqs=reqs), [u]).candidates
    assert c.explanation[0] == 'Covers 3 of 4 required capabilities (missing EOD)'
    assert [f.covered for f in c.capability_fit] == [True, True, True, False]


def test_partial_cover_by_quantity_and_level():
    """Two negotiator teams are needed; the unit has one, and its snipers are only 'limited'."""
    u = unit(1, capabilities={'NEG': CapabilityHolding('full', 1), 'SNIPER_OBS': CapabilityHolding('limited')})
    reqs = [Requirement('NEG', 2), Requirement('SNIPER_OBS', min_level='full')]
    (c,) = rank_units(query(reqs=reqs), [u]).candidates
    assert [f.covered for f in c.capability_fit] == ['partial', 'partial']
    assert c.explanation[0] == ('Covers 0 of 2 required capabilities '
                                '(NEG 1 of 2; SNIPER_OBS only at limited level)')
    assert c.capability_fit[0].held_quantity == 1


# --------------------------------------------------------------------------- exclusions


def test_each_exclusion_has_its_reason_and_every_unit_lands_once():
    """Prague's crisis centre asks for EOD by 13:00; the board says why each unit is left out."""
    site = (50.08, 14.44)
    eod = {'EOD': CapabilityHolding('full')}
    units = [
        unit(1, 'AT', *point_at(*site, 180, 250), air_transport='helicopter', capabilities=eod),
        unit(2, 'DE', *point_at(*site, 300, 300), capabilities=eod, readiness='UNAVAILABLE'),
        unit(3, 'PL', *point_at(*site, 45, 500), capabilities=eod, readiness='COMMITTED', committed_request_id=9),
        unit(4, 'SK', *point_at(*site, 120, 280), capabilities=eod, readiness='COMMITTED', committed_request_id=42,
             air_transport='helicopter'),
        unit(5, 'CZ', *site, capabilities=eod),
        unit(6, 'HU', *point_at(*site, 130, 450), capabilities={'NEG': CapabilityHolding('full')}),
        unit(7, 'PT', 38.72, -9.14, capabilities=eod),  # Lisbon, about 2,200 km by road
        unit(8, 'CY', *point_at(*site, 100, 3000), capabilities=eod),
    ]
    q = query(*site, 'CZ', reqs=[Requirement('EOD')], needed_by=NOW + timedelta(hours=5), request_id=42)
    result = rank_units(q, units)
    reasons = {e.unit_id: e.reason for e in result.excluded}
    assert reasons == {
        2: 'unavailable',
        3: 'committed_elsewhere',
        5: 'requesting_state',
        6: 'no_required_capability',
        8: 'out_of_range',
    }
    # Lisbon's unit 2,200 km away cannot make 13:00: it stays, last, flagged late
    assert [c.unit_id for c in result.candidates] == [1, 4, 7]  # 4 is committed to this very request
    assert [c.on_time for c in result.candidates] == [True, True, False]
    late = result.candidates[-1]
    assert late.late_by_min > 0
    assert any(s.startswith('Late by ') and 'needed by 13:00 UTC' in s for s in late.explanation)
    assert result.candidates_total == 3
    assert result.excluded_counts == {r: 1 for r in REASONS}
    assert sorted([c.unit_id for c in result.candidates] + list(reasons)) == [u.id for u in units]

    messages = {e.unit_id: e.message for e in result.excluded}
    assert messages[3] == 'Committed to request #9'
    assert messages[5] == 'Belongs to the requesting state CZ'
    assert messages[6] == 'Holds none of the required capabilities (EOD)'
    assert messages[8].startswith('No transport reaches the site')
    assert any(s == 'Already committed to this request' for s in result.candidates[1].explanation)


def test_the_requesting_states_own_units_can_be_included():
    """Include Prague's own URNA: it competes with its domestic notice to move."""
    units = [unit(1, 'CZ', 50.08, 14.44, notice_domestic_min=30, notice_international_min=180)]
    q = query(50.08, 14.44, 'CZ', include_requesting_state=True)
    (c,) = rank_units(q, units).candidates
    assert c.eta.mobilisation_min == 30
    assert 'Domestic notice to move: 30 min' in c.explanation


def test_a_committed_unit_without_a_request_id_is_committed_elsewhere():
    """A unit already deployed somewhere is not offered to a request that has no id yet."""
    units = [unit(1, readiness='COMMITTED')]
    (e,) = rank_units(query(), units).excluded
    assert (e.reason, e.message) == ('committed_elsewhere', 'Committed to another request')


# --------------------------------------------------------------------------- readiness


def test_training_adds_its_break_off_time():
    """Two identical units; one is at the range and needs an hour to break off."""
    ready = unit(1, lat=50.5, lon=10.0)
    training = replace(ready, id=2, name='Unit 2', readiness='TRAINING', break_off_min=60)
    result = rank_units(query(), [training, ready])
    first, second = result.candidates
    assert (first.unit_id, second.unit_id) == (1, 2)
    assert second.eta.total_min - first.eta.total_min == pytest.approx(60)
    assert second.eta.break_off_min == 60
    assert 'In training, can break off within 1 h' in second.explanation
    assert second.readiness.status == 'TRAINING'
    assert second.score_parts['readiness'] == 0  # no readiness credit; its break-off is in the ETA
    assert first.score_parts['readiness'] < 0


def test_training_without_declared_break_off_uses_the_configured_default():
    u = unit(1, readiness='TRAINING')
    (c,) = rank_units(query(), [u], params=EtaParams(training_break_off_default_min=45)).candidates
    assert c.eta.break_off_min == 45
    assert 'In training, can break off within 45 min' in c.explanation


def test_limited_readiness_is_flagged_and_penalised():
    ready = unit(1)
    limited = replace(ready, id=2, readiness='LIMITED')
    first, second = rank_units(query(), [limited, ready]).candidates
    assert (first.unit_id, second.unit_id) == (1, 2)
    assert second.limited is True
    assert second.readiness.limited is True
    assert second.readiness.penalty < 0
    assert first.limited is False
    # the score is effective minutes (lower is better): less credit, more minutes
    assert second.score == pytest.approx(first.score - second.readiness.penalty)


# --------------------------------------------------------------------------- score


def test_score_parts_sum_to_the_score_and_ranks_follow_the_key():
    """Lyon's board shows each score's breakdown; the parts add up and the order follows the key."""
    units = directory_units()
    reqs = (Requirement('NEG', 2, 'full', critical=True), Requirement('DIVE'), Requirement('EOD'))
    result = rank_units(query(45.76, 4.84, 'IT', reqs=reqs, kinds={'ACTION_ARMED'}), units)
    assert [c.rank for c in result.candidates] == list(range(1, len(result.candidates) + 1))
    keys = [(c.score, c.eta.total_min, c.state, c.name, c.unit_id) for c in result.candidates]
    assert keys == sorted(keys)
    for c in result.candidates:
        assert sum(c.score_parts.values()) == pytest.approx(c.score, abs=1e-8)
        assert set(c.score_parts) == {'capability', 'eta', 'readiness', 'tier', 'credit_cap'}
        assert c.score_parts['eta'] == pytest.approx(c.eta.total_min)
        assert c.eta.total_min - 30 - 1e-6 <= c.score <= c.eta.total_min + 1e-6


def test_equipment_only_requests_ignore_the_tier():
    """Lending a robot needs no 26-strong team: the tier bonus only counts when action is requested."""
    u = unit(1, tier='T1')
    (c,) = rank_units(query(kinds={'EQUIPMENT'}), [u]).candidates
    assert c.score_parts['tier'] == 0
    (c,) = rank_units(query(kinds={'ACTION_ARMED'}), [u]).candidates
    assert c.score_parts['tier'] < 0  # a credit: fewer effective minutes


def test_faster_unit_wins_when_all_else_is_equal():
    """Two identical units 33 km and 222 km away: the nearer one ranks first."""
    near = unit(1, lat=50.3, lon=10.0)
    far = unit(2, lat=52.0, lon=10.0)
    result = rank_units(query(), [far, near])
    assert [c.unit_id for c in result.candidates] == [1, 2]
    assert result.candidates[0].score < result.candidates[1].score


def test_a_helicopter_further_away_arrives_first_and_ranks_first():
    """Munich's SEK flies 150 km in under an hour; a convoy 120 km away needs almost two."""
    convoy = unit(1, 'XA', *point_at(50.0, 10.0, 0, 120), air_transport='none')
    heli = unit(2, 'XB', *point_at(50.0, 10.0, 180, 150), air_transport='helicopter')
    first, second = rank_units(query(), [convoy, heli]).candidates
    assert (first.unit_id, first.eta.mode) == (2, 'helicopter')
    assert (second.unit_id, second.eta.mode) == (1, 'road')
    assert first.distance_m > second.distance_m
    assert first.eta.total_min < second.eta.total_min


LEVEL_ORDER = {'limited': 1, 'full': 2}
READY_ORDER = ['TRAINING', 'LIMITED', 'READY']
TIER_ORDER = ['T3', 'T2', 'T1']


@st.composite
def dominance_case(draw):
    site = (draw(st.floats(36, 68)), draw(st.floats(-9, 34)))
    loc = st.tuples(st.floats(-8, 8), st.floats(-12, 12)).map(lambda d: (site[0] + d[0] * 0.9, site[1] + d[1]))
    loc_a, loc_b = draw(loc), draw(loc)
    state = draw(st.sampled_from(['RQ', 'XA']))
    shared = {
        'state': state,
        'air_transport': draw(st.sampled_from(['none', 'helicopter', 'fixed_wing'])),
        'notice_domestic_min': draw(st.sampled_from([15, 30])),
        'notice_international_min': draw(st.sampled_from([120, 180, 240])),
    }
    ready_b = draw(st.integers(0, 2))
    ready_a = draw(st.integers(ready_b, 2))
    brk_b = draw(st.sampled_from([None, 30, 60, 120]))
    brk_a = brk_b if ready_a != ready_b else draw(st.sampled_from([b for b in [None, 30, 60, 120]
                                                                 if (b or 60) <= (brk_b or 60)]))
    tier_b = draw(st.integers(0, 2))
    tier_a = draw(st.integers(tier_b, 2))
    caps_b, caps_a = {}, {}
    for code in CODES:
        if draw(st.booleans()):
            level = draw(st.sampled_from(['limited', 'full']))
            qty = draw(st.sampled_from([None, 1, 2, 3]))
            caps_b[code] = CapabilityHolding(level, qty)
            level_a = draw(st.sampled_from([lv for lv in LEVEL_ORDER if LEVEL_ORDER[lv] >= LEVEL_ORDER[level]]))
            qty_a = draw(st.sampled_from([q for q in [None, 1, 2, 3, 4] if (q or 1) >= (qty or 1)]))
            caps_a[code] = CapabilityHolding(level_a, qty_a)
        elif draw(st.booleans()):
            caps_a[code] = CapabilityHolding(draw(st.sampled_from(['limited', 'full'])))
    reqs = draw(st.lists(
        st.builds(Requirement, st.sampled_from(CODES), st.integers(1, 3), st.sampled_from(['limited', 'full']),
                  st.booleans()),
        max_size=4))
    needed = draw(st.none() | st.integers(60, 900).map(lambda m: NOW + timedelta(minutes=m)))
    a = UnitSnapshot(id=1, name='Alpha', lat=loc_a[0], lon=loc_a[1], readiness=READY_ORDER[ready_a],
                     break_off_min=brk_a, tier=TIER_ORDER[tier_a], capabilities=caps_a, **shared)
    b = UnitSnapshot(id=2, name='Bravo', lat=loc_b[0], lon=loc_b[1], readiness=READY_ORDER[ready_b],
                     break_off_min=brk_b, tier=TIER_ORDER[tier_b], capabilities=caps_b, **shared)
    # Same base: the route time is not monotone in distance (an island next door can take longer
    # than a city further away), so "at least as close" no longer implies "no later"; the same
    # base and transport do.
    del loc_b
    b = replace(b, lat=loc_a[0], lon=loc_a[1])
    # the names also decide ties; give the dominating unit either name
    if draw(st.booleans()):
        a, b = replace(a, id=2, name='Bravo'), replace(b, id=1, name='Alpha')
    fillers = random_units(draw(st.integers(0, 80)), draw(st.integers(0, 10**6)), site=site, spread=8)
    q = MatchQuery(GeoPoint(*site), 'RQ', tuple(reqs), now=NOW, needed_by=needed,
                   include_requesting_state=draw(st.booleans()), kinds=draw(st.sampled_from(
                       [frozenset(), frozenset({'EXPERTISE'}), frozenset({'ACTION_ARMED'})])))
    return q, a, b, fillers, draw(st.sampled_from([None, 1, 3, 10]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dominance_case())
def test_a_dominating_unit_never_ranks_below_the_unit_it_dominates(case):
    """If A leaves from the same base, is as ready, of a tier as high and holds a superset of B's
    capabilities at levels and quantities at least B's (same transport, notice and state), A never
    ranks below B: it arrives no later, so it is late only if B is, and has no less credit. An
    exact tie of score and ETA is broken by the stable key, either way."""
    q, a, b, fillers, limit = case
    result = rank_units(q, [a, b, *fillers], limit=limit)
    full = rank_units(q, [a, b, *fillers])
    reason = {e.unit_id: e.reason for e in full.excluded}
    if b.id not in reason:
        assert a.id not in reason, reason[a.id]
    by_id = {c.unit_id: c for c in full.candidates}

    def tied(ca, cb) -> bool:
        # Equal in exact arithmetic: distances from different coordinates may differ by a few
        # femtometres of float round-off, which is a tie, not a ranking.
        return ca.score == pytest.approx(cb.score, abs=1e-9) and ca.eta.total_min == pytest.approx(
            cb.eta.total_min, abs=1e-6
        )

    if a.id in by_id and b.id in by_id:
        ca, cb = by_id[a.id], by_id[b.id]
        assert ca.score <= cb.score + 1e-9
        assert ca.eta.total_min <= cb.eta.total_min + 1e-6
        assert ca.on_time or not cb.on_time
        if ca.rank > cb.rank:
            assert tied(ca, cb)
    shown = [c.unit_id for c in result.candidates]
    if b.id in shown and a.id not in shown:
        ca, cb = by_id[a.id], by_id[b.id]
        assert tied(ca, cb)


# --------------------------------------------------------------------------- determinism and limits


def test_same_input_gives_identical_output_in_any_order():
    """Two officers rank the same directory, one list shuffled: the board is identical."""
    units = random_units(300, seed=5)
    q = query(50.5, 11.0, 'RQ', reqs=[Requirement('NEG', 2), Requirement('EOD', critical=True)],
              needed_by=NOW + timedelta(hours=5), request_id=7)
    first = wire(rank_units(q, units))
    assert wire(rank_units(q, units)) == first
    shuffled = list(units)
    random.Random(1).shuffle(shuffled)
    assert wire(rank_units(q, shuffled)) == first
    assert wire(rank_units(q, UnitIndex.build(shuffled))) == first
    assert wire(rank_units(q, UnitIndex.build(shuffled), limit=20))['candidates'] == first['candidates'][:20]


@pytest.mark.parametrize('seed', range(6))
def test_the_shortlist_is_exactly_the_top_of_the_full_ranking(seed):
    """With a limit only the shortlist gets exact geodesics; it must equal the all-exact ranking."""
    rng = random.Random(seed)
    units = random_units(800, seed=seed, spread=25 if seed % 2 else 12)  # wide: road and helicopter limits
    index = UnitIndex.build(units)
    for _ in range(4):
        q = query(50 + rng.uniform(-5, 5), 10 + rng.uniform(-8, 8), rng.choice(['RQ', 'AA']),
                  reqs=[Requirement(c, rng.randint(1, 2), rng.choice(['limited', 'full']))
                        for c in rng.sample(CODES, rng.randint(0, 3))],
                  needed_by=rng.choice([None, NOW + timedelta(minutes=rng.uniform(150, 500))]),
                  request_id=rng.choice([None, 7]))
        full = rank_units(q, index)
        for limit in (0, 1, 10, 50):
            short = rank_units(q, index, limit=limit)
            assert short.candidates == full.candidates[:limit]
            # with a limit, out_of_range is decided for the measured units only (the others count
            # as candidates); every other exclusion is the same
            others = [e for e in full.excluded if e.reason != 'out_of_range']
            assert [e for e in short.excluded if e.reason != 'out_of_range'] == others
            unreached = {e.unit_id for e in full.excluded if e.reason == 'out_of_range'}
            assert {e.unit_id for e in short.excluded if e.reason == 'out_of_range'} <= unreached
            assert short.candidates_total >= full.candidates_total
            assert short.candidates_total + len(short.excluded) == len(units)
            # one full ranking shortened serves the board as the limited ranking would
            assert wire(full.top(limit))['candidates'] == wire(short)['candidates']


@pytest.mark.parametrize('side', [-1, 1])
def test_deadline_is_decided_on_the_exact_distance(side):
    """A unit 600 km away whose ETA is one second either side of the deadline, among 200 others:
    the lower-bound prefilter must not decide it."""
    site = (48.0, 8.0)
    others = random_units(200, seed=3, site=site, spread=10)
    lat, lon = point_at(*site, 37.0, 600)
    target = unit(1, 'XA', lat, lon, notice_international_min=180)
    free = rank_units(query(*site, 'RQ'), [target, *others])
    eta = next(c.eta for c in free.candidates if c.unit_id == 1)
    needed = NOW + timedelta(minutes=eta.total_min) + timedelta(seconds=side)
    q = query(*site, 'RQ', needed_by=needed)
    full = rank_units(q, [target, *others])
    (c,) = [c for c in full.candidates if c.unit_id == 1]
    assert c.on_time is (side > 0)
    assert (c.late_by_min is None) is (side > 0)
    assert [c.on_time for c in full.candidates] == sorted((c.on_time for c in full.candidates), reverse=True)
    for limit in (1, c.rank - 1, c.rank, c.rank + 1):
        assert rank_units(q, [target, *others], limit=limit).candidates == full.candidates[:limit]


def test_limited_result_counts_and_lazy_exclusions():
    """The board shows the best five of 500 units; the counts still account for every unit."""
    units = random_units(500, seed=11)
    result = rank_units(query(reqs=[Requirement('DIVE')]), units, limit=5)
    assert len(result.candidates) == 5
    assert result.candidates_total > 5
    assert result.candidates_total + len(result.excluded) == 500
    assert sum(result.excluded_counts.values()) == len(result.excluded)
    assert result.excluded[-1] == list(result.excluded)[-1]
    assert result.excluded[:3] == list(result.excluded)[:3]
    keys = [(e.state, e.name, e.unit_id) for e in result.excluded]
    assert keys == sorted(keys)
    data = RankingOut.of(result, max_excluded=10).wire()
    assert len(data['excluded']) == 10
    assert data['excluded_total'] == len(result.excluded)
    assert data['excluded_truncated'] is True
    assert data['candidates_truncated'] is True
    json.dumps(data)
    with pytest.raises(IndexError):
        result.excluded[len(result.excluded)]


def test_the_wire_shape_is_json_ready_with_iso_datetimes():
    """The API serialises the ranking for Amsterdam's maritime request as plain JSON."""
    units = directory_units()
    result = rank_units(query(52.37, 4.90, 'NL', reqs=[Requirement('ENV_MARITIME')],
                              needed_by=NOW + timedelta(hours=4)), units)
    data = json.loads(json.dumps(wire(result)))
    first = data['candidates'][0]
    assert datetime.fromisoformat(first['eta']['arrival']) == result.candidates[0].eta.arrival
    assert first['eta']['mode'] in ('road', 'helicopter', 'fixed_wing')
    assert data['candidates_total'] + data['excluded_total'] == len(units)
    assert set(data['excluded_counts']) <= set(REASONS)


# --------------------------------------------------------------------------- validation


def test_invalid_inputs_are_rejected_with_the_field_named():
    """A mistyped site or a naive timestamp is refused with the field named, never ranked."""
    with pytest.raises(ValueError, match="'lat' must be within -90..90"):
        query(95.0, 10.0)
    with pytest.raises(ValueError, match="'lon' must be a finite number"):
        query(50.0, math.nan)
    with pytest.raises(ValueError, match="'site' must be a GeoPoint"):
        MatchQuery((50.0, 10.0), 'RQ', (), now=NOW)
    with pytest.raises(ValueError, match="'now' must be a timezone-aware"):
        query(now=datetime(2027, 3, 10, 8, 0))
    with pytest.raises(ValueError, match="'kinds'"):
        query(kinds={'TEA'})
    with pytest.raises(ValueError, match="'min_level'"):
        Requirement('NEG', min_level='some')
    with pytest.raises(ValueError, match="'quantity'"):
        Requirement('NEG', quantity=0)
    with pytest.raises(ValueError, match="'lat'"):
        unit(1, lat=-91)
    with pytest.raises(ValueError, match="'readiness'"):
        unit(1, readiness='ASLEEP')
    with pytest.raises(ValueError, match='duplicate unit ids'):
        rank_units(query(), [unit(1), unit(1)])
    with pytest.raises(ValueError, match="'limit'"):
        rank_units(query(), [unit(1)], limit=-1)


def test_times_in_other_zones_are_normalised_to_utc():
    """A clock in local time is accepted and turned into UTC."""
    cet = datetime(2027, 3, 10, 9, 0, tzinfo=UTC).astimezone()
    q = query(now=cet)
    assert q.now.tzinfo is UTC
    assert q.now == NOW + timedelta(hours=1)


def test_no_units_no_requirements():
    """An empty directory ranks to nothing; a request naming no capability fits every unit."""
    result = rank_units(query(reqs=()), [])
    assert result.candidates == []
    assert len(result.excluded) == 0
    (c,) = rank_units(query(reqs=()), [unit(1, capabilities={})]).candidates
    assert c.cover == 1.0
    assert c.explanation[0] == 'No specific capability required'
