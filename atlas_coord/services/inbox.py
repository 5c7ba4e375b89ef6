"""The inbox: what needs the signed-in user's action now, soonest deadline first.

Each kind of item comes from one *source*: a function ``(session, actor, now) -> items`` in
:data:`SOURCES`. A source reads only what :func:`~atlas_coord.services.visibility.visible_clause`
lets the actor see, and asks ``policy`` (through the same grants the use cases check) whether the
actor is the one who must act; nothing here decides who may do what a second time. A new kind of
item (say, duty alerts to acknowledge) is one more source appended to :data:`SOURCES`.

Items are read-only views: the inbox changes nothing, so it writes no audit record and no event.
The console recomputes it when a live event about requests, answers or deployments arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from atlas_coord.domain.choices import AnswerStatus, CrisisType, DeploymentStatus, Marking, RequestStatus
from atlas_coord.domain.markings import marking_code
from atlas_coord.models import AssistanceRequest, Deployment, RequestAddressee, utcnow
from atlas_coord.policy import Action, Actor, can, granting

from .alerts import LABELS as ALERT_LABELS
from .alerts import open_alerts_for
from .requests.parties import answering_grant
from .visibility import visible_clause

# Requests whose answers and counter-proposals may still be given or decided (the 'request_open' guard).
OPEN_STATUSES = (RequestStatus.SUBMITTED.value, RequestStatus.PARTIALLY_MET.value, RequestStatus.MET.value)


class Kind:
    """The kinds of inbox item (wire values)."""

    ANSWER_DUE = "answer_due"
    COUNTER_TO_DECIDE = "counter_to_decide"
    DEPLOYMENT_STEP = "deployment_step"
    ALERT_TO_ACKNOWLEDGE = "alert_to_acknowledge"


@dataclass(frozen=True)
class InboxItem:
    """One thing to do: what, on which request, by when, and where in the console to do it."""

    kind: str
    title: str
    request_id: int | None
    reference: str
    requesting_state: str | None
    marking: str
    deadline: datetime | None
    link: str
    state: str | None = None
    deployment_id: int | None = None
    unit_id: int | None = None
    alert_id: int | None = None


Source = Callable[[Session, Actor, datetime], Iterable[InboxItem]]


def reference(request: AssistanceRequest) -> str:
    """'Request #12 · Aircraft hijacking, Brussels Airport (BE)': how people name a request."""
    crisis = request.crisis
    kind = CrisisType(crisis.crisis_type).label if crisis.crisis_type in CrisisType.codes() else crisis.crisis_type
    return f"Request #{request.id} · {kind}, {crisis.place_name} ({request.requesting_state})"


def _about(request: AssistanceRequest) -> dict[str, Any]:
    """The fields every item has about its request."""
    return {"request_id": request.id, "reference": reference(request), "requesting_state": request.requesting_state,
            "marking": marking_code(request.crisis.classification)}


def _states_where(actor: Actor, allowed: Callable[[str], bool]) -> list[str]:
    return sorted(code for code in actor.states if allowed(code))


def _answers(session: Session, actor: Actor, states: list[str], status: str, by_requester: bool) -> list[RequestAddressee]:
    """Answers in ``status`` on open requests the actor sees: of ``states`` (answering), or to
    requests raised by ``states`` (deciding)."""
    if not states:
        return []
    state_column = AssistanceRequest.requesting_state if by_requester else RequestAddressee.state_code
    return list(session.scalars(
        sa.select(RequestAddressee).join(AssistanceRequest)
        .where(visible_clause(actor), AssistanceRequest.status.in_(OPEN_STATUSES),
               RequestAddressee.status == status, state_column.in_(states))
        .options(joinedload(RequestAddressee.request).joinedload(AssistanceRequest.crisis))
    ))


def answers_due(session: Session, actor: Actor, now: datetime) -> Iterable[InboxItem]:
    """Requests addressed to a State the actor answers for (its competent authority), not yet answered."""
    states = _states_where(actor, lambda code: answering_grant(actor, code) is not None)
    for answer in _answers(session, actor, states, AnswerStatus.PENDING.value, by_requester=False):
        request = answer.request
        yield InboxItem(kind=Kind.ANSWER_DUE, title=f"Answer for {answer.state_code}: accept, refuse or counter-propose",
                        **_about(request), deadline=request.answer_deadline,
                        link=f"#/requests/{request.id}/answers", state=answer.state_code)


def counters_to_decide(session: Session, actor: Actor, now: datetime) -> Iterable[InboxItem]:
    """Counter-proposals made to a request the actor raises for (the requester decides them)."""
    states = _states_where(actor, lambda code: can(actor, Action.REQUEST_RAISE, state=code))
    for answer in _answers(session, actor, states, AnswerStatus.COUNTER_PROPOSED.value, by_requester=True):
        request = answer.request
        yield InboxItem(kind=Kind.COUNTER_TO_DECIDE,
                        title=f"Decide the counter-proposal of {answer.state_code}: accept or reject it",
                        **_about(request), deadline=request.needed_by,
                        link=f"#/requests/{request.id}/answers", state=answer.state_code)


# The commander's next report for each status that waits on the unit (ON SCENE waits on the
# requester's direction, so it is not an item).
_NEXT_REPORT: dict[str, str] = {
    DeploymentStatus.ALERTED.value: "{unit} is alerted: accept or decline the deployment",
    DeploymentStatus.ACCEPTED.value: "Report {unit} mobilising",
    DeploymentStatus.MOBILISING.value: "Report {unit} en route, with its ETA",
    DeploymentStatus.EN_ROUTE.value: "Report {unit} on scene when it arrives",
}


def deployment_steps(session: Session, actor: Actor, now: datetime) -> Iterable[InboxItem]:
    """Deployments of a unit the actor commands that wait for the commander's next report."""
    units = sorted(u for u in actor.unit_ids if granting(actor, Action.DEPLOYMENT_REPORT, unit_id=u) is not None)
    if not units:
        return
    found = session.scalars(
        sa.select(Deployment).join(AssistanceRequest)
        .where(visible_clause(actor), Deployment.unit_id.in_(units), Deployment.status.in_(list(_NEXT_REPORT)))
        .options(joinedload(Deployment.unit), joinedload(Deployment.request).joinedload(AssistanceRequest.crisis))
    )
    for deployment in found:
        request = deployment.request
        if deployment.status == DeploymentStatus.ALERTED.value and request.status not in OPEN_STATUSES:
            continue  # a closed or withdrawn request's units can no longer accept
        en_route = deployment.status == DeploymentStatus.EN_ROUTE.value
        yield InboxItem(kind=Kind.DEPLOYMENT_STEP, title=_NEXT_REPORT[deployment.status].format(unit=deployment.unit.name),
                        **_about(request),
                        deadline=deployment.eta if en_route and deployment.eta else request.needed_by,
                        link=f"#/requests/{request.id}/deployments", state=deployment.unit.state_code,
                        deployment_id=deployment.id, unit_id=deployment.unit_id)


