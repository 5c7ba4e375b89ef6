"""WSGI entry point for production servers: ``gunicorn -w 1 --threads 600 atlas_coord.wsgi:app``
(each open websocket holds a thread: size ``--threads`` for a process's live clients plus its calls).

Configuration comes from ``ATLAS_CONFIG`` and ``ATLAS_*``. The scheduler never starts here: in a
multi-process layout exactly one ``atlas-coord scheduler`` process runs beside the servers.
Each server process does run its alert dispatcher (``alerts.dispatcher_thread``): it pages duty
officers as soon as a change commits, and several of them at once are harmless. Before it serves,
the process rehearses a ranking (``serving.rehearse_ranking``) so that the first request raised
after a restart does not wait for the transport tables.
"""

from atlas_coord import create_app
from atlas_coord.serving import rehearse_ranking, settle_heap, start_alert_dispatcher

app = create_app()
rehearse_ranking(app)
settle_heap()
alert_dispatcher = start_alert_dispatcher(app, app.config["ATLAS_SETTINGS"])
