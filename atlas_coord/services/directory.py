"""The directory use cases: states, authorities, capabilities, units and their readiness.

A readiness reason written by a deployment names its request: the audit trail keeps it whole,
events carry the neutral form, and a read shows it to the viewers :func:`request_reader` allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain.choices import ReadinessStatus
from atlas_coord.domain.readiness_reasons import everyone
from atlas_coord.models import (
    Authority,
    Capability,
    ReadinessChange,
    State,
    Unit,
    UnitCapability,
    UnitStation,
    utcnow,
)
from atlas_coord.policy import Action, Actor, granting
from atlas_coord.serializers.directory import ReadinessChangedEvent, ReadinessOut, UnitEvent, UnitOut

from . import audit, events, visibility
from .child_rows import ChildRows
from .coverage import live as coverage_live
from .directory_commands import ReadinessUpdate, UnitCreate, UnitFilter, UnitUpdate
from .errors import Conflict, Forbidden, Invalid, NotFound
from .inputs import LIKE_ESCAPE, like_contains
from .transitions import check_expected_version, claim_version

ILLUSTRATIVE_NOTE = "Illustrative public data, not an official ATLAS or GSC list."


# ---------------------------------------------------------------- reads

def list_states(session: Session) -> list[State]:
    return list(session.scalars(sa.select(State).order_by(State.code)))


def list_authorities(session: Session, state: str | None = None) -> list[Authority]:
    query = sa.select(Authority).order_by(Authority.state_code, Authority.id)
    if state:
        query = query.where(Authority.state_code == state)
    return list(session.scalars(query))


def list_capabilities(session: Session) -> list[Capability]:
    return list(session.scalars(sa.select(Capability).order_by(Capability.family, Capability.code)))


def _unit_query():
    return sa.select(Unit).options(selectinload(Unit.capabilities), selectinload(Unit.stations))


# Built once, with their parameters bound at each call (see child_rows.ChildRows). A page's
# stations and holdings in the relationships' own orders (models/directory.py).
_UNIT_BY_ID = _unit_query().where(Unit.id == sa.bindparam("unit_id"))
_STATIONS = ChildRows(UnitStation.unit_id, (UnitStation.id, UnitStation.name, UnitStation.lat, UnitStation.lon),
                      UnitStation.id)
_HOLDINGS = ChildRows(UnitCapability.unit_id, (UnitCapability.capability_code, UnitCapability.level,
                                               UnitCapability.quantity), UnitCapability.capability_code)


@dataclass(frozen=True)
class UnitPage:
    """A page of units, with their stations and capability holdings as plain rows by unit id
    (attributes of UnitStation and UnitCapability): loading them as objects cost most of the
    list's CPU (a page of 50 units holds ~500 of them)."""

    units: list[Unit]
    total: int
    stations: dict[int, list[Any]]
    holdings: dict[int, list[Any]]


def list_units(session: Session, filters: UnitFilter) -> UnitPage:
    """Units matching the filters, in a stable order (state, name, id), one page at a time.

    :raise Invalid: an unknown state or capability code in the filter.
    """
    conditions = []
    if filters.state:
        if session.get(State, filters.state) is None:
            raise Invalid(f"unknown state {filters.state!r}", fields={"state": "unknown state code"})
        conditions.append(Unit.state_code == filters.state)
    if filters.capability:
        if session.get(Capability, filters.capability) is None:
            raise Invalid(
                f"unknown capability {filters.capability!r}", fields={"capability": "unknown capability code"}
            )
        conditions.append(
            Unit.id.in_(sa.select(UnitCapability.unit_id).where(UnitCapability.capability_code == filters.capability))
        )
    if filters.readiness:
        conditions.append(Unit.readiness_status == filters.readiness.value)
    if filters.q:
        conditions.append(_matching_text(filters.q))
    total = session.scalar(sa.select(sa.func.count()).select_from(Unit).where(*conditions)) or 0
    query = (
        sa.select(Unit)
        .where(*conditions)
        .order_by(Unit.state_code, Unit.name, Unit.id)
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    )
    units = list(session.scalars(query))
    ids = [unit.id for unit in units]
    stations = _STATIONS.by_parent(session, ids)
    holdings = _HOLDINGS.by_parent(session, ids)
    return UnitPage(units, total, stations, holdings)


