"""Response models of calendar feeds: a subscribable feed's metadata, and its URL with the
token once, when it is created."""

from __future__ import annotations

from typing import Self

from atlas_coord.models import CalendarFeedToken

from . import IsoTime, Out


def feed_path(row: CalendarFeedToken) -> str:
    """The feed's URL path, without the token."""
    return f"/calendar/unit/{row.unit_id}.ics" if row.scope == "unit" else f"/calendar/state/{row.state_code}.ics"


class FeedOut(Out):
    id: int
    scope: str
    unit_id: int | None
    state: str | None
    label: str | None
    path: str
    created_at: IsoTime
    revoked_at: IsoTime | None
    last_used_at: IsoTime | None

    @classmethod
    def of(cls, row: CalendarFeedToken) -> Self:
        return cls(
            id=row.id,
            scope=row.scope,
            unit_id=row.unit_id,
            state=row.state_code,
            label=row.label,
            path=feed_path(row),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


class FeedCreatedOut(FeedOut):
    """A new feed: the token is shown this once, also inside ``url``."""

    token: str
    url: str

    @classmethod
    def created(cls, row: CalendarFeedToken, token: str) -> Self:
        return cls(**FeedOut.of(row).model_dump(), token=token, url=f"{feed_path(row)}?token={token}")
