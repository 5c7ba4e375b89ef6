"""Answers State by State (Art. 3(1)): accept naming the units offered, refuse with a reason,
counter-propose; the requester decides a counter-proposal; an addressed State acknowledges.

An accepted answer (or an accepted counter-proposal) alerts each unit it offers: one ALERTED
deployment per unit, created by the system.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import AnswerStatus, Party, ReadinessStatus
from atlas_coord.domain.lifecycle import answer_creates_deployments, plan_creation, request_open
from atlas_coord.models import AssistanceRequest, Deployment, OfferedUnit, RequestAddressee, Unit, utcnow
from atlas_coord.policy import Actor
from atlas_coord.serializers import iso
from atlas_coord.serializers.requests import AnswerOut

from .. import audit, events
from ..errors import Conflict, Forbidden, Invalid
from ..transitions import (
    Planned,
    TransitionRefused,
    begin,
    bump_version,
    check_guards,
    compare_and_set,
    lock_row,
    update_if,
)
from ..visibility import audience, load_request
from .commands import AnswerAccept, AnswerCounter, AnswerRefuse, CounterDecision
from .crises import marked
from .parties import answering_grant, load_addressee, requester_grant

_UNAVAILABLE = {ReadinessStatus.UNAVAILABLE.value, ReadinessStatus.COMMITTED.value}


def _check_offered_units(session: Session, state_code: str, unit_ids: list[int], field: str) -> list[Unit]:
    """The offered units, each existing, of the answering State, and free to go.

    :raise Invalid: an unknown unit or one of another State (names ``<field>.<index>``).
    :raise Conflict: a unit is UNAVAILABLE or already COMMITTED to another deployment.
    """
    units = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)))}
    for index, unit_id in enumerate(unit_ids):
        unit = units.get(unit_id)
        if unit is None:
            raise Invalid(f"unknown unit {unit_id}", fields={f"{field}.{index}": "unknown unit"})
        if unit.state_code != state_code:
            raise Invalid(f"unit {unit.key} belongs to {unit.state_code}, not {state_code}",
                          fields={f"{field}.{index}": f"a unit of {unit.state_code}; offer units of {state_code}"})
    for index, unit_id in enumerate(unit_ids):
        unit = units[unit_id]
        if unit.readiness_status in _UNAVAILABLE:
            raise Conflict(f"unit {unit.key} is {unit.readiness_status} and cannot be offered",
                           fields={f"{field}.{index}": f"unit is {unit.readiness_status}"},
                           current=unit.readiness_status)
    return [units[u] for u in unit_ids]


def _alert_units(session: Session, request: AssistanceRequest, addressee: RequestAddressee) -> list[Deployment]:
    """SYSTEM 'alert': one ALERTED deployment per unit the accepted answer offers (Art. 3(1)-(2))."""
    if not answer_creates_deployments(addressee.status):
        return []
    alert = plan_creation("deployment", Party.SYSTEM)
    offered_units = addressee.offered_units
    # A counter-proposal's reduced personnel is the unit's headcount when one unit is offered.
    headcount = addressee.counter_personnel if len(offered_units) == 1 else None
    created = []
    for offered in offered_units:
        deployment = Deployment(request_id=request.id, addressee_id=addressee.id, unit_id=offered.unit_id,
                                status=alert.target, headcount=headcount)
        request.deployments.append(deployment)
        created.append(deployment)
    session.flush()
    return created


def _record_alerts(session: Session, request: AssistanceRequest, deployments: list[Deployment]) -> None:
    rooms = audience(session, request)
    for deployment in deployments:
        audit.record(session, None, Party.SYSTEM.value.lower(), "deployment.alert", "deployment", deployment.id,
                     after={"status": deployment.status, "unit_id": deployment.unit_id}, request_id=request.id)
        events.publish(session, "deployment.alerted", f"deployment:{deployment.id}",
                       marked(request.crisis, {"request_id": request.id, "deployment_id": deployment.id,
                                               "unit_id": deployment.unit_id, "status": deployment.status,
                                               "version": deployment.version}), rooms)


def _begin_answer(
    session: Session, actor: Actor, request_id: int, state: str, action: str, party: Party, expected: int | None,
) -> tuple[AssistanceRequest, RequestAddressee, Planned]:
    """Load the request and the State's answer, plan ``action`` for ``party``, and lock the request.

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    :raise Forbidden, TransitionRefused, Conflict: as for :func:`~atlas_coord.services.transitions.begin`.
    """
    request = load_request(session, actor, request_id)
    addressee = load_addressee(request, state)
    code = addressee.state_code
    if party is Party.REQUESTER:
        grant, what = requester_grant(actor, request), f"the counter-proposal of {code} to request {request.id}"
    else:
        grant, what = answering_grant(actor, code), f"the answer of {code} to request {request.id}"
    if addressee.status == AnswerStatus.LAPSED and grant is not None:
        raise TransitionRefused(f"request {request.id} is {request.status}: nothing is awaited from {code} any more "
                                "(its answer lapsed)", current=addressee.status, allowed=[])
    planned = begin("answer", action, addressee, {party: grant}, what, expected)
    # Lock order: the request first, then the answer (by its compare-and-set), then units.
    lock_row(session, request)
    return request, addressee, planned


def _answer(
    session: Session,
    actor: Actor,
    request_id: int,
    state: str,
    action: str,
    expected_version: int | None,
    *,
    values: dict[str, Any],
    unit_ids: list[int] | None = None,
    units_field: str = "units",
    facts: dict[str, bool] | None = None,
) -> RequestAddressee:
    request, addressee, planned = _begin_answer(session, actor, request_id, state, action, Party.ADDRESSED_AUTHORITY,
                                                expected_version)
    check_guards(planned.transition, {"request_open": request_open(request.status), **(facts or {})},
                 current=request.status)
    if unit_ids is not None:
        _check_offered_units(session, addressee.state_code, unit_ids, units_field)
    now = utcnow()
    acknowledgement = {} if addressee.seen_at else {"seen_at": now, "seen_by_id": actor.user_id}
    compare_and_set(session, addressee, "answer", seen=planned.seen, to=planned.target, what=planned.what,
                    answered_by_id=actor.user_id, answered_at=now, **acknowledgement, **values)
    bump_version(session, request)
    for unit_id in unit_ids or []:
        addressee.offered_units.append(OfferedUnit(unit_id=unit_id))
    session.flush()
    alerted = _alert_units(session, request, addressee)
    after = AnswerOut.of(addressee).model_dump(mode="json", exclude={"arrangement"})
    audit.record(session, actor, planned.grant.label(), f"answer.{action}", "answer", addressee.id,
                 before={"status": planned.seen[0]}, after=after, request_id=request.id)
    events.publish(session, "answer.given", f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "state": addressee.state_code,
                                           "status": addressee.status, "units": after["units"],
                                           "version": addressee.version}),
                   audience(session, request))
    _record_alerts(session, request, alerted)
    return addressee


def accept(session: Session, actor: Actor, request_id: int, state: str, data: AnswerAccept) -> RequestAddressee:
    """The addressed State's competent authority accepts, naming the units offered; each is alerted.

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    :raise Forbidden: the actor is not that State's competent authority.
    :raise TransitionRefused: the State has answered already.
    :raise GuardRefused: the request is no longer open (e.g. withdrawn).
    :raise Invalid: an offered unit is unknown or of another State (names ``units.<i>``).
    :raise Conflict: an offered unit is UNAVAILABLE or COMMITTED, or the answer changed concurrently.
    """
    return _answer(session, actor, request_id, state, "accept", data.expected_version, values={},
                   unit_ids=list(data.units), facts={"units_offered_belong_to_state": True})


def refuse(session: Session, actor: Actor, request_id: int, state: str, data: AnswerRefuse) -> RequestAddressee:
    """The addressed State refuses, stating why (Art. 3(1)).

    :raise NotFound, Forbidden, TransitionRefused, GuardRefused, Conflict: as for :func:`accept`.
    :raise Invalid: no reason.
    """
    return _answer(session, actor, request_id, state, "refuse", data.expected_version,
                   values={"reason": data.reason}, facts={"reason_required": bool(data.reason)})


def counter_propose(session: Session, actor: Actor, request_id: int, state: str, data: AnswerCounter) -> RequestAddressee:
    """The addressed State proposes another kind of assistance (Art. 3(1)): other assistance kinds,
    other units, fewer personnel or a later arrival, with the units that would provide it.

    :raise NotFound, Forbidden, TransitionRefused, GuardRefused, Conflict: as for :func:`accept`.
    :raise Invalid: a unit is unknown or of another State (``counter.units.<i>``).
    """
    counter = data.counter
    return _answer(
        session, actor, request_id, state, "counter_propose", data.expected_version,
        values={
            "counter_kinds": [k.value for k in counter.kinds],
            "counter_assistance_kinds": [k.value for k in counter.assistance_kinds],
            "counter_personnel": counter.personnel,
            "counter_arrival_at": counter.arrival_at,
            "counter_text": counter.text,
        },
        unit_ids=list(counter.units),
        units_field="counter.units",
    )


def decide_counter(
    session: Session, actor: Actor, request_id: int, state: str, *, accept_it: bool, data: CounterDecision
) -> RequestAddressee:
    """The requester accepts or rejects a counter-proposal; accepting alerts the units it offers.

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    :raise Forbidden: the actor is not the requester.
    :raise TransitionRefused: there is no open counter-proposal from that State.
    :raise GuardRefused: the request is no longer open.
    :raise Conflict: an offered unit became UNAVAILABLE or COMMITTED, or the answer changed concurrently.
    """
    action = "accept_counter" if accept_it else "reject_counter"
    request, addressee, planned = _begin_answer(session, actor, request_id, state, action, Party.REQUESTER,
                                                data.expected_version)
    check_guards(planned.transition, {"request_open": request_open(request.status)}, current=request.status)
    if accept_it:
        _check_offered_units(session, addressee.state_code, [o.unit_id for o in addressee.offered_units], "units")
    compare_and_set(session, addressee, "answer", seen=planned.seen, to=planned.target, what=planned.what,
                    decided_by_id=actor.user_id, decided_at=utcnow(), counter_decision_reason=data.reason)
    bump_version(session, request)
    alerted = _alert_units(session, request, addressee)
    audit.record(session, actor, planned.grant.label(), f"answer.{action}", "answer", addressee.id,
                 before={"status": planned.seen[0]}, after={"status": addressee.status, "reason": data.reason},
                 request_id=request.id)
    events.publish(session, "answer.counter_accepted" if accept_it else "answer.counter_rejected",
                   f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "state": addressee.state_code,
                                           "status": addressee.status, "version": addressee.version}),
                   audience(session, request))
    _record_alerts(session, request, alerted)
    return addressee


def mark_seen(session: Session, actor: Actor, request_id: int) -> list[RequestAddressee]:
    """An addressed State's competent authority acknowledges the request; the requester sees when
    and by whom. Acknowledging twice changes nothing.

    :raise NotFound: unknown, or not the actor's business.
    :raise Forbidden: the actor is not the competent authority of an addressed State.
    """
    request = load_request(session, actor, request_id)
    mine = [a for a in request.addressees if answering_grant(actor, a.state_code)]
    if not mine:
        raise Forbidden("only an addressed State's competent authority acknowledges a request")
    now = utcnow()
    changed = []
    for addressee in mine:
        # Claimed with ``seen_at IS NULL``: of two concurrent acknowledgements one records it.
        if update_if(session, addressee, (RequestAddressee.seen_at.is_(None),),
                     {"seen_at": now, "seen_by_id": actor.user_id}):
            changed.append(addressee)
        else:
            session.refresh(addressee)  # acknowledged already: show by whom
    rooms = audience(session, request) if changed else []
    for addressee in changed:
        grant = answering_grant(actor, addressee.state_code)
        audit.record(session, actor, grant.label(), "request.seen", "answer", addressee.id,
                     before={"seen_at": None}, after={"seen_at": iso(addressee.seen_at), "seen_by_id": actor.user_id},
                     request_id=request.id)
        events.publish(session, "request.seen", f"request:{request.id}",
                       marked(request.crisis, {"request_id": request.id, "state": addressee.state_code,
                                               "seen_at": iso(addressee.seen_at), "seen_by": actor.username}),
                       rooms)
    return mine
