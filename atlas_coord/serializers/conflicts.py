"""Wire shape of a training planning conflict (:class:`atlas_coord.domain.training_rules.Conflict`).

Times are written in UTC with a ``Z`` (as the trainings' views always wrote them); sets inside
``details`` become sorted lists so that the body does not depend on set order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import PlainSerializer, field_serializer

from atlas_coord.domain.training_rules import Conflict

from . import Out


def utc_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    return None if value is None else value.astimezone(UTC).isoformat().replace('+00:00', 'Z')


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_z(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


UtcZ = Annotated[datetime | None, PlainSerializer(utc_z, return_type=str | None)]


class ConflictOut(Out):
    """One reason why a training cannot be planned as proposed."""

    kind: str
    state: str | None
    capability: str | None
    unit_id: Any
    point: str | None
    window_start: UtcZ
    window_end: UtcZ
    figure: float | int | str | None
    details: dict[str, Any]
    message: str

    @field_serializer('details')
    def _details(self, details: dict[str, Any]) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in details.items()}

    @classmethod
    def of(cls, conflict: Conflict) -> ConflictOut:
        return cls.model_validate(conflict)
