"""Response models of crises, assistance requests, answers, arrangements, deployments and the
timeline: the bodies of ``api/requests.py``, and the snapshots the request services freeze into
audit records and events.

Times are written as the rows hold them (``datetime.isoformat()``), as the console and the audit
trail always read them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema, model_serializer

from atlas_coord.domain.actions import next_actions
from atlas_coord.domain.choices import CostBearer, LegalBasis
from atlas_coord.domain.markings import marking_code
from atlas_coord.models import (
    Arrangement,
    AssistanceRequest,
    Crisis,
    Deployment,
    RequestAddressee,
)

from . import Out, Page, PagedPage, iso
from .geo import GeoPointOut

Time = Annotated[
    datetime | None,
    PlainSerializer(iso, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}),
]




class CrisisOut(Out):
    """A crisis situation; its owner's classification marking travels with it."""

    id: int
    state: str
    type: str
    site: GeoPointOut
    place_name: str
    started_at: Time
    description: str | None
    exercise: bool
    classification: str
    marking: str = Field(description="the classification marking as its EU code (UNCLASSIFIED, "
                                     "RESTREINT UE/EU RESTRICTED, ...); the console's banner")
    version: int

    @classmethod
    def of(cls, crisis: Crisis) -> CrisisOut:
        return cls(id=crisis.id, state=crisis.state_code, type=crisis.crisis_type,
                   site=GeoPointOut.model_validate(crisis.site), place_name=crisis.place_name,
                   started_at=crisis.started_at, description=crisis.description, exercise=crisis.is_exercise,
                   classification=crisis.classification, marking=marking_code(crisis.classification),
                   version=crisis.version)


class CostTermsOut(Out):
    default_bearer: str
    overrides: dict[str, str]
    note: str | None


class ArrangementOut(Out):
    """The recorded arrangements (Art. 1), or the Art. 4 defaults while nothing is recorded; the
    defaults carry no ``updated_by_id`` / ``updated_at``."""

    recorded: bool
    legal_basis: str
    weapons_manifest: list[dict[str, Any]]
    liaison_officer: dict[str, Any] | None
    cost_terms: CostTermsOut
    updated_by_id: int | None = None
    updated_at: Time = None
    version: int | None

    @model_serializer(mode="wrap")
    def _without_unrecorded_fields(self, handler) -> Any:
        data = handler(self)
        if not self.recorded:
            data.pop("updated_by_id", None)
            data.pop("updated_at", None)
        return data

    @classmethod
    def of(cls, arrangement: Arrangement | None) -> ArrangementOut:
        if arrangement is None:
            return cls(recorded=False, legal_basis=LegalBasis.DECISION_2008_617.value, weapons_manifest=[],
                       liaison_officer=None, version=None,
                       cost_terms=CostTermsOut(default_bearer=CostBearer.REQUESTING.value, overrides={}, note=None))
        return cls(
            recorded=True,
            legal_basis=arrangement.legal_basis,
            weapons_manifest=list(arrangement.weapons_manifest or []),
            liaison_officer=arrangement.liaison_officer,
            cost_terms=CostTermsOut(default_bearer=arrangement.cost_default_bearer,
                                    overrides=dict(sorted((arrangement.cost_overrides or {}).items())),
                                    note=arrangement.cost_note),
            updated_by_id=arrangement.updated_by_id,
            updated_at=arrangement.updated_at,
            version=arrangement.version,
        )


class StateArrangementOut(ArrangementOut):
    """The arrangements with one answering State of one request."""

    request_id: int
    state: str

    @classmethod
    def of_answer(cls, addressee: RequestAddressee) -> StateArrangementOut:
        return cls(request_id=addressee.request_id, state=addressee.state_code,
                   **dict(ArrangementOut.of(addressee.arrangement)))


class CounterOut(Out):
    kinds: list[str]
    assistance_kinds: list[str]
    personnel: int | None
    arrival_at: Time
    text: str | None
    decision_reason: str | None

    @classmethod
    def of(cls, addressee: RequestAddressee) -> CounterOut | None:
        if not addressee.counter_kinds:
            return None
        return cls(kinds=list(addressee.counter_kinds), assistance_kinds=list(addressee.counter_assistance_kinds or []),
                   personnel=addressee.counter_personnel, arrival_at=addressee.counter_arrival_at,
                   text=addressee.counter_text, decision_reason=addressee.counter_decision_reason)


