"""Assistance requests (Art. 3): raise, submit, answer State by State, decide counter-proposals,
record the practical arrangements (Art. 1), acknowledge, withdraw and close.

Need-to-know: a request is visible to the requesting State, the addressed States, the commanders
of the units offered or deployed, and observers and admins. To anyone else it does not exist:
:func:`load_request` raises NotFound, never Forbidden.

Race safety: every status change is a compare-and-set (:func:`compare_and_set`), so of two
concurrent changes exactly one wins and the other gets 409 with the current status. Every change
under a request first locks the request row (:func:`lock_row`), then the answer or deployment,
then the unit; audit records and events (which take the chain lock) come last, once every row the
transaction changes is locked. Taking locks in that one order means concurrent changes queue up
instead of deadlocking.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from atlas_coord.domain.choices import (
    AnswerStatus,
    CostBearer,
    DeploymentStatus,
    Party,
    ReadinessStatus,
    RequestStatus,
)
from atlas_coord.domain.fulfilment import counts_towards_fulfilment, level_satisfies, recompute_request_status
from atlas_coord.domain.geo import GeoPoint
from atlas_coord.domain.lifecycle import answer_creates_deployments, plan_creation, request_open
from atlas_coord.models import (
    Arrangement,
    AssistanceRequest,
    Capability,
    Crisis,
    Deployment,
    OfferedUnit,
    RequestAddressee,
    RequestRequirement,
    State,
    Unit,
    UnitCapability,
    utcnow,
)
from atlas_coord.policy import Action, Actor, Grant, can, granting
from atlas_coord.schemas_requests import (
    AnswerAccept,
    AnswerCounter,
    AnswerRefuse,
    ArrangementIn,
    CounterDecision,
    CrisisIn,
    CrisisUpdate,
    RequestCreate,
    RequestFilter,
    RequestWithdraw,
)
from atlas_coord.serializers.geo import GeoPointOut

from . import audit, events
from .errors import Conflict, Forbidden, Invalid, NotFound
from .transitions import (
    bump_version,
    check_expected_version,
    check_guards,
    compare_and_set,
    lock_row,
    next_actions,
    plan,
)

log = logging.getLogger(__name__)

# The ranking service; its ``snapshot_for_request(session, request) -> dict`` is the contract.
MATCHING_MODULE = "atlas_coord.services.matching"



# ---------------------------------------------------------------- who is who


def requester_grant(actor: Actor, request: AssistanceRequest) -> Grant | None:
    """The grant that makes the actor the REQUESTER: the requesting State's crisis centre or competent authority."""
    return granting(actor, Action.REQUEST_RAISE, state=request.requesting_state)


def answering_grant(actor: Actor, state_code: str) -> Grant | None:
    """The grant that makes the actor the ADDRESSED_AUTHORITY of ``state_code`` (its competent authority)."""
    return granting(actor, Action.REQUEST_ANSWER, state=state_code)


def _involved_unit_ids(session: Session, request_id: int) -> set[int]:
    deployed = session.scalars(sa.select(Deployment.unit_id).where(Deployment.request_id == request_id))
    offered = session.scalars(
        sa.select(OfferedUnit.unit_id).join(RequestAddressee).where(RequestAddressee.request_id == request_id)
    )
    return set(deployed) | set(offered)


def is_visible(session: Session, actor: Actor, request: AssistanceRequest) -> bool:
    """Need-to-know: requester, addressed States (after submission), units asked, observers, admins."""
    if can(actor, Action.REQUEST_READ_ALL):
        return True
    states = {request.requesting_state} | {a.state_code for a in request.addressees}
    if any(can(actor, Action.REQUEST_READ, state=code) for code in states):
        return True
    units = {u for u in actor.unit_ids if can(actor, Action.REQUEST_READ, unit_id=u)}
    return bool(units and units & _involved_unit_ids(session, request.id))


def _visible_clause(actor: Actor) -> sa.ColumnElement[bool]:
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
        raise NotFound(f"request {request_id} not found", fields={"request_id": "unknown request"})
    return request


def load_addressee(request: AssistanceRequest, state_code: str) -> RequestAddressee:
    """:raise NotFound: the State is not addressed by the request (or it is not submitted yet)."""
    code = state_code.upper()
    for addressee in request.addressees:
        if addressee.state_code == code:
            return addressee
    raise NotFound(f"request {request.id} has no answer from {code}", fields={"state": "not an addressed state"})


