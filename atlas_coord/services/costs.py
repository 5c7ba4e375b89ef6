"""Operational costs of deployed units (Art. 4): record them, see who bears each under the agreed
terms, settle them.

Art. 4 sets the default: unless the States agree otherwise, the requesting State bears the
operational costs of the requested State's units, including transport and accommodation. The
terms agreed with each answering State are in its arrangement; without one, the default applies.
Amounts are integer minor units (cents) per ISO 4217 currency, never converted or mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.choices import DeploymentStatus, RequestStatus
from atlas_coord.domain.settlement import CostItem as CostLine
from atlas_coord.domain.settlement import CostTerms, cost_bearer, settlement_summary
from atlas_coord.models import AssistanceRequest, CostItem, Deployment, Unit, utcnow
from atlas_coord.policy import Action, Actor, granting
from atlas_coord.serializers.costs import CostOut

from . import audit, events
from .deployments import load_deployment
from .errors import Conflict, Forbidden
from .requests.commands import CostItemIn
from .requests.crises import marked
from .requests.lifecycle import unfinished_deployments
from .requests.parties import answering_grant, requester_grant
from .transitions import GuardRefused, check_expected_version, claim_version, lock_row
from .visibility import audience, load_request

_NEVER_DEPLOYED = {DeploymentStatus.ALERTED.value, DeploymentStatus.DECLINED.value}
_SETTLEABLE = {RequestStatus.PARTIALLY_MET.value, RequestStatus.MET.value, RequestStatus.WITHDRAWN.value}


def _terms_by_state(request: AssistanceRequest) -> dict[str, CostTerms]:
    terms = {}
    for addressee in request.addressees:
        arrangement = addressee.arrangement
        terms[addressee.state_code] = (
            CostTerms(arrangement.cost_default_bearer, dict(arrangement.cost_overrides or {}))
            if arrangement is not None else CostTerms()
        )
    return terms


def _rows(session: Session, request: AssistanceRequest) -> list[tuple[CostItem, str]]:
    """Every cost item of the request with the State of the unit that incurred it, in record order."""
    return list(session.execute(
        sa.select(CostItem, Unit.state_code)
        .join(Deployment, Deployment.id == CostItem.deployment_id)
        .join(Unit, Unit.id == Deployment.unit_id)
        .where(CostItem.request_id == request.id)
        .order_by(CostItem.id)
    ))


@dataclass(frozen=True)
class RecordedCost:
    """A cost item with the State of the unit that incurred it, under that State's agreed terms."""

    item: CostItem
    sending_state: str
    terms: CostTerms

    @property
    def borne_by(self) -> str:
        return cost_bearer(self.terms, self.item.category).value


@dataclass(frozen=True)
class Settlement:
    """A request's costs: every item, each sending State's terms and summary, and the totals per currency."""

    request: AssistanceRequest
    costs: list[RecordedCost]
    by_sending_state: dict[str, tuple[CostTerms, dict[str, dict]]]
    totals: dict[str, dict]


def _merge(summaries: list[dict[str, dict]]) -> dict[str, dict]:
    """Add up per-State settlement summaries; each State's transfers are with the requester only."""
    merged: dict[str, dict] = {}
    for summary in summaries:
        for currency, part in summary.items():
            total = merged.setdefault(currency, {"total": 0, "by_bearer": {"requesting": 0, "sending": 0},
                                                 "by_category": {}, "balances": {}, "transfers": []})
            total["total"] += part["total"]
            for bearer, amount in part["by_bearer"].items():
                total["by_bearer"][bearer] += amount
            for key in ("by_category", "balances"):
                for name, amount in part[key].items():
                    total[key][name] = total[key].get(name, 0) + amount
            total["transfers"].extend(part["transfers"])
    for total in merged.values():
        total["by_category"] = dict(sorted(total["by_category"].items()))
        total["balances"] = dict(sorted(total["balances"].items()))
        total["transfers"].sort(key=lambda t: (t["from"], t["to"]))
    return dict(sorted(merged.items()))


def settlement(session: Session, actor: Actor, request_id: int) -> Settlement:
    """The request's cost items, who bears each, and the settlement summary per sending State and overall.

    :raise NotFound: unknown, or not the actor's business.
    """
    request = load_request(session, actor, request_id)
    return _settlement(session, request)


def _settlement(session: Session, request: AssistanceRequest) -> Settlement:
    terms = _terms_by_state(request)
    costs = [RecordedCost(item, state, terms.get(state, CostTerms())) for item, state in _rows(session, request)]
    lines: dict[str, list[CostLine]] = {}
    for cost in costs:
        item = cost.item
        lines.setdefault(cost.sending_state, []).append(
            CostLine(item.category, item.currency, item.amount_minor, cost.sending_state, request.requesting_state,
                     item.paid_by)
        )
    by_state = {
        state: (terms.get(state, CostTerms()), settlement_summary(items, terms.get(state, CostTerms())))
        for state, items in sorted(lines.items())
    }
    return Settlement(request, costs, by_state, _merge([summary for _, summary in by_state.values()]))


