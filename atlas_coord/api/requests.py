"""Assistance requests (Art. 3), answers, arrangements (Art. 1), deployments and costs (Art. 4).

Every request and everything under it answers 404 to users who may not know it exists.
Changes answer 409 ``illegal_transition`` with ``current`` and ``allowed`` when the status does
not allow them, and 409 ``conflict`` when someone else changed the record first.
"""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.serializers.audit import AuditPage, AuditRecordOut
from atlas_coord.serializers.costs import CostOut, SettlementOut
from atlas_coord.serializers.requests import (
    AnswerList,
    AnswerOut,
    CrisisOut,
    DeploymentOut,
    RankingSnapshotOut,
    RequestOut,
    RequestPage,
    RequestSummaryOut,
    StateArrangementOut,
    StepOut,
    Timeline,
)
from atlas_coord.services import costs, deployments, requests
from atlas_coord.services.requests.commands import (
    AnswerAccept,
    AnswerCounter,
    AnswerRefuse,
    ArrangementIn,
    AuditQuery,
    CostItemIn,
    CounterDecision,
    CrisisIn,
    CrisisUpdate,
    DeploymentAccept,
    DeploymentArrive,
    DeploymentDecline,
    DeploymentDepart,
    DeploymentExtend,
    DeploymentMobilise,
    DeploymentRecall,
    DeploymentStandDown,
    Empty,
    RequestCreate,
    RequestFilter,
    RequestWithdraw,
)

from . import db_session, settings
from .core import current_actor, endpoint

# Exports say their marking in a header too, as the calendar feeds do in X-ATLAS-MARKING.
MARKING_HEADER = "X-ATLAS-Marking"

bp = Blueprint("requests", __name__, url_prefix="/api/v1")

CHANGE_ERRORS = (403, 404, 409, 422)


# ---------------------------------------------------------------- crises


@endpoint(bp, "/crises", "POST", body=CrisisIn, status=201, summary="Record a crisis situation (Art. 2(b))",
          errors=(403, 422))
def create_crisis(body: CrisisIn):
    """The caller's State owns it and sets its classification marking."""
    return CrisisOut.of(requests.create_crisis(db_session(), current_actor(), body, settings=settings())).wire()


@endpoint(bp, "/crises/<int:crisis_id>", summary="One crisis", errors=(404,))
def get_crisis(crisis_id: int):
    """Visible to the owning State and to those who may see one of its requests."""
    return CrisisOut.of(requests.get_crisis(db_session(), current_actor(), crisis_id)).wire()


@endpoint(bp, "/crises/<int:crisis_id>", "PATCH", body=CrisisUpdate, summary="Change a crisis's marking or description",
          errors=CHANGE_ERRORS)
def update_crisis(crisis_id: int, body: CrisisUpdate):
    """Only the owning State."""
    return CrisisOut.of(requests.update_crisis(db_session(), current_actor(), crisis_id, body,
                                               settings=settings())).wire()


# ---------------------------------------------------------------- requests


@endpoint(bp, "/requests", query=RequestFilter, summary="Assistance requests the caller may know of")
def list_requests(query: RequestFilter):
    """Newest first, paged; only requests of the caller's State, addressed to it, or asking its unit."""
    listed = requests.list_requests(db_session(), current_actor(), query)
    return RequestPage(items=[RequestSummaryOut.of(r, listed.answers[r.id]) for r in listed.requests],
                       total=listed.total, page=query.page, per_page=query.per_page).wire()


@endpoint(bp, "/requests", "POST", body=RequestCreate, status=201, summary="Raise an assistance request (Art. 3(1))",
          errors=(403, 422))
def raise_request(body: RequestCreate):
    """DRAFT, or submitted at once with ``"submit": true``."""
    return RequestOut.of(requests.raise_request(db_session(), current_actor(), body, settings=settings())).wire()


@endpoint(bp, "/requests/<int:request_id>", summary="One assistance request with its answers and deployments",
          errors=(404,))
def get_request(request_id: int):
    """404 for anyone who may not know the request exists."""
    return RequestOut.of(requests.get_request(db_session(), current_actor(), request_id)).wire()


@endpoint(bp, "/requests/<int:request_id>/submit", "POST", body=Empty, summary="Submit a draft to the addressed states",
          errors=CHANGE_ERRORS)
def submit_request(request_id: int, body: Empty):
    """Each addressed State receives it; the unit ranking is frozen on the request."""
    request = requests.submit_request(db_session(), current_actor(), request_id, body.expected_version,
                                       settings=settings())
    return RequestOut.of(request).wire()


