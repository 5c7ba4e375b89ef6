"""The command models of the duty rosters (the API edge and the CSV import validate with them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from atlas_coord.domain.duty import WEEKDAYS, valid_email, valid_phone

Clock = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="local wall time HH:MM")
Username = Field(min_length=1, max_length=80)
AlertKind = Literal["request_submitted", "deadline_soon", "answer_overdue", "counter_proposal",
                    "deployment_alerted", "deployment_recalled"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_Command):
    channel: Literal["email", "sms", "voice"]
    address: str = Field(min_length=3, max_length=254)

    @field_validator("address")
    @classmethod
    def _address_fits_channel(cls, value: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        if channel == "email" and not valid_email(value):
            raise ValueError("not a valid email address")
        if channel in ("sms", "voice") and not valid_phone(value):
            raise ValueError("not an E.164 phone number (+ country code and number, digits only)")
        return value


class OfficerIn(_Command):
    """An officer's contact points on this roster, tried in order after the console."""

    user: str = Username
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)


class ShiftIn(_Command):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start: str = Clock
    end: str = Clock
    primary: str = Username
    backup: str | None = Field(None, min_length=1, max_length=80)

    @property
    def weekday_index(self) -> int:
        return WEEKDAYS.index(self.weekday)


class ExceptionIn(_Command):
    """A one-off shift on ``date`` replacing the weekly shifts; no primary leaves it uncovered."""

    date: date
    start: str = Clock
    end: str = Clock
    primary: str | None = Field(None, min_length=1, max_length=80)
    backup: str | None = Field(None, min_length=1, max_length=80)


class RuleIn(_Command):
    enabled: bool = True
    ack_minutes: int = Field(5, ge=1, le=24 * 60)


class RosterIn(_Command):
    """A whole roster; it replaces the organisation's previous one."""

    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Paris"])
    fallback_email: str | None = Field(None, max_length=254)
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=200)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=500)
    officers: list[OfficerIn] = Field(default_factory=list, max_length=100)
    rules: dict[AlertKind, RuleIn] = Field(default_factory=dict)
    expected_version: int | None = Field(None, ge=1, le=2**31 - 1)

    @field_validator("fallback_email")
    @classmethod
    def _fallback_is_email(cls, value: str | None) -> str | None:
        if value is not None and not valid_email(value):
            raise ValueError("not a valid email address")
        return value


class CsvImport(_Command):
    csv: str = Field(max_length=200_000, description="the roster as CSV (see the README's format)")


class OnDutyQuery(_Command):
    at: AwareDatetime | None = None


class GapsQuery(_Command):
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("to")
    @classmethod
    def _after_from(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("from_")
        if start is not None and not start < value <= start + timedelta(days=366):
            raise ValueError("must be after from, at most a year later")
        return value
