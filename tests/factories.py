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


# ---------------------------------------------------------------- trainings and exercises (issue 6)


def training_payload(**overrides) -> dict:
    """A valid POST /api/v1/trainings body: a one-day aircraft field exercise at Brussels Airport,
    hosted by the given unit (``host_unit_id`` must be set by the caller or in ``overrides``)."""
    body = {
        "kind": "field_exercise",
        "title": "Aircraft assault, Zaventem apron",
        "host_unit_id": None,
        "venue": {"name": "Brussels Airport, Zaventem", "lat": 50.9014, "lon": 4.4844},
        "timezone": "Europe/Brussels",
        "start_local": "2027-03-10T08:00",
        "end_local": "2027-03-10T16:00",
        "environments": ["ENV_AIRCRAFT"],
        "capabilities": ["ACCESS_ROPE", "BREACH_MECH"],
        "capacity": 4,
        "funding_note": "ATLAS common challenge budget line (illustrative)",
        "break_off_min": 90,
    }
    body.update(overrides)
    return body


def demo_actor(session, username: str):
    """The policy Actor of a seeded demo user, for calling services directly."""
    from atlas_coord.models import User
    from atlas_coord.services.accounts import actor_for

    user = session.scalar(sa.select(User).where(User.username == username))
    assert user is not None, f"user {username} missing"
    return actor_for(session, user)
