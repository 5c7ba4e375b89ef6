"""A server process tunes its garbage collector once the app is built (docs/performance.md, item
29): what lives as long as the process is frozen out of the collector's scans, the young
generation is larger, and garbage made while serving is still collected without being asked."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

from atlas_coord.serving import SERVER_GC_THRESHOLDS
from tests.test_shutdown import ROOT, env_for

# Run in a process of its own: importing the WSGI module is what gunicorn's worker does.
PROBE = textwrap.dedent("""
    import gc, json, weakref
    import atlas_coord.wsgi as server
    from atlas_coord.domain.transport.air import airports
    from atlas_coord.domain.transport.road import road_network

    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    # Built by the ranking rehearsal before the freeze: no collection scans them again.
    tables_built = airports.cache_info().currsize == 1 and road_network.cache_info().currsize >= 1
    table = airports()
    tables_frozen = gc.is_tracked(table) and all(o is not table for o in gc.get_objects())

    class Node:
        pass

    # A reference cycle made while serving: only the cyclic collector can free it.
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    # The allocations of a few calls; no explicit gc.collect().
    kept = [[i] for i in range(3 * thresholds[0])]
    print(json.dumps({"frozen": frozen, "thresholds": thresholds, "cycle_collected": gone() is None,
                      "tables_built": tables_built, "tables_frozen": tables_frozen}))
    if server.alert_dispatcher is not None:
        server.alert_dispatcher.stop()
""")


def test_the_wsgi_server_freezes_its_startup_heap_and_still_collects_garbage_cycles(db_url):
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**os.environ, **env_for(db_url)},
                          capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # The app, its modules and vocabularies: far more objects than a call makes.
    assert seen["frozen"] > 50_000
    assert tuple(seen["thresholds"]) == SERVER_GC_THRESHOLDS
    assert seen["cycle_collected"]


def test_the_wsgi_server_builds_the_transport_tables_before_its_first_call(db_url):
    """The first request raised after a restart must not wait a second for the airports, the land
    mask and the road graph: the server rehearses a ranking over the seeded directory first."""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**os.environ, **env_for(db_url)},
                          capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["tables_built"], done.stderr[-2000:]
    assert seen["tables_frozen"]
    assert "ranking rehearsed over" in done.stderr + done.stdout


def test_a_server_whose_database_is_not_ready_still_starts(database_server, caplog):
    from atlas_coord import create_app
    from atlas_coord.serving import rehearse_ranking
    from tests.conftest import app_settings

    url = database_server.fresh(empty=True)  # not migrated: no directory to rank
    app = create_app(app_settings(url))
    try:
        with caplog.at_level(logging.WARNING, logger="atlas_coord.serve"):
            rehearse_ranking(app)
    finally:
        app.extensions["atlas_db"].dispose()
        database_server.drop(url)
    assert "ranking rehearsal failed" in caplog.text
