"""Deployments (Art. 3(2)-(3)): each offered unit from its alert until it is back home.

The unit's commander accepts or declines, mobilises, departs (with an ETA) and reports arrival;
on arrival the unit acts under the requesting State's on-scene commander (Art. 3(3)). The
requester may stand a unit down and extend its stay; the sending State may recall it.

The unit's readiness follows by itself: COMMITTED while :func:`deployment_holds_unit`, and back
to what it was before once the unit returns. After every change the request's status is worked
out again (PARTIALLY_MET / MET) from the units that count towards it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain import readiness_reasons
from atlas_coord.domain.choices import Party, ReadinessStatus
from atlas_coord.domain.fulfilment import deployment_holds_unit
from atlas_coord.domain.lifecycle import request_open
from atlas_coord.models import AssistanceRequest, Deployment, Unit, utcnow
from atlas_coord.policy import Action, Actor, granting
from atlas_coord.serializers.requests import DeploymentOut

from . import audit, directory, events
from .errors import Conflict, Invalid, NotFound
from .requests.commands import (
    DeploymentAccept,
    DeploymentArrive,
    DeploymentDecline,
    DeploymentDepart,
    DeploymentExtend,
    DeploymentMobilise,
    DeploymentRecall,
    DeploymentStandDown,
    Empty,
)
from .requests.crises import marked
from .requests.lifecycle import recompute_status, record_recompute
from .requests.parties import requester_grant
from .transitions import GuardRefused, begin, check_guards, compare_and_set, lock_row
from .visibility import audience, load_request


def load_deployment(session: Session, actor: Actor, request_id: int, deployment_id: int) -> tuple[AssistanceRequest, Deployment]:
    """The request and one of its deployments.

    :raise NotFound: unknown, not of that request, or not the actor's business.
    """
    request = load_request(session, actor, request_id)
    deployment = session.get(Deployment, deployment_id)
    if deployment is None or deployment.request_id != request.id:
        raise NotFound(f"deployment {deployment_id} not found", fields={"deployment_id": "unknown deployment"})
    return request, deployment


def get_deployment(session: Session, actor: Actor, request_id: int, deployment_id: int) -> Deployment:
    """:raise NotFound: unknown, not of that request, or not the actor's business."""
    return load_deployment(session, actor, request_id, deployment_id)[1]


def _lock_unit(session: Session, unit: Unit) -> None:
    session.execute(
        sa.select(Unit).where(Unit.id == unit.id).with_for_update(key_share=True).execution_options(populate_existing=True)
    ).scalar_one()


def _end_of(request: AssistanceRequest, deployment: Deployment) -> datetime:
    return deployment.extended_until or request.needed_by + timedelta(hours=request.duration_hours)


def _step(
    session: Session,
    actor: Actor,
    request_id: int,
    deployment_id: int,
    action: str,
    *,
    expected_version: int | None,
    values: dict[str, Any] | None = None,
    facts: dict[str, bool] | None = None,
    check: Any = None,
) -> Deployment:
    """Apply one deployment transition: plan, guard, compare-and-set, readiness, recompute, audit, event."""
    request, deployment = load_deployment(session, actor, request_id, deployment_id)
    unit = deployment.unit
    planned = begin("deployment", action, deployment, {
        Party.UNIT_COMMANDER: granting(actor, Action.DEPLOYMENT_REPORT, unit_id=unit.id),
        Party.REQUESTER: requester_grant(actor, request),
        Party.SENDING_STATE: granting(actor, Action.DEPLOYMENT_RECALL, state=unit.state_code),
    }, f"deployment {deployment.id} ({unit.key})", expected_version)
    transition, grant, seen, what = planned.transition, planned.grant, planned.seen, planned.what
    check_guards(transition, facts or {}, current=request.status)
    if check is not None:
        check(request, deployment)
    before = DeploymentOut.snapshot(deployment)

    # Lock order: request, deployment (by the compare-and-set), unit; the audit chain comes last.
    lock_row(session, request)
    target = planned.target
    commits_unit = not deployment_holds_unit(seen[0]) and deployment_holds_unit(target)
    releases_unit = deployment_holds_unit(seen[0]) and not deployment_holds_unit(target)
    if action == "unit_accept" and not request_open(request.status):
        raise GuardRefused(f"request {request.id} is {request.status}: its units can no longer accept",
                           guard="request_open", current=request.status)
    compare_and_set(session, deployment, "deployment", seen=seen, to=target, what=what,
                    **dict(values or {}, updated_at=utcnow()))
    if commits_unit or releases_unit:
        _lock_unit(session, unit)
    if commits_unit:
        if unit.readiness_status == ReadinessStatus.COMMITTED.value:
            raise Conflict(f"unit {unit.key} is already committed to another deployment",
                           fields={"unit": "COMMITTED"}, current=unit.readiness_status)
        deployment.previous_readiness = unit.readiness_status
        session.flush()
    status_before = recompute_status(session, request)

    label = grant.label()
    audit.record(session, actor, label, f"deployment.{action}", "deployment", deployment.id,
                 before=before, after=DeploymentOut.snapshot(deployment), request_id=request.id)
    if commits_unit:
        directory.apply_readiness(session, unit, status=ReadinessStatus.COMMITTED.value,
                                  reason=readiness_reasons.committed(request.id, deployment.id),
                                  source="deployment", actor=actor, role=label, request_id=request.id)
    if releases_unit:
        directory.apply_readiness(session, unit, status=deployment.previous_readiness or ReadinessStatus.READY.value,
                                  reason=readiness_reasons.returned(request.id, deployment.id),
                                  source="deployment", actor=actor, role=label, request_id=request.id)
    delta = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in (values or {}).items()}
    events.publish(session, "deployment.status_changed", f"deployment:{deployment.id}",
                   marked(request.crisis, {"request_id": request.id, "deployment_id": deployment.id,
                                           "unit_id": unit.id, "action": action, "from": seen[0],
                                           "status": deployment.status, "changes": delta,
                                           "version": deployment.version}),
                   audience(session, request))
    if status_before is not None:
        record_recompute(session, request, status_before)
    return deployment


