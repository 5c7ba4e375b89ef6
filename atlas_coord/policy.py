"""Who may do what, where: one table of role x action -> scope, read by every edge and service.

Scopes:
- ``ANY``: anywhere in the network (admin; observers reading).
- ``OWN_STATE``: the grant's state must be the target state.
- ``OWN_UNIT``: the grant's unit must be the target unit.
- ``GRANT_SCOPE``: a network-wide grant acts anywhere, a state grant only in its own state
  (training planners may be either).
A role/action pair missing from the table is refused.

The live layer's rooms come from the same grants (:func:`rooms_for`): which rooms a user joins
is a policy decision, so the live channel keeps the REST API's need-to-know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from atlas_coord.domain.choices import Role


class Scope(StrEnum):
    ANY = "any"
    OWN_STATE = "own_state"
    OWN_UNIT = "own_unit"
    GRANT_SCOPE = "grant_scope"


class Action(StrEnum):
    DIRECTORY_READ = "directory.read"
    UNIT_CREATE = "unit.create"
    UNIT_UPDATE = "unit.update"
    UNIT_READINESS = "unit.readiness"
    USER_MANAGE = "user.manage"
    REQUEST_RAISE = "request.raise"
    REQUEST_ANSWER = "request.answer"
    REQUEST_READ = "request.read"
    REQUEST_READ_ALL = "request.read_all"
    DEPLOYMENT_REPORT = "deployment.report"
    DEPLOYMENT_RECALL = "deployment.recall"
    COST_RECORD = "cost.record"
    MATCH_WHAT_IF = "match.what_if"
    TRAINING_PLAN = "training.plan"
    TRAINING_OVERRIDE = "training.override"
    TRAINING_RESPOND = "training.respond"
    TRAINING_READ = "training.read"
    AUDIT_READ_ALL = "audit.read_all"
    AUDIT_VERIFY = "audit.verify"
    ROSTER_READ = "roster.read"
    ROSTER_MANAGE = "roster.manage"
    MAILBOX_READ = "mailbox.read"


R = Role
S = Scope
A = Action

POLICY: dict[tuple[Role, Action], Scope] = {
    # Everyone signed in may read the directory (the GSC list is shared within the network).
    **{(role, A.DIRECTORY_READ): S.ANY for role in Role},
    **{(role, A.TRAINING_READ): S.ANY for role in Role},
    (R.ADMIN, A.UNIT_CREATE): S.ANY,
    (R.ADMIN, A.UNIT_UPDATE): S.ANY,
    (R.ADMIN, A.UNIT_READINESS): S.ANY,
    (R.ADMIN, A.USER_MANAGE): S.ANY,
    (R.ADMIN, A.REQUEST_READ_ALL): S.ANY,
    (R.ADMIN, A.AUDIT_READ_ALL): S.ANY,
    (R.ADMIN, A.AUDIT_VERIFY): S.ANY,
    (R.ADMIN, A.MATCH_WHAT_IF): S.ANY,
    (R.ADMIN, A.TRAINING_PLAN): S.ANY,
    (R.ADMIN, A.TRAINING_OVERRIDE): S.ANY,
    # A state's competent authority keeps its own units' directory entries (Art. 2 notification).
    (R.COMPETENT_AUTHORITY, A.UNIT_CREATE): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.UNIT_UPDATE): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.REQUEST_RAISE): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.REQUEST_ANSWER): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.DEPLOYMENT_RECALL): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.MATCH_WHAT_IF): S.ANY,
    (R.COMPETENT_AUTHORITY, A.TRAINING_RESPOND): S.OWN_STATE,
    # The national crisis centre raises requests for its own state (Art. 3(1) via its authority).
    (R.CRISIS_CENTRE, A.REQUEST_RAISE): S.OWN_STATE,
    (R.CRISIS_CENTRE, A.MATCH_WHAT_IF): S.ANY,
    # Need-to-know: a request is read by its requesting and addressed states' crisis centres and
    # competent authorities, and by the commanders of the units offered or deployed (services
    # pass the request's states and units as targets); anyone else cannot tell it exists.
    (R.CRISIS_CENTRE, A.REQUEST_READ): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.REQUEST_READ): S.OWN_STATE,
    (R.UNIT_COMMANDER, A.REQUEST_READ): S.OWN_UNIT,
    # Only the unit's own commander sets its readiness and reports its deployments.
    (R.UNIT_COMMANDER, A.UNIT_READINESS): S.OWN_UNIT,
    (R.UNIT_COMMANDER, A.DEPLOYMENT_REPORT): S.OWN_UNIT,
    (R.UNIT_COMMANDER, A.TRAINING_RESPOND): S.OWN_UNIT,
    # Art. 4: the requesting State bears the operational costs unless agreed otherwise; the
    # commander knows his unit's fuel, lodging and kit bills first, so he records them (who bears
    # each follows the agreed terms, not who records it; only the requester settles). The
    # requester and the sending State's competent authority record costs by their answer roles.
    (R.UNIT_COMMANDER, A.COST_RECORD): S.OWN_UNIT,
    (R.TRAINING_PLANNER, A.TRAINING_PLAN): S.GRANT_SCOPE,
    (R.TRAINING_PLANNER, A.TRAINING_OVERRIDE): S.GRANT_SCOPE,
    (R.TRAINING_PLANNER, A.MATCH_WHAT_IF): S.ANY,
    # The ATLAS support office reads everything and changes nothing.
    (R.OBSERVER, A.REQUEST_READ_ALL): S.ANY,
    (R.OBSERVER, A.AUDIT_READ_ALL): S.ANY,
    (R.OBSERVER, A.AUDIT_VERIFY): S.ANY,
    # Duty rosters: a State's competent authority and crisis centre keep their State's rosters
    # (their own and their units'), a commander the unit's; the support office reads them all.
    (R.ADMIN, A.ROSTER_MANAGE): S.ANY,
    (R.ADMIN, A.ROSTER_READ): S.ANY,
    (R.ADMIN, A.MAILBOX_READ): S.ANY,
    (R.OBSERVER, A.ROSTER_READ): S.ANY,
    (R.COMPETENT_AUTHORITY, A.ROSTER_MANAGE): S.OWN_STATE,
    (R.COMPETENT_AUTHORITY, A.ROSTER_READ): S.OWN_STATE,
    (R.CRISIS_CENTRE, A.ROSTER_MANAGE): S.OWN_STATE,
    (R.CRISIS_CENTRE, A.ROSTER_READ): S.OWN_STATE,
    (R.UNIT_COMMANDER, A.ROSTER_MANAGE): S.OWN_UNIT,
    (R.UNIT_COMMANDER, A.ROSTER_READ): S.OWN_UNIT,
}


@dataclass(frozen=True)
class Grant:
    role: Role
    state: str | None = None
    unit_id: int | None = None
    # The state of the granted unit, so unit commanders also count as "of" that state.
    unit_state: str | None = None

    def label(self) -> str:
        if self.unit_id is not None:
            return f"{self.role.value}:{self.unit_id}"
        if self.state:
            return f"{self.role.value}:{self.state}"
        return self.role.value


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def has_role(self, role: Role) -> bool:
        return any(grant.role == role for grant in self.grants)

    @property
    def states(self) -> frozenset[str]:
        """States this actor belongs to through any grant (a unit commander belongs to the unit's state)."""
        return frozenset(g.state or g.unit_state for g in self.grants if (g.state or g.unit_state))

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(g.unit_id for g in self.grants if g.unit_id is not None)


def _grant_allows(grant: Grant, action: Action, state: str | None, unit_id: int | None) -> bool:
    scope = POLICY.get((grant.role, action))
    if scope is None:
        return False
    if scope is Scope.ANY:
        return True
    if scope is Scope.OWN_STATE:
        return grant.state is not None and state is not None and grant.state == state
    if scope is Scope.OWN_UNIT:
        return grant.unit_id is not None and unit_id is not None and grant.unit_id == unit_id
    if scope is Scope.GRANT_SCOPE:
        if grant.state is None and grant.unit_id is None:
            return True
        return grant.state is not None and state is not None and grant.state == state
    return False  # pragma: no cover - every Scope is handled above


def can(actor: Actor, action: Action, *, state: str | None = None, unit_id: int | None = None) -> bool:
    """True when any of the actor's grants allows ``action`` on the target state or unit."""
    return any(_grant_allows(grant, action, state, unit_id) for grant in actor.grants)


def granting(actor: Actor, action: Action, *, state: str | None = None, unit_id: int | None = None) -> Grant | None:
    """The first grant that allows the action: the role recorded in the audit trail."""
    for grant in actor.grants:
        if _grant_allows(grant, action, state, unit_id):
            return grant
    return None


def valid_grant_scope(role: Role, state: str | None, unit_id: int | None) -> str | None:
    """Why a grant's scope is wrong for its role, or None when it is fine."""
    if role is Role.UNIT_COMMANDER:
        return None if unit_id is not None and state is None else "unit_commander needs a unit scope"
    if role in (Role.CRISIS_CENTRE, Role.COMPETENT_AUTHORITY):
        return None if state is not None and unit_id is None else f"{role.value} needs a state scope"
    if role is Role.TRAINING_PLANNER:
        return None if unit_id is None else "training_planner takes a state scope or none (network)"
    if role in (Role.ADMIN, Role.OBSERVER):
        return None if state is None and unit_id is None else f"{role.value} is network-wide and takes no scope"
    return "unknown role"  # pragma: no cover


# ---------------------------------------------------------------- live rooms

ROOM_ALL = "all"
ROOM_OBSERVERS = "observers"
# Observers and admins follow the whole network: every event names their room.
NETWORK_ROLES = frozenset({Role.OBSERVER, Role.ADMIN})


def state_room(code: str) -> str:
    return f"state:{code}"


def requests_room(code: str) -> str:
    """Requests raised by or addressed to a state: only for roles that may read that state's
    requests (its crisis centre and competent authority), so the live channel keeps the same
    need-to-know as the REST API."""
    return f"requests:{code}"


def unit_room(unit_id: int) -> str:
    return f"unit:{unit_id}"


def request_room(request_id: int) -> str:
    return f"request:{request_id}"


def user_room(user_id: int) -> str:
    """One person's own alerts (a duty officer's console rings)."""
    return f"user:{user_id}"


def rooms_for(actor: Actor) -> list[str]:
    """The rooms ``actor`` joins on connect, and the audience filter used for replay.

    ``all`` (every signed-in user), ``state:XX`` (each state of the actor's grants; a unit
    commander also belongs to the unit's state), ``requests:XX`` (only where the actor may read
    XX's requests), ``unit:N`` (the unit's commander) and ``observers`` (network-wide roles).
    ``user:N`` (the actor's own alerts). ``request:N`` is not among them: it is joined by watching a request the actor may see.
    """
    rooms = {ROOM_ALL}
    rooms.update(state_room(code) for code in actor.states)
    rooms.update(requests_room(code) for code in actor.states if can(actor, Action.REQUEST_READ, state=code))
    rooms.update(unit_room(unit_id) for unit_id in actor.unit_ids)
    rooms.add(user_room(actor.user_id))
    if any(grant.role in NETWORK_ROLES for grant in actor.grants):
        rooms.add(ROOM_OBSERVERS)
    return sorted(rooms)
