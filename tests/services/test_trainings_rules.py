"""The planning rules as the training service applies them: only what a plan adds is reported,
coverage of the capitals uses the ranking engine's ETA, and the configuration decides what is
critical."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from atlas_coord.services import trainings
from atlas_coord.services.coverage import live as coverage_live
from atlas_coord.services.errors import Forbidden
from atlas_coord.services.trainings.commands import TrainingCreate
from tests.conftest import app_settings
from tests.factories import demo_actor, training_payload, unit_id

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)


def plan(database, settings, username="demo-planner", **overrides):
    """Plan through the service; returns the saved training id, or raises what the service raises."""
    with database.transaction() as s:
        data = TrainingCreate.model_validate(training_payload(**overrides))
        return trainings.create_training(s, demo_actor(s, username), settings, data, now=NOW).training.id


def check(database, settings, **overrides):
    with database.transaction() as s:
        data = TrainingCreate.model_validate(training_payload(**overrides))
        return trainings.check_plan(s, demo_actor(s, "demo-planner"), settings, data, now=NOW)


def ids(database, *keys):
    with database.transaction() as s:
        return [unit_id(s, k) for k in keys]


@pytest.fixture
def settings(db_url):
    return app_settings(db_url)


def test_a_state_already_without_a_ready_unit_is_not_blamed_on_the_plan(database, settings):
    """The DSU reports LIMITED (half its team on leave): Belgium has no READY unit anyway, so an
    exercise with the DSU adds nothing to that and is not blocked by the readiness guard."""
    (dsu,) = ids(database, "be-dsu")
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'LIMITED' WHERE id = :id"), {"id": dsu})

    assessment = check(database, settings, host_unit_id=dsu)

    assert [c for c in assessment.conflicts if c.kind == "readiness_guard"] == []


def test_only_the_hours_a_second_exercise_adds_are_reported(database, settings):
    """A morning exercise (08:00-12:00 Brussels) was saved with an override; an afternoon one
    from 10:00 to 16:00 adds Belgium's gap from 12:00 to 16:00 only, and the DSU is double-booked
    from 10:00 to 12:00."""
    (dsu,) = ids(database, "be-dsu")
    plan(database, settings, host_unit_id=dsu, end_local="2027-03-10T12:00",
         override_reason="standby team in Brussels all morning")

    assessment = check(database, settings, host_unit_id=dsu, title="Afternoon", start_local="2027-03-10T10:00")

    aircraft = [c for c in assessment.conflicts if c.capability == "ENV_AIRCRAFT"]
    assert [(c.window_start.hour, c.window_end.hour) for c in aircraft] == [(11, 15)]  # UTC
    assert aircraft[0].message.startswith("Belgium would have no READY unit with ENV_AIRCRAFT from 2027-03-10 11:00")
    (overlap,) = [c for c in assessment.conflicts if c.kind == "unit_overlap"]
    assert (overlap.unit_id, overlap.figure) == (dsu, 120)


def test_the_configured_critical_capabilities_replace_the_states_own(database, db_url):
    (dsu,) = ids(database, "be-dsu")
    settings = app_settings(db_url, training={"critical_capabilities": {"BE": ["K9"]}})

    assessment = check(database, settings, host_unit_id=dsu)

    assert {(c.state, c.capability) for c in assessment.conflicts if c.kind == "readiness_guard"} == {("BE", "K9")}


def test_a_capital_out_of_reach_blocks_the_plan_and_only_a_network_planner_may_override(database, db_url):
    """With a 50-minute threshold, Brussels has no other unit close enough while the DSU trains (the
    guard reads the coverage map's 50 km cell holding Brussels, centred 22 km south of the city: the
    DSU needs 46 min there, the next unit three hours).
    The Belgian planner may override Belgium's own gaps but not the network's coverage."""
    (dsu,) = ids(database, "be-dsu")
    settings = app_settings(db_url, training={"coverage_threshold_minutes": 50, "critical_capabilities": {"BE": []}})

    assessment = check(database, settings, host_unit_id=dsu)

    brussels = [c for c in assessment.conflicts if c.point == "Brussels"]
    assert brussels
    assert {c.kind for c in brussels} == {"coverage_threshold"}
    aircraft = next(c for c in brussels if c.capability == "ENV_AIRCRAFT")
    assert aircraft.figure == "no capable unit" or float(aircraft.figure) > 50
    assert aircraft.details["threshold_min"] == 50
    reason = "a reinforced standby team from the Federal Police is in Brussels"
    with pytest.raises(Forbidden):
        plan(database, settings, "demo-planner-be", host_unit_id=dsu, override_reason=reason)
    assert plan(database, settings, "demo-planner", host_unit_id=dsu, override_reason=reason)


def test_coverage_reads_the_coverage_maps_computation(database, settings, monkeypatch):
    """The guard's minutes come from the coverage map's one function (``unit_cell_minutes``: notice to
    move + the transport model, with each state's airlift), at the cells holding the capitals. A fake
    one says every unit but the DSU needs 300 minutes anywhere."""
    (dsu,) = ids(database, "be-dsu")
    calls = []

    def fake(units, grid, transport, airlift):
        calls.append((grid, transport, airlift))
        return np.array([[10.0 if u.id == dsu else 300.0] * grid.n for u in units], dtype=np.float32)

    monkeypatch.setattr(coverage_live, "unit_cell_minutes", fake)

    assessment = check(database, settings, host_unit_id=dsu)

    brussels = next(c for c in assessment.conflicts if c.point == "Brussels" and c.capability == "ENV_AIRCRAFT")
    assert brussels.figure == 300.0
    assert "the first available unit with ENV_AIRCRAFT would need 300 min" in brussels.message
    grid, transport, airlift = calls[0]
    assert type(transport).__name__ == "TransportParams"
    assert "BE" in airlift  # the seeded directory's airlift reaches the check
    assert grid.n <= 31  # only the capitals' cells


def test_a_unit_on_deployment_is_busy_from_now_with_no_planned_end(database, settings):
    gign, cobra = ids(database, "fr-gign", "at-eko-cobra")
    with database.transaction() as s:
        s.execute(sa.text("UPDATE unit SET readiness_status = 'COMMITTED' WHERE id = :id"), {"id": cobra})

    assessment = check(database, settings, host_unit_id=gign, kind="workshop", timezone="Europe/Paris",
                       invite_unit_ids=[cobra], rrule="FREQ=WEEKLY;COUNT=3")

    (deployed,) = assessment.conflicts
    assert (deployed.kind, deployed.unit_id) == ("unit_deployed", cobra)
    assert deployed.details["occurrences_affected"] == 3
    assert "with no planned return" in deployed.message


def test_a_long_series_is_checked_up_to_the_cap_and_says_so(database, settings):
    (gign,) = ids(database, "fr-gign")
    assessment = check(database, settings, host_unit_id=gign, kind="workshop", timezone="Europe/Paris",
                       rrule="FREQ=DAILY", start_local="2027-01-05T09:00", end_local="2027-01-05T10:00")
    assert len(assessment.occurrences) == trainings.MAX_CHECKED_OCCURRENCES
    assert any("only the first 500 occurrences" in w for w in assessment.warnings)


def test_a_unit_whose_commander_accepted_a_deployment_is_busy_but_an_alerted_one_is_not(database, settings):
    """Belgium asks for help with a hijacked aircraft; the Netherlands offers the DSI. While the DSI
    is only alerted it may still be invited; once its commander accepts, it is deployed."""
    from tests.factories import accept_with, deployment_steps, raise_request

    gign, dsi = ids(database, "fr-gign", "nl-dsi")
    request_id = raise_request(database)
    (deployment_id,) = accept_with(database, request_id, "NL", "nl-dsi")
    workshop = {"host_unit_id": gign, "kind": "workshop", "timezone": "Europe/Paris", "invite_unit_ids": [dsi]}

    with database.transaction() as s:
        assert dsi not in trainings.deployed_unit_ids(s)
    assert check(database, settings, **workshop).conflicts == []

    deployment_steps(database, request_id, deployment_id, "demo-cmd-nl", "accept")

    with database.transaction() as s:
        assert dsi in trainings.deployed_unit_ids(s)
    (deployed,) = check(database, settings, **workshop).conflicts
    assert (deployed.kind, deployed.unit_id) == ("unit_deployed", dsi)
