"""Planning rules for joint trainings: who is double-booked, deployed, or needed at home."""

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_coord.domain.training_rules import (
    EU_CAPITALS,
    CoverageUnit,
    Deployment,
    GuardUnit,
    UnitWindow,
    coverage_threshold_check,
    decide_acceptance,
    deployed_conflicts,
    find_overlaps,
    promote_from_waitlist,
    readiness_guard,
)
from atlas_coord.serializers.conflicts import ConflictOut


def at(day, hour, minute=0):
    """A March 2027 instant in UTC."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


TRAINING = (at(10, 8), at(10, 16))  # the proposed exercise: 10 March 2027, 08:00-16:00 UTC


# --------------------------------------------------------------------------- double booking


def test_a_unit_already_in_another_training_is_reported_with_the_overlap():
    """Cobra is invited to the aircraft exercise but already joins a rope-access course 14:00-18:00."""
    existing = [
        UnitWindow('AT-COBRA', 'AT', at(10, 14), at(10, 18), 'T-ROPE', 'Rope access course'),
        UnitWindow('SK-LYNX', 'SK', at(10, 16), at(10, 20), 'T-NEG'),  # starts as ours ends: fine
        UnitWindow('DE-GSG9', 'DE', at(10, 9), at(10, 10), 'T-OTHER'),  # not invited
    ]
    (conflict,) = find_overlaps(['AT-COBRA', 'SK-LYNX'], *TRAINING, existing)

    assert conflict.kind == 'unit_overlap'
    assert (conflict.unit_id, conflict.state) == ('AT-COBRA', 'AT')
    assert (conflict.window_start, conflict.window_end, conflict.figure) == (at(10, 14), at(10, 16), 120)
    assert conflict.details['training_id'] == 'T-ROPE'
    assert conflict.message == ('Unit AT-COBRA is already in "Rope access course" '
                                'from 2027-03-10 14:00 to 16:00 UTC.')


def test_moving_a_training_does_not_conflict_with_its_own_old_slot():
    existing = [UnitWindow('AT-COBRA', 'AT', at(10, 6), at(10, 12), 'T-AIR')]

    assert find_overlaps(['AT-COBRA'], *TRAINING, existing, ignore_training_id='T-AIR') == []
    assert len(find_overlaps(['AT-COBRA'], *TRAINING, existing)) == 1


def test_a_deployed_unit_cannot_train():
    """ARAS is deployed with no planned return; EKAM comes back at 09:30; TEK came back yesterday."""
    deployments = [
        ('LT-ARAS', at(9, 22), None),
        Deployment('GR-EKAM', at(9, 6), at(10, 9, 30), state='GR'),
        ('HU-TEK', at(8, 6), at(9, 18)),
    ]
    conflicts = deployed_conflicts(['LT-ARAS', 'GR-EKAM', 'HU-TEK'], *TRAINING, deployments)

    assert [(c.unit_id, c.window_start, c.window_end, c.figure) for c in conflicts] == [
        ('GR-EKAM', at(10, 8), at(10, 9, 30), 90),
        ('LT-ARAS', at(10, 8), at(10, 16), 480),
    ]
    assert conflicts[0].state == 'GR'
    assert conflicts[1].message == ('Unit LT-ARAS is deployed from 2027-03-10 08:00 to 16:00 UTC '
                                    '(with no planned return).')


# --------------------------------------------------------------------------- readiness guard

BELGIUM = {'BE': ['ENV_AIRCRAFT']}


def test_belgium_would_lose_its_only_aircraft_unit():
    """DSU is Belgium's only unit for aircraft; sending it to the exercise leaves nobody."""
    units = [GuardUnit('BE-DSU', 'BE', frozenset({'ENV_AIRCRAFT', 'NEG'}), True)]
    busy = {'BE-DSU': [TRAINING]}

    (conflict,) = readiness_guard(BELGIUM, units, busy, TRAINING)

    assert conflict.kind == 'readiness_guard'
    assert (conflict.state, conflict.capability, conflict.figure) == ('BE', 'ENV_AIRCRAFT', 0)
    assert (conflict.window_start, conflict.window_end) == TRAINING
    assert conflict.details['holders'] == 1
    assert conflict.message == ('Belgium would have no READY unit with ENV_AIRCRAFT '
                                'from 2027-03-10 08:00 to 16:00 UTC (1 unit holds it; 0 left).')


