"""Seed the public ATLAS directory (idempotent) and, on request, fictional demo accounts."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import Authority, Capability, State, Unit, UnitCapability, UnitStation, User, utcnow

from . import audit
from .accounts import GrantSpec, create_user

# States whose demo accounts exist: enough for the five-state story (a hijacked aircraft in
# Belgium, answered by France, Germany, the Netherlands and Austria).
DEMO_STATES = ("BE", "FR", "DE", "NL", "AT")
DEMO_UNITS = {"BE": "be-dsu", "FR": "fr-gign", "DE": "de-gsg9", "NL": "nl-dsi", "AT": "at-eko-cobra"}


def load_directory() -> dict[str, Any]:
    text = resources.files("atlas_coord.seed").joinpath("directory.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class SeedReport:
    states: int
    authorities: int
    capabilities: int
    units: int
    created_units: int


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
    report = SeedReport(
        states=session.scalar(sa.select(sa.func.count()).select_from(State)) or 0,
        authorities=session.scalar(sa.select(sa.func.count()).select_from(Authority)) or 0,
        capabilities=session.scalar(sa.select(sa.func.count()).select_from(Capability)) or 0,
        units=session.scalar(sa.select(sa.func.count()).select_from(Unit)) or 0,
        created_units=created,
    )
    if created:
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
