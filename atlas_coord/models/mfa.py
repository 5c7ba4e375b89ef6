"""The second factor: a user's TOTP secret (pending until confirmed with a first code) and the
single-use recovery codes, WebAuthn credentials (security keys, passkeys) and their one-time
challenges, kept apart from models/accounts.py so the account table stays as it is."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow


class TotpFactor(Base):
    """One TOTP authenticator per user. ``confirmed_at`` NULL: enrolment started, not confirmed.

    The secret is never returned after enrolment started; ``last_step`` is the last accepted
    30-second time step, so a code cannot be used twice (RFC 6238 §5.2)."""

    __tablename__ = "mfa_totp"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    # Sealed with services/secret_box.py (``v1:<key id>:...``); a plain base32 secret of an
    # installation from before sealing is still read, and sealed at its next use.
    secret: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RecoveryCode(Base):
    """A single-use recovery code; only ``salt$sha256(salt + code)`` is stored."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebAuthnCredential(Base):
    """A security key or passkey registered as a second factor: only its public key is stored."""

    __tablename__ = "mfa_webauthn_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    # base64url of the authenticator's credential id (at most 1023 bytes, WebAuthn §5.1).
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    label: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebAuthnChallenge(Base):
    """A challenge handed to the browser (to register, or to sign in); used once, within minutes."""

    __tablename__ = "mfa_webauthn_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    challenge: Mapped[str] = mapped_column(sa.String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
