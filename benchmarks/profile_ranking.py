"""``python -m benchmarks.profile_ranking``: where a match's CPU goes in the domain, without a
server or a database (issue #18, docs/performance.md items 26 and 28).

Each query is a fresh site near a random unit of the seed directory (as the load test raises
them), needing one capability, with a deadline. Per query it ranks every candidate (as the
services do: the team proposal weighs them all), proposes the team, then reads the candidates a
caller shows: ten (``/match``, ``/candidates?limit=10``) or every one (a submission's frozen
ranking). Prints the thread CPU per query of each step, after a warm-up pass.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.ranking import MatchQuery, Requirement, rank_units
from atlas_coord.domain.team import propose_team
from tests.factories import seed_airlift, seed_snapshots


def queries(rng: random.Random, units: list, count: int) -> list[MatchQuery]:
    states = sorted({u.state for u in units})
    now = datetime.now(UTC)
    out = []
    for _ in range(count):
        near = rng.choice(units)
        site = GeoPoint(near.lat + rng.uniform(-0.3, 0.3), near.lon + rng.uniform(-0.3, 0.3))
        out.append(MatchQuery(site, rng.choice(states), (Requirement("NEG", 1, "limited"),), now=now,
                              kinds=frozenset({"ACTION_ARMED", "EXPERTISE"}), needed_by=now + timedelta(hours=6),
                              include_requesting_state=False))
    return out


def measure(batch: list[MatchQuery], units: list, airlift: dict, shown: int | None) -> dict[str, float]:
    spent = {"rank": 0.0, "team": 0.0, "explain": 0.0}
    for query in batch:
        t0 = time.thread_time()
        result = rank_units(query, units, airlift=airlift, limit=None)
        t1 = time.thread_time()
        propose_team(query, result)
        t2 = time.thread_time()
        for candidate in result.top(shown).candidates:
            candidate.explanation  # noqa: B018 - reading it is what is measured
        t3 = time.thread_time()
        spent["rank"] += t1 - t0
        spent["team"] += t2 - t1
        spent["explain"] += t3 - t2
    return {step: seconds * 1000 / len(batch) for step, seconds in spent.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_ranking", description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=80, help="fresh sites measured per case")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    units, airlift = seed_snapshots(), seed_airlift()
    measure(queries(rng, units, 40), units, airlift, None)  # warm: land, airports, road network
    for label, shown in (("ten shown", 10), ("every candidate shown", None)):
        ms = measure(queries(rng, units, args.queries), units, airlift, shown)
        total = sum(ms.values())
        print(f"profile_ranking {label:<22} rank {ms['rank']:5.1f} ms  team {ms['team']:4.1f} ms  "
              f"explain {ms['explain']:5.1f} ms  total {total:5.1f} ms per query ({args.queries} queries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