def test_the_guard_names_the_exact_hours_when_nobody_is_left():
    """Germany: GSG 9 trains all day; SEK BW is deployed 11:00-13:30 and again from 15:00 with no
    end; the Berlin team is UNAVAILABLE at baseline. Germany is bare 11:00-13:30 and 15:00-16:00."""
    units = [
        GuardUnit('DE-GSG9', 'DE', frozenset({'ENV_MARITIME', 'ENV_AIRCRAFT'}), True),
        GuardUnit('DE-SEK-BW', 'DE', frozenset({'ENV_MARITIME'}), True),
        GuardUnit('DE-GSG9-B', 'DE', frozenset({'ENV_MARITIME'}), False),
        GuardUnit('NL-DSI', 'NL', frozenset({'ENV_MARITIME'}), True),  # other states don't count
    ]
    busy = {
        'DE-GSG9': [TRAINING],
        'DE-SEK-BW': [(at(10, 11), at(10, 13, 30)), (at(10, 15), None)],
    }
    conflicts = readiness_guard({'DE': ['ENV_MARITIME']}, units, busy, TRAINING)

    assert [(c.window_start, c.window_end) for c in conflicts] == [
        (at(10, 11), at(10, 13, 30)), (at(10, 15), at(10, 16))]
    assert conflicts[0].details == {'holders': 3, 'ready_at_baseline': 2,
                                    'busy_units': ['DE-GSG9', 'DE-SEK-BW']}
    assert conflicts[0].message == ('Germany would have no READY unit with ENV_MARITIME from 2027-03-10 '
                                    '11:00 to 13:30 UTC (3 units hold it, 2 READY at baseline; 0 left).')


def test_back_to_back_commitments_make_one_gap_and_a_relief_unit_closes_it():
    units = [GuardUnit('PT-GOE', 'PT', frozenset({'ENV_BUS'}), True),
             GuardUnit('PT-GIOE', 'PT', frozenset({'ENV_BUS'}), True)]
    busy = {'PT-GOE': [TRAINING], 'PT-GIOE': [(at(10, 6), at(10, 12)), (at(10, 12), at(10, 20))]}

    (conflict,) = readiness_guard({'PT': ['ENV_BUS']}, units, busy, TRAINING)
    assert (conflict.window_start, conflict.window_end) == TRAINING

    busy['PT-GIOE'] = [(at(10, 6), at(10, 12)), (at(10, 12, 1), at(10, 20))]  # GIOE free 12:00-12:01
    conflicts = readiness_guard({'PT': ['ENV_BUS']}, units, busy, TRAINING)
    assert [(c.window_start, c.window_end) for c in conflicts] == [
        (at(10, 8), at(10, 12)), (at(10, 12, 1), at(10, 16))]


def test_a_state_whose_units_are_all_unavailable_or_lacking_is_reported():
    units = [GuardUnit('MT-SIU', 'MT', frozenset({'ENV_MARITIME'}), False)]

    conflicts = readiness_guard({'MT': ['ENV_MARITIME', 'DIVE']}, units, {}, TRAINING)

    assert [(c.capability, c.message.split('(')[1]) for c in conflicts] == [
        ('DIVE', 'no unit holds it).'),
        ('ENV_MARITIME', '1 unit holds it, 0 READY at baseline; 0 left).'),
    ]


def test_states_with_a_spare_unit_pass():
    units = [GuardUnit('FR-GIGN', 'FR', frozenset({'ENV_AIRCRAFT'}), True),
             GuardUnit('FR-RAID', 'FR', frozenset({'ENV_AIRCRAFT'}), True)]

    assert readiness_guard({'FR': ['ENV_AIRCRAFT']}, units, {'FR-GIGN': [TRAINING]}, TRAINING) == []


MINUTES = st.integers(0, 12 * 60)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(MINUTES, MINUTES), max_size=3), min_size=1, max_size=4),
       st.lists(st.booleans(), min_size=4, max_size=4))
