"""Accounts: argon2 password hashes, lockout after repeated failures, revocable bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import Role
from atlas_coord.models import ApiToken, RoleGrant, State, Unit, User, utcnow
from atlas_coord.policy import Action, Actor, Grant, can, valid_grant_scope

from . import audit
from .errors import Forbidden, Invalid, Locked, NotFound, Unauthenticated

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


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
    return _hasher.hash(password)


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
    :raise Invalid: duplicate name, short password, unknown role, state or unit.
    """
    if actor is not None and not can(actor, Action.USER_MANAGE):
        raise Forbidden("only an admin may create accounts")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            fields={"password": "too short"},
        )
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


def actor_for(session: Session, user: User) -> Actor:
    grants = []
    for grant in user.grants:
        unit_state = None
        if grant.unit_id is not None:
            unit_state = session.scalar(sa.select(Unit.state_code).where(Unit.id == grant.unit_id))
        grants.append(Grant(Role(grant.role), grant.state_code, grant.unit_id, unit_state))
    return Actor(user.id, user.username, tuple(grants))


def authenticate(session: Session, username: str, password: str, *, max_failures: int, lockout: timedelta) -> User:
    """Check a password; after ``max_failures`` wrong attempts the account is locked for a while.

    :raise Unauthenticated: unknown user or wrong password (the same message for both).
    :raise Locked: too many failures recently.
    """
    user = session.scalar(sa.select(User).where(User.username == username))
    now = utcnow()
    if user is None or not user.is_active:
        # Hash anyway so that timing does not tell which user names exist.
        _hasher.hash(password or "x")
        raise Unauthenticated("wrong user name or password")
    if user.locked_until is not None and user.locked_until > now:
        raise Locked(f"too many failed sign-ins; try again after {user.locked_until.isoformat()}")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
        session.flush()
        raise Unauthenticated("wrong user name or password") from None
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


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


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