@endpoint(bp, "/requests/<int:request_id>/withdraw", "POST", body=RequestWithdraw, summary="Withdraw the request",
          errors=CHANGE_ERRORS)
def withdraw_request(request_id: int, body: RequestWithdraw):
    """Any time before CLOSED, by the requester."""
    return RequestOut.of(requests.withdraw_request(db_session(), current_actor(), request_id, body)).wire()


@endpoint(bp, "/requests/<int:request_id>/close", "POST", body=Empty, summary="Close the request", errors=CHANGE_ERRORS)
def close_request(request_id: int, body: Empty):
    """Once every unit is back and the costs are settled."""
    request = requests.close_request(db_session(), current_actor(), request_id, body.expected_version)
    return RequestOut.of(request).wire()


@endpoint(bp, "/requests/<int:request_id>/seen", "POST", body=Empty, summary="Acknowledge the request (addressed state)",
          errors=(403, 404))
def mark_seen(request_id: int, body: Empty):
    """The requester sees when, and by whom, each addressed State read it."""
    rows = requests.mark_seen(db_session(), current_actor(), request_id)
    return AnswerList(items=[AnswerOut.of(a) for a in rows], total=len(rows)).wire()


@endpoint(bp, "/requests/<int:request_id>/ranking-snapshot", summary="The unit ranking frozen at submission",
          errors=(404,))
def ranking_snapshot(request_id: int):
    """Inputs and outputs of the ranking, to explain the choice of addressees later."""
    return RankingSnapshotOut.model_validate(
        requests.ranking_snapshot_of(db_session(), current_actor(), request_id)).wire()


@endpoint(bp, "/requests/<int:request_id>/audit", query=AuditQuery, summary="The request's audit records",
          errors=(404,))
def request_audit(request_id: int, query: AuditQuery):
    """Hash-chained records in order: who, which role, when, before and after."""
    found = requests.request_audit(db_session(), current_actor(), request_id, after_seq=query.after_seq,
                                   limit=query.size, offset=query.offset)
    page = AuditPage(items=[AuditRecordOut.of(row) for row in found.records], total=found.total, page=query.page,
                     per_page=query.size, marking=found.marking)
    return page.wire(), 200, {MARKING_HEADER: found.marking}


@endpoint(bp, "/requests/<int:request_id>/timeline", summary="Every step of the request in order",
          errors=(404,))
def request_timeline(request_id: int):
    """Derived from the audit trail: time, actor, role, action, subject, status from and to."""
    found = requests.timeline(db_session(), current_actor(), request_id)
    page = Timeline(items=[StepOut.of(AuditRecordOut.of(record).wire()) for record in found.records],
                    total=len(found.records), marking=found.marking)
    return page.wire(), 200, {MARKING_HEADER: found.marking}


# ---------------------------------------------------------------- answers (Art. 3(1))


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/accept", "POST", body=AnswerAccept,
          summary="Accept, naming the units offered (addressed state's competent authority)", errors=CHANGE_ERRORS)
def accept_request(request_id: int, state: str, body: AnswerAccept):
    """Each unit offered is alerted."""
    return AnswerOut.of(requests.accept(db_session(), current_actor(), request_id, state, body)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/refuse", "POST", body=AnswerRefuse,
          summary="Refuse, with a reason", errors=CHANGE_ERRORS)
def refuse_request(request_id: int, state: str, body: AnswerRefuse):
    """The reason is required (Art. 3(1))."""
    return AnswerOut.of(requests.refuse(db_session(), current_actor(), request_id, state, body)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/counter-propose", "POST", body=AnswerCounter,
          summary="Propose another kind of assistance", errors=CHANGE_ERRORS)
def counter_propose(request_id: int, state: str, body: AnswerCounter):
    """Other assistance kinds, other units, fewer personnel or a later arrival, plus text."""
    return AnswerOut.of(requests.counter_propose(db_session(), current_actor(), request_id, state, body)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/counter/accept", "POST", body=CounterDecision,
          summary="Accept a counter-proposal (requester)", errors=CHANGE_ERRORS)
def accept_counter(request_id: int, state: str, body: CounterDecision):
    """The units it offers are alerted."""
    return AnswerOut.of(requests.decide_counter(db_session(), current_actor(), request_id, state,
                                                  accept_it=True, data=body)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/counter/reject", "POST", body=CounterDecision,
          summary="Reject a counter-proposal (requester)", errors=CHANGE_ERRORS)
def reject_counter(request_id: int, state: str, body: CounterDecision):
    """No assistance from that State follows."""
    return AnswerOut.of(requests.decide_counter(db_session(), current_actor(), request_id, state,
                                                  accept_it=False, data=body)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/arrangement", summary="The arrangements with one state",
          errors=(404,))
