"""Duty rosters: read, replace (JSON or CSV), who is on duty, gaps, and the ladder of an alert.

An organisation is named by a key: ``ca-FR`` (France's competent authority), ``cc-FR`` (its
crisis centre) or ``unit-12``. Who may keep or read a roster is the policy's
(``roster.manage`` / ``roster.read``, scoped to the organisation's State or unit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain import duty
from atlas_coord.models import DutyContact, DutyOrg, DutyShift, State, Unit, User, utcnow
from atlas_coord.policy import Action, Actor, can, granting

from .. import audit, events
from ..errors import Conflict, Forbidden, Invalid, NotFound
from .commands import RosterIn

KINDS = {"ca": "competent_authority", "cc": "crisis_centre", "unit": "unit"}
_KEY = re.compile(r"^(ca|cc)-([A-Z]{2})$|^unit-([0-9]{1,9})$")


@dataclass(frozen=True)
class OrgRef:
    key: str
    kind: str
    state_code: str
    unit_id: int | None = None


def parse_org(session: Session, key: str) -> OrgRef:
    """:raise NotFound: not an organisation key (``ca-FR``, ``cc-FR``, ``unit-12``) or unknown."""
    match = _KEY.match(key or "")
    if match is None:
        raise NotFound(f"no organisation {key!r} (write ca-FR, cc-FR or unit-12)", fields={"org": "unknown"})
    prefix, code, unit = match.groups()
    if unit is not None:
        row = session.get(Unit, int(unit))
        if row is None:
            raise NotFound(f"no unit {unit}", fields={"org": "unknown unit"})
        return OrgRef(key, "unit", row.state_code, row.id)
    if session.get(State, code) is None:
        raise NotFound(f"no state {code}", fields={"org": "unknown state"})
    return OrgRef(key, KINDS[prefix], code)


def _allowed(actor: Actor, ref: OrgRef, action: Action) -> bool:
    return can(actor, action, state=ref.state_code, unit_id=ref.unit_id)


def _check(actor: Actor, ref: OrgRef, action: Action) -> None:
    """:raise NotFound: the actor may not even read it. :raise Forbidden: reads but may not change."""
    if not _allowed(actor, ref, Action.ROSTER_READ):
        raise NotFound(f"no roster {ref.key}", fields={"org": "unknown"})
    if not _allowed(actor, ref, action):
        raise Forbidden(f"you may not change the roster of {ref.key}")


def load_org(session: Session, key: str) -> DutyOrg | None:
    return session.scalar(sa.select(DutyOrg).where(DutyOrg.key == key))


def get_roster(session: Session, actor: Actor, key: str) -> DutyOrg:
    """:raise NotFound: unknown organisation, no roster yet, or not the actor's business."""
    ref = parse_org(session, key)
    _check(actor, ref, Action.ROSTER_READ)
    org = load_org(session, ref.key)
    if org is None:
        raise NotFound(f"{ref.key} has no roster yet", fields={"org": "no roster"})
    return org


def list_rosters(session: Session, actor: Actor) -> list[DutyOrg]:
    rows = session.scalars(sa.select(DutyOrg).order_by(DutyOrg.key))
    return [org for org in rows
            if can(actor, Action.ROSTER_READ, state=org.state_code, unit_id=org.unit_id)]


def usernames(session: Session, org: DutyOrg) -> dict[int, str]:
    ids = {i for s in org.shifts for i in (s.primary_user_id, s.backup_user_id) if i} | {c.user_id for c in org.contacts}
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all())


def domain_roster(session: Session, org: DutyOrg, names: dict[int, str] | None = None) -> duty.Roster:
    """The organisation's roster as the domain's value (``names``: :func:`usernames`, when read already)."""
    names = usernames(session, org) if names is None else names
    weekly, exceptions = [], []
    for row in org.shifts:
        start, end = time.fromisoformat(row.start_time), time.fromisoformat(row.end_time)
        primary, backup = names.get(row.primary_user_id), names.get(row.backup_user_id)
        if row.weekday is not None:
            weekly.append(duty.Shift(row.weekday, start, end, primary or "", backup))
        else:
            exceptions.append(duty.Exception_(row.day, start, end, primary, backup))
    return duty.Roster(org.timezone, tuple(weekly), tuple(exceptions))


# ---------------------------------------------------------------- replacing a roster

Locate = Callable[[str], str]


def _resolve_users(session: Session, data: RosterIn, locate: Locate) -> dict[str, int]:
    """Usernames to ids. :raise Invalid: naming every unknown or inactive user."""
    wanted: dict[str, list[str]] = {}
    for kind, items in (("shifts", data.shifts), ("exceptions", data.exceptions)):
        for index, item in enumerate(items):
            for role in ("primary", "backup"):
                name = getattr(item, role)
                if name:
                    wanted.setdefault(name, []).append(f"{kind}.{index}.{role}")
    for index, officer in enumerate(data.officers):
        wanted.setdefault(officer.user, []).append(f"officers.{index}.user")
    found = dict(session.execute(
        sa.select(User.username, User.id).where(User.username.in_(list(wanted)), User.is_active.is_(True))).all())
    missing = {locate(place): f"no active user {name!r}" for name, places in wanted.items() if name not in found
               for place in places}
    if missing:
        raise Invalid(f"unknown users: {', '.join(sorted(set(wanted) - set(found)))}", fields=missing)
    return found


