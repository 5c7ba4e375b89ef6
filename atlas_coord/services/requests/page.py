"""A request's page (``GET /requests/<id>``) read as plain rows.

The page is the API's most called read after the list. Loaded as ORM objects (the request, its
crisis, requirements, about twenty answers with their arrangements and offered units, the
deployments with their units) it cost about 15 ms of CPU a call, most of it building and
tracking objects nobody changes (issue #18, docs/performance.md). Here each part is one Core
statement, and each row becomes a namespace with the mapped attributes' names, so the one
serialiser (``serializers.requests.RequestOut.of``) and the one need-to-know rule
(``services.visibility.is_visible``) read it as they read the ORM request.
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.geo import GeoPoint
from atlas_coord.models import (
    Arrangement,
    AssistanceRequest,
    Crisis,
    Deployment,
    OfferedUnit,
    RequestAddressee,
    RequestRequirement,
    Unit,
)
from atlas_coord.policy import Actor

from ..child_rows import labelled_columns, split_prefixed
from ..visibility import hidden_request, is_visible

# Built once, the request's id bound at each call (see child_rows.ChildRows for why).
_ID = sa.bindparam("request_id")
_REQUEST = sa.select(
    *labelled_columns(AssistanceRequest, leave_out=frozenset({"ranking_snapshot", "has_ranking_snapshot"})),
    # The page says only whether a ranking was frozen: tens of kB of JSON are not read for that.
    AssistanceRequest.ranking_snapshot.is_not(None).label("has_ranking_snapshot"),
    *labelled_columns(Crisis, "crisis__"),
).join(Crisis, Crisis.id == AssistanceRequest.crisis_id).where(AssistanceRequest.id == _ID)
_ANSWERS = sa.select(*labelled_columns(RequestAddressee), *labelled_columns(Arrangement, "arrangement__")).outerjoin(
    Arrangement, Arrangement.addressee_id == RequestAddressee.id).where(RequestAddressee.request_id == _ID).order_by(
    RequestAddressee.state_code)
_OFFERED = sa.select(OfferedUnit.addressee_id, OfferedUnit.unit_id).join(
    RequestAddressee, RequestAddressee.id == OfferedUnit.addressee_id).where(RequestAddressee.request_id == _ID).order_by(
    OfferedUnit.unit_id)
_REQUIREMENTS = sa.select(RequestRequirement.capability_code, RequestRequirement.quantity,
                          RequestRequirement.min_level).where(RequestRequirement.request_id == _ID).order_by(
    RequestRequirement.position)
_DEPLOYMENTS = sa.select(
    *labelled_columns(Deployment),
    # What the page names a unit by; the directory's other columns would only be described and dropped.
    *(column.label(f"unit__{column.key}") for column in (Unit.id, Unit.key, Unit.name, Unit.state_code)),
).join(
    Unit, Unit.id == Deployment.unit_id).where(Deployment.request_id == _ID).order_by(Deployment.id)


def request_page(session: Session, actor: Actor, request_id: int) -> SimpleNamespace:
    """The request with its crisis, requirements, answers (each with its offered units and
    arrangements) and deployments (each with its unit), as ``RequestOut.of`` reads them.

    :raise NotFound: unknown, or not the actor's business (the same answer).
    """
    bound = {"request_id": request_id}
    head = session.execute(_REQUEST, bound).mappings().first()
    if head is None:
        raise hidden_request(request_id)
    own, crisis = split_prefixed(head, "crisis__")
    answers = []
    for row in session.execute(_ANSWERS, bound).mappings():
        answer, arrangement = split_prefixed(row, "arrangement__")
        answers.append(SimpleNamespace(
            **answer, offered_units=[],
            arrangement=SimpleNamespace(**arrangement) if arrangement["id"] is not None else None))
    page = SimpleNamespace(**own, addressees=answers,
                           crisis=SimpleNamespace(**crisis, site=GeoPoint(crisis["site_lat"], crisis["site_lon"])))
    # The need-to-know rule reads the requesting and the addressed States: nothing more is read
    # for a request the actor may not know of.
    if not is_visible(session, actor, page):
        raise hidden_request(request_id)
    by_id = {answer.id: answer for answer in answers}
    for offered in session.execute(_OFFERED, bound):
        by_id[offered.addressee_id].offered_units.append(offered)
    page.requirements = list(session.execute(_REQUIREMENTS, bound))
    page.deployments = []
    for row in session.execute(_DEPLOYMENTS, bound).mappings():
        deployment, unit = split_prefixed(row, "unit__")
        page.deployments.append(SimpleNamespace(**deployment, unit=SimpleNamespace(**unit)))
    return page
