"""Time to the site first: labels adjust the order by at most a capped number of minutes, late units
stay on the board after the punctual ones, and the team says when a need can be met at the earliest."""

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from atlas_coord.domain.ranking import CapabilityHolding, Requirement, ScoreWeights, UnitIndex, rank_units
from atlas_coord.domain.team import propose_team
from tests.domain.test_ranking import NOW, point_at, query, random_units, unit

SITE = (52.23, 21.01)  # Warsaw, a metro hostage-taking
FULL = {'ENV_TRAIN': CapabilityHolding('full')}
LIMITED_CAP = {'ENV_TRAIN': CapabilityHolding('limited')}
TRAIN = (Requirement('ENV_TRAIN'),)


def warsaw(reqs=TRAIN, **kw):
    return query(*SITE, 'PL', reqs=reqs, kinds={'ACTION_ARMED'}, **kw)


def test_a_unit_19_km_away_with_limited_readiness_ranks_above_units_hours_away():
    """The issue's case: 19 km from the site, LIMITED, tier 3 and only 'limited' capability, against
    ready tier-1 units with full capability 1,000-1,900 km away by road: the nearby unit is first."""
    near = unit(1, 'LT', *point_at(*SITE, 40, 19), readiness='LIMITED', tier='T3', capabilities=LIMITED_CAP)
    far = [unit(10 + k, 'XA', *point_at(*SITE, 250 + k, 1000 + 100 * k), tier='T1', capabilities=FULL,
                name=f'Far {k}') for k in range(10)]
    result = rank_units(warsaw(), [*far, near])
    first, second = result.candidates[:2]
    assert first.unit_id == 1
    assert second.eta.total_min - first.eta.total_min > 10 * 60
    assert f'Ranked above {second.name}: ' in first.explanation[-1]
    assert 'sooner' in first.explanation[-1]


@pytest.mark.parametrize('seed', range(4))
def test_labels_never_outweigh_more_than_the_cap(seed):
    """Across 400 random units, whoever ranks above a punctual unit arrives at most the cap later:
    tier, capability level and readiness together are worth at most ``max_credit_min`` minutes."""
    units = random_units(400, seed=seed, site=SITE, spread=6)
    rng = random.Random(seed)
    for weights in (ScoreWeights(), ScoreWeights(max_credit_min=10, capability_min=50, tier_t1_min=40)):
        q = warsaw(reqs=[Requirement(c, rng.randint(1, 2), rng.choice(['limited', 'full']))
                         for c in rng.sample(['NEG', 'EOD', 'DIVE', 'ENV_BUILDING'], 2)])
        ranked = [c for c in rank_units(q, units, weights=weights).candidates if c.on_time]
        assert len(ranked) > 100
        for i, a in enumerate(ranked):
            credit = a.eta.total_min - a.score
            assert -1e-6 <= credit <= weights.max_credit_min + 1e-6
            for b in ranked[i + 1:]:
                assert a.eta.total_min <= b.eta.total_min + weights.max_credit_min + 1e-6


def test_a_tier_1_bonus_does_not_beat_a_36_minute_advantage():
    """Lynx Commando 1 km from the site against EKO Cobra 36 minutes further: time wins."""
    lynx = unit(1, 'XA', *point_at(*SITE, 0, 1), tier='T2', capabilities=LIMITED_CAP, name='Lynx')
    cobra = replace(lynx, id=2, name='Cobra', tier='T1', capabilities=FULL,
                    notice_international_min=lynx.notice_international_min + 36)
    first, second = rank_units(warsaw(), [cobra, lynx]).candidates
    assert (first.name, second.name) == ('Lynx', 'Cobra')
    assert first.explanation[-1] == 'Ranked above Cobra: 36 min sooner'


def test_the_explanation_names_the_credit_that_outweighs_a_few_minutes():
    """A ready tier-1 unit with full capability 12 minutes later ranks above a limited tier-3 one,
    and says why in minutes of credit."""
    weak = unit(1, 'XA', *point_at(*SITE, 0, 50), tier='T3', readiness='LIMITED', capabilities=LIMITED_CAP,
                name='Weak')
    strong = replace(weak, id=2, name='Strong', tier='T1', readiness='READY', capabilities=FULL,
                     notice_international_min=weak.notice_international_min + 12)
    first, second = rank_units(warsaw(), [weak, strong]).candidates
    assert (first.name, second.name) == ('Strong', 'Weak')
    assert first.eta.total_min - second.eta.total_min == pytest.approx(12)
    assert first.explanation[-1] == (
        'Ranked above Weak although 12 min later: better capability cover (+4 min credit); '
        'tier T1 over T3 (+6 min credit); ready readiness over limited (+7 min credit)')
    assert second.readiness.note == 'Limited readiness: 7 min less credit than a ready unit'
    # the last candidate has nobody to compare with
    assert not any(s.startswith('Ranked above') for s in second.explanation)


def test_a_deadline_nobody_meets_still_yields_a_full_ranking_by_lateness():
    """Needed in 20 minutes: nobody makes it, every capable unit is still ranked, late, by lateness."""
    units = [unit(k, 'XA', *point_at(*SITE, 30 * k, 50 + 80 * k), capabilities=FULL, tier=['T1', 'T2', 'T3'][k % 3],
                  readiness=['READY', 'LIMITED'][k % 2]) for k in range(1, 9)]
    result = rank_units(warsaw(needed_by=NOW + timedelta(minutes=20)), units)
    assert result.candidates_total == 8 and not result.excluded
    assert [c.on_time for c in result.candidates] == [False] * 8
    late = [c.late_by_min for c in result.candidates]
    assert late == sorted(late) and late[0] > 0
    for c in result.candidates:
        assert c.late_by_min == pytest.approx(c.eta.total_min - 20)
    assert result.candidates[0].explanation[-1].endswith('less late')


