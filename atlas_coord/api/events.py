"""Catch-up over REST: the events after a seq, filtered by the same entitlement as the live rooms."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint
from pydantic import Field

from atlas_coord.policy import rooms_for
from atlas_coord.schemas import MAX_INT, CursorPage
from atlas_coord.services import events

from . import db_session
from .core import current_actor, endpoint

bp = Blueprint("events", __name__, url_prefix="/api/v1")

EVENT_PAGE = {
    "type": "object",
    "required": ["items", "total", "last_seq", "page", "per_page"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["seq", "type", "at", "subject", "data"],
                "properties": {
                    "seq": {"type": "integer"},
                    "type": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                    "subject": {"type": "string"},
                    "data": {"type": "object"},
                },
            },
        },
        "total": {"type": "integer", "description": "events visible to you after `after` (all pages)"},
        "last_seq": {"type": "integer", "description": "pass as `after` for the next page, or to the live channel"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer", "description": "the page size (`per_page`, or `limit`)"},
        "replay_truncated": {
            "type": "object",
            "description": "present when `after` is older than the retention period (or unknown): reload your state",
        },
    },
}


class EventsQuery(CursorPage):
    """Events after ``after``: page with ``after=last_seq`` (the replay cursor), or with ``page``
    and ``per_page`` counted from the same ``after``; 100 a page unless told (``limit`` or ``per_page``)."""

    DEFAULT_SIZE = 100
    after: Annotated[int, Field(ge=0, le=MAX_INT, description="the last seq you have seen")] = 0


@endpoint(bp, "/events", query=EventsQuery, summary="Events after a seq, as the live channel would have sent them", response=EVENT_PAGE)
def list_events(query: EventsQuery):
    """In ``seq`` order; only the events addressed to a room you belong to (your state, your unit,
    everyone; observers and admins see all). Page with ``after=last_seq`` until ``items`` is short."""
    found = events.catch_up_page(db_session(), rooms_for(current_actor()), after=query.after, limit=query.size,
                                 offset=query.offset)
    body = {"items": found.items, "total": found.total, "last_seq": found.last_seq, "page": query.page,
            "per_page": query.size}
    if found.truncated is not None:
        outbox = found.outbox
        body["replay_truncated"] = {"reason": found.truncated, "oldest_seq": outbox.oldest, "newest_seq": outbox.newest}
    return body