def audience(session: Session, request: AssistanceRequest) -> list[str]:
    """Rooms entitled to a request's events: its States, its units and the request room."""
    rooms = {events.requests_room(request.requesting_state), events.request_room(request.id)}
    rooms.update(
        events.requests_room(code)
        for code in session.scalars(sa.select(RequestAddressee.state_code).where(RequestAddressee.request_id == request.id))
    )
    rooms.update(events.unit_room(unit) for unit in _involved_unit_ids(session, request.id))
    return sorted(rooms)


# ---------------------------------------------------------------- views


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def crisis_view(crisis: Crisis) -> dict[str, Any]:
    return {
        "id": crisis.id,
        "state": crisis.state_code,
        "type": crisis.crisis_type,
        "site": GeoPointOut.model_validate(crisis.site).wire(),
        "place_name": crisis.place_name,
        "started_at": _iso(crisis.started_at),
        "description": crisis.description,
        "exercise": crisis.is_exercise,
        "classification": crisis.classification,
        "version": crisis.version,
    }


def arrangement_view(arrangement: Arrangement | None) -> dict[str, Any]:
    """The recorded arrangements, or the Art. 4 defaults when nothing was recorded yet."""
    if arrangement is None:
        return {
            "recorded": False,
            "legal_basis": "DECISION_2008_617",
            "weapons_manifest": [],
            "liaison_officer": None,
            "cost_terms": {"default_bearer": CostBearer.REQUESTING.value, "overrides": {}, "note": None},
            "version": None,
        }
    return {
        "recorded": True,
        "legal_basis": arrangement.legal_basis,
        "weapons_manifest": list(arrangement.weapons_manifest or []),
        "liaison_officer": arrangement.liaison_officer,
        "cost_terms": {
            "default_bearer": arrangement.cost_default_bearer,
            "overrides": dict(sorted((arrangement.cost_overrides or {}).items())),
            "note": arrangement.cost_note,
        },
        "updated_by_id": arrangement.updated_by_id,
        "updated_at": _iso(arrangement.updated_at),
        "version": arrangement.version,
    }


def answer_view(addressee: RequestAddressee) -> dict[str, Any]:
    counter = None
    if addressee.counter_kinds:
        counter = {
            "kinds": list(addressee.counter_kinds),
            "assistance_kinds": list(addressee.counter_assistance_kinds or []),
            "personnel": addressee.counter_personnel,
            "arrival_at": _iso(addressee.counter_arrival_at),
            "text": addressee.counter_text,
            "decision_reason": addressee.counter_decision_reason,
        }
    return {
        "id": addressee.id,
        "state": addressee.state_code,
        "status": addressee.status,
        "reason": addressee.reason,
        "units": [offered.unit_id for offered in addressee.offered_units],
        "counter": counter,
        "answered_by_id": addressee.answered_by_id,
        "answered_at": _iso(addressee.answered_at),
        "decided_by_id": addressee.decided_by_id,
        "decided_at": _iso(addressee.decided_at),
        "seen_by_id": addressee.seen_by_id,
        "seen_at": _iso(addressee.seen_at),
        "arrangement": arrangement_view(addressee.arrangement),
        "version": addressee.version,
    }


def deployment_view(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "request_id": deployment.request_id,
        "unit": {"id": deployment.unit_id, "key": deployment.unit.key, "name": deployment.unit.name,
                 "state": deployment.unit.state_code},
        "status": deployment.status,
        "headcount": deployment.headcount,
        "transport_mode": deployment.transport_mode,
        "eta": _iso(deployment.eta),
        "on_scene_commander": deployment.on_scene_commander,
        "extended_until": _iso(deployment.extended_until),
        "recalled": deployment.recalled,
        "status_reason": deployment.status_reason,
        "previous_readiness": deployment.previous_readiness,
        "allowed": next_actions("deployment", deployment.status),
        "version": deployment.version,
    }


def request_view(request: AssistanceRequest) -> dict[str, Any]:
    """The request with its crisis, requirements, answers and deployments."""
    return {
        **request_summary(request),
        "crisis": crisis_view(request.crisis),
        "operational_necessity": request.operational_necessity,
        "requirements": [
            {"code": r.capability_code, "quantity": r.quantity, "min_level": r.min_level} for r in request.requirements
        ],
        "duration_hours": request.duration_hours,
        "address_all": request.address_all,
        "withdrawal_reason": request.withdrawal_reason,
        "costs_settled_at": _iso(request.costs_settled_at),
        "has_ranking_snapshot": request.ranking_snapshot is not None,
        "answers": [answer_view(a) for a in request.addressees],
        "deployments": [deployment_view(d) for d in request.deployments],
        "allowed": next_actions("request", request.status),
    }