def record_cost(session: Session, actor: Actor, request_id: int, deployment_id: int, data: CostItemIn) -> RecordedCost:
    """Record one operational cost of a deployed unit (the requester, the unit's State's competent
    authority, or the unit's own commander; who bears it follows the agreed Art. 4 terms).

    :raise NotFound: unknown, or not the actor's business.
    :raise Forbidden: the actor is neither the requester, the unit's State's competent authority nor its commander.
    :raise Conflict: the unit never deployed (ALERTED or DECLINED), or the costs are settled.
    """
    request, deployment = load_deployment(session, actor, request_id, deployment_id)
    sending_state = deployment.unit.state_code
    grant = (requester_grant(actor, request) or answering_grant(actor, sending_state)
             or granting(actor, Action.COST_RECORD, unit_id=deployment.unit_id))
    if grant is None:
        raise Forbidden("only the requester, the sending State and the unit's commander record a unit's costs")
    if deployment.status in _NEVER_DEPLOYED:
        raise Conflict(f"deployment {deployment.id} is {deployment.status}: a unit that never deployed has no "
                       "operational costs", current=deployment.status)
    lock_row(session, request)
    if request.costs_settled_at is not None:
        raise Conflict(f"the costs of request {request.id} are settled; no more can be recorded",
                       current=request.status)
    item = CostItem(request_id=request.id, deployment_id=deployment.id, category=data.category.value,
                    currency=data.currency, amount_minor=data.amount_minor, paid_by=data.paid_by.value,
                    note=data.note, recorded_by_id=actor.user_id, recorded_at=utcnow())
    session.add(item)
    session.flush()
    cost = RecordedCost(item, sending_state, _terms_by_state(request).get(sending_state, CostTerms()))
    audit.record(session, actor, grant.label(), "cost.record", "cost", item.id, after=CostOut.of(cost).wire(),
                 request_id=request.id)
    events.publish(session, "cost.recorded", f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "deployment_id": deployment.id, "cost_id": item.id,
                                           "category": item.category, "currency": item.currency,
                                           "amount_minor": item.amount_minor, "borne_by": cost.borne_by}),
                   audience(session, request))
    return cost


def settle_costs(session: Session, actor: Actor, request_id: int, expected_version: int | None = None) -> Settlement:
    """The requester records that the costs are settled, once every unit is back (Art. 4).

    :raise NotFound: unknown, or not the actor's business.
    :raise Forbidden: the actor is not the requester.
    :raise Conflict: already settled, the request is not in a settleable status, a deployment is
        unfinished, or the request changed since ``expected_version``.
    """
    request = load_request(session, actor, request_id)
    grant = requester_grant(actor, request)
    if grant is None:
        raise Forbidden("only the requester records the settlement of costs")
    what = f"request {request.id}"
    check_expected_version(request, expected_version, what, machine="request")
    seen = (request.status, request.version)
    lock_row(session, request, unchanged_since=seen)
    _check_settleable(session, request)
    claim_version(session, request, seen[1], what, costs_settled_at=utcnow(), costs_settled_by_id=actor.user_id)
    summary = _settlement(session, request)
    audit.record(session, actor, grant.label(), "costs.settle", "request", request.id,
                 before={"costs_settled": False}, after={"costs_settled": True, "totals": summary.totals},
                 request_id=request.id)
    events.publish(session, "costs.settled", f"request:{request.id}",
                   marked(request.crisis, {"request_id": request.id, "settled_at": request.costs_settled_at.isoformat(),
                                           "version": request.version}),
                   audience(session, request))
    return summary


def _check_settleable(session: Session, request: AssistanceRequest) -> None:
    """:raise Conflict: already settled, or not in a settleable status.
    :raise GuardRefused: a deployment is unfinished."""
    if request.costs_settled_at is not None:
        raise Conflict(f"the costs of request {request.id} are settled already", current=request.status)
    if request.status not in _SETTLEABLE:
        raise Conflict(f"request {request.id} is {request.status}: there are no costs to settle",
                       current=request.status, allowed=sorted(_SETTLEABLE))
    unfinished = unfinished_deployments(session, request)
    if unfinished:
        raise GuardRefused(f"deployments {unfinished} are not finished; settle once every unit is back",
                           guard="all_deployments_finished", current=request.status, unfinished=unfinished)
