"""The one scheduler process: reminders, training starts and ends, answer deadlines, retention.

``create_app`` calls :func:`init_scheduler`, which only gives the app a
``start_embedded_scheduler()`` method; ``atlas-coord serve`` calls it when
``scheduler.embedded`` is true. ``atlas-coord scheduler`` runs it as its own process instead.
Nothing starts at import time.
"""

from __future__ import annotations


def init_scheduler(app) -> None:
    """Attach ``app.start_embedded_scheduler()``; starting stays an explicit entry-point decision."""

    def start_embedded_scheduler():
        from .runner import start_embedded

        return start_embedded(app)

    app.start_embedded_scheduler = start_embedded_scheduler