def request_summary(request: AssistanceRequest) -> dict[str, Any]:
    addressed = [a.state_code for a in request.addressees] or list(request.addressed_states or [])
    return {
        "id": request.id,
        "status": request.status,
        "requesting_state": request.requesting_state,
        "crisis_id": request.crisis_id,
        "crisis_type": request.crisis.crisis_type,
        "place_name": request.crisis.place_name,
        "exercise": request.crisis.is_exercise,
        "classification": request.crisis.classification,
        "kinds": list(request.kinds),
        "addressed_states": addressed,
        "needed_by": _iso(request.needed_by),
        "answer_deadline": _iso(request.answer_deadline),
        "created_at": _iso(request.created_at),
        "submitted_at": _iso(request.submitted_at),
        "withdrawn_at": _iso(request.withdrawn_at),
        "closed_at": _iso(request.closed_at),
        "answers_by_status": _count_by_status(a.status for a in request.addressees),
        "version": request.version,
    }


def _count_by_status(statuses: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------- reads


def list_requests(session: Session, actor: Actor, filters: RequestFilter) -> tuple[list[AssistanceRequest], int]:
    """The requests the actor may know of, newest first, one page at a time."""
    conditions = [_visible_clause(actor)]
    if filters.status:
        conditions.append(AssistanceRequest.status == filters.status.value)
    total = session.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest).where(*conditions)) or 0
    rows = session.scalars(
        sa.select(AssistanceRequest)
        .where(*conditions)
        # The summary reads each row's crisis and answers: one query each for the whole page,
        # not two per row (a page of 20 took 46 statements).
        .options(selectinload(AssistanceRequest.crisis), selectinload(AssistanceRequest.addressees))
        .order_by(AssistanceRequest.id.desc())
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    )
    return list(rows), total


def get_request(session: Session, actor: Actor, request_id: int) -> AssistanceRequest:
    """:raise NotFound: unknown, or not the actor's business."""
    return load_request(session, actor, request_id)


def ranking_snapshot_of(session: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    """The ranking frozen at submission (None before submission or without the matching service).

    :raise NotFound: unknown, or not the actor's business.
    """
    request = load_request(session, actor, request_id)
    return {"request_id": request.id, "snapshot": request.ranking_snapshot}


def request_audit(session: Session, actor: Actor, request_id: int, *, after_seq: int = 0, limit: int = 500) -> list[dict]:
    """The request's audit records in chain order (everyone who may see the request may read them).

    :raise NotFound: unknown, or not the actor's business.
    """
    load_request(session, actor, request_id)
    return audit.trail(session, request_id=request_id, after_seq=after_seq, limit=limit)


def timeline(session: Session, actor: Actor, request_id: int) -> list[dict[str, Any]]:
    """Every step of the request in order, with actor, role and time, derived from its audit records.

    :raise NotFound: unknown, or not the actor's business.
    """
    load_request(session, actor, request_id)
    steps = []
    after_seq = 0
    while True:
        page = audit.trail(session, request_id=request_id, after_seq=after_seq, limit=1000)
        for record in page:
            before, after = record["before"] or {}, record["after"] or {}
            steps.append({
                "seq": record["seq"],
                "at": record["at"],
                "actor": record["actor"],
                "role": record["role"],
                "action": record["action"],
                "subject": record["subject"],
                "from": before.get("status") if isinstance(before, dict) else None,
                "to": after.get("status") if isinstance(after, dict) else None,
            })
        if len(page) < 1000:
            return steps
        after_seq = page[-1]["seq"]


# ---------------------------------------------------------------- crises


def _crisis_visible(session: Session, actor: Actor, crisis: Crisis) -> bool:
    if can(actor, Action.REQUEST_READ_ALL) or can(actor, Action.REQUEST_READ, state=crisis.state_code):
        return True
    requests = session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.crisis_id == crisis.id))
    return any(is_visible(session, actor, request) for request in requests)


