"""The request's own lifecycle (Art. 3(1)): raise, submit, withdraw and close it, and work out
its status again (PARTIALLY_MET / MET) after a deployment changed.

Submission freezes the unit ranking on the request (``services.matching``); a failing ranking is
logged and never stops a crisis request from going out.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from atlas_coord.domain.choices import AnswerStatus, DeploymentStatus, Party
from atlas_coord.domain.fulfilment import counts_towards_fulfilment, level_satisfies, recompute_request_status
from atlas_coord.domain.lifecycle import plan_creation, plan_transition, request_open
from atlas_coord.models import (
    AssistanceRequest,
    Capability,
    Crisis,
    Deployment,
    RequestAddressee,
    RequestRequirement,
    State,
    UnitCapability,
    utcnow,
)
from atlas_coord.policy import Action, Actor, Grant, granting
from atlas_coord.serializers import iso

from .. import audit, events, matching
from ..errors import Forbidden, Invalid
from ..transitions import Planned, begin, check_guards, compare_and_set, lock_row
from ..visibility import audience, load_request
from .commands import RequestCreate, RequestWithdraw
from .crises import accreditation_ceiling, crisis_record, marked, new_crisis
from .parties import requester_grant, requesting_state

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- raise


def _check_addressees(session: Session, requesting: str, codes: list[str]) -> None:
    known = set(session.scalars(sa.select(State.code).where(State.code.in_(codes)))) if codes else set()
    for index, code in enumerate(codes):
        if code == requesting:
            raise Invalid(f"{code} cannot address its own request",
                          fields={f"addressees.{index}": "the requesting state cannot address itself"})
        if code not in known:
            raise Invalid(f"unknown state {code!r}", fields={f"addressees.{index}": "unknown state code"})


def _check_requirements(session: Session, codes: list[str]) -> None:
    known = set(session.scalars(sa.select(Capability.code).where(Capability.code.in_(codes)))) if codes else set()
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code not in known:
            raise Invalid(f"unknown capability {code!r}", fields={f"requirements.{index}.code": "unknown capability code"})
        if code in seen:
            raise Invalid(f"capability {code!r} listed twice", fields={f"requirements.{index}.code": "duplicate"})
        seen.add(code)


def _crisis_for(session: Session, actor: Actor, state: str, data: RequestCreate,
                settings: Any) -> tuple[Crisis, bool]:
    """The request's crisis: an existing one of the requesting State, or a new one (True) whose
    marking is within the accreditation ceiling."""
    if data.crisis_id is None:
        assert data.crisis is not None  # the command requires one of the two
        crisis = new_crisis(actor, state, data.crisis, ceiling=accreditation_ceiling(settings))
        session.add(crisis)
        return crisis, True
    crisis = session.get(Crisis, data.crisis_id)
    if crisis is None or crisis.state_code != state:
        raise Invalid(f"crisis {data.crisis_id} is not a crisis of {state}", fields={"crisis_id": "unknown crisis"})
    return crisis, False


def raise_request(session: Session, actor: Actor, data: RequestCreate, *, settings: Any = None) -> AssistanceRequest:
    """Raise an assistance request (Art. 3(1)) for the caller's State: DRAFT, or submitted at once.

    The crisis is new (``data.crisis``) or an existing one of the requesting State (``crisis_id``).
    ``settings`` carries the ETA model of the ranking frozen at submission (defaults when None).

    :raise Forbidden: the actor is not the requesting State's crisis centre or competent authority.
    :raise Invalid: unknown state, capability or crisis; the requester addressed itself.
    """
    state = requesting_state(session, actor, data.requesting_state)
    grant = granting(actor, Action.REQUEST_RAISE, state=state)
    if grant is None:
        raise Forbidden(f"you may not raise assistance requests for {state}")
    creation = plan_creation("request", Party.REQUESTER)
    _check_addressees(session, state, data.addressees)
    _check_requirements(session, [r.code for r in data.requirements])
    crisis, crisis_is_new = _crisis_for(session, actor, state, data, settings)
    request = AssistanceRequest(
        crisis=crisis,
        requesting_state=state,
        status=creation.target,
        kinds=[k.value for k in data.kinds],
        operational_necessity=data.operational_necessity,
        needed_by=data.needed_by,
        duration_hours=data.duration_hours,
        address_all=data.address_all,
        addressed_states=list(data.addressees),
        answer_deadline=data.answer_deadline,
        created_by_id=actor.user_id,
        requirements=[
            RequestRequirement(position=i, capability_code=r.code, quantity=r.quantity, min_level=r.min_level.value)
            for i, r in enumerate(data.requirements)
        ],
        # A new request has no answers and no deployments yet: said here, neither submission nor
        # the response reads the (empty) collections back from the database.
        addressees=[],
        deployments=[],
    )
    session.add(request)
    session.flush()
    _record_creation(session, actor, grant, request, crisis_is_new)
    if data.submit:
        submit_request(session, actor, request.id, settings=settings)
    return request


def _record_creation(session: Session, actor: Actor, grant: Grant, request: AssistanceRequest, crisis_is_new: bool) -> None:
    if crisis_is_new:
        audit.record(session, actor, grant.label(), "crisis.create", "crisis", request.crisis.id,
                     after=crisis_record(request.crisis), request_id=request.id)
    audit.record(session, actor, grant.label(), "request.create", "request", request.id,
                 after={"status": request.status, **_request_audit_fields(request)}, request_id=request.id)
    events.publish(session, "request.created", f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "status": request.status,
                                           "version": request.version}),
                   [events.requests_room(request.requesting_state), events.request_room(request.id)])


def _request_audit_fields(request: AssistanceRequest) -> dict[str, Any]:
    return {
        "crisis_id": request.crisis_id,
        "requesting_state": request.requesting_state,
        "kinds": list(request.kinds),
        "operational_necessity": request.operational_necessity,
        "requirements": [[r.capability_code, r.quantity, r.min_level] for r in request.requirements],
        "needed_by": iso(request.needed_by),
        "duration_hours": request.duration_hours,
        "address_all": request.address_all,
        "addressed_states": list(request.addressed_states or []),
        "answer_deadline": iso(request.answer_deadline),
    }


# ---------------------------------------------------------------- the requester's transitions


def begin_request_change(
    session: Session, actor: Actor, request_id: int, action: str, expected_version: int | None
) -> tuple[AssistanceRequest, Planned]:
    """Load the request (need-to-know) and plan the requester's ``action`` on it from the version
    the caller saw: the preamble of submit, withdraw and close.

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the status does not allow ``action``.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: the request changed since ``expected_version``.
    """
    request = load_request(session, actor, request_id)
    planned = begin("request", action, request, {Party.REQUESTER: requester_grant(actor, request)},
                    f"request {request.id}", expected_version)
    return request, planned


def _publish_status(session: Session, request: AssistanceRequest, event: str, **extra: Any) -> None:
    events.publish(session, event, f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "status": request.status, **extra,
                                           "version": request.version}),
                   audience(session, request))


def _ranking_snapshot(session: Session, settings: Any, request: AssistanceRequest) -> dict[str, Any] | None:
    """The matching service's frozen ranking for the request.

    A failing ranking must not stop a crisis request from going out: it is logged and None stored.
    """
    try:
        # Already the JSON body it is stored as (a response model's wire form): no round trip.
        return matching.snapshot_for_request(session, settings, request)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("ranking snapshot for request %r failed; submitting without it", request.id)
        return None


def submit_request(session: Session, actor: Actor, request_id: int, expected_version: int | None = None, *,
                   settings: Any = None) -> AssistanceRequest:
    """Submit a DRAFT (Art. 3(1)): each addressed State receives it (one PENDING answer each) and
    the unit ranking is frozen on the request.

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is not a DRAFT.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: the request changed since ``expected_version`` or concurrently.
    """
    request, planned = begin_request_change(session, actor, request_id, "submit", expected_version)
    receive = plan_creation("answer", Party.SYSTEM)
    if request.address_all:
        codes = list(session.scalars(
            sa.select(State.code).where(State.code != request.requesting_state).order_by(State.code)
        ))
    else:
        codes = sorted(request.addressed_states)
    compare_and_set(session, request, "request", seen=planned.seen, to=planned.target, what=planned.what,
                    submitted_at=utcnow())
    for code in codes:
        # A new answer has no offered units and no arrangement yet: said here, the response
        # does not ask the database twice per addressed state.
        request.addressees.append(RequestAddressee(request_id=request.id, state_code=code, status=receive.target,
                                                   offered_units=[], arrangement=None))
    session.flush()
    request.ranking_snapshot = _ranking_snapshot(session, settings, request)
    session.flush()
    # The flush expired the column computed from the snapshot; its value is known.
    set_committed_value(request, "has_ranking_snapshot", request.ranking_snapshot is not None)
    audit.record(session, actor, planned.grant.label(), "request.submit", "request", request.id,
                 before={"status": planned.seen[0]},
                 after={"status": request.status, "addressees": codes,
                        "ranking_snapshot": request.ranking_snapshot is not None},
                 request_id=request.id)
    _publish_status(session, request, "request.submitted", requesting_state=request.requesting_state,
                    addressees=codes, answer_deadline=iso(request.answer_deadline))
    return request


def withdraw_request(session: Session, actor: Actor, request_id: int, data: RequestWithdraw) -> AssistanceRequest:
    """The requester withdraws the request (any time before CLOSED; Art. 1).

    Units already under way stay so until the requester stands them down (partial release).
    Answers still awaited lapse (:func:`lapse_open_answers`).

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is CLOSED or WITHDRAWN.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: the request changed since ``data.expected_version`` (e.g. an answer came in) or concurrently.
    """
    request, planned = begin_request_change(session, actor, request_id, "withdraw", data.expected_version)
    compare_and_set(session, request, "request", seen=planned.seen, to=planned.target, what=planned.what,
                    withdrawn_at=utcnow(), withdrawal_reason=data.reason)
    audit.record(session, actor, planned.grant.label(), "request.withdraw", "request", request.id,
                 before={"status": planned.seen[0]}, after={"status": request.status, "reason": data.reason},
                 request_id=request.id)
    _publish_status(session, request, "request.withdrawn")
    lapse_open_answers(session, request)
    return request


def lapse_open_answers(session: Session, request: AssistanceRequest) -> list[RequestAddressee]:
    """The SYSTEM 'lapse' of every answer still awaited once the request ended (withdrawn or
    closed): a PENDING answer, or a counter-proposal nobody decided, becomes LAPSED, so no screen
    keeps waiting for it. Each gets an audit record and an ``answer.lapsed`` event.

    The request is already changed (its row is held by this transaction), so no answer can be given
    concurrently; each answer is still claimed by compare-and-set.
    """
    awaited = (AnswerStatus.PENDING.value, AnswerStatus.COUNTER_PROPOSED.value)
    lapsed = [a for a in request.addressees if a.status in awaited]
    for addressee in lapsed:
        before = addressee.status
        target = plan_transition("answer", "lapse", before, Party.SYSTEM).next_status(before)
        compare_and_set(session, addressee, "answer", seen=(before, addressee.version), to=target,
                        what=f"the answer of {addressee.state_code}")
        audit.record(session, None, Party.SYSTEM.value.lower(), "answer.lapse", "answer", addressee.id,
                     before={"status": before}, after={"status": addressee.status, "request_status": request.status},
                     request_id=request.id)
        events.publish(session, "answer.lapsed", f"request:{request.id}",
                       marked(request.crisis, {"request_id": request.id, "state": addressee.state_code,
                                               "status": addressee.status, "version": addressee.version}),
                       audience(session, request))
    return lapsed


def unfinished_deployments(session: Session, request: AssistanceRequest) -> list[int]:
    """Ids of the request's deployments whose unit is not back (or never declined)."""
    finished = (DeploymentStatus.DECLINED.value, DeploymentStatus.RETURNED.value)
    return list(session.scalars(
        sa.select(Deployment.id)
        .where(Deployment.request_id == request.id, Deployment.status.not_in(finished))
        .order_by(Deployment.id)
    ))


