"""Response model of a state's airlift (``GET /api/v1/states/<code>/airlift``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from atlas_coord.models import AirliftAsset

from . import Out
from .geo import GeoPointOut


class AirliftAssetOut(Out):
    """One aircraft type of one operator at one base. ``source_url`` or ``assumption`` says where
    the figures come from; ``mobilisation_assumed`` and ``partners_assumed`` flag those two as
    assumptions."""

    key: str
    state: str
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
    partners: list[str]
    partners_assumed: bool
    source_url: str | None
    source_note: str | None
    assumption: bool

    @classmethod
    def of(cls, row: AirliftAsset) -> Self:
        return cls(
            key=row.key,
            state=row.state_code,
            kind=row.kind,
            aircraft_type=row.aircraft_type,
            operator=row.operator,
            base_name=row.base_name,
            base_icao=row.base_icao,
            base=GeoPointOut(lat=row.lat, lon=row.lon),
            aircraft_count=row.aircraft_count,
            seats=row.seats,
            mobilisation_min=row.mobilisation_min,
            mobilisation_assumed=row.mobilisation_assumed,
            availability=row.availability,
            partners=list(row.partners or []),
            partners_assumed=row.partners_assumed,
            source_url=row.source_url,
            source_note=row.source_note,
            assumption=row.assumption,
        )


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