def alerts_to_acknowledge(session: Session, actor: Actor, now: datetime) -> Iterable[InboxItem]:
    """Duty alerts ringing on this person's console (issue 15) until someone acknowledges them.
    An alert is unclassified by design (reference, kind, requesting State, deadline: never the
    request's details), so it carries no marking of its own."""
    for alert in open_alerts_for(session, actor):
        label = ALERT_LABELS.get(alert.kind, alert.kind.replace("_", " "))
        yield InboxItem(kind=Kind.ALERT_TO_ACKNOWLEDGE, title=f"Acknowledge the duty alert: {label}",
                        request_id=alert.request_id, reference=alert.reference,
                        requesting_state=alert.requesting_state, marking=Marking.UNCLASSIFIED.value,
                        deadline=alert.deadline,
                        link=f"#/requests/{alert.request_id}" if alert.request_id else "#/inbox",
                        alert_id=alert.id)


#: Every source of inbox items, in no particular order (the inbox sorts by deadline).
SOURCES: list[Source] = [answers_due, counters_to_decide, deployment_steps, alerts_to_acknowledge]

_NO_DEADLINE = datetime.max


def _sort_key(item: InboxItem) -> tuple[datetime, int, int]:
    deadline = item.deadline.replace(tzinfo=None) if item.deadline else _NO_DEADLINE
    return deadline, item.request_id or 0, item.deployment_id or item.alert_id or 0


def inbox(session: Session, actor: Actor, *, now: datetime | None = None,
          sources: Iterable[Source] | None = None) -> list[InboxItem]:
    """What needs the actor's action now, soonest deadline first (items without one last)."""
    at = now or utcnow()
    items = [item for source in (SOURCES if sources is None else sources) for item in source(session, actor, at)]
    return sorted(items, key=_sort_key)
