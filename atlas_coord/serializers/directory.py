"""Response models of the directory: states, competent authorities, capabilities, units,
their readiness and its history.

The same models build the REST bodies (``api/directory.py``), the payloads of the
``directory.unit_created``/``directory.unit_updated`` and ``readiness.changed`` events and the
readiness snapshots kept in the audit trail.

A readiness reason written by a deployment names its request; the models show it only to a viewer
who may read that request (``may_see``, answered by ``services.visibility``) and the neutral form
to everyone else, events included (:mod:`atlas_coord.domain.readiness_reasons`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field

from atlas_coord.domain.readiness_reasons import MaySee, shown
from atlas_coord.models import ReadinessChange, Unit

from . import IsoTime, Out, RowOut
from .geo import GeoPointOut


class StateOut(RowOut):
    code: str
    name: str
    membership: str
    timezone: str
    critical_capabilities: Annotated[list[str], BeforeValidator(lambda codes: list(codes or []))]


class AuthorityOut(RowOut):
    id: int
    state: Annotated[str, Field(validation_alias="state_code")]
    name: str
    kind: str
    contact_channel: str | None
    may_request: bool
    may_answer: bool


class CapabilityOut(RowOut):
    code: str
    family: str
    name: str
    description: str | None


class _WithReason(RowOut):
    """A row with a readiness ``reason`` that may name a request (need-to-know)."""

    reason: str | None

    @classmethod
    def of(cls, row: Unit | ReadinessChange, may_see: MaySee | None = None) -> Self:
        """The row as the viewer ``may_see`` reads it (without one: the neutral reason)."""
        view = cls.model_validate(row)
        return view.model_copy(update={"reason": shown(view.reason, may_see)})


class ReadinessOut(_WithReason):
    """A unit's current readiness (its ``readiness_*`` columns): the status and its three axes,
    with the reason given."""

    status: Annotated[str, Field(validation_alias="readiness_status")]
    break_off_min: Annotated[int | None, Field(validation_alias="readiness_break_off_min")]
    personnel: Annotated[str | None, Field(validation_alias="readiness_personnel")]
    equipment: Annotated[str | None, Field(validation_alias="readiness_equipment")]
    transport: Annotated[str | None, Field(validation_alias="readiness_transport")]
    reason: Annotated[str | None, Field(validation_alias="readiness_reason")]
    changed_at: Annotated[IsoTime | None, Field(validation_alias="readiness_changed_at")]


class StationOut(RowOut):
    name: str
    lat: float
    lon: float


class NoticeToMoveOut(Out):
    domestic_min: int | None
    international_min: int | None


class CapabilityHoldingOut(Out):
    code: str
    level: str
    quantity: int | None


class UnitOut(Out):
    """A unit's directory entry with its stations, capabilities and current readiness."""

    id: int
    key: str
    name: str
    local_name: str | None
    english_name: str | None
    state: str
    parent_agency: str
    base_city: str
    base: GeoPointOut
    stations: list[StationOut]
    tier: str
    personnel: int | None
    air_transport: str
    languages: list[str]
    notice_to_move: NoticeToMoveOut
    capabilities: list[str]
    capability_details: list[CapabilityHoldingOut]
    readiness: ReadinessOut
    version: int
    source_note: str | None

    @classmethod
    def of(cls, unit: Unit, may_see: MaySee | None = None, *, stations: Sequence[Any] | None = None,
           holdings: Sequence[Any] | None = None) -> Self:
        """The unit as the viewer ``may_see`` reads it (without one: the neutral readiness reason).

        ``stations`` and ``holdings`` (rows with the attributes of UnitStation and UnitCapability)
        stand for the unit's relationships when a list has read them as plain rows."""
        stations = unit.stations if stations is None else stations
        holdings = unit.capabilities if holdings is None else holdings
        return cls(
            id=unit.id,
            key=unit.key,
            name=unit.name,
            local_name=unit.local_name,
            english_name=unit.english_name,
            state=unit.state_code,
            parent_agency=unit.parent_agency,
            base_city=unit.base_city,
            base=GeoPointOut(lat=unit.lat, lon=unit.lon),
            stations=[StationOut.of(s) for s in stations],
            tier=unit.tier,
            personnel=unit.personnel,
            air_transport=unit.air_transport,
            languages=list(unit.languages or []),
            notice_to_move=NoticeToMoveOut(
                domestic_min=unit.notice_domestic_min, international_min=unit.notice_international_min
            ),
            capabilities=[c.capability_code for c in holdings],
            capability_details=[
                CapabilityHoldingOut(code=c.capability_code, level=c.level, quantity=c.quantity)
                for c in holdings
            ],
            readiness=ReadinessOut.of(unit, may_see),
            version=unit.version,
            source_note=unit.source_note,
        )


class ReadinessChangeOut(_WithReason):
    """One entry of a unit's readiness history."""

    id: int
    previous_status: str | None
    status: str
    break_off_min: int | None
    personnel: str | None
    equipment: str | None
    transport: str | None
    reason: str | None
    source: str
    changed_by_id: int | None
    changed_at: IsoTime


class CoverageChangeOut(Out):
    """What the change did to the coverage map (``services.coverage.live.change_of``): the unit
    counts or not, the capabilities it serves, and per capability the ``[cell, minutes]`` pairs that
    changed (``null`` minutes: nobody reaches the cell; a capability mapped to ``null``: too many
    cells, refetch); ``cells`` null when the worker's map was not computed yet (refetch)."""

    available: bool
    capabilities: list[str]
    cells: dict[str, list[tuple[int, int | None]] | None] | None = None
    cell_km: float | None = None


class ReadinessChangedEvent(Out):
    """The payload of ``readiness.changed``: sent to everyone, so with the neutral reason; with the
    coverage map's diff (one event per change: the live layer's sequence stays one per change)."""

    unit_id: int
    state: str
    name: str
    readiness: ReadinessOut
    version: int
    coverage: CoverageChangeOut | None = None

    @classmethod
    def of(cls, unit: Unit, coverage: dict | None = None) -> Self:
        return cls(
            unit_id=unit.id, state=unit.state_code, name=unit.name, readiness=ReadinessOut.of(unit), version=unit.version,
            coverage=None if coverage is None else CoverageChangeOut(**coverage),
        )


class UnitEvent(Out):
    """The payload of ``directory.unit_created`` and ``directory.unit_updated``."""

    unit: UnitOut
