"""Rankings run at once in one server's request threads, and all of them look up landmasses in the
same prepared polygons (domain/transport/land.py). GEOS builds a prepared polygon's index at its
first use without a lock, and shapely runs it with the GIL released: two threads doing that
together corrupted the heap and killed the server process (the issue's commit's server died so in
the load test of 2026-12-01, "malloc_consolidate(): unaligned fastbin chunk detected").

A crash cannot be caught in the process that crashes, so the story runs in a child process: each
round prepares fresh copies of the tiles, so that every round has first uses to race, and eight
threads look up the same 400 points at once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RACE = textwrap.dedent("""
    import dataclasses, threading
    import numpy as np
    import shapely
    from shapely import STRtree
    from atlas_coord.domain.transport.land import land

    base = land()
    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(36, 70, 400), rng.uniform(-10, 30, 400)
    expected = base.landmass_many(lats, lons)
    for round in range(ROUNDS):
        geoms = shapely.from_wkb(shapely.to_wkb(base.geoms))
        shapely.prepare(geoms)
        fresh = dataclasses.replace(base, tree=STRtree(geoms), geoms=geoms, )
        start, answers = threading.Barrier(8), []

        def look_up():
            start.wait()
            answers.append(fresh.landmass_many(lats, lons))

        threads = [threading.Thread(target=look_up) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 8 and all((a == expected).all() for a in answers), round
    print("rounds survived:", ROUNDS)
""")


def test_many_threads_looking_up_landmasses_at_once_neither_crash_the_server_nor_disagree():
    child = subprocess.run([sys.executable, "-c", RACE.replace("ROUNDS", "40")], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    # Without the lock this died within a few rounds on most runs, by SIGABRT ("unaligned tcache
    # chunk detected") or SIGSEGV.
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert "rounds survived: 40" in child.stdout
