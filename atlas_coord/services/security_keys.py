"""WebAuthn as a second factor (py_webauthn): register a security key or passkey while signed
in, use it instead of a TOTP code at sign-in, remove it. Offered to the holders of the roles in
``auth.webauthn_roles`` (default: admin).

Every challenge is stored and used once (deleted by a compare-and-set), within five minutes, so
a captured registration or assertion cannot be replayed even by an authenticator whose
signature counter stays at 0. Only the public key is kept. Every registration, removal, use
and refused use is audited.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from atlas_coord.models import User, WebAuthnChallenge, WebAuthnCredential, utcnow
from atlas_coord.policy import Actor

from . import audit
from .errors import Conflict, Forbidden, Invalid, NotFound

CHALLENGE_LIFETIME = timedelta(minutes=5)
REGISTER, SIGN_IN = "register", "sign_in"
MAX_KEYS = 10


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser signs for: ``rp_id`` (a host name) and the exact origins accepted."""

    rp_id: str
    name: str
    origins: tuple[str, ...]


class KeyNotValid(Invalid):
    """A registration or an assertion that does not verify (field ``credential`` or ``webauthn``)."""


def _role(actor: Actor | None) -> str:
    return "user" if actor is None else ",".join(sorted({g.role.value for g in actor.grants})) or "user"


def may_register(user: User, roles: Collection[str]) -> bool:
    return any(grant.role in roles for grant in user.grants)


def credentials(session: Session, user_id: int) -> list[WebAuthnCredential]:
    return list(session.scalars(
        sa.select(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id).order_by(WebAuthnCredential.id)
    ))


def _new_challenge(session: Session, user_id: int, purpose: str, now: datetime) -> bytes:
    session.execute(sa.delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user_id,
                                                       WebAuthnChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    session.add(WebAuthnChallenge(user_id=user_id, purpose=purpose, challenge=bytes_to_base64url(challenge),
                                  expires_at=now + CHALLENGE_LIFETIME))
    return challenge


def _claim_challenge(session: Session, user_id: int, purpose: str, credential: Any, field: str, now: datetime) -> bytes:
    """The challenge the browser signed, if it is this user's, for this purpose, unexpired and
    unused; it is used up now whatever follows.

    :raise KeyNotValid: naming ``field``.
    """
    try:
        client_data = parse_client_data_json(base64url_to_bytes(credential["response"]["clientDataJSON"]))
    except (KeyError, TypeError, ValueError, WebAuthnException):
        raise KeyNotValid("the security key's answer is not readable", fields={field: "not a WebAuthn credential"}) from None
    claimed = session.execute(
        sa.delete(WebAuthnChallenge).where(
            WebAuthnChallenge.user_id == user_id, WebAuthnChallenge.purpose == purpose,
            WebAuthnChallenge.challenge == bytes_to_base64url(client_data.challenge),
            WebAuthnChallenge.expires_at > now,
        ).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        raise KeyNotValid("the challenge is unknown, used or expired; try again", fields={field: "challenge not valid"})
    return client_data.challenge


def registration_options(session: Session, actor: Actor, user: User, party: RelyingParty, *,
                         roles: Collection[str]) -> dict:
    """The ``publicKey`` options for ``navigator.credentials.create`` (a stored challenge).

    :raise Forbidden: the user holds none of ``auth.webauthn_roles``.
    """
    if not may_register(user, roles):
        raise Forbidden(f"security keys are offered to the roles {', '.join(roles) or '(none)'}")
    existing = credentials(session, user.id)
    if len(existing) >= MAX_KEYS:
        raise Conflict(f"at most {MAX_KEYS} security keys; remove one first", fields={"credential": "too many keys"})
    options = generate_registration_options(
        rp_id=party.rp_id, rp_name=party.name, user_name=user.username, user_id=str(user.id).encode(),
        user_display_name=user.display_name or user.username,
        challenge=_new_challenge(session, user.id, REGISTER, utcnow()),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id)) for c in existing],
    )
    session.flush()
    return json.loads(options_to_json(options))


