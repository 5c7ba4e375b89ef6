"""Benchmark of :func:`atlas_coord.domain.ranking.rank_units` against the naive way.

Run from the repository root::

    python -m benchmarks.bench_ranking            # N = 40, 1,000, 10,000, 100,000
    python -m benchmarks.bench_ranking --quick    # fewer repetitions

Synthetic units are spread over Europe (lat 35-70, lon -10-35) with a seeded RNG: 30 pseudo-states
on a coarse grid, tiers, helicopters/fixed wing, extra stations for one unit in ten, a readiness mix
and capability mixes by tier. Each repetition ranks a different random query (site, 1-4
requirements, requesting state, kinds, a deadline on half of them) with ``limit=50`` against a
:class:`UnitIndex` built once per N, which is how the service uses it; the build time is printed
as ``build_ms``.

"Naive" is the issue's naive geopy loop: ``geopy.distance.geodesic`` from the site to every base of
every unit in a Python loop, the scalar ETA and score per unit, then a full sort. Its scalar ETA is
the straight-line model (``estimate_eta``, kept in :mod:`benchmarks.baseline_ranking` since the
application dropped it): cheaper per unit than any route model, so the ratio does not flatter. It is run for
N <= 10,000 only, with fewer repetitions at 10,000 (it takes about 2 s per query there), and
``naive_ratio`` is the ratio of the two medians.

"Reference" is the ranking as it was before it became a package (issue #12), kept frozen in
:mod:`benchmarks.baseline_ranking`: the straight-line ETA model. Issue #12's goal (new code within
10 % of the old) compared two codes of one model; the transport model (issue #13) is a different
model, so the old code's time is printed as a reference, not judged (``ref_ms``). It runs the same
queries against its own index in the same run, interleaved query by query, so both see the same load.

Output, one line per N, then the memory line and a goals line::

    ranking n=10000 median_ms=8.1 p95_ms=20.3 ref_ms=2.4 naive_ratio=240.0 build_ms=...
    ranking n=100000 peak_mem_mb=...   (tracemalloc peak of one ranking, numpy buffers included)
    goals: 10k<=10ms met; 100k<=100ms met; naive_ratio>=100x met; reference: straight-line model ... (2026-11-30 ..., load ...)

``build_ms`` includes each base's side of the routes (:meth:`UnitIndex.route_side`), built once per
directory.

No asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np

from atlas_coord.domain.eta import DEFAULT_ETA
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import (
    CapabilityHolding,
    MatchQuery,
    Requirement,
    UnitIndex,
    UnitSnapshot,
    rank_units,
)
from atlas_coord.domain.transport.params import TransportParams

from . import baseline_ranking as old

LIMIT = 50
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
ENVIRONMENTS = ['ENV_AIRCRAFT', 'ENV_BUS', 'ENV_TRAIN', 'ENV_MARITIME', 'ENV_RURAL']
MODULES = ['NEG', 'SNIPER_OBS', 'ACCESS_ROPE', 'AIR_INSERT', 'BREACH_MECH', 'BREACH_EXPL', 'EOD', 'DIVE',
           'CBRN', 'K9', 'TACMED', 'C2', 'RECON_SURV', 'UAS', 'UGV', 'ARMOUR']
COUNTED = {'NEG', 'SNIPER_OBS', 'TACMED'}
#: probability of holding a non-building capability, by tier
HOLD_P = {'T1': 0.75, 'T2': 0.5, 'T3': 0.25}
QUERY_CODES = ENVIRONMENTS + MODULES + ['ENV_BUILDING']


def synthetic_units(n: int, seed: int = 617) -> list[UnitSnapshot]:
    """``n`` plausible units over Europe, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    lats = rng.uniform(35, 70, n)
    lons = rng.uniform(-10, 35, n)
    tiers = rng.choice(['T1', 'T2', 'T3'], n, p=[0.2, 0.5, 0.3])
    air = rng.choice(['helicopter', 'none', 'fixed_wing'], n, p=[0.6, 0.35, 0.05])
    readiness = rng.choice(['READY', 'LIMITED', 'TRAINING', 'COMMITTED', 'UNAVAILABLE'], n,
                           p=[0.7, 0.1, 0.1, 0.05, 0.05])
    units = []
    for i in range(n):
        lat, lon = float(lats[i]), float(lons[i])
        state = f'S{int((lat - 35) // 7) * 6 + int((lon + 10) // 7.5):02d}'  # 5 x 6 grid of states
        stations: tuple[tuple[float, float], ...] = ()
        if rng.random() < 0.1:
            k = int(rng.integers(1, 4))
            stations = tuple(
                (float(np.clip(lat + rng.uniform(-3, 3), 35, 70)), float(np.clip(lon + rng.uniform(-3, 3), -10, 35)))
                for _ in range(k)
            )
        tier = str(tiers[i])
        caps = {'ENV_BUILDING': CapabilityHolding('full')}
        for code in ENVIRONMENTS + MODULES:
            if rng.random() < HOLD_P[tier]:
                level = 'full' if rng.random() < 0.7 else 'limited'
                qty = int(rng.integers(1, 9)) if code in COUNTED else None
                caps[code] = CapabilityHolding(level, qty)
        ready = str(readiness[i])
        units.append(UnitSnapshot(
            id=i + 1, state=state, name=f'Unit {i + 1:06d}', lat=lat, lon=lon, stations=stations,
            tier=tier, personnel=int(rng.integers(15, 400)), air_transport=str(air[i]),
            notice_domestic_min=int(rng.choice([15, 20, 30, 45])),
            notice_international_min=int(rng.choice([120, 150, 180, 240, 300])),
            capabilities=caps, readiness=ready,
            break_off_min=int(rng.choice([30, 60, 90])) if ready == 'TRAINING' and rng.random() < 0.7 else None,
            committed_request_id=int(rng.integers(1, 20)) if ready == 'COMMITTED' else None,
        ))
    return units