def _matching_text(text: str) -> sa.ColumnElement[bool]:
    """Units whose names, parent agency or base city contain ``text``, or that hold a capability
    whose name contains it ("aircraft" finds the units holding Aircraft); case-insensitive, ``%``
    and ``_`` taken literally. Not the codes: "_" would then find every unit with ENV_... ."""
    pattern = like_contains(text.lower())

    def contains(column: Any) -> sa.ColumnElement[bool]:
        return sa.func.lower(column).like(pattern, escape=LIKE_ESCAPE)

    by_capability = (
        sa.select(UnitCapability.unit_id)
        .join(Capability, Capability.code == UnitCapability.capability_code)
        .where(contains(Capability.name))
    )
    return sa.or_(
        *(contains(column) for column in (Unit.name, Unit.local_name, Unit.english_name, Unit.parent_agency,
                                          Unit.base_city)),
        Unit.id.in_(by_capability),
    )


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.scalar(_UNIT_BY_ID, {"unit_id": unit_id})
    if unit is None:
        raise NotFound(f"unit {unit_id} not found", fields={"unit_id": "unknown unit"})
    return unit


def request_reader(session: Session, actor: Actor) -> Callable[[int], bool]:
    """Whether ``actor`` may know of a request named in a readiness reason: the need-to-know rule
    of ``services.visibility``, asked once per request for one response."""
    known: dict[int, bool] = {}

    def may_see(request_id: int) -> bool:
        if request_id not in known:
            known[request_id] = visibility.may_see_request(session, actor, request_id)
        return known[request_id]

    return may_see


def readiness_history(session: Session, unit_id: int, limit: int = 200) -> list[ReadinessChange]:
    """The unit's readiness changes, newest first.

    :raise NotFound: unknown unit.
    """
    get_unit(session, unit_id)
    return list(session.scalars(
        sa.select(ReadinessChange)
        .where(ReadinessChange.unit_id == unit_id)
        .order_by(ReadinessChange.changed_at.desc(), ReadinessChange.id.desc())
        .limit(limit)
    ))


# ---------------------------------------------------------------- writes

def _check_capabilities(session: Session, codes: list[str]) -> None:
    known = set(session.scalars(sa.select(Capability.code).where(Capability.code.in_(codes))))
    for index, code in enumerate(codes):
        if code not in known:
            raise Invalid(
                f"unknown capability {code!r}", fields={f"capabilities.{index}.code": "unknown capability code"}
            )
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            raise Invalid(f"capability {code!r} listed twice", fields={f"capabilities.{index}.code": "duplicate"})
        seen.add(code)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70] or "unit"


def create_unit(session: Session, actor: Actor, data: UnitCreate) -> Unit:
    """Add a unit to the directory (admin, or the state's own competent authority).

    :raise Invalid: unknown state or capability, duplicate key.
    :raise Forbidden: the actor may not add units for that state.
    """
    if session.get(State, data.state) is None:
        raise Invalid(f"unknown state {data.state!r}", fields={"state": "unknown state code"})
    grant = granting(actor, Action.UNIT_CREATE, state=data.state)
    if grant is None:
        raise Forbidden(f"you may not add units for {data.state}")
    _check_capabilities(session, [c.code for c in data.capabilities])
    key = data.key or f"{data.state.lower()}-{_slug(data.name)}"
    if session.scalar(sa.select(Unit.id).where(Unit.key == key)) is not None:
        raise Invalid(f"unit key {key!r} already exists", fields={"key": "already taken"})
    unit = Unit(
        key=key,
        state_code=data.state,
        name=data.name,
        local_name=data.local_name or data.name,
        english_name=data.english_name or data.name,
        parent_agency=data.parent_agency,
        base_city=data.base_city,
        lat=data.base.lat,
        lon=data.base.lon,
        tier=data.tier,
        personnel=data.personnel,
        air_transport=data.air_transport,
        languages=list(data.languages),
        notice_domestic_min=data.notice_domestic_min,
        notice_international_min=data.notice_international_min,
        source_note=data.source_note,
        readiness_status=ReadinessStatus("READY").value,
        readiness_changed_at=utcnow(),
        stations=[UnitStation(name=s.name, lat=s.lat, lon=s.lon) for s in data.stations],
        capabilities=[
            UnitCapability(capability_code=c.code, level=c.level.value, quantity=c.quantity) for c in data.capabilities
        ],
    )
    session.add(unit)
    session.flush()
    view = UnitOut.of(unit)
    audit.record(session, actor, grant.label(), "unit.create", "unit", unit.id, after=view.wire())
    events.publish(session, "directory.unit_created", f"unit:{unit.id}", UnitEvent(unit=view).wire(), [events.ROOM_ALL])
    return unit


