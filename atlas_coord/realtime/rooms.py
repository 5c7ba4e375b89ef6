"""Which rooms a connection joins: the policy's rooms for its grants, and request rooms by watching.

The rule of which rooms follow from which grants is :func:`atlas_coord.policy.rooms_for`; this
module only adds the one room a connection joins on demand, ``request:N``, for a user entitled
to see that request.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from atlas_coord.policy import Actor
from atlas_coord.services import visibility


def may_watch_request(session: Session, actor: Actor, request_id: int) -> bool:
    """True when ``actor`` may join ``request:<request_id>``: the one need-to-know rule
    (``services.visibility``) decides, as it does for the REST API."""
    return visibility.may_see_request(session, actor, request_id)
