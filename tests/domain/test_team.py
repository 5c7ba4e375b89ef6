"""Who should go together: the smallest team that covers the request and arrives earliest."""

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import (
    CapabilityHolding,
    MatchQuery,
    Requirement,
    UnitIndex,
    UnitSnapshot,
    rank_units,
)
from atlas_coord.domain.team import EXACT_MAX_UNITS, propose_team
from atlas_coord.serializers.team import TeamProposalOut

NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
SITE = (50.85, 4.35)  # Brussels


def at(km, azimuth=90.0):
    g = Geodesic.WGS84.Direct(SITE[0], SITE[1], azimuth, km * 1000.0)
    return g['lat2'], g['lon2']


def unit(uid, km, caps, *, state='XA', azimuth=90.0, **kw):
    lat, lon = at(km, azimuth)
    holdings = {}
    for code, spec in caps.items():
        level, qty = spec if isinstance(spec, tuple) else (spec, None)
        holdings[code] = CapabilityHolding(level, qty)
    kw.setdefault('air_transport', 'helicopter')
    return UnitSnapshot(id=uid, state=state, name=kw.pop('name', f'Unit {uid}'), lat=lat, lon=lon,
                        capabilities=holdings, **kw)


def request(*reqs, **kw):
    return MatchQuery(GeoPoint(*SITE), 'BE', tuple(reqs), now=NOW, **kw)


def team_for(query, units, **kw):
    """The team proposed from the ranking of ``units`` (the proposal never ranks on its own)."""
    return propose_team(query, rank_units(query, units), **kw)


def wire(team):
    return TeamProposalOut.model_validate(team).wire()


NEEDS = (Requirement('NEG', 2, 'full', critical=True), Requirement('DIVE'), Requirement('EOD'))


def test_two_nearby_units_beat_one_distant_unit_that_has_everything():
    """Brussels needs two negotiator teams, divers and bomb disposal. Lille and Antwerp together
    have all of it within two hours; Vienna has everything alone but arrives hours later."""
    units = [
        unit(1, 100, {'NEG': ('full', 1), 'EOD': 'full'}, name='Lille'),
        unit(2, 150, {'NEG': ('full', 1), 'DIVE': 'limited'}, name='Antwerp', azimuth=10),
        unit(3, 900, {'NEG': ('full', 2), 'DIVE': 'full', 'EOD': 'full'}, name='Vienna'),
    ]
    team = team_for(request(*NEEDS), units)
    assert [m.name for m in team.members] == ['Lille', 'Antwerp']
    assert team.uncovered == []
    assert team.covers_everything
    assert team.latest_eta_min == max(m.eta_min for m in team.members)
    assert team.members[0].contributes == {'NEG': 1, 'EOD': 1}
    assert team.members[1].contributes == {'NEG': 1, 'DIVE': 1}
    assert team.members[0].why.startswith('Provides NEG, EOD; arrives in ')
    assert team.method == 'exact'


def test_one_unit_suffices_when_it_arrives_as_early():
    """The nearest unit has everything: no need to wait for, or add, anyone else."""
    units = [
        unit(1, 90, {'NEG': ('full', 2), 'DIVE': 'full', 'EOD': 'full'}),
        unit(2, 95, {'NEG': ('full', 1), 'EOD': 'full'}),
        unit(3, 100, {'NEG': ('full', 1), 'DIVE': 'full'}),
    ]
    team = team_for(request(*NEEDS), units)
    assert [m.unit_id for m in team.members] == [1]


def test_a_need_nobody_can_meet_is_named_and_the_rest_is_covered():
    """Nobody in range has CBRN: the proposal says so and still covers negotiators and divers."""
    units = [unit(1, 100, {'NEG': ('full', 2)}), unit(2, 120, {'DIVE': 'full'})]
    team = team_for(request(Requirement('NEG', 2, 'full'), Requirement('DIVE'), Requirement('CBRN')), units)
    assert {m.unit_id for m in team.members} == {1, 2}
    (gap,) = team.uncovered
    assert (gap.code, gap.required, gap.available, gap.shortfall, gap.kind) == ('CBRN', 1, 0, 1, 'quantity')
    assert gap.message == 'No available unit holds CBRN at any level'
    assert not team.covers_everything


