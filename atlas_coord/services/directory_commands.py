"""The directory's commands: the validated input of listing, adding and changing units and of
reporting readiness. The edge validates request bodies with these models and passes them to
:mod:`atlas_coord.services.directory`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from atlas_coord.domain.choices import AxisLevel, CapabilityLevel, ReadinessStatus

from .inputs import (
    CapabilityCode,
    Code,
    Id,
    Latitude,
    Longitude,
    NotBoolean,
    Page,
    Point,
    ShortText,
    StateCode,
    Strict,
)


class Station(Strict):
    name: ShortText
    lat: Latitude
    lon: Longitude


class CapabilityHoldingIn(Strict):
    code: CapabilityCode
    level: CapabilityLevel = CapabilityLevel("full")
    quantity: Annotated[int, Field(ge=1, le=10_000), NotBoolean] | None = None


class UnitFilter(Page):
    state: StateCode | None = None
    capability: CapabilityCode | None = None
    readiness: Code[ReadinessStatus] | None = None
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        None, description="text search in names, parent agency, base city and the names of the capabilities held"
    )


class UnitCreate(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")] | None = None
    state: StateCode
    name: ShortText
    local_name: ShortText | None = None
    english_name: ShortText | None = None
    parent_agency: ShortText
    base_city: ShortText
    base: Point
    stations: Annotated[list[Station], Field(max_length=50)] = []
    tier: Literal["T1", "T2", "T3"] = "T2"
    personnel: Annotated[int, Field(ge=0, le=100_000), NotBoolean] = 0
    air_transport: Literal["helicopter", "fixed_wing", "none"] = "none"
    languages: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]], Field(max_length=30)] = []
    notice_domestic_min: Annotated[int, Field(ge=0, le=7 * 24 * 60), NotBoolean] = 30
    notice_international_min: Annotated[int, Field(ge=0, le=14 * 24 * 60), NotBoolean] = 180
    capabilities: Annotated[list[CapabilityHoldingIn], Field(max_length=100)] = []
    source_note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class UnitUpdate(Strict):
    """Only the fields given change; ``state`` cannot change (a unit belongs to its state)."""

    name: ShortText | None = None
    local_name: ShortText | None = None
    english_name: ShortText | None = None
    parent_agency: ShortText | None = None
    base_city: ShortText | None = None
    base: Point | None = None
    stations: Annotated[list[Station], Field(max_length=50)] | None = None
    tier: Literal["T1", "T2", "T3"] | None = None
    personnel: Annotated[int, Field(ge=0, le=100_000), NotBoolean] | None = None
    air_transport: Literal["helicopter", "fixed_wing", "none"] | None = None
    languages: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]], Field(max_length=30)] | None = None
    notice_domestic_min: Annotated[int, Field(ge=0, le=7 * 24 * 60), NotBoolean] | None = None
    notice_international_min: Annotated[int, Field(ge=0, le=14 * 24 * 60), NotBoolean] | None = None
    capabilities: Annotated[list[CapabilityHoldingIn], Field(max_length=100)] | None = None
    source_note: Annotated[str, StringConstraints(max_length=1000)] | None = None
    expected_version: Id | None = Field(
        None, description="reject the update with 409 if the unit changed since this version"
    )


class ReadinessUpdate(Strict):
    status: Code[ReadinessStatus]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    break_off_min: Annotated[int, Field(ge=0, le=7 * 24 * 60), NotBoolean] | None = Field(
        None, description="for TRAINING: the unit can break off within this many minutes", validate_default=True
    )
    personnel: AxisLevel = AxisLevel("ready")
    equipment: AxisLevel = AxisLevel("ready")
    transport: AxisLevel = AxisLevel("ready")
    expected_version: Id | None = None

    @field_validator("break_off_min")
    @classmethod
    def _break_off_only_for_training(cls, value: int | None, info: ValidationInfo) -> int | None:
        status = info.data.get("status")
        if status == ReadinessStatus.TRAINING and value is None:
            raise ValueError("required when status is TRAINING")
        if status is not None and status != ReadinessStatus.TRAINING and value is not None:
            raise ValueError("applies only to TRAINING")
        return value
