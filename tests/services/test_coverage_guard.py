"""The training guard and the coverage map never disagree: for the same plan, the guard blocks a
capital for a capability exactly when the map's what-if loses that capital's cell for it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from atlas_coord.domain.coverage.grid import load_grid
from atlas_coord.domain.training_rules import EU_CAPITALS
from atlas_coord.services import trainings
from atlas_coord.services.coverage import queries
from atlas_coord.services.trainings.commands import TrainingCreate
from tests.conftest import app_settings
from tests.factories import demo_actor, training_payload, unit_id

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
THRESHOLD = 50


def test_the_guards_verdict_is_the_maps_what_if(database, db_url):
    # the whole 50 km grid, so that the map has the capitals' cells (built once: some seconds)
    settings = app_settings(db_url, coverage={"cell_stride": 1},
                            training={"coverage_threshold_minutes": THRESHOLD, "critical_capabilities": {"BE": []}})
    with database.transaction() as s:
        dsu = unit_id(s, "be-dsu")
        planner = demo_actor(s, "demo-planner")
        data = TrainingCreate.model_validate(training_payload(host_unit_id=dsu))
        guard = trainings.check_plan(s, planner, settings, data, now=NOW)
        blocked = {(c.point, c.capability) for c in guard.conflicts if c.kind == "coverage_threshold"}
        assert blocked  # the DSU is the only unit within 50 min of Brussels

        grid = load_grid(50)
        cells = {p.name: grid.cell_of(p.lat, p.lon) for p in EU_CAPITALS}
        caps = sorted({cap for _point, cap in blocked} | {"ENV_MARITIME", "K9", "NEG"})
        lost = set()
        for cap in caps:
            body = queries.CoverageWhatIf(capability=cap, threshold=THRESHOLD, unavailable_unit_ids=[dsu])
            w = queries.what_if(s, planner, settings, body)
            now, after = np.asarray(w.now.minutes), np.asarray(w.after.minutes)
            lost |= {(name, cap) for name, c in cells.items() if now[c] <= THRESHOLD < after[c]}
    assert lost == {(p, c) for p, c in blocked if c in caps}
    assert {c for _p, c in blocked} <= set(caps)
