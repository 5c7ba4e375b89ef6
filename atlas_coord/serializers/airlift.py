"""Response model of a state's airlift (``GET /api/v1/states/<code>/airlift``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Self

from pydantic import BeforeValidator, Field

from atlas_coord.models import AirliftAsset

from . import Out, RowOut
from .geo import GeoPointOut


class AirliftAssetOut(RowOut):
    """One aircraft type of one operator at one base. ``source_url`` or ``assumption`` says where
    the figures come from; ``mobilisation_assumed`` and ``partners_assumed`` flag those two as
    assumptions."""

    key: str
    state: Annotated[str, Field(validation_alias="state_code")]
    kind: str
    aircraft_type: str
    operator: str
    base_name: str
    base_icao: str | None
    base: GeoPointOut
    aircraft_count: int
    seats: int
    mobilisation_min: int
    mobilisation_assumed: bool
    availability: str
    partners: Annotated[list[str], BeforeValidator(lambda codes: list(codes or []))]
    partners_assumed: bool
    source_url: str | None
    source_note: str | None
    assumption: bool


class StateAirliftOut(Out):
    """The aircraft that may carry a state's units: its own, and those its partners lend it."""

    state: str
    own: list[AirliftAssetOut]
    partners: list[AirliftAssetOut]

    @classmethod
    def of(cls, state: str, own: Iterable[AirliftAsset], partners: Iterable[AirliftAsset]) -> Self:
        return cls(
            state=state,
            own=[AirliftAssetOut.of(row) for row in own],
            partners=[AirliftAssetOut.of(row) for row in partners],
        )
