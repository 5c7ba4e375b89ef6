"""WSGI entry point for production servers: ``gunicorn -w 1 --threads 100 atlas_coord.wsgi:app``.

Configuration comes from ``ATLAS_CONFIG`` and ``ATLAS_*``. The scheduler never starts here: in a
multi-process layout exactly one ``atlas-coord scheduler`` process runs beside the servers.
"""

from atlas_coord import create_app

app = create_app()