def test_a_short_quantity_reports_the_shortfall_and_takes_all_there_is():
    units = [unit(1, 100, {'SNIPER_OBS': ('full', 2)}), unit(2, 300, {'SNIPER_OBS': ('full', 1)}),
             unit(3, 50, {'DIVE': 'full'})]
    team = team_for(request(Requirement('SNIPER_OBS', 5)), units)
    assert {m.unit_id for m in team.members} == {1, 2}
    (gap,) = team.uncovered
    assert (gap.available, gap.shortfall) == (3, 2)
    assert gap.message == 'Available units hold only 3 of the 5 SNIPER_OBS required (any level)'


def test_limited_holdings_count_only_for_a_limited_minimum():
    """A 'limited' dive capability does not satisfy a request for full-level divers."""
    units = [unit(1, 50, {'DIVE': 'limited'}), unit(2, 400, {'DIVE': 'full'})]
    full = team_for(request(Requirement('DIVE', min_level='full')), units)
    assert [m.unit_id for m in full.members] == [2]
    limited = team_for(request(Requirement('DIVE', min_level='limited')), units)
    assert [m.unit_id for m in limited.members] == [1]


def test_quantity_none_counts_as_one():
    units = [unit(1, 50, {'NEG': 'full'}), unit(2, 60, {'NEG': 'full'}), unit(3, 700, {'NEG': ('full', 2)})]
    team = team_for(request(Requirement('NEG', 2)), units)
    assert [m.unit_id for m in team.members] == [1, 2]


def test_redundancy_puts_two_units_on_each_critical_need():
    """Bomb disposal is critical: with redundancy the team brings EOD from two different units."""
    units = [
        unit(1, 100, {'EOD': ('full', 3), 'NEG': 'full'}),
        unit(2, 200, {'EOD': 'full'}),
        unit(3, 250, {'NEG': 'full'}),
    ]
    reqs = (Requirement('EOD', critical=True), Requirement('NEG'))
    plain = team_for(request(*reqs), units)
    assert [m.unit_id for m in plain.members] == [1]
    safe = team_for(request(*reqs), units, redundancy=True)
    assert [m.unit_id for m in safe.members] == [1, 2]  # NEG is not critical: one provider is enough
    assert safe.redundancy is True
    assert safe.uncovered == []


def test_redundancy_impossible_with_a_single_provider_is_reported():
    units = [unit(1, 100, {'EOD': 'full'}), unit(2, 120, {'NEG': 'full'})]
    team = team_for(request(Requirement('EOD', critical=True), Requirement('NEG')), units, redundancy=True)
    assert {m.unit_id for m in team.members} == {1, 2}
    (gap,) = team.uncovered
    assert (gap.code, gap.kind, gap.available, gap.shortfall) == ('EOD', 'redundancy', 1, 1)
    assert 'no redundancy' in gap.message


def test_excluded_units_are_never_proposed():
    units = [
        unit(1, 20, {'DIVE': 'full'}, readiness='UNAVAILABLE'),
        unit(2, 30, {'DIVE': 'full'}, state='BE'),
        unit(3, 300, {'DIVE': 'full'}),
    ]
    team = team_for(request(Requirement('DIVE')), units)
    assert [m.unit_id for m in team.members] == [3]


def test_no_requirement_proposes_the_earliest_unit():
    units = [unit(1, 300, {}), unit(2, 80, {})]
    team = team_for(request(), units)
    assert [m.unit_id for m in team.members] == [2]
    assert team.uncovered == []


def test_nobody_available():
    team = team_for(request(Requirement('DIVE')), [unit(1, 50, {'DIVE': 'full'}, readiness='UNAVAILABLE')])
    assert team.members == []
    assert team.method == 'none'
    assert team.latest_arrival is None
    assert [g.code for g in team.uncovered] == ['DIVE']


def test_many_equal_units_use_the_greedy_solver_and_still_cover():
    """Thirty single-skill units at the same base: too many for the exact search, greedy covers."""
    codes = ['NEG', 'DIVE', 'EOD', 'K9', 'CBRN', 'TACMED']
    units = [unit(i, 80, {codes[i % len(codes)]: 'full'}) for i in range(EXACT_MAX_UNITS + 5)]
    team = team_for(request(*(Requirement(c) for c in codes)), units)
    assert team.method == 'greedy'
    assert team.uncovered == []
    assert sorted(c for m in team.members for c in m.contributes) == sorted(codes)
    assert len(team.members) == len(codes)


