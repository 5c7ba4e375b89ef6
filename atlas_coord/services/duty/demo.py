"""Demo rosters for ``atlas-coord seed --demo``: fictional officers (the demo accounts) on duty
round the clock, with fictional addresses under ``duty.example`` (a reserved domain), marked demo."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.models import State, Unit, User

from .commands import RosterIn
from .rosters import load_org, replace_roster

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _roster(timezone: str, primary: str, backup: str | None, fallback: str) -> RosterIn:
    shifts = [{"weekday": day, "start": start, "end": end, "primary": primary, "backup": backup}
              for day in DAYS for start, end in (("07:00", "19:00"), ("19:00", "07:00"))]
    officers = [{"user": primary, "contacts": [{"channel": "email", "address": f"{primary}@duty.example"}]}]
    if backup:
        officers.append({"user": backup, "contacts": [{"channel": "email", "address": f"{backup}@duty.example"}]})
    return RosterIn.model_validate({"timezone": timezone, "fallback_email": fallback, "shifts": shifts,
                                    "officers": officers})


def seed_demo_rosters(session: Session, states: tuple[str, ...], units: dict[str, str]) -> list[str]:
    """Rosters of the demo states' competent authorities, crisis centres and demo units (those
    missing); returns the organisation keys created."""
    names = set(session.scalars(sa.select(User.username).where(User.is_demo.is_(True))))
    created = []
    for code in states:
        state = session.get(State, code)
        low = code.lower()
        unit_id = session.scalar(sa.select(Unit.id).where(Unit.key == units.get(code, "")))
        plans = [(f"ca-{code}", f"demo-ca-{low}", f"demo-cc-{low}"), (f"cc-{code}", f"demo-cc-{low}", f"demo-ca-{low}")]
        if unit_id is not None:
            plans.append((f"unit-{unit_id}", f"demo-cmd-{low}", None))
        for key, primary, backup in plans:
            if state is None or primary not in names or load_org(session, key) is not None:
                continue
            roster = _roster(state.timezone, primary, backup if backup in names else None, f"permanence-{low}@duty.example")
            replace_roster(session, None, key, roster, demo=True)
            created.append(key)
    return created
