"""The authorization table, read as a table: role x action x scope, own state and another state."""

from __future__ import annotations

import pytest

from atlas_coord.domain.choices import Role
from atlas_coord.policy import Action, Actor, Grant, can, rooms_for, valid_grant_scope

OWN, OTHER = "BE", "FR"
OWN_UNIT, OTHER_UNIT = 1, 2

ACTORS = {
    "admin": Actor(1, "admin", (Grant(Role.ADMIN),)),
    "crisis_centre": Actor(2, "cc", (Grant(Role.CRISIS_CENTRE, OWN),)),
    "competent_authority": Actor(3, "ca", (Grant(Role.COMPETENT_AUTHORITY, OWN),)),
    "unit_commander": Actor(4, "cmd", (Grant(Role.UNIT_COMMANDER, None, OWN_UNIT, OWN),)),
    "planner_state": Actor(5, "planner-be", (Grant(Role.TRAINING_PLANNER, OWN),)),
    "planner_network": Actor(6, "planner", (Grant(Role.TRAINING_PLANNER),)),
    "observer": Actor(7, "observer", (Grant(Role.OBSERVER),)),
}

# (actor, action, allowed on own state/unit, allowed on another state/unit)
TABLE = [
    ("admin", Action.UNIT_CREATE, True, True),
    ("competent_authority", Action.UNIT_CREATE, True, False),
    ("crisis_centre", Action.UNIT_CREATE, False, False),
    ("unit_commander", Action.UNIT_CREATE, False, False),
    ("observer", Action.UNIT_CREATE, False, False),
    ("competent_authority", Action.UNIT_UPDATE, True, False),
    ("planner_network", Action.UNIT_UPDATE, False, False),
    ("unit_commander", Action.UNIT_READINESS, True, False),
    ("competent_authority", Action.UNIT_READINESS, False, False),
    ("admin", Action.UNIT_READINESS, True, True),
    ("crisis_centre", Action.REQUEST_RAISE, True, False),
    ("competent_authority", Action.REQUEST_RAISE, True, False),
    ("unit_commander", Action.REQUEST_RAISE, False, False),
    ("observer", Action.REQUEST_RAISE, False, False),
    ("competent_authority", Action.REQUEST_ANSWER, True, False),
    ("crisis_centre", Action.REQUEST_ANSWER, False, False),
    ("unit_commander", Action.DEPLOYMENT_REPORT, True, False),
    ("competent_authority", Action.DEPLOYMENT_REPORT, False, False),
    ("planner_state", Action.TRAINING_PLAN, True, False),
    ("planner_network", Action.TRAINING_PLAN, True, True),
    ("crisis_centre", Action.TRAINING_PLAN, False, False),
    ("observer", Action.REQUEST_READ_ALL, True, True),
    ("crisis_centre", Action.REQUEST_READ_ALL, False, False),
    ("observer", Action.USER_MANAGE, False, False),
    ("admin", Action.USER_MANAGE, True, True),
]


@pytest.mark.parametrize(("who", "action", "own", "other"), TABLE)
def test_policy_table(who, action, own, other):
    actor = ACTORS[who]
    assert can(actor, action, state=OWN, unit_id=OWN_UNIT) is own
    assert can(actor, action, state=OTHER, unit_id=OTHER_UNIT) is other


@pytest.mark.parametrize("who", sorted(ACTORS))
def test_everyone_signed_in_reads_the_directory(who):
    assert can(ACTORS[who], Action.DIRECTORY_READ, state=OTHER)


def test_observers_change_nothing():
    changing = [a for a in Action if a not in (Action.DIRECTORY_READ, Action.TRAINING_READ, Action.REQUEST_READ_ALL, Action.AUDIT_READ_ALL, Action.AUDIT_VERIFY, Action.ROSTER_READ)]
    for action in changing:
        assert not can(ACTORS["observer"], action, state=OWN, unit_id=OWN_UNIT), action


@pytest.mark.parametrize(
    ("role", "state", "unit", "ok"),
    [
        (Role.UNIT_COMMANDER, None, 5, True),
        (Role.UNIT_COMMANDER, "BE", None, False),
        (Role.CRISIS_CENTRE, "BE", None, True),
        (Role.CRISIS_CENTRE, None, None, False),
        (Role.TRAINING_PLANNER, None, None, True),
        (Role.OBSERVER, "BE", None, False),
    ],
)
def test_grant_scopes_fit_their_role(role, state, unit, ok):
    assert (valid_grant_scope(role, state, unit) is None) is ok


@pytest.mark.parametrize(
    ("grants", "rooms"),
    [
        ((Grant(Role.CRISIS_CENTRE, "BE"),), ["all", "requests:BE", "state:BE", "user:1"]),
        ((Grant(Role.UNIT_COMMANDER, unit_id=12, unit_state="FR"),), ["all", "state:FR", "unit:12", "user:1"]),
        ((Grant(Role.OBSERVER),), ["all", "observers", "user:1"]),
        ((Grant(Role.ADMIN),), ["all", "observers", "user:1"]),
        ((Grant(Role.TRAINING_PLANNER),), ["all", "user:1"]),
        ((Grant(Role.COMPETENT_AUTHORITY, "NL"), Grant(Role.TRAINING_PLANNER, "DE")), ["all", "requests:NL", "state:DE", "state:NL", "user:1"]),
        ((), ["all", "user:1"]),
    ],
)
def test_live_rooms_come_from_grants_only(grants, rooms):
    assert rooms_for(Actor(1, "someone", grants)) == rooms