def close_request(session: Session, actor: Actor, request_id: int, expected_version: int | None = None) -> AssistanceRequest:
    """The requester closes the request once every unit is back and the costs are settled (Art. 4);
    answers still awaited lapse (:func:`lapse_open_answers`).

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is not PARTIALLY_MET or MET.
    :raise Forbidden: the actor is not the requester.
    :raise GuardRefused: a deployment is unfinished or the costs are not settled.
    :raise Conflict: the request changed since ``expected_version`` or concurrently.
    """
    request, planned = begin_request_change(session, actor, request_id, "close", expected_version)
    lock_row(session, request, unchanged_since=planned.seen)
    unfinished = unfinished_deployments(session, request)
    check_guards(planned.transition, {
        "all_deployments_finished_and_costs_settled": not unfinished and request.costs_settled_at is not None,
    }, current=request.status)
    compare_and_set(session, request, "request", seen=planned.seen, to=planned.target, what=planned.what,
                    closed_at=utcnow())
    audit.record(session, actor, planned.grant.label(), "request.close", "request", request.id,
                 before={"status": planned.seen[0]}, after={"status": request.status}, request_id=request.id)
    _publish_status(session, request, "request.closed")
    lapse_open_answers(session, request)
    return request


# ---------------------------------------------------------------- fulfilment (SYSTEM 'recompute')


