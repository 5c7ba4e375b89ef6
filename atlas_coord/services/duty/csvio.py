"""Rosters as CSV: one line per setting, shift, exception or contact point (format in the README).

An import with bad rows imports nothing and names every bad row (``row 7: ...``); rows are
numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from atlas_coord.domain.duty import WEEKDAYS
from atlas_coord.models import DutyOrg
from atlas_coord.policy import Actor

from ..errors import Invalid
from . import rosters
from .commands import ContactIn, ExceptionIn, RosterIn, ShiftIn

HEADER = ["record", "day", "start", "end", "primary", "backup", "officer", "channel", "address"]
RECORDS = ("timezone", "fallback", "shift", "exception", "contact")


def export_csv(session: Session, org: DutyOrg) -> str:
    names = rosters.usernames(session, org)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(["timezone", "", "", "", "", "", "", "", org.timezone])
    if org.fallback_email:
        writer.writerow(["fallback", "", "", "", "", "", "", "email", org.fallback_email])
    for row in sorted(org.shifts, key=lambda s: (s.day is not None, s.weekday or 0, str(s.day or ""), s.start_time)):
        record, day = ("shift", WEEKDAYS[row.weekday]) if row.weekday is not None else ("exception", row.day.isoformat())
        writer.writerow([record, day, row.start_time, row.end_time, names.get(row.primary_user_id, ""),
                         names.get(row.backup_user_id, ""), "", "", ""])
    for contact in org.contacts:
        writer.writerow(["contact", "", "", "", "", "", names.get(contact.user_id, ""), contact.channel, contact.address])
    return out.getvalue()


def _error_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors())


class _Reader:
    """Collects the roster's parts and every bad row."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"timezone": None, "fallback_email": None, "shifts": [], "exceptions": [],
                                     "officers": {}}
        self.rows: dict[str, int] = {}
        self.errors: dict[str, str] = {}

    def add(self, number: int, row: dict[str, str]) -> None:
        record = row.get("record", "")
        handler = getattr(self, f"_{record}", None) if record in RECORDS else None
        if handler is None:
            self.errors[f"row {number}"] = f"record: must be one of {', '.join(RECORDS)}"
            return
        try:
            handler(number, row)
        except ValidationError as exc:
            self.errors[f"row {number}"] = _error_text(exc)

    def _timezone(self, number: int, row: dict[str, str]) -> None:
        self.data["timezone"] = row["address"]
        self.rows["timezone"] = number

    def _fallback(self, number: int, row: dict[str, str]) -> None:
        ContactIn(channel="email", address=row["address"])
        self.data["fallback_email"] = row["address"]
        self.rows["fallback_email"] = number

    def _officers(self, row: dict[str, str]) -> dict[str, Any]:
        return {"primary": row["primary"] or None, "backup": row["backup"] or None}

    def _shift(self, number: int, row: dict[str, str]) -> None:
        item = ShiftIn(weekday=row["day"], start=row["start"], end=row["end"], **self._officers(row))
        self.rows[f"shifts.{len(self.data['shifts'])}"] = number
        self.data["shifts"].append(item.model_dump())

    def _exception(self, number: int, row: dict[str, str]) -> None:
        item = ExceptionIn(date=row["day"], start=row["start"], end=row["end"], **self._officers(row))
        self.rows[f"exceptions.{len(self.data['exceptions'])}"] = number
        self.data["exceptions"].append(item.model_dump())

    def _contact(self, number: int, row: dict[str, str]) -> None:
        contact = ContactIn(channel=row["channel"], address=row["address"])
        officers = self.data["officers"]
        if row["officer"] not in officers:
            self.rows[f"officers.{len(officers)}"] = number
            officers[row["officer"]] = []
        officers[row["officer"]].append(contact.model_dump())

    def locate(self, field: str) -> str:
        """``shifts.3.primary`` -> ``row 5 (primary)``."""
        for prefix, number in sorted(self.rows.items(), key=lambda kv: -len(kv[0])):
            if field == prefix or field.startswith(prefix + "."):
                rest = field[len(prefix) + 1:]
                return f"row {number}" + (f" ({rest})" if rest else "")
        return field


def _read(text: str) -> _Reader:
    reader = _Reader()
    lines = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if [name.strip() for name in (lines.fieldnames or [])] != HEADER:
        raise Invalid(f"the first line must be the header {','.join(HEADER)}", fields={"row 1": "wrong header"})
    for number, row in enumerate(lines, start=2):
        if None in row or any(value is None for value in row.values()):
            reader.errors[f"row {number}"] = f"expected {len(HEADER)} columns"
            continue
        reader.add(number, {key: (value or "").strip() for key, value in row.items()})
    if reader.data["timezone"] is None:
        reader.errors.setdefault("timezone", "a timezone row is required (record timezone, address Europe/Paris)")
    return reader


def import_csv(session: Session, actor: Actor | None, key: str, text: str, *, demo: bool = False) -> DutyOrg:
    """Replace the roster of ``key`` from CSV; all or nothing.

    :raise Invalid: listing every bad row (``fields``: ``row N`` -> what is wrong), or the clash.
    """
    reader = _read(text)
    if reader.errors:
        raise Invalid(f"{len(reader.errors)} bad rows; nothing imported", fields=reader.errors)
    existing = rosters.load_org(session, key)
    data = dict(reader.data, officers=[{"user": user, "contacts": contacts}
                                       for user, contacts in reader.data["officers"].items()])
    if existing is not None:
        data["rules"] = existing.rules or {}
    try:
        roster = RosterIn.model_validate(data)
    except ValidationError as exc:
        fields = {reader.locate(".".join(str(p) for p in e["loc"])): e["msg"] for e in exc.errors()}
        raise Invalid(f"{len(fields)} bad rows; nothing imported", fields=fields) from None
    return rosters.replace_roster(session, actor, key, roster, locate=reader.locate, demo=demo)