def synthetic_queries(count: int, seed: int = 2008) -> list[MatchQuery]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        lat, lon = float(rng.uniform(36, 69)), float(rng.uniform(-9, 34))
        state = f'S{int((lat - 35) // 7) * 6 + int((lon + 10) // 7.5):02d}'
        codes = rng.choice(QUERY_CODES, int(rng.integers(1, 5)), replace=False)
        reqs = tuple(
            Requirement(str(c), quantity=int(rng.integers(1, 4)) if c in COUNTED else 1,
                        min_level='full' if rng.random() < 0.3 else 'limited', critical=bool(rng.random() < 0.3))
            for c in codes
        )
        kinds = frozenset(rng.choice(['ACTION_ARMED', 'EXPERTISE', 'EQUIPMENT'], int(rng.integers(1, 3)),
                                     replace=False).tolist())
        needed_by = NOW + timedelta(minutes=float(rng.uniform(180, 600))) if rng.random() < 0.5 else None
        out.append(MatchQuery(GeoPoint(lat, lon), state, reqs, now=NOW, kinds=kinds, needed_by=needed_by,
                               request_id=int(rng.integers(1, 20))))
    return out


# --------------------------------------------------------------------------- the naive way


def naive_rank(query: MatchQuery, units: list[UnitSnapshot], limit: int = LIMIT) -> list[tuple]:
    """geopy geodesic per base in a Python loop, scalar ETA and score per unit, then sort."""
    from geopy.distance import geodesic

    site = (query.site.lat, query.site.lon)
    rows = []
    for u in units:
        if u.readiness == 'UNAVAILABLE':
            continue
        if u.readiness == 'COMMITTED' and (query.request_id is None or u.committed_request_id != query.request_id):
            continue
        if u.state == query.requesting_state and not query.include_requesting_state:
            continue
        credit_sum, weight_sum, held = 0.0, 0.0, False
        for r in query.requirements:
            weight = 2.0 if r.critical else 1.0
            weight_sum += weight
            h = u.capabilities.get(r.code)
            if h is None:
                continue
            held = True
            lf = 1.0 if h.level == 'full' else (0.75 if r.min_level == 'limited' else 0.25)
            credit_sum += weight * lf * min(1.0, h.counted / r.quantity)
        if query.requirements and not held:
            continue
        distance = min(geodesic(site, base).m for base in u.bases)
        notice = u.notice_domestic_min if u.state == query.requesting_state else u.notice_international_min
        brk = (u.break_off_min if u.break_off_min is not None else 60.0) if u.readiness == 'TRAINING' else 0.0
        eta = old.estimate_eta(distance, air_transport=u.air_transport, notice_min=notice, break_off_min=brk,
                               now=query.now, params=old.DEFAULT_ETA)
        if eta is None or (query.needed_by is not None and eta.arrival > query.needed_by):
            continue
        cover = credit_sum / weight_sum if query.requirements else 1.0
        ready = {'LIMITED': -5.0, 'TRAINING': -10.0}.get(u.readiness, 0.0)
        tier = {'T1': 5.0, 'T2': 3.0, 'T3': 1.0}.get(u.tier, 0.0) if query.wants_action else 0.0
        score = 50.0 * cover + 40.0 * 120.0 / (120.0 + eta.total_min) + ready + tier
        rows.append((-score, eta.total_min, u.state, u.name, u.id, distance))
    rows.sort()
    return rows[:limit]


# --------------------------------------------------------------------------- the old code


def old_units(units: list[UnitSnapshot]) -> list[old.UnitSnapshot]:
    """The same units as the frozen baseline's own values (its index checks their type)."""
    fields = [f for f in UnitSnapshot.__dataclass_fields__ if f != 'capabilities']
    return [
        old.UnitSnapshot(**{f: getattr(u, f) for f in fields},
                         capabilities={c: old.CapabilityHolding(h.level, h.quantity) for c, h in u.capabilities.items()})
        for u in units
    ]