def test_punctual_units_come_first_however_good_the_late_ones_are():
    ok = unit(1, 'XA', *point_at(*SITE, 0, 100), tier='T3', readiness='LIMITED', capabilities=LIMITED_CAP, name='Ok')
    late = replace(ok, id=2, name='Late', tier='T1', readiness='READY', capabilities=FULL,
                   notice_international_min=ok.notice_international_min + 5)
    first = rank_units(warsaw(), [ok, late]).candidates[0]
    assert first.name == 'Late'  # no deadline: 5 minutes are outweighed by the credit
    deadline = NOW + timedelta(minutes=first.eta.total_min - 1)
    first, second = rank_units(warsaw(needed_by=deadline), [ok, late]).candidates
    assert (first.name, first.on_time, second.name, second.on_time) == ('Ok', True, 'Late', False)
    assert first.explanation[-1] == 'Ranked above Late: arrives before the deadline, Late is late'
    assert second.late_by_min == pytest.approx(1)


@pytest.mark.parametrize('seed', range(4))
def test_the_shortlist_is_exact_when_most_units_are_late(seed):
    """The pruning bounds with a tight deadline: few punctual units, the rest by lateness."""
    rng = random.Random(seed)
    index = UnitIndex.build(random_units(900, seed=seed, site=SITE, spread=15))
    for minutes in (60, 200, 400):
        q = warsaw(reqs=[Requirement(rng.choice(['NEG', 'EOD', 'DIVE']))], needed_by=NOW + timedelta(minutes=minutes))
        full = rank_units(q, index)
        assert any(not c.on_time for c in full.candidates)
        for limit in (1, 10, 50):
            assert rank_units(q, index, limit=limit).candidates == full.candidates[:limit]


def test_the_team_uses_late_units_says_so_and_reports_when_the_need_can_be_met():
    """Brussels Airport hijack needed in 30 minutes: the aircraft specialists are late, so they are
    not 'a need nobody can meet'; the proposal uses them, notes it and gives the earliest time."""
    site = (50.90, 4.48)
    units = [
        unit(1, 'FR', *point_at(*site, 200, 260), capabilities={'ENV_AIRCRAFT': CapabilityHolding('full')}, name='GIGN'),
        unit(2, 'FR', *point_at(*site, 200, 300), capabilities={'ENV_AIRCRAFT': CapabilityHolding('full')}, name='RAID'),
        unit(3, 'NL', *point_at(*site, 0, 5), capabilities={'NEG': CapabilityHolding('full')}, name='DSI',
             notice_international_min=10),
    ]
    reqs = (Requirement('ENV_AIRCRAFT', min_level='full'), Requirement('NEG'))
    q = query(*site, 'BE', reqs=reqs, needed_by=NOW + timedelta(minutes=30))
    result = rank_units(q, units)
    assert [c.name for c in result.candidates] == ['DSI', 'GIGN', 'RAID']
    team = propose_team(q, result)
    assert team.uncovered == []
    assert [m.name for m in team.members] == ['DSI', 'GIGN']
    (need,) = team.late_needs
    gign = result.candidates[1]
    assert (need.code, need.units, need.earliest_arrival) == ('ENV_AIRCRAFT', ['GIGN'], gign.eta.arrival)
    assert need.late_by_min == pytest.approx(gign.late_by_min)
    assert 'ENV_AIRCRAFT can be met at the earliest' in need.message and 'after the deadline' in need.message
    assert any(n.startswith('Late units used: GIGN (FR, late by') for n in team.notes)
    # a need no unit holds is still reported as unmet
    team = propose_team(replace(q, requirements=(*reqs, Requirement('DIVE'))), rank_units(
        replace(q, requirements=(*reqs, Requirement('DIVE'))), units))
    assert [u.code for u in team.uncovered] == ['DIVE']
    assert team.uncovered[0].message == 'No available unit holds DIVE at any level'


def test_team_size_comes_from_the_units_personnel():
    """GIGN's own entry lists 1,000 personnel; a unit without a figure shows the tier's typical size, marked."""
    gign = unit(1, 'FR', *SITE, tier='T1', personnel=1000, capabilities=FULL, name='GIGN')
    other = replace(gign, id=2, name='Other', personnel=0)
    result = rank_units(warsaw(), [gign, other])
    lines = {c.name: c.explanation for c in result.candidates}
    assert 'Tier T1 team (1,000 personnel, deliberate hostage rescue)' in lines['GIGN']
    assert 'Tier T1 team (typically 26 members, tier default, deliberate hostage rescue)' in lines['Other']
    assert not any('26 members' in s for s in lines['GIGN'])


def test_ranking_weights_are_validated_naming_the_key():
    with pytest.raises(ValueError, match="Unknown ranking weight 'max_credit_minutes'"):
        ScoreWeights.from_mapping({'max_credit_minutes': 30})
    with pytest.raises(ValueError, match="'tier_t1_min' must be a finite number >= 0"):
        ScoreWeights.from_mapping({'tier_t1_min': -1})
    assert ScoreWeights.from_mapping({'max_credit_min': 20}).max_credit_min == 20