def update_unit(session: Session, actor: Actor, unit_id: int, data: UnitUpdate) -> Unit:
    """Change a unit's directory entry; only the given fields change.

    :raise NotFound: unknown unit.
    :raise Forbidden: not the unit's state's authority nor an admin.
    :raise Conflict: ``expected_version`` is stale.
    """
    unit = get_unit(session, unit_id)
    grant = granting(actor, Action.UNIT_UPDATE, state=unit.state_code)
    if grant is None:
        raise Forbidden(f"you may not change units of {unit.state_code}")
    check_expected_version(unit, data.expected_version, f"unit {unit_id}")
    before = UnitOut.of(unit, everyone).wire()
    changes = data.model_dump(exclude_unset=True, exclude={"expected_version"})
    if "capabilities" in changes:
        _check_capabilities(session, [c.code for c in data.capabilities or []])
        unit.capabilities = [
            UnitCapability(capability_code=c.code, level=c.level.value, quantity=c.quantity)
            for c in data.capabilities or []
        ]
        session.flush()
    if "stations" in changes:
        unit.stations = [UnitStation(name=s.name, lat=s.lat, lon=s.lon) for s in data.stations or []]
    if "base" in changes and data.base is not None:
        unit.lat, unit.lon = data.base.lat, data.base.lon
    for field in (
        "name", "local_name", "english_name", "parent_agency", "base_city", "tier", "personnel",
        "air_transport", "languages", "notice_domestic_min", "notice_international_min", "source_note",
    ):
        if field in changes and changes[field] is not None:
            setattr(unit, field, changes[field])
    claim_version(session, unit, before["version"], f"unit {unit.id}")
    after = UnitOut.of(unit, everyone).wire()
    audit.record(session, actor, grant.label(), "unit.update", "unit", unit.id, before=before, after=after)
    events.publish(session, "directory.unit_updated", f"unit:{unit.id}", UnitEvent(unit=UnitOut.of(unit)).wire(),
                   [events.ROOM_ALL])
    return unit


MANUAL_STATUSES = {"READY", "LIMITED", "TRAINING", "UNAVAILABLE"}


def set_readiness(session: Session, actor: Actor, unit_id: int, data: ReadinessUpdate) -> Unit:
    """The unit's commander reports readiness, with a reason; history keeps every change.

    :raise Forbidden: not this unit's commander (or an admin).
    :raise Invalid: COMMITTED is set by deployments, not by hand.
    :raise Conflict: the unit is committed to a deployment, or ``expected_version`` is stale.
    """
    unit = get_unit(session, unit_id)
    grant = granting(actor, Action.UNIT_READINESS, unit_id=unit.id, state=unit.state_code)
    if grant is None:
        raise Forbidden("only the unit's commander may change its readiness")
    if data.status.value not in MANUAL_STATUSES:
        raise Invalid(
            "COMMITTED follows deployments and cannot be set by hand",
            fields={"status": "one of READY, LIMITED, TRAINING, UNAVAILABLE"},
        )
    if unit.readiness_status == "COMMITTED":
        raise Conflict(
            "the unit is committed to a deployment; its readiness returns when the deployment ends",
            current={"status": unit.readiness_status},
        )
    if data.expected_version is not None and data.expected_version != unit.version:
        raise Conflict(f"unit {unit_id} changed since version {data.expected_version}", current={"version": unit.version})
    return apply_readiness(
        session,
        unit,
        status=data.status.value,
        reason=data.reason,
        source="commander",
        actor=actor,
        role=grant.label(),
        break_off_min=data.break_off_min,
        axes=(data.personnel.value, data.equipment.value, data.transport.value),
    )


def apply_readiness(
    session: Session,
    unit: Unit,
    *,
    status: str,
    reason: str,
    source: str,
    actor: Actor | None,
    role: str,
    break_off_min: int | None = None,
    axes: tuple[str, str, str] | None = None,
    request_id: int | None = None,
) -> Unit:
    """Change readiness (used by commanders, deployments and trainings): history, audit, event."""
    before = ReadinessOut.of(unit, everyone).wire()
    previous = unit.readiness_status
    seen_version = unit.version
    personnel, equipment, transport = axes or (
        unit.readiness_personnel,
        unit.readiness_equipment,
        unit.readiness_transport,
    )
    unit.readiness_status = status
    unit.readiness_break_off_min = break_off_min
    unit.readiness_personnel, unit.readiness_equipment, unit.readiness_transport = personnel, equipment, transport
    unit.readiness_reason = reason
    unit.readiness_changed_at = utcnow()
    session.add(
        ReadinessChange(
            unit_id=unit.id,
            previous_status=previous,
            status=status,
            break_off_min=break_off_min,
            personnel=personnel,
            equipment=equipment,
            transport=transport,
            reason=reason,
            source=source,
            changed_by_id=actor.user_id if actor else None,
            changed_at=unit.readiness_changed_at,
        )
    )
    claim_version(session, unit, seen_version, f"unit {unit.id}")
    audit.record(
        session, actor, role, "unit.readiness", "unit", unit.id, before=before,
        after=ReadinessOut.of(unit, everyone).wire(), request_id=request_id,
    )
    # To everyone, so with the neutral reason; the request's audience reads the full one over REST.
    payload = ReadinessChangedEvent.of(unit, coverage=coverage_live.change_of(unit)).wire()
    events.publish(session, "readiness.changed", f"unit:{unit.id}", payload, [events.ROOM_ALL])
    return unit


