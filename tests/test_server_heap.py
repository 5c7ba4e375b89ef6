"""A server process tunes its garbage collector once the app is built (docs/performance.md, item
29): what lives as long as the process is frozen out of the collector's scans, the young
generation is larger, and garbage made while serving is still collected without being asked."""

from __future__ import annotations

import json
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

    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()

    class Node:
        pass

    # A reference cycle made while serving: only the cyclic collector can free it.
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    # The allocations of a few calls; no explicit gc.collect().
    kept = [[i] for i in range(3 * thresholds[0])]
    print(json.dumps({"frozen": frozen, "thresholds": thresholds, "cycle_collected": gone() is None}))
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
