"""The second factor's endpoints: start and confirm TOTP enrolment (signed in, or with the
short-lived enrolment token a sign-in answered with), register, list and remove security keys
(WebAuthn, signed in), and reset it all.

A sign-in with the right password for an account that must enrol gets 403
``second_factor_enrolment_required`` with an ``enrolment_token`` (10 minutes, signed with the
server's secret key, bound to the password). That token reaches only the two enrolment
endpoints; confirming the first code with a token from the console's sign-in opens the console
session, since the code is the second factor.
"""

from __future__ import annotations

import segno
from flask import Blueprint, g
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer

from atlas_coord.models import User
from atlas_coord.schemas import MfaConfirmBody, MfaResetQuery, MfaStartBody, SecurityKeyBody
from atlas_coord.serializers.accounts import (
    MfaConfirmedOut,
    MfaOut,
    MfaResetOut,
    SecurityKeyOut,
    SecurityKeyRemovedOut,
    SecurityKeysOut,
    TotpEnrolmentOut,
    UserOut,
    WebAuthnOptionsOut,
)
from atlas_coord.services import accounts, mfa, security_keys

from . import db_session, factors, settings
from .core import current_actor, endpoint
from .sign_ins import start_console_session

bp = Blueprint("mfa", __name__, url_prefix="/api/v1/auth/mfa")

ENROLMENT_TOKEN_SECONDS = 600
_SALT = "atlas-coord.mfa-enrolment"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().server.secret_key, salt=_SALT)


def enrolment_token(user: User, *, console: bool) -> str:
    """A token that lets ``user`` enrol for 10 minutes; void once the password changes."""
    return _serializer().dumps({"uid": user.id, "pw": user.password_hash[-16:], "console": console})


def _from_token(token: str) -> tuple[User, bool]:
    """:raise Unauthenticated: a token that is forged, expired, or for a changed password or inactive user."""
    try:
        data = _serializer().loads(token, max_age=ENROLMENT_TOKEN_SECONDS)
    except BadSignature:
        raise accounts.Unauthenticated(
            "the enrolment token is not valid or has expired; sign in again", fields={"enrolment_token": "not valid"}
        ) from None
    user = db_session().get(User, data.get("uid"))
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("pw"):
        raise accounts.Unauthenticated("the enrolment token is no longer valid; sign in again",
                                       fields={"enrolment_token": "not valid"})
    return user, bool(data.get("console"))


def _enrolling(body: MfaStartBody) -> tuple[User, bool]:
    """The user who enrols, and whether the confirmation opens a console session."""
    if body.enrolment_token:
        return _from_token(body.enrolment_token)
    return accounts.get_user(db_session(), current_actor().user_id), False


def _actor(user: User):
    """Who the audit names: the signed-in actor, or the enrolling user (enrolment token)."""
    return getattr(g, "actor", None) or accounts.actor_for(db_session(), user)


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as an SVG data URI, drawn here: no image comes from another origin."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=4, dark="#111", light="#fff")


def open_console_session(user: User) -> str:
    """Start the console's server-side session for ``user`` (after the second factor); returns the CSRF token."""
    start_console_session(user)
    return generate_csrf()


@endpoint(bp, "/totp", "POST", body=MfaStartBody, auth=False, errors=(401, 409),
          summary="Start TOTP enrolment: the otpauth URI and its QR code (shown once)")
def start_totp(body: MfaStartBody):
    """Signed in, or with the ``enrolment_token`` of a sign-in that answered 403
    ``second_factor_enrolment_required``. A started, unconfirmed enrolment is replaced; an
    enrolled one must be reset first (409)."""
    user, _ = _enrolling(body)
    enrolment = mfa.start_totp(db_session(), _actor(user), user, issuer=settings().auth.mfa_issuer, box=factors().box)
    return TotpEnrolmentOut.of(enrolment, qr_svg(enrolment.uri)).wire()


