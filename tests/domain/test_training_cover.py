"""What a proposed training takes away: only what the proposal adds is reported (no app, no database)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from atlas_coord.domain import training_cover as cover
from atlas_coord.domain.training_rules import EU_CAPITALS, CoverageUnit, Deployment, GuardUnit, UnitWindow


def at(day, hour, minute=0):
    """A March 2027 instant in UTC."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


MORNING = (at(10, 8), at(10, 12))
AFTERNOON = (at(10, 10), at(10, 16))
BELGIUM = {'BE': ['ENV_AIRCRAFT']}
DSU = GuardUnit('BE-DSU', 'BE', frozenset({'ENV_AIRCRAFT'}), True)


def test_subtract_keeps_what_no_covering_window_overlaps():
    assert cover.subtract(AFTERNOON, [MORNING]) == [(at(10, 12), at(10, 16))]
    assert cover.subtract(AFTERNOON, []) == [AFTERNOON]
    assert cover.subtract(AFTERNOON, [(at(10, 12), at(10, 13))]) == [(at(10, 10), at(10, 12)), (at(10, 13), at(10, 16))]
    assert cover.subtract(MORNING, [(at(10, 6), at(10, 18))]) == []
    assert cover.subtract(MORNING, [(at(10, 12), at(10, 14))]) == [MORNING]  # half-open: touching is not overlapping


@given(st.lists(st.tuples(st.integers(0, 23), st.integers(1, 6)), max_size=5))
def test_subtract_leaves_pieces_inside_the_window_and_outside_every_cover(covers):
    window = (at(10, 6), at(10, 18))
    covering = [(at(10, h), at(10, min(h + d, 23))) for h, d in covers]
    for a, b in cover.subtract(window, covering):
        assert window[0] <= a < b <= window[1]
        assert all(b <= s or a >= e for s, e in covering)


def test_merge_busy_joins_the_intervals_of_each_unit():
    merged = cover.merge_busy({'A': [MORNING]}, {'A': [AFTERNOON], 'B': [MORNING]}, {})
    assert merged == {'A': [MORNING, AFTERNOON], 'B': [MORNING]}


def test_a_state_already_without_its_only_unit_is_not_blamed_on_the_afternoon_exercise():
    """A morning exercise already takes the DSU 08:00-12:00; an afternoon one from 10:00 to 16:00
    adds Belgium's gap from 12:00 to 16:00 only."""
    busy_without = {'BE-DSU': [MORNING]}
    busy_with = cover.merge_busy(busy_without, {'BE-DSU': [AFTERNOON]})

    (added,) = cover.readiness_added(BELGIUM, [DSU], busy_with, busy_without, AFTERNOON)

    assert (added.state, added.capability) == ('BE', 'ENV_AIRCRAFT')
    assert (added.window_start, added.window_end) == (at(10, 12), at(10, 16))


def test_nothing_is_added_when_the_proposal_changes_nothing():
    busy = {'BE-DSU': [AFTERNOON]}
    assert cover.readiness_added(BELGIUM, [DSU], busy, busy, AFTERNOON) == []
    assert cover.readiness_added(BELGIUM, [DSU], {}, {}, AFTERNOON) == []


def test_only_added_rechecks_the_part_of_a_window_that_was_not_bad_already():
    calls = []
    with_ = cover.readiness_added(BELGIUM, [DSU], {'BE-DSU': [AFTERNOON]}, {}, AFTERNOON)
    without = cover.readiness_added(BELGIUM, [DSU], {'BE-DSU': [MORNING]}, {}, MORNING)

    added = cover.only_added(with_, without, lambda c, piece: calls.append(piece) or [c])

    assert calls == [(at(10, 12), at(10, 16))]
    assert len(added) == 1


def test_a_deployed_unit_is_one_conflict_counting_the_occurrences_it_misses():
    weekly = [(at(d, 8), at(d, 16)) for d in (3, 10, 17)]
    deployments = [Deployment('AT-COBRA', at(1, 0), None, 'AT')]

    (conflict,) = cover.deployed_added(['AT-COBRA', 'FR-GIGN'], weekly, deployments)

    assert conflict.unit_id == 'AT-COBRA'
    assert conflict.window_start == at(3, 8)
    assert conflict.details['occurrences_affected'] == 3


def test_overlaps_are_reported_per_added_unit_and_occurrence():
    windows = {'AT-COBRA': [UnitWindow('AT-COBRA', 'AT', at(10, 14), at(10, 18), 'T-ROPE', 'Rope')]}
    conflicts = cover.overlaps_added(['AT-COBRA', 'FR-GIGN'], [MORNING, AFTERNOON], windows)
    assert [(c.unit_id, c.window_start, c.window_end) for c in conflicts] == [('AT-COBRA', at(10, 14), at(10, 16))]


def test_coverage_reports_only_capitals_the_added_unit_served():
    """The DSU is the only aircraft unit near Brussels; taking it off duty leaves Brussels out of
    reach, and only capitals the DSU itself reached within the threshold are checked."""
    brussels = next(p for p in EU_CAPITALS if p.name == 'Brussels')
    dsu = CoverageUnit('BE-DSU', 'BE', brussels.lat, brussels.lon, frozenset({'ENV_AIRCRAFT'}), True)
    far = CoverageUnit('PT-GOE', 'PT', 38.7, -9.1, frozenset({'ENV_AIRCRAFT'}), True)

    def eta(unit, lat, lon):
        near = unit.id == 'BE-DSU' and (lat, lon) == (brussels.lat, brussels.lon)
        return 20.0 if near else 400.0

    conflicts = cover.coverage_added(['BE-DSU'], [MORNING], [dsu, far], 60, {'BE-DSU': [MORNING]}, {}, eta)

    assert [(c.point, c.capability, c.figure) for c in conflicts] == [('Brussels', 'ENV_AIRCRAFT', 400.0)]


def test_an_eta_that_cannot_be_computed_counts_as_unreachable_and_is_asked_once():
    asked = []

    def broken(unit, lat, lon):
        asked.append(unit.id)
        raise ValueError('no route')

    eta = cover.cached_eta(broken)
    unit = CoverageUnit('X', 'BE', 50.0, 4.0, frozenset(), True)
    assert eta(unit, 1.0, 2.0) == math.inf
    assert eta(unit, 1.0, 2.0) == math.inf
    assert asked == ['X']


def test_conflicts_are_listed_readiness_first_then_coverage_deployment_and_overlap():
    busy = {'BE-DSU': [AFTERNOON]}
    readiness = cover.readiness_added(BELGIUM, [DSU], busy, {}, AFTERNOON)
    overlap = cover.overlaps_added(['BE-DSU'], [AFTERNOON], {'BE-DSU': [UnitWindow('BE-DSU', 'BE', *MORNING, 'T')]})
    deployed = cover.deployed_added(['BE-DSU'], [AFTERNOON], [Deployment('BE-DSU', at(1, 0), None, 'BE')])

    ordered = sorted(overlap + deployed + readiness, key=cover.sort_key)

    assert [c.kind for c in ordered] == ['readiness_guard', 'unit_deployed', 'unit_overlap']