def provided_capabilities(session: Session, request: AssistanceRequest) -> dict[str, int]:
    """Capability -> quantity provided by units that count towards fulfilment, at the required level.

    A unit holding a capability without a quantity provides one of it.
    """
    minimum = {r.capability_code: r.min_level for r in request.requirements}
    rows = session.execute(
        sa.select(Deployment.status, Deployment.recalled, UnitCapability.capability_code,
                  UnitCapability.level, UnitCapability.quantity)
        .join(UnitCapability, UnitCapability.unit_id == Deployment.unit_id)
        .where(Deployment.request_id == request.id)
    )
    provided: dict[str, int] = {}
    for status, recalled, code, level, quantity in rows:
        if code in minimum and counts_towards_fulfilment(status, recalled=recalled) and level_satisfies(level, minimum[code]):
            provided[code] = provided.get(code, 0) + (quantity or 1)
    return provided


def recompute_status(session: Session, request: AssistanceRequest) -> str | None:
    """Apply the SYSTEM 'recompute' transition to a locked request after a deployment changed.

    :return: the status before, if it changed (the caller then calls :func:`record_recompute`
        once its own records are written), else None. DRAFT, CLOSED and WITHDRAWN requests are left alone.
    """
    if not request_open(request.status):
        return None
    required = {r.capability_code: r.quantity for r in request.requirements}
    new_status = recompute_request_status(request.status, required, provided_capabilities(session, request))
    if new_status == request.status:
        return None
    before = request.status
    compare_and_set(session, request, "request", seen=(request.status, request.version), to=new_status,
                    what=f"request {request.id}")
    return before


def record_recompute(session: Session, request: AssistanceRequest, before: str) -> None:
    """Audit and publish a status change made by :func:`recompute_status` (by the system)."""
    audit.record(session, None, Party.SYSTEM.value.lower(), "request.recompute", "request", request.id,
                 before={"status": before}, after={"status": request.status}, request_id=request.id)
    _publish_status(session, request, "request.status_changed", **{"from": before})

