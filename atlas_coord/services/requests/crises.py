"""Crisis situations (Art. 2(b)): record one, read it, change its classification or description.

A crisis belongs to the requesting State that recorded it; it is visible to that State and to
whoever may see one of its requests (``services.visibility``). Its classification marking is
never above the installation's accreditation ceiling (``security.accreditation_ceiling``), and
every event about it or one of its requests carries the marking (:func:`marked`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import Marking
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.markings import exceeds, marking_code, read_marking
from atlas_coord.models import AssistanceRequest, Crisis
from atlas_coord.policy import Action, Actor, granting
from atlas_coord.serializers.requests import CrisisOut

from .. import audit, events
from ..errors import Forbidden, Invalid, NotFound
from ..places import site_for_crisis
from ..transitions import check_expected_version, claim_version
from ..visibility import audience, crisis_visible
from .commands import CrisisIn, CrisisUpdate
from .parties import requesting_state

#: The ceiling when a caller passes no settings (tests of one service): the configuration's default.
DEFAULT_CEILING = Marking.RESTREINT_UE


def accreditation_ceiling(settings: Any) -> Marking:
    """The highest marking the installation may hold, from the settings (the default without)."""
    return DEFAULT_CEILING if settings is None else settings.security.accreditation_ceiling


def check_marking(classification: str, ceiling: Marking, field: str) -> None:
    """:raise Invalid: naming ``field``, when ``classification`` (a code, as the command stores
    it) is above ``ceiling``. Unknown markings never get here: the command refuses them."""
    marking = read_marking(classification)
    if marking is None or exceeds(marking, ceiling):
        raise Invalid(f"{classification} is above this installation's accreditation ceiling {ceiling.value}",
                      fields={field: f"at most {ceiling.value} (security.accreditation_ceiling)"})


def marked(crisis: Crisis, data: dict[str, Any]) -> dict[str, Any]:
    """An event payload about ``crisis`` or one of its requests, with the crisis's marking."""
    return {**data, "marking": marking_code(crisis.classification)}


def get_crisis(session: Session, actor: Actor, crisis_id: int) -> Crisis:
    """:raise NotFound: unknown, or neither the owner's nor linked to a request the actor may see."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None or not crisis_visible(session, actor, crisis):
        raise NotFound(f"crisis {crisis_id} not found", fields={"crisis_id": "unknown crisis"})
    return crisis


def new_crisis(actor: Actor, state: str, data: CrisisIn, *, prefix: str = "crisis.",
               ceiling: Marking = DEFAULT_CEILING) -> Crisis:
    """A crisis row of ``state`` from the command (not added to the session).

    A ``site_query`` is resolved here (``services.places``); its name is the place name unless one was given.

    :raise Invalid: naming ``{prefix}classification``, when the marking is above ``ceiling``;
        naming ``{prefix}site_query``, when it names no place or several.
    """
    check_marking(data.classification, ceiling, f"{prefix}classification")
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


def create_crisis(session: Session, actor: Actor, data: CrisisIn, state: str | None = None, *,
                  settings: Any = None) -> Crisis:
    """Record a crisis situation of the caller's State.

    :raise Forbidden: the actor may not raise requests (and so record crises) for that State.
    :raise Invalid: ``state`` is unknown, or needed because the actor acts for several States;
        the marking is above the accreditation ceiling of ``settings``.
    """
    code = requesting_state(session, actor, state)
    grant = granting(actor, Action.REQUEST_RAISE, state=code)
    if grant is None:
        raise Forbidden(f"you may not record crises for {code}")
    crisis = new_crisis(actor, code, data, prefix="", ceiling=accreditation_ceiling(settings))
    session.add(crisis)
    session.flush()
    audit.record(session, actor, grant.label(), "crisis.create", "crisis", crisis.id, after=crisis_record(crisis))
    events.publish(session, "crisis.created", f"crisis:{crisis.id}", marked(crisis, {"crisis_id": crisis.id, "state": code}),
                   [events.requests_room(code)])
    return crisis


def update_crisis(session: Session, actor: Actor, crisis_id: int, data: CrisisUpdate, *,
                  settings: Any = None) -> Crisis:
    """The owner changes the classification marking or the description.

    :raise NotFound: unknown, or not visible to the actor.
    :raise Forbidden: the actor does not act for the owning State.
    :raise Conflict: ``expected_version`` is stale, or a concurrent change won.
    :raise Invalid: naming ``classification``, above the accreditation ceiling of ``settings``.
    """
    crisis = get_crisis(session, actor, crisis_id)
    grant = granting(actor, Action.REQUEST_RAISE, state=crisis.state_code)
    if grant is None:
        raise Forbidden("only the owning State changes a crisis's classification and description")
    what = f"crisis {crisis.id}"
    check_expected_version(crisis, data.expected_version, what)
    if data.classification is not None:
        check_marking(data.classification, accreditation_ceiling(settings), "classification")
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
                   marked(crisis, {"crisis_id": crisis.id, "changes": sorted(changes), "version": crisis.version}), rooms)
    return crisis
