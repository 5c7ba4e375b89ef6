"""The seed loaders of tests/factories.py (used by the ranking scenarios, without a database) give
what the service reads from a seeded database: same units, same airlift options per state."""

import dataclasses

from atlas_coord.services.matching import airlift_for_ranking, load_snapshots
from tests.factories import seed_airlift, seed_snapshots


def key(u):
    return (u.state, u.name)


def test_seed_snapshots_equal_the_services_snapshots_of_the_seeded_database(session):
    from_db = {key(u): u for u in load_snapshots(session)}
    from_json = {key(u): u for u in seed_snapshots()}
    assert from_db.keys() == from_json.keys()
    for k, u in from_json.items():
        assert u == dataclasses.replace(from_db[k], id=u.id), k


def test_seed_airlift_equals_the_services_airlift_of_the_seeded_database(session):
    assert seed_airlift() == airlift_for_ranking(session)
