"""Which rooms a connection joins: the policy's rooms for its grants, and request rooms by watching.

The rule of which rooms follow from which grants is :func:`atlas_coord.policy.rooms_for`; this
module only adds the one room a connection joins on demand, ``request:N``, for a user entitled
to see that request.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from atlas_coord.policy import Actor
from atlas_coord.services import requests
from atlas_coord.services.errors import ServiceError


def may_watch_request(session: Session, actor: Actor, request_id: int) -> bool:
    """True when ``actor`` may join ``request:<request_id>``: the requests service decides, and a
    request the actor may not know of (NotFound) or not read (Forbidden) both mean no."""
    try:
        requests.get_request(session, actor, request_id)
    except ServiceError:
        return False
    return True
