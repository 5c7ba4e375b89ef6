"""Building blocks of validated input: the strict base model and the constrained field types
(state and capability codes, ids, numbers that are never booleans, coordinates, short text, a
point, paging), and the escaping of a search text for SQL LIKE.

The services' command models (``directory_commands.py``, ...) and the edge's wire schemas
(``schemas*.py``) are both made of these, so a field means the same everywhere; living here,
under ``services/``, they keep the dependency direction edge -> service.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)


def _upper_case(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Codes (states, capabilities, currencies, cost categories, kinds, statuses) are upper case on the
# wire and in the database; people type them in any case. Every code field is ``Code[...]``: its
# text is upper-cased before it is checked, so "eur", "transport" and "env_aircraft" all pass.
# Vocabularies whose codes are lower case (levels, bearers, roles) are not codes of this kind.
CodeType = TypeVar("CodeType")
Code = Annotated[CodeType, BeforeValidator(_upper_case)]
StateCode = Code[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]]
CapabilityCode = Code[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{2,32}$")]]
CurrencyCode = Code[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]]
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
# One default for raising a request and for matching (what-if), so the units a planner sees are
# the units the request would count: a unit that holds the capability only in part does not meet
# a requirement unless the requester accepts that (min_level "limited").
MIN_LEVEL_MEANING = ("the lowest level a unit must hold the capability at: 'full' (default) or 'limited' "
                     "(a partial holding is enough)")
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


class CursorPage(Page):
    """Paging of a list read after a cursor (an audit or event ``seq``): ``page`` and ``per_page``
    like every list, counted from the cursor, and ``limit``, the older name of ``per_page`` that
    replaying clients send (up to 1000). The default size is the list's own (``DEFAULT_SIZE``)."""

    per_page: Annotated[int, Field(ge=1, le=500), NotBoolean] | None = Field(
        None, description="the page size (default: the list's own); or give limit")
    limit: Annotated[int, Field(ge=1, le=1000), NotBoolean] | None = Field(
        None, description="the page size, like per_page but up to 1000; give one of the two")
    DEFAULT_SIZE: ClassVar[int] = 50

    @field_validator("limit")
    @classmethod
    def _one_size(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("per_page") is not None:
            raise ValueError("give per_page or limit, not both")
        return value

    @property
    def size(self) -> int:
        return self.limit or self.per_page or self.DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size
