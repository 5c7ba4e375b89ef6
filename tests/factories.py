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


# ---------------------------------------------------------------- assistance requests (issue 3)

import contextlib  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402


def in_hours(hours: float) -> str:
    """An ISO 8601 UTC time ``hours`` from now (negative for the past)."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def hijacked_aircraft(**overrides) -> dict:
    """A crisis body: a hijacked aircraft at Brussels Airport (Zaventem), owned by Belgium."""
    body = {
        "type": "aircraft_hijacking",
        "site": {"lat": 50.9014, "lon": 4.4844},
        "place_name": "Brussels Airport, Zaventem",
        "started_at": in_hours(-1),
        "description": "An airliner on the apron with about 180 passengers; armed hijackers on board.",
        "exercise": False,
        "classification": "RESTREINT UE/EU RESTRICTED",
    }
    body.update(overrides)
    return body


def request_payload(**overrides) -> dict:
    """A valid POST /api/v1/requests body: Belgium asks FR, DE, NL and AT for armed assistance."""
    body = {
        "crisis": hijacked_aircraft(),
        "kinds": ["ACTION_ARMED", "EXPERTISE"],
        "operational_necessity": "Simultaneous assault on an aircraft needs more aircraft-entry teams "
                                 "and negotiators than the DSU can field alone.",
        "requirements": [
            {"code": "ENV_AIRCRAFT", "quantity": 2, "min_level": "full"},
            {"code": "NEG", "quantity": 4, "min_level": "full"},
        ],
        "needed_by": in_hours(4),
        "duration_hours": 48,
        "addressees": ["FR", "DE", "NL", "AT"],
        "answer_deadline": in_hours(1),
        "submit": True,
    }
    body.update(overrides)
    return body


def actor_named(session, username: str):
    """The policy Actor of a seeded (demo) user, for calling services directly."""
    from atlas_coord.models import User
    from atlas_coord.services.accounts import actor_for

    user = session.scalar(sa.select(User).where(User.username == username))
    assert user is not None, f"user {username} missing"
    return actor_for(session, user)


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


#: The four-unit exercise of issue #16: GIGN hosts RAID, GSG 9 and DSI (keys of the seeded units).
EXERCISE_UNITS = ("fr-gign", "fr-raid", "de-gsg9", "nl-dsi")


def four_unit_exercise_payload(unit_ids: dict[str, int], *, first_day: str = "2027-03-09", last_day: str = "2027-03-11",
                               **overrides) -> dict:
    """A 3-day field exercise at Satory hosted by GIGN with RAID, GSG 9 and DSI invited: every
    participant off duty, so it adds close to a hundred planning conflicts (readiness guards in
    France, Germany and the Netherlands, coverage gaps across the network)."""
    gign, raid, gsg9, dsi = (unit_ids[k] for k in EXERCISE_UNITS)
    return training_payload(
        host_unit_id=gign, title="ATLAS joint field exercise, Satory", kind="field_exercise",
        venue={"name": "Camp de Satory, Versailles", "lat": 48.7833, "lon": 2.1000}, timezone="Europe/Paris",
        start_local=f"{first_day}T08:00", end_local=f"{last_day}T18:00", invite_unit_ids=[raid, gsg9, dsi],
        **overrides,
    )


def demo_actor(session, username: str):
    """The policy Actor of a seeded demo user, for calling services directly."""
    from atlas_coord.models import User
    from atlas_coord.services.accounts import actor_for

    user = session.scalar(sa.select(User).where(User.username == username))
    assert user is not None, f"user {username} missing"
    return actor_for(session, user)


@contextlib.contextmanager
def signed_in(database, username: str):
    """One committed transaction acting as ``username``: ``with signed_in(db, "demo-ca-fr") as (s, actor)``."""
    with database.transaction() as session:
        yield session, actor_named(session, username)


def raise_request(database, username: str = "demo-cc-be", **overrides) -> int:
    """Raise (and by default submit) :func:`request_payload` through the service; returns its id."""
    from atlas_coord.services import requests
    from atlas_coord.services.requests.commands import RequestCreate

    with signed_in(database, username) as (session, actor):
        return requests.raise_request(session, actor, RequestCreate.model_validate(request_payload(**overrides))).id


def accept_with(database, request_id: int, state: str, *unit_keys: str) -> list[int]:
    """``state``'s competent authority accepts, offering the units by key; returns the new deployment ids."""
    from atlas_coord.models import Deployment
    from atlas_coord.services import requests
    from atlas_coord.services.requests.commands import AnswerAccept

    with signed_in(database, f"demo-ca-{state.lower()}") as (session, actor):
        units = [unit_id(session, key) for key in unit_keys]
        requests.accept(session, actor, request_id, state, AnswerAccept(units=units))
        return list(session.scalars(
            sa.select(Deployment.id).where(Deployment.request_id == request_id, Deployment.unit_id.in_(units))
            .order_by(Deployment.id)
        ))


