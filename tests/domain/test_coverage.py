"""The coverage map's arithmetic: the first capable, available unit's minutes to each cell.

The matrix is computed once for a pool of units on a slice of the 50 km grid (the transport model
is the costly part); hypothesis then varies who is available and who is withheld.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_coord.domain.coverage.grid import REGIONS, load_grid
from atlas_coord.domain.coverage.model import ANY_TIER1, Coverage, unit_keys
from atlas_coord.domain.coverage.summary import summaries, thin_spells
from atlas_coord.domain.coverage.times import unit_cell_minutes
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking.routes import unit_eta_minutes
from atlas_coord.domain.ranking.types import CapabilityHolding, UnitSnapshot

CAPS = ('ENV_MARITIME', 'DIVE', 'EOD', 'K9')


def _seeded_units() -> list[UnitSnapshot]:
    doc = json.loads(resources.files('atlas_coord.seed').joinpath('directory.json').read_text(encoding='utf-8'))
    return [
        UnitSnapshot(id=k + 1, state=u['state'], name=u['name'], lat=u['lat'], lon=u['lon'],
                     stations=tuple((s['lat'], s['lon']) for s in u['stations']), tier=u['tier'],
                     air_transport=u['air_transport'], notice_domestic_min=u['notice_domestic_min'],
                     notice_international_min=u['notice_international_min'],
                     capabilities={c['code']: CapabilityHolding(c['level'], c['quantity']) for c in u['capabilities']})
        for k, u in enumerate(doc['units'])
    ]


def _grid():
    full = load_grid(50)
    return full.take(np.arange(0, full.n, 37))


def _units_at_cells(grid, start_id: int) -> list[UnitSnapshot]:
    """Units based exactly at some land cells' centres, one capability each."""
    land = np.flatnonzero(~grid.sea)[::9]
    return [UnitSnapshot(id=start_id + j, state=grid.state_code(i), name=f'cell {i}', lat=float(grid.lat[i]),
                         lon=float(grid.lon[i]), notice_domestic_min=20 + j, notice_international_min=240,
                         capabilities={CAPS[j % len(CAPS)]: CapabilityHolding('full')}, tier='T2')
            for j, i in enumerate(land)]


@pytest.fixture(scope='module')
def world():
    grid = _grid()
    units = _seeded_units() + _units_at_cells(grid, 1000)
    return grid, units, unit_cell_minutes(units, grid)


def test_a_cells_minutes_are_the_rankings_eta_of_its_first_unit(world):
    grid, units, minutes = world
    for i in range(0, grid.n, 11):
        site = GeoPoint(float(grid.lat[i]), float(grid.lon[i]))
        for k in range(0, len(units), 7):
            u = units[k]
            notice = u.notice_domestic_min if u.state == grid.state_code(i) else u.notice_international_min
            eta = unit_eta_minutes(u, site, float(notice))
            assert (math.isinf(minutes[k, i]) if eta is None else minutes[k, i] == pytest.approx(eta, abs=1e-3))


def test_a_sub_grid_gives_the_same_minutes(world):
    grid, units, minutes = world
    cells = np.arange(3, grid.n, 13)
    assert np.array_equal(unit_cell_minutes(units[:12], grid.take(cells)), minutes[:12][:, cells])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_removing_a_unit_never_shortens_any_cells_time(world, data):
    grid, units, minutes = world
    available = data.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    cov = Coverage(units, minutes, available)
    gone = data.draw(st.sets(st.sampled_from([u.id for u in units]), max_size=6))
    after = cov.what_if(gone)
    for key, now in cov.best.items():
        assert (after[key] >= now).all(), key
    for uid in gone:
        cov.set_available(uid, False)
    for key in after:
        assert (cov.times(key) >= after[key]).all()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_an_incremental_readiness_change_equals_a_full_recomputation(world, data):
    grid, units, minutes = world
    start = data.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    cov = Coverage(units, minutes, start)
    flips = data.draw(st.lists(st.tuples(st.sampled_from([u.id for u in units]), st.booleans()), max_size=8))
    for uid, flag in flips:
        change = cov.set_available(uid, flag)
        for key, (cells, values) in change.cells.items():
            assert np.array_equal(cov.times(key)[cells], values)
    final = [bool(v) for v in cov.available]
    fresh = Coverage(units, minutes, final)
    for key in fresh.key_codes():
        assert np.array_equal(cov.times(key), fresh.times(key)), key


