"""Real concurrent transactions: of several people changing the same thing at once, exactly one wins.

Each contender runs in its own thread with its own session, and a barrier releases them together.
Every contender acts on what it saw before the race (``expected_version``), as a client showing
the record would. On SQLite, BEGIN IMMEDIATE serialises the transactions; on PostgreSQL
(``ATLAS_TEST_DATABASE_URL``) they truly overlap and the compare-and-set decides. Either way the
losers get 409 and leave nothing behind: the audit trail holds exactly one record of the change.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from atlas_coord.domain.fulfilment import deployment_holds_unit, recompute_request_status
from atlas_coord.domain.lifecycle import request_open
from atlas_coord.models import AssistanceRequest, AuditRecord, Deployment, ReadinessChange, RequestAddressee
from atlas_coord.services import audit, costs, deployments, directory, requests
from atlas_coord.services.directory_commands import ReadinessUpdate
from atlas_coord.services.errors import Conflict
from atlas_coord.services.requests import commands as sr
from atlas_coord.services.requests import lifecycle
from tests.factories import accept_with, actor_named, deployment_steps, in_hours, raise_request, unit_id

WON = "won"

Contender = tuple[str, Callable[..., Any]]  # (username, call(session, actor))


def race(database, contenders: list[Contender]) -> list[Any]:
    """Run every contender at once; return WON or the exception each one raised, in order."""
    with database.transaction() as session:
        actors = [actor_named(session, username) for username, _ in contenders]
    barrier = threading.Barrier(len(contenders))
    outcomes: list[Any] = [None] * len(contenders)

    def contend(index: int) -> None:
        call = contenders[index][1]
        session = database.session_factory()
        try:
            barrier.wait(timeout=30)
            call(session, actors[index])
            session.commit()
            outcomes[index] = WON
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            session.rollback()
            outcomes[index] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(contenders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a contender hung"
    return outcomes


def assert_one_winner(outcomes: list[Any]) -> int:
    """Exactly one WON; every other outcome is a 409. Returns the winner's index."""
    winners = [i for i, outcome in enumerate(outcomes) if outcome == WON]
    assert len(winners) == 1, outcomes
    for outcome in outcomes:
        if outcome != WON:
            assert isinstance(outcome, Conflict), repr(outcome)
            assert outcome.status == 409
    return winners[0]


def audit_actions(database, request_id: int, action: str) -> list[AuditRecord]:
    with database.transaction() as session:
        rows = list(session.scalars(
            sa.select(AuditRecord).where(AuditRecord.request_id == request_id, AuditRecord.action == action)
        ))
        assert audit.verify(session).ok
        return rows


ROUNDS = [pytest.param(n, id=f"round-{n}") for n in range(3)]