class AnswerOut(Out):
    """One addressed State's answer, with its counter-proposal and arrangements."""

    id: int
    state: str
    status: str
    reason: str | None
    units: list[int]
    counter: CounterOut | None
    answered_by_id: int | None
    answered_at: Time
    decided_by_id: int | None
    decided_at: Time
    seen_by_id: int | None
    seen_at: Time
    arrangement: ArrangementOut
    version: int

    @classmethod
    def of(cls, addressee: RequestAddressee) -> AnswerOut:
        return cls(
            id=addressee.id, state=addressee.state_code, status=addressee.status, reason=addressee.reason,
            units=[offered.unit_id for offered in addressee.offered_units], counter=CounterOut.of(addressee),
            answered_by_id=addressee.answered_by_id, answered_at=addressee.answered_at,
            decided_by_id=addressee.decided_by_id, decided_at=addressee.decided_at,
            seen_by_id=addressee.seen_by_id, seen_at=addressee.seen_at,
            arrangement=ArrangementOut.of(addressee.arrangement), version=addressee.version,
        )


class SeenOut(Out):
    """An acknowledgement as the live ``ack`` call answers it; read from the answer row."""

    state: str = Field(validation_alias="state_code")
    seen_at: Time


class DeploymentUnitOut(Out):
    id: int
    key: str
    name: str
    state: str


class DeploymentOut(Out):
    """One unit's deployment, with the actions allowed next."""

    id: int
    request_id: int
    unit: DeploymentUnitOut
    status: str
    headcount: int | None
    transport_mode: str | None
    eta: Time
    on_scene_commander: str | None
    extended_until: Time
    recalled: bool
    status_reason: str | None
    previous_readiness: str | None
    allowed: list[str]
    version: int
    departed_at: Time = Field(None, description="when the unit reported EN ROUTE")
    arrived_at: Time = Field(None, description="when the unit was reported ON SCENE")

    @staticmethod
    def _columns(deployment: Deployment) -> dict[str, Any]:
        unit = deployment.unit
        return {
            "id": deployment.id, "request_id": deployment.request_id,
            "unit": DeploymentUnitOut(id=deployment.unit_id, key=unit.key, name=unit.name, state=unit.state_code),
            "status": deployment.status, "headcount": deployment.headcount,
            "transport_mode": deployment.transport_mode, "eta": deployment.eta,
            "on_scene_commander": deployment.on_scene_commander, "extended_until": deployment.extended_until,
            "recalled": deployment.recalled, "status_reason": deployment.status_reason,
            "previous_readiness": deployment.previous_readiness,
            "allowed": next_actions("deployment", deployment.status), "version": deployment.version,
            "departed_at": deployment.departed_at, "arrived_at": deployment.arrived_at,
        }

    @classmethod
    def of(cls, deployment: Deployment) -> DeploymentOut:
        return cls(**cls._columns(deployment))

    @classmethod
    def snapshot(cls, deployment: Deployment) -> dict[str, Any]:
        """The deployment as an audit record freezes it."""
        return cls(**cls._columns(deployment)).model_dump(mode="json")


