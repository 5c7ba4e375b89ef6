"""Accounts: argon2 password hashes, the password policy, sign-in with per-account throttling
(growing, capped delays; the same answer whatever went wrong), revocable bearer tokens, and a
password change (which ends every session and token; console sessions live in sessions.py)."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from atlas_coord.domain.choices import Role
from atlas_coord.models import ApiToken, RoleGrant, State, Unit, User, utcnow
from atlas_coord.policy import Action, Actor, Grant, can, valid_grant_scope

from . import audit, sessions
from .errors import Forbidden, Invalid, NotFound, Unauthenticated

log = logging.getLogger(__name__)
# argon2id at OWASP's minimum (Password Storage Cheat Sheet: "Use Argon2id with a minimum
# configuration of 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism"),
# not argon2-cffi's default (RFC 9106's second profile, 64 MiB, t=3, p=4): that costs ~270 ms of
# CPU per sign-in here against ~37 ms, and 200 operators signing in at the start of a crisis
# took the servers' cores for a minute (issue #18). Hashes made with other parameters are
# rehashed with these at the next successful sign-in (check_needs_rehash below).
ARGON2_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**ARGON2_PARAMETERS)
# Argon2 is CPU-bound C code that runs without the GIL: a burst of sign-ins on every request
# thread at once would take every core and starve all other requests. At most one hash or
# verification per core runs at a time; the rest of a burst queues here.
ARGON2_CONCURRENCY = max(1, os.cpu_count() or 1)
_argon2_slots = threading.BoundedSemaphore(ARGON2_CONCURRENCY)
# ASVS 4.0 2.1.1: at least 12 characters; 2.1.7: not a known common or breached password.
MIN_PASSWORD_LENGTH = 12
# The one answer to every refused sign-in: an unknown name, a wrong password and a throttled
# account must not be told apart.
SIGN_IN_REFUSED = "wrong user name or password"


@dataclass(frozen=True)
class GrantSpec:
    role: str
    scope: str | None = None

    @classmethod
    def parse(cls, text: str) -> GrantSpec:
        """``crisis_centre:BE``, ``unit_commander:12``, ``admin`` (CLI and API form)."""
        role, _, scope = text.partition(":")
        return cls(role=role.strip(), scope=scope.strip() or None)


def hash_password(password: str) -> str:
    with _argon2_slots:
        return _hasher.hash(password)


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (the xato list zxcvbn ships, lower case)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None. Too short, or a common password, also with
    digits or punctuation added at the end ("password2024!")."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!?.,;:-_#*@$%&+=~ ")
    if lowered in _common_passwords() or (len(stem) >= 4 and stem in _common_passwords()):
        return "password is too common (it is in a list of the most used passwords); choose another"
    return None


def check_password_policy(password: str) -> None:
    """:raise Invalid: the password is too short or too common (the message says which)."""
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, fields={"password": problem.removeprefix("password ")})


def _resolve_grant(session: Session, spec: GrantSpec) -> RoleGrant:
    try:
        role = Role(spec.role)
    except ValueError as exc:
        raise Invalid(
            f"unknown role {spec.role!r}; one of {', '.join(r.value for r in Role)}", fields={"roles": "unknown role"}
        ) from exc
    state_code = unit_id = None
    if spec.scope is not None:
        if role is Role.UNIT_COMMANDER:
            if not spec.scope.isdigit() or session.get(Unit, int(spec.scope)) is None:
                raise Invalid(f"unknown unit {spec.scope!r}", fields={"roles": f"unknown unit {spec.scope}"})
            unit_id = int(spec.scope)
        else:
            state_code = spec.scope.upper()
            if session.get(State, state_code) is None:
                raise Invalid(f"unknown state {spec.scope!r}", fields={"roles": f"unknown state {spec.scope}"})
    problem = valid_grant_scope(role, state_code, unit_id)
    if problem:
        raise Invalid(problem, fields={"roles": problem})
    return RoleGrant(role=role.value, state_code=state_code, unit_id=unit_id)


def create_user(
    session: Session,
    actor: Actor | None,
    *,
    username: str,
    password: str,
    grants: list[GrantSpec],
    display_name: str | None = None,
    is_demo: bool = False,
) -> User:
    """Create an account. ``actor`` None is the operator at the CLI.

    :raise Forbidden: the actor may not manage users.
    :raise Invalid: duplicate name, short or common password, unknown role, state or unit.
    """
    if actor is not None and not can(actor, Action.USER_MANAGE):
        raise Forbidden("only an admin may create accounts")
    check_password_policy(password)
    if not grants:
        raise Invalid("a user needs at least one role", fields={"roles": "at least one role is required"})
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Invalid(f"user {username!r} already exists", fields={"username": "already taken"})
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        is_demo=is_demo,
        grants=[_resolve_grant(session, spec) for spec in grants],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "admin" if actor else "operator",
        "user.create",
        "user",
        user.id,
        after={"username": username, "roles": [g.role + (f":{g.state_code or g.unit_id}" if (g.state_code or g.unit_id) else "") for g in user.grants]},
    )
    return user


# Built once: these run on every signed-in call, where building the statement and its cache
# key each time cost more than running it (a statement object memoizes its cache key).
_GRANTS_OF_USER = (
    sa.select(RoleGrant.role, RoleGrant.state_code, RoleGrant.unit_id, Unit.state_code)
    .outerjoin(Unit, Unit.id == RoleGrant.unit_id)
    .where(RoleGrant.user_id == sa.bindparam("user_id")).order_by(RoleGrant.id)
)
# A bearer token, its user and the user's grants (with their units' states) in one statement of
# plain rows but the token: this runs on every call of an API client and every live re-check,
# where each statement more, or each object loaded, cost more than the call's own work.
_ACTOR_OF_TOKEN = (
    sa.select(ApiToken, User.username, User.is_active,
              RoleGrant.role, RoleGrant.state_code, RoleGrant.unit_id, Unit.state_code)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
    .outerjoin(Unit, Unit.id == RoleGrant.unit_id)
    .where(ApiToken.token_hash == sa.bindparam("digest"))
    .order_by(RoleGrant.id)
)


def actor_for(session: Session, user: User) -> Actor:
    # The grants and the states of their units in one statement of plain rows: this runs on
    # every signed-in call, where loading RoleGrant objects cost more than the call's own work.
    rows = session.execute(_GRANTS_OF_USER, {"user_id": user.id})
    grants = tuple(Grant(Role(role), state, unit_id, unit_state) for role, state, unit_id, unit_state in rows)
    return Actor(user.id, user.username, grants)


@dataclass(frozen=True)
class Throttle:
    """Per-account sign-in throttling: after ``after`` failures in a row, each further failure
    makes the account wait 2^k seconds (k = failures beyond ``after``), at most ``max_seconds``.

    Attempts during the wait are refused (even with the right password) but neither counted nor
    extend it, so a third party can delay an account by at most ``max_seconds`` per guess; the
    per-address rate limit bounds how many guesses one address makes.
    """

    after: int = 5
    max_seconds: int = 300

    def delay(self, failures: int) -> timedelta | None:
        excess = failures - self.after
        if excess < 0:
            return None
        return timedelta(seconds=min(2 ** min(excess, 32), self.max_seconds))


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        with _argon2_slots:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _end_read(session: Session) -> None:
    """End the sign-in's read transaction before argon2 runs, which returns its connection to the
    pool: a verification takes ~0.15 s of CPU and longer queued at the per-core cap, and a burst
    of sign-ins holding a connection each took the whole pool from every other request (issue
    #18). Nothing is written yet; the attempt's outcome is written in a transaction of its own."""
    if not (session.new or session.dirty or session.deleted):
        session.commit()


def _refuse(session: Session, user: User | None, username: str, address: str | None, reason: str) -> Unauthenticated:
    """Log and audit a refused sign-in (never the password); the caller raises the answer."""
    log.warning("sign-in refused for %r from %s: %s", username, address or "unknown address", reason)
    audit.record(
        session,
        None,
        "system",
        "user.sign_in_refused",
        "user",
        user.id if user is not None else "unknown",
        after={"username": username, "address": address, "reason": reason},
    )
    session.flush()
    return Unauthenticated(SIGN_IN_REFUSED)


def _count_failure(user: User, throttle: Throttle, now: datetime) -> None:
    user.failed_logins += 1
    delay = throttle.delay(user.failed_logins)
    user.locked_until = now + delay if delay is not None else None


def _check_second_factor(
    session: Session, user: User, check: Callable[[User], None], throttle: Throttle, now: datetime, address: str | None
) -> None:
    try:
        check(user)
    except Invalid:
        _count_failure(user, throttle, now)
        _refuse(session, user, user.username, address, f"wrong second factor ({user.failed_logins} in a row)")
        raise


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    throttle: Throttle,
    address: str | None = None,
    second_factor: Callable[[User], None] | None = None,
) -> User:
    """Check a password. Argon2 runs on every attempt (against a dummy hash for an unknown
    name), so neither the answer nor its timing tells which names exist or are throttled.

    ``second_factor(user)`` runs once the password is right and before the failure count is
    cleared: an :class:`Invalid` it raises (a wrong code) is counted and audited as a failed
    attempt, like a wrong password, and re-raised; anything else it raises passes through with
    the count unchanged.

    :raise Unauthenticated: unknown or inactive user, wrong password, or an account still
        waiting after repeated failures (one message for all three); the refusal is logged
        and audited, and the caller should commit it.
    :raise Invalid: from ``second_factor`` (counted; the caller should commit it).
    """
    user = session.scalar(sa.select(User).where(User.username == username))
    _end_read(session)
    if user is None or not user.is_active:
        _password_matches(_dummy_hash(), password)
        raise _refuse(session, None, username, address, "unknown or inactive user")
    now = utcnow()
    throttled = user.locked_until is not None and user.locked_until > now
    matches = _password_matches(user.password_hash, password)
    if throttled:
        raise _refuse(session, user, username, address, f"throttled until {user.locked_until.isoformat()}")
    if not matches:
        _count_failure(user, throttle, now)
        raise _refuse(session, user, username, address, f"wrong password ({user.failed_logins} in a row)")
    if second_factor is not None:
        _check_second_factor(session, user, second_factor, throttle, now, address)
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, *, lifetime: timedelta, label: str = "api") -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_digest(token), label=label, expires_at=utcnow() + lifetime)
    session.add(row)
    session.flush()
    return token, row


