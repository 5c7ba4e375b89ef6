"""Which rooms a signed-in user belongs to, decided by the server alone from the user's grants.

Rooms: ``all`` (every signed-in user), ``state:XX`` (each state of the user's grants; a unit
commander also belongs to the unit's state), ``requests:XX`` (the requests of state XX, only for
roles the policy lets read them: its crisis centre and competent authority), ``unit:N`` (the
unit's commander), ``observers``
(observers and admins: every event names this room), and ``request:N`` (joined only through
``watch``, and only by a user entitled to see that request).
"""

from __future__ import annotations

import importlib
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.lifecycle import Role
from atlas_coord.models import Event
from atlas_coord.policy import Action, Actor, can
from atlas_coord.services import events
from atlas_coord.services.errors import ServiceError

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


def requests_service_function(name: str):
    """``atlas_coord.services.requests.<name>`` when the requests service provides it, else None."""
    module_name = "atlas_coord.services.requests"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, name, None)


def _audience_names(room: str) -> sa.ColumnElement[bool]:
    return sa.cast(Event.audience, sa.Text).like(f'%"{room}"%')


def may_watch_request(session: Session, actor: Actor, rooms: list[str], request_id: int) -> bool:
    """True when ``actor`` may join ``request:<request_id>``.

    The requests service decides when it is installed: ``get_request(session, actor, id)``
    raises NotFound for a request the actor may not know of. Without it, the request's own events
    decide: one of them must be addressed to a room the user is in (the audience of a request's
    events is the requester's state, the addressed states, the involved units and the observers).
    """
    load = requests_service_function("get_request") or requests_service_function("load_request")
    if load is not None:
        try:
            load(session, actor, request_id)
        except ServiceError:  # NotFound or Forbidden both mean "no"
            return False
        return True
    query = (
        sa.select(Event.seq)
        .where(_audience_names(events.request_room(request_id)))
        .where(events.visible_to(rooms))
        .limit(1)
    )
    return session.scalar(query) is not None
