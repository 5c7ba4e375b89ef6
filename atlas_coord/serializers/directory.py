"""Response models of the directory: states, competent authorities, capabilities, units,
their readiness and its history.

The same models build the REST bodies (``api/directory.py``), the payloads of the
``directory.unit_created``/``directory.unit_updated`` and ``readiness.changed`` events and the
readiness snapshots kept in the audit trail.
"""

from __future__ import annotations

from typing import Self

from atlas_coord.models import Authority, Capability, ReadinessChange, State, Unit

from . import IsoTime, Out


class StateOut(Out):
    code: str
    name: str
    membership: str
    timezone: str
    critical_capabilities: list[str]

    @classmethod
    def of(cls, state: State) -> Self:
        return cls(
            code=state.code,
            name=state.name,
            membership=state.membership,
            timezone=state.timezone,
            critical_capabilities=list(state.critical_capabilities or []),
        )


class AuthorityOut(Out):
    id: int
    state: str
    name: str
    kind: str
    contact_channel: str | None
    may_request: bool
    may_answer: bool

    @classmethod
    def of(cls, authority: Authority) -> Self:
        return cls(
            id=authority.id,
            state=authority.state_code,
            name=authority.name,
            kind=authority.kind,
            contact_channel=authority.contact_channel,
            may_request=authority.may_request,
            may_answer=authority.may_answer,
        )


class CapabilityOut(Out):
    code: str
    family: str
    name: str
    description: str | None

    @classmethod
    def of(cls, capability: Capability) -> Self:
        return cls.model_validate(capability)


class ReadinessOut(Out):
    """A unit's current readiness: the status and its three axes, with the reason given."""

    status: str
    break_off_min: int | None
    personnel: str | None
    equipment: str | None
    transport: str | None
    reason: str | None
    changed_at: IsoTime | None

    @classmethod
    def of(cls, unit: Unit) -> Self:
        return cls(
            status=unit.readiness_status,
            break_off_min=unit.readiness_break_off_min,
            personnel=unit.readiness_personnel,
            equipment=unit.readiness_equipment,
            transport=unit.readiness_transport,
            reason=unit.readiness_reason,
            changed_at=unit.readiness_changed_at,
        )


class PointOut(Out):
    lat: float
    lon: float


class StationOut(Out):
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
    base: PointOut
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
    def of(cls, unit: Unit) -> Self:
        return cls(
            id=unit.id,
            key=unit.key,
            name=unit.name,
            local_name=unit.local_name,
            english_name=unit.english_name,
            state=unit.state_code,
            parent_agency=unit.parent_agency,
            base_city=unit.base_city,
            base=PointOut(lat=unit.lat, lon=unit.lon),
            stations=[StationOut.model_validate(s) for s in unit.stations],
            tier=unit.tier,
            personnel=unit.personnel,
            air_transport=unit.air_transport,
            languages=list(unit.languages or []),
            notice_to_move=NoticeToMoveOut(
                domestic_min=unit.notice_domestic_min, international_min=unit.notice_international_min
            ),
            capabilities=[c.capability_code for c in unit.capabilities],
            capability_details=[
                CapabilityHoldingOut(code=c.capability_code, level=c.level, quantity=c.quantity)
                for c in unit.capabilities
            ],
            readiness=ReadinessOut.of(unit),
            version=unit.version,
            source_note=unit.source_note,
        )


class ReadinessChangeOut(Out):
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

    @classmethod
    def of(cls, row: ReadinessChange) -> Self:
        return cls.model_validate(row)


class ReadinessChangedEvent(Out):
    """The payload of ``readiness.changed``."""

    unit_id: int
    state: str
    name: str
    readiness: ReadinessOut
    version: int

    @classmethod
    def of(cls, unit: Unit) -> Self:
        return cls(
            unit_id=unit.id, state=unit.state_code, name=unit.name, readiness=ReadinessOut.of(unit), version=unit.version
        )


class UnitEvent(Out):
    """The payload of ``directory.unit_created`` and ``directory.unit_updated``."""

    unit: UnitOut