def test_from_a_ranking_result_and_a_limited_one():
    units = [unit(1, 100, {'NEG': ('full', 1), 'EOD': 'full'}), unit(2, 150, {'NEG': ('full', 1), 'DIVE': 'full'}),
             unit(3, 900, {'NEG': ('full', 2), 'DIVE': 'full', 'EOD': 'full'})]
    q = request(*NEEDS)
    full = propose_team(q, rank_units(q, units))
    assert full.complete is True
    assert [m.unit_id for m in full.members] == [1, 2]
    assert wire(team_for(q, UnitIndex.build(units))) == wire(full)
    short = propose_team(q, rank_units(q, units, limit=1))
    assert short.complete is False
    assert short.notes


def test_same_request_same_team_in_any_order():
    rng = random.Random(4)
    units = [unit(i, rng.uniform(30, 600), {c: rng.choice(['full', 'limited']) for c in
                                            rng.sample(['NEG', 'DIVE', 'EOD', 'K9'], rng.randint(1, 3))},
                  azimuth=rng.uniform(0, 360)) for i in range(20)]
    q = request(Requirement('NEG'), Requirement('DIVE', min_level='full'), Requirement('EOD', 2, critical=True))
    first = wire(team_for(q, units, redundancy=True))
    shuffled = list(units)
    rng.shuffle(shuffled)
    assert wire(team_for(q, shuffled, redundancy=True)) == first
    json.dumps(first)
    assert first['members']
    assert all(datetime.fromisoformat(m['arrival']) for m in first['members'])


# --------------------------------------------------------------------------- optimality


def _contrib(u, r):
    h = u.capabilities.get(r.code)
    if h is None or not (h.level == 'full' or r.min_level == 'limited'):
        return 0
    return h.counted


@st.composite
def small_instance(draw):
    codes = ['NEG', 'DIVE', 'EOD', 'K9']
    units = []
    for i in range(draw(st.integers(1, 7))):
        caps = {}
        for c in codes:
            if draw(st.booleans()):
                caps[c] = (draw(st.sampled_from(['full', 'limited'])), draw(st.sampled_from([None, 1, 2])))
        units.append(unit(i + 1, draw(st.sampled_from([40, 80, 80, 200, 450, 700])), caps,
                          azimuth=draw(st.sampled_from([0.0, 90.0, 180.0])),
                          air_transport=draw(st.sampled_from(['helicopter', 'none']))))
    reqs = draw(st.lists(st.builds(Requirement, st.sampled_from(codes), st.integers(1, 3),
                                   st.sampled_from(['limited', 'full']), st.booleans()),
                         min_size=1, max_size=3, unique_by=lambda r: r.code))
    return units, tuple(reqs), draw(st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instance())
def test_the_team_is_optimal_against_brute_force(case):
    """For small directories, check every subset: no cover arrives earlier, none is smaller."""
    units, reqs, redundancy = case
    q = request(*reqs)
    team = team_for(q, units, redundancy=redundancy)
    ranked = rank_units(q, units).candidates
    by_id = {u.id: u for u in units}
    eta = {c.unit_id: c.eta.total_min for c in ranked}
    pool = [c.unit_id for c in ranked]
    targets = [min(r.quantity, sum(_contrib(by_id[i], r) for i in pool)) for r in reqs]
    needs = []
    for r, t in zip(reqs, targets, strict=True):
        providers = sum(1 for i in pool if _contrib(by_id[i], r) > 0)
        needs.append(0 if t == 0 else (min(2, providers) if redundancy and r.critical else 1))

    def covers(ids):
        return all(
            sum(_contrib(by_id[i], r) for i in ids) >= t and sum(1 for i in ids if _contrib(by_id[i], r) > 0) >= n
            for r, t, n in zip(reqs, targets, needs, strict=True))

    chosen = [m.unit_id for m in team.members]
    if not any(targets):
        assert chosen == []
        return
    assert covers(chosen)
    best = min(
        (max(eta[i] for i in ids), len(ids))
        for k in range(1, len(pool) + 1) for ids in itertools.combinations(pool, k) if covers(ids)
    )
    assert (team.latest_eta_min, len(chosen)) == best
    for gap in team.uncovered:
        assert gap.shortfall > 0