def _details(data: DeploymentAccept) -> dict[str, Any]:
    return {k: v for k, v in (("headcount", data.headcount), ("transport_mode", data.transport_mode)) if v is not None}


def accept(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentAccept) -> Deployment:
    """The unit's commander confirms the unit can provide the assistance; the unit becomes COMMITTED.

    :raise NotFound: unknown, or not the actor's business.
    :raise Forbidden: the actor is not the unit's commander.
    :raise TransitionRefused: the deployment is not ALERTED.
    :raise GuardRefused: the request is no longer open.
    :raise Conflict: the unit is committed elsewhere, or the deployment changed concurrently.
    """
    return _step(session, actor, request_id, deployment_id, "unit_accept",
                 expected_version=data.expected_version, values=_details(data))


def decline(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentDecline) -> Deployment:
    """The unit's commander reports that the unit cannot go, with the reason.

    :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """
    return _step(session, actor, request_id, deployment_id, "unit_decline",
                 expected_version=data.expected_version, values={"status_reason": data.reason})


def mobilise(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentMobilise) -> Deployment:
    """The unit prepares to leave (its commander). :raise NotFound, Forbidden, TransitionRefused, Conflict."""
    return _step(session, actor, request_id, deployment_id, "mobilise",
                 expected_version=data.expected_version, values=_details(data))


def depart(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentDepart) -> Deployment:
    """The unit is on its way, with an ETA at the scene (its commander).

    :raise Invalid: no ETA. :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """
    values: dict[str, Any] = {"eta": data.eta, "departed_at": utcnow()}
    if data.transport_mode:
        values["transport_mode"] = data.transport_mode
    return _step(session, actor, request_id, deployment_id, "depart", expected_version=data.expected_version,
                 values=values, facts={"eta_required": data.eta is not None})


def arrive(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentArrive) -> Deployment:
    """The unit is on scene, under the requesting State's on-scene commander (Art. 3(3)); reported
    by the unit's commander or the requester.

    :raise Invalid: no on-scene commander. :raise NotFound, Forbidden, TransitionRefused, Conflict.
    """
    return _step(session, actor, request_id, deployment_id, "arrive", expected_version=data.expected_version,
                 values={"on_scene_commander": data.on_scene_commander, "arrived_at": utcnow()},
                 facts={"on_scene_commander_required": bool(data.on_scene_commander)})


def stand_down(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentStandDown) -> Deployment:
    """The requester releases the unit (or its commander reports the task done).

    :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """
    values = {"status_reason": data.reason} if data.reason else {}
    return _step(session, actor, request_id, deployment_id, "stand_down",
                 expected_version=data.expected_version, values=values)


def return_home(session: Session, actor: Actor, request_id: int, deployment_id: int, data: Empty) -> Deployment:
    """The unit is back in its own State; its readiness returns to what it was before.

    :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """
    return _step(session, actor, request_id, deployment_id, "return", expected_version=data.expected_version)


def recall(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentRecall) -> Deployment:
    """The sending State's competent authority recalls its unit (Art. 1); it stops counting
    towards the request, which may drop from MET to PARTIALLY_MET.

    :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """
    return _step(session, actor, request_id, deployment_id, "recall", expected_version=data.expected_version,
                 values={"status_reason": data.reason, "recalled": True})


def extend(session: Session, actor: Actor, request_id: int, deployment_id: int, data: DeploymentExtend) -> Deployment:
    """The requester records a longer stay agreed with the sending State (Art. 1).

    :raise Invalid: the new end is not later than the current one.
    :raise NotFound, Forbidden, TransitionRefused, Conflict: as for :func:`accept`.
    """

    def after_current_end(request: AssistanceRequest, deployment: Deployment) -> None:
        current_end = _end_of(request, deployment)
        if data.until <= current_end:
            raise Invalid(f"the deployment already runs until {current_end.isoformat()}",
                          fields={"until": f"must be after {current_end.isoformat()}"})

    values: dict[str, Any] = {"extended_until": data.until}
    if data.reason:
        values["status_reason"] = data.reason
    return _step(session, actor, request_id, deployment_id, "extend", expected_version=data.expected_version,
                 values=values, check=after_current_end)