def actor_for_token(session: Session, token: str) -> tuple[Actor, ApiToken] | None:
    """Who holds this bearer token, if it is neither revoked nor expired and its user is active."""
    rows = session.execute(_ACTOR_OF_TOKEN, {"digest": _token_digest(token)}).all()
    if not rows:
        return None
    row, username, is_active = rows[0][:3]
    if row.revoked_at is not None or row.expires_at <= utcnow() or not is_active:
        return None
    grants = tuple(Grant(Role(role), state, unit_id, unit_state)
                   for *_, role, state, unit_id, unit_state in rows if role is not None)
    return Actor(row.user_id, username, grants), row


def revoke_token(session: Session, token_row: ApiToken) -> None:
    token_row.revoked_at = utcnow()
    session.flush()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    if not can(actor, Action.USER_MANAGE):
        raise Forbidden("only an admin may list accounts")
    return list(session.scalars(sa.select(User).order_by(User.username)))


def change_password(
    session: Session, actor: Actor | None, user: User, new_password: str, *,
    keep_session_id: int | None = None, keep_token_id: int | None = None,
) -> tuple[int, int]:
    """Set a new password and end every session and token opened with the old one (how many of
    each), but the ones to keep (the sign-in that made the change).

    :raise Invalid: the new password is too short or too common.
    """
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    session.flush()
    audit.record(session, actor, _role_of(actor), "user.password_changed", "user", user.id,
                 after={"by": "self" if actor is not None and actor.user_id == user.id else "other"})
    return sessions.end_all(session, actor, user.id, why="password changed",
                            keep_session_id=keep_session_id, keep_token_id=keep_token_id)


