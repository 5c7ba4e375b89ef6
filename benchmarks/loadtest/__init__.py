"""`make loadtest`: the production layout under 200 operators and 500 live listeners.

Run from the repository root: ``python -m benchmarks.loadtest`` (``--help`` for the options).

The layout: two real ``atlas-coord serve --no-scheduler`` processes on loopback, one fresh
PostgreSQL database (created, migrated, seeded and dropped by the run) and the Redis message queue
(one database number, flushed; a pub/sub channel of its own). Three kinds of process drive it:

- ``locustfile.py``: the operators, a locust run from Python (library API, headless) in its own
  process. Crisis centres raise assistance requests addressed to other states and decide
  counter-proposals; competent authorities of the addressed states accept, refuse or counter-
  propose; unit commanders take their deployments from ALERTED to RETURNED (or decline) and report
  readiness; observers read lists, the directory, rankings and ``events?after=``. Each operator
  signs in with its own account and talks to one of the two servers.
- ``listeners.py``: the live listeners, asyncio python-socketio clients in one process, half on
  each server, each recording every event it receives; at the end each listener's receipts are
  compared with what ``GET /api/v1/events`` says that user may see (lost, duplicated, extra).
- ``__main__.py``: sets up the layout (``stack.py``), runs the two, prints one ``loadtest ...``
  summary line and a ``goals:`` line, exits non-zero when a goal is missed, and always tears
  everything down (servers, processes, database, Redis keys), on failure and on Ctrl-C too.
"""