def _to_domain(data: RosterIn) -> duty.Roster:
    return duty.Roster(
        data.timezone,
        tuple(duty.Shift(s.weekday_index, time.fromisoformat(s.start), time.fromisoformat(s.end), s.primary, s.backup)
              for s in data.shifts),
        tuple(duty.Exception_(x.date, time.fromisoformat(x.start), time.fromisoformat(x.end), x.primary, x.backup)
              for x in data.exceptions),
    )


def _write_rows(session: Session, org: DutyOrg, data: RosterIn, ids: dict[str, int]) -> None:
    org.shifts.clear()
    org.contacts.clear()
    session.flush()  # the old rows go before the new ones arrive (the unit of work inserts first)
    for s in data.shifts:
        org.shifts.append(DutyShift(weekday=s.weekday_index, start_time=s.start, end_time=s.end,
                                    primary_user_id=ids[s.primary], backup_user_id=ids.get(s.backup or "")))
    for x in data.exceptions:
        org.shifts.append(DutyShift(day=x.date, start_time=x.start, end_time=x.end,
                                    primary_user_id=ids.get(x.primary or ""), backup_user_id=ids.get(x.backup or "")))
    seen: set[tuple[int, str, str]] = set()
    for officer in data.officers:
        for position, contact in enumerate(officer.contacts):
            point = (ids[officer.user], contact.channel, contact.address)
            if point in seen:
                continue  # the same contact point twice: once is enough
            seen.add(point)
            org.contacts.append(DutyContact(user_id=ids[officer.user], position=position,
                                            channel=contact.channel, address=contact.address))


def replace_roster(session: Session, actor: Actor | None, key: str, data: RosterIn, *,
                   locate: Locate = str, demo: bool = False) -> DutyOrg:
    """Replace the organisation's roster (created on first use). ``actor`` None is the system
    (seed, CLI); ``locate`` renames a field for the caller (the CSV import names rows).

    :raise NotFound, Forbidden: as for :func:`get_roster`.
    :raise Invalid: unknown users, an unknown zone, empty or overlapping shifts (naming the clash).
    :raise Conflict: the roster changed since ``expected_version``.
    """
    ref = parse_org(session, key)
    if actor is not None:
        _check(actor, ref, Action.ROSTER_MANAGE)
    clashes = duty.clashes(_to_domain(data))
    if clashes:
        raise Invalid(clashes[0].message, fields={locate(c.field): c.message for c in clashes})
    ids = _resolve_users(session, data, locate)
    org = load_org(session, ref.key)
    before = None
    if org is None:
        org = DutyOrg(key=ref.key, kind=ref.kind, state_code=ref.state_code, unit_id=ref.unit_id, version=0)
        session.add(org)
    else:
        if data.expected_version is not None and data.expected_version != org.version:
            raise Conflict(f"the roster of {ref.key} changed (version {org.version})", current=org.version)
        before = {"version": org.version, "shifts": len(org.shifts)}
    org.timezone, org.fallback_email, org.is_demo = data.timezone, data.fallback_email, demo
    org.rules = {kind: rule.model_dump() for kind, rule in data.rules.items()}
    _write_rows(session, org, data, ids)
    org.version = (org.version or 0) + 1
    org.updated_at = utcnow()
    session.flush()
    role = granting(actor, Action.ROSTER_MANAGE, state=ref.state_code, unit_id=ref.unit_id) if actor else None
    after = {"version": org.version, "timezone": org.timezone, "shifts": len(data.shifts),
             "exceptions": len(data.exceptions), "officers": len(data.officers)}
    audit.record(session, actor, role.label() if role else "system", "roster.replace", "duty_org", org.id,
                 before=before, after=after)
    events.publish(session, "roster.updated", f"roster:{org.key}", {"org": org.key, "version": org.version},
                   [events.state_room(org.state_code)])
    return org


# ---------------------------------------------------------------- on duty, gaps

def on_duty(session: Session, actor: Actor, key: str, at: datetime | None) -> tuple[DutyOrg, datetime, duty.OnDuty | None]:
    org = get_roster(session, actor, key)
    when = at or utcnow()
    return org, when, duty.on_duty(domain_roster(session, org), when)


def gaps(session: Session, actor: Actor, key: str, start: datetime, end: datetime) -> tuple[DutyOrg, list[duty.Gap]]:
    org = get_roster(session, actor, key)
    return org, duty.gaps(domain_roster(session, org), start, end)


# ---------------------------------------------------------------- the ladder of an alert

def _contacts_of(org: DutyOrg, username: str | None, ids: dict[str, int]) -> list[duty.Contact]:
    if not username or username not in ids:
        return []
    user_id = ids[username]
    found = [duty.Contact("console", str(user_id), username)]
    found += [duty.Contact(c.channel, c.address, username) for c in org.contacts if c.user_id == user_id]
    return found


def ladder_at(session: Session, org_key: str, at: datetime, *, with_backup: bool,
              org: DutyOrg | None = None) -> tuple[DutyOrg | None, duty.Ladder, dict[str, int]]:
    """The escalation ladder of an alert to ``org_key`` raised at ``at``: the officers on duty
    then, and the organisation's fallback. No roster: an empty ladder. ``org``: the
    organisation's row, when the caller has loaded it already."""
    org = load_org(session, org_key) if org is None else org
    if org is None:
        return None, duty.Ladder(), {}
    names = usernames(session, org)
    ids = {name: user_id for user_id, name in names.items()}
    current = duty.on_duty(domain_roster(session, org, names), at)
    primary = _contacts_of(org, current.primary if current else None, ids)
    backup = _contacts_of(org, current.backup if current else None, ids)
    return org, duty.ladder(primary, backup, org.fallback_email, with_backup=with_backup), ids
