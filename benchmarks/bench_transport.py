"""Per-call cost of the transport model (issue #13): ``landmass_of`` and ``best_route``.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_transport

Figures, all after warm-up (the land data, raster, road graph and airports loaded once):

* ``landmass_of``: random points over Europe (about half at sea), uncached STRtree lookups;
* ``best_route`` cold: random station and site each call (nothing remembered per point);
* ``best_route`` ranking-like: the 39 seeded unit bases against a new random site per query, as
  the ranking calls it (a station's airports are remembered across queries).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.transport.air import Airlift
from atlas_coord.domain.transport.land import land
from atlas_coord.domain.transport.plan import TransportOptions, best_route
from atlas_coord.domain.transport.road import road_network

SEED = Path(__file__).resolve().parents[1] / 'atlas_coord' / 'seed' / 'directory.json'
OPTIONS = TransportOptions(helicopter=True, airlift=Airlift('C-130J', 120, 60))


def _point(rng: random.Random) -> GeoPoint:
    return GeoPoint(rng.uniform(36.0, 66.0), rng.uniform(-10.0, 30.0))


def _per_call_us(fn, calls: list) -> float:
    """Median over 5 rounds of the mean per-call time, microseconds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for args in calls:
            fn(*args)
        rounds.append((time.perf_counter() - start) / len(calls) * 1e6)
    return statistics.median(rounds)


def main() -> None:
    start = time.perf_counter()
    data = land()
    road_network()
    print(f'load (land, raster, road graph): {time.perf_counter() - start:.2f} s')
    rng = random.Random(13)
    points = [(_point(rng),) for _ in range(5000)]
    print(f'landmass_of: {_per_call_us(data.landmass_of, points):.1f} us per call (5,000 random points)')
    for _ in range(30):
        best_route(_point(rng), _point(rng), OPTIONS)
    cold = [(_point(rng), _point(rng), OPTIONS) for _ in range(400)]
    for label, chosen in (
        ('site on land', [c for c in cold if data.landmass_of(c[1]) is not None]),
        ('site at sea', [c for c in cold if data.landmass_of(c[1]) is None]),
    ):
        start = time.perf_counter()
        for args in chosen:
            best_route(*args)
        per_call = (time.perf_counter() - start) / len(chosen) * 1e6
        print(f'best_route cold, {label}: {per_call:.0f} us per call ({len(chosen)} random pairs, first call each)')
    units = json.loads(SEED.read_text())['units']
    stations = [GeoPoint(u['lat'], u['lon']) for u in units]
    sites = [_point(rng) for _ in range(60)]
    for site in sites[:10]:
        for station in stations:
            best_route(station, site, OPTIONS)
    start = time.perf_counter()
    calls = 0
    for site in sites[10:]:
        for station in stations:
            best_route(station, site, OPTIONS)
            calls += 1
    print(f'best_route ranking-like ({len(stations)} stations x 50 new sites): '
          f'{(time.perf_counter() - start) / calls * 1e6:.0f} us per call')


if __name__ == '__main__':
    main()