@endpoint(bp, "/totp/confirm", "POST", body=MfaConfirmBody, auth=False, errors=(401, 409, 422),
          summary="Confirm TOTP enrolment with a first code; returns 10 single-use recovery codes (shown once)")
def confirm_totp(body: MfaConfirmBody):
    """With an enrolment token from the console's sign-in, this also opens the console session
    (``user`` and ``csrf_token`` are then in the answer)."""
    user, console = _enrolling(body)
    needs = factors()
    codes = mfa.confirm_totp(db_session(), _actor(user), user, body.code, box=needs.box)
    status = MfaOut.of(mfa.status(db_session(), user, needs.required_roles, needs.key_roles))
    if not console:
        return MfaConfirmedOut(recovery_codes=codes, mfa=status).wire()
    csrf = open_console_session(user)
    return MfaConfirmedOut(recovery_codes=codes, mfa=status, user=UserOut.of(user), csrf_token=csrf).wire()


@endpoint(bp, "", "DELETE", query=MfaResetQuery, errors=(403, 404), summary="Reset a second factor (one's own, or anyone's for an admin)")
def reset(query: MfaResetQuery):
    """Removes the authenticator, the recovery codes and the security keys; the user enrols again
    at the next sign-in if a role requires it."""
    actor = current_actor()
    needs = factors()
    user, status = mfa.reset(db_session(), actor, query.user_id or actor.user_id,
                             required_roles=needs.required_roles, key_roles=needs.key_roles)
    return MfaResetOut(user_id=user.id, mfa=MfaOut.of(status)).wire()


@endpoint(bp, "/webauthn", summary="My security keys (WebAuthn), and whether my roles may register one")
def list_security_keys():
    """Never the public keys. ``rp_id`` is the host name the console must be reached at."""
    needs = factors()
    user = accounts.get_user(db_session(), current_actor().user_id)
    keys = security_keys.credentials(db_session(), user.id)
    return SecurityKeysOut(keys=[SecurityKeyOut.of(row) for row in keys], rp_id=needs.party.rp_id,
                           offered=security_keys.may_register(user, needs.key_roles)).wire()


@endpoint(bp, "/webauthn/options", "POST", errors=(403, 409),
          summary="Start registering a security key: the options for navigator.credentials.create")
def security_key_options():
    """Offered to the roles in ``auth.webauthn_roles`` (403 otherwise). The challenge is good for
    one registration within 5 minutes."""
    needs = factors()
    user = accounts.get_user(db_session(), current_actor().user_id)
    options = security_keys.registration_options(db_session(), current_actor(), user, needs.party,
                                                 roles=needs.key_roles)
    return WebAuthnOptionsOut(public_key=options).wire()


@endpoint(bp, "/webauthn", "POST", body=SecurityKeyBody, status=201, errors=(403, 409, 422),
          summary="Register a security key: the browser's answer to the options")
def register_security_key(body: SecurityKeyBody):
    """The key then signs in instead of a TOTP code (``webauthn`` in ``POST /auth/login`` or
    ``/auth/token``). Attestation is not asked for: the key proves possession, not its make."""
    needs = factors()
    user = accounts.get_user(db_session(), current_actor().user_id)
    try:
        row = security_keys.register(db_session(), current_actor(), user, needs.party, body.credential, body.label,
                                     roles=needs.key_roles)
    except security_keys.KeyNotValid:
        db_session().commit()  # the challenge stays used up, and the refusal audited
        raise
    return SecurityKeyOut.of(row).wire()


@endpoint(bp, "/webauthn/<int:credential_id>", "DELETE", errors=(404,), summary="Remove one of my security keys")
def remove_security_key(credential_id: int):
    """Another user's key is 404; an admin removes anyone's with ``DELETE /auth/mfa?user_id=``."""
    row = security_keys.remove(db_session(), current_actor(), credential_id)
    return SecurityKeyRemovedOut(id=row.id, removed=True).wire()
