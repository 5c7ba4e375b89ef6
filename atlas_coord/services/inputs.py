"""Building blocks of validated input: the strict base model and the constrained field types
(state and capability codes, ids, numbers that are never booleans, coordinates, short text, a
point, paging), and the escaping of a search text for SQL LIKE.

The services' command models (``directory_commands.py``, ...) and the edge's wire schemas
(``schemas*.py``) are both made of these, so a field means the same everywhere; living here,
under ``services/``, they keep the dependency direction edge -> service.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
CapabilityCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{2,32}$", to_upper=True)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _not_a_boolean(value: object) -> object:
    # pydantic's lax mode reads true as 1; a coordinate or a count given as true is a client bug.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


# Every numeric field of the command models ends with this marker: ints and floats (and, for
# query strings, their text) pass, booleans do not. Strict types would refuse the query
# string's "2" too. It goes last in ``Annotated[int, Field(...), NotBoolean]`` so that it runs
# first and the OpenAPI document keeps the field's minimum and maximum.
NotBoolean = BeforeValidator(_not_a_boolean)
# Ids, sequence numbers and versions are INTEGER columns (int4 on PostgreSQL): larger numbers
# would make the database refuse the query, so they are a 422 on the field instead.
MAX_INT = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_INT), NotBoolean]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS84 latitude in degrees"), NotBoolean]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS84 longitude in degrees"), NotBoolean]
LIKE_ESCAPE = "\\"


def like_contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%``, ``_`` and ``\\`` taken
    literally; use it with ``escape=LIKE_ESCAPE``."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Point(Strict):
    lat: Latitude
    lon: Longitude

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class Page(Strict):
    page: Annotated[int, Field(ge=1, le=1_000_000), NotBoolean] = 1
    per_page: Annotated[int, Field(ge=1, le=500), NotBoolean] = 50
