"""Response models of the duty rosters and the alerts (issue 15)."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from atlas_coord.domain.duty import WEEKDAYS

from . import IsoTime, Out, Page


class ContactOut(Out):
    channel: str
    address: str


class OfficerOut(Out):
    user: str
    contacts: list[ContactOut]


class ShiftOut(Out):
    weekday: str
    start: str
    end: str
    primary: str | None
    backup: str | None


class ExceptionOut(Out):
    date: date
    start: str
    end: str
    primary: str | None
    backup: str | None


class RosterOut(Out):
    """An organisation's roster; ``org`` is its key (``ca-FR``, ``cc-FR``, ``unit-12``)."""

    org: str
    kind: str
    state: str
    unit_id: int | None
    timezone: str
    fallback_email: str | None
    shifts: list[ShiftOut]
    exceptions: list[ExceptionOut]
    officers: list[OfficerOut]
    rules: dict[str, Any]
    version: int
    demo: bool
    updated_at: IsoTime

    @classmethod
    def of(cls, org: Any, names: dict[int, str]) -> Self:
        shifts, exceptions = [], []
        for row in org.shifts:
            people = {"start": row.start_time, "end": row.end_time, "primary": names.get(row.primary_user_id),
                      "backup": names.get(row.backup_user_id)}
            if row.weekday is not None:
                shifts.append(ShiftOut(weekday=WEEKDAYS[row.weekday], **people))
            else:
                exceptions.append(ExceptionOut(date=row.day, **people))
        officers: dict[str, list[ContactOut]] = {}
        for contact in org.contacts:
            officers.setdefault(names.get(contact.user_id, "?"), []).append(
                ContactOut(channel=contact.channel, address=contact.address))
        return cls(org=org.key, kind=org.kind, state=org.state_code, unit_id=org.unit_id, timezone=org.timezone,
                   fallback_email=org.fallback_email, shifts=shifts, exceptions=exceptions,
                   officers=[OfficerOut(user=u, contacts=c) for u, c in officers.items()], rules=org.rules or {},
                   version=org.version, demo=org.is_demo, updated_at=org.updated_at)


class RosterSummaryOut(Out):
    org: str
    kind: str
    state: str
    unit_id: int | None
    timezone: str
    version: int


class RosterList(Page[RosterSummaryOut]):
    """The rosters the caller may read."""


class OnDutyOut(Out):
    org: str
    at: IsoTime
    timezone: str
    primary: str | None
    backup: str | None
    shift: str | None
    until: IsoTime | None


class GapOut(Out):
    start: IsoTime
    end: IsoTime
    minutes: int


class GapsOut(Out):
    org: str
    timezone: str
    items: list[GapOut]
    total: int


class AlertOut(Out):
    """An alert as the console shows it: no request details, only what the email says."""

    id: int
    kind: str
    org: str
    reference: str
    request_id: int | None
    requesting_state: str | None
    deadline: IsoTime | None
    raised_at: IsoTime
    status: str
    step: int
    acknowledged_at: IsoTime | None
    ack_via: str | None

    @classmethod
    def of(cls, alert: Any) -> Self:
        return cls(id=alert.id, kind=alert.kind, org=alert.org_key, reference=alert.reference,
                   request_id=alert.request_id, requesting_state=alert.requesting_state, deadline=alert.deadline,
                   raised_at=alert.raised_at, status=alert.status, step=alert.step,
                   acknowledged_at=alert.acknowledged_at, ack_via=alert.ack_via)


class AlertList(Page[AlertOut]):
    """The alerts ringing on the caller's console."""


class AckOut(Out):
    alert: AlertOut
    summary: str


class MailOut(Out):
    id: int
    to: str
    subject: str
    body: str
    created_at: IsoTime

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls(id=row.id, to=row.to_address, subject=row.subject, body=row.body, created_at=row.created_at)


class Mailbox(Page[MailOut]):
    """The local mailbox, newest first (admin)."""
