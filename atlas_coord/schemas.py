"""Edge-only wire schemas (pydantic): sign-in and matching queries. They validate at the edge and
generate the OpenAPI document.

The shared field types and the paging query live in :mod:`atlas_coord.services.inputs`, the
directory's commands in :mod:`atlas_coord.services.directory_commands`; the names below are
imported from there by the other wire-schema modules (``schemas_requests``, ``schemas_trainings``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints

from atlas_coord.domain.choices import AssistanceKind, CapabilityLevel
from atlas_coord.services.inputs import (
    MAX_INT,
    MIN_LEVEL_MEANING,
    CapabilityCode,
    Code,
    CursorPage,
    Id,
    Latitude,
    Longitude,
    NotBoolean,
    Page,
    Point,
    ShortText,
    StateCode,
    Strict,
)

__all__ = [
    "MAX_INT", "CapabilityCode", "Code", "CursorPage", "Id", "Latitude", "Longitude", "Page", "Point", "ShortText", "StateCode", "Strict",
    "LoginBody", "MfaConfirmBody", "MfaResetQuery", "MfaStartBody", "MatchRequirement", "WhatIfMatch", "MatchOptions",
]


OtpCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
RecoveryCodeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
EnrolmentToken = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class LoginBody(Strict):
    """A password, and for an account with a second factor a 6-digit ``otp`` or a ``recovery_code``."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    otp: OtpCode | None = None
    recovery_code: RecoveryCodeText | None = None
    # A security key's answer to the ``webauthn_options`` of a 401 ``second_factor_required``:
    # the PublicKeyCredential as JSON (``PublicKeyCredential.toJSON()``).
    webauthn: dict[str, Any] | None = None


class SecurityKeyBody(Strict):
    """Register a security key: the browser's answer to the registration options, and a name."""

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    credential: dict[str, Any]


class PasswordChangeBody(Strict):
    """Change one's password: the current one, and a new one (12 characters or more, not a common one)."""

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    new_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class MfaStartBody(Strict):
    """Start TOTP enrolment: signed in, or with the ``enrolment_token`` a sign-in answered with."""

    enrolment_token: EnrolmentToken | None = None


class MfaConfirmBody(MfaStartBody):
    """Confirm the enrolment with the first code the authenticator shows."""

    code: OtpCode


class MfaResetQuery(Strict):
    """Whose second factor to reset: one's own (no ``user_id``), or anyone's for an admin."""

    user_id: Id | None = None


class MatchRequirement(Strict):
    code: CapabilityCode
    quantity: Annotated[int, Field(ge=1, le=1000), NotBoolean] = 1
    min_level: CapabilityLevel = Field(CapabilityLevel.FULL, description=MIN_LEVEL_MEANING)
    critical: bool = False


class WhatIfMatch(Strict):
    """Matching for any site and needs, for planners; nothing is stored."""

    site: Point
    requesting_state: StateCode
    requirements: Annotated[list[MatchRequirement], Field(min_length=1, max_length=50)]
    kinds: Annotated[list[Code[AssistanceKind]], Field(max_length=4)] = []
    needed_by: AwareDatetime | None = None
    include_requesting_state: bool = False
    redundancy: bool = False
    limit: Annotated[int, Field(ge=1, le=500), NotBoolean] = 50


class MatchOptions(Strict):
    redundancy: bool = False
    limit: Annotated[int, Field(ge=1, le=500), NotBoolean] = 50