def test_members_are_listed_by_arrival():
    units = [unit(1, 400, {'DIVE': 'full'}), unit(2, 50, {'NEG': 'full'})]
    team = team_for(request(Requirement('DIVE'), Requirement('NEG')), units)
    assert [m.unit_id for m in team.members] == [2, 1]
    assert team.latest_arrival == team.members[-1].arrival


def test_uncovered_messages_name_the_level():
    units = [unit(1, 100, {'DIVE': 'limited'})]
    team = team_for(request(Requirement('DIVE', min_level='full')), units)
    assert team.uncovered[0].message == 'No available unit holds DIVE at full level'


@pytest.mark.parametrize('redundancy', [False, True])
def test_the_directory_gets_a_team_for_a_maritime_siege(redundancy):
    """A ferry is seized off Rotterdam: maritime, divers, negotiators and snipers."""
    import json as _json
    from pathlib import Path

    data = _json.loads((Path(__file__).resolve().parents[2] / 'atlas_coord/seed/directory.json').read_text())
    units = [
        UnitSnapshot(id=i, state=u['state'], name=u['name'], lat=u['lat'], lon=u['lon'],
                     stations=tuple((s['lat'], s['lon']) for s in u['stations']), tier=u['tier'],
                     air_transport=u['air_transport'], notice_domestic_min=u['notice_domestic_min'],
                     notice_international_min=u['notice_international_min'],
                     capabilities={c['code']: CapabilityHolding(c['level'], c['quantity'])
                                   for c in u['capabilities']})
        for i, u in enumerate(data['units'], start=1)
    ]
    q = MatchQuery(GeoPoint(51.95, 4.14), 'NL', (Requirement('ENV_MARITIME', min_level='full', critical=True),
                                      Requirement('DIVE', critical=True), Requirement('NEG', 4),
                                      Requirement('SNIPER_OBS', 8)), now=NOW)
    team = team_for(q, units, redundancy=redundancy)
    assert team.members
    assert all(m.state != 'NL' for m in team.members)
    covered = {c for m in team.members for c in m.contributes}
    uncovered = {g.code for g in team.uncovered if g.kind == 'quantity'}
    assert covered | uncovered == {'ENV_MARITIME', 'DIVE', 'NEG', 'SNIPER_OBS'}
    assert wire(replace(team, notes=[]))['latest_eta_min'] == round(max(m.eta_min for m in team.members), 2)


def test_the_team_weighs_every_candidate_but_plans_only_its_members_routes():
    """A siege near Lyon needing negotiators and divers: the ranking behind the team holds every
    candidate (the team must weigh them all) yet plans no route until a candidate is read; the team
    then plans its members' and the board its ten shown, and the proposal is the one an
    all-explained ranking gives."""
    from tests.factories import seed_airlift, seed_snapshots

    units, airlift = seed_snapshots(), seed_airlift()
    q = MatchQuery(GeoPoint(45.76, 4.84), 'FR', (Requirement('NEG', 2), Requirement('DIVE')), now=NOW,
                   needed_by=NOW + timedelta(hours=3))
    lazy = rank_units(q, units, airlift=airlift)
    assert len(lazy.candidates) > 20 and lazy.candidates.explained == 0
    team = propose_team(q, lazy)
    assert team.members
    assert lazy.candidates.explained <= len(team.members) + len(team.late_needs)
    for member in team.members:
        assert member.eta_min == lazy.candidates[member.rank - 1].eta.total_min
    board = lazy.top(10)
    assert [c.rank for c in board.candidates] == list(range(1, 11))
    assert lazy.candidates.explained <= 10 + len(team.members) + len(team.late_needs)

    eager = rank_units(q, units, airlift=airlift)
    list(eager.candidates)  # every route planned, every sentence written
    assert eager.candidates.explained == len(eager.candidates)
    assert propose_team(q, eager) == team