def test_the_guard_agrees_with_checking_every_minute(schedules, ready_flags):
    """Breakpoints, not sampling, yet the result equals a minute-by-minute brute force."""
    t0 = at(10, 6)
    window = (t0 + timedelta(minutes=60), t0 + timedelta(minutes=600))
    units = [GuardUnit(f'U{i}', 'BE', frozenset({'K9'}), ready_flags[i]) for i in range(len(schedules))]
    busy = {f'U{i}': [(t0 + timedelta(minutes=min(a, b)), t0 + timedelta(minutes=max(a, b))) for a, b in ivs]
            for i, ivs in enumerate(schedules)}

    conflicts = readiness_guard({'BE': ['K9']}, units, busy, window)

    def bare(minute):
        t = t0 + timedelta(minutes=minute)
        return not any(u.ready_baseline and not any(s <= t < e for s, e in busy[u.id]) for u in units)

    expected = {m for m in range(60, 600) if bare(m)}
    reported = {m for c in conflicts for m in range(60, 600)
                if c.window_start <= t0 + timedelta(minutes=m) < c.window_end}
    assert reported == expected
    assert all(a.window_end < b.window_start for a, b in zip(conflicts, conflicts[1:], strict=False))


# --------------------------------------------------------------------------- coverage threshold

PARIS_AND_BRUSSELS = [('Paris', 48.86, 2.35), ('Brussels', 50.85, 4.35)]
ETA = {  # minutes from each unit to each city, as the ranking engine would say
    ('FR-GIGN', 'Paris'): 20, ('FR-RAID', 'Paris'): 25, ('BE-DSU', 'Paris'): 90,
    ('FR-GIGN', 'Brussels'): 95, ('FR-RAID', 'Brussels'): 100, ('BE-DSU', 'Brussels'): 15,
}
CITY_AT = {(lat, lon): name for name, lat, lon in PARIS_AND_BRUSSELS}


def fake_eta(calls):
    def eta(unit, lat, lon):
        calls.append((unit.id, CITY_AT[(lat, lon)]))
        return ETA[calls[-1]]
    return eta


COVER_UNITS = [
    CoverageUnit('FR-GIGN', 'FR', 48.78, 2.12, frozenset({'ENV_AIRCRAFT', 'ENV_TRAIN'}), True),
    CoverageUnit('FR-RAID', 'FR', 48.76, 2.21, frozenset({'ENV_AIRCRAFT'}), True),
    CoverageUnit('BE-DSU', 'BE', 50.85, 4.35, frozenset({'ENV_AIRCRAFT'}), True),
]


def test_paris_would_wait_ninety_minutes_while_both_french_units_are_away():
    """GIGN trains all day, RAID is deployed 10:00-12:00: only DSU from Brussels is left for
    Paris (90 min against a 60 min threshold). Brussels stays covered by DSU."""
    calls = []
    busy = {'FR-GIGN': [TRAINING], 'FR-RAID': [(at(10, 10), at(10, 12))]}

    conflicts = coverage_threshold_check(PARIS_AND_BRUSSELS, ['ENV_AIRCRAFT'], 60, TRAINING,
                                         COVER_UNITS, busy, fake_eta(calls))

    (conflict,) = conflicts
    assert conflict.kind == 'coverage_threshold'
    assert (conflict.point, conflict.capability, conflict.figure, conflict.unit_id) == (
        'Paris', 'ENV_AIRCRAFT', 90, 'BE-DSU')
    assert (conflict.window_start, conflict.window_end) == (at(10, 10), at(10, 12))
    assert conflict.message == ('Paris: the first available unit with ENV_AIRCRAFT would need 90 min '
                                'from 2027-03-10 10:00 to 12:00 UTC (threshold 60 min).')
    # each ETA is asked once per unit and city, and only for units that are ever free
    assert sorted(calls) == [('BE-DSU', 'Brussels'), ('BE-DSU', 'Paris'),
                             ('FR-RAID', 'Brussels'), ('FR-RAID', 'Paris')]


def test_no_capable_unit_at_all_is_its_own_figure():
    """Only GIGN can do trains; while it trains, nobody can reach Paris or Brussels for a train."""
    conflicts = coverage_threshold_check(PARIS_AND_BRUSSELS, ['ENV_TRAIN'], 120, TRAINING,
                                         COVER_UNITS, {'FR-GIGN': [TRAINING]}, fake_eta([]))

    assert [(c.point, c.figure) for c in conflicts] == [('Brussels', 'no capable unit'), ('Paris', 'no capable unit')]
    assert conflicts[1].message == ('Paris would have no available unit with ENV_TRAIN '
                                    'from 2027-03-10 08:00 to 16:00 UTC (threshold 120 min).')


def test_a_worsening_gap_is_one_conflict_with_the_worst_figure():
    """GIGN away 08-16, RAID away 12-14: Paris is over a 15 min threshold all day, worst 90 min."""
    busy = {'FR-GIGN': [TRAINING], 'FR-RAID': [(at(10, 12), at(10, 14))]}

    (conflict,) = coverage_threshold_check([PARIS_AND_BRUSSELS[0]], ['ENV_AIRCRAFT'], 15, TRAINING,
                                           COVER_UNITS, busy, fake_eta([]))

    assert (conflict.window_start, conflict.window_end, conflict.figure) == (*TRAINING, 90)


