"""Seed the public ATLAS directory (idempotent) and, on request, fictional demo accounts."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import (
    AirliftAsset,
    Authority,
    Capability,
    State,
    Unit,
    UnitCapability,
    UnitStation,
    User,
    utcnow,
)

from . import audit
from .accounts import GrantSpec, create_user

# States whose demo accounts exist: enough for the five-state story (a hijacked aircraft in
# Belgium, answered by France, Germany, the Netherlands and Austria).
DEMO_STATES = ("BE", "FR", "DE", "NL", "AT")
DEMO_UNITS = {"BE": "be-dsu", "FR": "fr-gign", "DE": "de-gsg9", "NL": "nl-dsi", "AT": "at-eko-cobra"}


def _seed_file(name: str) -> dict[str, Any]:
    return json.loads(resources.files("atlas_coord.seed").joinpath(name).read_text(encoding="utf-8"))


def load_directory() -> dict[str, Any]:
    return _seed_file("directory.json")


def load_airlift() -> dict[str, Any]:
    """Each state's airlift (``airlift.json``): sources and assumptions in docs/airlift.md."""
    return _seed_file("airlift.json")


AIRLIFT_FIELDS = (
    "key", "kind", "aircraft_type", "operator", "base_name", "base_icao", "lat", "lon", "aircraft_count", "seats",
    "mobilisation_min", "mobilisation_assumed", "availability", "partners", "partners_assumed", "source_url",
    "source_note", "assumption",
)


def seed_airlift(session: Session, data: dict[str, Any] | None = None) -> int:
    """Insert the airlift rows that are missing, keyed by ``key``; returns how many were added.
    Existing rows are left as they are, like the units; rows of states not in the directory are skipped."""
    data = data or load_airlift()
    existing = set(session.scalars(sa.select(AirliftAsset.key)))
    states = set(session.scalars(sa.select(State.code)))
    missing = [item for item in data["assets"] if item["key"] not in existing and item["state"] in states]
    for item in missing:
        session.add(AirliftAsset(state_code=item["state"], **{k: item[k] for k in AIRLIFT_FIELDS}))
    session.flush()
    return len(missing)


@dataclass(frozen=True)
class SeedReport:
    states: int
    authorities: int
    capabilities: int
    units: int
    created_units: int
    airlift_assets: int = 0


def seed_directory(session: Session, data: dict[str, Any] | None = None) -> SeedReport:
    """Insert what is missing, keyed by state code, capability code, authority name and unit key.
    Existing rows are left as they are, so live readiness and local edits survive a re-seed."""
    data = data or load_directory()
    for item in data["capabilities"]:
        if session.get(Capability, item["code"]) is None:
            session.add(Capability(**{k: item[k] for k in ("code", "family", "name", "description")}))
    for item in data["states"]:
        if session.get(State, item["code"]) is None:
            session.add(State(**{k: item[k] for k in ("code", "name", "membership", "timezone", "critical_capabilities")}))
    session.flush()
    existing_authorities = set(session.execute(sa.select(Authority.state_code, Authority.name)).all())
    for item in data["authorities"]:
        if (item["state"], item["name"]) not in existing_authorities:
            session.add(
                Authority(
                    state_code=item["state"],
                    name=item["name"],
                    kind=item["kind"],
                    contact_channel=item["contact_channel"],
                    may_request=item["may_request"],
                    may_answer=item["may_answer"],
                )
            )
    existing_units = set(session.scalars(sa.select(Unit.key)))
    created = 0
    for item in data["units"]:
        if item["key"] in existing_units:
            continue
        created += 1
        session.add(
            Unit(
                key=item["key"],
                state_code=item["state"],
                name=item["name"],
                local_name=item["local_name"],
                english_name=item["english_name"],
                parent_agency=item["parent_agency"],
                base_city=item["base_city"],
                lat=item["lat"],
                lon=item["lon"],
                tier=item["tier"],
                personnel=item["personnel"],
                air_transport=item["air_transport"],
                languages=item["languages"],
                notice_domestic_min=item["notice_domestic_min"],
                notice_international_min=item["notice_international_min"],
                source_note=item.get("source_note"),
                readiness_status="READY",
                readiness_reason="seeded",
                readiness_changed_at=utcnow(),
                stations=[UnitStation(name=s["name"], lat=s["lat"], lon=s["lon"]) for s in item.get("stations", [])],
                capabilities=[
                    UnitCapability(capability_code=c["code"], level=c["level"], quantity=c.get("quantity"))
                    for c in item["capabilities"]
                ],
            )
        )
    session.flush()
    created_airlift = seed_airlift(session)
    report = SeedReport(
        states=session.scalar(sa.select(sa.func.count()).select_from(State)) or 0,
        authorities=session.scalar(sa.select(sa.func.count()).select_from(Authority)) or 0,
        capabilities=session.scalar(sa.select(sa.func.count()).select_from(Capability)) or 0,
        units=session.scalar(sa.select(sa.func.count()).select_from(Unit)) or 0,
        created_units=created,
        airlift_assets=session.scalar(sa.select(sa.func.count()).select_from(AirliftAsset)) or 0,
    )
    if created or created_airlift:
        audit.record(session, None, "system", "directory.seed", "directory", "atlas", after=report.__dict__)
    return report


@dataclass(frozen=True)
class DemoAccount:
    username: str
    roles: tuple[str, ...]
    description: str


def demo_accounts(session: Session) -> list[DemoAccount]:
    unit_ids = dict(session.execute(sa.select(Unit.key, Unit.id)).all())
    accounts = [
        DemoAccount("demo-admin", ("admin",), "administrator (demo)"),
        DemoAccount("demo-observer", ("observer",), "ATLAS support office, read-only (demo)"),
        DemoAccount("demo-planner", ("training_planner",), "network training planner (demo)"),
    ]
    for state in DEMO_STATES:
        low = state.lower()
        accounts.append(DemoAccount(f"demo-cc-{low}", (f"crisis_centre:{state}",), f"{state} national crisis centre (demo)"))
        accounts.append(
            DemoAccount(f"demo-ca-{low}", (f"competent_authority:{state}",), f"{state} competent authority (demo)")
        )
        accounts.append(
            DemoAccount(f"demo-planner-{low}", (f"training_planner:{state}",), f"{state} training planner (demo)")
        )
        unit_key = DEMO_UNITS[state]
        if unit_key in unit_ids:
            accounts.append(
                DemoAccount(
                    f"demo-cmd-{low}",
                    (f"unit_commander:{unit_ids[unit_key]}",),
                    f"commander of {unit_key} (demo)",
                )
            )
    return accounts


def seed_demo_accounts(session: Session, password: str | None = None) -> tuple[str, list[DemoAccount]]:
    """Create the fictional demo accounts that are missing; all share one demo password."""
    password = password or secrets.token_urlsafe(12)
    accounts = demo_accounts(session)
    existing = set(session.scalars(sa.select(User.username)))
    for account in accounts:
        if account.username in existing:
            continue
        create_user(
            session,
            None,
            username=account.username,
            password=password,
            grants=[GrantSpec.parse(role) for role in account.roles],
            display_name=f"{account.description}",
            is_demo=True,
        )
    return password, accounts
