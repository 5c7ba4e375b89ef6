"""A server builds the coverage table as it starts, not on its first request; a restart reads it
back from ``[coverage] cache_dir`` unless the directory or the transport settings changed; the
scheduler builds none."""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from atlas_coord import create_app
from atlas_coord.models import AirliftAsset, Unit, UnitCapability, UnitStation
from atlas_coord.scheduler.jobs import dispatch_due
from atlas_coord.services import trainings
from atlas_coord.services.coverage import live
from atlas_coord.services.trainings.commands import TrainingCreate
from tests.conftest import Api, app_settings
from tests.factories import demo_actor, training_payload, unit_id

#: Generous: a wait that long means the build never ended (the tests do not measure time).
NEVER = 120


@pytest.fixture(autouse=True)
def fresh_worker(monkeypatch):
    """Each test is a worker that has built nothing yet."""
    monkeypatch.setattr(live, "_models", {})
    monkeypatch.setattr(live, "_builds", deque(maxlen=16))


def started_server(db_url, **coverage):
    app = create_app(app_settings(db_url, coverage={"prewarm": True, **coverage}))
    return app, app.extensions["atlas_coverage_prewarm"]


def threads_that_built() -> list[str]:
    return [build.thread for build in live.recent_builds()]


def test_the_first_map_request_after_start_up_finds_the_table_built(db_url):
    app, prewarm = started_server(db_url)
    prewarm.join(NEVER)
    assert not prewarm.is_alive()
    assert threads_that_built() == [live.PREWARM_THREAD]

    response = Api(app).get("/api/v1/coverage?format=grid", "demo-planner")

    assert response.status_code == 200, response.get_json()
    assert threads_that_built() == [live.PREWARM_THREAD]  # nothing built on the request's thread
    app.extensions["atlas_db"].dispose()


class WatchedLock:
    """``live._build_lock``, telling the test when a thread other than the start-up's waits for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.request_waiting = threading.Event()

    def __enter__(self):
        if threading.current_thread().name != live.PREWARM_THREAD:
            self.request_waiting.set()
        self.lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


def test_a_request_arriving_during_the_start_up_build_waits_for_it_and_builds_nothing(db_url, monkeypatch):
    building, finish = threading.Event(), threading.Event()
    compute = live.unit_cell_minutes

    def held_open(*args):  # the start-up build, held open until the request is waiting for it
        building.set()
        assert finish.wait(NEVER)
        return compute(*args)

    lock = WatchedLock()
    monkeypatch.setattr(live, "_build_lock", lock)
    monkeypatch.setattr(live, "unit_cell_minutes", held_open)
    app, prewarm = started_server(db_url)
    assert building.wait(NEVER)
    api = Api(app)
    api.token("demo-planner")  # signing in while the table builds: the database is not held by the build
    answers = []
    request = threading.Thread(target=lambda: answers.append(api.get("/api/v1/coverage?format=grid", "demo-planner")))
    request.start()
    assert lock.request_waiting.wait(NEVER)
    finish.set()
    request.join(NEVER)
    prewarm.join(NEVER)

    assert [r.status_code for r in answers] == [200]
    assert threads_that_built() == [live.PREWARM_THREAD]
    app.extensions["atlas_db"].dispose()


def test_tests_and_apps_with_prewarm_off_start_no_build(db_url):
    app = create_app(app_settings(db_url))
    assert "atlas_coverage_prewarm" not in app.extensions
    assert threads_that_built() == []
    app.extensions["atlas_db"].dispose()


def kept_files(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("coverage-*.npy"))


def build(database, settings) -> live.Build:
    with database.transaction() as s:
        live.model_for(live.load_inputs(s, settings))
    return live.recent_builds()[-1]


def a_capability_dropped(s):
    held = s.scalars(sa.select(UnitCapability).where(UnitCapability.unit_id == unit_id(s, "fr-gign"))).first()
    s.delete(held)


def a_station_added(s):
    s.add(UnitStation(unit_id=unit_id(s, "fr-gign"), name="Lyon detachment", lat=45.76, lon=4.84))


def a_base_moved(s):
    s.get(Unit, unit_id(s, "nl-dsi")).lat += 0.5


def a_notice_changed(s):
    s.get(Unit, unit_id(s, "de-gsg9")).notice_international_min += 60


def an_aircraft_slower_to_mobilise(s):
    s.scalars(sa.select(AirliftAsset).order_by(AirliftAsset.id)).first().mobilisation_min += 30


@pytest.mark.parametrize("change", [a_capability_dropped, a_station_added, a_base_moved, a_notice_changed,
                                    an_aircraft_slower_to_mobilise])
def test_a_changed_directory_is_a_new_cache_file_and_the_old_one_goes(database, db_url, tmp_path, monkeypatch, change):
    settings = app_settings(db_url, coverage={"cache_dir": str(tmp_path)})
    first = build(database, settings)
    (old,) = kept_files(tmp_path)
    monkeypatch.setattr(live, "_models", {})  # a restart: nothing in memory
    assert build(database, settings).from_cache  # unchanged: read back, not computed

    with database.transaction() as s:
        change(s)
    monkeypatch.setattr(live, "_models", {})
    after = build(database, settings)

    assert after.fingerprint != first.fingerprint
    assert not after.from_cache
    (new,) = kept_files(tmp_path)
    assert new != old


@pytest.mark.parametrize("setting", [{"transport": {"road_speed_kmh": 80}}, {"eta": {"helicopter_speed_kmh": 200}}])
def test_changed_transport_settings_are_a_new_cache_file(database, db_url, tmp_path, setting):
    first = build(database, app_settings(db_url, coverage={"cache_dir": str(tmp_path)}))
    live._models.clear()
    after = build(database, app_settings(db_url, coverage={"cache_dir": str(tmp_path)}, **setting))
    assert after.fingerprint != first.fingerprint and not after.from_cache
    assert len(kept_files(tmp_path)) == 1


def test_the_scheduler_switching_units_to_training_builds_no_table(database, db_url):
    """A training run changes readiness in the scheduler: its event names the capabilities (no
    warm model there) and no table is built for it."""
    settings = app_settings(db_url, coverage={"prewarm": True},
                            training={"coverage_threshold_minutes": 1440})
    start = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
    with database.transaction() as s:
        body = training_payload(host_unit_id=unit_id(s, "fr-gign"), timezone="Europe/Paris",
                                override_reason="the scheduler test")
        trainings.create_training(s, demo_actor(s, "demo-planner"), settings, TrainingCreate.model_validate(body),
                                  now=start - timedelta(days=9))

    report = dispatch_due(database, settings, now=start)

    assert report.runs_started == 1
    assert threads_that_built() == []
    assert live.PREWARM_THREAD not in {t.name for t in threading.enumerate()}