@pytest.mark.parametrize("round_", ROUNDS)
def test_commanders_accepting_the_same_deployment_at_once_one_wins(database, round_):
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")

    def accept(session, actor):
        deployments.accept(session, actor, request_id, gign, sr.DeploymentAccept(expected_version=1))

    # The same commander signed in twice (two consoles), plus two more sessions of them.
    outcomes = race(database, [("demo-cmd-fr", accept)] * 4)

    assert_one_winner(outcomes)
    with database.transaction() as session:
        assert session.get(Deployment, gign).status == "ACCEPTED"
        gign_unit = unit_id(session, "fr-gign")
        readiness_changes = session.scalar(
            sa.select(sa.func.count()).select_from(ReadinessChange).where(ReadinessChange.unit_id == gign_unit)
        )
    assert len(audit_actions(database, request_id, "deployment.unit_accept")) == 1
    assert readiness_changes == 1, "the unit was committed once"


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_state_answering_twice_at_once_records_one_answer(database, round_):
    request_id = raise_request(database)
    with database.transaction() as session:
        gign, raid = unit_id(session, "fr-gign"), unit_id(session, "fr-raid")

    def accept_with_gign(session, actor):
        requests.accept(session, actor, request_id, "FR", sr.AnswerAccept(units=[gign], expected_version=1))

    def accept_with_raid(session, actor):
        requests.accept(session, actor, request_id, "FR", sr.AnswerAccept(units=[raid], expected_version=1))

    def refuse(session, actor):
        requests.refuse(session, actor, request_id, "FR", sr.AnswerRefuse(reason="Both units committed.",
                                                                          expected_version=1))

    outcomes = race(database, [("demo-ca-fr", accept_with_gign), ("demo-ca-fr", accept_with_raid),
                               ("demo-ca-fr", refuse)])

    winner = assert_one_winner(outcomes)
    with database.transaction() as session:
        answer = session.scalar(sa.select(RequestAddressee).where(RequestAddressee.request_id == request_id,
                                                                  RequestAddressee.state_code == "FR"))
        deployed = list(session.scalars(sa.select(Deployment.unit_id).where(Deployment.request_id == request_id)))
    expected = [("ACCEPTED", [gign]), ("ACCEPTED", [raid]), ("REFUSED", [])][winner]
    assert (answer.status, deployed) == expected
    assert answer.version == 2
    answers = [r for action in ("answer.accept", "answer.refuse") for r in audit_actions(database, request_id, action)]
    assert len(answers) == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_an_answer_racing_a_withdrawal_one_wins(database, round_):
    request_id = raise_request(database)
    with database.transaction() as session:
        request_version = session.get(AssistanceRequest, request_id).version
        gign = unit_id(session, "fr-gign")

    def answer(session, actor):
        requests.accept(session, actor, request_id, "FR", sr.AnswerAccept(units=[gign], expected_version=1))

    def withdraw(session, actor):
        requests.withdraw_request(session, actor, request_id, sr.RequestWithdraw(
            reason="The hijackers surrendered.", expected_version=request_version))

    outcomes = race(database, [("demo-ca-fr", answer), ("demo-cc-be", withdraw)])

    winner = assert_one_winner(outcomes)
    with database.transaction() as session:
        request = session.get(AssistanceRequest, request_id)
        answer_row = session.scalar(sa.select(RequestAddressee).where(RequestAddressee.request_id == request_id,
                                                                      RequestAddressee.state_code == "FR"))
        alerted = session.scalar(sa.select(sa.func.count()).select_from(Deployment)
                                 .where(Deployment.request_id == request_id))
    accepted = len(audit_actions(database, request_id, "answer.accept"))
    withdrawn = len(audit_actions(database, request_id, "request.withdraw"))
    if winner == 0:
        assert (answer_row.status, request.status, alerted, accepted, withdrawn) == ("ACCEPTED", "SUBMITTED", 1, 1, 0)
    else:
        assert (answer_row.status, request.status, alerted, accepted, withdrawn) == ("LAPSED", "WITHDRAWN", 0, 0, 1)  # issue #16: it lapses


def test_answers_of_different_states_at_once_all_succeed(database):
    """The request lock serialises them; none is a conflict, because none changes the same thing."""
    request_id = raise_request(database)
    with database.transaction() as session:
        units = {state: unit_id(session, key) for state, key in
                 (("FR", "fr-gign"), ("DE", "de-gsg9"), ("AT", "at-eko-cobra"))}

    def answer_for(state):
        def call(session, actor):
            requests.accept(session, actor, request_id, state, sr.AnswerAccept(units=[units[state]]))
        return call

    def refuse_nl(session, actor):
        requests.refuse(session, actor, request_id, "NL", sr.AnswerRefuse(reason="DSI committed at home."))

    outcomes = race(database, [("demo-ca-fr", answer_for("FR")), ("demo-ca-de", answer_for("DE")),
                               ("demo-ca-at", answer_for("AT")), ("demo-ca-nl", refuse_nl)])

    assert outcomes == [WON] * 4
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Deployment)) == 3
        assert session.get(AssistanceRequest, request_id).version == 1 + 1 + 4  # created, submitted, 4 answers