def deployment_steps(database, request_id: int, deployment_id: int, username: str, *steps: str) -> None:
    """Run commander steps (accept, mobilise, depart, arrive, stand_down, return_home) in order."""
    from atlas_coord.services import deployments
    from atlas_coord.services.requests import commands as sr

    bodies = {
        "accept": sr.DeploymentAccept(),
        "mobilise": sr.DeploymentMobilise(),
        "depart": sr.DeploymentDepart.model_validate({"eta": in_hours(3)}),
        "arrive": sr.DeploymentArrive(on_scene_commander="Commissaire divisionnaire Peeters"),
        "stand_down": sr.DeploymentStandDown(),
        "return_home": sr.Empty(),
    }
    for step in steps:
        with signed_in(database, username) as (session, actor):
            getattr(deployments, step)(session, actor, request_id, deployment_id, bodies[step])


def seed_snapshots() -> list:
    """The seeded directory's units as the ranking's snapshots, without a database: the fields
    :func:`atlas_coord.services.matching.unit_snapshot` reads, as ``seed_directory`` stores them
    (every unit READY). Ids follow the seed's order, from 1."""
    from atlas_coord.domain.ranking import CapabilityHolding, UnitSnapshot
    from atlas_coord.services.seed import load_directory

    return [
        UnitSnapshot(
            id=i, state=u["state"], name=u["name"], lat=u["lat"], lon=u["lon"],
            stations=tuple((s["lat"], s["lon"]) for s in u.get("stations", [])), tier=u["tier"],
            personnel=u["personnel"], air_transport=u["air_transport"],
            notice_domestic_min=u["notice_domestic_min"], notice_international_min=u["notice_international_min"],
            capabilities={c["code"]: CapabilityHolding(c["level"], c.get("quantity")) for c in u["capabilities"]},
        )
        for i, u in enumerate(load_directory()["units"], start=1)
    ]


def seed_airlift() -> dict:
    """The seeded airlift as the ranking reads it (``services.matching.airlift_for_ranking``), without
    a database: per state of the directory, its own fixed-wing aircraft first, then those its partners
    lend, through the service's own conversion (:func:`~atlas_coord.domain.ranking.routes.airlift_options`)."""
    from atlas_coord.domain.airlift import AirliftAsset
    from atlas_coord.domain.geo import GeoPoint
    from atlas_coord.domain.ranking.routes import airlift_options
    from atlas_coord.services.seed import load_airlift, load_directory

    values = [
        AirliftAsset(
            state=a["state"], kind=a["kind"], aircraft_type=a["aircraft_type"], seats=a["seats"],
            mobilisation_min=a["mobilisation_min"], base_icao=a["base_icao"], base=GeoPoint(a["lat"], a["lon"]),
            count=a["aircraft_count"], operator=a["operator"], partners=tuple(a["partners"]),
        )
        for a in sorted(load_airlift()["assets"], key=lambda a: (a["state"], a["key"]))
    ]
    codes = sorted(s["code"] for s in load_directory()["states"])
    return {
        code: airlift_options([v for v in values if v.state == code]
                              + [v for v in values if v.state != code and v.may_carry(code)])
        for code in codes
    }


# ---------------------------------------------------------------- duty rosters and alerts (issue 15)


def roster_csv(primary: str, backup: str | None = None, *, timezone: str = "Europe/Paris",
               primary_contacts: tuple[tuple[str, str], ...] = (), backup_contacts: tuple[tuple[str, str], ...] = (),
               fallback: str | None = None, extra_rows: tuple[str, ...] = ()) -> str:
    """A round-the-clock roster as CSV: ``primary`` on duty every day 00:00-24:00 (one shift a
    day, 00:00 to 00:00 of the next day written as two halves), ``backup`` behind them."""
    lines = ["record,day,start,end,primary,backup,officer,channel,address", f"timezone,,,,,,,,{timezone}"]
    if fallback:
        lines.append(f"fallback,,,,,,,email,{fallback}")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        lines.append(f"shift,{day},00:00,12:00,{primary},{backup or ''},,,")
        lines.append(f"shift,{day},12:00,00:00,{primary},{backup or ''},,,")
    lines += [f"contact,,,,,,{primary},{channel},{address}" for channel, address in primary_contacts]
    if backup:
        lines += [f"contact,,,,,,{backup},{channel},{address}" for channel, address in backup_contacts]
    return "\n".join([*lines, *extra_rows]) + "\n"


def put_roster(database, org: str, csv_text: str) -> None:
    """Import a roster as the system (no actor), committed."""
    from atlas_coord.services import duty

    with database.transaction() as session:
        duty.import_csv(session, None, org, csv_text)
