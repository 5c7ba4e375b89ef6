"""The coverage map's speed (issue #17): full recomputation for every capability over the whole
grid <= 1 s; one readiness change <= 100 ms; peak memory printed.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_coverage [--quick] [--units 1000]

Two parts:

* **the seeded directory** (39 units) on the 50 km grid: the per-unit x cell matrix from the
  transport model (built once per directory and worker; a figure, not a goal), the full
  recomputation, one readiness change;
* **at scale**: ``--units`` synthetic units (each of the 21 seeded capabilities with probability
  1/2, a third tier 1) on the 25 km grid (10,159 cells), with synthetic minutes (the matrix's
  values do not change the minima's cost): full recomputation, and 200 readiness changes applied
  incrementally; the **baseline** in the same run is a full recomputation per change (what a
  cache without the incremental update would pay).

Prints one line per part, the memory line and a ``goals:`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import tracemalloc
from datetime import datetime
from importlib import resources

import numpy as np

from atlas_coord.domain.coverage.grid import load_grid
from atlas_coord.domain.coverage.model import Coverage
from atlas_coord.domain.coverage.times import unit_cell_minutes
from atlas_coord.domain.ranking.types import CapabilityHolding, UnitSnapshot


def seeded_units() -> list[UnitSnapshot]:
    doc = json.loads(resources.files('atlas_coord.seed').joinpath('directory.json').read_text(encoding='utf-8'))
    return [UnitSnapshot(id=k + 1, state=u['state'], name=u['name'], lat=u['lat'], lon=u['lon'],
                         stations=tuple((s['lat'], s['lon']) for s in u['stations']), tier=u['tier'],
                         air_transport=u['air_transport'], notice_domestic_min=u['notice_domestic_min'],
                         notice_international_min=u['notice_international_min'],
                         capabilities={c['code']: CapabilityHolding(c['level'], c['quantity'])
                                       for c in u['capabilities']})
            for k, u in enumerate(doc['units'])]


def synthetic(n: int, caps: list[str], rng: np.random.Generator) -> list[UnitSnapshot]:
    return [UnitSnapshot(id=k + 1, state='FR', name=f'u{k}', lat=48.0, lon=2.0, tier='T1' if k % 3 == 0 else 'T2',
                         capabilities={c: CapabilityHolding('full') for c in caps if rng.random() < 0.5})
            for k in range(n)]


def _ms(f) -> float:
    t0 = time.perf_counter()
    f()
    return (time.perf_counter() - t0) * 1000.0


def changes(cov: Coverage, ids: list[int], rng: np.random.Generator, n: int) -> list[float]:
    out = []
    for _ in range(n):
        uid = int(rng.choice(ids))
        out.append(_ms(lambda uid=uid: cov.set_available(uid, not bool(cov.available[cov.pos[uid]]))))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='skip the seeded matrix build (about 15-30 s)')
    parser.add_argument('--units', type=int, default=1000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(17)
    units = seeded_units()
    caps = sorted({c for u in units for c in u.capabilities})
    if not args.quick:
        grid = load_grid(50)
        t0 = time.perf_counter()
        minutes = unit_cell_minutes(units, grid)
        build_s = time.perf_counter() - t0
        cov = Coverage(units, minutes)
        full = statistics.median(_ms(cov.recompute) for _ in range(5))
        one = changes(cov, [u.id for u in units], rng, 100)
        print(f'coverage seeded units={len(units)} cells={grid.n} matrix_build_s={build_s:.1f} '
              f'full_ms={full:.1f} change_median_ms={statistics.median(one):.2f} change_max_ms={max(one):.2f}',
              flush=True)
    grid = load_grid(25)
    many = synthetic(args.units, caps, rng)
    minutes = rng.uniform(20, 900, (len(many), grid.n)).astype(np.float32)
    tracemalloc.start()
    cov = Coverage(many, minutes)
    full_runs = [_ms(cov.recompute) for _ in range(5)]
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full = statistics.median(full_runs)
    inc = changes(cov, cov.ids, rng, 200)
    base = [_ms(cov.recompute) for _ in range(10)]  # the baseline: a full recomputation per change
    p95 = float(np.percentile(inc, 95))
    print(f'coverage scale units={len(many)} cells={grid.n} keys={len(cov.key_codes())} full_ms={full:.1f} '
          f'change_median_ms={statistics.median(inc):.2f} change_p95_ms={p95:.2f} change_max_ms={max(inc):.2f} '
          f'baseline_full_per_change_ms={statistics.median(base):.1f}', flush=True)
    print(f'coverage memory matrix_mb={minutes.nbytes / 2**20:.1f} peak_mb={peak / 2**20:.1f} '
          f'(tracemalloc peak of building the minima, matrix excluded)', flush=True)
    load = os.getloadavg()[0]
    speedup = statistics.median(base) / max(statistics.median(inc), 1e-6)
    print(f"goals: full<=1000ms {'met' if full <= 1000 else 'NOT met'} ({full:.0f} ms); "
          f"change<=100ms {'met' if p95 <= 100 else 'NOT met'} (p95 {p95:.1f} ms, "
          f"{speedup:.0f}x the baseline of a full recomputation per change) "
          f"({datetime.now():%Y-%m-%d %H:%M}, load {load:.1f})", flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