class RequestSummaryOut(Out):
    """A request as lists show it."""

    id: int
    status: str
    requesting_state: str
    crisis_id: int
    crisis_type: str
    place_name: str
    exercise: bool
    classification: str
    marking: str = Field(description="the crisis's classification marking as its EU code; the console's banner")
    kinds: list[str]
    addressed_states: list[str]
    needed_by: Time
    answer_deadline: Time
    created_at: Time
    submitted_at: Time
    withdrawn_at: Time
    closed_at: Time
    answers_by_status: dict[str, int]
    version: int

    @classmethod
    def of(cls, request: AssistanceRequest, answers: Sequence[Any] | None = None) -> RequestSummaryOut:
        """``answers``: rows with ``state_code`` and ``status`` standing for ``request.addressees``
        when a list has read them as plain rows."""
        return cls(**cls._fields_of(request, answers))

    @staticmethod
    def _fields_of(request: AssistanceRequest, answers: Sequence[Any] | None = None) -> dict[str, Any]:
        crisis = request.crisis
        answers = request.addressees if answers is None else answers
        return {
            "id": request.id, "status": request.status, "requesting_state": request.requesting_state,
            "crisis_id": request.crisis_id, "crisis_type": crisis.crisis_type, "place_name": crisis.place_name,
            "exercise": crisis.is_exercise, "classification": crisis.classification,
            "marking": marking_code(crisis.classification), "kinds": list(request.kinds),
            "addressed_states": [a.state_code for a in answers] or list(request.addressed_states or []),
            "needed_by": request.needed_by, "answer_deadline": request.answer_deadline,
            "created_at": request.created_at, "submitted_at": request.submitted_at,
            "withdrawn_at": request.withdrawn_at, "closed_at": request.closed_at,
            "answers_by_status": dict(sorted(Counter(a.status for a in answers).items())),
            "version": request.version,
        }


class RequirementOut(Out):
    code: str
    quantity: int
    min_level: str


class RequestOut(RequestSummaryOut):
    """The request with its crisis, requirements, answers and deployments."""

    crisis: CrisisOut
    operational_necessity: str
    requirements: list[RequirementOut]
    duration_hours: int | None
    address_all: bool
    withdrawal_reason: str | None
    costs_settled_at: Time
    has_ranking_snapshot: bool
    answers: list[AnswerOut]
    deployments: list[DeploymentOut]
    allowed: list[str]

    @classmethod
    def of(cls, request: AssistanceRequest) -> RequestOut:
        return cls(
            **cls._fields_of(request),
            crisis=CrisisOut.of(request.crisis),
            operational_necessity=request.operational_necessity,
            requirements=[RequirementOut(code=r.capability_code, quantity=r.quantity, min_level=r.min_level)
                          for r in request.requirements],
            duration_hours=request.duration_hours,
            address_all=request.address_all,
            withdrawal_reason=request.withdrawal_reason,
            costs_settled_at=request.costs_settled_at,
            has_ranking_snapshot=request.has_ranking_snapshot,
            answers=[AnswerOut.of(a) for a in request.addressees],
            deployments=[DeploymentOut.of(d) for d in request.deployments],
            allowed=next_actions("request", request.status),
        )


class RankingSnapshotOut(Out):
    """The ranking frozen at submission (free-form: the ranking's own inputs and outputs); read
    from the request row."""

    request_id: int = Field(validation_alias="id")
    snapshot: dict[str, Any] | None = Field(validation_alias="ranking_snapshot")


class StepOut(Out):
    """One step of a request's timeline, read from its audit record."""

    seq: int
    at: str
    actor: str
    role: str | None
    action: str
    subject: str
    from_: str | None = Field(alias="from")
    to: str | None
    # A sentence for steps that say one (duty alerts: "FR duty officer acknowledged 03:04, ...").
    note: str | None = None

    model_config = ConfigDict(from_attributes=True, validate_by_name=True, serialize_by_alias=True)

    @classmethod
    def of(cls, record: dict[str, Any]) -> StepOut:
        before, after = record["before"] or {}, record["after"] or {}
        return cls(seq=record["seq"], at=record["at"], actor=record["actor"], role=record["role"],
                   action=record["action"], subject=record["subject"],
                   from_=before.get("status") if isinstance(before, dict) else None,
                   to=after.get("status") if isinstance(after, dict) else None,
                   note=after.get("summary") if isinstance(after, dict) and isinstance(after.get("summary"), str) else None)


class RequestPage(PagedPage[RequestSummaryOut]):
    """A page of request summaries."""


class AnswerList(Page[AnswerOut]):
    """The answers an acknowledgement marked."""


class Timeline(Page[StepOut]):
    """Every step of a request in order, with its crisis's marking (also in ``X-ATLAS-MARKING``)."""

    marking: str = Field(description="the crisis's classification marking as its EU code")
