"""Reading requests: the list the actor may know of, one request, its frozen ranking, its audit
trail and its timeline. Every read goes through ``services.visibility`` (need-to-know)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from atlas_coord.domain.markings import marking_code
from atlas_coord.models import AssistanceRequest, AuditRecord, RequestAddressee
from atlas_coord.policy import Actor

from .. import audit
from ..child_rows import ChildRows
from ..visibility import load_request, visible_clause
from .commands import RequestFilter
from .page import request_page

TIMELINE_PAGE = 1000


@dataclass(frozen=True)
class MarkedRecords:
    """Audit records of one request, exported with the marking of its crisis (they quote it)."""

    marking: str
    records: list
    total: int | None = None  # all the records the page is taken from (None: the list is whole)


def _marking(request: AssistanceRequest) -> str:
    return marking_code(request.crisis.classification)


@dataclass(frozen=True)
class ListedRequests:
    """A page of requests, with each one's answers as plain rows (``state_code``, ``status``) by
    request id: a list shows only those two, and loading every answer as an object (one per
    addressed State, ~20 for a request to all) cost most of the list's CPU."""

    requests: list[AssistanceRequest]
    total: int
    answers: dict[int, list[Any]]


_ANSWERS_LISTED = ChildRows(RequestAddressee.request_id, (RequestAddressee.state_code, RequestAddressee.status),
                            RequestAddressee.state_code)


def list_requests(session: Session, actor: Actor, filters: RequestFilter) -> ListedRequests:
    """The requests the actor may know of, newest first, one page at a time."""
    conditions = [visible_clause(actor)]
    if filters.status:
        conditions.append(AssistanceRequest.status == filters.status.value)
    total = session.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest).where(*conditions)) or 0
    rows = list(session.scalars(
        sa.select(AssistanceRequest)
        .where(*conditions)
        # The summary reads each row's crisis: joined to the page's own statement (a crisis per
        # request), not a query per row nor one more statement for the page.
        .options(joinedload(AssistanceRequest.crisis, innerjoin=True))
        .order_by(AssistanceRequest.id.desc())
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    ))
    answers = _ANSWERS_LISTED.by_parent(session, [request.id for request in rows])
    return ListedRequests(rows, total, answers)


def get_request(session: Session, actor: Actor, request_id: int) -> SimpleNamespace:
    """The request's page, read as plain rows (``page.request_page``).

    :raise NotFound: unknown, or not the actor's business.
    """
    return request_page(session, actor, request_id)


def ranking_snapshot_of(session: Session, actor: Actor, request_id: int) -> AssistanceRequest:
    """The request whose ranking, frozen at submission, is read (None before submission).

    :raise NotFound: unknown, or not the actor's business.
    """
    return load_request(session, actor, request_id)


def request_audit(session: Session, actor: Actor, request_id: int, *, after_seq: int = 0, limit: int = 500,
                  offset: int = 0) -> MarkedRecords:
    """One page of the request's audit records after ``after_seq`` in chain order (everyone who
    may see the request may read them), with the crisis's marking and how many records there are
    after ``after_seq`` in all.

    :raise NotFound: unknown, or not the actor's business.
    """
    request = load_request(session, actor, request_id)
    rows = audit.records(session, request_id=request_id, after_seq=after_seq, limit=limit, offset=offset)
    return MarkedRecords(_marking(request), rows, audit.count_records(session, request_id=request_id, after_seq=after_seq))


def timeline(session: Session, actor: Actor, request_id: int) -> MarkedRecords:
    """Every audit record of the request in order: the steps of its timeline (with actor, role
    and time), with the crisis's marking.

    :raise NotFound: unknown, or not the actor's business.
    """
    request = load_request(session, actor, request_id)
    records: list[AuditRecord] = []
    after_seq = 0
    while True:
        page = audit.records(session, request_id=request_id, after_seq=after_seq, limit=TIMELINE_PAGE)
        records.extend(page)
        if len(page) < TIMELINE_PAGE:
            return MarkedRecords(_marking(request), records)
        after_seq = page[-1]["seq"]