def get_crisis(session: Session, actor: Actor, crisis_id: int) -> Crisis:
    """:raise NotFound: unknown, or neither the owner's nor linked to a request the actor may see."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None or not _crisis_visible(session, actor, crisis):
        raise NotFound(f"crisis {crisis_id} not found", fields={"crisis_id": "unknown crisis"})
    return crisis


def _new_crisis(actor: Actor, state: str, data: CrisisIn) -> Crisis:
    return Crisis(
        state_code=state,
        crisis_type=data.type.value,
        site=GeoPoint(data.site.lat, data.site.lon),
        place_name=data.place_name,
        started_at=data.started_at,
        description=data.description,
        is_exercise=data.exercise,
        classification=data.classification,
        created_by_id=actor.user_id,
    )


def create_crisis(session: Session, actor: Actor, data: CrisisIn, state: str | None = None) -> Crisis:
    """Record a crisis situation of the caller's State.

    :raise Forbidden: the actor may not raise requests (and so record crises) for that State.
    :raise Invalid: ``state`` is unknown, or needed because the actor acts for several States.
    """
    code = _requesting_state(session, actor, state)
    grant = granting(actor, Action.REQUEST_RAISE, state=code)
    if grant is None:
        raise Forbidden(f"you may not record crises for {code}")
    crisis = _new_crisis(actor, code, data)
    session.add(crisis)
    session.flush()
    audit.record(session, actor, grant.label(), "crisis.create", "crisis", crisis.id, after=crisis_view(crisis))
    events.publish(session, "crisis.created", f"crisis:{crisis.id}", {"crisis_id": crisis.id, "state": code},
                   [events.requests_room(code)])
    return crisis


def update_crisis(session: Session, actor: Actor, crisis_id: int, data: CrisisUpdate) -> Crisis:
    """The owner changes the classification marking or the description.

    :raise NotFound: unknown, or not visible to the actor.
    :raise Forbidden: the actor does not act for the owning State.
    :raise Conflict: ``expected_version`` is stale.
    """
    crisis = get_crisis(session, actor, crisis_id)
    grant = granting(actor, Action.REQUEST_RAISE, state=crisis.state_code)
    if grant is None:
        raise Forbidden("only the owning State changes a crisis's classification and description")
    if data.expected_version is not None and data.expected_version != crisis.version:
        raise Conflict(f"crisis {crisis.id} changed since version {data.expected_version}", version=crisis.version)
    before = crisis_view(crisis)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"expected_version"}).items() if v is not None}
    if not changes:
        return crisis
    result = session.execute(
        sa.update(Crisis)
        .where(Crisis.id == crisis.id, Crisis.version == crisis.version)
        .values(version=crisis.version + 1, **changes)
        .execution_options(synchronize_session=False)
    )
    session.refresh(crisis)
    if result.rowcount != 1:
        raise Conflict(f"crisis {crisis.id} was changed by someone else; reload and retry", version=crisis.version)
    after = crisis_view(crisis)
    audit.record(session, actor, grant.label(), "crisis.update", "crisis", crisis.id, before=before, after=after)
    rooms = {events.requests_room(crisis.state_code)}
    for request in session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.crisis_id == crisis.id)):
        rooms.update(audience(session, request))
    events.publish(session, "crisis.updated", f"crisis:{crisis.id}",
                   {"crisis_id": crisis.id, "changes": sorted(changes), "version": crisis.version}, rooms)
    return crisis


# ---------------------------------------------------------------- raise, submit, withdraw, close


def _requesting_state(session: Session, actor: Actor, given: str | None) -> str:
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


def _check_addressees(session: Session, requesting_state: str, codes: list[str]) -> None:
    known = set(session.scalars(sa.select(State.code).where(State.code.in_(codes)))) if codes else set()
    for index, code in enumerate(codes):
        if code == requesting_state:
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


def raise_request(session: Session, actor: Actor, data: RequestCreate) -> AssistanceRequest:
    """Raise an assistance request (Art. 3(1)) for the caller's State: DRAFT, or submitted at once.

    The crisis is new (``data.crisis``) or an existing one of the requesting State (``crisis_id``).

    :raise Forbidden: the actor is not the requesting State's crisis centre or competent authority.
    :raise Invalid: unknown state, capability or crisis; the requester addressed itself.
    """
    state = _requesting_state(session, actor, data.requesting_state)
    grant = granting(actor, Action.REQUEST_RAISE, state=state)
    if grant is None:
        raise Forbidden(f"you may not raise assistance requests for {state}")
    creation = plan_creation("request", Party.REQUESTER)
    _check_addressees(session, state, data.addressees)
    _check_requirements(session, [r.code for r in data.requirements])
    if data.crisis_id is not None:
        crisis = session.get(Crisis, data.crisis_id)
        if crisis is None or crisis.state_code != state:
            raise Invalid(f"crisis {data.crisis_id} is not a crisis of {state}", fields={"crisis_id": "unknown crisis"})
        new_crisis = False
    else:
        assert data.crisis is not None  # the schema requires one of the two
        crisis = _new_crisis(actor, state, data.crisis)
        session.add(crisis)
        new_crisis = True
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
    )
    session.add(request)
    session.flush()
    if new_crisis:
        audit.record(session, actor, grant.label(), "crisis.create", "crisis", crisis.id,
                     after=crisis_view(crisis), request_id=request.id)
    audit.record(session, actor, grant.label(), "request.create", "request", request.id,
                 after={"status": request.status, **_request_audit_fields(request)}, request_id=request.id)
    events.publish(session, "request.created", f"request:{request.id}",
                   {"request_id": request.id, "status": request.status, "version": request.version},
                   [events.requests_room(state), events.request_room(request.id)])
    if data.submit:
        submit_request(session, actor, request.id)
    return request


def _request_audit_fields(request: AssistanceRequest) -> dict[str, Any]:
    return {
        "crisis_id": request.crisis_id,
        "requesting_state": request.requesting_state,
        "kinds": list(request.kinds),
        "operational_necessity": request.operational_necessity,
        "requirements": [[r.capability_code, r.quantity, r.min_level] for r in request.requirements],
        "needed_by": _iso(request.needed_by),
        "duration_hours": request.duration_hours,
        "address_all": request.address_all,
        "addressed_states": list(request.addressed_states or []),
        "answer_deadline": _iso(request.answer_deadline),
    }


def _ranking_snapshot(session: Session, request: AssistanceRequest) -> dict[str, Any] | None:
    """The matching service's frozen ranking for the request, or None while that service is absent.

    A failing ranking must not stop a crisis request from going out: it is logged and None stored.
    """
    try:
        matching = importlib.import_module(MATCHING_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MATCHING_MODULE:
            raise  # the matching module exists but something it imports is missing
        return None
    try:
        return audit.json_safe(matching.snapshot_for_request(session, request))
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("ranking snapshot for request %r failed; submitting without it", request.id)
        return None


def submit_request(session: Session, actor: Actor, request_id: int, expected_version: int | None = None) -> AssistanceRequest:
    """Submit a DRAFT (Art. 3(1)): each addressed State receives it (one PENDING answer each) and
    the unit ranking is frozen on the request.

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is not a DRAFT.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: the request changed since ``expected_version`` or concurrently.
    """
    request = load_request(session, actor, request_id)
    what = f"request {request.id}"
    transition, grant = plan("request", "submit", request.status, {Party.REQUESTER: requester_grant(actor, request)}, what)
    check_expected_version(request, expected_version, what, machine="request")
    seen = (request.status, request.version)
    receive = plan_creation("answer", Party.SYSTEM)
    if request.address_all:
        codes = list(session.scalars(
            sa.select(State.code).where(State.code != request.requesting_state).order_by(State.code)
        ))
    else:
        codes = sorted(request.addressed_states)
    compare_and_set(session, request, "request", seen=seen, to=transition.next_status(request.status),
                    what=what, submitted_at=utcnow())
    for code in codes:
        request.addressees.append(RequestAddressee(request_id=request.id, state_code=code, status=receive.target))
    session.flush()
    request.ranking_snapshot = _ranking_snapshot(session, request)
    session.flush()
    audit.record(session, actor, grant.label(), "request.submit", "request", request.id,
                 before={"status": seen[0]},
                 after={"status": request.status, "addressees": codes,
                        "ranking_snapshot": request.ranking_snapshot is not None},
                 request_id=request.id)
    events.publish(session, "request.submitted", f"request:{request.id}",
                   {"request_id": request.id, "status": request.status, "requesting_state": request.requesting_state,
                    "addressees": codes, "answer_deadline": _iso(request.answer_deadline), "version": request.version},
                   audience(session, request))
    return request


def withdraw_request(session: Session, actor: Actor, request_id: int, data: RequestWithdraw) -> AssistanceRequest:
    """The requester withdraws the request (any time before CLOSED; Art. 1).

    Units already under way stay so until the requester stands them down (partial release).

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is CLOSED or WITHDRAWN.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: the request changed since ``data.expected_version`` (e.g. an answer came in) or concurrently.
    """
    request = load_request(session, actor, request_id)
    what = f"request {request.id}"
    transition, grant = plan("request", "withdraw", request.status, {Party.REQUESTER: requester_grant(actor, request)}, what)
    check_expected_version(request, data.expected_version, what, machine="request")
    seen = (request.status, request.version)
    compare_and_set(session, request, "request", seen=seen, to=transition.next_status(request.status), what=what,
                    withdrawn_at=utcnow(), withdrawal_reason=data.reason)
    audit.record(session, actor, grant.label(), "request.withdraw", "request", request.id,
                 before={"status": seen[0]}, after={"status": request.status, "reason": data.reason},
                 request_id=request.id)
    events.publish(session, "request.withdrawn", f"request:{request.id}",
                   {"request_id": request.id, "status": request.status, "version": request.version},
                   audience(session, request))
    return request


def unfinished_deployments(session: Session, request: AssistanceRequest) -> list[int]:
    finished = (DeploymentStatus.DECLINED.value, DeploymentStatus.RETURNED.value)
    return list(session.scalars(
        sa.select(Deployment.id)
        .where(Deployment.request_id == request.id, Deployment.status.not_in(finished))
        .order_by(Deployment.id)
    ))


def close_request(session: Session, actor: Actor, request_id: int, expected_version: int | None = None) -> AssistanceRequest:
    """The requester closes the request once every unit is back and the costs are settled (Art. 4).

    :raise NotFound: unknown, or not the actor's business.
    :raise TransitionRefused: the request is not PARTIALLY_MET or MET.
    :raise Forbidden: the actor is not the requester.
    :raise GuardRefused: a deployment is unfinished or the costs are not settled.
    :raise Conflict: the request changed since ``expected_version`` or concurrently.
    """
    request = load_request(session, actor, request_id)
    what = f"request {request.id}"
    transition, grant = plan("request", "close", request.status, {Party.REQUESTER: requester_grant(actor, request)}, what)
    check_expected_version(request, expected_version, what, machine="request")
    seen = (request.status, request.version)
    lock_row(session, request, unchanged_since=seen)
    unfinished = unfinished_deployments(session, request)
    check_guards(transition, {
        "all_deployments_finished_and_costs_settled": not unfinished and request.costs_settled_at is not None,
    }, current=request.status)
    compare_and_set(session, request, "request", seen=seen, to=transition.next_status(request.status), what=what,
                    closed_at=utcnow())
    audit.record(session, actor, grant.label(), "request.close", "request", request.id,
                 before={"status": seen[0]}, after={"status": request.status}, request_id=request.id)
    events.publish(session, "request.closed", f"request:{request.id}",
                   {"request_id": request.id, "status": request.status, "version": request.version},
                   audience(session, request))
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
    events.publish(session, "request.status_changed", f"request:{request.id}",
                   {"request_id": request.id, "from": before, "status": request.status, "version": request.version},
                   audience(session, request))


# ---------------------------------------------------------------- answers (Art. 3(1))


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
                       {"request_id": request.id, "deployment_id": deployment.id, "unit_id": deployment.unit_id,
                        "status": deployment.status, "version": deployment.version}, rooms)


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
    request = load_request(session, actor, request_id)
    addressee = load_addressee(request, state)
    what = f"the answer of {addressee.state_code} to request {request.id}"
    transition, grant = plan("answer", action, addressee.status,
                             {Party.ADDRESSED_AUTHORITY: answering_grant(actor, addressee.state_code)}, what)
    check_expected_version(addressee, expected_version, what, machine="answer")
    seen = (addressee.status, addressee.version)
    lock_row(session, request)
    check_guards(transition, {"request_open": request_open(request.status), **(facts or {})}, current=request.status)
    if unit_ids is not None:
        _check_offered_units(session, addressee.state_code, unit_ids, units_field)
    now = utcnow()
    acknowledgement = {} if addressee.seen_at else {"seen_at": now, "seen_by_id": actor.user_id}
    compare_and_set(session, addressee, "answer", seen=seen, to=transition.next_status(addressee.status), what=what,
                    answered_by_id=actor.user_id, answered_at=now, **acknowledgement, **values)
    bump_version(session, request)
    for unit_id in unit_ids or []:
        addressee.offered_units.append(OfferedUnit(unit_id=unit_id))
    session.flush()
    alerted = _alert_units(session, request, addressee) if answer_creates_deployments(addressee.status) else []
    after = answer_view(addressee)
    audit.record(session, actor, grant.label(), f"answer.{action}", "answer", addressee.id,
                 before={"status": seen[0]}, after={k: v for k, v in after.items() if k != "arrangement"},
                 request_id=request.id)
    events.publish(session, "answer.given", f"request:{request.id}",
                   {"request_id": request.id, "state": addressee.state_code, "status": addressee.status,
                    "units": after["units"], "version": addressee.version},
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
    request = load_request(session, actor, request_id)
    addressee = load_addressee(request, state)
    what = f"the counter-proposal of {addressee.state_code} to request {request.id}"
    transition, grant = plan("answer", action, addressee.status, {Party.REQUESTER: requester_grant(actor, request)}, what)
    check_expected_version(addressee, data.expected_version, what, machine="answer")
    seen = (addressee.status, addressee.version)
    lock_row(session, request)
    check_guards(transition, {"request_open": request_open(request.status)}, current=request.status)
    if accept_it:
        _check_offered_units(session, addressee.state_code, [o.unit_id for o in addressee.offered_units], "units")
    compare_and_set(session, addressee, "answer", seen=seen, to=transition.next_status(addressee.status), what=what,
                    decided_by_id=actor.user_id, decided_at=utcnow(), counter_decision_reason=data.reason)
    bump_version(session, request)
    alerted = _alert_units(session, request, addressee) if answer_creates_deployments(addressee.status) else []
    audit.record(session, actor, grant.label(), f"answer.{action}", "answer", addressee.id,
                 before={"status": seen[0]}, after={"status": addressee.status, "reason": data.reason},
                 request_id=request.id)
    events.publish(session, "answer.counter_accepted" if accept_it else "answer.counter_rejected",
                   f"request:{request.id}",
                   {"request_id": request.id, "state": addressee.state_code, "status": addressee.status,
                    "version": addressee.version},
                   audience(session, request))
    _record_alerts(session, request, alerted)
    return addressee


# ---------------------------------------------------------------- arrangements (Art. 1, Art. 4)

_ARRANGEABLE = {AnswerStatus.ACCEPTED.value, AnswerStatus.COUNTER_PROPOSED.value, AnswerStatus.COUNTER_ACCEPTED.value}


def get_arrangement(session: Session, actor: Actor, request_id: int, state: str) -> dict[str, Any]:
    """The arrangements recorded with one State's answer (the Art. 4 defaults when none are).

    :raise NotFound: unknown request, not the actor's business, or the State is not addressed.
    """
    request = load_request(session, actor, request_id)
    addressee = load_addressee(request, state)
    return {"request_id": request.id, "state": addressee.state_code, **arrangement_view(addressee.arrangement)}


def record_arrangement(session: Session, actor: Actor, request_id: int, state: str, data: ArrangementIn) -> dict[str, Any]:
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
    if addressee.status not in _ARRANGEABLE:
        raise Conflict(f"the answer of {addressee.state_code} is {addressee.status}: there is no assistance to arrange",
                       current=addressee.status, allowed=sorted(_ARRANGEABLE))
    if request.status in (RequestStatus.CLOSED.value, RequestStatus.WITHDRAWN.value):
        raise Conflict(f"request {request.id} is {request.status}", current=request.status, allowed=[])
    if data.expected_version is not None and (arrangement is None or arrangement.version != data.expected_version):
        raise Conflict("the arrangements changed since the version you read; reload and retry",
                       version=arrangement.version if arrangement else None)
    before = arrangement_view(arrangement)
    terms = {
        "cost_default_bearer": data.cost_terms.default_bearer.value,
        "cost_overrides": {k.value: v.value for k, v in sorted(data.cost_terms.overrides.items())},
    }
    if request.costs_settled_at is not None and (
        before["cost_terms"]["default_bearer"] != terms["cost_default_bearer"]
        or before["cost_terms"]["overrides"] != terms["cost_overrides"]
    ):
        raise Conflict("the costs of this request are settled; the cost terms can no longer change",
                       fields={"cost_terms": "settled"}, current=request.status)
    if arrangement is None:
        arrangement = Arrangement(version=1)
        addressee.arrangement = arrangement
    else:
        arrangement.version += 1
    arrangement.legal_basis = data.legal_basis.value
    arrangement.weapons_manifest = [item.model_dump() for item in data.weapons_manifest]
    arrangement.liaison_officer = data.liaison_officer.model_dump() if data.liaison_officer else None
    arrangement.cost_default_bearer = terms["cost_default_bearer"]
    arrangement.cost_overrides = terms["cost_overrides"]
    arrangement.cost_note = data.cost_terms.note
    arrangement.updated_by_id = actor.user_id
    arrangement.updated_at = utcnow()
    session.flush()
    after = arrangement_view(arrangement)
    audit.record(session, actor, grant.label(), "arrangement.record", "arrangement", arrangement.id,
                 before=before, after=after, request_id=request.id)
    events.publish(session, "arrangement.recorded", f"request:{request.id}",
                   {"request_id": request.id, "state": addressee.state_code, "legal_basis": arrangement.legal_basis,
                    "version": arrangement.version},
                   audience(session, request))
    return {"request_id": request.id, "state": addressee.state_code, **after}


# ---------------------------------------------------------------- acknowledgement


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
        result = session.execute(
            sa.update(RequestAddressee)
            .where(RequestAddressee.id == addressee.id, RequestAddressee.seen_at.is_(None))
            .values(seen_at=now, seen_by_id=actor.user_id)
            .execution_options(synchronize_session=False)
        )
        session.refresh(addressee)
        if result.rowcount == 1:
            changed.append(addressee)
    rooms = audience(session, request) if changed else []
    for addressee in changed:
        grant = answering_grant(actor, addressee.state_code)
        audit.record(session, actor, grant.label(), "request.seen", "answer", addressee.id,
                     before={"seen_at": None}, after={"seen_at": _iso(addressee.seen_at), "seen_by_id": actor.user_id},
                     request_id=request.id)
        events.publish(session, "request.seen", f"request:{request.id}",
                       {"request_id": request.id, "state": addressee.state_code, "seen_at": _iso(addressee.seen_at),
                        "seen_by": actor.username},
                       rooms)
    return mine



# ---------------------------------------------------------------- answer deadlines (scheduler)


def escalate_overdue_answers(session: Session, now: datetime) -> int:
    """Escalate every addressed state whose answer deadline passed with no answer.

    Each addressee is claimed with a compare-and-set (``escalated_at IS NULL``), so a second
    scheduler started by mistake escalates nothing twice. One ``request.answer_overdue`` event goes
    to the request's parties and the observers (the ATLAS support office), with an audit record.
    Returns how many were escalated.
    """
    open_statuses = [RequestStatus.SUBMITTED.value, RequestStatus.PARTIALLY_MET.value, RequestStatus.MET.value]
    overdue = session.execute(
        sa.select(RequestAddressee.id, RequestAddressee.request_id, RequestAddressee.state_code)
        .join(AssistanceRequest, AssistanceRequest.id == RequestAddressee.request_id)
        .where(
            AssistanceRequest.status.in_(open_statuses),
            AssistanceRequest.answer_deadline < now,
            RequestAddressee.status == AnswerStatus.PENDING.value,
            RequestAddressee.escalated_at.is_(None),
        )
        .order_by(RequestAddressee.request_id, RequestAddressee.id)
    ).all()
    escalated = 0
    for addressee_id, request_id, state_code in overdue:
        claimed = session.execute(
            sa.update(RequestAddressee)
            .where(RequestAddressee.id == addressee_id, RequestAddressee.escalated_at.is_(None))
            .values(escalated_at=now)
        )
        if claimed.rowcount != 1:
            continue
        request = session.get(AssistanceRequest, request_id)
        data = {
            "request_id": request_id,
            "state": state_code,
            "answer_deadline": request.answer_deadline.isoformat(),
            "escalated_at": now.isoformat(),
        }
        audit.record(
            session, None, "system", "answer.overdue", "request_addressee", addressee_id, after=data, request_id=request_id
        )
        events.publish(
            session, "request.answer_overdue", f"request:{request_id}", data, [*audience(session, request), events.ROOM_OBSERVERS]
        )
        escalated += 1
    return escalated