def test_the_cell_holding_a_units_base_waits_at_most_its_notice_to_move(world):
    grid, units, minutes = world
    cov = Coverage(units, minutes)
    placed = [u for u in units if u.id >= 1000]
    assert placed
    for u in placed:
        cell = grid.cell_of(u.lat, u.lon)
        for key in unit_keys(u):
            assert cov.times(key)[cell] <= u.notice_domestic_min


def test_any_tier1_is_the_fastest_tier1_unit(world):
    grid, units, minutes = world
    cov = Coverage(units, minutes)
    tier1 = [k for k, u in enumerate(units) if u.tier == 'T1']
    assert np.array_equal(cov.times(ANY_TIER1), minutes[tier1].min(axis=0))


def test_a_state_withholding_its_units_leaves_a_gap_the_summary_names(world):
    grid, units, minutes = world
    cov = Coverage(units, minutes)
    before = cov.times('ENV_MARITIME')
    baltic = [u.id for u in units if u.state in REGIONS['Baltic']]
    after = cov.what_if(baltic)['ENV_MARITIME']
    rows = {(s.kind, s.code): s for s in summaries(grid, after, 240.0)}
    assert rows[('region', 'Baltic')].worst_min >= rows[('region', 'Baltic')].median_min
    assert 0.0 <= rows[('region', 'Baltic')].area_beyond <= 1.0
    assert thin_spells(grid, before, before, 240.0) == []
    assert set(thin_spells(grid, before, np.full_like(before, np.inf), 240.0)) >= {'Baltic'}


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_the_training_rules_check_agrees_with_the_maps_what_if_at_every_cell(world, data):
    """The guard's rule (``coverage_threshold_check``) fed with the map's minutes blocks a point for a
    capability exactly where the map's what-if leaves the cell beyond the threshold."""
    from datetime import UTC, datetime

    from atlas_coord.domain.training_rules import CoverageUnit, coverage_threshold_check

    grid, units, minutes = world
    cells = list(range(0, grid.n, 5))
    busy_ids = data.draw(st.sets(st.sampled_from([u.id for u in units]), max_size=12))
    threshold = data.draw(st.sampled_from([30.0, 60.0, 120.0, 240.0, 480.0]))
    cap = data.draw(st.sampled_from([*CAPS, 'NEG']))
    window = (datetime(2027, 3, 10, 8, tzinfo=UTC), datetime(2027, 3, 10, 16, tzinfo=UTC))
    row = {u.id: k for k, u in enumerate(units)}
    at = {(float(grid.lat[c]), float(grid.lon[c])): c for c in cells}

    def eta(unit, lat, lon):
        return float(minutes[row[unit.id], at[(lat, lon)]])

    rule_units = [CoverageUnit(u.id, u.state, u.lat, u.lon, unit_keys(u), True) for u in units]
    points = [(f'cell {c}', float(grid.lat[c]), float(grid.lon[c])) for c in cells]
    blocked = {c.point for c in coverage_threshold_check(points, [cap], threshold, window, rule_units,
                                                         {u: [window] for u in busy_ids}, eta)}
    after = Coverage(units, minutes, [True] * len(units)).what_if(busy_ids, [cap]).get(cap)
    after = np.full(grid.n, np.inf) if after is None else after
    assert blocked == {f'cell {c}' for c in cells if after[c] > threshold}
