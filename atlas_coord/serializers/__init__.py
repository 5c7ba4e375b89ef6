"""Response models: the one shape of each resource on the wire.

REST bodies, live event payloads and the OpenAPI document all come from these pydantic models, so
they cannot drift apart (CTFd's schema views, one model per resource). A model is built from rows
or domain values with its ``of(...)`` constructor; roles that see different fields get their own
view (a subclass, or a constructor that leaves the field out), declared here and nowhere else.

Layering: edges (``api/``, ``realtime/``) serialise with these models. Services use them only to
freeze an event's payload into the outbox inside the same transaction (the event must carry what
was committed); they never return them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

T = TypeVar("T")

#: A point in time on the wire: ``datetime.isoformat()`` (``+00:00``, not pydantic's ``Z``), so
#: REST bodies, event payloads and audit records keep the form they had.
IsoTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Out(BaseModel):
    """Base of every response model: built from attributes, serialised to JSON-safe values."""

    model_config = ConfigDict(from_attributes=True)

    def wire(self) -> dict[str, Any]:
        """The JSON body (datetimes as ISO 8601 strings)."""
        return self.model_dump(mode="json")


class RowOut(Out):
    """A response model read straight off a row's attributes (renamed ones by ``validation_alias``)."""

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls.model_validate(row)


class Page(Out, Generic[T]):
    """A list with its total; ``page`` and ``per_page`` when it is paged."""

    items: list[T]
    total: int


class PagedPage(Page[T], Generic[T]):
    page: int
    per_page: int


def iso(value: datetime | None) -> str | None:
    """ISO 8601 of an aware or naive-UTC datetime, or None."""
    return value.isoformat() if value is not None else None
