"""The page an acknowledgement link opens: a button, so that a mail scanner fetching the link
does not use it up; the button posts the token to ``POST /api/v1/alerts/ack-link``'s service."""

from __future__ import annotations

from html import escape

from flask import Blueprint, current_app, g

from atlas_coord.models import utcnow
from atlas_coord.services import alerts
from atlas_coord.services.errors import ServiceError

bp = Blueprint("ack", __name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ATLAS alert</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:32em;margin:3em auto"><h1>ATLAS alert</h1>{content}</body></html>"""


def _page(content: str, status: int = 200):
    return PAGE.format(content=content), status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/alerts/ack/<token>")
def confirm(token: str):
    return _page(f'<form method="post" action="/alerts/ack/{escape(token)}">'
                 '<p>Acknowledge that you have received this alert.</p>'
                 '<button type="submit" style="font-size:1.4em">Acknowledge</button></form>')


@bp.post("/alerts/ack/<token>")
def acknowledge(token: str):
    settings = current_app.config["ATLAS_SETTINGS"]
    session = current_app.extensions["atlas_db"].session_factory()
    g.db_session = session  # committed (or rolled back) by the API's request scope
    try:
        alert = alerts.acknowledge_by_link(session, settings.server.secret_key, token,
                                           settings.alerts.link_max_age_minutes * 60, utcnow())
        summary = alerts.ack_summary(session, alert, alert.acknowledged_at)
    except ServiceError as exc:
        return _page(f"<p>{escape(exc.message)}</p>", exc.status)
    return _page(f"<p>Acknowledged: {escape(alert.reference)}.</p><p>{escape(summary)}</p>")
