"""Airlift: each state's aircraft that may carry its units, and those its partners lend.

Directory data (``airlift_asset``), seeded from ``atlas_coord/seed/airlift.json``; the ranking
reads it as domain values through :func:`airlift_for_states`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.airlift import AirliftAsset as AirliftValue
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.models import AirliftAsset, State

from .errors import NotFound


@dataclass(frozen=True)
class StateAirlift:
    """The aircraft that may carry a state's units: its own, and its partners' lent to it."""

    state: str
    own: list[AirliftAsset]
    partners: list[AirliftAsset]


def _all_assets(session: Session) -> list[AirliftAsset]:
    return list(session.scalars(sa.select(AirliftAsset).order_by(AirliftAsset.state_code, AirliftAsset.key)))


def state_airlift(session: Session, state: str) -> StateAirlift:
    """The airlift rows that may carry ``state``'s units (a few dozen rows: filtered here, since
    ``partners`` is a JSON list on SQLite and PostgreSQL alike).

    :raise NotFound: an unknown state code.
    """
    code = state.upper()
    if session.get(State, code) is None:
        raise NotFound(f"state {state} not found", fields={"code": "unknown state"})
    rows = _all_assets(session)
    return StateAirlift(
        state=code,
        own=[row for row in rows if row.state_code == code],
        partners=[row for row in rows if row.state_code != code and code in (row.partners or [])],
    )


def as_value(row: Any) -> AirliftValue:
    """The domain value of one row (an :class:`AirliftAsset` or a row of :data:`_VALUE_COLUMNS`)."""
    return AirliftValue(
        state=row.state_code,
        kind=row.kind,
        aircraft_type=row.aircraft_type,
        seats=row.seats,
        mobilisation_min=row.mobilisation_min,
        base_icao=row.base_icao,
        base=GeoPoint(row.lat, row.lon),
        count=row.aircraft_count,
        operator=row.operator,
        partners=tuple(row.partners or ()),
        assumption=row.assumption,
        mobilisation_assumed=row.mobilisation_assumed,
        partners_assumed=row.partners_assumed,
    )


# What the domain value is built from: read as plain rows, since the ranking reads the whole
# table for every match and every submitted request (issue #18).
_VALUE_COLUMNS = (
    AirliftAsset.state_code, AirliftAsset.kind, AirliftAsset.aircraft_type, AirliftAsset.seats,
    AirliftAsset.mobilisation_min, AirliftAsset.base_icao, AirliftAsset.lat, AirliftAsset.lon,
    AirliftAsset.aircraft_count, AirliftAsset.operator, AirliftAsset.partners, AirliftAsset.assumption,
    AirliftAsset.mobilisation_assumed, AirliftAsset.partners_assumed,
)


@dataclass(frozen=True)
class AirliftRows:
    """Every airlift asset as a domain value (in state and key order) and every state code: all
    that :func:`by_state` is computed from, and a value that compares equal while they do."""

    values: tuple[AirliftValue, ...]
    codes: tuple[str, ...]


def airlift_rows(session: Session) -> AirliftRows:
    rows = session.execute(sa.select(*_VALUE_COLUMNS).order_by(AirliftAsset.state_code, AirliftAsset.key))
    return AirliftRows(tuple(as_value(row) for row in rows),
                       tuple(session.scalars(sa.select(State.code).order_by(State.code))))


def by_state(rows: AirliftRows) -> dict[str, tuple[AirliftValue, ...]]:
    """Every state's airlift: its own assets first, then those partners lend it (``asset.state !=
    code``). A state without any row maps to an empty tuple."""
    return {
        code: tuple(v for v in rows.values if v.state == code)
        + tuple(v for v in rows.values if v.state != code and v.may_carry(code))
        for code in rows.codes
    }


def airlift_for_states(session: Session) -> dict[str, tuple[AirliftValue, ...]]:
    """Every state's airlift as domain values (:func:`by_state`)."""
    return by_state(airlift_rows(session))
