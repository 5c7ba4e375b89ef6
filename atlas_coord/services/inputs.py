"""Building blocks of validated input: the strict base model and the constrained field types
(state and capability codes, ids, coordinates, short text, a point, paging).

The services' command models (``directory_commands.py``, ...) and the edge's wire schemas
(``schemas*.py``) are both made of these, so a field means the same everywhere; living here,
under ``services/``, they keep the dependency direction edge -> service.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
CapabilityCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{2,32}$", to_upper=True)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Ids, sequence numbers and versions are INTEGER columns (int4 on PostgreSQL): larger numbers
# would make the database refuse the query, so they are a 422 on the field instead.
MAX_INT = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS84 latitude in degrees")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS84 longitude in degrees")]


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
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=500)] = 50
