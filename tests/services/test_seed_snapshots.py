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


def test_the_ranking_reads_a_changed_airlift_at_once(database):
    """The airlift table is computed again only when its rows change: a change must show in the
    next ranking's table, not in the next process's."""
    import sqlalchemy as sa

    from atlas_coord.models import AirliftAsset

    def ready_at_once(table, state, base):
        return [a for a in table[state] if a.base_icao == base and a.mobilisation_min == 0]

    with database.transaction() as s:
        before = airlift_for_ranking(s)
        asset = s.scalars(sa.select(AirliftAsset).where(AirliftAsset.kind == "fixed_wing", AirliftAsset.mobilisation_min > 0)
                          .order_by(AirliftAsset.id)).first()
        state, base = asset.state_code, asset.base_icao
        assert not ready_at_once(before, state, base)
        asset.mobilisation_min = 0  # wheels-up at once: no other aircraft at its base beats it
    with database.transaction() as s:
        after = airlift_for_ranking(s)
    assert ready_at_once(after, state, base)
    with database.transaction() as s:
        assert airlift_for_ranking(s) is after  # unchanged rows: the same table, not computed again
