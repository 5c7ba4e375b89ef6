"""One-to-many route minutes (domain/transport/many.py) equal best_route's, pair by pair, and the
mode they report plans the same route on its own (route_by).

The ranking's exact ETAs come from :func:`minutes_many`; the routes it shows from
:func:`best_route`. If the two disagreed, a unit would be ranked on one time and shown another.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.air import Airlift, airports
from atlas_coord.domain.transport.land import land_mask
from atlas_coord.domain.transport.many import SiteSide, base_side, minutes_many
from atlas_coord.domain.transport.plan import TransportOptions, best_route, route_by
from atlas_coord.domain.transport.route import Place


def _seeded_bases() -> list[tuple[float, float]]:
    doc = json.loads(resources.files('atlas_coord.seed').joinpath('directory.json').read_text(encoding='utf-8'))
    return [(u['lat'], u['lon']) for u in doc['units']] + [(s['lat'], s['lon']) for u in doc['units'] for s in u['stations']]


def _compare(bases: np.ndarray, sites: list[GeoPoint], rng: np.random.Generator) -> int:
    side = base_side(bases[:, 0], bases[:, 1])
    n = len(bases)
    heli = rng.random(n) < 0.5
    cruise = np.where(rng.random(n) < 0.5, rng.choice([480.0, 640.0, 780.0], n), np.nan)
    mob = rng.choice([0.0, 45.0, 180.0], n)
    mob = rng.choice([-90.0, 0.0, 45.0, 180.0], n)
    names = {480.0: 'C-295', 640.0: 'C-130J', 780.0: 'A400M'}
    # where each aircraft waits: none (ready where the unit boards), an airport, or a base off the list
    hubs = airports()
    home = [None if k == 0 else (hubs.places[int(rng.integers(len(hubs.places)))] if k == 1 else
                                 Place('XXXX', GeoPoint(float(rng.uniform(40, 60)), float(rng.uniform(-5, 25)))))
            for k in rng.integers(0, 3, n)]
    fleet = [None if np.isnan(cruise[i]) else
             Airlift(names[float(cruise[i])], float(mob[i]), 10, *((home[i].point, home[i].name) if home[i] else ()))
             for i in range(n)]
    rows = np.array([a.base_row if a else (np.nan, np.nan, -1) for a in fleet])
    compared = 0
    for site in sites:
        how = np.zeros(n, dtype=np.int64)
        got = minutes_many(side, SiteSide(site), heli, cruise, mob, rows, how)
        for i in range(n):
            options = TransportOptions(bool(heli[i]), fleet[i])
            route = best_route(GeoPoint(*bases[i]), site, options)
            if route is None:
                assert math.isinf(got[i]), (bases[i], site)
            else:
                assert got[i] == pytest.approx(route.total_minutes, abs=1e-6), (bases[i], site)
                # the mode it reports plans the same route alone (what the ranking shows)
                shown = route_by(GeoPoint(*bases[i]), site, int(how[i]), options)
                assert shown is not None and shown.total_minutes == pytest.approx(route.total_minutes, abs=1e-6)
                assert shown.main_mode == route.main_mode, (bases[i], site, how[i])
                compared += 1
    return compared


def test_one_to_many_equals_best_route_for_the_seeded_bases():
    rng = np.random.default_rng(13)
    bases = np.array(_seeded_bases())
    sites = [GeoPoint(float(rng.uniform(36, 69)), float(rng.uniform(-9, 34))) for _ in range(12)]
    sites += [GeoPoint(50.85, 4.35), GeoPoint(38.72, -9.14), GeoPoint(35.9, 14.5), GeoPoint(60.17, 24.94),
              GeoPoint(43.0, 5.0)]  # Brussels, Lisbon, Malta, Helsinki, the Gulf of Lion (at sea)
    assert _compare(bases, sites, rng) > 300


def test_one_to_many_equals_best_route_for_synthetic_units():
    rng = np.random.default_rng(617)
    bases = np.c_[rng.uniform(35, 70, 150), rng.uniform(-10, 35, 150)]
    sites = [GeoPoint(float(rng.uniform(36, 69)), float(rng.uniform(-9, 34))) for _ in range(8)]
    assert _compare(bases, sites, rng) > 300


def test_batched_land_checks_answer_as_one_segment_at_a_time():
    rng = np.random.default_rng(5)
    mask = land_mask()
    a = np.c_[rng.uniform(36, 69, 600), rng.uniform(-9, 34, 600)]
    for span in (0.3, 3.0, 15.0):
        b = a + rng.uniform(-span, span, a.shape)
        batch = mask.segments_on_land(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        single = [mask.segment_on_land(*a[i], *b[i]) for i in range(len(a))]
        assert batch.tolist() == single
        assert 0 < batch.sum() < len(a)  # both answers occur
