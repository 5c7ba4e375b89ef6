"""Alerts to duty officers (issue 15): the ones ringing on my console, acknowledging them (in the
console or with a single-use link), and the local mailbox of the embedded default."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from atlas_coord.models import utcnow
from atlas_coord.serializers.duty import AckOut, AlertList, AlertOut, Mailbox, MailOut
from atlas_coord.services import alerts

from . import db_session, settings
from .core import current_actor, endpoint

bp = Blueprint("alerts", __name__, url_prefix="/api/v1")


class AckLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=400)


@endpoint(bp, "/alerts", summary="The alerts ringing on my console (not yet acknowledged)")
def my_alerts():
    """Only the reference, kind, requesting state and deadline: the request itself is read as usual."""
    rows = alerts.open_alerts_for(db_session(), current_actor())
    return AlertList(items=[AlertOut.of(a) for a in rows], total=len(rows)).wire()


@endpoint(bp, "/alerts/<int:alert_id>/ack", "POST", summary="Acknowledge an alert in the console")
def acknowledge(alert_id: int):
    """By an officer the alert was sent to, or a manager of the organisation's roster; twice is harmless."""
    alert = alerts.acknowledge(db_session(), current_actor(), alert_id, utcnow())
    return AckOut(alert=AlertOut.of(alert), summary=alerts.ack_summary(db_session(), alert, alert.acknowledged_at)).wire()


@endpoint(bp, "/alerts/ack-link", "POST", body=AckLink, auth=False,
          summary="Acknowledge an alert with the single-use link of an email or text")
def acknowledge_by_link(body: AckLink):
    """No sign-in: the signed link is the credential. Used already: 409; expired or forged: 422."""
    config = settings()
    alert = alerts.acknowledge_by_link(db_session(), config.server.secret_key, body.token,
                                       config.alerts.link_max_age_minutes * 60, utcnow())
    return AckOut(alert=AlertOut.of(alert), summary=alerts.ack_summary(db_session(), alert, alert.acknowledged_at)).wire()


@endpoint(bp, "/mailbox", summary="The local mailbox: emails of the embedded default (admin)")
def mailbox():
    """Newest first; what an SMTP relay would have received."""
    rows = alerts.mailbox(db_session(), current_actor())
    return Mailbox(items=[MailOut.of(m) for m in rows], total=len(rows)).wire()