def _verify_registration(session: Session, user: User, party: RelyingParty, credential: dict, now: datetime):
    challenge = _claim_challenge(session, user.id, REGISTER, credential, "credential", now)
    try:
        return verify_registration_response(credential=credential, expected_challenge=challenge,
                                            expected_rp_id=party.rp_id, expected_origin=list(party.origins))
    except WebAuthnException as exc:
        raise KeyNotValid(f"the security key's registration does not verify: {exc}",
                          fields={"credential": "does not verify"}) from None


def register(session: Session, actor: Actor, user: User, party: RelyingParty, credential: dict, label: str, *,
             roles: Collection[str]) -> WebAuthnCredential:
    """Verify the browser's answer to :func:`registration_options` and keep the public key.

    :raise KeyNotValid: it does not verify (field ``credential``); the challenge is used up and
        the refusal audited, for the caller to commit.
    :raise Conflict: this key is registered already.
    """
    if not may_register(user, roles):
        raise Forbidden(f"security keys are offered to the roles {', '.join(roles) or '(none)'}")
    now = utcnow()
    try:
        verified = _verify_registration(session, user, party, credential, now)
    except KeyNotValid as refused:
        audit.record(session, actor, _role(actor), "mfa.webauthn_refused", "user", user.id,
                     after={"reason": refused.message})
        session.flush()
        raise
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(sa.select(WebAuthnCredential.id).where(WebAuthnCredential.credential_id == credential_id)):
        raise Conflict("this security key is registered already", fields={"credential": "already registered"})
    row = WebAuthnCredential(user_id=user.id, credential_id=credential_id, public_key=verified.credential_public_key,
                             sign_count=verified.sign_count, label=label, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor, _role(actor), "mfa.webauthn_registered", "user", user.id,
                 after={"credential": row.id, "label": label, "aaguid": verified.aaguid})
    session.flush()
    return row


def remove(session: Session, actor: Actor, credential_row_id: int) -> WebAuthnCredential:
    """Remove one of one's own security keys (another user's is 404)."""
    row = session.get(WebAuthnCredential, credential_row_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"security key {credential_row_id} not found", fields={"credential_id": "no such key of yours"})
    session.delete(row)
    audit.record(session, actor, _role(actor), "mfa.webauthn_removed", "user", row.user_id,
                 before={"credential": row.id, "label": row.label})
    session.flush()
    return row


def sign_in_options(session: Session, user: User, party: RelyingParty) -> dict | None:
    """The ``publicKey`` options for ``navigator.credentials.get``, or None without a key."""
    keys = credentials(session, user.id)
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=party.rp_id, challenge=_new_challenge(session, user.id, SIGN_IN, utcnow()),
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id)) for c in keys],
    )
    session.flush()
    return json.loads(options_to_json(options))


def _verify_assertion(key: WebAuthnCredential, party: RelyingParty, credential: dict, challenge: bytes):
    try:
        return verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=list(party.origins), credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except WebAuthnException as exc:
        raise KeyNotValid(f"the security key's signature does not verify: {exc}",
                          fields={"webauthn": "does not verify"}) from None


def verify_sign_in(session: Session, user: User, actor: Actor, party: RelyingParty, credential: dict) -> None:
    """Check an assertion at sign-in (after the password); audited as used.

    :raise KeyNotValid: unknown key, wrong challenge, origin or signature, or a counter that went
        back (a cloned key); field ``webauthn``.
    """
    now = utcnow()
    challenge = _claim_challenge(session, user.id, SIGN_IN, credential, "webauthn", now)
    key = session.scalar(sa.select(WebAuthnCredential).where(
        WebAuthnCredential.user_id == user.id, WebAuthnCredential.credential_id == str(credential.get("id", "")),
    ))
    if key is None:
        raise KeyNotValid("this security key is not registered for the account", fields={"webauthn": "unknown key"})
    verified = _verify_assertion(key, party, credential, challenge)
    key.sign_count, key.last_used_at = verified.new_sign_count, now
    audit.record(session, actor, _role(actor), "mfa.webauthn_used", "user", user.id,
                 after={"credential": key.id, "label": key.label})
    session.flush()
