"""The signed-in user's inbox: what needs their action now."""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.serializers.inbox import InboxOut
from atlas_coord.services import inbox

from . import db_session
from .core import current_actor, endpoint

bp = Blueprint("inbox", __name__, url_prefix="/api/v1")


@endpoint(bp, "/inbox", summary="What needs my action now, soonest deadline first")
def list_inbox():
    """Answers due from your State, counter-proposals for you to decide, deployments of your unit
    waiting for your report; only requests you may see. Empty for roles that act on none of these."""
    return InboxOut.of(inbox.inbox(db_session(), current_actor())).wire()