def test_commanders_of_different_units_accepting_at_once_make_the_request_met(database):
    """Two acceptances at once must both count: the request status is worked out under the request lock."""
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    [cobra] = accept_with(database, request_id, "AT", "at-eko-cobra")

    def accept(deployment_id):
        def call(session, actor):
            deployments.accept(session, actor, request_id, deployment_id, sr.DeploymentAccept())
        return call

    outcomes = race(database, [("demo-cmd-fr", accept(gign)), ("demo-cmd-at", accept(cobra))])

    assert outcomes == [WON, WON]
    with database.transaction() as session:
        assert session.get(AssistanceRequest, request_id).status == "MET"


@pytest.mark.parametrize("round_", ROUNDS[:2])
def test_a_burst_of_different_changes_to_one_request_never_deadlocks_and_stays_consistent(database, round_):
    """Everyone acts on the same request at once, in a shuffled order: commanders, authorities,
    the requester and a readiness report. Each change wins or gets 409 (never a deadlock or a
    database error), the chain verifies, and readiness and the request status agree with the
    deployments."""
    request_id = raise_request(database)
    [gign] = accept_with(database, request_id, "FR", "fr-gign")
    [cobra] = accept_with(database, request_id, "AT", "at-eko-cobra")
    deployment_steps(database, request_id, cobra, "demo-cmd-at", "accept", "mobilise")
    with database.transaction() as session:
        units = {key: unit_id(session, key) for key in ("fr-gign", "de-gsg9")}
        seen_version = session.get(AssistanceRequest, request_id).version

    contenders: list[Contender] = [
        ("demo-cmd-fr", lambda s, a: deployments.accept(s, a, request_id, gign, sr.DeploymentAccept())),
        ("demo-cmd-fr", lambda s, a: directory.set_readiness(
            s, a, units["fr-gign"], ReadinessUpdate(status="LIMITED", reason="one team on leave"))),
        ("demo-ca-de", lambda s, a: requests.accept(s, a, request_id, "DE", sr.AnswerAccept(units=[units["de-gsg9"]]))),
        ("demo-ca-nl", lambda s, a: requests.mark_seen(s, a, request_id)),
        ("demo-ca-nl", lambda s, a: requests.refuse(s, a, request_id, "NL", sr.AnswerRefuse(reason="Committed."))),
        ("demo-cc-be", lambda s, a: requests.withdraw_request(
            s, a, request_id, sr.RequestWithdraw(expected_version=seen_version))),
        ("demo-ca-at", lambda s, a: costs.record_cost(
            s, a, request_id, cobra, sr.CostItemIn(category="TRANSPORT", currency="EUR", amount_minor=50_000))),
        ("demo-cc-be", lambda s, a: requests.record_arrangement(s, a, request_id, "AT", sr.ArrangementIn())),
        ("demo-ca-at", lambda s, a: deployments.recall(s, a, request_id, cobra, sr.DeploymentRecall(reason="Needed home."))),
        ("demo-cmd-at", lambda s, a: deployments.depart(
            s, a, request_id, cobra, sr.DeploymentDepart.model_validate({"eta": in_hours(2)}))),
    ]
    random.Random(round_).shuffle(contenders)

    outcomes = race(database, contenders)

    for outcome in outcomes:
        assert outcome == WON or (isinstance(outcome, Conflict) and outcome.status == 409), repr(outcome)
    with database.transaction() as session:
        assert audit.verify(session).ok
        request = session.get(AssistanceRequest, request_id)
        for deployment in request.deployments:
            holds = deployment_holds_unit(deployment.status)
            assert (deployment.unit.readiness_status == "COMMITTED") is holds, deployment.unit.key
        if request_open(request.status):
            required = {r.capability_code: r.quantity for r in request.requirements}
            provided = lifecycle.provided_capabilities(session, request)
            assert recompute_request_status(request.status, required, provided) == request.status
