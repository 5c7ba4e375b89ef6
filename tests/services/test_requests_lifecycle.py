"""Requests, answers and deployments through the services: each rule of Art. 3 as a short story."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from atlas_coord.models import AssistanceRequest, AuditRecord, Deployment, Event, RequestAddressee, Unit
from atlas_coord.services import deployments, matching, requests
from atlas_coord.services.errors import Conflict, Forbidden
from atlas_coord.services.requests import commands as sr
from atlas_coord.services.transitions import GuardRefused, TransitionRefused
from tests.factories import (
    accept_with,
    deployment_steps,
    in_hours,
    raise_request,
    signed_in,
    unit_id,
)


def status_of(database, model, row_id) -> str:
    with database.transaction() as session:
        return session.get(model, row_id).status


def readiness_of(database, key: str) -> str:
    with database.transaction() as session:
        return session.scalar(sa.select(Unit.readiness_status).where(Unit.key == key))


# ---------------------------------------------------------------- raising and submitting


def test_a_draft_waits_and_submitting_it_sends_one_pending_answer_to_each_addressed_state(database):
    request_id = raise_request(database, submit=False)
    assert status_of(database, AssistanceRequest, request_id) == "DRAFT"

    with signed_in(database, "demo-cc-be") as (session, actor):
        requests.submit_request(session, actor, request_id)

    with database.transaction() as session:
        request = session.get(AssistanceRequest, request_id)
        assert request.status == "SUBMITTED"
        assert {(a.state_code, a.status) for a in request.addressees} == {
            ("AT", "PENDING"), ("DE", "PENDING"), ("FR", "PENDING"), ("NL", "PENDING")
        }


def test_submitting_twice_is_an_illegal_transition_naming_what_is_allowed(database):
    request_id = raise_request(database)
    with pytest.raises(TransitionRefused) as refused, signed_in(database, "demo-cc-be") as (session, actor):
        requests.submit_request(session, actor, request_id)
    assert refused.value.status == 409
    assert refused.value.extra == {"current": "SUBMITTED", "allowed": ["withdraw"]}


def test_address_all_reaches_every_participating_state_except_the_requester(database):
    request_id = raise_request(database, addressees=[], address_all=True)
    with database.transaction() as session:
        states = {a.state_code for a in session.get(AssistanceRequest, request_id).addressees}
    assert "BE" not in states
    assert {"FR", "DE", "NL", "AT", "NO", "CH"} <= states


def test_submission_freezes_the_matching_services_ranking_snapshot(database, monkeypatch):
    monkeypatch.setattr(matching, "snapshot_for_request", lambda session, settings, request: {
        "inputs": {"requirements": [r.capability_code for r in request.requirements]},
        "ranking": [{"unit": "fr-gign", "score": 0.93}],
    })

    request_id = raise_request(database)

    with database.transaction() as session:
        request = session.get(AssistanceRequest, request_id)
        snapshot, shown_as_frozen = request.ranking_snapshot, request.has_ranking_snapshot
    assert snapshot == {"inputs": {"requirements": ["ENV_AIRCRAFT", "NEG"]},
                        "ranking": [{"unit": "fr-gign", "score": 0.93}]}
    assert shown_as_frozen is True


def test_a_draft_has_no_frozen_ranking(database):
    request_id = raise_request(database, submit=False)
    with database.transaction() as session:
        request = session.get(AssistanceRequest, request_id)
        assert (request.status, request.has_ranking_snapshot, request.ranking_snapshot) == ("DRAFT", False, None)


def test_a_failing_ranking_leaves_the_snapshot_empty_and_submission_still_works(database, monkeypatch):
    def broken(session, settings, request):
        raise RuntimeError("the ranking failed")

    monkeypatch.setattr(matching, "snapshot_for_request", broken)
    request_id = raise_request(database)
    with database.transaction() as session:
        request = session.get(AssistanceRequest, request_id)
        assert request.status == "SUBMITTED"
        assert request.ranking_snapshot is None
        # Stored as SQL NULL, so the request's page says so without loading the column.
        assert request.has_ranking_snapshot is False
        assert session.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest)
                              .where(AssistanceRequest.id == request_id, AssistanceRequest.ranking_snapshot.is_(None))) == 1


# ---------------------------------------------------------------- answers


def test_accepting_alerts_one_deployment_per_unit_offered(database):
    request_id = raise_request(database)
    deployment_ids = accept_with(database, request_id, "DE", "de-gsg9", "de-sek-bw")
    with database.transaction() as session:
        rows = [session.get(Deployment, d) for d in deployment_ids]
        assert [(r.unit.key, r.status) for r in rows] == [("de-gsg9", "ALERTED"), ("de-sek-bw", "ALERTED")]
        answer = session.scalar(sa.select(RequestAddressee).where(RequestAddressee.request_id == request_id,
                                                                  RequestAddressee.state_code == "DE"))
        assert answer.status == "ACCEPTED"
        assert answer.seen_at is not None, "answering also acknowledges the request"


def test_a_counter_proposal_accepted_by_the_requester_alerts_its_units_with_the_reduced_headcount(database):
    request_id = raise_request(database)
    with signed_in(database, "demo-ca-at") as (session, actor):
        counter = sr.AnswerCounter.model_validate({"counter": {
            "kinds": ["fewer_personnel", "later_arrival"],
            "units": [unit_id(session, "at-eko-cobra")],
            "personnel": 12,
            "arrival_at": in_hours(8),
            "text": "One assault team of 12 instead of two, arriving after the night shift handover.",
        }})
        requests.counter_propose(session, actor, request_id, "AT", counter)
    with signed_in(database, "demo-cc-be") as (session, actor):
        requests.decide_counter(session, actor, request_id, "AT", accept_it=True, data=sr.CounterDecision())

    with database.transaction() as session:
        deployment = session.scalar(sa.select(Deployment).where(Deployment.request_id == request_id))
        assert (deployment.unit.key, deployment.status, deployment.headcount) == ("at-eko-cobra", "ALERTED", 12)
        answer = session.get(RequestAddressee, deployment.addressee_id)
        assert answer.status == "COUNTER_ACCEPTED"
        assert answer.counter_kinds == ["fewer_personnel", "later_arrival"]


def test_a_rejected_counter_proposal_alerts_nobody(database):
    request_id = raise_request(database)
    with signed_in(database, "demo-ca-at") as (session, actor):
        counter = sr.AnswerCounter.model_validate({"counter": {
            "kinds": ["other_assistance_kind"], "assistance_kinds": ["EXPERTISE"],
            "units": [unit_id(session, "at-eko-cobra")], "text": "Negotiators and advisers only."}})
        requests.counter_propose(session, actor, request_id, "AT", counter)
    with signed_in(database, "demo-cc-be") as (session, actor):
        requests.decide_counter(session, actor, request_id, "AT", accept_it=False,
                                data=sr.CounterDecision(reason="We need an assault capability."))
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Deployment)) == 0


@pytest.mark.parametrize(
    ("username", "call"),
    [
        # Belgium cannot answer for France; France's crisis centre is not its competent authority.
        ("demo-ca-be", lambda s, a, rid, units: requests.accept(s, a, rid, "FR", sr.AnswerAccept(units=units))),
        ("demo-cc-fr", lambda s, a, rid, units: requests.accept(s, a, rid, "FR", sr.AnswerAccept(units=units))),
        # Only the requester decides on a counter-proposal; France cannot withdraw Belgium's request.
        ("demo-ca-fr", lambda s, a, rid, units: requests.withdraw_request(s, a, rid, sr.RequestWithdraw())),
    ],
)
def test_the_wrong_party_is_forbidden(database, username, call):
    request_id = raise_request(database)
    with pytest.raises(Forbidden), signed_in(database, username) as (session, actor):
        call(session, actor, request_id, [unit_id(session, "fr-gign")])


def test_a_unit_committed_elsewhere_cannot_be_offered(database):
    first = raise_request(database)
    [deployment] = accept_with(database, first, "FR", "fr-gign")
    deployment_steps(database, first, deployment, "demo-cmd-fr", "accept")
    second = raise_request(database)
    with pytest.raises(Conflict) as conflict:
        accept_with(database, second, "FR", "fr-gign")
    assert conflict.value.fields == {"units.0": "unit is COMMITTED"}


# ---------------------------------------------------------------- deployments and readiness


def test_readiness_follows_the_deployment_and_returns_to_what_it_was(database):
    with signed_in(database, "demo-cmd-fr") as (session, actor):
        from atlas_coord.services import directory
        from atlas_coord.services.directory_commands import ReadinessUpdate

        gign = unit_id(session, "fr-gign")
        directory.set_readiness(session, actor, gign, ReadinessUpdate(status="LIMITED", reason="one team abroad"))
    request_id = raise_request(database)
    [deployment] = accept_with(database, request_id, "FR", "fr-gign")
    assert readiness_of(database, "fr-gign") == "LIMITED", "an alert alone does not commit the unit"

    deployment_steps(database, request_id, deployment, "demo-cmd-fr", "accept", "mobilise", "depart", "arrive")
    assert readiness_of(database, "fr-gign") == "COMMITTED"
    deployment_steps(database, request_id, deployment, "demo-cmd-fr", "stand_down", "return_home")

    assert readiness_of(database, "fr-gign") == "LIMITED"
    with database.transaction() as session:
        row = session.get(Deployment, deployment)
        assert (row.status, row.previous_readiness, row.on_scene_commander) == (
            "RETURNED", "LIMITED", "Commissaire divisionnaire Peeters")


def test_the_request_is_partially_met_then_met_as_commanders_accept(database):
    # ENV_AIRCRAFT x2 and NEG x4: GIGN alone brings 8 negotiators but only one aircraft team.
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    [cobra] = accept_with(database, request_id, "AT", "at-eko-cobra")
    assert status_of(database, AssistanceRequest, request_id) == "SUBMITTED", "answers alone meet nothing"

    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept")
    assert status_of(database, AssistanceRequest, request_id) == "PARTIALLY_MET"
    deployment_steps(database, request_id, cobra, "demo-cmd-at", "accept")
    assert status_of(database, AssistanceRequest, request_id) == "MET"

    with signed_in(database, "demo-ca-at") as (session, actor):
        deployments.recall(session, actor, request_id, cobra, sr.DeploymentRecall(reason="Needed at home."))
    assert status_of(database, AssistanceRequest, request_id) == "PARTIALLY_MET"
    assert readiness_of(database, "at-eko-cobra") == "COMMITTED", "a recalled unit is committed until it is back"
    deployment_steps(database, request_id, cobra, "demo-cmd-at", "return_home")
    assert readiness_of(database, "at-eko-cobra") == "READY"


def test_a_commander_cannot_move_another_states_unit(database):
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    accept_with(database, request_id, "DE", "de-gsg9")  # so GSG 9's commander sees the request
    with pytest.raises(Forbidden):
        deployment_steps(database, request_id, gign, "demo-cmd-de", "accept")


def test_skipping_a_stage_is_refused_with_the_allowed_next_steps(database):
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    with pytest.raises(TransitionRefused) as refused:
        deployment_steps(database, request_id, gign, "demo-cmd-fr", "arrive")
    assert refused.value.extra == {"current": "ALERTED", "allowed": ["unit_accept", "unit_decline"]}


def test_units_of_a_withdrawn_request_can_no_longer_accept(database):
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    with signed_in(database, "demo-cc-be") as (session, actor):
        requests.withdraw_request(session, actor, request_id, sr.RequestWithdraw(reason="Resolved by negotiation."))
    with pytest.raises(GuardRefused):
        deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept")
    with signed_in(database, "demo-cmd-fr") as (session, actor):
        deployments.decline(session, actor, request_id, gign, sr.DeploymentDecline(reason="Request withdrawn."))
    assert status_of(database, Deployment, gign) == "DECLINED"


def test_an_extension_must_end_later_than_the_current_end(database):
    from atlas_coord.services.errors import Invalid

    request_id = raise_request(database, needed_by=in_hours(2), duration_hours=24)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    with pytest.raises(Invalid) as invalid, signed_in(database, "demo-cc-be") as (session, actor):
        deployments.extend(session, actor, request_id, gign, sr.DeploymentExtend.model_validate({"until": in_hours(20)}))
    assert "until" in invalid.value.fields

    with signed_in(database, "demo-cc-be") as (session, actor):
        deployments.extend(session, actor, request_id, gign, sr.DeploymentExtend.model_validate({"until": in_hours(72)}))
    assert status_of(database, Deployment, gign) == "MOBILISING", "extending keeps the stage"


def test_closing_needs_every_unit_back_and_the_costs_settled(database):
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    deployment_steps(database, request_id, gign, "demo-cmd-fr", "accept", "mobilise")
    with pytest.raises(GuardRefused) as refused, signed_in(database, "demo-cc-be") as (session, actor):
        requests.close_request(session, actor, request_id)
    assert refused.value.extra["guard"] == "all_deployments_finished_and_costs_settled"
    assert status_of(database, AssistanceRequest, request_id) == "PARTIALLY_MET"


# ---------------------------------------------------------------- audit and events


def test_every_change_is_audited_and_published_to_the_requests_rooms(database):
    request_id = raise_request(database)
    accept_with(database, request_id, "FR", "fr-gign")

    with database.transaction() as session:
        actions = list(session.scalars(
            sa.select(AuditRecord.action).where(AuditRecord.request_id == request_id).order_by(AuditRecord.seq)
        ))
        answer_event = session.scalar(sa.select(Event).where(Event.type == "answer.given"))
        gign_unit = unit_id(session, "fr-gign")
    assert actions == ["crisis.create", "request.create", "request.submit", "answer.accept", "deployment.alert"]
    assert answer_event.data == {"request_id": request_id, "state": "FR", "status": "ACCEPTED",
                                 "units": [gign_unit], "version": 2, "marking": "RESTREINT UE/EU RESTRICTED"}
    assert set(answer_event.audience) == {
        "observers", f"request:{request_id}", f"unit:{gign_unit}",
        "requests:BE", "requests:FR", "requests:DE", "requests:NL", "requests:AT",
    }


def test_a_draft_is_announced_to_the_requesting_state_only(database):
    request_id = raise_request(database, submit=False)
    with database.transaction() as session:
        event = session.scalar(sa.select(Event).where(Event.type == "request.created"))
    assert set(event.audience) == {"observers", "requests:BE", f"request:{request_id}"}
