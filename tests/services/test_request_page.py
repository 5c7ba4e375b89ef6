"""A request's page is read as plain rows (issue #18): it must show exactly what the request's
rows say, for every part a user reads there, and hide the request from whoever may not know of it."""

from __future__ import annotations

import pytest

from atlas_coord.models import AssistanceRequest
from atlas_coord.serializers.requests import RequestOut
from atlas_coord.services import requests
from atlas_coord.services.errors import NotFound
from atlas_coord.services.requests import commands as sr
from atlas_coord.services.requests.page import request_page
from tests.factories import accept_with, deployment_steps, raise_request, signed_in, unit_id


def as_the_orm_reads_it(session, request_id: int) -> dict:
    """The page as the ORM request's relations give it: what the page was before it read plain rows."""
    session.expire_all()
    return RequestOut.of(session.get(AssistanceRequest, request_id)).wire()


@pytest.fixture
def a_request_in_every_state_of_answer(database) -> int:
    """Belgium's request: France accepted with GIGN (deployed, on its way, arrangements recorded),
    Germany proposed GSG 9 instead, the Netherlands refused, Austria has not answered."""
    request_id = raise_request(database, "demo-cc-be")
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise", "depart")
    with signed_in(database, "demo-ca-de") as (session, actor):
        counter = sr.CounterProposalIn(kinds=["other_units"], units=[unit_id(session, "de-gsg9")],
                                       text="GSG 9 instead of the Berlin team.")
        requests.counter_propose(session, actor, request_id, "DE", sr.AnswerCounter(counter=counter))
    with signed_in(database, "demo-ca-nl") as (session, actor):
        requests.refuse(session, actor, request_id, "NL", sr.AnswerRefuse(reason="Our team is committed at home."))
    with signed_in(database, "demo-cc-be") as (session, actor):
        requests.record_arrangement(session, actor, request_id, "FR", sr.ArrangementIn.model_validate({
            "weapons_manifest": [{"item": "HK416", "category": "weapon", "quantity": 12}],
            "liaison_officer": {"name": "Cdt. Demo Liaison", "phone": "+33 1 00 00 00 00"},
            "cost_terms": {"overrides": {"transport": "sending"}, "note": "Transport borne by France."},
        }))
    return request_id


def test_the_page_shows_what_the_request_rows_say(database, a_request_in_every_state_of_answer):
    request_id = a_request_in_every_state_of_answer
    with signed_in(database, "demo-cc-be") as (session, actor):
        page = RequestOut.of(request_page(session, actor, request_id)).wire()
        assert page == as_the_orm_reads_it(session, request_id)
    answers = {answer["state"]: answer for answer in page["answers"]}
    assert {state: answer["status"] for state, answer in answers.items()} == {
        "AT": "PENDING", "DE": "COUNTER_PROPOSED", "FR": "ACCEPTED", "NL": "REFUSED"}
    assert answers["FR"]["arrangement"]["recorded"] and answers["FR"]["arrangement"]["weapons_manifest"][0]["item"] == "HK416"
    assert not answers["AT"]["arrangement"]["recorded"] and "updated_at" not in answers["AT"]["arrangement"]
    assert answers["DE"]["counter"]["text"] == "GSG 9 instead of the Berlin team." and answers["DE"]["units"]
    [deployment] = page["deployments"]
    assert deployment["unit"]["key"] == "fr-gign" and deployment["status"] == "EN_ROUTE" and deployment["eta"]
    assert page["has_ranking_snapshot"] is True
    assert [r["code"] for r in page["requirements"]] == ["ENV_AIRCRAFT", "NEG"]
    assert page["crisis"]["site"]["lat"] and page["crisis"]["marking"]


def test_a_draft_page_has_no_answers_and_no_frozen_ranking(database):
    request_id = raise_request(database, "demo-cc-be", submit=False)
    with signed_in(database, "demo-cc-be") as (session, actor):
        page = RequestOut.of(request_page(session, actor, request_id)).wire()
        assert page == as_the_orm_reads_it(session, request_id)
    assert page["status"] == "DRAFT" and page["answers"] == [] and page["deployments"] == []
    assert page["has_ranking_snapshot"] is False and page["addressed_states"] == ["FR", "DE", "NL", "AT"]


def test_a_state_not_addressed_gets_the_same_not_found_as_for_no_such_request(database):
    request_id = raise_request(database, "demo-cc-be", addressees=["FR"])
    with signed_in(database, "demo-ca-de") as (session, actor):
        with pytest.raises(NotFound) as hidden:
            request_page(session, actor, request_id)
        with pytest.raises(NotFound) as missing:
            request_page(session, actor, request_id + 1000)
    assert hidden.value.fields == missing.value.fields == {"request_id": "unknown request"}
    assert str(hidden.value) == f"request {request_id} not found"


def test_the_commander_of_an_offered_unit_may_read_the_page(database, a_request_in_every_state_of_answer):
    """Germany's counter-proposal offers GSG 9: its commander reads the request, not only the States."""
    with signed_in(database, "demo-cmd-de") as (session, actor):
        page = RequestOut.of(request_page(session, actor, a_request_in_every_state_of_answer)).wire()
    assert page["id"] == a_request_in_every_state_of_answer