def _role_of(actor: Actor | None) -> str:
    return "system" if actor is None else ",".join(sorted({g.role.value for g in actor.grants})) or "user"


WRONG_CURRENT_PASSWORD = "the current password is not right"


def change_own_password(
    session: Session, actor: Actor, current_password: str, new_password: str, *,
    keep_session_id: int | None = None, keep_token_id: int | None = None,
) -> tuple[int, int]:
    """A signed-in user changes their password: the current one first, then the policy; every
    other session and token ends (and their live sockets close, services/sign_outs.py).

    :raise Invalid: the current password is wrong (field ``current_password``; audited, the
        caller should commit the record), or the new one breaks the policy (``new_password``).
    """
    user = get_user(session, actor.user_id)
    if not _password_matches(user.password_hash, current_password):
        audit.record(session, actor, _role_of(actor), "user.password_change_refused", "user", user.id,
                     after={"reason": "wrong current password"})
        session.flush()
        raise Invalid(WRONG_CURRENT_PASSWORD, fields={"current_password": "not right"})
    problem = password_problem(new_password)
    if problem or new_password == current_password:
        problem = problem or "password must differ from the current one"
        raise Invalid(problem, fields={"new_password": problem.removeprefix("password ")})
    return change_password(session, actor, user, new_password,
                           keep_session_id=keep_session_id, keep_token_id=keep_token_id)
