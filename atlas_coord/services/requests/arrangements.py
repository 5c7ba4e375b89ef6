"""The practical arrangements (Art. 1) agreed between the requester and one answering State:
legal basis, weapons and equipment manifest, liaison officer, and the Art. 4 cost terms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import AnswerStatus, RequestStatus
from atlas_coord.models import Arrangement, AssistanceRequest, RequestAddressee, utcnow
from atlas_coord.policy import Actor
from atlas_coord.serializers.requests import ArrangementOut

from .. import audit, events
from ..errors import Conflict, Forbidden
from ..transitions import check_expected_version, lock_row
from ..visibility import audience, load_request
from .commands import ArrangementIn
from .crises import marked
from .parties import answering_grant, load_addressee, requester_grant

_ARRANGEABLE = {AnswerStatus.ACCEPTED.value, AnswerStatus.COUNTER_PROPOSED.value, AnswerStatus.COUNTER_ACCEPTED.value}


def get_arrangement(session: Session, actor: Actor, request_id: int, state: str) -> RequestAddressee:
    """The State's answer, whose arrangements are read (the Art. 4 defaults when none are recorded).

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    """
    return load_addressee(load_request(session, actor, request_id), state)


def _cost_terms(data: ArrangementIn) -> dict:
    return {
        "cost_default_bearer": data.cost_terms.default_bearer.value,
        "cost_overrides": {k.value: v.value for k, v in sorted(data.cost_terms.overrides.items())},
    }


def _check_arrangeable(request: AssistanceRequest, addressee: RequestAddressee, arrangement: Arrangement | None,
                       data: ArrangementIn) -> None:
    """:raise Conflict: nothing to arrange, the request is over, the version is stale, or settled terms would change."""
    if addressee.status not in _ARRANGEABLE:
        raise Conflict(f"the answer of {addressee.state_code} is {addressee.status}: there is no assistance to arrange",
                       current=addressee.status, allowed=sorted(_ARRANGEABLE))
    if request.status in (RequestStatus.CLOSED.value, RequestStatus.WITHDRAWN.value):
        raise Conflict(f"request {request.id} is {request.status}", current=request.status, allowed=[])
    what = f"the arrangements of {addressee.state_code} for request {request.id}"
    if arrangement is None and data.expected_version is not None:
        raise Conflict(f"{what} are not recorded yet; reload and retry", version=None)
    if arrangement is not None:
        check_expected_version(arrangement, data.expected_version, what)
    current, terms = ArrangementOut.of(arrangement).cost_terms, _cost_terms(data)
    if request.costs_settled_at is not None and (
        current.default_bearer != terms["cost_default_bearer"] or current.overrides != terms["cost_overrides"]
    ):
        raise Conflict("the costs of this request are settled; the cost terms can no longer change",
                       fields={"cost_terms": "settled"}, current=request.status)


def record_arrangement(session: Session, actor: Actor, request_id: int, state: str, data: ArrangementIn) -> RequestAddressee:
    """The requester or the answering State records the practical arrangements they agreed (Art. 1):
    legal basis, weapons and equipment manifest, liaison officer, Art. 4 cost terms. Replaces them.

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    :raise Forbidden: the actor is neither the requester nor that State's competent authority.
    :raise Conflict: the answer does not offer assistance, the request is over, the costs are
        settled and the terms would change, or ``expected_version`` is stale.
    """
    request = load_request(session, actor, request_id)
    addressee = load_addressee(request, state)
    grant = requester_grant(actor, request) or answering_grant(actor, addressee.state_code)
    if grant is None:
        raise Forbidden("only the requester and the answering State record their arrangements")
    lock_row(session, request)
    session.refresh(addressee)
    arrangement = session.scalars(
        sa.select(Arrangement).where(Arrangement.addressee_id == addressee.id).execution_options(populate_existing=True)
    ).one_or_none()
    _check_arrangeable(request, addressee, arrangement, data)
    before = ArrangementOut.of(arrangement).wire()
    if arrangement is None:
        arrangement = Arrangement(version=1)
        addressee.arrangement = arrangement
    else:
        arrangement.version += 1
    arrangement.legal_basis = data.legal_basis.value
    arrangement.weapons_manifest = [item.model_dump() for item in data.weapons_manifest]
    arrangement.liaison_officer = data.liaison_officer.model_dump() if data.liaison_officer else None
    for name, value in _cost_terms(data).items():
        setattr(arrangement, name, value)
    arrangement.cost_note = data.cost_terms.note
    arrangement.updated_by_id = actor.user_id
    arrangement.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, grant.label(), "arrangement.record", "arrangement", arrangement.id,
                 before=before, after=ArrangementOut.of(arrangement).wire(), request_id=request.id)
    events.publish(session, "arrangement.recorded", f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "state": addressee.state_code,
                                           "legal_basis": arrangement.legal_basis, "version": arrangement.version}),
                   audience(session, request))
    return addressee
