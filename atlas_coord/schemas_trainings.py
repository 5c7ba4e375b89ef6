"""Query and body schemas of the calendar feeds (pydantic, at the edge).

The inputs of the training use cases live with their service, in
:mod:`atlas_coord.services.trainings.commands`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from atlas_coord.schemas import Id, StateCode, Strict


class FeedCreate(Strict):
    scope: Literal["unit", "state"]
    unit_id: Id | None = None
    state: StateCode | None = None
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] = "calendar"


class FeedQuery(Strict):
    token: Annotated[str, StringConstraints(min_length=16, max_length=200)]
