"""Airlift: each state's aircraft that may carry its units, and those its partners lend.

Directory data (``airlift_asset``), seeded from ``atlas_coord/seed/airlift.json``; the ranking
reads it as domain values through :func:`airlift_for_states`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.airlift import AirliftAsset as AirliftValue
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


def as_value(row: AirliftAsset) -> AirliftValue:
    """The domain value of one row."""
    return AirliftValue(
        state=row.state_code,
        kind=row.kind,
        aircraft_type=row.aircraft_type,
        seats=row.seats,
        mobilisation_min=row.mobilisation_min,
        base_icao=row.base_icao,
        base=row.base,
        count=row.aircraft_count,
        operator=row.operator,
        partners=tuple(row.partners or ()),
        assumption=row.assumption,
        mobilisation_assumed=row.mobilisation_assumed,
        partners_assumed=row.partners_assumed,
    )


def airlift_for_states(session: Session) -> dict[str, tuple[AirliftValue, ...]]:
    """Every state's airlift as domain values: its own assets first, then those partners lend it
    (``asset.state != code``). A state without any row maps to an empty tuple."""
    values = [as_value(row) for row in _all_assets(session)]
    codes = session.scalars(sa.select(State.code).order_by(State.code))
    return {
        code: tuple(v for v in values if v.state == code) + tuple(v for v in values if v.state != code and v.may_carry(code))
        for code in codes
    }
