"""Which rooms a signed-in user belongs to, decided by the server alone from the user's grants.

Rooms: ``all`` (every signed-in user), ``state:XX`` (each state of the user's grants; a unit
commander also belongs to the unit's state), ``requests:XX`` (the requests of state XX, only for
roles the policy lets read them: its crisis centre and competent authority), ``unit:N`` (the
unit's commander), ``observers``
(observers and admins: every event names this room), and ``request:N`` (joined only through
``watch``, and only by a user entitled to see that request).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from atlas_coord.domain.choices import Role
from atlas_coord.policy import Action, Actor, can
from atlas_coord.services import events, visibility

log = logging.getLogger(__name__)

NETWORK_ROLES = frozenset({Role.OBSERVER, Role.ADMIN})


def rooms_for(actor: Actor) -> list[str]:
    """The rooms ``actor`` joins on connect, and the audience filter used for replay."""
    rooms = {events.ROOM_ALL}
    rooms.update(events.state_room(code) for code in actor.states)
    rooms.update(
        events.requests_room(code) for code in actor.states if can(actor, Action.REQUEST_READ, state=code)
    )
    rooms.update(events.unit_room(unit_id) for unit_id in actor.unit_ids)
    if any(grant.role in NETWORK_ROLES for grant in actor.grants):
        rooms.add(events.ROOM_OBSERVERS)
    return sorted(rooms)


def may_watch_request(session: Session, actor: Actor, request_id: int) -> bool:
    """True when ``actor`` may join ``request:<request_id>``: the one need-to-know rule
    (``services.visibility``) decides, as it does for the REST API."""
    return visibility.may_see_request(session, actor, request_id)
