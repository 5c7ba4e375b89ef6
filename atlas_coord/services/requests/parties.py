"""Who is who on a request: the grant that makes an actor its REQUESTER or an ADDRESSED_AUTHORITY,
and the State an actor raises requests (and records crises) for."""

from __future__ import annotations

from sqlalchemy.orm import Session

from atlas_coord.models import AssistanceRequest, RequestAddressee, State
from atlas_coord.policy import Action, Actor, Grant, can, granting

from ..errors import Forbidden, Invalid, NotFound


def requester_grant(actor: Actor, request: AssistanceRequest) -> Grant | None:
    """The grant that makes the actor the REQUESTER: the requesting State's crisis centre or competent authority."""
    return granting(actor, Action.REQUEST_RAISE, state=request.requesting_state)


def answering_grant(actor: Actor, state_code: str) -> Grant | None:
    """The grant that makes the actor the ADDRESSED_AUTHORITY of ``state_code`` (its competent authority)."""
    return granting(actor, Action.REQUEST_ANSWER, state=state_code)


def requesting_state(session: Session, actor: Actor, given: str | None) -> str:
    """The State the actor raises for: ``given``, else its only State with a raising grant.

    :raise Invalid: ``given`` is unknown, or needed because the actor acts for several States.
    :raise Forbidden: the actor raises for no State.
    """
    if given is not None:
        if session.get(State, given) is None:
            raise Invalid(f"unknown state {given!r}", fields={"requesting_state": "unknown state code"})
        return given
    own = sorted({g.state for g in actor.grants if g.state and can(actor, Action.REQUEST_RAISE, state=g.state)})
    if not own:
        raise Forbidden("only a State's crisis centre or competent authority raises assistance requests")
    if len(own) > 1:
        raise Invalid("you act for several states; say which one requests",
                      fields={"requesting_state": f"required: one of {', '.join(own)}"})
    return own[0]


def load_addressee(request: AssistanceRequest, state_code: str) -> RequestAddressee:
    """The answer of one addressed State.

    :raise NotFound: the State is not addressed by the request (or it is not submitted yet).
    """
    code = state_code.upper()
    for addressee in request.addressees:
        if addressee.state_code == code:
            return addressee
    raise NotFound(f"request {request.id} has no answer from {code}", fields={"state": "not an addressed state"})