def test_unreachable_and_unready_units_do_not_cover():
    units = [CoverageUnit('IS-VIK', 'IS', 64.15, -21.94, frozenset({'ENV_MARITIME'}), True),
             CoverageUnit('IE-ERU', 'IE', 53.35, -6.26, frozenset({'ENV_MARITIME'}), False)]

    (conflict,) = coverage_threshold_check([('Reykjavík', 64.15, -21.94)], ['ENV_MARITIME'], 60, TRAINING,
                                           units, {}, lambda u, lat, lon: None if u.id == 'IS-VIK' else 5)

    assert conflict.figure == 'no capable unit'


def test_the_default_check_points_are_the_eu_capitals_and_four_neighbours():
    names = [p.name for p in EU_CAPITALS]
    assert len(names) == len(set(names)) == 31
    assert {'Oslo', 'Reykjavík', 'Bern', 'London', 'Valletta', 'Nicosia', 'Lisbon', 'Helsinki'} <= set(names)
    assert all(34 < p.lat < 66 and -25 < p.lon < 35 for p in EU_CAPITALS)
    name, lat, lon = EU_CAPITALS[0]  # plain triples
    assert (name, lat, lon) == ('Vienna', 48.21, 16.37)


def test_conflicts_serialise_to_json():
    units = [GuardUnit('BE-DSU', 'BE', frozenset({'ENV_AIRCRAFT'}), True)]
    (conflict,) = readiness_guard(BELGIUM, units, {'BE-DSU': [TRAINING]}, TRAINING)

    data = json.loads(json.dumps(ConflictOut.of(conflict).wire()))
    assert data['window_start'] == '2027-03-10T08:00:00Z'
    assert (data['kind'], data['state'], data['figure']) == ('readiness_guard', 'BE', 0)
    assert data['message'].startswith('Belgium would have no READY unit')


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match='timezone-aware'):
        find_overlaps(['X'], datetime(2027, 3, 10, 8), at(10, 16), [])
    with pytest.raises(ValueError, match='end after'):
        readiness_guard(BELGIUM, [], {}, (at(10, 16), at(10, 8)))


# --------------------------------------------------------------------------- places and waiting list


def test_a_yes_becomes_waitlisted_when_the_exercise_is_full():
    assert decide_acceptance(12, 11) == 'accepted'
    assert decide_acceptance(12, 12) == 'waitlisted'
    assert decide_acceptance(None, 500) == 'accepted'
    with pytest.raises(ValueError):
        decide_acceptance(-1, 0)


def test_a_freed_place_goes_to_the_first_on_the_waiting_list():
    """Capacity 3: two accepted, one declined (ex-accepted), three waiting. One place is free."""
    participants = [
        ('AT-COBRA', 'accepted', 1), ('SK-LYNX', 'accepted', 2), ('HU-TEK', 'declined', 3),
        ('SI-SEP', 'waitlisted', 6), ('HR-LUCKO', 'waitlisted', 4), ('CZ-URNA', 'WAITLISTED', 5),
        ('PL-BOA', 'invited', 0),
    ]
    assert promote_from_waitlist(3, participants) == ['HR-LUCKO']
    assert promote_from_waitlist(5, participants) == ['HR-LUCKO', 'CZ-URNA', 'SI-SEP']
    assert promote_from_waitlist(None, participants) == ['HR-LUCKO', 'CZ-URNA', 'SI-SEP']


def test_shrinking_the_capacity_never_demotes_anyone():
    assert promote_from_waitlist(1, [('A', 'accepted', 1), ('B', 'accepted', 2), ('C', 'waitlisted', 3)]) == []


def test_unknown_participant_status_is_refused():
    with pytest.raises(ValueError, match='unknown participant status'):
        promote_from_waitlist(2, [('A', 'maybe', 1)])


def test_eta_of_infinity_counts_as_unreachable():
    units = [CoverageUnit('A', 'BE', 0, 0, frozenset({'K9'}), True)]
    (conflict,) = coverage_threshold_check([('X', 0, 0)], ['K9'], 30, TRAINING, units, {},
                                           lambda u, lat, lon: math.inf)
    assert conflict.figure == 'no capable unit'
