"""Need-to-know: the one rule of who may see an assistance request, its crisis and its events.

A request is visible to the requesting State, the addressed States (after submission), the
commanders of the units offered or deployed, and observers and admins (``policy.py`` says which
role reads what). To anyone else it does not exist: :func:`load_request` raises NotFound, never
Forbidden. REST reads (:func:`load_request`, :func:`visible_clause`), the live layer (the rooms of
:func:`audience`, and ``realtime.rooms`` for joining a request's room) and every other reader of
requests use this module, so the three cannot disagree.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from atlas_coord.models import AssistanceRequest, Crisis, Deployment, OfferedUnit, RequestAddressee
from atlas_coord.policy import Action, Actor, can

from . import events
from .errors import NotFound

# Built once (asked on most calls about a request): see child_rows.ChildRows for why.
_INVOLVED_UNITS = sa.union(
    sa.select(Deployment.unit_id).where(Deployment.request_id == sa.bindparam("request_id")),
    sa.select(OfferedUnit.unit_id).join(RequestAddressee).where(RequestAddressee.request_id == sa.bindparam("request_id")),
)


def involved_unit_ids(session: Session, request_id: int) -> set[int]:
    """The units offered for or deployed on the request: their commanders may read it."""
    return set(session.scalars(_INVOLVED_UNITS, {"request_id": request_id}))


def is_visible(session: Session, actor: Actor, request: AssistanceRequest | Any) -> bool:
    """Need-to-know: requester, addressed States (after submission), units asked, observers, admins.

    ``request`` may also be a plain-row page with the same ``id``, ``requesting_state`` and
    ``addressees`` (``services.requests.page``)."""
    if can(actor, Action.REQUEST_READ_ALL):
        return True
    states = {request.requesting_state} | {a.state_code for a in request.addressees}
    if any(can(actor, Action.REQUEST_READ, state=code) for code in states):
        return True
    units = {u for u in actor.unit_ids if can(actor, Action.REQUEST_READ, unit_id=u)}
    return bool(units and units & involved_unit_ids(session, request.id))


def visible_clause(actor: Actor) -> sa.ColumnElement[bool]:
    """SQL form of :func:`is_visible`, for lists."""
    if can(actor, Action.REQUEST_READ_ALL):
        return sa.true()
    states = sorted({g.state for g in actor.grants if g.state and can(actor, Action.REQUEST_READ, state=g.state)})
    units = sorted(u for u in actor.unit_ids if can(actor, Action.REQUEST_READ, unit_id=u))
    clauses: list[sa.ColumnElement[bool]] = []
    if states:
        clauses.append(AssistanceRequest.requesting_state.in_(states))
        clauses.append(
            AssistanceRequest.id.in_(sa.select(RequestAddressee.request_id).where(RequestAddressee.state_code.in_(states)))
        )
    if units:
        clauses.append(AssistanceRequest.id.in_(sa.select(Deployment.request_id).where(Deployment.unit_id.in_(units))))
        clauses.append(
            AssistanceRequest.id.in_(
                sa.select(RequestAddressee.request_id).join(OfferedUnit).where(OfferedUnit.unit_id.in_(units))
            )
        )
    return sa.or_(*clauses) if clauses else sa.false()


def load_request(session: Session, actor: Actor, request_id: int) -> AssistanceRequest:
    """The request, if the actor may know it exists.

    :raise NotFound: no such request, or the actor is not entitled to know of it (the same answer).
    """
    request = session.get(AssistanceRequest, request_id)
    if request is None or not is_visible(session, actor, request):
        raise hidden_request(request_id)
    return request


def hidden_request(request_id: int) -> NotFound:
    """The one answer for a request that does not exist and for one the actor may not know of."""
    return NotFound(f"request {request_id} not found", fields={"request_id": "unknown request"})


def may_see_request(session: Session, actor: Actor, request_id: int) -> bool:
    """True when the actor may know of the request (e.g. join its live room)."""
    request = session.get(AssistanceRequest, request_id)
    return request is not None and is_visible(session, actor, request)


def crisis_visible(session: Session, actor: Actor, crisis: Crisis) -> bool:
    """The owning State, and whoever may see one of the crisis's requests."""
    if can(actor, Action.REQUEST_READ_ALL) or can(actor, Action.REQUEST_READ, state=crisis.state_code):
        return True
    requests = session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.crisis_id == crisis.id))
    return any(is_visible(session, actor, request) for request in requests)


def audience(session: Session, request: AssistanceRequest) -> list[str]:
    """Rooms entitled to a request's events: its States, its units and the request room."""
    rooms = {events.requests_room(request.requesting_state), events.request_room(request.id)}
    # The addressed States are fixed at submission (its answers are made then and never deleted):
    # the request's answers, when loaded, name them without another statement.
    addressees = sa.inspect(request).attrs.addressees.loaded_value
    codes = ([a.state_code for a in addressees] if addressees is not NO_VALUE else
             session.scalars(sa.select(RequestAddressee.state_code).where(RequestAddressee.request_id == request.id)))
    rooms.update(events.requests_room(code) for code in codes)
    rooms.update(events.unit_room(unit) for unit in involved_unit_ids(session, request.id))
    return sorted(rooms)
