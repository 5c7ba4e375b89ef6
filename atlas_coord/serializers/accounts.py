"""Response models of accounts: the signed-in user with its role grants, the sign-in bodies, and
one's open sessions and tokens (never their secrets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from atlas_coord.domain.mfa import Enrolment, MfaStatus
from atlas_coord.models import ApiToken, User, UserSession, WebAuthnCredential

from . import IsoTime, Out


class RoleOut(Out):
    role: str
    state: str | None
    unit_id: int | None


class UserOut(Out):
    id: int
    username: str
    display_name: str
    is_demo: bool
    roles: list[RoleOut]

    @classmethod
    def of(cls, user: User) -> Self:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            is_demo=user.is_demo,
            roles=[RoleOut(role=g.role, state=g.state_code, unit_id=g.unit_id) for g in user.grants],
        )


class TokenOut(Out):
    """A new bearer token; it is shown once."""

    token: str
    expires_at: IsoTime

    @classmethod
    def of(cls, token: str, expires_at: datetime) -> Self:
        return cls(token=token, expires_at=expires_at)


class TokenRevokedOut(Out):
    revoked: Literal[True]


class LoginOut(Out):
    """The console's sign-in: the user and the CSRF token every change must echo."""

    user: UserOut
    csrf_token: str


class MfaOut(Out):
    """The account's second factor: enrolled, required by its roles, or waived for a demo account."""

    enrolled: bool
    required: bool
    demo_exempt: bool
    totp: bool
    security_keys: int
    security_keys_offered: bool

    @classmethod
    def of(cls, status: MfaStatus) -> Self:
        return cls(enrolled=status.enrolled, required=status.required, demo_exempt=status.demo_exempt,
                   totp=status.totp, security_keys=status.security_keys,
                   security_keys_offered=status.security_keys_offered)


class MeOut(LoginOut):
    auth: Literal["token", "session"]
    mfa: MfaOut


class TotpEnrolmentOut(Out):
    """A started TOTP enrolment: the secret is shown this once; the QR code is an SVG data URI."""

    otpauth_uri: str
    secret: str
    qr_svg: str

    @classmethod
    def of(cls, enrolment: Enrolment, qr_svg: str) -> Self:
        return cls(otpauth_uri=enrolment.uri, secret=enrolment.secret, qr_svg=qr_svg)


class MfaConfirmedOut(Out):
    """The recovery codes, shown once; ``user`` and ``csrf_token`` when the confirmation opened
    a console session (enrolment during sign-in)."""

    recovery_codes: list[str]
    mfa: MfaOut
    user: UserOut | None = None
    csrf_token: str | None = None


class MfaResetOut(Out):
    user_id: int
    mfa: MfaOut


class SignedOutOut(Out):
    signed_out: Literal[True]

class SessionOut(Out):
    """A console session; ``current`` marks the one this call was made with."""

    id: int
    created_at: IsoTime
    last_seen_at: IsoTime
    expires_at: IsoTime
    user_agent: str | None
    address: str | None
    current: bool

    @classmethod
    def of(cls, row: UserSession, *, current: bool) -> Self:
        return cls(id=row.id, created_at=row.created_at, last_seen_at=row.last_seen_at, expires_at=row.expires_at,
                   user_agent=row.user_agent, address=row.address, current=current)


class TokenInfoOut(Out):
    """A bearer token, without the token; ``current`` marks the one this call was made with."""

    id: int
    label: str
    created_at: IsoTime
    expires_at: IsoTime
    last_used_at: IsoTime | None
    current: bool

    @classmethod
    def of(cls, row: ApiToken, *, current: bool) -> Self:
        return cls(id=row.id, label=row.label, created_at=row.created_at, expires_at=row.expires_at,
                   last_used_at=row.last_used_at, current=current)


class SignInsOut(Out):
    """The caller's open console sessions and bearer tokens, newest first."""

    sessions: list[SessionOut]
    tokens: list[TokenInfoOut]

    @classmethod
    def of(cls, sessions: list[UserSession], tokens: list[ApiToken], *,
           session_id: int | None, token_id: int | None) -> Self:
        return cls(sessions=[SessionOut.of(row, current=row.id == session_id) for row in sessions],
                   tokens=[TokenInfoOut.of(row, current=row.id == token_id) for row in tokens])


class SignInRevokedOut(Out):
    """One session or token revoked (revoking it again is harmless)."""

    id: int
    revoked: Literal[True]


class UserSignInsRevokedOut(Out):
    """How many open sessions and tokens of the user an admin ended."""

    user_id: int
    sessions: int
    tokens: int


class SecurityKeyOut(Out):
    """A registered security key or passkey (never its public key)."""

    id: int
    label: str
    created_at: IsoTime
    last_used_at: IsoTime | None

    @classmethod
    def of(cls, row: WebAuthnCredential) -> Self:
        return cls(id=row.id, label=row.label, created_at=row.created_at, last_used_at=row.last_used_at)


class SecurityKeysOut(Out):
    """One's security keys; ``offered``: one's roles may register one; ``rp_id``: the host name
    the console must be reached at for the browser to use them."""

    keys: list[SecurityKeyOut]
    offered: bool
    rp_id: str


class WebAuthnOptionsOut(Out):
    """The ``publicKey`` options for ``navigator.credentials.create`` (one challenge, 5 minutes)."""

    public_key: dict[str, Any]


class SecurityKeyRemovedOut(Out):
    id: int
    removed: Literal[True]


class PasswordChangedOut(Out):
    """The password was changed; every other session and token of the account ended."""

    changed: Literal[True]
    sessions_ended: int
    tokens_ended: int
