"""Crisis situations (Art. 2(b)): record one, read it, change its classification or description.

A crisis belongs to the requesting State that recorded it; it is visible to that State and to
whoever may see one of its requests (``services.visibility``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.models import AssistanceRequest, Crisis
from atlas_coord.policy import Action, Actor, granting
from atlas_coord.serializers.requests import CrisisOut

from .. import audit, events
from ..errors import Forbidden, NotFound
from ..places import site_for_crisis
from ..transitions import check_expected_version, claim_version
from ..visibility import audience, crisis_visible
from .commands import CrisisIn, CrisisUpdate
from .parties import requesting_state


def get_crisis(session: Session, actor: Actor, crisis_id: int) -> Crisis:
    """:raise NotFound: unknown, or neither the owner's nor linked to a request the actor may see."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None or not crisis_visible(session, actor, crisis):
        raise NotFound(f"crisis {crisis_id} not found", fields={"crisis_id": "unknown crisis"})
    return crisis


def new_crisis(actor: Actor, state: str, data: CrisisIn, *, prefix: str = "crisis.") -> Crisis:
    """A crisis row of ``state`` from the command (not added to the session).

    A ``site_query`` is resolved here (``services.places``); its name is the place name unless one was given.

    :raise Invalid: naming ``{prefix}site_query``, when it names no place or several.
    """
    if data.site_query is not None:
        found = site_for_crisis(data.site_query, f"{prefix}site_query")
        site, place_name = found.point, data.place_name or found.name
    else:
        assert data.site is not None and data.place_name is not None  # the command requires them
        site, place_name = GeoPoint(data.site.lat, data.site.lon), data.place_name
    return Crisis(
        state_code=state,
        crisis_type=data.type.value,
        site=site,
        place_name=place_name,
        started_at=data.started_at,
        description=data.description,
        is_exercise=data.exercise,
        classification=data.classification,
        created_by_id=actor.user_id,
    )


def crisis_record(crisis: Crisis) -> dict:
    """The crisis as its audit records keep it."""
    return CrisisOut.of(crisis).wire()


def create_crisis(session: Session, actor: Actor, data: CrisisIn, state: str | None = None) -> Crisis:
    """Record a crisis situation of the caller's State.

    :raise Forbidden: the actor may not raise requests (and so record crises) for that State.
    :raise Invalid: ``state`` is unknown, or needed because the actor acts for several States.
    """
    code = requesting_state(session, actor, state)
    grant = granting(actor, Action.REQUEST_RAISE, state=code)
    if grant is None:
        raise Forbidden(f"you may not record crises for {code}")
    crisis = new_crisis(actor, code, data, prefix="")
    session.add(crisis)
    session.flush()
    audit.record(session, actor, grant.label(), "crisis.create", "crisis", crisis.id, after=crisis_record(crisis))
    events.publish(session, "crisis.created", f"crisis:{crisis.id}", {"crisis_id": crisis.id, "state": code},
                   [events.requests_room(code)])
    return crisis


def update_crisis(session: Session, actor: Actor, crisis_id: int, data: CrisisUpdate) -> Crisis:
    """The owner changes the classification marking or the description.

    :raise NotFound: unknown, or not visible to the actor.
    :raise Forbidden: the actor does not act for the owning State.
    :raise Conflict: ``expected_version`` is stale, or a concurrent change won.
    """
    crisis = get_crisis(session, actor, crisis_id)
    grant = granting(actor, Action.REQUEST_RAISE, state=crisis.state_code)
    if grant is None:
        raise Forbidden("only the owning State changes a crisis's classification and description")
    what = f"crisis {crisis.id}"
    check_expected_version(crisis, data.expected_version, what)
    before = crisis_record(crisis)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"expected_version"}).items() if v is not None}
    if not changes:
        return crisis
    claim_version(session, crisis, crisis.version, what, **changes)
    audit.record(session, actor, grant.label(), "crisis.update", "crisis", crisis.id, before=before,
                 after=crisis_record(crisis))
    rooms = {events.requests_room(crisis.state_code)}
    for request in session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.crisis_id == crisis.id)):
        rooms.update(audience(session, request))
    events.publish(session, "crisis.updated", f"crisis:{crisis.id}",
                   {"crisis_id": crisis.id, "changes": sorted(changes), "version": crisis.version}, rooms)
    return crisis