def get_arrangement(request_id: int, state: str):
    """Legal basis, weapons and equipment manifest, liaison officer and Art. 4 cost terms."""
    return StateArrangementOut.of_answer(requests.get_arrangement(db_session(), current_actor(), request_id, state)).wire()


@endpoint(bp, "/requests/<int:request_id>/answers/<string:state>/arrangement", "PUT", body=ArrangementIn,
          summary="Record the arrangements agreed (requester or answering state)", errors=CHANGE_ERRORS)
def record_arrangement(request_id: int, state: str, body: ArrangementIn):
    """Replaces what was recorded; by default the requesting State bears the operational costs (Art. 4)."""
    addressee = requests.record_arrangement(db_session(), current_actor(), request_id, state, body)
    return StateArrangementOut.of_answer(addressee).wire()


# ---------------------------------------------------------------- deployments


@endpoint(bp, "/requests/<int:request_id>/deployments/<int:deployment_id>", summary="One deployment", errors=(404,))
def get_deployment(request_id: int, deployment_id: int):
    """The unit, its status, ETA, on-scene commander and the actions allowed next."""
    return DeploymentOut.of(deployments.get_deployment(db_session(), current_actor(), request_id, deployment_id)).wire()


def _deployment_step(rule: str, name: str, body_model, service, summary: str, doc: str) -> None:
    def view(request_id: int, deployment_id: int, body):
        deployment = service(db_session(), current_actor(), request_id, deployment_id, body)
        return DeploymentOut.of(deployment).wire()

    view.__name__ = f"deployment_{name}"
    view.__doc__ = doc
    endpoint(bp, f"/requests/<int:request_id>/deployments/<int:deployment_id>/{rule}", "POST", body=body_model,
             summary=summary, errors=CHANGE_ERRORS)(view)


for _rule, _name, _body, _service, _summary, _doc in (
    ("accept", "accept", DeploymentAccept, deployments.accept, "The unit's commander accepts",
     "The unit becomes COMMITTED."),
    ("decline", "decline", DeploymentDecline, deployments.decline, "The unit's commander declines",
     "With the reason."),
    ("mobilise", "mobilise", DeploymentMobilise, deployments.mobilise, "The unit mobilises",
     "Headcount and transport mode may be given."),
    ("depart", "depart", DeploymentDepart, deployments.depart, "The unit departs, with an ETA",
     "The ETA at the scene is required."),
    ("arrive", "arrive", DeploymentArrive, deployments.arrive, "The unit is on scene (Art. 3(3))",
     "Names the requesting State's on-scene commander."),
    ("stand-down", "stand_down", DeploymentStandDown, deployments.stand_down, "Stand the unit down",
     "By the requester (or the unit's commander when the task is done)."),
    ("return", "return", Empty, deployments.return_home, "The unit is back home",
     "Its readiness returns to what it was before the deployment."),
    ("recall", "recall", DeploymentRecall, deployments.recall, "The sending state recalls its unit",
     "With the reason; the unit stops counting towards the request."),
    ("extend", "extend", DeploymentExtend, deployments.extend, "Extend the deployment (requester)",
     "The new end must be later than the current one."),
):
    _deployment_step(_rule, _name, _body, _service, _summary, _doc)


# ---------------------------------------------------------------- costs (Art. 4)


@endpoint(bp, "/requests/<int:request_id>/deployments/<int:deployment_id>/costs", "POST", body=CostItemIn, status=201,
          summary="Record an operational cost of a deployed unit", errors=CHANGE_ERRORS)
def record_cost(request_id: int, deployment_id: int, body: CostItemIn):
    """Integer minor units of an ISO 4217 currency; who bears it follows from the agreed terms."""
    return CostOut.of(costs.record_cost(db_session(), current_actor(), request_id, deployment_id, body)).wire()


@endpoint(bp, "/requests/<int:request_id>/costs", summary="Cost items and the settlement summary", errors=(404,))
def settlement(request_id: int):
    """Per sending State and overall, per currency: totals, by bearer and category, who owes whom."""
    return SettlementOut.of(costs.settlement(db_session(), current_actor(), request_id)).wire()


@endpoint(bp, "/requests/<int:request_id>/costs/settle", "POST", body=Empty, summary="Record that the costs are settled",
          errors=CHANGE_ERRORS)
def settle_costs(request_id: int, body: Empty):
    """By the requester, once every unit is back."""
    return SettlementOut.of(costs.settle_costs(db_session(), current_actor(), request_id, body.expected_version)).wire()
