"""The second factor: TOTP enrolment (a pending secret confirmed with a first code), ten
single-use recovery codes, the check at sign-in with replayed codes refused (or a security key,
services/security_keys.py), and a reset.

Who must have one: holders of a role in ``auth.mfa_required_roles`` (passed in by the edge),
except demo accounts (``User.is_demo``, made by ``seed --demo``). Anyone who enrolled is asked
for a code from then on. The TOTP secret is shown once, when enrolment starts, and never again;
recovery codes are stored as salted SHA-256 and shown once, when enrolment is confirmed.
The TOTP secret is stored sealed (services/secret_box.py, keys outside the database); a plain
secret from before sealing still works and is sealed at its next use, or by :func:`reseal`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.mfa import Enrolment, MfaStatus
from atlas_coord.models import RecoveryCode, TotpFactor, User, WebAuthnChallenge, WebAuthnCredential, utcnow
from atlas_coord.policy import Action, Actor, can

from . import accounts, audit, security_keys
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from .secret_box import SecretBox

STEP_SECONDS = 30
# One step either side of now: a phone clock a little off, or a code typed as it turned over.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: recovery codes are read off paper. 10 of 31 symbols: about 49 bits each.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
CODE_NOT_VALID = "the code is not valid"


class SecondFactorRequired(Unauthenticated):
    """The password was right; the account signs in only with a code as well."""

    code = "second_factor_required"


class EnrolmentRequired(Forbidden):
    """The account must enrol a second factor before it signs in (or gets a bearer token)."""

    code = "second_factor_enrolment_required"


class CodeNotValid(Invalid):
    """A wrong, expired, replayed or used code; the fields name ``otp``, ``recovery_code`` or ``code``."""


@dataclass(frozen=True)
class SecondFactor:
    """What a sign-in carries besides the password: a TOTP code, a recovery code, a security
    key's assertion (or none)."""

    otp: str | None = None
    recovery_code: str | None = None
    webauthn: dict | None = None


@dataclass(frozen=True)
class Factors:
    """The settings the second factor needs (the edge builds it): the roles that must have one,
    the roles offered security keys, the key box of TOTP secrets, the WebAuthn relying party."""

    required_roles: Collection[str]
    box: SecretBox
    party: security_keys.RelyingParty
    key_roles: Collection[str] = ()


def _bound(user_id: int) -> str:
    """What a sealed TOTP secret is bound to: its row."""
    return f"mfa_totp:{user_id}"


def role_requires(user: User, required_roles: Collection[str]) -> bool:
    return any(grant.role in required_roles for grant in user.grants)


def _factor(session: Session, user_id: int) -> TotpFactor | None:
    return session.get(TotpFactor, user_id)


def _enrolled_factor(session: Session, user_id: int) -> TotpFactor | None:
    row = _factor(session, user_id)
    return row if row is not None and row.confirmed_at is not None else None


def status(session: Session, user: User, required_roles: Collection[str], key_roles: Collection[str] = ()) -> MfaStatus:
    needs = role_requires(user, required_roles)
    totp = _enrolled_factor(session, user.id) is not None
    keys = len(security_keys.credentials(session, user.id))
    return MfaStatus(
        enrolled=totp or keys > 0,
        required=needs and not user.is_demo,
        demo_exempt=needs and user.is_demo,
        totp=totp,
        security_keys=keys,
        security_keys_offered=security_keys.may_register(user, key_roles),
    )


def _actor_role(actor: Actor | None) -> str:
    """The audit record's role column: the actor's roles."""
    return "user" if actor is None else ",".join(sorted({g.role.value for g in actor.grants})) or "user"