def old_query(q: MatchQuery) -> old.MatchQuery:
    return old.MatchQuery(
        q.site.lat, q.site.lon, q.requesting_state,
        tuple(old.Requirement(r.code, r.quantity, r.min_level, r.critical) for r in q.requirements),
        now=q.now, kinds=q.kinds, needed_by=q.needed_by, include_requesting_state=q.include_requesting_state,
        request_id=q.request_id,
    )


# --------------------------------------------------------------------------- timing


def _time(fn, queries, reps: int) -> list[float]:
    out = []
    for i in range(reps):
        q = queries[i % len(queries)]
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def _time_pair(new_fn, old_fn, queries, old_queries, reps: int) -> tuple[list[float], list[float]]:
    """New and old on the same query back to back, the order alternating, so load hits both alike."""
    new_ms, old_ms = [], []
    for i in range(reps):
        k = i % len(queries)
        runs = [(new_fn, queries[k], new_ms), (old_fn, old_queries[k], old_ms)]
        for fn, q, out in (runs if i % 2 == 0 else runs[::-1]):
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000.0)
    return new_ms, old_ms


def _p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)]


def _verdict(ok: bool | None) -> str:
    return 'n/a' if ok is None else ('met' if ok else 'NOT met')


def goals_line(g10: dict | None, g100: dict | None) -> str:
    """The issue's goals (10,000 units <= 10 ms median, 100,000 <= 100 ms, >= 100x the naive geopy
    loop), the straight-line model's time as a reference (a different model: not a goal), the date
    and the load average (2 shared cores: figures move with the load)."""
    try:
        load = f'load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores'
    except OSError:  # pragma: no cover - not on every platform
        load = 'load average n/a'
    ref = 'n/a' if g10 is None else f'{g10["old"]:.1f} ms at 10k'
    return ('goals: '
            f'10k<=10ms {_verdict(None if g10 is None else g10["median"] <= 10.0)} '
            f'({"n/a" if g10 is None else format(g10["median"], ".1f")} ms); '
            f'100k<=100ms {_verdict(None if g100 is None else g100["median"] <= 100.0)} '
            f'({"n/a" if g100 is None else format(g100["median"], ".1f")} ms); '
            f'naive_ratio>=100x {_verdict(None if g10 is None or "ratio" not in g10 else g10["ratio"] >= 100.0)} '
            f'({"n/a" if g10 is None or "ratio" not in g10 else format(g10["ratio"], ".0f")}x the geopy loop); '
            f'reference: straight-line model {ref}, not a goal '
            f'({datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}, {load})')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='fewer repetitions')
    parser.add_argument('--sizes', default='40,1000,10000,100000')
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(',')]
    queries = synthetic_queries(200)
    old_queries = [old_query(q) for q in queries]
    reps = {40: 200, 1000: 200, 10000: 100, 100000: 30}
    naive_reps = {40: 20, 1000: 5, 10000: 3}
    if args.quick:
        reps = {k: max(5, v // 5) for k, v in reps.items()}
        naive_reps = {k: max(1, v // 3) for k, v in naive_reps.items()}
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        units = synthetic_units(n)
        t0 = time.perf_counter()
        index = UnitIndex.build(units)
        index.route_side(TransportParams(eta=DEFAULT_ETA))  # each base's side of the routes, once
        build_ms = (time.perf_counter() - t0) * 1000.0
        old_index = old.UnitIndex.build(old_units(units))
        for q, oq in zip(queries[:3], old_queries[:3], strict=True):  # warm-up
            rank_units(q, index, limit=LIMIT)
            old.rank_units(oq, old_index, limit=LIMIT)
        fast, before = _time_pair(lambda q, index=index: rank_units(q, index, limit=LIMIT),
                                  lambda q, index=old_index: old.rank_units(q, index, limit=LIMIT),
                                  queries, old_queries, reps.get(n, 20))
        row = {'median': statistics.median(fast), 'p95': _p95(fast), 'old': statistics.median(before)}
        line = (f'ranking n={n} median_ms={row["median"]:.2f} p95_ms={row["p95"]:.2f} '
                f'ref_ms={row["old"]:.2f}')
        if n <= 10000:
            k = naive_reps.get(n, 1)
            naive = _time(lambda q, units=units: naive_rank(q, units), queries, k)
            row['ratio'] = statistics.median(naive) / row['median']
            line += f' naive_ratio={row["ratio"]:.1f}'
        line += f' build_ms={build_ms:.0f}'
        print(line, flush=True)
        results[n] = row
        if n == 100000:
            tracemalloc.start()
            rank_units(queries[0], index, limit=LIMIT)
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f'ranking n={n} peak_mem_mb={peak / 2**20:.1f} (tracemalloc peak of one ranking)', flush=True)

    print(goals_line(results.get(10000), results.get(100000)), flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
