"""Response models of operational costs (Art. 4): one cost item with who bears it, and a
request's settlement per sending State and overall."""

from __future__ import annotations

from typing import Any, Protocol

from atlas_coord.domain.settlement import CostTerms
from atlas_coord.models import AssistanceRequest, CostItem

from . import Out, iso


class RecordedCost(Protocol):
    """A cost item with its sending State and who bears it (``services.costs.RecordedCost``)."""

    item: CostItem
    sending_state: str

    @property
    def borne_by(self) -> str: ...


class Settlement(Protocol):
    """A request's costs as ``services.costs.settlement`` works them out."""

    request: AssistanceRequest
    costs: list[RecordedCost]
    by_sending_state: dict[str, tuple[CostTerms, dict[str, dict]]]
    totals: dict[str, dict]


class CostOut(Out):
    """One operational cost of a deployed unit; ``borne_by`` follows from the agreed terms."""

    id: int
    deployment_id: int
    sending_state: str
    category: str
    currency: str
    amount_minor: int
    paid_by: str
    borne_by: str
    note: str | None
    recorded_by_id: int | None
    recorded_at: str

    @classmethod
    def of(cls, cost: RecordedCost) -> CostOut:
        item = cost.item
        return cls(id=item.id, deployment_id=item.deployment_id, sending_state=cost.sending_state,
                   category=item.category, currency=item.currency, amount_minor=item.amount_minor,
                   paid_by=item.paid_by, borne_by=cost.borne_by, note=item.note,
                   recorded_by_id=item.recorded_by_id, recorded_at=item.recorded_at.isoformat())


class TermsOut(Out):
    default_bearer: str
    overrides: dict[str, str]


class StateSettlementOut(Out):
    """The terms agreed with one sending State and the summary of its costs per currency."""

    terms: TermsOut
    summary: dict[str, Any]


class CurrencyTotalOut(Out):
    total: int
    by_bearer: dict[str, int]
    by_category: dict[str, int]
    balances: dict[str, int]
    transfers: list[dict[str, Any]]


class SettlementOut(Out):
    """The request's cost items, who bears each, and the settlement per sending State and overall."""

    request_id: int
    requesting_state: str
    settled: bool
    settled_at: str | None
    items: list[CostOut]
    by_sending_state: dict[str, StateSettlementOut]
    totals: dict[str, CurrencyTotalOut]

    @classmethod
    def of(cls, settlement: Settlement) -> SettlementOut:
        request = settlement.request
        return cls(
            request_id=request.id,
            requesting_state=request.requesting_state,
            settled=request.costs_settled_at is not None,
            settled_at=iso(request.costs_settled_at),
            items=[CostOut.of(cost) for cost in settlement.costs],
            by_sending_state={
                state: StateSettlementOut(
                    terms=TermsOut(default_bearer=terms.default_bearer.value,
                                   overrides={k.value: v.value for k, v in terms.overrides.items()}),
                    summary=summary,
                )
                for state, (terms, summary) in settlement.by_sending_state.items()
            },
            totals=settlement.totals,
        )