def start_totp(session: Session, actor: Actor | None, user: User, *, issuer: str, box: SecretBox) -> Enrolment:
    """Start (or restart) enrolment with a new secret; an unconfirmed one is replaced.

    :raise Conflict: an authenticator is already enrolled (reset it first).
    """
    row = _factor(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("a second factor is already enrolled; reset it first", fields={"otp": "already enrolled"})
    secret = pyotp.random_base32()
    sealed = box.seal(secret, bound_to=_bound(user.id))
    if row is None:
        session.add(TotpFactor(user_id=user.id, secret=sealed))
    else:
        row.secret, row.created_at, row.last_step = sealed, utcnow(), None
    audit.record(session, actor, _actor_role(actor), "mfa.totp_started", "user", user.id)
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return Enrolment(secret=secret, uri=uri)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code``, or None."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def _claim_step(session: Session, user_id: int, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) was: of two sign-ins with one code,
    exactly one wins (a compare-and-set, not a read then a write)."""
    result = session.execute(
        sa.update(TotpFactor)
        .where(TotpFactor.user_id == user_id)
        .where(sa.or_(TotpFactor.last_step.is_(None), TotpFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def _refused(field: str, message: str = CODE_NOT_VALID) -> CodeNotValid:
    return CodeNotValid(message, fields={field: message})


def _use_totp(session: Session, row: TotpFactor, code: str, now: datetime, field: str, box: SecretBox) -> None:
    step = _matching_step(box.open(row.secret, bound_to=_bound(row.user_id)), code, now)
    if step is None:
        raise _refused(field)
    if not _claim_step(session, row.user_id, step):
        raise _refused(field, "the code was already used; wait for the next one")
    _seal_if_stale(row, box)


def _seal_if_stale(row: TotpFactor, box: SecretBox) -> bool:
    """Seal a plain secret, or one sealed with an old key, with the current key."""
    if box.is_current(row.secret):
        return False
    row.secret = box.seal(box.open(row.secret, bound_to=_bound(row.user_id)), bound_to=_bound(row.user_id))
    return True


def reseal(session: Session, box: SecretBox) -> tuple[int, int]:
    """Seal every TOTP secret with the current key (plain ones from before sealing, and ones
    sealed with an older key): (re-sealed, already current). Run after a key rotation, before
    the old key is removed.

    :raise SecretBoxError: a secret is sealed with a key that is no longer configured.
    """
    rows = session.scalars(sa.select(TotpFactor).order_by(TotpFactor.user_id)).all()
    changed = sum(_seal_if_stale(row, box) for row in rows)
    audit.record(session, None, "system", "mfa.resealed", "mfa_totp", "all",
                 after={"resealed": changed, "current_key_id": box.current_key_id})
    session.flush()
    return changed, len(rows) - changed


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + _normalise_recovery(code)).encode()).hexdigest()}"


def _recovery_matches(stored: str, code: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(stored, _hash_recovery(code, salt))


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash_recovery(code)) for code in codes)
    return codes


def confirm_totp(
    session: Session, actor: Actor | None, user: User, code: str, *, box: SecretBox, now: datetime | None = None
) -> list[str]:
    """Confirm the started enrolment with a first code; returns the recovery codes (shown once).

    :raise Conflict: no enrolment was started, or one is already confirmed.
    :raise CodeNotValid: the code is wrong (field ``code``).
    """
    now = now or utcnow()
    row = _factor(session, user.id)
    if row is None or row.confirmed_at is not None:
        problem = "start enrolment first" if row is None else "a second factor is already enrolled"
        raise Conflict(problem, fields={"code": problem})
    _use_totp(session, row, code, now, "code", box)
    row.confirmed_at = now
    codes = _new_recovery_codes(session, user.id)
    audit.record(session, actor, _actor_role(actor), "mfa.enrolled", "user", user.id,
                 after={"method": "totp", "recovery_codes": len(codes)})
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> None:
    unused = session.scalars(
        sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    match = next((row for row in unused if _recovery_matches(row.code_hash, code)), None)
    claimed = match is not None and session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount == 1
    if not claimed:
        raise _refused("recovery_code")
    actor = accounts.actor_for(session, user)
    audit.record(session, actor, _actor_role(actor), "mfa.recovery_code_used", "user", user.id,
                 after={"remaining": len(unused) - 1})


def _no_factor_given(session: Session, user: User, row: TotpFactor | None, party: security_keys.RelyingParty):
    """The answer to a sign-in that carries no code: which methods the account has, and for a
    security key the options of a fresh challenge."""
    options = security_keys.sign_in_options(session, user, party)
    methods = (["totp"] if row is not None else []) + (["webauthn"] if options else []) + ["recovery_code"]
    prompt = "enter the code from your authenticator app (or a recovery code)" if row is not None else \
        "use your security key (or a recovery code)"
    return SecondFactorRequired(prompt, fields={"otp" if row is not None else "webauthn": "required"},
                                methods=methods, webauthn_options=options)


def check_sign_in(
    session: Session, user: User, given: SecondFactor, *, factors: Factors, now: datetime | None = None
) -> None:
    """The second step of a sign-in whose password was right.

    :raise EnrolmentRequired: the account must have a second factor and has none yet.
    :raise SecondFactorRequired: it has one and the sign-in carries no code (with ``methods``
        and, for a security key, ``webauthn_options``).
    :raise CodeNotValid: the code is wrong, replayed or used (a failed attempt for the caller to count).
    :raise security_keys.KeyNotValid: the security key's assertion does not verify (counted too).
    """
    row = _enrolled_factor(session, user.id)
    has_keys = bool(security_keys.credentials(session, user.id))
    if row is None and not has_keys:
        if role_requires(user, factors.required_roles) and not user.is_demo:
            raise EnrolmentRequired("this account must enrol a second factor (TOTP) before it signs in",
                                    user_id=user.id)
        return
    now = now or utcnow()
    if given.webauthn and has_keys:
        security_keys.verify_sign_in(session, user, accounts.actor_for(session, user), factors.party, given.webauthn)
    elif given.otp and row is not None:
        _use_totp(session, row, given.otp, now, "otp", factors.box)
    elif given.recovery_code:
        _use_recovery_code(session, user, given.recovery_code, now)
    else:
        raise _no_factor_given(session, user, row, factors.party)


def reset(
    session: Session, actor: Actor, user_id: int, *, required_roles: Collection[str], key_roles: Collection[str] = ()
) -> tuple[User, MfaStatus]:
    """Remove a user's authenticator, recovery codes and security keys: one's own, or anyone's for an admin.

    :raise Forbidden: another user's, and the actor is no admin.
    :raise NotFound: no such user.
    """
    if user_id != actor.user_id and not can(actor, Action.USER_MANAGE):
        raise Forbidden("only an admin may reset another user's second factor")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", fields={"user_id": "no such user"})
    had = _factor(session, user_id) is not None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(sa.delete(TotpFactor).where(TotpFactor.user_id == user_id))
    keys = session.execute(sa.delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id)).rowcount
    session.execute(sa.delete(WebAuthnChallenge).where(WebAuthnChallenge.user_id == user_id))
    audit.record(session, actor, _actor_role(actor), "mfa.reset", "user", user_id,
                 before={"enrolled": had or keys > 0, "security_keys": keys})
    session.flush()
    session.expire_all()
    return user, status(session, user, required_roles, key_roles)
