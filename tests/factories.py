"""Test data builders: the seeded directory is the base; these add or look up what a story needs."""

from __future__ import annotations

import sqlalchemy as sa

from atlas_coord.models import Unit


def unit_id(session, key: str) -> int:
    """The id of a seeded unit by its stable key (e.g. ``fr-gign``)."""
    found = session.scalar(sa.select(Unit.id).where(Unit.key == key))
    assert found is not None, f"seeded unit {key} missing"
    return found


def unit_payload(**overrides) -> dict:
    """A valid POST /api/v1/units body for Belgium, changed by ``overrides``."""
    body = {
        "state": "BE",
        "name": "DSU Antwerp detachment (test)",
        "parent_agency": "Federal Police",
        "base_city": "Antwerp",
        "base": {"lat": 51.22, "lon": 4.40},
        "tier": "T2",
        "personnel": 40,
        "air_transport": "none",
        "languages": ["nl", "fr", "en"],
        "capabilities": [{"code": "ENV_BUILDING", "level": "full"}, {"code": "NEG", "level": "full", "quantity": 2}],
    }
    body.update(overrides)
    return body
